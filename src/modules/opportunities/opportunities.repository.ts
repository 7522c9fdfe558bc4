/**
 * Public reads of opportunities. Everything here reads the releases (what the public was shown),
 * never the working copy, and selects only what a page needs. Each query is served by an index:
 *   - lists: releases_latest_newest_idx (first_published_at desc, opportunity_id desc) where
 *     is_latest, or releases_latest_stage_idx (stage, first_published_at desc) for one stage;
 *   - one opportunity: releases_opportunity_sequence_key (opportunity_id, sequence).
 */
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { PublicOpportunity } from './opportunities.snapshot.js';
import { NOTICE_STAGES, releases, type NoticeStage, type ReleaseTag } from './opportunities.table.js';

/** A notice stage, or `cancelled` (which the releases keep as a flag beside the stage). */
export const PUBLIC_STAGES = [...NOTICE_STAGES, 'cancelled'] as const;
export type PublicStage = (typeof PUBLIC_STAGES)[number];

export const PAGE_SIZE = 20;

/** One opportunity in a list: the few snapshot fields a list shows, not the whole snapshot. */
export interface OpportunitySummary {
  id: number;
  title: string;
  summary: string;
  buyerName: string;
  stage: NoticeStage;
  cancelled: boolean;
  value: PublicOpportunity['value'];
  tenderDeadline: string | null;
  firstPublishedAt: Date;
}

export interface ReleaseSummary {
  /** The row id: releases are immutable, so it identifies this exact snapshot. */
  id: number;
  releaseId: string;
  sequence: number;
  tags: ReleaseTag[];
  publishedAt: Date;
  changeNote: string | null;
}

export interface LatestRelease {
  release: ReleaseSummary;
  snapshot: PublicOpportunity;
  /** Every release of the opportunity, oldest first (the latest is the last). */
  history: ReleaseSummary[];
}

const summaryColumns = {
  id: releases.opportunityId,
  title: sql<string>`${releases.snapshot}->>'title'`,
  summary: sql<string>`${releases.snapshot}->>'summary'`,
  buyerName: sql<string>`${releases.snapshot}->'buyer'->>'name'`,
  stage: releases.stage,
  cancelled: releases.cancelled,
  value: sql<PublicOpportunity['value']>`${releases.snapshot}->'value'`,
  tenderDeadline: sql<string | null>`${releases.snapshot}->'dates'->>'tenderDeadline'`,
  firstPublishedAt: releases.firstPublishedAt,
};

const historyColumns = {
  id: releases.id,
  releaseId: releases.releaseId,
  sequence: releases.sequence,
  tags: releases.tags,
  publishedAt: releases.publishedAt,
  changeNote: releases.changeNote,
};

/**
 * Newest first, spelled exactly as releases_latest_newest_idx is declared (drizzle's `.desc()` in
 * an index is DESC NULLS LAST, while a bare ORDER BY … DESC means NULLS FIRST): anything else and
 * PostgreSQL sorts every latest release instead of reading the index. The columns are NOT NULL,
 * so the order is the same.
 */
const newestFirst = [sql`${releases.firstPublishedAt} desc nulls last`, sql`${releases.opportunityId} desc nulls last`];

function latestIn(stage: PublicStage | undefined): SQL | undefined {
  if (stage === undefined) return eq(releases.isLatest, true);
  if (stage === 'cancelled') return and(eq(releases.isLatest, true), eq(releases.cancelled, true));
  return and(eq(releases.isLatest, true), eq(releases.stage, stage), eq(releases.cancelled, false));
}

/**
 * A window of the latest releases, newest first. The window is chosen on the index alone (ids
 * only), and only its rows are then read for their snapshot fields: selecting the fields in the
 * same query would make PostgreSQL extract them from every row it skips on the way to a deep
 * page.
 */
async function newest(db: DbOrTx, where: SQL | undefined, limit: number, offset: number): Promise<OpportunitySummary[]> {
  const window = db.select({ opportunityId: releases.opportunityId }).from(releases).where(where).orderBy(...newestFirst).limit(limit).offset(offset).as('window');
  return db
    .select(summaryColumns)
    .from(releases)
    .innerJoin(window, and(eq(releases.opportunityId, window.opportunityId), eq(releases.isLatest, true)))
    .orderBy(...newestFirst);
}

/**
 * One page (1-based) of the latest releases, newest first, with the total for the same filter.
 * The two queries run side by side.
 */
export async function listLatest(db: DbOrTx, page: number, options: { stage?: PublicStage } = {}): Promise<{ items: OpportunitySummary[]; total: number }> {
  const where = latestIn(options.stage);
  const [items, [counted]] = await Promise.all([
    newest(db, where, PAGE_SIZE, (page - 1) * PAGE_SIZE),
    db.select({ total: sql<number>`count(*)::int` }).from(releases).where(where),
  ]);
  return { items, total: counted?.total ?? 0 };
}

/** The newest open (and not cancelled) opportunities. */
export async function latestOpen(db: DbOrTx, limit: number): Promise<OpportunitySummary[]> {
  return newest(db, latestIn('open'), limit, 0);
}

/** How many published opportunities are in each stage; cancelled ones are counted apart. */
export async function countByStage(db: DbOrTx): Promise<Record<PublicStage, number>> {
  const rows = await db
    .select({ stage: releases.stage, cancelled: releases.cancelled, count: sql<number>`count(*)::int` })
    .from(releases)
    .where(eq(releases.isLatest, true))
    .groupBy(releases.stage, releases.cancelled);
  const counts = Object.fromEntries(PUBLIC_STAGES.map((stage) => [stage, 0])) as Record<PublicStage, number>;
  for (const row of rows) counts[row.cancelled ? 'cancelled' : row.stage] += row.count;
  return counts;
}

function prepareReleasesOf(db: DbOrTx) {
  return db
    .select({ ...historyColumns, snapshot: sql<PublicOpportunity | null>`case when ${releases.isLatest} then ${releases.snapshot} end` })
    .from(releases)
    .where(eq(releases.opportunityId, sql.placeholder('opportunityId')))
    .orderBy(asc(releases.sequence))
    .prepare('public_releases_of_opportunity');
}
// The detail page's query, built once per database handle: a named prepared statement, so
// neither drizzle nor PostgreSQL plans it again on each request.
const releasesOf = new WeakMap<DbOrTx, ReturnType<typeof prepareReleasesOf>>();

/**
 * The latest release of one opportunity with its release history, in one query over the
 * opportunity's releases: only the latest row carries its snapshot. Null when nothing has been
 * published (a draft, a scheduled one, or no such opportunity).
 */
export async function findLatest(db: DbOrTx, opportunityId: number): Promise<LatestRelease | null> {
  let query = releasesOf.get(db);
  if (!query) releasesOf.set(db, (query = prepareReleasesOf(db)));
  const rows = await query.execute({ opportunityId });
  const latest = rows.find((row) => row.snapshot !== null);
  if (!latest?.snapshot) return null;
  const history = rows.map(({ snapshot: _snapshot, ...release }) => release as ReleaseSummary);
  const { snapshot, ...release } = latest;
  return { release: release as ReleaseSummary, snapshot, history };
}

/** Every release of one opportunity, oldest first (for feeds and pages that need no snapshot). */
export async function releaseHistory(db: DbOrTx, opportunityId: number): Promise<ReleaseSummary[]> {
  const rows = await db.select(historyColumns).from(releases).where(eq(releases.opportunityId, opportunityId)).orderBy(asc(releases.sequence));
  return rows as ReleaseSummary[];
}
