/**
 * Benchmark-sized data (`npm run seed -- --opportunities 100000`): the same shape as the demo —
 * buyers, opportunities with lots, awards with supplier snapshots, releases whose snapshot is a
 * real PublicOpportunity built by buildSnapshot, audit entries, and search documents with the
 * weighted vector computed by PostgreSQL from SEARCH_VECTOR_SQL — written with COPY in chunks,
 * with every index in place.
 *
 * Speed: this process plans and encodes chunk k+1 while PostgreSQL stores chunk k, and two writer
 * connections store alternate chunks, so both cores work. Each writer holds one transaction for
 * the whole load; all commit at the end, or all roll back on an error (and the buyers, committed
 * first so that the writers can refer to them, are deleted again).
 *
 * Rows are planned by compose.ts with the short history (the latest release, plus the first when
 * amended or cancelled). Every opportunity is published or cancelled, so every one has a latest
 * release. Text comes from the real Contracts Finder notices (about a third) and the templates;
 * a notice used more than once keeps its provenance as `<ocid>~<n>`, since source ids are unique.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inArray } from 'drizzle-orm';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Config } from '../../config.js';
import type { Database } from '../../db/client.js';
import { buyerOrganisations } from '../buyers/buyers.table.js';
import { buildSnapshot, ocidFor, SEARCH_VECTOR_SQL, searchDocumentFields, type PublicAward, type PublicBuyer, type PublicLot, type PublicOpportunity } from '../opportunities/opportunities.snapshot.js';
import type { NoticeStage } from '../opportunities/opportunities.table.js';
import { toPublicBuyer } from '../opportunities/releases.js';
import { suppliers } from '../suppliers/suppliers.table.js';
import {
  actionForStep,
  actorForStep,
  awardsVisibleAt,
  chooseBuyer,
  columnsAt,
  contentFromNotice,
  contentFromTemplate,
  planOpportunity,
  tagsForStep,
  type ComposeContext,
  type PlannedOpportunity,
  type Scenario,
} from './compose.js';
import type { RealNotice } from './real-notices.js';
import { checkOut, DEFAULT_SEED, giveBack, insertOrganisations, prepareSeed } from './seeding.js';
import { TEMPLATES } from './templates.js';

export interface LoadBulkOptions {
  opportunities: number;
  log: (message: string) => void;
  seed?: number;
  now?: Date;
  /** Called after each chunk is stored, with the number of opportunities stored so far. */
  onProgress?: (done: number, total: number) => void;
  /** Opportunities per chunk (one COPY per table per chunk). */
  chunkSize?: number;
  /** Writer connections storing chunks in parallel (the pool needs one more than this). */
  writers?: number;
  /** Stops the load at the next chunk, rolling everything back (Ctrl-C in `npm run seed`). */
  signal?: AbortSignal;
}

export interface BulkResult {
  opportunities: number;
  releases: number;
  lots: number;
  awards: number;
  buyers: number;
  milliseconds: number;
}

/** Share of opportunities by notice stage (most are awarded or open, as on a real portal). */
const STAGE_WEIGHTS: Record<NoticeStage, number> = { pipeline: 8, planned: 10, open: 30, closed: 17, awarded: 35 };
const REAL_SHARE = 0.35;

const KIND_FOR_STAGE: Record<NoticeStage, RealNotice['kind']> = { pipeline: 'planning', planned: 'planning', open: 'tender', closed: 'tender', awarded: 'award' };

export async function loadBulkData(database: Database, config: Config, options: LoadBulkOptions): Promise<BulkResult> {
  const started = performance.now();
  const total = options.opportunities;
  const chunkSize = options.chunkSize ?? 1000;
  const now = options.now ?? new Date();
  // About one buyer per 5,000 opportunities, at least the four demo buyers.
  const extraBuyers = Math.min(40, Math.floor(total / 5000));
  const { ctx, cpvDescriptions, notices } = await prepareSeed(database.db, config, { seed: options.seed ?? DEFAULT_SEED, now, extraBuyers });
  const organisations = await database.db.transaction((tx) => insertOrganisations(tx, ctx.buyers, ctx.suppliers));
  const chunkContext: ChunkContext = {
    ocidPrefix: config.ocidPrefix,
    buyers: organisations.buyers.map(toPublicBuyer),
    buyerIds: organisations.buyers.map((b) => b.id),
    supplierIds: organisations.supplierIds,
    cpvDescriptions,
    now,
  };

  const control = await checkOut(database);
  const writers: pg.PoolClient[] = [];
  try {
    for (let i = 0; i < (options.writers ?? 2); i++) {
      const writer = await checkOut(database);
      writers.push(writer);
      await startWriter(writer);
    }
    const sequences = await sequenceNames(control);
    const picker = new SourcePicker(ctx, notices);
    const counts = { releases: 0, lots: 0, awards: 0, stored: 0 };
    // Each writer's previous chunk; the first error stops the load.
    const busy: Promise<void>[] = writers.map(() => Promise.resolve());
    let failure: unknown;

    for (let chunk = 0, planned = 0; planned < total; chunk++) {
      options.signal?.throwIfAborted();
      if (failure) throw failure;
      const size = Math.min(chunkSize, total - planned);
      planned += size;
      const plans = Array.from({ length: size }, () => picker.next());
      const ids = await reserveChunkIds(control, sequences, plans);
      const rows = await encodeChunk(plans, ids, chunkContext);
      const w = chunk % writers.length;
      await busy[w];
      if (failure) throw failure;
      const stored = storeChunk(writers[w]!, rows).then(() => {
        counts.releases += rows.releases.length;
        counts.lots += rows.lots.length;
        counts.awards += rows.awards.length;
        counts.stored += size;
        options.onProgress?.(counts.stored, total);
      });
      busy[w] = stored.catch((error: unknown) => {
        failure ??= error;
      });
    }
    await Promise.all(busy);
    options.signal?.throwIfAborted();
    if (failure) throw failure;
    for (const writer of writers) await writer.query('commit');
    // Fresh statistics, so that the first benchmark queries are planned on the real sizes, and a
    // vacuum, so that the visibility map lets PostgreSQL use index-only scans (without it the
    // list query scanned the whole table). The connections share the tables out, biggest first.
    const tables = ['search_documents', 'releases', 'opportunities', 'audit_log', 'award_suppliers', 'awards', 'lots', 'suppliers', 'buyer_organisations'];
    const connections = [control, ...writers];
    await Promise.all(connections.map(async (client, i) => {
      for (const table of tables.filter((_t, j) => j % connections.length === i)) await client.query(`vacuum (analyze) ${table}`);
    }));

    const result = { opportunities: total, releases: counts.releases, lots: counts.lots, awards: counts.awards, buyers: ctx.buyers.length, milliseconds: Math.round(performance.now() - started) };
    options.log(
      `benchmark data: ${result.opportunities} opportunities, ${result.releases} releases, ${result.lots} lots, ${result.awards} awards, ${result.buyers} buyers in ${(result.milliseconds / 1000).toFixed(1)} s`,
    );
    return result;
  } catch (error) {
    for (const writer of writers) await writer.query('rollback').catch(() => {});
    try {
      await database.db.delete(suppliers).where(inArray(suppliers.id, [...organisations.supplierIds.values()]));
      await database.db.delete(buyerOrganisations).where(inArray(buyerOrganisations.id, chunkContext.buyerIds));
    } catch {
      // E.g. Ctrl-C in a terminal also stops an embedded PostgreSQL started by this process.
      options.log('The buyers and suppliers written first could not be removed (the database went away); `npm run seed -- --reset` clears them.');
    }
    throw error;
  } finally {
    for (const client of [control, ...writers]) giveBack(client);
  }
}

async function startWriter(client: pg.PoolClient): Promise<void> {
  await client.query('begin');
  // Nothing needs a durable commit per statement; a larger GIN pending list makes the vector
  // and trigram indexes cheaper to fill in bulk.
  await client.query(`set local synchronous_commit = off`);
  await client.query(`set local gin_pending_list_limit = '16MB'`);
  await client.query(`create temp table bulk_search_stage on commit drop as select * from search_documents with no data`);
}

/** Chooses each opportunity's scenario and its text: a real notice of the right kind, or a template. */
class SourcePicker {
  private readonly pools: Record<RealNotice['kind'], RealNotice[]>;
  private readonly uses = new Map<string, number>();

  constructor(
    private readonly ctx: ComposeContext,
    notices: RealNotice[],
  ) {
    this.pools = {
      planning: notices.filter((n) => n.kind === 'planning'),
      tender: notices.filter((n) => n.kind === 'tender'),
      award: notices.filter((n) => n.kind === 'award'),
    };
  }

  next(): PlannedOpportunity {
    const { rng } = this.ctx;
    const stage = rng.weighted(STAGE_WEIGHTS);
    const cancelled = stage !== 'awarded' && rng.chance(0.04);
    const scenario: Scenario = {
      status: cancelled ? 'cancelled' : 'published',
      stage,
      amended: !cancelled && rng.chance(0.06),
      closingSoon: stage === 'open' && rng.chance(0.15),
      history: 'short',
    };
    const pool = this.pools[KIND_FOR_STAGE[stage]];
    if (pool.length && rng.chance(REAL_SHARE)) {
      const notice = rng.pick(pool);
      const use = this.uses.get(notice.ocid) ?? 0;
      this.uses.set(notice.ocid, use + 1);
      const content = contentFromNotice(notice);
      if (use > 0) {
        content.sourceId = `${notice.ocid}~${use}`;
        // The same need arises in many places: vary the title as buyers do.
        if (rng.chance(0.4)) content.title = `${content.title}: ${rng.pick(this.ctx.area.places).locality}`;
      }
      return planOpportunity(this.ctx, content, scenario, chooseBuyer(this.ctx, null));
    }
    const template = rng.pick(TEMPLATES);
    return planOpportunity(this.ctx, contentFromTemplate(this.ctx, template), scenario, chooseBuyer(this.ctx, template.key));
  }
}

interface ChunkContext {
  ocidPrefix: string;
  buyers: PublicBuyer[];
  buyerIds: number[];
  supplierIds: Map<string, number>;
  cpvDescriptions: Map<string, string>;
  now: Date;
}

interface Sequences {
  opportunities: string;
  lots: string;
  awards: string;
  releases: string;
}

async function sequenceNames(client: pg.PoolClient): Promise<Sequences> {
  const { rows } = await client.query<Sequences>(
    `select pg_get_serial_sequence('opportunities', 'id') as opportunities, pg_get_serial_sequence('lots', 'id') as lots,
            pg_get_serial_sequence('awards', 'id') as awards, pg_get_serial_sequence('releases', 'id') as releases`,
  );
  return rows[0]!;
}

/**
 * Ids from the table's own identity sequence, so that rows inserted later by the app (or by a
 * running `npm start`) never collide. The snapshots need the ids before the rows exist.
 */
async function reserveIds(client: pg.PoolClient, sequence: string, count: number): Promise<number[]> {
  if (count === 0) return [];
  const { rows } = await client.query<{ id: string }>('select nextval($1::regclass) as id from generate_series(1, $2)', [sequence, count]);
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

const OPPORTUNITY_COLUMNS = [
  'id', 'buyer_id', 'version', 'status', 'stage', 'reference', 'title', 'summary', 'description', 'procedure', 'main_category', 'cpv_codes',
  'value_min_pence', 'value_max_pence', 'value_includes_vat', 'currency', 'delivery_location', 'suitable_for_sme', 'suitable_for_vcse', 'reservation',
  'social_value_local_jobs', 'social_value_apprenticeships', 'social_value_other', 'publish_at', 'engagement_event_at', 'engagement_event_details',
  'questions_deadline', 'tender_deadline', 'expected_award_date', 'contract_start', 'contract_end', 'extensions', 'contact_name', 'contact_email',
  'contact_phone', 'response_method', 'external_response_url', 'external_response_reference', 'official_notice_id', 'official_notice_url', 'source',
  'source_id', 'cancellation_reason', 'first_published_at', 'created_at', 'updated_at',
];
const LOT_COLUMNS = ['id', 'opportunity_id', 'position', 'title', 'description', 'value_pence'];
const AWARD_COLUMNS = ['id', 'opportunity_id', 'lot_id', 'awarded_on', 'value_pence', 'contract_start', 'contract_end', 'social_value_commitments', 'created_at'];
const AWARD_SUPPLIER_COLUMNS = ['award_id', 'supplier_id', 'name', 'companies_house_number', 'charity_number', 'postcode', 'size', 'local', 'vcse', 'value_pence'];
const RELEASE_COLUMNS = ['id', 'opportunity_id', 'release_id', 'ocid', 'sequence', 'tags', 'stage', 'cancelled', 'buyer_id', 'published_at', 'first_published_at', 'change_note', 'is_latest', 'snapshot'];
const AUDIT_COLUMNS = ['at', 'actor_label', 'buyer_id', 'entity_type', 'entity_id', 'action', 'after'];
const SEARCH_COLUMNS = [
  'opportunity_id', 'release_id', 'buyer_id', 'title', 'summary', 'description', 'cpv_text', 'lot_text', 'buyer_name', 'stage', 'cancelled',
  'main_category', 'cpv_divisions', 'value_max_pence', 'suitable_for_sme', 'suitable_for_vcse', 'reservation', 'tender_deadline', 'first_published_at', 'updated_at',
];

interface ChunkIds {
  opportunities: number[];
  lots: number[];
  awards: number[];
  releases: number[];
}

async function reserveChunkIds(client: pg.PoolClient, sequences: Sequences, plans: PlannedOpportunity[]): Promise<ChunkIds> {
  return {
    opportunities: await reserveIds(client, sequences.opportunities, plans.length),
    lots: await reserveIds(client, sequences.lots, plans.reduce((n, p) => n + p.lots.length, 0)),
    awards: await reserveIds(client, sequences.awards, plans.reduce((n, p) => n + p.awards.length, 0)),
    releases: await reserveIds(client, sequences.releases, plans.reduce((n, p) => n + p.steps.length, 0)),
  };
}

interface ChunkRows {
  opportunities: string[];
  lots: string[];
  awards: string[];
  awardSuppliers: string[];
  releases: string[];
  audit: string[];
  search: string[];
}

/** Opportunities encoded between turns of the event loop, so the writers' sockets keep flowing. */
const ENCODE_SLICE = 50;

/** Builds every row of a chunk as COPY text: snapshots, search text, audit entries. */
async function encodeChunk(plans: PlannedOpportunity[], ids: ChunkIds, c: ChunkContext): Promise<ChunkRows> {
  const rows: ChunkRows = { opportunities: [], lots: [], awards: [], awardSuppliers: [], releases: [], audit: [], search: [] };
  let lotIndex = 0;
  let awardIndex = 0;
  let releaseIndex = 0;

  for (const [i, plan] of plans.entries()) {
    if (i % ENCODE_SLICE === ENCODE_SLICE - 1) await nextTurn();
    const id = ids.opportunities[i]!;
    const buyerId = c.buyerIds[plan.buyerIndex]!;
    const f = plan.final;
    rows.opportunities.push(
      copyLine([
        id, buyerId, f.version, f.status, f.stage, f.reference, f.title, f.summary, f.description, f.procedure, f.mainCategory, f.cpvCodes,
        f.valueMinPence, f.valueMaxPence, f.valueIncludesVat, f.currency, f.deliveryLocation, f.suitableForSme, f.suitableForVcse, f.reservation,
        f.socialValueLocalJobs, f.socialValueApprenticeships, f.socialValueOther, f.publishAt, f.engagementEventAt, f.engagementEventDetails,
        f.questionsDeadline, f.tenderDeadline, f.expectedAwardDate, f.contractStart, f.contractEnd, f.extensions, f.contactName, f.contactEmail,
        f.contactPhone, f.responseMethod, f.externalResponseUrl, f.externalResponseReference, f.officialNoticeId, f.officialNoticeUrl, f.source,
        f.sourceId, f.cancellationReason, f.firstPublishedAt, f.createdAt, f.updatedAt,
      ]),
    );

    const publicLots: PublicLot[] = plan.lots.map((lot) => {
      const lotId = ids.lots[lotIndex++]!;
      rows.lots.push(copyLine([lotId, id, lot.position, lot.title, lot.description, lot.valuePence]));
      return { id: lotId, number: lot.position, title: lot.title, description: lot.description, valuePence: lot.valuePence };
    });

    const awardedAt = plan.steps.find((s) => s.stage === 'awarded')?.at ?? c.now;
    const publicAwards: PublicAward[] = plan.awards.map((award) => {
      const awardId = ids.awards[awardIndex++]!;
      const lot = award.lotPosition === null ? undefined : publicLots.find((l) => l.number === award.lotPosition);
      rows.awards.push(copyLine([awardId, id, lot?.id ?? null, award.awardedOn, award.valuePence, award.contractStart, award.contractEnd, award.socialValueCommitments, awardedAt]));
      const awardedSuppliers = award.suppliers.map(({ supplierKey, ...s }) => {
        const supplierId = supplierKey ? (c.supplierIds.get(supplierKey) ?? null) : null;
        rows.awardSuppliers.push(copyLine([awardId, supplierId, s.name, s.companiesHouseNumber, s.charityNumber, s.postcode, s.size, s.local, s.vcse, s.valuePence]));
        return { supplierId, ...s };
      });
      return {
        id: awardId,
        lotId: lot?.id ?? null,
        lotNumber: lot?.number ?? null,
        lotTitle: lot?.title ?? null,
        awardedOn: award.awardedOn,
        valuePence: award.valuePence,
        contractStart: award.contractStart,
        contractEnd: award.contractEnd,
        socialValueCommitments: award.socialValueCommitments,
        suppliers: awardedSuppliers,
      };
    });

    const ocid = ocidFor(c.ocidPrefix, id);
    let latest: { releaseRowId: number; snapshot: PublicOpportunity } | undefined;
    plan.steps.forEach((step, index) => {
      const releaseRowId = ids.releases[releaseIndex++]!;
      const snapshot = buildSnapshot({
        ocidPrefix: c.ocidPrefix,
        opportunity: { id, ...columnsAt(plan, index) },
        buyer: c.buyers[plan.buyerIndex]!,
        cpvDescriptions: c.cpvDescriptions,
        lots: publicLots,
        awards: awardsVisibleAt(plan, index) ? publicAwards : [],
        publishedAt: step.at,
      });
      const tags = tagsForStep(step);
      const releaseId = `${ocid}-${index + 1}`;
      const isLatest = index === plan.steps.length - 1;
      rows.releases.push(
        copyLine([releaseRowId, id, releaseId, ocid, index + 1, tags, snapshot.stage, snapshot.cancelled, buyerId, step.at, snapshot.firstPublishedAt, step.changeNote, isLatest, snapshot]),
      );
      rows.audit.push(
        copyLine([step.at, actorForStep(step, plan), buyerId, 'opportunity', String(id), actionForStep(step), { releaseId, tags, stage: snapshot.stage, cancelled: snapshot.cancelled, changeNote: step.changeNote }]),
      );
      if (isLatest) latest = { releaseRowId, snapshot };
    });

    if (latest) {
      const { snapshot } = latest;
      // The same columns as the release writer's search document (searchDocumentFields keeps the table's order).
      rows.search.push(copyLine([id, latest.releaseRowId, ...Object.values(searchDocumentFields(snapshot)), c.now]));
    }
  }
  return rows;
}

/** Stores an encoded chunk on a writer: parents before children (foreign keys are checked row by row). */
async function storeChunk(client: pg.PoolClient, rows: ChunkRows): Promise<void> {
  await copyRows(client, 'opportunities', OPPORTUNITY_COLUMNS, rows.opportunities);
  await copyRows(client, 'lots', LOT_COLUMNS, rows.lots);
  await copyRows(client, 'awards', AWARD_COLUMNS, rows.awards);
  await copyRows(client, 'award_suppliers', AWARD_SUPPLIER_COLUMNS, rows.awardSuppliers);
  await copyRows(client, 'releases', RELEASE_COLUMNS, rows.releases);
  await copyRows(client, 'audit_log', AUDIT_COLUMNS, rows.audit);
  // The vector is computed by PostgreSQL with the shared expression, as the release writer does.
  await copyRows(client, 'bulk_search_stage', SEARCH_COLUMNS, rows.search);
  await client.query(`insert into search_documents (${SEARCH_COLUMNS.join(', ')}, document) select ${SEARCH_COLUMNS.join(', ')}, ${SEARCH_VECTOR_SQL} from bulk_search_stage`);
  await client.query('truncate bulk_search_stage');
}

/* COPY text format: tab-separated, \N for null, backslash escapes. */

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const NEEDS_ESCAPE = /[\\\n\r\t]/;

function escapeCopy(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(/[\\\n\r\t]/g, (ch) => COPY_ESCAPES[ch]!) : text;
}

/** A PostgreSQL array literal of text: {"a","b"}. */
function arrayLiteral(items: readonly unknown[]): string {
  return `{${items.map((item) => `"${String(item).replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (value instanceof Date) return value.toISOString();
  switch (typeof value) {
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
      return String(value);
    case 'string':
      return escapeCopy(value);
    default:
      // JSON never holds a raw line break or tab (it writes \n), so only its backslashes need doubling.
      return Array.isArray(value) ? escapeCopy(arrayLiteral(value)) : JSON.stringify(value).replaceAll('\\', '\\\\');
  }
}

function copyLine(values: unknown[]): string {
  return `${values.map(copyValue).join('\t')}\n`;
}

async function copyRows(client: pg.PoolClient, table: string, columns: string[], lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const stream = client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`));
  await pipeline(Readable.from(batches(lines, 500)), stream);
}

function* batches(lines: string[], size: number): Generator<string> {
  for (let i = 0; i < lines.length; i += size) yield lines.slice(i, i + size).join('');
}
