/**
 * Drafting an opportunity in steps, previewing it, and edit conflicts:
 *   GET/POST /manage/opportunities/new               the first step; creates the draft
 *   GET/POST /manage/opportunities/:id/edit/:step    each of DRAFT_STEPS (about, categories, lots,
 *                                                    value, dates, responding)
 *   GET      /manage/opportunities/:id/preview       the page as the public will see it
 *
 * Form pages are for editors ('staff:editor'), the preview for anyone on the staff. Every lookup
 * is within the acting organisation: another organisation's id is "not found" and nothing changes.
 * Every form posts the `version` it was built from; the service refuses a stale one
 * (EditConflictError) and the officer gets the conflict page, showing their values beside the
 * saved ones, with "Save my version" (their values again, with the current version) or "Keep the
 * saved version". A cancelled opportunity cannot be changed: a page says so (409).
 *
 * Saving a step goes back to the opportunity's staff page with a "Saved" message, or on to the
 * next step ("Save and continue"); the categories and lots steps change one item at a time and
 * come back to their own page.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { and, desc, eq, min } from 'drizzle-orm';
import { Type } from 'typebox';
import type { Config } from '../../../config.js';
import { BadRequestError, NotFoundError } from '../../../errors.js';
import * as format from '../../../lib/format.js';
import { errorLookup, Form, renderForm } from '../../../lib/forms.js';
import { londonDate } from '../../../lib/london-time.js';
import { actingBuyerOf, actorOf, idParams, noQuery } from '../../admin/route-helpers.js';
import { auditLog } from '../../audit/audit.table.js';
import { cpvPicker } from '../../cpv/cpv.picker.js';
import { findCpvCodes, isCpvCodeFormat } from '../../cpv/cpv.repository.js';
import { releaseHistory, type LatestRelease, type ReleaseSummary } from '../opportunities.repository.js';
import { EditConflictError, IllegalTransitionError, OpportunityNotFoundError } from '../opportunities.errors.js';
import { buildDetail, MAIN_CATEGORIES, parseId, PROCEDURES, RESERVATIONS, STAGES } from '../opportunities.routes.js';
import { DRAFT_STEPS, PUBLISHABLE_STAGES, readinessProblems, tenderPeriodWarnings, type DraftStep, type LotRecord, type OpportunityRecord } from '../opportunities.rules.js';
import {
  createDraft,
  findStaffOpportunity,
  hasUnpublishedChanges,
  plannedNoticeDate,
  publishingContext,
  saveDraft,
  saveLots,
  type DraftFields,
  type LotInput,
  type StaffOpportunity,
} from '../opportunities.service.js';
import { releases } from '../opportunities.table.js';
import { buildCurrentSnapshot, tagsForStage } from '../releases.js';
import {
  BODIES,
  DEFAULT_TIME_WORDS,
  describeLots,
  describeStep,
  lotValues,
  MAX_CPV_CODES,
  readAbout,
  readDates,
  readLot,
  readResponding,
  readValue,
  repostFields,
  RESPONSE_CHOICES,
  STAGE_CHOICES,
  valuesFor,
  versionOf,
  type DescribedField,
  type Parsed,
} from './draft.form.js';

const BASE = '/manage/opportunities';
const section = '/manage';
const staffUrl = (id: number) => `${BASE}/${id}`;
const stepUrl = (id: number, step: DraftStep) => `${BASE}/${id}/edit/${step}`;
const previewUrl = (id: number) => `${BASE}/${id}/preview`;

type FormStep = 'about' | 'value' | 'dates' | 'responding';
const FORM_STEPS: readonly FormStep[] = ['about', 'value', 'dates', 'responding'];

const stepInfo = (step: DraftStep) => DRAFT_STEPS.find((s) => s.slug === step)!;
const nextStep = (step: DraftStep): DraftStep | null => DRAFT_STEPS[DRAFT_STEPS.findIndex((s) => s.slug === step) + 1]?.slug ?? null;

/** Where each field a readiness problem names is on its step page (a date links to its day input). */
function fieldAnchor(field: string): string {
  if (field === 'cpvCodes') return 'q';
  if (field === 'lots') return 'lots';
  if (['engagementEventAt', 'questionsDeadline', 'tenderDeadline', 'expectedAwardDate', 'contractStart', 'contractEnd', 'publishAt'].includes(field)) return `${field}-day`;
  return field;
}

const PUBLISHED_NOTE = 'Changes are not public until you publish them with a note';

const categoriesQuery = Type.Object({ q: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false });
const lotsQuery = Type.Object({ lot: Type.Optional(Type.String({ maxLength: 20 })) }, { additionalProperties: false });

const radioItems = (choices: Record<string, string>) => Object.entries(choices).map(([value, text]) => ({ value, text }));

const draftingRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const db = app.database.db;
  const ctx = () => publishingContext(db, config, app.clock);

  // ---- Loading -----------------------------------------------------------------------------------

  /** The acting organisation's opportunity with the path's `:id`, or "not found". */
  async function load(request: FastifyRequest, rawId: string): Promise<StaffOpportunity> {
    const acting = actingBuyerOf(request);
    const id = parseId(rawId);
    const current = id === null ? null : await findStaffOpportunity(db, acting.buyerId, id);
    if (!current) throw new OpportunityNotFoundError();
    return current;
  }

  /** The day an opportunity is (or was) published on: what reservation thresholds and tender periods are judged by. */
  function publishDay(o: OpportunityRecord, now: Date): Date {
    if (o.status === 'published' || o.status === 'cancelled') return o.firstPublishedAt ?? now;
    return o.publishAt && o.publishAt > now ? o.publishAt : now;
  }

  /** Statutory tender period warnings for the saved working copy (see tenderPeriodWarnings). */
  async function warningsFor(o: OpportunityRecord): Promise<string[]> {
    if (o.stage !== 'open' || !o.tenderDeadline || o.status === 'cancelled') return [];
    const now = app.clock();
    let opened: Date = publishDay(o, now);
    if (o.status === 'published') {
      const [row] = await db.select({ at: min(releases.publishedAt) }).from(releases).where(and(eq(releases.opportunityId, o.id), eq(releases.stage, 'open')));
      opened = row?.at ? new Date(row.at) : opened;
    }
    const planned = await plannedNoticeDate(db, o.id);
    return tenderPeriodWarnings(o, opened, ctx().thresholds, planned).map((w) => w.message);
  }

  // ---- Page data -----------------------------------------------------------------------------------

  const canChooseStage = (o: OpportunityRecord) => o.status === 'draft' || o.status === 'scheduled';

  function stepNavigation(id: number, current: DraftStep | null) {
    return DRAFT_STEPS.map((s) => ({ href: stepUrl(id, s.slug), text: s.title, current: s.slug === current }));
  }

  /** What every step page shows around its form. */
  function frame(current: StaffOpportunity, step: DraftStep) {
    const o = current.opportunity;
    const info = stepInfo(step);
    const next = nextStep(step);
    return {
      title: info.title,
      section,
      backLink: { href: staffUrl(o.id), text: 'Back to the opportunity' },
      page: {
        id: o.id,
        isNew: false,
        caption: o.title,
        heading: info.title,
        step,
        action: stepUrl(o.id, step),
        staffHref: staffUrl(o.id),
        previewHref: previewUrl(o.id),
        steps: stepNavigation(o.id, step),
        published: o.status === 'published',
        publishedNote: PUBLISHED_NOTE,
        version: String(o.version),
        continueText: next ? 'Save and continue' : 'Save and preview',
        nextHref: next ? stepUrl(o.id, next) : previewUrl(o.id),
        nextText: next ? `Continue to ${stepInfo(next).title.toLowerCase()}` : 'Preview the opportunity',
      },
    };
  }

  function choices(o: OpportunityRecord | null) {
    return {
      withStage: o === null || canChooseStage(o),
      stageItems: PUBLISHABLE_STAGES.map((stage) => ({ value: stage, text: STAGE_CHOICES[stage].text, hint: { text: STAGE_CHOICES[stage].hint } })),
      procedureItems: radioItems(PROCEDURES),
      categoryItems: radioItems(MAIN_CATEGORIES),
      reservationItems: radioItems(RESERVATIONS),
      responseItems: radioItems(RESPONSE_CHOICES),
      defaultTimeWords: DEFAULT_TIME_WORDS,
      withPublishAt: o?.status === 'draft',
    };
  }

  async function renderFormStep(reply: FastifyReply, current: StaffOpportunity, step: FormStep, form?: Form) {
    const o = current.opportunity;
    const base = frame(current, step);
    const warnings = step === 'dates' ? await warningsFor(o) : [];
    return renderForm(reply, `manage/opportunities/edit-${step}`, {
      ...base,
      form: form ?? new Form(valuesFor(step, o)),
      page: { ...base.page, ...choices(o), warnings, stageText: canChooseStage(o) ? null : stageWords(o) },
    });
  }

  function stageWords(o: OpportunityRecord): string {
    const choice = (STAGE_CHOICES as Record<string, { text: string }>)[o.stage];
    return choice ? choice.text : `${STAGES[o.stage].label} (${STAGES[o.stage].description.toLowerCase()})`;
  }

  /** A cancelled opportunity (or a change the lifecycle does not allow): a page saying why, 409. */
  function refused(reply: FastifyReply, current: StaffOpportunity, message: string) {
    const o = current.opportunity;
    return reply.code(409).view('manage/opportunities/edit-refused', {
      title: 'You cannot change this opportunity',
      section,
      backLink: { href: staffUrl(o.id), text: 'Back to the opportunity' },
      page: { caption: o.title, message, staffHref: staffUrl(o.id), previewHref: previewUrl(o.id) },
    });
  }

  const cancelledMessage = 'This opportunity has been cancelled: it can no longer be changed.';

  /** Someone saved in between: both versions side by side, nothing saved. */
  async function conflict(
    reply: FastifyReply,
    error: EditConflictError,
    page: { step: DraftStep; yours: DescribedField[]; saved: DescribedField[]; action: string; repost: [string, string][]; backHref: string },
  ) {
    const o = error.current.opportunity;
    const [last] = await db
      .select({ actorLabel: auditLog.actorLabel, actorUserId: auditLog.actorUserId, at: auditLog.at })
      .from(auditLog)
      .where(and(eq(auditLog.entityType, 'opportunity'), eq(auditLog.entityId, String(o.id))))
      .orderBy(desc(auditLog.at), desc(auditLog.id))
      .limit(1);
    const rows = page.yours.map((mine, index) => {
      const saved = page.saved[index];
      return { label: mine.label, yours: mine.text, saved: saved?.text ?? '', different: mine.text !== (saved?.text ?? '') };
    });
    const you = last?.actorUserId != null && last.actorUserId === reply.request.user?.id;
    return reply.code(409).view('manage/opportunities/conflict', {
      title: you ? 'This opportunity was changed in another window' : 'Someone else changed this opportunity',
      section,
      backLink: { href: page.backHref, text: 'Back' },
      page: {
        caption: o.title,
        stepTitle: stepInfo(page.step).title,
        changedBy: last ? { name: last.actorLabel, you, when: format.dateTime(last.at), iso: format.iso(last.at) } : null,
        rows,
        differences: rows.filter((r) => r.different).length,
        action: page.action,
        repost: page.repost,
        version: String(o.version),
        keepHref: page.backHref,
        staffHref: staffUrl(o.id),
      },
    });
  }

  /** Runs a save; a conflict or a refusal becomes its page, anything else is rethrown. */
  async function attempt(reply: FastifyReply, current: StaffOpportunity, save: () => Promise<unknown>, onConflict: (error: EditConflictError) => Promise<unknown>): Promise<'saved' | { page: unknown }> {
    try {
      await save();
      return 'saved';
    } catch (error) {
      if (error instanceof EditConflictError) return { page: await onConflict(error) };
      if (error instanceof IllegalTransitionError) return { page: await refused(reply, current, error.message) };
      throw error;
    }
  }

  function savedFlash(request: FastifyRequest, o: OpportunityRecord, extra: string[] = []) {
    const notes = [...(o.status === 'published' ? [`${PUBLISHED_NOTE}.`] : []), ...extra.map((w) => `Check the tender period: ${w}.`)];
    request.session.flash = notes.length ? { heading: 'Saved', body: notes.join(' ') } : { heading: 'Saved' };
  }

  // ---- The first step: a new draft ------------------------------------------------------------

  function newPage(form?: Form) {
    return {
      title: 'Create an opportunity',
      section,
      backLink: { href: BASE, text: 'Back to your opportunities' },
      form: form ?? new Form({}),
      page: {
        id: null,
        isNew: true,
        caption: 'New opportunity',
        heading: 'About the contract',
        step: 'about',
        action: `${BASE}/new`,
        steps: [],
        published: false,
        continueText: 'Save and continue',
        ...choices(null),
        stageText: null,
      },
    };
  }

  app.get(`${BASE}/new`, { config: { access: 'staff:editor' }, schema: { querystring: noQuery } }, async (_request, reply) => renderForm(reply, 'manage/opportunities/edit-about', newPage()));

  app.post(`${BASE}/new`, { config: { access: 'staff:editor' }, schema: { querystring: noQuery, body: BODIES.about } }, async (request, reply) => {
    const acting = actingBuyerOf(request);
    const { form, fields } = readAbout(request.body, { withStage: true });
    if (form.failed) return renderForm(reply, 'manage/opportunities/edit-about', newPage(form));
    const created = await createDraft(ctx(), actorOf(request), acting.buyerId, fields);
    request.session.flash = { heading: 'Draft saved', body: 'Nobody outside your organisation can see it until you publish it. Next, choose its categories.' };
    return reply.redirect(stepUrl(created.id, 'categories'), 303);
  });

  // ---- Steps with one form: about, value, dates, responding ---------------------------------------

  function readStep(step: FormStep, body: unknown, o: OpportunityRecord): Parsed<DraftFields> {
    switch (step) {
      case 'about':
        return readAbout(body, { withStage: canChooseStage(o) });
      case 'value':
        return readValue(body, { mainCategory: o.mainCategory, cpvCodes: o.cpvCodes, thresholds: ctx().thresholds, onDate: londonDate(publishDay(o, app.clock())) });
      case 'dates':
        return readDates(body, { withPublishAt: o.status === 'draft' });
      case 'responding':
        return readResponding(body);
    }
  }

  const describeOptions = (o: OpportunityRecord) => ({ withStage: canChooseStage(o), withPublishAt: o.status === 'draft' });

  for (const step of FORM_STEPS) {
    app.get(`${BASE}/:id/edit/${step}`, { config: { access: 'staff:editor' }, schema: { params: idParams, querystring: noQuery } }, async (request, reply) => {
      const current = await load(request, request.params.id);
      if (current.opportunity.status === 'cancelled') return refused(reply, current, cancelledMessage);
      return renderFormStep(reply, current, step);
    });

    app.post(`${BASE}/:id/edit/${step}`, { config: { access: 'staff:editor' }, schema: { params: idParams, querystring: noQuery, body: BODIES[step] } }, async (request, reply) => {
      const current = await load(request, request.params.id);
      const o = current.opportunity;
      if (o.status === 'cancelled') return refused(reply, current, cancelledMessage);
      const version = versionOf(request.body);
      const { form, fields } = readStep(step, request.body, o);
      if (form.failed) return renderFormStep(reply, current, step, form);

      const outcome = await attempt(
        reply,
        current,
        () => saveDraft(ctx(), actorOf(request), o.buyerId, o.id, version, fields),
        (error) => {
          const saved = error.current.opportunity;
          return conflict(reply, error, {
            step,
            yours: describeStep(step, { ...saved, ...fields } as OpportunityRecord, describeOptions(saved)),
            saved: describeStep(step, saved, describeOptions(saved)),
            action: stepUrl(o.id, step),
            repost: repostFields(form),
            backHref: stepUrl(o.id, step),
          });
        },
      );
      if (outcome !== 'saved') return outcome.page;

      const fresh = (await findStaffOpportunity(db, o.buyerId, o.id))!;
      const warnings = step === 'dates' ? await warningsFor(fresh.opportunity) : [];
      savedFlash(request, fresh.opportunity, warnings);
      const next = nextStep(step);
      if (form.string('next') === 'continue') return reply.redirect(next ? stepUrl(o.id, next) : previewUrl(o.id), 303);
      return reply.redirect(staffUrl(o.id), 303);
    });
  }

  // ---- Categories: the CPV picker --------------------------------------------------------------

  async function renderCategories(reply: FastifyReply, current: StaffOpportunity, query: string, form?: Form) {
    const o = current.opportunity;
    const base = frame(current, 'categories');
    const picker = await cpvPicker(db, {
      action: stepUrl(o.id, 'categories'),
      query,
      chosenCodes: o.cpvCodes,
      max: MAX_CPV_CODES,
      errorMessage: form?.messageFor('q'),
      chosenHeading: 'Categories you have chosen',
      searchHint: 'Type a few words about what you are buying, like “grass cutting”, “catering” or “building repairs”, or the first digits of a code.',
      hiddenFields: { version: String(o.version) },
    });
    // The picker lists codes in code order; the opportunity's order matters (the first is the main one).
    const chosen = o.cpvCodes.map((code) => picker.chosen.find((c) => c.code === code)).filter((c) => c !== undefined);
    return renderForm(reply, 'manage/opportunities/edit-categories', {
      ...base,
      form: form ?? new Form({ q: query }),
      page: { ...base.page, picker: { ...picker, chosen }, main: chosen[0] ?? null, max: MAX_CPV_CODES },
    });
  }

  const categoriesBack = (id: number, q: string) => (q.trim() ? `${stepUrl(id, 'categories')}?${new URLSearchParams({ q: q.trim() }).toString()}` : stepUrl(id, 'categories'));

  app.get(`${BASE}/:id/edit/categories`, { config: { access: 'staff:editor' }, schema: { params: idParams, querystring: categoriesQuery } }, async (request, reply) => {
    const current = await load(request, request.params.id);
    if (current.opportunity.status === 'cancelled') return refused(reply, current, cancelledMessage);
    return renderCategories(reply, current, request.query.q ?? '');
  });

  app.post(`${BASE}/:id/edit/categories`, { config: { access: 'staff:editor' }, schema: { params: idParams, querystring: noQuery, body: BODIES.categories } }, async (request, reply) => {
    const current = await load(request, request.params.id);
    const o = current.opportunity;
    if (o.status === 'cancelled') return refused(reply, current, cancelledMessage);
    const version = versionOf(request.body);
    const form = new Form(request.body);
    const q = form.string('q');
    const add = form.string('add').trim();
    const remove = form.string('remove').trim();

    let codes: string[] | null = null;
    let done: { heading: string; body?: string } | null = null;
    if (add) {
      const [found] = isCpvCodeFormat(add) ? await findCpvCodes(db, [add]) : [];
      if (!found) form.error('q', 'Choose a category from the search results: the one sent is not in the list of categories');
      else if (!o.cpvCodes.includes(add) && o.cpvCodes.length >= MAX_CPV_CODES) form.error('q', `You can choose up to ${MAX_CPV_CODES} categories. Remove one before you add another`);
      if (form.failed) return renderCategories(reply, current, q, form);
      if (!o.cpvCodes.includes(add)) {
        codes = [...o.cpvCodes, add];
        done = { heading: 'Category added', body: o.cpvCodes.length === 0 ? `${found!.description} is the main category.` : found!.description };
      }
    } else if (remove && o.cpvCodes.includes(remove)) {
      codes = o.cpvCodes.filter((c) => c !== remove);
      const [found] = await findCpvCodes(db, [remove]);
      done = { heading: 'Category removed', ...(found ? { body: found.description } : {}) };
    }
    if (codes === null) return reply.redirect(categoriesBack(o.id, q), 303);

    const wanted = codes;
    const outcome = await attempt(
      reply,
      current,
      () => saveDraft(ctx(), actorOf(request), o.buyerId, o.id, version, { cpvCodes: wanted }),
      async (error) => {
        const saved = error.current.opportunity.cpvCodes;
        const yours = add ? (saved.includes(add) ? saved : [...saved, add]) : saved.filter((c) => c !== remove);
        const described = new Map((await findCpvCodes(db, [...saved, ...yours])).map((c) => [c.code, c.description]));
        const listOf = (list: string[]) => (list.length ? list.map((c, i) => `${c} ${described.get(c) ?? ''}${i === 0 ? ' (main)' : ''}`.trim()).join('\n') : 'No categories');
        return conflict(reply, error, {
          step: 'categories',
          yours: [{ label: 'Categories', text: listOf(yours) }],
          saved: [{ label: 'Categories', text: listOf(saved) }],
          action: stepUrl(o.id, 'categories'),
          repost: repostFields(form),
          backHref: stepUrl(o.id, 'categories'),
        });
      },
    );
    if (outcome !== 'saved') return outcome.page;
    if (done) request.session.flash = done;
    return reply.redirect(categoriesBack(o.id, q), 303);
  });

  // ---- Lots: add, change, remove ---------------------------------------------------------------

  type LotMode = { kind: 'add' } | { kind: 'edit'; lot: LotRecord };

  async function renderLots(reply: FastifyReply, current: StaffOpportunity, mode: LotMode, form?: Form, status?: number) {
    const o = current.opportunity;
    const base = frame(current, 'lots');
    const awarded = new Set(current.awards.map((a) => a.lotId));
    const page = {
      ...base.page,
      lots: current.lots.map((lot) => ({
        ...lot,
        value: lot.valuePence === null ? 'Not given' : format.money(lot.valuePence),
        awarded: awarded.has(lot.id),
        changeHref: `${stepUrl(o.id, 'lots')}?lot=${lot.id}#lotTitle`,
      })),
      wholeContractAwarded: current.awards.some((a) => a.lotId === null),
      mode: mode.kind,
      editing: mode.kind === 'edit' ? { id: mode.lot.id, position: mode.lot.position, title: mode.lot.title } : null,
      lotsHref: stepUrl(o.id, 'lots'),
    };
    const values = form ?? new Form(mode.kind === 'edit' ? lotValues(mode.lot) : {});
    if (status) {
      // A refusal by the service (e.g. removing an awarded lot): the page with its message as the error.
      return reply.code(status).view('manage/opportunities/edit-lots', { ...base, currentPath: stepUrl(o.id, 'lots'), page, errors: values.errors, values: values.values, errorFor: errorLookup(values) });
    }
    return renderForm(reply, 'manage/opportunities/edit-lots', { ...base, form: values, page });
  }

  function lotFromQuery(current: StaffOpportunity, raw: string | undefined): LotMode {
    if (raw === undefined) return { kind: 'add' };
    const id = parseId(raw);
    const lot = current.lots.find((l) => l.id === id);
    if (!lot) throw new NotFoundError('There is no such lot in this opportunity. It may have been removed. Go back to the list of lots.');
    return { kind: 'edit', lot };
  }

  app.get(`${BASE}/:id/edit/lots`, { config: { access: 'staff:editor' }, schema: { params: idParams, querystring: lotsQuery } }, async (request, reply) => {
    const current = await load(request, request.params.id);
    if (current.opportunity.status === 'cancelled') return refused(reply, current, cancelledMessage);
    return renderLots(reply, current, lotFromQuery(current, request.query.lot));
  });

  app.post(`${BASE}/:id/edit/lots`, { config: { access: 'staff:editor' }, schema: { params: idParams, querystring: noQuery, body: BODIES.lots } }, async (request, reply) => {
    const current = await load(request, request.params.id);
    const o = current.opportunity;
    if (o.status === 'cancelled') return refused(reply, current, cancelledMessage);
    const version = versionOf(request.body);
    const body = request.body as Record<string, string | undefined>;
    const action = body.action;
    if (action !== 'add' && action !== 'edit' && action !== 'remove') throw new BadRequestError('The form you sent was incomplete, so nothing has been saved. Go back, reload the page and try again.');

    // The lot being changed or removed, if it still exists.
    const lotId = action === 'add' ? null : parseId(body.lot ?? '');
    const lot = lotId === null ? undefined : current.lots.find((l) => l.id === lotId);
    const stale = version !== o.version;
    if (action !== 'add' && !lot && !stale) throw new NotFoundError('There is no such lot in this opportunity. It may have been removed. Go back to the list of lots.');

    let input: (LotInput & { id?: number | null })[] = current.lots;
    let done = '';
    let parsed: Parsed<LotInput> | null = null;
    if (action === 'add' || action === 'edit') {
      parsed = readLot(request.body);
      if (parsed.form.failed) return renderLots(reply, current, action === 'edit' && lot ? { kind: 'edit', lot } : { kind: 'add' }, parsed.form);
      const fields = parsed.fields;
      input = action === 'add' ? [...current.lots, fields] : current.lots.map((l) => (l.id === lotId ? { ...l, ...fields } : l));
      done = action === 'add' ? `Lot ${current.lots.length + 1} added` : `Lot ${lot?.position ?? ''} changed`;
    } else {
      input = current.lots.filter((l) => l.id !== lotId);
      done = `Lot ${lot?.position ?? ''} removed`;
    }

    try {
      await saveLots(ctx(), actorOf(request), o.buyerId, o.id, version, input);
    } catch (error) {
      if (error instanceof EditConflictError) {
        const savedLots = error.current.lots;
        const savedLot = savedLots.find((l) => l.id === lotId);
        const lotWords = (l: { title: string; description: string; valuePence: number | null } | undefined, missing: string): DescribedField[] => [
          { label: 'Lot title', text: l ? l.title : missing },
          { label: 'Lot description', text: l ? l.description || 'Not given' : missing },
          { label: 'Lot value', text: l ? (l.valuePence === null ? 'Not given' : format.money(l.valuePence)) : missing },
        ];
        const yours =
          action === 'add' ? [...savedLots, parsed!.fields] : action === 'edit' ? savedLots.map((l) => (l.id === lotId ? { ...l, ...parsed!.fields } : l)) : savedLots.filter((l) => l.id !== lotId);
        return conflict(reply, error, {
          step: 'lots',
          yours: [{ label: 'Lots', text: describeLots(yours) }, ...(action === 'edit' ? lotWords(parsed!.fields, '') : [])],
          saved: [{ label: 'Lots', text: describeLots(savedLots) }, ...(action === 'edit' ? lotWords(savedLot, 'This lot has been removed') : [])],
          action: stepUrl(o.id, 'lots'),
          repost: repostFields(new Form(request.body)),
          backHref: stepUrl(o.id, 'lots'),
        });
      }
      if (error instanceof IllegalTransitionError) {
        const form = parsed?.form ?? new Form({});
        form.error('lots', error.message);
        return renderLots(reply, current, { kind: 'add' }, form, 409);
      }
      throw error;
    }
    request.session.flash = o.status === 'published' ? { heading: done, body: `${PUBLISHED_NOTE}.` } : { heading: done };
    return reply.redirect(stepUrl(o.id, 'lots'), 303);
  });

  // ---- Preview ---------------------------------------------------------------------------------

  app.get(`${BASE}/:id/preview`, { config: { access: 'staff:viewer' }, schema: { params: idParams, querystring: noQuery } }, async (request, reply) => {
    const current = await load(request, request.params.id);
    const o = current.opportunity;
    const now = app.clock();
    const history = await releaseHistory(db, o.id);
    const unpublished = history.length === 0 ? true : await hasUnpublishedChanges(db, config.ocidPrefix, o.id);
    const last = history.at(-1);
    const snapshot = await buildCurrentSnapshot(db, config.ocidPrefix, o.id, unpublished || !last ? now : last.publishedAt);

    // The release publishing would write now (or the latest, when nothing has changed since).
    let release: ReleaseSummary;
    if (unpublished || !last) {
      const sequence = (last?.sequence ?? 0) + 1;
      release = {
        id: 0,
        releaseId: `${snapshot.ocid}-${sequence}`,
        sequence,
        tags: tagsForStage(o.stage, o.status === 'cancelled'),
        publishedAt: now,
        changeNote: sequence > 1 ? 'The note you give when you publish these changes' : null,
      };
    } else {
      release = last;
    }
    const latest: LatestRelease = { release, snapshot, history: release === last ? history : [...history, release] };
    const detail = buildDetail(latest);
    const deadline = detail.o.dates.tenderDeadline;

    const published = o.status === 'published';
    const problems =
      o.status === 'cancelled' ? [] : readinessProblems(o, current.lots, o.stage, ctx().thresholds, published ? now : publishDay(o, now)).filter((p) => !published || o.stage === 'open' || p.field !== 'tenderDeadline');
    const acting = actingBuyerOf(request);
    return reply.view('manage/opportunities/preview', {
      title: `Preview: ${o.title}`,
      section,
      backLink: { href: staffUrl(o.id), text: 'Back to the opportunity' },
      page: { ...detail, timeLeft: deadline && detail.o.stage === 'open' && !detail.o.cancelled ? format.timeLeft(deadline, now) : null },
      preview: {
        id: o.id,
        status: o.status,
        published,
        unpublished,
        cancelled: o.status === 'cancelled',
        canEdit: acting.role !== 'viewer' && o.status !== 'cancelled',
        staffHref: staffUrl(o.id),
        problems: problems.map((p) => ({ text: p.message, href: `${stepUrl(o.id, p.step as DraftStep)}#${fieldAnchor(p.field)}` })),
        steps: stepNavigation(o.id, null),
      },
    });
  });
};

export default draftingRoutes;
