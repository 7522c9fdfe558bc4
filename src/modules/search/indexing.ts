/**
 * Keeping the Meilisearch index in step with search_documents.
 *
 * Every release rewrites its opportunity's search document in its own transaction (releases.ts)
 * and, in that same transaction, enqueues a `search.index` job (enqueueSearchIndex): the job is
 * queued if, and only if, the release commits. The job reads the current rows of its
 * opportunities and upserts them into Meilisearch (or deletes the ids that no longer have a row),
 * so jobs that run late or twice still leave the latest state. Without MEILISEARCH_URL the job
 * does nothing: PostgreSQL search reads search_documents directly.
 *
 * While Meilisearch is down the job fails and the queue retries it with backoff (about 11 hours
 * in all); a longer outage, documents written by the bulk seeder (COPY, no jobs) or a changed
 * synonyms file need `npm run search:reindex` (scripts/search-reindex.ts), which rebuilds the
 * whole index from search_documents. Only that script creates the index (complete, swapped in):
 * until it has run once, jobs skip and searches are answered from PostgreSQL.
 *
 * Anything that deletes search_documents rows (they go with their opportunity) should enqueue
 * the job for those ids too, so that the index drops them.
 */
import { asc, gt, gte, inArray, sql, type SQL } from 'drizzle-orm';
import { Meilisearch, MeilisearchApiError, type EnqueuedTaskPromise, type Task } from 'meilisearch';
import PgBoss from 'pg-boss';
import type { Config } from '../../config.js';
import type { DbOrTx, Tx } from '../../db/client.js';
import { defineJob, JOB_SCHEMA } from '../jobs/job-definition.js';
import { queueSqlInTransaction } from '../jobs/transaction.js';
import { meilisearchSettings, toMeilisearchDocument, type MeilisearchDocument, type SearchDocumentSource } from './meilisearch.backend.js';
import { searchDocuments } from './search.table.js';
import { loadSynonyms, type SynonymSet } from './synonyms.js';

export const SEARCH_INDEX_JOB = 'search.index';

export interface SearchIndexJobData {
  opportunityIds: number[];
}

// ---------------------------------------------------------------------------------------------
// Enqueueing, inside the release's transaction

let queueSender: PgBoss | undefined;

/**
 * A pg-boss instance used only to build the insert of a job; it never connects (every send
 * passes the transaction's own connection as `db`) and is never started.
 */
function sender(): PgBoss {
  queueSender ??= new PgBoss({
    db: { executeSql: () => Promise.reject(new Error('search.index jobs are sent on a transaction only')) },
    schema: JOB_SCHEMA,
    schedule: false,
    supervise: false,
    migrate: false,
  });
  return queueSender;
}

/**
 * Enqueues a `search.index` job for these opportunities on the caller's transaction (so it exists
 * if, and only if, the transaction commits). Returns the job id, or null when the queue is not
 * installed yet: the demo data of a first run is loaded before the job runner has created its
 * schema (src/server.ts), and PostgreSQL search needs no job; `npm run search:reindex` covers
 * Meilisearch then.
 */
export async function enqueueSearchIndex(tx: DbOrTx, opportunityIds: number[]): Promise<string | null> {
  const ids = cleanIds(opportunityIds);
  if (!ids.length) return null;
  const { rows } = await tx.execute<{ installed: boolean }>(sql`select to_regclass(${`${JOB_SCHEMA}.job`}) is not null as installed`);
  if (!rows[0]?.installed) return null;
  // A Db (not a transaction) has the same session API; the job is then enqueued on its own.
  const data: SearchIndexJobData = { opportunityIds: ids };
  return sender().send(SEARCH_INDEX_JOB, data, { db: queueSqlInTransaction(tx as Tx) });
}

function cleanIds(ids: unknown): number[] {
  if (!Array.isArray(ids)) return [];
  return [...new Set(ids.filter((id): id is number => Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647))];
}

// ---------------------------------------------------------------------------------------------
// Reading search documents

const SOURCE_COLUMNS = {
  opportunityId: searchDocuments.opportunityId,
  buyerId: searchDocuments.buyerId,
  title: searchDocuments.title,
  summary: searchDocuments.summary,
  description: searchDocuments.description,
  cpvText: searchDocuments.cpvText,
  lotText: searchDocuments.lotText,
  buyerName: searchDocuments.buyerName,
  stage: searchDocuments.stage,
  cancelled: searchDocuments.cancelled,
  mainCategory: searchDocuments.mainCategory,
  cpvDivisions: searchDocuments.cpvDivisions,
  valueMaxPence: searchDocuments.valueMaxPence,
  suitableForSme: searchDocuments.suitableForSme,
  suitableForVcse: searchDocuments.suitableForVcse,
  reservation: searchDocuments.reservation,
  tenderDeadline: searchDocuments.tenderDeadline,
  firstPublishedAt: searchDocuments.firstPublishedAt,
};

/** Search documents as Meilisearch documents: these ids, or a batch in id order after `afterId` (optionally only those updated since a time). */
export async function readMeilisearchDocuments(
  db: DbOrTx,
  which: { ids: number[] } | { afterId: number; limit: number; updatedSince?: Date },
): Promise<MeilisearchDocument[]> {
  let where: SQL | undefined;
  let limit: number | undefined;
  if ('ids' in which) {
    if (!which.ids.length) return [];
    where = inArray(searchDocuments.opportunityId, which.ids);
  } else {
    where = which.updatedSince
      ? sql`${gt(searchDocuments.opportunityId, which.afterId)} and ${gte(searchDocuments.updatedAt, which.updatedSince)}`
      : gt(searchDocuments.opportunityId, which.afterId);
    limit = which.limit;
  }
  const query = db.select(SOURCE_COLUMNS).from(searchDocuments).where(where).orderBy(asc(searchDocuments.opportunityId));
  const rows: SearchDocumentSource[] = limit === undefined ? await query : await query.limit(limit);
  return rows.map(toMeilisearchDocument);
}

// ---------------------------------------------------------------------------------------------
// Writing to Meilisearch

/** Per request while indexing (settings and document batches can take a while to be accepted). */
export const MEILISEARCH_INDEXING_TIMEOUT_MS = 30_000;
/** How long to wait for Meilisearch to process an indexing task. */
export const MEILISEARCH_TASK_TIMEOUT_MS = 10 * 60_000;

export interface MeilisearchIndexerOptions {
  url: string;
  apiKey?: string | undefined;
  index: string;
  synonyms: SynonymSet;
  timeoutMs?: number;
  taskTimeoutMs?: number;
}

export interface MeilisearchIndexer {
  readonly client: Meilisearch;
  readonly index: string;
  /** Creates the index with its settings if it does not exist (once per indexer, unless it fails). For `search:reindex` and tests. */
  ensureIndex(): Promise<void>;
  /** Whether the index exists (a yes is remembered for a minute). */
  indexExists(): Promise<boolean>;
  /**
   * Upserts the search documents of these opportunities and deletes the ids without one. When the
   * index does not exist it does nothing (`skipped`): only `npm run search:reindex` creates it,
   * complete, so that searches never meet an index holding just the latest few opportunities
   * (until then they are answered from PostgreSQL).
   */
  sync(db: DbOrTx, opportunityIds: number[]): Promise<{ indexed: number; deleted: number; skipped?: string }>;
  /** Waits for an enqueued task and throws if Meilisearch failed it. */
  waitFor(task: EnqueuedTaskPromise, what: string): Promise<Task>;
}

export function createMeilisearchIndexer(options: MeilisearchIndexerOptions): MeilisearchIndexer {
  const client = new Meilisearch({ host: options.url, apiKey: options.apiKey, timeout: options.timeoutMs ?? MEILISEARCH_INDEXING_TIMEOUT_MS });
  const taskTimeout = options.taskTimeoutMs ?? MEILISEARCH_TASK_TIMEOUT_MS;
  let ensured: Promise<void> | undefined;
  let existsUntil = 0;

  async function waitFor(task: EnqueuedTaskPromise, what: string): Promise<Task> {
    const done = await task.waitTask({ timeout: taskTimeout, interval: 100 });
    if (done.status !== 'succeeded') throw new Error(`Meilisearch ${done.status === 'failed' ? 'failed' : done.status} ${what}${done.error ? `: ${done.error.message}` : ''}`);
    return done;
  }

  async function createIndex(): Promise<void> {
    try {
      await client.getRawIndex(options.index);
      return;
    } catch (error) {
      if (!(error instanceof MeilisearchApiError && error.cause?.code === 'index_not_found')) throw error;
    }
    const created = await client.createIndex(options.index, { primaryKey: 'id' }).waitTask({ timeout: taskTimeout, interval: 100 });
    // Another process may have created it at the same moment: that is fine.
    if (created.status !== 'succeeded' && created.error?.code !== 'index_already_exists') throw new Error(`Meilisearch failed to create the index "${options.index}": ${created.error?.message ?? created.status}`);
    await waitFor(client.index(options.index).updateSettings(meilisearchSettings(options.synonyms)), `to apply the settings of "${options.index}"`);
  }

  return {
    client,
    index: options.index,
    waitFor,
    ensureIndex() {
      ensured ??= createIndex().catch((error: unknown) => {
        ensured = undefined;
        throw error;
      });
      return ensured;
    },
    async indexExists() {
      if (Date.now() < existsUntil) return true;
      try {
        await client.getRawIndex(options.index);
      } catch (error) {
        if (error instanceof MeilisearchApiError && error.cause?.code === 'index_not_found') return false;
        throw error;
      }
      existsUntil = Date.now() + 60_000;
      return true;
    },
    async sync(db, opportunityIds) {
      const ids = cleanIds(opportunityIds);
      if (!ids.length) return { indexed: 0, deleted: 0 };
      if (!(await this.indexExists())) return { indexed: 0, deleted: 0, skipped: `the index "${options.index}" does not exist yet: npm run search:reindex creates it` };
      const documents = await readMeilisearchDocuments(db, { ids });
      const found = new Set(documents.map((d) => d.id));
      const missing = ids.filter((id) => !found.has(id));
      const index = client.index<MeilisearchDocument>(options.index);
      if (documents.length) await waitFor(index.addDocuments(documents, { primaryKey: 'id' }), `to index ${documents.length} documents`);
      if (missing.length) await waitFor(index.deleteDocuments(missing), `to delete ${missing.length} documents`);
      return { indexed: documents.length, deleted: missing.length };
    },
  };
}

const synonymsByFile = new Map<string, SynonymSet>();
const indexers = new Map<string, MeilisearchIndexer>();

/** The synonyms file of the configuration, read once per process. */
export function configuredSynonyms(config: Config): SynonymSet {
  let synonyms = synonymsByFile.get(config.search.synonymsFile);
  if (!synonyms) {
    synonyms = loadSynonyms(config.search.synonymsFile);
    synonymsByFile.set(config.search.synonymsFile, synonyms);
  }
  return synonyms;
}

/** The indexer for the configured Meilisearch (one per server and index in a process), or null when none is configured. */
export function meilisearchIndexerFor(config: Config): MeilisearchIndexer | null {
  const url = config.search.meilisearchUrl;
  if (!url) return null;
  const key = JSON.stringify([url, config.search.meilisearchIndex, config.search.meilisearchApiKey ?? '']);
  let indexer = indexers.get(key);
  if (!indexer) {
    indexer = createMeilisearchIndexer({ url, apiKey: config.search.meilisearchApiKey, index: config.search.meilisearchIndex, synonyms: configuredSynonyms(config) });
    indexers.set(key, indexer);
  }
  return indexer;
}

// ---------------------------------------------------------------------------------------------
// The job

export const searchIndexJob = defineJob<SearchIndexJobData>({
  name: SEARCH_INDEX_JOB,
  // Meilisearch down: retry 10 s, 20 s, 40 s … apart (about 11 hours over 12 retries).
  queue: { retryLimit: 12, retryDelay: 10, retryBackoff: true, expireInSeconds: 5 * 60 },
  concurrency: 2,
  async handle(job, { config, database, logger }) {
    const indexer = meilisearchIndexerFor(config);
    if (!indexer) return { skipped: 'MEILISEARCH_URL is not set: PostgreSQL search reads search_documents directly' };
    const result = await indexer.sync(database.db, job.data.opportunityIds);
    logger.debug(result, 'search documents sent to Meilisearch');
    return result;
  },
});
