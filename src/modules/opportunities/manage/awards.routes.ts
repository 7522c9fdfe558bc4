/**
 * Awarding a contract (editors of the acting organisation only):
 *
 *   GET  /manage/opportunities/:id/awards/new          choose the lot (when there are lots), then
 *   GET  /manage/opportunities/:id/awards/new?lot=<n>  the award form for lot n (or the whole contract)
 *   POST /manage/opportunities/:id/awards/new          add or remove a supplier row, or award
 *
 * The form is award.form.ts; the award itself is opportunities.service.ts `award`, which snapshots
 * each supplier (local/SME/VCSE as they are now), moves the opportunity to `awarded` and publishes
 * a release. When awarding is not possible yet (bids still open, cancelled, already awarded) the
 * page says why with a 409; when someone else changed the opportunity meanwhile, the form comes
 * back (409) with everything typed and the new version, saying so. Another organisation's
 * opportunity is not found.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { asc, eq, inArray, or, type SQL } from 'drizzle-orm';
import { Type } from 'typebox';
import type { Config } from '../../../config.js';
import type { DbOrTx } from '../../../db/client.js';
import { NotFoundError } from '../../../errors.js';
import { Form } from '../../../lib/forms.js';
import { londonDate } from '../../../lib/london-time.js';
import type { BuyerMembership } from '../../accounts/accounts.repository.js';
import { actingBuyerOf, actorOf, idFrom, idParams, renderFormPage } from '../../admin/route-helpers.js';
import { suppliers as suppliersTable } from '../../suppliers/suppliers.table.js';
import { EditConflictError, IllegalTransitionError, OpportunityNotFoundError } from '../opportunities.errors.js';
import type { LotRecord } from '../opportunities.rules.js';
import { award, awardRefusal, findStaffOpportunity, publishingContext, type AwardSupplierInput, type StaffOpportunity } from '../opportunities.service.js';
import {
  MAX_SUPPLIERS,
  REGISTERED_LIST_LIMIT,
  awardBody,
  charityRegisterChoices,
  editRows,
  newAwardForm,
  readAwardForm,
  readAwardState,
  sizeChoices,
  supplierField,
  type RegisteredMode,
  type SupplierChoice,
} from './award.form.js';

const NO_OPPORTUNITY = new OpportunityNotFoundError().message;
const LOTS_CHANGED = 'The lots of this opportunity have changed since you opened the form. Go back to the opportunity and choose the lot to award again.';
const editor = { access: 'staff:editor' } as const;
const section = '/manage';

const newAwardQuery = Type.Object(
  {
    lot: Type.Optional(Type.String({ maxLength: 10 })),
    /** Sent by the "choose a lot" form, so that sending it without a lot is an error, not a fresh page. */
    chosen: Type.Optional(Type.String({ maxLength: 10 })),
  },
  { additionalProperties: false },
);

const staffHref = (id: number) => `/manage/opportunities/${id}`;
const awardHref = (id: number, lot?: LotRecord | null) => `/manage/opportunities/${id}/awards/new${lot ? `?lot=${lot.position}` : ''}`;
const lotHeading = (lot: LotRecord | null) => (lot ? `Lot ${lot.position}: ${lot.title}` : 'The whole contract');

/** Suppliers registered on the portal, for the list (name and postcode, by name), or the mode without one. */
async function registeredSuppliers(db: DbOrTx): Promise<{ mode: RegisteredMode; options: { value: string; text: string }[] }> {
  const rows = await db
    .select({ id: suppliersTable.id, name: suppliersTable.name, postcode: suppliersTable.postcode })
    .from(suppliersTable)
    .orderBy(asc(suppliersTable.name), asc(suppliersTable.id))
    .limit(REGISTERED_LIST_LIMIT + 1);
  if (rows.length === 0) return { mode: 'none', options: [] };
  if (rows.length > REGISTERED_LIST_LIMIT) return { mode: 'lookup', options: [] };
  return {
    mode: 'list',
    options: [{ value: '', text: 'Choose a supplier' }, ...rows.map((r) => ({ value: String(r.id), text: r.postcode ? `${r.name} (${r.postcode})` : r.name }))],
  };
}

/**
 * The registered suppliers the rows name, checked against the database: a chosen id must still
 * exist, a typed number must belong to exactly one registered supplier. Problems go on the form.
 */
async function resolveSuppliers(db: DbOrTx, form: Form, choices: SupplierChoice[]): Promise<AwardSupplierInput[]> {
  const ids = choices.flatMap((c) => (c.kind === 'registered' ? [c.supplierId] : []));
  const known = ids.length ? new Set((await db.select({ id: suppliersTable.id }).from(suppliersTable).where(inArray(suppliersTable.id, ids))).map((r) => r.id)) : new Set<number>();
  const resolved: AwardSupplierInput[] = [];
  const chosenIds = new Map<number, number>();
  for (const choice of choices) {
    const n = choice.index + 1;
    if (choice.kind === 'named') {
      const { index: _index, kind: _kind, ...named } = choice;
      resolved.push({ kind: 'named', ...named });
      continue;
    }
    let supplierId: number;
    let field: string;
    if (choice.kind === 'registered') {
      field = supplierField(choice.index, 'supplierId');
      if (!known.has(choice.supplierId)) {
        form.error(field, `Supplier ${n} is no longer registered on this portal: choose it again, or choose “Not registered on this portal”`);
        continue;
      }
      supplierId = choice.supplierId;
    } else {
      field = supplierField(choice.index, 'identifier');
      const conditions: SQL[] = [];
      if (choice.companiesHouseNumber) conditions.push(eq(suppliersTable.companiesHouseNumber, choice.companiesHouseNumber));
      if (choice.charityNumbers.length) conditions.push(inArray(suppliersTable.charityNumber, choice.charityNumbers));
      const found = await db.select({ id: suppliersTable.id }).from(suppliersTable).where(or(...conditions)).limit(2);
      if (found.length !== 1) {
        form.error(
          field,
          found.length === 0
            ? `No supplier registered on this portal has the number ${choice.typed}. Check the number, or choose “Not registered on this portal” and enter the supplier’s details`
            : `More than one supplier registered on this portal has the number ${choice.typed}. Choose “Not registered on this portal” and enter the supplier’s details`,
        );
        continue;
      }
      supplierId = found[0]!.id;
    }
    const earlier = chosenIds.get(supplierId);
    if (earlier !== undefined) {
      form.error(field, `Supplier ${n} is the same as supplier ${earlier + 1}: choose a different supplier or remove it`);
      continue;
    }
    chosenIds.set(supplierId, choice.index);
    resolved.push({ kind: 'registered', supplierId, valuePence: choice.valuePence });
  }
  return resolved;
}

/** The lot a `lot` value (its position) names, or a 404 when there is no such lot. */
function lotAt(current: StaffOpportunity, position: number | null): LotRecord | null {
  if (current.lots.length === 0) {
    if (position !== null) throw new NotFoundError('This opportunity is not split into lots. Go back to the opportunity and award the whole contract.');
    return null;
  }
  const lot = position === null ? undefined : current.lots.find((l) => l.position === position);
  if (!lot) throw new NotFoundError(`This opportunity has no ${position === null ? 'such lot' : `lot ${position}`}. Go back to the opportunity and choose a lot to award.`);
  return lot;
}

const awardRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const db = app.database.db;
  const ctx = () => publishingContext(db, config, app.clock);

  async function load(acting: BuyerMembership, rawId: string): Promise<StaffOpportunity> {
    const current = await findStaffOpportunity(db, acting.buyerId, idFrom(rawId, NO_OPPORTUNITY));
    if (!current) throw new OpportunityNotFoundError();
    return current;
  }

  function refusedPage(reply: FastifyReply, current: StaffOpportunity, message: string) {
    return reply.code(409).view('manage/opportunities/award-refused', {
      title: 'The contract cannot be awarded',
      section,
      backLink: { href: staffHref(current.opportunity.id), text: 'Back to the opportunity' },
      page: {
        message,
        opportunity: { title: current.opportunity.title, href: staffHref(current.opportunity.id) },
        closeHref: current.opportunity.status === 'published' && current.opportunity.stage === 'open' ? `${staffHref(current.opportunity.id)}/close` : null,
      },
    });
  }

  interface FormPageOptions {
    current: StaffOpportunity;
    lot: LotRecord | null;
    form: Form;
    count: number;
    version: number;
    registered: Awaited<ReturnType<typeof registeredSuppliers>>;
    conflict?: boolean;
  }

  function formPage(reply: FastifyReply, options: FormPageOptions) {
    const { current, lot, count, registered } = options;
    const id = current.opportunity.id;
    const data = {
      title: lot ? `Award lot ${lot.position}: ${lot.title}` : 'Award the contract',
      section,
      backLink: { href: lot ? awardHref(id) : staffHref(id), text: 'Back' },
      form: options.form,
      page: {
        opportunity: { id, title: current.opportunity.title, reference: current.opportunity.reference, href: staffHref(id) },
        lot: lot ? { position: lot.position, title: lot.title } : null,
        action: awardHref(id),
        reloadHref: awardHref(id, lot),
        version: options.version,
        lotId: lot ? String(lot.id) : '',
        count,
        maxSuppliers: MAX_SUPPLIERS,
        canAdd: count < MAX_SUPPLIERS,
        conflict: options.conflict ?? false,
        registered: { mode: registered.mode, options: registered.options, listLimit: REGISTERED_LIST_LIMIT },
        sizes: sizeChoices(),
        charityRegisters: charityRegisterChoices(),
        rows: Array.from({ length: count }, (_, index) => ({ index, number: index + 1, canRemove: count > 1 })),
      },
    };
    if (options.conflict) return reply.code(409).view('manage/opportunities/award-form', { ...data, currentPath: reply.request.url.split('?')[0], errors: [], values: options.form.values, errorFor: () => undefined });
    return renderFormPage(reply, 'manage/opportunities/award-form', data);
  }

  app.get('/manage/opportunities/:id/awards/new', { config: editor, schema: { params: idParams, querystring: newAwardQuery } }, async (request, reply) => {
    const current = await load(actingBuyerOf(request), request.params.id);
    const at = app.clock();
    const id = current.opportunity.id;
    const query = request.query;
    const lotText = (query.lot ?? '').trim();

    if (current.lots.length > 0 && lotText === '') {
      // Whether it can be awarded at all (stage, status), regardless of which lots are done.
      const stageRefusal = awardRefusal({ ...current, awards: [] }, current.lots[0]!.id, at);
      if (stageRefusal) return refusedPage(reply, current, stageRefusal);
      const awarded = new Set(current.awards.map((a) => a.lotId));
      const open = current.lots.filter((l) => !awarded.has(l.id));
      if (open.length === 0) return refusedPage(reply, current, 'Every lot of this opportunity has already been awarded.');
      const form = new Form({});
      if (query.chosen !== undefined) form.error('lot', 'Select the lot you are awarding');
      return renderFormPage(reply, 'manage/opportunities/award-lot', {
        title: 'Which lot are you awarding?',
        section,
        backLink: { href: staffHref(id), text: 'Back to the opportunity' },
        form,
        page: {
          opportunity: { id, title: current.opportunity.title, href: staffHref(id) },
          action: awardHref(id),
          lots: open.map((l) => ({ value: String(l.position), text: lotHeading(l) })),
          awarded: current.lots.filter((l) => awarded.has(l.id)).map(lotHeading),
        },
      });
    }

    if (lotText !== '' && !/^\d{1,4}$/.test(lotText)) throw new NotFoundError('There is no such lot. Go back to the opportunity and choose a lot to award.');
    const lot = lotAt(current, lotText === '' ? null : Number(lotText));
    const refusal = awardRefusal(current, lot?.id ?? null, at);
    if (refusal) return refusedPage(reply, current, refusal);
    const registered = await registeredSuppliers(db);
    const form = newAwardForm({
      contractStart: current.opportunity.contractStart,
      contractEnd: current.opportunity.contractEnd,
    });
    return formPage(reply, { current, lot, form, count: 1, version: current.opportunity.version, registered });
  });

  app.post('/manage/opportunities/:id/awards/new', { config: editor, schema: { params: idParams, body: awardBody } }, async (request, reply) => {
    const acting = actingBuyerOf(request);
    const current = await load(acting, request.params.id);
    const state = readAwardState(request.body);
    const lot = current.lots.find((l) => l.id === state.lotId) ?? null;
    if ((current.lots.length > 0) !== (lot !== null)) return refusedPage(reply, current, LOTS_CHANGED);
    const at = app.clock();
    const refusal = awardRefusal(current, lot?.id ?? null, at);
    if (refusal) return refusedPage(reply, current, refusal);
    const registered = await registeredSuppliers(db);
    const page = { current, lot, version: state.version, registered };

    if (state.action.kind !== 'award') {
      const { form, count } = editRows(request.body, state.count, state.action);
      return formPage(reply, { ...page, form, count });
    }

    const form = new Form(request.body);
    const { fields, suppliers } = readAwardForm(form, { count: state.count, today: londonDate(at), mode: registered.mode });
    const resolved = form.failed ? [] : await resolveSuppliers(db, form, suppliers);
    if (form.failed) return formPage(reply, { ...page, form, count: state.count });

    try {
      await award(ctx(), actorOf(request), acting.buyerId, current.opportunity.id, state.version, {
        lotId: lot?.id ?? null,
        awardedOn: fields.awardedOn!,
        valuePence: fields.valuePence,
        contractStart: fields.contractStart,
        contractEnd: fields.contractEnd,
        socialValueCommitments: fields.socialValueCommitments,
        suppliers: resolved,
      });
    } catch (error) {
      if (error instanceof EditConflictError) {
        // Offer the form again (everything typed kept, the new version) if the award still makes sense.
        const now = error.current;
        const sameLot = lot ? (now.lots.find((l) => l.id === lot.id) ?? null) : null;
        if ((now.lots.length > 0) !== (sameLot !== null)) return refusedPage(reply, now, LOTS_CHANGED);
        const stillPossible = awardRefusal(now, sameLot?.id ?? null, app.clock());
        if (stillPossible) return refusedPage(reply, now, stillPossible);
        return formPage(reply, { ...page, current: now, lot: sameLot ?? null, form, count: state.count, version: now.opportunity.version, conflict: true });
      }
      if (error instanceof IllegalTransitionError) return refusedPage(reply, current, error.message);
      throw error;
    }
    request.session.flash = {
      heading: lot ? `Lot ${lot.position} has been awarded` : 'The contract has been awarded',
      body: 'The award is now shown on the opportunity’s public page, with what was recorded about each supplier.',
    };
    return reply.redirect(staffHref(current.opportunity.id), 303);
  });
};

export default awardRoutes;
