/**
 * The staff overview of one organisation's opportunities (the working copies): how many there are
 * in each status, a filtered page of them, and what needs attention. Pure queries: each takes the
 * database, the acting organisation's id and (where time matters) `now`, and every query is
 * limited to `buyer_id = buyerId`, so it is served by opportunities_buyer_status_idx and never
 * reads another organisation's rows.
 *
 * What needs attention:
 *   drafts           not yet published or scheduled
 *   scheduled        waiting to be published at their publish time
 *   deadline-passed  published, open or closed, the tender deadline has passed, and nothing has
 *                    been awarded (no award row)
 *   awards-due       published, not yet awarded, and the expected award date is at most 14 days
 *                    after today in London (or already past)
 *   closing-soon     published and open, with the tender deadline in the next 7 days
 * A deadline at exactly `now` has passed (as the closing job and "time left" see it), so an
 * opportunity is never both closing soon and past its deadline. Cancelled ones never need attention.
 */
import { and, asc, desc, eq, gt, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import { unionAll } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../../../db/client.js';
import { londonDate } from '../../../lib/london-time.js';
import { awards, opportunities, type NoticeStage, type OpportunityStatus } from '../opportunities.table.js';

export const ATTENTION_KINDS = ['drafts', 'scheduled', 'deadline-passed', 'awards-due', 'closing-soon'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

/** The list's status filters: drafts, scheduled, each stage of the published ones, cancelled. */
export const LIST_STATUSES = ['draft', 'scheduled', 'pipeline', 'planned', 'open', 'closed', 'awarded', 'cancelled'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

export const STAFF_PAGE_SIZE = 25;
export const ATTENTION_ITEMS = 5;
export const AWARDS_DUE_DAYS = 14;
export const CLOSING_SOON_DAYS = 7;

const DAY_MS = 86_400_000;

/** The moments the attention rules compare against, worked out once from `now`. */
export interface AttentionClock {
  now: Date;
  /** Open ones whose deadline is after `now` and at or before this are closing soon. */
  closingBy: Date;
  /** Awards expected on or before this London date (YYYY-MM-DD) are due. */
  awardsDueBy: string;
}

export function attentionClock(now: Date): AttentionClock {
  const today = londonDate(now);
  const awardsDueBy = new Date(Date.parse(`${today}T00:00:00Z`) + AWARDS_DUE_DAYS * DAY_MS).toISOString().slice(0, 10);
  return { now, closingBy: new Date(now.getTime() + CLOSING_SOON_DAYS * DAY_MS), awardsDueBy };
}

const o = opportunities;
const published = eq(o.status, 'published');

/** Each rule as a condition on the opportunities table. */
export function attentionCondition(kind: AttentionKind, clock: AttentionClock): SQL {
  switch (kind) {
    case 'drafts':
      return eq(o.status, 'draft');
    case 'scheduled':
      return eq(o.status, 'scheduled');
    case 'deadline-passed':
      return and(
        published,
        inArray(o.stage, ['open', 'closed']),
        lte(o.tenderDeadline, clock.now),
        sql`not exists (select 1 from ${awards} where ${awards.opportunityId} = ${o.id})`,
      )!;
    case 'awards-due':
      return and(published, sql`${o.stage} <> 'awarded'`, lte(o.expectedAwardDate, clock.awardsDueBy))!;
    case 'closing-soon':
      return and(published, eq(o.stage, 'open'), gt(o.tenderDeadline, clock.now), lte(o.tenderDeadline, clock.closingBy))!;
  }
}

/** The statuses a rule can match: lets PostgreSQL read only those entries of the (buyer_id, status) index. */
const ATTENTION_STATUSES: OpportunityStatus[] = ['draft', 'scheduled', 'published'];

/** The order each kind is listed in: what needs doing first comes first. */
const ATTENTION_ORDER: Record<AttentionKind, SQL[]> = {
  drafts: [desc(o.updatedAt), desc(o.id)],
  scheduled: [asc(o.publishAt), asc(o.id)],
  'deadline-passed': [asc(o.tenderDeadline), asc(o.id)],
  'awards-due': [asc(o.expectedAwardDate), asc(o.id)],
  'closing-soon': [asc(o.tenderDeadline), asc(o.id)],
};
const NEWEST_CHANGE_FIRST = [desc(o.updatedAt), desc(o.id)];

function statusCondition(status: ListStatus): SQL {
  if (status === 'draft' || status === 'scheduled' || status === 'cancelled') return eq(o.status, status);
  return and(published, eq(o.stage, status))!;
}

/** `%`, `_` and `\` typed by a person match themselves, not "anything". */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

/** Every word must appear in the title or the reference (case-insensitive). */
function searchCondition(words: string[]): SQL | undefined {
  if (words.length === 0) return undefined;
  return and(
    ...words.map((word) => {
      const pattern = `%${escapeLike(word)}%`;
      return or(sql`${o.title} ilike ${pattern} escape '\\'`, sql`${o.reference} ilike ${pattern} escape '\\'`);
    }),
  );
}

/** Search words from what was typed: split on spaces, at most 10. */
export function searchWordsOf(q: string): string[] {
  return q.trim().split(/\s+/).filter(Boolean).slice(0, 10);
}

// ---- Counts by status -------------------------------------------------------------------------

/**
 * How many of the organisation's opportunities are in each list status (with the search words,
 * if any), in one grouped query.
 */
export async function countByStatus(db: DbOrTx, buyerId: number, words: string[] = []): Promise<Record<ListStatus, number> & { all: number }> {
  const rows = await db
    .select({ status: o.status, stage: o.stage, count: sql<number>`count(*)::int` })
    .from(o)
    .where(and(eq(o.buyerId, buyerId), searchCondition(words)))
    .groupBy(o.status, o.stage);
  const counts = Object.fromEntries([...LIST_STATUSES, 'all'].map((s) => [s, 0])) as Record<ListStatus | 'all', number>;
  for (const row of rows) {
    counts[row.status === 'published' ? row.stage : row.status] += row.count;
    counts.all += row.count;
  }
  return counts;
}

// ---- The list ---------------------------------------------------------------------------------

export interface StaffListFilters {
  status?: ListStatus;
  attention?: AttentionKind;
  words: string[];
}

export interface StaffOpportunityRow {
  id: number;
  title: string;
  reference: string | null;
  status: OpportunityStatus;
  stage: NoticeStage;
  publishAt: Date | null;
  tenderDeadline: Date | null;
  expectedAwardDate: string | null;
  updatedAt: Date;
}

const rowColumns = {
  id: o.id,
  title: o.title,
  reference: o.reference,
  status: o.status,
  stage: o.stage,
  publishAt: o.publishAt,
  tenderDeadline: o.tenderDeadline,
  expectedAwardDate: o.expectedAwardDate,
  updatedAt: o.updatedAt,
};

/**
 * One page (1-based) of the organisation's opportunities matching the filters, with the total.
 * The most recently changed first, or in the attention rule's order when one is chosen.
 */
export async function listForBuyer(
  db: DbOrTx,
  buyerId: number,
  filters: StaffListFilters,
  clock: AttentionClock,
  page: number,
): Promise<{ items: StaffOpportunityRow[]; total: number }> {
  const where = and(
    eq(o.buyerId, buyerId),
    filters.status ? statusCondition(filters.status) : undefined,
    filters.attention ? attentionCondition(filters.attention, clock) : undefined,
    searchCondition(filters.words),
  );
  const order = filters.attention ? ATTENTION_ORDER[filters.attention] : NEWEST_CHANGE_FIRST;
  const [items, [counted]] = await Promise.all([
    db
      .select(rowColumns)
      .from(o)
      .where(where)
      .orderBy(...order)
      .limit(STAFF_PAGE_SIZE)
      .offset((page - 1) * STAFF_PAGE_SIZE),
    db.select({ total: sql<number>`count(*)::int` }).from(o).where(where),
  ]);
  return { items, total: counted?.total ?? 0 };
}

// ---- What needs attention ---------------------------------------------------------------------

/** How many opportunities each rule matches (with the search words, if any), in one query. */
export async function attentionCounts(db: DbOrTx, buyerId: number, clock: AttentionClock, words: string[] = []): Promise<Record<AttentionKind, number>> {
  const columns = Object.fromEntries(ATTENTION_KINDS.map((kind) => [kind, sql<number>`(count(*) filter (where ${attentionCondition(kind, clock)}))::int`])) as Record<
    AttentionKind,
    SQL<number>
  >;
  const [row] = await db
    .select(columns)
    .from(o)
    .where(and(eq(o.buyerId, buyerId), inArray(o.status, ATTENTION_STATUSES), searchCondition(words)));
  return Object.fromEntries(ATTENTION_KINDS.map((kind) => [kind, row?.[kind] ?? 0])) as Record<AttentionKind, number>;
}

export interface AttentionGroup {
  count: number;
  /** The first few, in the rule's order. */
  items: StaffOpportunityRow[];
}

/**
 * Every rule's count and its first `limit` opportunities: one query for the counts and one for
 * the items (a UNION ALL of one small ordered, limited query per rule), side by side.
 */
export async function attentionSummary(db: DbOrTx, buyerId: number, clock: AttentionClock, limit = ATTENTION_ITEMS): Promise<Record<AttentionKind, AttentionGroup>> {
  const part = (kind: AttentionKind) =>
    db
      .select({
        ...rowColumns,
        kind: sql<AttentionKind>`${kind}::text`.as('kind'),
        position: sql<number>`(row_number() over (order by ${sql.join(ATTENTION_ORDER[kind], sql`, `)}))::int`.as('position'),
      })
      .from(o)
      .where(and(eq(o.buyerId, buyerId), attentionCondition(kind, clock)))
      .orderBy(...ATTENTION_ORDER[kind])
      .limit(limit);
  const [first, second, ...rest] = ATTENTION_KINDS.map(part);
  const [counts, rows] = await Promise.all([attentionCounts(db, buyerId, clock), unionAll(first!, second!, ...rest)]);
  const groups = Object.fromEntries(ATTENTION_KINDS.map((kind) => [kind, { count: counts[kind], items: [] as StaffOpportunityRow[] }])) as Record<AttentionKind, AttentionGroup>;
  for (const { kind, position: _position, ...row } of [...rows].sort((a, b) => a.position - b.position)) groups[kind].items.push(row);
  return groups;
}
