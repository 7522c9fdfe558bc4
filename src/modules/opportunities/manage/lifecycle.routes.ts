/**
 * The staff page of one opportunity (GET /manage/opportunities/:id, viewers and above) and its
 * lifecycle actions (editors): publish now, schedule, unschedule, move to the next stage, publish
 * changes (an amendment with a public note), close early and cancel. Awards have their own routes
 * (awards.routes.ts); the drafting steps and the preview theirs (drafting.routes.ts).
 *
 * Each action is a GET page (a confirmation or a short form) and a POST that calls the publishing
 * service with the `version` the officer saw (a hidden field). The service decides what is legal;
 * the routes turn its refusals into pages:
 *   - form errors: 400, the GOV.UK error pattern, everything typed kept;
 *   - NotReadyError: 400, the problems as an error summary linking to the drafting steps;
 *   - IllegalTransitionError: 409, its message and a link back;
 *   - EditConflictError: 409, what changed since the page was opened (status, stage, version) and
 *     a link to reload. Nothing is written in any of these cases.
 * Every lookup is scoped to the acting organisation: another organisation's id is a 404.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { and, count, desc, eq } from 'drizzle-orm';
import { Type, type TSchema } from 'typebox';
import type { Config } from '../../../config.js';
import { BadRequestError } from '../../../errors.js';
import * as format from '../../../lib/format.js';
import { errorLookup, Form, type FieldError } from '../../../lib/forms.js';
import { londonDate, londonTime } from '../../../lib/london-time.js';
import { ROLE_RANK } from '../../../plugins/access.js';
import type { BuyerMembership } from '../../accounts/accounts.repository.js';
import { actingBuyerOf, actorOf, formBody, idParams, noQuery } from '../../admin/route-helpers.js';
import { auditLog } from '../../audit/audit.table.js';
import { PUBLISH_DUE_JOB } from '../../jobs/handlers/opportunities.jobs.js';
import { EditConflictError, IllegalTransitionError, NotReadyError, OpportunityNotFoundError, type ReadinessProblem } from '../opportunities.errors.js';
import { MAIN_CATEGORIES, parseId, PROCEDURES, RESERVATIONS, STAGES, type Tag } from '../opportunities.routes.js';
import { DRAFT_STEPS, readinessProblems, tenderPeriodWarnings, type OpportunityRecord } from '../opportunities.rules.js';
import {
  amendRefusal,
  awardRefusal,
  cancel,
  cancelRefusal,
  closeEarly,
  closeRefusal,
  findStaffOpportunity,
  hasUnpublishedChanges,
  moveStage,
  nextStages,
  plannedNoticeDate,
  publishAmendment,
  publishingContext,
  publishNow,
  publishRefusal,
  schedule,
  stageRefusal,
  unschedule,
  unscheduleRefusal,
  type PublishingContext,
  type StaffOpportunity,
} from '../opportunities.service.js';
import type { PublicOpportunity } from '../opportunities.snapshot.js';
import { NOTICE_STAGES, OPPORTUNITY_STATUSES, releases, type NoticeStage, type OpportunityStatus } from '../opportunities.table.js';
import { buildCurrentSnapshot } from '../releases.js';

const BASE = '/manage/opportunities';
const NOTE_MAX = 1000;
const AUDIT_SHOWN = 50;
const CHANGES_SHOWN = 10;
const VALUE_MAX_CHARS = 120;
const DEFAULT_PUBLISH_TIME = '09:00';

export const staffPageHref = (id: number) => `${BASE}/${id}`;
const stepHref = (id: number, step: string) => `${BASE}/${id}/edit/${step}`;

// ---- Plain words -------------------------------------------------------------------------------

const STATUS_TAGS: Record<OpportunityStatus, Tag> = {
  draft: { text: 'Draft', classes: 'govuk-tag--yellow' },
  scheduled: { text: 'Scheduled', classes: 'govuk-tag--blue' },
  published: { text: 'Published', classes: 'govuk-tag--green' },
  cancelled: { text: 'Cancelled', classes: 'govuk-tag--red' },
};

const STATUS_WORDS: Record<OpportunityStatus, string> = {
  draft: 'a draft',
  scheduled: 'scheduled to be published',
  published: 'published',
  cancelled: 'cancelled',
};

/** What moving to a stage means, for the stage page's radios. */
const MOVE_WORDS: Partial<Record<NoticeStage, { text: string; hint: string }>> = {
  planned: { text: 'Planned', hint: 'You are planning this contract and want to hear from suppliers, for example at an event. Bids are not open yet.' },
  open: { text: 'Open for bids', hint: 'Suppliers can respond now, until the deadline for bids.' },
};

const TAG_WORDS: Record<string, string> = {
  planning: 'Planning notice',
  planningUpdate: 'Planning notice changed',
  tender: 'Tender notice (open for bids)',
  tenderAmendment: 'Tender notice changed',
  tenderUpdate: 'Closed for bids',
  award: 'Award notice',
  awardUpdate: 'Award notice changed',
  contract: 'Contract details',
  tenderCancellation: 'Cancellation notice',
};

const ACTION_WORDS: Record<string, string> = {
  'opportunity.created': 'Started the draft',
  'opportunity.edited': 'Edited the details',
  'opportunity.lots_changed': 'Changed the lots',
  'opportunity.scheduled': 'Scheduled publishing',
  'opportunity.unscheduled': 'Stopped scheduled publishing',
  'opportunity.schedule_failed': 'Could not publish at the time set, so it went back to being a draft',
  'opportunity.published': 'Published',
  'opportunity.stage_changed': 'Moved to another stage',
  'opportunity.amended': 'Published changes',
  'opportunity.closed_early': 'Closed for bids early',
  'opportunity.closed': 'Closed for bids (the deadline passed)',
  'opportunity.cancelled': 'Cancelled',
  'opportunity.award_added': 'Awarded',
};

/** Names of the fields audit entries and snapshots use (last segment of a dotted path, or the whole path). */
const FIELD_LABELS: Record<string, string> = {
  title: 'Title',
  summary: 'Summary',
  description: 'Description',
  procedure: 'Procedure',
  mainCategory: 'Type of contract',
  cpvCodes: 'Categories',
  cpv: 'Categories',
  reference: 'Reference',
  status: 'Status',
  stage: 'Stage',
  cancelled: 'Cancelled',
  cancellationReason: 'Reason for cancelling',
  valueMinPence: 'Lowest value',
  valueMaxPence: 'Highest value',
  'value.minPence': 'Lowest value',
  'value.maxPence': 'Highest value',
  valueIncludesVat: 'Value includes VAT',
  'value.includesVat': 'Value includes VAT',
  'value.currency': 'Currency',
  deliveryLocation: 'Where the work is',
  suitableForSme: 'Suitable for small and medium-sized businesses',
  suitableForVcse: 'Suitable for charities and social enterprises',
  reservation: 'Reserved for',
  socialValueLocalJobs: 'Social value: local jobs',
  socialValueApprenticeships: 'Social value: apprenticeships',
  socialValueOther: 'Social value: other',
  'socialValue.localJobs': 'Social value: local jobs',
  'socialValue.apprenticeships': 'Social value: apprenticeships',
  'socialValue.other': 'Social value: other',
  publishAt: 'Publish at',
  engagementEventAt: 'Event for suppliers',
  engagementEventDetails: 'Event details',
  questionsDeadline: 'Deadline for questions',
  tenderDeadline: 'Deadline for bids',
  expectedAwardDate: 'Expected award date',
  contractStart: 'Contract start',
  contractEnd: 'Contract end',
  extensions: 'Extensions',
  contactName: 'Contact name',
  contactEmail: 'Contact email',
  contactPhone: 'Contact telephone',
  'contact.name': 'Contact name',
  'contact.email': 'Contact email',
  'contact.phone': 'Contact telephone',
  responseMethod: 'How to respond',
  'response.method': 'How to respond',
  externalResponseUrl: 'Where to respond',
  'response.url': 'Where to respond',
  externalResponseReference: 'Reference to quote',
  'response.reference': 'Reference to quote',
  officialNoticeId: 'Official notice',
  officialNoticeUrl: 'Official notice link',
  'officialNotice.id': 'Official notice',
  'officialNotice.url': 'Official notice link',
  lots: 'Lots',
  awards: 'Awards',
  awardId: 'Award',
  lotId: 'Lot',
  suppliers: 'Suppliers',
  releaseId: 'Release',
  tags: 'Kind of notice',
  changeNote: 'Public note',
  problems: 'What stopped it',
};

/** Keys that say nothing an officer needs in a summary of changes (the release's id and kind are in the releases table). */
const IGNORED_PATHS = new Set(['firstPublishedAt', 'ocid', 'id', 'releaseId', 'tags']);

/** Facts about a release stored beside the changes it made: shown as they are, not as a change. */
const RELEASE_PATHS = new Set(['changeNote']);

/** Coded values in words. */
const VALUE_WORDS: Record<string, Record<string, string>> = {
  status: Object.fromEntries(OPPORTUNITY_STATUSES.map((s) => [s, STATUS_TAGS[s].text])),
  stage: Object.fromEntries(NOTICE_STAGES.map((s) => [s, STAGES[s].label])),
  mainCategory: MAIN_CATEGORIES,
  procedure: PROCEDURES,
  reservation: RESERVATIONS,
};

const FIELD_ORDER = Object.keys(FIELD_LABELS);

/** Fields in the order of FIELD_LABELS (the order of the drafting steps); unknown ones after, as they came. */
function fieldOrder(path: string): number {
  const at = FIELD_ORDER.indexOf(path);
  const last = FIELD_ORDER.indexOf(path.split('.').at(-1) ?? '');
  return at >= 0 ? at : last >= 0 ? last : FIELD_ORDER.length;
}

function labelFor(path: string): string {
  const known = FIELD_LABELS[path] ?? FIELD_LABELS[path.split('.').at(-1) ?? ''];
  if (known) return known;
  const words = (path.split('.').at(-1) ?? path).replace(/Pence$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function truncate(text: string): string {
  return text.length > VALUE_MAX_CHARS ? `${text.slice(0, VALUE_MAX_CHARS - 1)}…` : text;
}

const isEmpty = (value: unknown) => value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);

/** A stored value in words: dates in London time, money in pounds, lists by their names. */
function describeValue(path: string, value: unknown): string {
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return 'nothing';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'number') return /Pence$/.test(path) ? format.money(value) : String(value);
  if (typeof value === 'string') {
    if (/^\d{4}-\d{2}-\d{2}T/.test(value)) return format.dateTime(value);
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return format.date(value);
    const coded = VALUE_WORDS[path.split('.').at(-1) ?? '']?.[value];
    if (coded) return coded;
    return truncate(value.replace(/\s+/g, ' ').trim());
  }
  if (Array.isArray(value)) {
    if (path.endsWith('tags')) return value.map((t) => TAG_WORDS[String(t)] ?? String(t)).join(', ');
    const names = value.map((item) => {
      if (item && typeof item === 'object') {
        const o = item as Record<string, unknown>;
        const name = o.title ?? o.name ?? o.code;
        return typeof name === 'string' ? name : null;
      }
      return typeof item === 'string' || typeof item === 'number' ? String(item) : null;
    });
    return names.every((n) => n !== null) ? truncate(names.join(', ')) : format.plural(value.length, 'item', 'items');
  }
  return truncate(JSON.stringify(value));
}

/** Nested objects as dotted paths (two levels), so a change to one date shows as that date. */
function flatten(value: unknown, prefix = '', out = new Map<string, unknown>(), depth = 0): Map<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value) && depth < 2) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out, depth + 1);
  } else if (prefix) out.set(prefix, value);
  return out;
}

/** JSON with object keys sorted: stored JSON (jsonb) comes back with its keys in another order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([x], [y]) => x.localeCompare(y))) : inner,
  );
}

export interface Change {
  label: string;
  before: string | null;
  after: string;
}

/** What differs between two records (an audit entry's before and after, or two snapshots), in words. */
export function describeChanges(before: unknown, after: unknown): { changes: Change[]; more: number } {
  const old = before && typeof before === 'object' ? flatten(before) : new Map<string, unknown>();
  const now = after && typeof after === 'object' ? flatten(after) : new Map<string, unknown>();
  const paths = [...new Set([...now.keys(), ...old.keys()])].filter((p) => !IGNORED_PATHS.has(p) && !p.startsWith('buyer.')).sort((a, b) => fieldOrder(a) - fieldOrder(b));
  const changes: Change[] = [];
  for (const path of paths) {
    const a = old.get(path);
    const b = now.get(path);
    const asItIs = old.size === 0 || RELEASE_PATHS.has(path);
    if (asItIs ? isEmpty(b) : stableJson(a) === stableJson(b)) continue;
    const before = asItIs ? null : describeValue(path, a);
    let after = describeValue(path, b);
    // Lists compared by names can read the same when something else in them changed.
    if (before === after) after = `${after} (details changed)`;
    changes.push({ label: labelFor(path), before, after });
  }
  return { changes: changes.slice(0, CHANGES_SHOWN), more: Math.max(0, changes.length - CHANGES_SHOWN) };
}

// ---- Reading the opportunity --------------------------------------------------------------------

interface Loaded {
  acting: BuyerMembership;
  id: number;
  current: StaffOpportunity;
}

const canEdit = (acting: BuyerMembership) => ROLE_RANK[acting.role] >= ROLE_RANK.editor;

function statusTags(o: OpportunityRecord): Tag[] {
  if (o.status === 'published') return [{ text: STAGES[o.stage].label, classes: STAGES[o.stage].classes }];
  if (o.status === 'cancelled') return [STATUS_TAGS.cancelled];
  return [STATUS_TAGS[o.status]];
}

/** The problems as error-summary entries, each linking to its drafting step. */
function problemErrors(id: number, problems: ReadinessProblem[]): FieldError[] {
  return problems.map((p) => ({ field: p.field, message: p.message, href: `${stepHref(id, p.step)}#${p.field}` }));
}

/** Whether the officer has filled in anything of a step (for its task-list status). */
function stepStarted(step: string, current: StaffOpportunity): boolean {
  const o = current.opportunity;
  switch (step) {
    case 'about':
      return Boolean(o.summary.trim() || o.description.trim());
    case 'categories':
      return o.cpvCodes.length > 0;
    case 'lots':
      return current.lots.length > 0;
    case 'value':
      return o.valueMinPence !== null || o.valueMaxPence !== null || Boolean(o.deliveryLocation) || o.suitableForSme || o.suitableForVcse || o.reservation !== 'none' || o.socialValueLocalJobs || o.socialValueApprenticeships || Boolean(o.socialValueOther);
    case 'dates':
      return [o.engagementEventAt, o.questionsDeadline, o.tenderDeadline, o.expectedAwardDate, o.contractStart, o.contractEnd].some((d) => d !== null);
    case 'responding':
      return Boolean(o.contactEmail || o.contactName || o.contactPhone || o.externalResponseUrl || o.officialNoticeId);
    default:
      return false;
  }
}

/** The drafting steps as a GOV.UK task list: a step with problems is incomplete (or wrong), else completed or optional. */
function taskList(id: number, current: StaffOpportunity, problems: ReadinessProblem[], editable: boolean) {
  const o = current.opportunity as unknown as Record<string, unknown>;
  const items: Record<string, unknown>[] = DRAFT_STEPS.map((step) => {
    const mine = problems.filter((p) => p.step === step.slug);
    let status: Record<string, unknown>;
    if (mine.some((p) => !isEmpty(o[p.field]))) status = { tag: { text: 'There is a problem', classes: 'govuk-tag--red' } };
    else if (mine.length > 0) status = { tag: { text: stepStarted(step.slug, current) ? 'Incomplete' : 'Not yet started', classes: 'govuk-tag--blue' } };
    else if (stepStarted(step.slug, current)) status = { text: 'Completed' };
    else status = { text: 'Optional', classes: 'govuk-task-list__status--cannot-start-yet' };
    return {
      title: { text: step.title },
      hint: { text: mine.length ? mine.map((p) => p.message).join('. ') : step.description },
      ...(editable ? { href: stepHref(id, step.slug) } : {}),
      status,
    };
  });
  const ready = problems.length === 0;
  items.push({
    title: { text: 'Publish' },
    hint: { text: ready ? 'Check the preview, then publish now or choose a time.' : 'Complete the steps above first.' },
    ...(editable && ready ? { href: `${BASE}/${id}/publish` } : {}),
    status: ready ? { tag: { text: 'Ready', classes: 'govuk-tag--green' } } : { text: 'Cannot start yet', classes: 'govuk-task-list__status--cannot-start-yet' },
  });
  return { idPrefix: 'steps', attributes: { id: 'steps' }, items };
}

interface When {
  iso: string;
  text: string;
}

const when = (value: Date | string | null | undefined, withTime: boolean): When | null =>
  value ? { iso: format.iso(value), text: withTime ? format.dateTime(value) : format.date(value) } : null;

function keyDates(o: OpportunityRecord, now: Date) {
  const openNow = o.status === 'published' && o.stage === 'open';
  return [
    ...(o.status === 'draft' || o.status === 'scheduled' ? [{ label: 'Publish at', when: when(o.publishAt, true), note: o.status === 'draft' && o.publishAt ? 'not scheduled yet' : null }] : []),
    ...(o.firstPublishedAt ? [{ label: 'First published', when: when(o.firstPublishedAt, true), note: null }] : []),
    { label: 'Event for suppliers', when: when(o.engagementEventAt, true), note: null },
    { label: 'Deadline for questions', when: when(o.questionsDeadline, true), note: null },
    { label: 'Deadline for bids', when: when(o.tenderDeadline, true), note: openNow && o.tenderDeadline ? format.timeLeft(o.tenderDeadline, now) : null },
    { label: 'Expected award date', when: when(o.expectedAwardDate, false), note: null },
    { label: 'Contract start', when: when(o.contractStart, false), note: null },
    { label: 'Contract end', when: when(o.contractEnd, false), note: null },
  ];
}

/** The actions an editor can take from here, in order; each is a link to its GET page. */
function actionsFor(loaded: Loaded, unpublished: boolean | null, now: Date) {
  const { id, current } = loaded;
  const o = current.opportunity;
  const href = (slug: string) => `${BASE}/${id}/${slug}`;
  const actions: { text: string; href: string; classes?: string }[] = [];
  if (o.status === 'draft' || o.status === 'scheduled') {
    actions.push({ text: 'Publish now', href: href('publish') });
    actions.push({ text: o.status === 'scheduled' ? 'Change the time to publish' : 'Choose a time to publish', href: href('schedule'), classes: 'govuk-button--secondary' });
    if (o.status === 'scheduled') actions.push({ text: 'Stop scheduled publishing', href: href('unschedule'), classes: 'govuk-button--secondary' });
  }
  if (o.status === 'published') {
    if (unpublished) actions.push({ text: 'Publish changes', href: href('amend') });
    for (const stage of nextStages(o.stage)) actions.push({ text: `Move to ${STAGES[stage].label.toLowerCase()}`, href: `${href('stage')}?to=${stage}`, classes: 'govuk-button--secondary' });
    if (o.stage === 'open') actions.push({ text: 'Close for bids early', href: href('close'), classes: 'govuk-button--secondary' });
    const awardable = current.lots.length > 0 ? current.lots.some((lot) => awardRefusal(current, lot.id, now) === null) : awardRefusal(current, null, now) === null;
    if (awardable) actions.push({ text: 'Award the contract', href: `${href('awards')}/new`, classes: 'govuk-button--secondary' });
    if (o.stage !== 'awarded') actions.push({ text: 'Cancel the opportunity', href: href('cancel'), classes: 'govuk-button--warning' });
  }
  return actions;
}

async function releaseRows(db: PublishingContext['db'], id: number) {
  const rows = await db
    .select({ sequence: releases.sequence, releaseId: releases.releaseId, publishedAt: releases.publishedAt, tags: releases.tags, changeNote: releases.changeNote, isLatest: releases.isLatest })
    .from(releases)
    .where(eq(releases.opportunityId, id))
    .orderBy(desc(releases.sequence));
  return rows.map((r) => ({
    sequence: r.sequence,
    releaseId: r.releaseId,
    published: when(r.publishedAt, true)!,
    what: r.tags.map((t) => TAG_WORDS[t] ?? t).join(', '),
    note: r.changeNote ?? (r.sequence === 1 ? 'First published' : null),
    isLatest: r.isLatest,
  }));
}

async function auditRows(db: PublishingContext['db'], id: number) {
  const where = and(eq(auditLog.entityType, 'opportunity'), eq(auditLog.entityId, String(id)));
  const [rows, [total]] = await Promise.all([
    db.select().from(auditLog).where(where).orderBy(desc(auditLog.at), desc(auditLog.id)).limit(AUDIT_SHOWN),
    db.select({ n: count() }).from(auditLog).where(where),
  ]);
  return {
    total: total?.n ?? 0,
    entries: rows.map((row) => ({
      when: when(row.at, true)!,
      who: row.actorLabel,
      what: ACTION_WORDS[row.action] ?? row.action,
      ...describeChanges(row.before, row.after),
    })),
  };
}

// ---- Page rendering ----------------------------------------------------------------------------

interface PageData {
  title: string;
  page: Record<string, unknown>;
  form?: Form;
  /** Readiness problems (or other errors) to list in the error summary. */
  errors?: FieldError[];
  values?: Record<string, unknown>;
  backLink?: { href: string; text: string };
}

function render(reply: FastifyReply, status: number, template: string, data: PageData) {
  return reply.code(status).view(template, {
    currentPath: reply.request.url.split('?')[0],
    section: '/manage',
    ...(data.backLink ? { backLink: data.backLink } : {}),
    title: data.title,
    page: data.page,
    errorFor: errorLookup(data.form),
    errors: [...(data.form?.errors ?? []), ...(data.errors ?? [])],
    values: { ...(data.values ?? {}), ...(data.form?.values ?? {}) },
  });
}

function renderRefused(reply: FastifyReply, loaded: Loaded, message: string) {
  return render(reply, 409, 'manage/opportunities/action-refused', {
    title: 'You cannot do that now',
    page: { message, backHref: staffPageHref(loaded.id), opportunityTitle: loaded.current.opportunity.title },
  });
}

function renderConflict(reply: FastifyReply, loaded: Loaded, error: EditConflictError, seen: { status: string; stage: string }, reloadHref: string) {
  const o = error.current.opportunity;
  const statusWords = (status: string) => ((OPPORTUNITY_STATUSES as readonly string[]).includes(status) ? STATUS_TAGS[status as OpportunityStatus].text : null);
  const stageWords = (stage: string) => ((NOTICE_STAGES as readonly string[]).includes(stage) ? STAGES[stage as NoticeStage].label : null);
  const row = (label: string, then: string | null, now: string) => ({ label, then: then ?? 'Not known', now, changed: then !== null && then !== now });
  return render(reply, 409, 'manage/opportunities/action-conflict', {
    title: 'This opportunity changed since you opened this page',
    page: {
      opportunityTitle: o.title,
      rows: [
        row('Status', statusWords(seen.status), STATUS_TAGS[o.status].text),
        row('Stage', stageWords(seen.stage), STAGES[o.stage].label),
        row('Version', String(error.sentVersion), String(o.version)),
      ],
      reloadHref,
      backHref: staffPageHref(loaded.id),
    },
  });
}

// ---- Routes -------------------------------------------------------------------------------------

type Slug = 'publish' | 'schedule' | 'unschedule' | 'stage' | 'amend' | 'close' | 'cancel';

interface Flash {
  heading: string;
  body?: string;
}

interface ActionContext extends Loaded {
  request: FastifyRequest;
  ctx: PublishingContext;
  now: Date;
}

/**
 * One lifecycle action. `refusal` says why its page cannot be used in the current state (checked
 * on GET; the service is the judge on POST). `view` builds the page data (with `form` after a
 * failed POST). `submit` validates the form (returning null when it failed) and calls the service.
 */
interface Action {
  slug: Slug;
  template: string;
  title: string;
  fields: Record<string, number>;
  querystring?: TSchema;
  refusal(loaded: Loaded, now: Date): string | null;
  view(a: ActionContext, form?: Form): Promise<{ page: Record<string, unknown>; errors?: FieldError[]; values?: Record<string, unknown> }>;
  submit(a: ActionContext, form: Form, version: number): Promise<Flash | null>;
}

const opportunityFacts = (a: Loaded) => {
  const o = a.current.opportunity;
  return {
    id: a.id,
    title: o.title,
    reference: o.reference,
    status: o.status,
    stage: o.stage,
    stageLabel: STAGES[o.stage].label,
    staffHref: staffPageHref(a.id),
  };
};

async function warningsAt(a: ActionContext, o: OpportunityRecord, at: Date) {
  const planned = await plannedNoticeDate(a.ctx.db, a.id);
  return tenderPeriodWarnings(o, at, a.ctx.thresholds, planned).map((w) => w.message);
}

function dateValues(prefix: string, at: Date | null): Record<string, string> {
  if (!at) return {};
  const [year, month, day] = londonDate(at).split('-');
  return { [`${prefix}-day`]: String(Number(day)), [`${prefix}-month`]: String(Number(month)), [`${prefix}-year`]: year!, [`${prefix}-time`]: londonTime(at) };
}

const reasonAction = (spec: { slug: 'close' | 'cancel'; title: string }): Pick<Action, 'slug' | 'template' | 'title' | 'fields'> => ({
  slug: spec.slug,
  template: 'manage/opportunities/action-reason',
  title: spec.title,
  fields: { reason: NOTE_MAX * 2 },
});

const ACTIONS: Action[] = [
  {
    slug: 'publish',
    template: 'manage/opportunities/action-publish',
    title: 'Publish now',
    fields: {},
    refusal: ({ current }) => publishRefusal(current.opportunity),
    async view(a) {
      const o = a.current.opportunity;
      const problems = readinessProblems(o, a.current.lots, o.stage, a.ctx.thresholds, a.now);
      return {
        page: { ...opportunityFacts(a), ready: problems.length === 0, stageDescription: STAGES[o.stage].description, warnings: await warningsAt(a, o, a.now), scheduledFor: when(o.status === 'scheduled' ? o.publishAt : null, true) },
        errors: problemErrors(a.id, problems),
      };
    },
    async submit(a, _form, version) {
      await publishNow(a.ctx, actorOf(a.request), a.acting.buyerId, a.id, version);
      return { heading: 'Published', body: 'The public can now see this opportunity.' };
    },
  },
  {
    slug: 'schedule',
    template: 'manage/opportunities/action-schedule',
    title: 'Choose a time to publish',
    fields: { 'publishAt-day': 10, 'publishAt-month': 20, 'publishAt-year': 10, 'publishAt-time': 20 },
    refusal: ({ current }) => publishRefusal(current.opportunity),
    async view(a, form) {
      const o = a.current.opportunity;
      // Judge readiness and tender periods for the time typed (when it is a valid one), else the one saved.
      const typed = form ? readPublishAt(new Form(form.values), a.now) : null;
      const at = typed ?? (o.publishAt && o.publishAt > a.now ? o.publishAt : a.now);
      const problems = readinessProblems(o, a.current.lots, o.stage, a.ctx.thresholds, at);
      return {
        page: { ...opportunityFacts(a), scheduledFor: when(o.status === 'scheduled' ? o.publishAt : null, true), warnings: await warningsAt(a, o, at), warningsFor: at === a.now ? null : when(at, true) },
        errors: problemErrors(a.id, problems),
        values: dateValues('publishAt', o.publishAt),
      };
    },
    async submit(a, form, version) {
      const publishAt = readPublishAt(form, a.now);
      if (!publishAt) return null;
      await schedule(a.ctx, actorOf(a.request), a.acting.buyerId, a.id, version, publishAt);
      // The queue publishes it at that time. Should this job not be sent, the every-minute run still
      // publishes it (within a minute), so a failure here is logged rather than shown.
      try {
        await a.request.server.jobs.send(PUBLISH_DUE_JOB, {}, { startAfter: publishAt });
      } catch (error) {
        a.request.log.warn({ err: error, opportunityId: a.id }, 'could not enqueue the publishing job; the scheduled run will publish it');
      }
      const warnings = await warningsAt(a, a.current.opportunity, publishAt);
      return { heading: `Scheduled to publish on ${format.dateTime(publishAt)}`, ...(warnings.length ? { body: `${warnings.join('. ')}.` } : {}) };
    },
  },
  {
    slug: 'unschedule',
    template: 'manage/opportunities/action-unschedule',
    title: 'Stop scheduled publishing',
    fields: {},
    refusal: ({ current }) => unscheduleRefusal(current.opportunity),
    async view(a) {
      return { page: { ...opportunityFacts(a), scheduledFor: when(a.current.opportunity.publishAt, true) } };
    },
    async submit(a, _form, version) {
      await unschedule(a.ctx, actorOf(a.request), a.acting.buyerId, a.id, version);
      return { heading: 'Scheduled publishing stopped', body: 'It is a draft again: nothing will be published until you publish it or choose a time.' };
    },
  },
  {
    slug: 'stage',
    template: 'manage/opportunities/action-stage',
    title: 'Move to another stage',
    fields: { to: 20, note: NOTE_MAX * 2 },
    querystring: Type.Object({ to: Type.Optional(Type.Enum(NOTICE_STAGES)) }, { additionalProperties: false }),
    refusal: ({ current }) => stageRefusal(current.opportunity),
    async view(a) {
      const o = a.current.opportunity;
      const choices = nextStages(o.stage);
      const query = a.request.query as { to?: NoticeStage };
      const toOpen = choices.includes('open') ? { ...o, stage: 'open' as const } : null;
      const openProblems = toOpen ? readinessProblems(toOpen, a.current.lots, 'open', a.ctx.thresholds, a.now) : [];
      return {
        page: {
          ...opportunityFacts(a),
          choices: choices.map((stage) => ({ value: stage, text: MOVE_WORDS[stage]?.text ?? STAGES[stage].label, hint: { text: MOVE_WORDS[stage]?.hint ?? STAGES[stage].description } })),
          openWarnings: toOpen ? await warningsAt(a, toOpen, a.now) : [],
          openProblems: openProblems.map((p) => ({ message: p.message, href: `${stepHref(a.id, p.step)}#${p.field}` })),
          noteMax: NOTE_MAX,
        },
        values: query.to && choices.includes(query.to) ? { to: query.to } : {},
      };
    },
    async submit(a, form, version) {
      const to = form.oneOf('to', NOTICE_STAGES, 'Choose the stage to move it to');
      const note = form.text('note', { maxLength: NOTE_MAX, label: 'The note' });
      if (form.failed || !to) return null;
      await moveStage(a.ctx, actorOf(a.request), a.acting.buyerId, a.id, version, to, note || null);
      return { heading: `Moved to ${STAGES[to].label.toLowerCase()}`, body: 'The public page shows the new stage.' };
    },
  },
  {
    slug: 'amend',
    template: 'manage/opportunities/action-amend',
    title: 'Publish changes',
    fields: { note: NOTE_MAX * 2 },
    refusal: ({ current }) => amendRefusal(current.opportunity),
    async view(a) {
      const [latest] = await a.ctx.db.select({ snapshot: releases.snapshot, publishedAt: releases.publishedAt }).from(releases).where(and(eq(releases.opportunityId, a.id), eq(releases.isLatest, true)));
      let diff: { changes: Change[]; more: number } = { changes: [], more: 0 };
      if (latest) {
        const current = await buildCurrentSnapshot(a.ctx.db, a.ctx.ocidPrefix, a.id, latest.publishedAt);
        diff = describeChanges(latest.snapshot as PublicOpportunity, current);
      }
      return { page: { ...opportunityFacts(a), ...diff, lastPublished: latest ? when(latest.publishedAt, true) : null, previewHref: `${BASE}/${a.id}/preview`, noteMax: NOTE_MAX } };
    },
    async submit(a, form, version) {
      const note = form.text('note', { required: 'Say what has changed: the note is shown to the public', maxLength: NOTE_MAX, label: 'The note' });
      if (form.failed) return null;
      await publishAmendment(a.ctx, actorOf(a.request), a.acting.buyerId, a.id, version, note);
      return { heading: 'Changes published', body: 'The public page shows them, with your note in its history.' };
    },
  },
  {
    ...reasonAction({ slug: 'close', title: 'Close for bids early' }),
    refusal: ({ current }) => closeRefusal(current.opportunity),
    async view(a) {
      return {
        page: {
          ...opportunityFacts(a),
          heading: 'Close for bids early',
          intro: 'Suppliers will no longer be able to bid. The public page will say it closed early, with your reason.',
          deadline: when(a.current.opportunity.tenderDeadline, true),
          reasonLabel: 'Why are you closing it early?',
          reasonHint: 'This is shown to the public. For example: “The council no longer needs this service this year.”',
          button: 'Close for bids',
          buttonClasses: 'govuk-button--warning',
          warning: null,
          noteMax: NOTE_MAX,
        },
      };
    },
    async submit(a, form, version) {
      const reason = form.text('reason', { required: 'Say why you are closing it early: the reason is shown to the public', maxLength: NOTE_MAX, label: 'The reason' });
      if (form.failed) return null;
      await closeEarly(a.ctx, actorOf(a.request), a.acting.buyerId, a.id, version, reason);
      return { heading: 'Closed for bids', body: 'Suppliers can no longer bid. The public page shows your reason.' };
    },
  },
  {
    ...reasonAction({ slug: 'cancel', title: 'Cancel the opportunity' }),
    refusal: ({ current }) => cancelRefusal(current.opportunity),
    async view(a) {
      return {
        page: {
          ...opportunityFacts(a),
          heading: 'Cancel the opportunity',
          intro: 'The public page will say it has been cancelled, with your reason, and it will no longer be listed as open or planned.',
          deadline: null,
          reasonLabel: 'Why are you cancelling it?',
          reasonHint: 'This is shown to the public. For example: “The funding for this project has been withdrawn.”',
          button: 'Cancel the opportunity',
          buttonClasses: 'govuk-button--warning',
          warning: 'This cannot be undone. To run the contract again later, you will need to create a new opportunity.',
          noteMax: NOTE_MAX,
        },
      };
    },
    async submit(a, form, version) {
      const reason = form.text('reason', { required: 'Give the reason for cancelling: it is shown to the public', maxLength: NOTE_MAX, label: 'The reason' });
      if (form.failed) return null;
      await cancel(a.ctx, actorOf(a.request), a.acting.buyerId, a.id, version, reason);
      return { heading: 'Opportunity cancelled', body: 'The public page says it has been cancelled, with your reason.' };
    },
  },
];

/** The time to publish typed in the schedule form (London time), which must be in the future; null with a form error otherwise. */
function readPublishAt(form: Form, now: Date): Date | null {
  const at = form.dateTime('publishAt', { label: 'The date to publish', required: 'Enter the date to publish', defaultTime: DEFAULT_PUBLISH_TIME });
  if (at && at <= now) form.error('publishAt', 'The time to publish must be in the future. To publish straight away, choose “Publish now”', '#publishAt-day');
  return form.failed ? null : at;
}

/** The version the page was opened on (hidden field); without it the form cannot be judged. */
function versionFrom(form: Form): number {
  const raw = form.string('version').trim();
  if (!/^[1-9]\d{0,8}$/.test(raw)) {
    throw new BadRequestError('This form was sent without the version of the opportunity it was opened on. Go back, reload the page and try again: nothing has been changed.', 'missing_version');
  }
  return Number(raw);
}

const lifecycleRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const db = app.database.db;
  const ctx = () => publishingContext(db, config, app.clock);

  async function load(request: FastifyRequest): Promise<Loaded> {
    const acting = actingBuyerOf(request);
    const id = parseId((request.params as { id: string }).id);
    if (id === null) throw new OpportunityNotFoundError();
    const current = await findStaffOpportunity(db, acting.buyerId, id);
    if (!current) throw new OpportunityNotFoundError();
    return { acting, id, current };
  }

  // ---- The staff page -----------------------------------------------------------------------------

  app.get(`${BASE}/:id`, { config: { access: 'staff:viewer' }, schema: { params: idParams, querystring: noQuery } }, async (request, reply) => {
    const loaded = await load(request);
    const { acting, id, current } = loaded;
    const o = current.opportunity;
    const c = ctx();
    const now = c.now ? c.now() : new Date();
    const editable = canEdit(acting);
    const beforePublishing = o.status === 'draft' || o.status === 'scheduled';
    const [unpublished, releaseList, audit] = await Promise.all([
      o.status === 'published' ? hasUnpublishedChanges(db, c.ocidPrefix, id) : Promise.resolve(null),
      releaseRows(db, id),
      auditRows(db, id),
    ]);
    const problems = beforePublishing ? readinessProblems(o, current.lots, o.stage, c.thresholds, o.status === 'scheduled' && o.publishAt && o.publishAt > now ? o.publishAt : now) : [];
    return reply.view('manage/opportunities/show', {
      title: o.title,
      currentPath: staffPageHref(id),
      section: '/manage',
      backLink: { href: BASE, text: 'Your organisation’s opportunities' },
      page: {
        acting,
        id,
        o: { title: o.title, reference: o.reference, version: o.version, status: o.status, stage: o.stage, cancellationReason: o.cancellationReason },
        tags: statusTags(o),
        statusText: STATUS_WORDS[o.status],
        stageText:
          o.status === 'cancelled'
            ? `${STAGES[o.stage].label} when it was cancelled`
            : `${STAGES[o.stage].label}: ${STAGES[o.stage].description.charAt(0).toLowerCase()}${STAGES[o.stage].description.slice(1)}`,
        beforePublishing,
        editable,
        updated: when(o.updatedAt, true)!,
        scheduledFor: o.status === 'scheduled' ? when(o.publishAt, true) : null,
        publicHref: o.status === 'published' || o.status === 'cancelled' ? `/opportunities/${id}` : null,
        previewHref: `${BASE}/${id}/preview`,
        unpublished,
        taskList: beforePublishing ? taskList(id, current, problems, editable) : null,
        steps: o.status === 'published' && editable ? DRAFT_STEPS.map((s) => ({ href: stepHref(id, s.slug), title: s.title, description: s.description })) : [],
        actions: editable ? actionsFor(loaded, unpublished, now) : [],
        keyDates: keyDates(o, now),
        lots: current.lots.map((l) => ({ position: l.position, title: l.title, awarded: current.awards.some((a) => a.lotId === l.id) })),
        releases: releaseList,
        audit,
        auditShown: AUDIT_SHOWN,
      },
    });
  });

  // ---- The actions ----------------------------------------------------------------------------------

  for (const action of ACTIONS) {
    const path = `${BASE}/:id/${action.slug}`;
    const body = formBody({ version: 20, seenStatus: 20, seenStage: 20, ...action.fields });

    const actionContext = async (request: FastifyRequest): Promise<ActionContext> => {
      const loaded = await load(request);
      const c = ctx();
      return { ...loaded, request, ctx: c, now: c.now ? c.now() : new Date() };
    };

    const show = async (reply: FastifyReply, a: ActionContext, status: number, form?: Form, extraErrors: FieldError[] = []) => {
      const view = await action.view(a, form);
      const o = a.current.opportunity;
      // A re-rendered form keeps the version (and state) it was opened on, so a later conflict is still caught.
      const seen = form ? { version: form.string('version'), status: form.string('seenStatus'), stage: form.string('seenStage') } : { version: String(o.version), status: o.status, stage: o.stage };
      return render(reply, status, action.template, {
        title: action.title,
        backLink: { href: staffPageHref(a.id), text: 'Back to the opportunity' },
        page: { ...view.page, action: `${BASE}/${a.id}/${action.slug}`, seen },
        ...(form ? { form } : {}),
        // The service's own list of problems, when it refused, replaces the page's forecast of them.
        errors: extraErrors.length ? extraErrors : (view.errors ?? []),
        ...(view.values ? { values: view.values } : {}),
      });
    };

    app.get(path, { config: { access: 'staff:editor' }, schema: { params: idParams, querystring: action.querystring ?? noQuery } }, async (request, reply) => {
      const a = await actionContext(request);
      const refusal = action.refusal(a, a.now);
      if (refusal) return renderRefused(reply, a, refusal);
      return show(reply, a, 200);
    });

    app.post(path, { config: { access: 'staff:editor' }, schema: { params: idParams, querystring: noQuery, body } }, async (request, reply) => {
      const a = await actionContext(request);
      const form = new Form(request.body);
      const version = versionFrom(form);
      try {
        const flash = await action.submit(a, form, version);
        if (!flash) return await show(reply, a, 400, form);
        request.session.flash = flash;
        return reply.redirect(staffPageHref(a.id), 303);
      } catch (error) {
        if (error instanceof EditConflictError) {
          return renderConflict(reply, a, error, { status: form.string('seenStatus'), stage: form.string('seenStage') }, `${BASE}/${a.id}/${action.slug}`);
        }
        if (error instanceof IllegalTransitionError) return renderRefused(reply, a, error.message);
        if (error instanceof NotReadyError) return show(reply, a, 400, form, problemErrors(a.id, error.problems));
        throw error;
      }
    });
  }
};

export default lifecycleRoutes;
