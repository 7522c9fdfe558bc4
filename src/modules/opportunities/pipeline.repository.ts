/**
 * The pipeline's reads (/pipeline): forthcoming opportunities, meaning the latest releases in the
 * `pipeline` or `planned` stage that are not cancelled. Like the other public reads they use the
 * releases (what the public was shown), never the working copy.
 *
 * The rows are found through releases_latest_stage_idx (stage, cancelled, …) where is_latest: the
 * predicates below are spelled as literals (`is_latest`, `cancelled = false`) so that PostgreSQL
 * can match the partial index whatever plan it chooses. Only the snapshot fields the page shows
 * are extracted from the jsonb, and the date an entry is grouped on is worked out here, once, in
 * London time (see keyDate), so the sort, the cap and the quarters all agree.
 */
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { buyerOrganisations } from '../buyers/buyers.table.js';
import type { PublicOpportunity } from './opportunities.snapshot.js';
import { releases, type MainCategory } from './opportunities.table.js';

/** The stages of forthcoming opportunities, in the order a contract moves through them. */
export const PIPELINE_STAGES = ['pipeline', 'planned'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

export interface PipelineFilters {
  /** A buyer organisation's slug. */
  buyer?: string;
  mainCategory?: MainCategory;
}

/** One forthcoming opportunity: the few snapshot fields the pipeline shows. */
export interface PipelineEntry {
  id: number;
  title: string;
  summary: string;
  buyerName: string;
  stage: PipelineStage;
  value: PublicOpportunity['value'];
  cpv: PublicOpportunity['cpv'];
  /** ISO instant. */
  tenderDeadline: string | null;
  /** YYYY-MM-DD. */
  expectedAwardDate: string | null;
  /** YYYY-MM-DD. */
  contractStart: string | null;
  /**
   * The London calendar date (YYYY-MM-DD) the entry is grouped and sorted on: the tender
   * deadline's day in London if known, else the expected award date, else the contract start;
   * null when none is known.
   */
  keyDate: string | null;
}

export interface PipelineBuyer {
  slug: string;
  name: string;
  count: number;
}

const dates = sql`${releases.snapshot}->'dates'`;
const tenderDeadlineText = sql`nullif(${dates}->>'tenderDeadline', '')`;
const tenderDeadlineAt = sql`(${tenderDeadlineText})::timestamptz`;
const keyDate = sql<string | null>`coalesce(
  to_char(${tenderDeadlineAt} at time zone 'Europe/London', 'YYYY-MM-DD'),
  nullif(${dates}->>'expectedAwardDate', ''),
  nullif(${dates}->>'contractStart', '')
)`;

const entryColumns = {
  id: releases.opportunityId,
  title: sql<string>`${releases.snapshot}->>'title'`,
  summary: sql<string>`${releases.snapshot}->>'summary'`,
  buyerName: sql<string>`${releases.snapshot}->'buyer'->>'name'`,
  stage: sql<PipelineStage>`${releases.stage}`,
  value: sql<PublicOpportunity['value']>`${releases.snapshot}->'value'`,
  cpv: sql<PublicOpportunity['cpv']>`coalesce(${releases.snapshot}->'cpv', '[]'::jsonb)`,
  tenderDeadline: sql<string | null>`${tenderDeadlineText}`,
  expectedAwardDate: sql<string | null>`nullif(${dates}->>'expectedAwardDate', '')`,
  contractStart: sql<string | null>`nullif(${dates}->>'contractStart', '')`,
  keyDate,
};

/** The latest, not cancelled releases in a pipeline stage: the partial stage index's rows. */
const forthcoming = sql`${releases.isLatest} and ${releases.stage} in ('pipeline', 'planned') and ${releases.cancelled} = false`;

function whereOf(filters: PipelineFilters): SQL {
  const conditions: SQL[] = [forthcoming];
  if (filters.buyer !== undefined) {
    conditions.push(sql`${releases.buyerId} = (select ${buyerOrganisations.id} from ${buyerOrganisations} where ${buyerOrganisations.slug} = ${filters.buyer})`);
  }
  if (filters.mainCategory !== undefined) conditions.push(sql`${releases.snapshot}->>'mainCategory' = ${filters.mainCategory}`);
  return and(...conditions)!;
}

/**
 * Forthcoming opportunities, soonest first (undated ones last, by title), at most `limit` of
 * them, with how many there are in all for the same filters. The two queries run side by side.
 */
export async function listPipeline(db: DbOrTx, filters: PipelineFilters, limit: number): Promise<{ entries: PipelineEntry[]; total: number }> {
  const where = whereOf(filters);
  const [entries, [counted]] = await Promise.all([
    db
      .select(entryColumns)
      .from(releases)
      .where(where)
      .orderBy(sql`${keyDate} asc nulls last`, sql`${tenderDeadlineAt} asc nulls first`, sql`${releases.snapshot}->>'title'`, asc(releases.opportunityId))
      .limit(limit),
    db.select({ total: sql<number>`count(*)::int` }).from(releases).where(where),
  ]);
  return { entries, total: counted?.total ?? 0 };
}

/** The buyer organisations with forthcoming opportunities, by name, for the filter. */
export async function pipelineBuyers(db: DbOrTx): Promise<PipelineBuyer[]> {
  return db
    .select({ slug: buyerOrganisations.slug, name: buyerOrganisations.name, count: sql<number>`count(*)::int` })
    .from(releases)
    .innerJoin(buyerOrganisations, eq(buyerOrganisations.id, releases.buyerId))
    .where(forthcoming)
    .groupBy(buyerOrganisations.id)
    .orderBy(asc(buyerOrganisations.name), asc(buyerOrganisations.slug));
}
