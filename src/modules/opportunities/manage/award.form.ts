/**
 * The award form (awards.routes.ts): the award's date, value, contract dates and social value,
 * and one row per supplier, in the GOV.UK "add another" pattern without JavaScript. The form
 * posts back with an `action` button: `add` (one more empty row), `remove-<n>` (drop row n) or
 * `award` (validate and save). Every name is flat (`supplier-0-name`), because the body parser
 * reads flat keys, and rows are bounded by MAX_SUPPLIERS so the body schema can list them all.
 *
 * A row is a supplier registered on the portal (chosen from a list, or, when too many are
 * registered for a list, found by its exact Companies House or charity number), or one named by
 * the officer with its identifiers, postcode, size and VCSE status.
 */
import { BadRequestError } from '../../../errors.js';
import { Form } from '../../../lib/forms.js';
import { formBody } from '../../admin/route-helpers.js';
import { parseCharityNumber, parseCompaniesHouseNumber, parsePostcode } from '../../suppliers/identifiers.js';
import { CHARITY_REGISTER_WORDS, CHARITY_REGISTERS, SIZE_WORDS, SUPPLIER_SIZES, type CharityRegister } from '../../suppliers/suppliers.words.js';

/** Frameworks award many suppliers; one award takes at most this many. */
export const MAX_SUPPLIERS = 20;

/** Up to this many registered suppliers are offered as a list; above it, the officer types the supplier's number. */
export const REGISTERED_LIST_LIMIT = 500;

/** How the form offers suppliers registered on the portal: a list, a number to look up, or not at all (none registered). */
export type RegisteredMode = 'list' | 'lookup' | 'none';

export const SUPPLIER_FIELDS = ['kind', 'supplierId', 'identifier', 'name', 'companiesHouseNumber', 'charityNumber', 'charityRegister', 'postcode', 'size', 'vcse', 'value'] as const;
export type SupplierField = (typeof SUPPLIER_FIELDS)[number];

/** The flat field name of a row's field: `supplier-<index>-<field>` (index from 0). */
export const supplierField = (index: number, field: SupplierField) => `supplier-${index}-${field}`;

/** Sizes an officer may record for a supplier not registered here ("unknown" is stored as no size). */
export const NAMED_SIZES = [...SUPPLIER_SIZES, 'unknown'] as const;
export type NamedSize = (typeof NAMED_SIZES)[number];

const DATE_PARTS = ['day', 'month', 'year'] as const;
const LIMITS = { name: 200, identifier: 50, postcode: 20, social: 5000, money: 30 };

/** The route schema: strings only, bounded (twice what the form accepts, so the form gives the message); meaning is checked by readAwardForm. */
export const awardBody = formBody({
  version: 20,
  lot: 10,
  suppliers: 10,
  action: 30,
  value: LIMITS.money * 2,
  socialValueCommitments: LIMITS.social * 2,
  ...Object.fromEntries(['awardedOn', 'contractStart', 'contractEnd'].flatMap((prefix) => DATE_PARTS.map((part) => [`${prefix}-${part}`, 20]))),
  ...Object.fromEntries(
    Array.from({ length: MAX_SUPPLIERS }, (_, index) =>
      SUPPLIER_FIELDS.map((field) => [supplierField(index, field), field === 'name' ? LIMITS.name * 2 : field === 'value' ? LIMITS.money * 2 : 100]),
    ).flat(),
  ),
});

// ---- Hidden fields and buttons -----------------------------------------------------------------

export type AwardAction = { kind: 'award' } | { kind: 'add' } | { kind: 'remove'; index: number };

export interface AwardFormState {
  /** The opportunity's version when the form was first opened. */
  version: number;
  /** The lot's id (not its number, which can change if lots are edited meanwhile), or null for the whole contract. */
  lotId: number | null;
  /** How many supplier rows the form had. */
  count: number;
  action: AwardAction;
}

const PAGE_PROBLEM = 'The form could not be read. Go back to the opportunity and start the award again: nothing has been saved.';

/**
 * The hidden fields the page wrote and the button pressed. These only come from our own page, so
 * anything else is a plain 400 rather than a field message. Pressing Enter sends `award`.
 */
export function readAwardState(body: unknown): AwardFormState {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const text = (name: string) => (typeof raw[name] === 'string' ? (raw[name] as string).trim() : '');
  const version = /^\d{1,9}$/.test(text('version')) ? Number(text('version')) : NaN;
  const lot = text('lot');
  const count = /^\d{1,2}$/.test(text('suppliers')) ? Number(text('suppliers')) : NaN;
  if (Number.isNaN(version) || (lot !== '' && !/^\d{1,10}$/.test(lot)) || Number.isNaN(count) || count > MAX_SUPPLIERS) throw new BadRequestError(PAGE_PROBLEM);
  const actionText = text('action') || 'award';
  let action: AwardAction;
  if (actionText === 'award' || actionText === 'add') action = { kind: actionText };
  else {
    const remove = /^remove-(\d{1,2})$/.exec(actionText);
    if (!remove || Number(remove[1]) >= Math.max(count, 1)) throw new BadRequestError(PAGE_PROBLEM);
    action = { kind: 'remove', index: Number(remove[1]) };
  }
  return { version, lotId: lot === '' ? null : Number(lot), count: Math.max(count, 1), action };
}

/**
 * The form after "Add another supplier" or "Remove": every value kept, rows renumbered so that
 * they stay 0…count-1. Adding beyond MAX_SUPPLIERS leaves the rows as they are (the page says why).
 */
export function editRows(body: unknown, count: number, action: Exclude<AwardAction, { kind: 'award' }>): { form: Form; count: number } {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const edited: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) if (!/^supplier-\d+-/.test(key)) edited[key] = value;
  const kept = Array.from({ length: count }, (_, index) => index).filter((index) => action.kind !== 'remove' || index !== action.index);
  kept.forEach((from, to) => {
    for (const field of SUPPLIER_FIELDS) {
      const value = raw[supplierField(from, field)];
      if (value !== undefined) edited[supplierField(to, field)] = value;
    }
  });
  let rows = Math.max(kept.length, 1);
  const form = new Form(edited);
  if (action.kind === 'add') {
    if (rows >= MAX_SUPPLIERS) form.error('suppliers', `You can add up to ${MAX_SUPPLIERS} suppliers to one award`);
    else rows += 1;
  }
  return { form, count: rows };
}

// ---- Validation ---------------------------------------------------------------------------------

/** A row as read from the form; registered suppliers are checked against the database by the route. */
export type SupplierChoice =
  | { index: number; kind: 'registered'; supplierId: number; valuePence: number | null }
  | { index: number; kind: 'lookup'; typed: string; companiesHouseNumber: string | null; charityNumbers: string[]; valuePence: number | null }
  | {
      index: number;
      kind: 'named';
      name: string;
      companiesHouseNumber: string | null;
      charityNumber: string | null;
      postcode: string | null;
      size: string | null;
      vcse: boolean;
      valuePence: number | null;
    };

export interface AwardFields {
  awardedOn: string | null;
  valuePence: number | null;
  contractStart: string | null;
  contractEnd: string | null;
  socialValueCommitments: string | null;
}

/** Whether the officer left a row untouched (such rows are skipped when at least one other is filled in). */
function blankRow(form: Form, index: number, mode: RegisteredMode): boolean {
  return SUPPLIER_FIELDS.every((field) => {
    if (field === 'charityRegister') return true; // has a default
    if (field === 'kind' && mode === 'none') return true;
    return form.string(supplierField(index, field)).trim() === '';
  });
}

/**
 * The numbers a registered supplier might be stored under, from what the officer typed: a
 * Companies House number and/or charity numbers (a 7-digit number may be either).
 */
export function lookupNumbers(typed: string): { companiesHouseNumber: string | null; charityNumbers: string[] } {
  const company = parseCompaniesHouseNumber(typed).value ?? null;
  const charityNumbers = CHARITY_REGISTERS.map((register) => parseCharityNumber(register, typed).value).filter((v): v is string => v !== undefined);
  return { companiesHouseNumber: company, charityNumbers };
}

export function readAwardForm(form: Form, options: { count: number; today: string; mode: RegisteredMode }): { fields: AwardFields; suppliers: SupplierChoice[] } {
  const awardedOn = form.date('awardedOn', { label: 'Date of the award', required: 'Enter the date the contract was awarded' });
  if (awardedOn && awardedOn > options.today) form.error('awardedOn', 'The date of the award must be today or in the past', '#awardedOn-day');
  const valuePence = form.money('value', { label: 'Total value', required: 'Enter the total value of the contract awarded' });
  const contractStart = form.date('contractStart', { label: 'Contract start date' });
  const contractEnd = form.date('contractEnd', { label: 'Contract end date' });
  if (contractStart && contractEnd && contractEnd <= contractStart) form.error('contractEnd', 'The contract end date must be after the start date', '#contractEnd-day');
  const socialValueCommitments = form.text('socialValueCommitments', { maxLength: LIMITS.social, label: 'Social value commitments' });

  const filled = Array.from({ length: options.count }, (_, index) => index).filter((index) => !blankRow(form, index, options.mode));
  if (filled.length === 0) {
    const first = options.mode === 'none' ? supplierField(0, 'name') : supplierField(0, 'kind');
    form.error(first, 'Add at least one supplier the contract was awarded to');
  }
  const suppliers = filled.flatMap((index) => {
    const row = readRow(form, index, options.mode);
    return row ? [row] : [];
  });

  const seen = new Map<number, number>();
  for (const s of suppliers) {
    if (s.kind !== 'registered') continue;
    const earlier = seen.get(s.supplierId);
    if (earlier !== undefined) form.error(supplierField(s.index, 'supplierId'), `Supplier ${s.index + 1} is the same as supplier ${earlier + 1}: choose a different supplier or remove it`);
    else seen.set(s.supplierId, s.index);
  }

  return { fields: { awardedOn, valuePence, contractStart, contractEnd, socialValueCommitments: socialValueCommitments || null }, suppliers };
}

function readRow(form: Form, index: number, mode: RegisteredMode): SupplierChoice | null {
  const n = index + 1;
  const name = (field: SupplierField) => supplierField(index, field);
  const kind = mode === 'none' ? 'named' : form.oneOf(name('kind'), ['registered', 'named'] as const, `Select whether supplier ${n} is registered on this portal`);
  const valuePence = form.money(name('value'), { label: `The value for supplier ${n}` });
  if (kind === 'registered') {
    if (mode === 'list') {
      const raw = form.string(name('supplierId')).trim();
      if (!/^\d{1,9}$/.test(raw) || Number(raw) === 0) {
        form.error(name('supplierId'), `Choose supplier ${n} from the list of registered suppliers`);
        return null;
      }
      return { index, kind: 'registered', supplierId: Number(raw), valuePence };
    }
    const typed = form.text(name('identifier'), { required: `Enter the Companies House or charity number of supplier ${n}`, maxLength: LIMITS.identifier, label: `The number of supplier ${n}` });
    if (!typed) return null;
    const numbers = lookupNumbers(typed);
    if (!numbers.companiesHouseNumber && numbers.charityNumbers.length === 0) {
      form.error(name('identifier'), `Enter the number of supplier ${n} in the correct format: a Companies House number, like 01234567 or SC123456, or a charity number, like 1234567`);
      return null;
    }
    return { index, kind: 'lookup', typed, ...numbers, valuePence };
  }
  if (kind !== 'named') return null;

  const supplierName = form.text(name('name'), { required: `Enter the name of supplier ${n}`, maxLength: LIMITS.name, label: `The name of supplier ${n}` });
  const companyTyped = form.text(name('companiesHouseNumber'), { maxLength: LIMITS.identifier, label: 'The Companies House number' });
  let companiesHouseNumber: string | null = null;
  if (companyTyped) {
    const parsed = parseCompaniesHouseNumber(companyTyped);
    if (parsed.problem) form.error(name('companiesHouseNumber'), `Supplier ${n}: ${lowerFirst(parsed.problem)}`);
    else companiesHouseNumber = parsed.value ?? null;
  }
  const charityTyped = form.text(name('charityNumber'), { maxLength: LIMITS.identifier, label: 'The charity number' });
  const registerRaw = form.string(name('charityRegister')).trim() || 'england_wales';
  const register = (CHARITY_REGISTERS as readonly string[]).includes(registerRaw) ? (registerRaw as CharityRegister) : null;
  if (!register) form.error(name('charityRegister'), `Choose the charity register of supplier ${n} from the list`);
  let charityNumber: string | null = null;
  if (charityTyped && register) {
    const parsed = parseCharityNumber(register, charityTyped);
    if (parsed.problem) form.error(name('charityNumber'), `Supplier ${n}: ${lowerFirst(parsed.problem)}`);
    else charityNumber = parsed.value ?? null;
  }
  const postcodeTyped = form.text(name('postcode'), { maxLength: LIMITS.postcode, label: 'The postcode' });
  let postcode: string | null = null;
  if (postcodeTyped) {
    const parsed = parsePostcode(postcodeTyped);
    if (parsed.problem) form.error(name('postcode'), `Supplier ${n}: ${lowerFirst(parsed.problem)}`);
    else postcode = parsed.value ?? null;
  }
  const size = form.oneOf(name('size'), NAMED_SIZES, `Select the size of supplier ${n}, or “Not known”`);
  const vcse = form.checkbox(name('vcse'));
  if (!supplierName) return null;
  return { index, kind: 'named', name: supplierName, companiesHouseNumber, charityNumber, postcode, size: size === 'unknown' ? null : (size ?? null), vcse, valuePence };
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

// ---- The page's choices ------------------------------------------------------------------------

export function sizeChoices() {
  return [
    { value: '', text: 'Choose the size' },
    ...SUPPLIER_SIZES.map((size) => ({ value: size, text: `${SIZE_WORDS[size].label}: ${lowerFirst(SIZE_WORDS[size].hint)}` })),
    { value: 'unknown', text: 'Not known' },
  ];
}

export function charityRegisterChoices() {
  return CHARITY_REGISTERS.map((register) => ({ value: register, text: CHARITY_REGISTER_WORDS[register].label }));
}

/**
 * The form as first opened: one empty row and the contract dates the opportunity planned. The
 * value is left empty on purpose: the estimate is not the awarded value, and must not slip through.
 */
export function newAwardForm(defaults: { contractStart: string | null; contractEnd: string | null }): Form {
  const values: Record<string, string> = {};
  for (const [prefix, date] of [['contractStart', defaults.contractStart], ['contractEnd', defaults.contractEnd]] as const) {
    if (!date) continue;
    const [year, month, day] = date.split('-');
    values[`${prefix}-day`] = String(Number(day));
    values[`${prefix}-month`] = String(Number(month));
    values[`${prefix}-year`] = year ?? '';
  }
  return new Form(values);
}
