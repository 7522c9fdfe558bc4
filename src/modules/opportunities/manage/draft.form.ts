/**
 * The drafting steps' forms (drafting.routes.ts): reading each step's posted fields into
 * DraftFields with the GOV.UK error pattern (lib/forms.ts), filling each step's form back from
 * the saved working copy, and describing a step's fields in words for the conflict page.
 *
 * Field names are the working copy's own (title, valueMin…), so an error summary link `#field`
 * lands on the input. Dates use the GOV.UK date input (`<field>-day/-month/-year`, plus
 * `<field>-time` for a deadline), read as London time. Checkboxes each have their own name, so
 * every posted field is one bounded string (see formBody in admin/route-helpers.ts).
 */
import { Type, type TSchema } from 'typebox';
import * as format from '../../../lib/format.js';
import { Form } from '../../../lib/forms.js';
import { londonDate, londonTime } from '../../../lib/london-time.js';
import { BadRequestError } from '../../../errors.js';
import { MAIN_CATEGORIES as CATEGORY_WORDS, PROCEDURES as PROCEDURE_WORDS, RESERVATIONS as RESERVATION_WORDS } from '../opportunities.routes.js';
import { dateProblems, PUBLISHABLE_STAGES, reservationProblem, type DraftStep, type LotRecord, type OpportunityRecord } from '../opportunities.rules.js';
import type { DraftFields, LotInput } from '../opportunities.service.js';
import { MAIN_CATEGORIES, PROCEDURES, RESERVATIONS, RESPONSE_METHODS, type MainCategory } from '../opportunities.table.js';
import type { Thresholds } from '../thresholds.js';

/** A deadline or event date given without a time is at midday London time (the hints say so). */
export const DEFAULT_TIME = '12:00';
export const DEFAULT_TIME_WORDS = 'midday (12pm)';
/** The most CPV codes an opportunity can have; the first is the main one. */
export const MAX_CPV_CODES = 20;

export type PublishableStage = (typeof PUBLISHABLE_STAGES)[number];

/** The stages a draft can be published in, in words someone without procurement knowledge reads. */
export const STAGE_CHOICES: Record<PublishableStage, { text: string; hint: string }> = {
  pipeline: { text: 'We expect to buy this', hint: 'An early notice of a contract you plan to tender in future. Suppliers cannot bid yet.' },
  planned: { text: 'We want to hear from suppliers before we tender', hint: 'You are planning the contract and want suppliers’ views, or to tell them a tender is coming.' },
  open: { text: 'We are asking for bids now', hint: 'Suppliers can bid until the deadline you set.' },
};

export const RESPONSE_CHOICES: Record<(typeof RESPONSE_METHODS)[number], string> = {
  portal: 'On this website',
  external: 'On another e-tendering website',
};

export type FormValues = Record<string, string>;

// ---- Field limits and body schemas --------------------------------------------------------------

/** The longest each field may be, as the form says; the body schema allows more so the form can say it. */
const LIMITS = {
  title: 300,
  reference: 100,
  summary: 1000,
  description: 20_000,
  deliveryLocation: 300,
  socialValueOther: 2000,
  engagementEventDetails: 2000,
  extensions: 1000,
  contactName: 200,
  contactPhone: 40,
  externalResponseUrl: 2000,
  externalResponseReference: 200,
  officialNoticeId: 100,
  officialNoticeUrl: 2000,
  lotTitle: 300,
  lotDescription: 5000,
} as const;

const schemaMax = (n: number) => n * 2 + 100;
const SHORT = 100;
const DATE_PARTS = ['day', 'month', 'year'] as const;

const DATE_FIELDS = ['engagementEventAt', 'questionsDeadline', 'tenderDeadline', 'expectedAwardDate', 'contractStart', 'contractEnd', 'publishAt'] as const;
const TIMED_FIELDS = new Set<string>(['engagementEventAt', 'questionsDeadline', 'tenderDeadline', 'publishAt']);

/** Every form posts the version it was built from, and which button was pressed. */
const COMMON: Record<string, number> = { version: 20, next: 20 };

function bodyOf(fields: Record<string, number>): TSchema {
  const properties: Record<string, TSchema> = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };
  for (const [name, max] of Object.entries({ ...COMMON, ...fields })) properties[name] = Type.Optional(Type.String({ maxLength: max }));
  return Type.Object(properties, { additionalProperties: false });
}

const dateFields = (names: readonly string[]) =>
  Object.fromEntries(names.flatMap((name) => [...DATE_PARTS.map((part) => [`${name}-${part}`, SHORT]), ...(TIMED_FIELDS.has(name) ? [[`${name}-time`, SHORT]] : [])]));

export const BODIES = {
  about: bodyOf({ title: schemaMax(LIMITS.title), reference: schemaMax(LIMITS.reference), summary: schemaMax(LIMITS.summary), description: schemaMax(LIMITS.description), stage: SHORT, procedure: SHORT, mainCategory: SHORT }),
  categories: bodyOf({ q: 200, add: 20, remove: 20 }),
  lots: bodyOf({ action: 20, lot: 20, lotTitle: schemaMax(LIMITS.lotTitle), lotDescription: schemaMax(LIMITS.lotDescription), lotValue: SHORT }),
  value: bodyOf({
    valueMin: SHORT,
    valueMax: SHORT,
    valueIncludesVat: SHORT,
    deliveryLocation: schemaMax(LIMITS.deliveryLocation),
    suitableForSme: SHORT,
    suitableForVcse: SHORT,
    reservation: SHORT,
    socialValueLocalJobs: SHORT,
    socialValueApprenticeships: SHORT,
    socialValueOther: schemaMax(LIMITS.socialValueOther),
  }),
  dates: bodyOf({ ...dateFields(DATE_FIELDS), engagementEventDetails: schemaMax(LIMITS.engagementEventDetails), extensions: schemaMax(LIMITS.extensions) }),
  responding: bodyOf({
    contactName: schemaMax(LIMITS.contactName),
    contactEmail: 400,
    contactPhone: schemaMax(LIMITS.contactPhone),
    responseMethod: SHORT,
    externalResponseUrl: schemaMax(LIMITS.externalResponseUrl),
    externalResponseReference: schemaMax(LIMITS.externalResponseReference),
    officialNoticeId: schemaMax(LIMITS.officialNoticeId),
    officialNoticeUrl: schemaMax(LIMITS.officialNoticeUrl),
  }),
} satisfies Record<DraftStep, TSchema>;

/** The version the page was built from: a form without one cannot be saved safely. */
export function versionOf(body: unknown): number {
  const raw = body && typeof body === 'object' ? (body as Record<string, unknown>).version : undefined;
  if (typeof raw === 'string' && /^[1-9]\d{0,8}$/.test(raw)) return Number(raw);
  throw new BadRequestError('The form you sent was incomplete, so nothing has been saved. Go back, reload the page and try again.', 'missing_version');
}

// ---- Small readers ------------------------------------------------------------------------------

const orNull = (value: string) => (value === '' ? null : value);

function yesNo(form: Form, field: string, message: string): boolean {
  return form.oneOf(field, ['yes', 'no'] as const, message) === 'yes';
}

/** A web address that starts with http:// or https://, or null when empty. */
function webAddress(form: Form, field: string, rule: { label: string; maxLength: number; required?: string }): string | null {
  const value = form.text(field, { maxLength: rule.maxLength, label: rule.label, ...(rule.required ? { required: rule.required } : {}) });
  if (!value || form.messageFor(field)) return null;
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname.includes('.')) {
    form.error(field, `${rule.label} must be a full web address that starts with https:// or http://, like https://www.example.gov.uk/tender`);
    return null;
  }
  return value;
}

// ---- Reading each step --------------------------------------------------------------------------

export interface Parsed<T> {
  form: Form;
  fields: T;
}

/**
 * "About the contract". The stage is chosen here only before publishing (`withStage`); a
 * published opportunity moves stage through its own action.
 */
export function readAbout(body: unknown, options: { withStage: boolean }): Parsed<DraftFields & { title: string; mainCategory: MainCategory }> {
  const form = new Form(body);
  const title = form.text('title', { required: 'Enter a title', maxLength: LIMITS.title, label: 'The title' });
  const reference = form.text('reference', { maxLength: LIMITS.reference, label: 'The reference' });
  const summary = form.text('summary', { maxLength: LIMITS.summary, label: 'The summary' });
  const description = form.text('description', { maxLength: LIMITS.description, label: 'The description' });
  const stage = options.withStage ? form.oneOf('stage', PUBLISHABLE_STAGES, 'Choose what you want from suppliers now') : undefined;
  const procedure = form.oneOf('procedure', PROCEDURES, 'Choose how you will choose the supplier');
  const mainCategory = form.oneOf('mainCategory', MAIN_CATEGORIES, 'Choose the type of contract');
  const fields: DraftFields & { title: string; mainCategory: MainCategory } = {
    title,
    reference: orNull(reference),
    summary,
    description,
    ...(procedure ? { procedure } : {}),
    mainCategory: mainCategory ?? 'services',
    ...(stage ? { stage } : {}),
  };
  return { form, fields };
}

/**
 * "Value and who can bid". A reservation is checked against the threshold in force on `onDate`
 * (the day it is due to be published), for the contract's main category.
 */
export function readValue(body: unknown, context: { mainCategory: MainCategory; cpvCodes: string[]; thresholds: Thresholds; onDate: string }): Parsed<DraftFields> {
  const form = new Form(body);
  const valueMinPence = form.money('valueMin', { label: 'The lowest value' });
  const valueMaxPence = form.money('valueMax', { label: 'The highest value' });
  if (valueMinPence !== null && valueMaxPence !== null && valueMaxPence < valueMinPence) form.error('valueMax', 'The highest value must be the same as or more than the lowest value');
  const valueIncludesVat = yesNo(form, 'valueIncludesVat', 'Choose whether the value includes VAT');
  const deliveryLocation = form.text('deliveryLocation', { maxLength: LIMITS.deliveryLocation, label: 'Where the work is' });
  const reservation = form.oneOf('reservation', RESERVATIONS, 'Choose whether only some suppliers can bid');
  const socialValueOther = form.text('socialValueOther', { maxLength: LIMITS.socialValueOther, label: 'Other social value' });
  const fields: DraftFields = {
    valueMinPence,
    valueMaxPence,
    valueIncludesVat,
    deliveryLocation: orNull(deliveryLocation),
    suitableForSme: form.checkbox('suitableForSme'),
    suitableForVcse: form.checkbox('suitableForVcse'),
    ...(reservation ? { reservation } : {}),
    socialValueLocalJobs: form.checkbox('socialValueLocalJobs'),
    socialValueApprenticeships: form.checkbox('socialValueApprenticeships'),
    socialValueOther: orNull(socialValueOther),
  };
  if (reservation && !form.messageFor('valueMin') && !form.messageFor('valueMax')) {
    const problem = reservationProblem({ reservation, mainCategory: context.mainCategory, cpvCodes: context.cpvCodes, valueMinPence, valueMaxPence, valueIncludesVat }, context.thresholds, context.onDate);
    if (problem) form.error('reservation', problem.message);
  }
  return { form, fields };
}

const DATE_LABELS: Record<(typeof DATE_FIELDS)[number], string> = {
  publishAt: 'The date you plan to publish it',
  engagementEventAt: 'The date of the event',
  questionsDeadline: 'The deadline for questions',
  tenderDeadline: 'The deadline for bids',
  expectedAwardDate: 'The expected award date',
  contractStart: 'The contract start date',
  contractEnd: 'The contract end date',
};

/** "Key dates": every date and deadline, checked against each other (dateProblems). */
export function readDates(body: unknown, options: { withPublishAt: boolean }): Parsed<DraftFields> {
  const form = new Form(body);
  const at = (field: (typeof DATE_FIELDS)[number]) => form.dateTime(field, { label: DATE_LABELS[field], defaultTime: DEFAULT_TIME });
  const day = (field: (typeof DATE_FIELDS)[number]) => form.date(field, { label: DATE_LABELS[field] });
  const publishAt = options.withPublishAt ? at('publishAt') : undefined;
  const engagementEventAt = at('engagementEventAt');
  const engagementEventDetails = form.text('engagementEventDetails', { maxLength: LIMITS.engagementEventDetails, label: 'The details of the event' });
  const questionsDeadline = at('questionsDeadline');
  const tenderDeadline = at('tenderDeadline');
  const expectedAwardDate = day('expectedAwardDate');
  const contractStart = day('contractStart');
  const contractEnd = day('contractEnd');
  const extensions = form.text('extensions', { maxLength: LIMITS.extensions, label: 'Options to extend' });
  const fields: DraftFields = {
    ...(publishAt !== undefined ? { publishAt } : {}),
    engagementEventAt,
    engagementEventDetails: orNull(engagementEventDetails),
    questionsDeadline,
    tenderDeadline,
    expectedAwardDate,
    contractStart,
    contractEnd,
    extensions: orNull(extensions),
  };
  // Dates that contradict each other, once each date reads as a date.
  for (const problem of dateProblems({ engagementEventAt, questionsDeadline, tenderDeadline, expectedAwardDate, contractStart, contractEnd })) {
    if (!form.messageFor(problem.field)) form.error(problem.field, problem.message, `#${problem.field}-day`);
  }
  return { form, fields };
}

/** "Contact and how to respond". */
export function readResponding(body: unknown): Parsed<DraftFields> {
  const form = new Form(body);
  const contactName = form.text('contactName', { maxLength: LIMITS.contactName, label: 'The contact name' });
  const contactEmail = form.string('contactEmail').trim() ? form.email('contactEmail', { required: 'Enter an email address', label: 'The email address' }) : '';
  const contactPhone = form.text('contactPhone', { maxLength: LIMITS.contactPhone, label: 'The telephone number' });
  if (contactPhone && !form.messageFor('contactPhone') && !/^\+?[\d\s()-]{6,}$/.test(contactPhone)) form.error('contactPhone', 'Enter a telephone number, like 0121 569 2000 or +44 121 569 2000');
  const responseMethod = form.oneOf('responseMethod', RESPONSE_METHODS, 'Choose where suppliers will respond');
  const external = responseMethod === 'external';
  const externalResponseUrl = external
    ? webAddress(form, 'externalResponseUrl', { label: 'The web address of the e-tendering website', maxLength: LIMITS.externalResponseUrl, required: 'Enter the web address of the e-tendering website where suppliers respond' })
    : null;
  const externalResponseReference = external ? form.text('externalResponseReference', { maxLength: LIMITS.externalResponseReference, label: 'The reference' }) : '';
  const officialNoticeId = form.text('officialNoticeId', { maxLength: LIMITS.officialNoticeId, label: 'The notice identifier' });
  const officialNoticeUrl = webAddress(form, 'officialNoticeUrl', { label: 'The link to the notice', maxLength: LIMITS.officialNoticeUrl });
  const fields: DraftFields = {
    contactName: orNull(contactName),
    contactEmail: orNull(contactEmail),
    contactPhone: orNull(contactPhone),
    ...(responseMethod ? { responseMethod } : {}),
    externalResponseUrl,
    externalResponseReference: orNull(externalResponseReference),
    officialNoticeId: orNull(officialNoticeId),
    officialNoticeUrl,
  };
  return { form, fields };
}

/** One lot, from the "Add a lot" or "Change lot" form. */
export function readLot(body: unknown): Parsed<LotInput> {
  const form = new Form(body);
  const title = form.text('lotTitle', { required: 'Enter a title for the lot', maxLength: LIMITS.lotTitle, label: 'The lot’s title' });
  const description = form.text('lotDescription', { maxLength: LIMITS.lotDescription, label: 'The lot’s description' });
  const valuePence = form.money('lotValue', { label: 'The lot’s value' });
  return { form, fields: { title, description, valuePence } };
}

// ---- Filling the forms back from the working copy -----------------------------------------------

/** Pence as the money inputs take them, without the pound sign: "25,000" or "25,000.50". */
export function poundsText(pence: number | null | undefined): string {
  if (pence === null || pence === undefined) return '';
  return format.money(pence).replace(/^£/, '');
}

function dateValues(values: FormValues, field: string, value: Date | string | null): void {
  if (!value) return;
  const day = value instanceof Date ? londonDate(value) : value;
  const [year, month, date] = day.split('-');
  values[`${field}-day`] = String(Number(date));
  values[`${field}-month`] = String(Number(month));
  values[`${field}-year`] = year ?? '';
  if (value instanceof Date) values[`${field}-time`] = londonTime(value);
}

/** The step's form values as the saved working copy has them. */
export function valuesFor(step: DraftStep, o: OpportunityRecord): FormValues {
  const values: FormValues = { version: String(o.version) };
  switch (step) {
    case 'about':
      Object.assign(values, { title: o.title, reference: o.reference ?? '', summary: o.summary, description: o.description, stage: o.stage, procedure: o.procedure, mainCategory: o.mainCategory });
      break;
    case 'value':
      Object.assign(values, {
        valueMin: poundsText(o.valueMinPence),
        valueMax: poundsText(o.valueMaxPence),
        valueIncludesVat: o.valueIncludesVat ? 'yes' : 'no',
        deliveryLocation: o.deliveryLocation ?? '',
        reservation: o.reservation,
        socialValueOther: o.socialValueOther ?? '',
      });
      for (const box of ['suitableForSme', 'suitableForVcse', 'socialValueLocalJobs', 'socialValueApprenticeships'] as const) if (o[box]) values[box] = 'yes';
      break;
    case 'dates':
      for (const field of DATE_FIELDS) dateValues(values, field, o[field]);
      Object.assign(values, { engagementEventDetails: o.engagementEventDetails ?? '', extensions: o.extensions ?? '' });
      break;
    case 'responding':
      Object.assign(values, {
        contactName: o.contactName ?? '',
        contactEmail: o.contactEmail ?? '',
        contactPhone: o.contactPhone ?? '',
        responseMethod: o.responseMethod,
        externalResponseUrl: o.externalResponseUrl ?? '',
        externalResponseReference: o.externalResponseReference ?? '',
        officialNoticeId: o.officialNoticeId ?? '',
        officialNoticeUrl: o.officialNoticeUrl ?? '',
      });
      break;
    default:
      break;
  }
  return values;
}

/** A lot's form values. */
export function lotValues(lot: LotRecord): FormValues {
  return { lotTitle: lot.title, lotDescription: lot.description, lotValue: poundsText(lot.valuePence) };
}

// ---- Describing a step in words (the conflict page) ---------------------------------------------

export interface DescribedField {
  label: string;
  text: string;
}

const words = (value: string | null | undefined) => (value && value.trim() ? value : 'Not given');
const yes = (value: boolean) => (value ? 'Yes' : 'No');
const dateTimeWords = (value: Date | null) => (value ? format.dateTime(value) : 'Not given');
const dateWords = (value: string | null) => (value ? format.date(value) : 'Not given');
const moneyWords = (value: number | null) => (value === null ? 'Not given' : format.money(value));

/** Each field of a step as label and words, for showing two versions side by side. */
export function describeStep(step: DraftStep, o: OpportunityRecord, options: { withStage?: boolean; withPublishAt?: boolean } = {}): DescribedField[] {
  switch (step) {
    case 'about':
      return [
        { label: 'Title', text: words(o.title) },
        { label: 'Reference', text: words(o.reference) },
        { label: 'Summary', text: words(o.summary) },
        { label: 'Description', text: words(o.description) },
        ...(options.withStage && (PUBLISHABLE_STAGES as readonly string[]).includes(o.stage) ? [{ label: 'What you want from suppliers now', text: STAGE_CHOICES[o.stage as PublishableStage].text }] : []),
        { label: 'How you will choose the supplier', text: PROCEDURE_WORDS[o.procedure] },
        { label: 'Type of contract', text: CATEGORY_WORDS[o.mainCategory] },
      ];
    case 'value':
      return [
        { label: 'Lowest value', text: moneyWords(o.valueMinPence) },
        { label: 'Highest value', text: moneyWords(o.valueMaxPence) },
        { label: 'Value includes VAT', text: yes(o.valueIncludesVat) },
        { label: 'Where the work is', text: words(o.deliveryLocation) },
        { label: 'Suitable for small and medium-sized businesses', text: yes(o.suitableForSme) },
        { label: 'Suitable for charities and social enterprises', text: yes(o.suitableForVcse) },
        { label: 'Only for some suppliers', text: RESERVATION_WORDS[o.reservation] },
        { label: 'Social value: jobs for local people', text: yes(o.socialValueLocalJobs) },
        { label: 'Social value: apprenticeships', text: yes(o.socialValueApprenticeships) },
        { label: 'Other social value', text: words(o.socialValueOther) },
      ];
    case 'dates':
      return [
        ...(options.withPublishAt ? [{ label: 'When you plan to publish it', text: dateTimeWords(o.publishAt) }] : []),
        { label: 'Event for suppliers', text: dateTimeWords(o.engagementEventAt) },
        { label: 'About the event', text: words(o.engagementEventDetails) },
        { label: 'Deadline for questions', text: dateTimeWords(o.questionsDeadline) },
        { label: 'Deadline for bids', text: dateTimeWords(o.tenderDeadline) },
        { label: 'Expected award date', text: dateWords(o.expectedAwardDate) },
        { label: 'Contract starts', text: dateWords(o.contractStart) },
        { label: 'Contract ends', text: dateWords(o.contractEnd) },
        { label: 'Options to extend', text: words(o.extensions) },
      ];
    case 'responding':
      return [
        { label: 'Contact name', text: words(o.contactName) },
        { label: 'Contact email', text: words(o.contactEmail) },
        { label: 'Contact telephone', text: words(o.contactPhone) },
        { label: 'Where suppliers respond', text: RESPONSE_CHOICES[o.responseMethod] },
        { label: 'E-tendering website', text: words(o.externalResponseUrl) },
        { label: 'Reference on that website', text: words(o.externalResponseReference) },
        { label: 'Official notice identifier', text: words(o.officialNoticeId) },
        { label: 'Link to the official notice', text: words(o.officialNoticeUrl) },
      ];
    default:
      return [];
  }
}

/** A list of lots in words: "1. North parks (£50,000)". */
export function describeLots(lots: readonly { title: string; valuePence: number | null }[]): string {
  if (lots.length === 0) return 'No lots';
  return lots.map((lot, index) => `${index + 1}. ${lot.title}${lot.valuePence !== null ? ` (${format.money(lot.valuePence)})` : ''}`).join('\n');
}

/** The form's values as hidden fields to post again ("Save my version"), without the CSRF token or version. */
export function repostFields(form: Form): [string, string][] {
  return Object.entries(form.values).flatMap(([name, value]) => (name === 'version' ? [] : (Array.isArray(value) ? value : [value]).map((v): [string, string] => [name, v])));
}
