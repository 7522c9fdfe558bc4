/**
 * The staff list of the acting organisation's opportunities (GET /manage/opportunities, viewers
 * and above), and the "Opportunities" panel of the staff home (/manage).
 *
 * The list reads the working copies (drafts and scheduled ones included), only the acting
 * organisation's. Filters are query parameters of links and a GET form, so any view of the list
 * is a link: `status` (draft, scheduled, a published stage, cancelled), `attention` (one of the
 * "needs attention" rules in attention.repository.ts), `q` (words in the title or reference) and
 * `page`. Values the page cannot produce get a 400 page saying which; a page past the last is a 404.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { Type } from 'typebox';
import type { Config } from '../../../config.js';
import type { DbOrTx } from '../../../db/client.js';
import { BadRequestError } from '../../../errors.js';
import * as format from '../../../lib/format.js';
import { londonDate } from '../../../lib/london-time.js';
import { paginationParams } from '../../../lib/pagination.js';
import { ROLE_RANK } from '../../../plugins/access.js';
import type { BuyerMembership } from '../../accounts/accounts.repository.js';
import { actingBuyerOf } from '../../admin/route-helpers.js';
import { STAGES, type Tag } from '../opportunities.routes.js';
import {
  ATTENTION_KINDS,
  AWARDS_DUE_DAYS,
  CLOSING_SOON_DAYS,
  LIST_STATUSES,
  STAFF_PAGE_SIZE,
  attentionClock,
  attentionCounts,
  attentionSummary,
  countByStatus,
  listForBuyer,
  searchWordsOf,
  type AttentionClock,
  type AttentionKind,
  type ListStatus,
  type StaffOpportunityRow,
} from './attention.repository.js';

export const MAX_PAGE = 10_000;
const MAX_SEARCH = 200;
const LIST_PATH = '/manage/opportunities';

// ---- Plain words -------------------------------------------------------------------------------

/** Each status filter's link text and the tag an opportunity in it shows. */
export const STATUS_WORDS: Record<ListStatus, { filter: string; tag: Tag }> = {
  draft: { filter: 'Drafts', tag: { text: 'Draft', classes: 'govuk-tag--yellow' } },
  scheduled: { filter: 'Scheduled', tag: { text: 'Scheduled', classes: 'govuk-tag--blue' } },
  pipeline: { filter: STAGES.pipeline.label, tag: { text: STAGES.pipeline.label, classes: STAGES.pipeline.classes } },
  planned: { filter: STAGES.planned.label, tag: { text: STAGES.planned.label, classes: STAGES.planned.classes } },
  open: { filter: STAGES.open.label, tag: { text: STAGES.open.label, classes: STAGES.open.classes } },
  closed: { filter: STAGES.closed.label, tag: { text: STAGES.closed.label, classes: STAGES.closed.classes } },
  awarded: { filter: STAGES.awarded.label, tag: { text: STAGES.awarded.label, classes: STAGES.awarded.classes } },
  cancelled: { filter: STAGES.cancelled.label, tag: { text: STAGES.cancelled.label, classes: STAGES.cancelled.classes } },
};

export const ATTENTION_WORDS: Record<AttentionKind, { title: string; description: string }> = {
  drafts: { title: 'Drafts', description: 'Not published or scheduled yet.' },
  scheduled: { title: 'Scheduled to publish', description: 'These will be published automatically at the time set.' },
  'deadline-passed': { title: 'Deadline passed, not awarded', description: 'The deadline for bids has passed and no contract has been awarded yet.' },
  'awards-due': { title: 'Awards due', description: `The expected award date is in the next ${AWARDS_DUE_DAYS} days, or has passed, and the contract has not been awarded.` },
  'closing-soon': { title: 'Closing soon', description: `Open for bids, with the deadline in the next ${CLOSING_SOON_DAYS} days.` },
};

function statusOf(row: StaffOpportunityRow): ListStatus {
  return row.status === 'published' ? row.stage : row.status;
}

/** A date for `<time>`, with words before it ("Closes") and after it ("(3 days left)"). */
interface KeyDate {
  label: string;
  iso: string;
  text: string;
  note: string | null;
}

/** The date that matters most for where the opportunity is (or for the attention rule being viewed). */
function keyDateOf(row: StaffOpportunityRow, now: Date, attention?: AttentionKind): KeyDate | null {
  if (attention === 'awards-due' && row.expectedAwardDate) {
    return { label: 'Award expected', iso: format.iso(row.expectedAwardDate), text: format.date(row.expectedAwardDate), note: null };
  }
  if (row.status === 'scheduled' && row.publishAt) return { label: 'Publishes', iso: format.iso(row.publishAt), text: format.dateTime(row.publishAt), note: null };
  if (row.tenderDeadline) {
    const open = row.status === 'published' && row.stage === 'open';
    return {
      label: open ? 'Closes' : 'Tender deadline',
      iso: format.iso(row.tenderDeadline),
      text: format.dateTime(row.tenderDeadline),
      note: open ? format.timeLeft(row.tenderDeadline, now) : null,
    };
  }
  if (row.status === 'draft' && row.publishAt) return { label: 'Publish at', iso: format.iso(row.publishAt), text: format.dateTime(row.publishAt), note: null };
  return null;
}

/** One row of the list, or one item of an attention group. */
function toRow(row: StaffOpportunityRow, now: Date, attention?: AttentionKind) {
  return {
    href: `${LIST_PATH}/${row.id}`,
    title: row.title,
    reference: row.reference,
    tags: [STATUS_WORDS[statusOf(row)].tag],
    keyDate: keyDateOf(row, now, attention),
    updated: { iso: format.iso(row.updatedAt), text: format.dateTime(row.updatedAt) },
  };
}

/** What an attention item says about itself on the staff home. */
function attentionDetail(kind: AttentionKind, row: StaffOpportunityRow, now: Date): string {
  switch (kind) {
    case 'drafts':
      return `Last changed ${format.dateTime(row.updatedAt)}`;
    case 'scheduled':
      return row.publishAt ? `Publishes ${format.dateTime(row.publishAt)}` : 'No publish time set';
    case 'deadline-passed':
      return `Deadline was ${format.dateTime(row.tenderDeadline)}`;
    case 'awards-due':
      return `${row.expectedAwardDate && row.expectedAwardDate < londonDate(now) ? 'Award was expected' : 'Award expected'} ${format.date(row.expectedAwardDate)}`;
    case 'closing-soon':
      return `Closes ${format.dateTime(row.tenderDeadline)} (${format.timeLeft(row.tenderDeadline, now)})`;
  }
}

const canCreate = (acting: BuyerMembership) => ROLE_RANK[acting.role] >= ROLE_RANK.editor;

// ---- Addresses ---------------------------------------------------------------------------------

interface ListState {
  status?: ListStatus;
  attention?: AttentionKind;
  q: string;
  page: number;
}

/** The list's address for a state (no `page` for the first page). */
export function listHref(state: Omit<ListState, 'page'>, page = 1): string {
  const query = new URLSearchParams();
  if (state.status) query.set('status', state.status);
  if (state.attention) query.set('attention', state.attention);
  if (state.q) query.set('q', state.q);
  if (page > 1) query.set('page', String(page));
  const qs = query.toString();
  return qs ? `${LIST_PATH}?${qs}` : LIST_PATH;
}

// ---- The staff home's panel ----------------------------------------------------------------------

/**
 * The "Opportunities" panel of /manage: counts by status and what needs attention (each rule's
 * count, linking to the list, and its first few opportunities).
 */
export async function opportunitiesPanel(db: DbOrTx, acting: BuyerMembership, now: Date = new Date()) {
  const clock = attentionClock(now);
  const [counts, attention] = await Promise.all([countByStatus(db, acting.buyerId), attentionSummary(db, acting.buyerId, clock)]);
  return {
    total: counts.all,
    allHref: LIST_PATH,
    canCreate: canCreate(acting),
    statuses: LIST_STATUSES.filter((s) => counts[s] > 0).map((s) => ({ text: STATUS_WORDS[s].filter, count: counts[s], href: listHref({ status: s, q: '' }) })),
    attention: ATTENTION_KINDS.map((kind) => ({
      kind,
      ...ATTENTION_WORDS[kind],
      count: attention[kind].count,
      href: listHref({ attention: kind, q: '' }),
      items: attention[kind].items.map((row) => ({ href: `${LIST_PATH}/${row.id}`, title: row.title, reference: row.reference, detail: attentionDetail(kind, row, now) })),
    })),
    needsAttention: ATTENTION_KINDS.some((kind) => attention[kind].count > 0),
  };
}

// ---- Validation messages ------------------------------------------------------------------------

const PARAMETER_PROBLEMS: Record<string, string> = {
  status: `The status must be one of: ${LIST_STATUSES.join(', ')}.`,
  attention: `The “needs attention” view must be one of: ${ATTENTION_KINDS.join(', ')}.`,
  q: `The search words must be ${MAX_SEARCH} characters or fewer.`,
  page: `The page number must be a whole number from 1 to ${format.count(MAX_PAGE)}.`,
};

/** One sentence per parameter the page could not have sent, on the 400 page. */
function describeQueryErrors(errors: FastifySchemaValidationError[]): Error {
  const names = [...new Set(errors.map((e) => e.instancePath.replace(/^\//, '').split('/')[0] ?? ''))];
  const sentences = names.map((name) => PARAMETER_PROBLEMS[name] ?? 'Part of the address is not valid.');
  return new BadRequestError(`${sentences.join(' ')} Check the address, or go back to your organisation’s opportunities.`, 'invalid_query');
}

const listQuery = Type.Object(
  {
    status: Type.Optional(Type.Enum(LIST_STATUSES)),
    attention: Type.Optional(Type.Enum(ATTENTION_KINDS)),
    q: Type.Optional(Type.String({ maxLength: MAX_SEARCH })),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
  },
  { additionalProperties: false },
);

// ---- Routes -------------------------------------------------------------------------------------

const listRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app) => {
  const db = app.database.db;

  app.get(LIST_PATH, { config: { access: 'staff:viewer' }, schema: { querystring: listQuery }, schemaErrorFormatter: describeQueryErrors }, async (request, reply) => {
    const acting = actingBuyerOf(request);
    const query = request.query;
    const state: ListState = { status: query.status, attention: query.attention, q: (query.q ?? '').trim().replace(/\s+/g, ' '), page: query.page ?? 1 };
    const words = searchWordsOf(state.q);
    const now = new Date();
    const clock: AttentionClock = attentionClock(now);

    const [counts, attention, { items, total }] = await Promise.all([
      countByStatus(db, acting.buyerId, words),
      attentionCounts(db, acting.buyerId, clock, words),
      listForBuyer(db, acting.buyerId, { status: state.status, attention: state.attention, words }, clock, state.page),
    ]);
    const totalPages = Math.max(1, Math.ceil(total / STAFF_PAGE_SIZE));
    const pastTheEnd = items.length === 0 && state.page > 1;
    if (pastTheEnd) reply.code(404);

    const viewing = [state.status ? STATUS_WORDS[state.status].filter : null, state.attention ? ATTENTION_WORDS[state.attention].title : null].filter((v): v is string => v !== null);
    const heading = viewing.length ? `Opportunities: ${viewing.join(', ').toLowerCase()}` : 'Opportunities';
    return reply.view('manage/opportunities/list', {
      title: `${heading}${state.page > 1 && !pastTheEnd ? ` (page ${state.page} of ${totalPages})` : ''}`,
      currentPath: LIST_PATH,
      section: '/manage',
      backLink: { href: '/manage', text: 'Staff area' },
      page: {
        acting,
        canCreate: canCreate(acting),
        heading,
        q: state.q,
        status: state.status,
        attention: state.attention ? { kind: state.attention, ...ATTENTION_WORDS[state.attention] } : null,
        filtered: Boolean(state.status || state.attention || state.q),
        filters: [
          { text: 'All', count: counts.all, href: listHref({ q: state.q }), current: !state.status && !state.attention },
          ...LIST_STATUSES.map((s) => ({ text: STATUS_WORDS[s].filter, count: counts[s], href: listHref({ status: s, q: state.q }), current: s === state.status && !state.attention })),
        ],
        attentionFilters: ATTENTION_KINDS.map((kind) => ({
          text: ATTENTION_WORDS[kind].title,
          count: attention[kind],
          href: listHref({ attention: kind, q: state.q }),
          current: kind === state.attention && !state.status,
        })),
        clearSearchHref: listHref({ status: state.status, attention: state.attention, q: '' }),
        total,
        totalPages,
        pastTheEnd,
        firstPageHref: listHref(state, 1),
        from: (state.page - 1) * STAFF_PAGE_SIZE + 1,
        to: (state.page - 1) * STAFF_PAGE_SIZE + items.length,
        items: items.map((row) => toRow(row, now, state.attention)),
        pagination: pastTheEnd ? null : paginationParams(state.page, totalPages, (n) => listHref(state, n), 'Pages of opportunities'),
      },
    });
  });
};

export default listRoutes;
