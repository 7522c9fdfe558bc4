/**
 * `npm run search:reindex`: rebuilds the Meilisearch index from search_documents, with a progress
 * bar, without interrupting searches: the documents go into a fresh index `<index>_new` (settings
 * applied first, then batches of 5,000), which is then swapped with the live one in one atomic
 * step; documents changed while it ran are sent again after the swap, and the old index is deleted.
 *
 * Run it after loading data with the bulk seeder (which writes search documents without jobs),
 * after changing the synonyms file, or after a Meilisearch outage longer than the job retries.
 *
 * Without MEILISEARCH_URL there is nothing to rebuild: PostgreSQL search reads search_documents,
 * which every release keeps up to date in its own transaction. `--postgres` recomputes the
 * search documents' weighted vectors from their text columns (e.g. after a change to the text
 * search configuration), with or without Meilisearch.
 *
 * Exit codes: 0 done (or nothing to do), 1 failed (with a one-line reason), 2 bad arguments,
 * 130 interrupted.
 */
import cliProgress from 'cli-progress';
import { sql } from 'drizzle-orm';
import { MeilisearchApiError, type IndexSwap } from 'meilisearch';
import { openDatabase, type Database } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { readConfigOrExit } from '../src/lib/process.js';
import { SEARCH_VECTOR_SQL } from '../src/modules/opportunities/opportunities.snapshot.js';
import { configuredSynonyms, createMeilisearchIndexer, readMeilisearchDocuments } from '../src/modules/search/indexing.js';
import { describeMeilisearchError, meilisearchSettings } from '../src/modules/search/meilisearch.backend.js';

const USAGE = `Usage: npm run search:reindex [-- options]

Rebuilds the Meilisearch index (MEILISEARCH_URL, MEILISEARCH_INDEX) from the search documents in
PostgreSQL, swapping the new index in atomically so that searches keep working meanwhile.

Options:
  --postgres          also recompute the search documents' weighted vectors in PostgreSQL
  --batch-size N      documents per batch (default 5000)
  --help              show this help`;

function parseArgs(argv: string[]): { postgres: boolean; batchSize: number; help: boolean } | string {
  const out = { postgres: false, batchSize: 5000, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--postgres') out.postgres = true;
    else if (arg === '--help' || arg === '-h') out.help = true;
    else if (arg === '--batch-size' || arg.startsWith('--batch-size=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 100_000) return `--batch-size takes a whole number from 1 to 100000, not "${value ?? ''}"`;
      out.batchSize = n;
    } else return `unknown option "${arg}"`;
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
if (typeof args === 'string') {
  console.error(`search:reindex: ${args} (npm run search:reindex -- --help shows the options)`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const config = readConfigOrExit();
const meilisearchUrl = config.search.meilisearchUrl;
if (!meilisearchUrl && !args.postgres) {
  console.log(
    'search:reindex: MEILISEARCH_URL is not set, so there is no Meilisearch index to rebuild. PostgreSQL search needs no reindex: ' +
      'search_documents is written in the same transaction as every release. (--postgres recomputes its vectors.)',
  );
  process.exit(0);
}

const say = (message: string) => console.log(message);
const embeddedLog: string[] = [];
let database: Database | undefined;

// Ctrl-C: stop at once (a half-built `<index>_new` is replaced by the next run; the live index is untouched).
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => {
    console.error('\nsearch:reindex: interrupted; the live index was not changed.');
    void (database?.embedded?.stop() ?? Promise.resolve()).finally(() => process.exit(code));
  });
}

function progressBar(what: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    { format: `${what} |{bar}| {percentage}% | {value}/{total} documents | {duration_formatted} elapsed, about {eta_formatted} left`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
}

async function countDocuments(db: Database['db']): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(sql`select count(*)::int as n from search_documents`);
  return rows[0]?.n ?? 0;
}

/** Recomputes the weighted vectors of every search document from its columns, in batches. */
async function rebuildVectors(db: Database['db'], batchSize: number): Promise<number> {
  const total = await countDocuments(db);
  const bar = progressBar('vectors   ');
  bar.start(total, 0);
  let done = 0;
  let after = 0;
  try {
    for (;;) {
      const { rows } = await db.execute<{ last: number | null; n: number }>(
        sql`with batch as (select opportunity_id from search_documents where opportunity_id > ${after} order by opportunity_id limit ${batchSize}),
                 updated as (update search_documents d set document = ${sql.raw(SEARCH_VECTOR_SQL)} from batch b where d.opportunity_id = b.opportunity_id returning d.opportunity_id)
            select max(opportunity_id)::int as last, count(*)::int as n from updated`,
      );
      const row = rows[0];
      if (!row || !row.n || row.last === null) break;
      after = row.last;
      done += row.n;
      bar.update(Math.min(done, total));
    }
  } finally {
    bar.stop();
  }
  return done;
}

/** Fills `<index>_new` from search_documents and swaps it in. */
async function rebuildMeilisearch(db: Database['db'], url: string, batchSize: number): Promise<{ documents: number; caughtUp: number }> {
  const live = config.search.meilisearchIndex;
  const fresh = `${live}_new`;
  const synonyms = configuredSynonyms(config);
  const indexer = createMeilisearchIndexer({ url, apiKey: config.search.meilisearchApiKey, index: fresh, synonyms });
  const { client } = indexer;
  const deleteIfThere = async (uid: string) => {
    const task = await client.deleteIndex(uid).waitTask({ timeout: 10 * 60_000, interval: 200 });
    if (task.status !== 'succeeded' && task.error?.code !== 'index_not_found') throw new Error(`could not delete the index "${uid}": ${task.error?.message ?? task.status}`);
  };

  await client.health();
  // A run that was interrupted may have left it behind.
  await deleteIfThere(fresh);
  const created = await client.createIndex(fresh, { primaryKey: 'id' }).waitTask({ timeout: 10 * 60_000, interval: 200 });
  if (created.status !== 'succeeded') throw new Error(`could not create the index "${fresh}": ${created.error?.message ?? created.status}`);
  // Settings first: indexing documents into a configured index is faster than reconfiguring a full one.
  await indexer.waitFor(client.index(fresh).updateSettings(meilisearchSettings(synonyms)), `to apply the settings of "${fresh}"`);

  const { rows } = await db.execute<{ now: string }>(sql`select now()::text as now`);
  const startedAt = new Date(rows[0]!.now);
  const total = await countDocuments(db);
  const bar = progressBar('Meilisearch');
  bar.start(total, 0);
  let documents = 0;
  try {
    let after = 0;
    for (;;) {
      const batch = await readMeilisearchDocuments(db, { afterId: after, limit: batchSize });
      if (!batch.length) break;
      await indexer.waitFor(client.index(fresh).addDocuments(batch, { primaryKey: 'id' }), `to index a batch of ${batch.length} documents`);
      after = batch[batch.length - 1]!.id;
      documents += batch.length;
      if (documents > total) bar.setTotal(documents);
      bar.update(documents);
    }
  } finally {
    bar.stop();
  }

  // Swapping needs both indexes: a first run creates an empty live one to swap with.
  try {
    await client.getRawIndex(live);
  } catch (error) {
    if (!(error instanceof MeilisearchApiError && error.cause?.code === 'index_not_found')) throw error;
    const made = await client.createIndex(live, { primaryKey: 'id' }).waitTask({ timeout: 10 * 60_000, interval: 200 });
    if (made.status !== 'succeeded' && made.error?.code !== 'index_already_exists') throw new Error(`could not create the index "${live}": ${made.error?.message ?? made.status}`);
  }
  // `rename` left out (false, the server's default): servers before v1.18 do not know the field.
  const swap = { indexes: [live, fresh] } as IndexSwap;
  await indexer.waitFor(client.swapIndexes([swap]), `to swap "${fresh}" in as "${live}"`);

  // Releases written meanwhile were indexed into the old index by their jobs: send them again.
  let caughtUp = 0;
  let after = 0;
  for (;;) {
    const batch = await readMeilisearchDocuments(db, { afterId: after, limit: batchSize, updatedSince: startedAt });
    if (!batch.length) break;
    await indexer.waitFor(client.index(live).addDocuments(batch, { primaryKey: 'id' }), `to index ${batch.length} documents changed during the rebuild`);
    after = batch[batch.length - 1]!.id;
    caughtUp += batch.length;
  }
  await deleteIfThere(fresh);
  return { documents, caughtUp };
}

let exitCode = 0;
try {
  database = await openDatabase(config, { log: (message) => embeddedLog.push(message), poolSize: 2 });
  await runMigrations(database);
  if (args.postgres) {
    const n = await rebuildVectors(database.db, args.batchSize);
    say(`PostgreSQL: recomputed the search vectors of ${n.toLocaleString('en-GB')} documents.`);
  }
  if (meilisearchUrl) {
    const started = performance.now();
    const { documents, caughtUp } = await rebuildMeilisearch(database.db, meilisearchUrl, args.batchSize);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    say(
      `Meilisearch: index "${config.search.meilisearchIndex}" rebuilt with ${documents.toLocaleString('en-GB')} documents in ${seconds} s` +
        (caughtUp ? ` (${caughtUp.toLocaleString('en-GB')} changed meanwhile, sent again).` : '.'),
    );
  } else {
    say('Meilisearch: MEILISEARCH_URL is not set, so there is no index to rebuild.');
  }
} catch (error) {
  if (embeddedLog.length && !(error instanceof Error && error.name.startsWith('Meilisearch'))) console.error(embeddedLog.join('\n'));
  console.error(`search:reindex: failed: ${describeMeilisearchError(error, config.search.meilisearchApiKey)}`);
  exitCode = 1;
} finally {
  await database?.close();
}
process.exit(exitCode);
