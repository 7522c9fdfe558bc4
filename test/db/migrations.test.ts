/**
 * The migrations on an EMPTY database (not the suite's migrated template): they apply cleanly,
 * create every table, the extensions and the accent-folding text-search configuration, load the
 * 9,454 CPV codes, and a second run changes nothing. The same on Debian's PostgreSQL 15 (the
 * oldest server the portal supports) when its binaries are installed.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import { connect } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { migrationsDir } from '../../src/paths.js';
import { freePort, isRoot, userIds } from '../support/process.js';
import { readTestClusterInfo } from '../support/test-cluster.js';
import { emptyDatabase } from './empty-database.js';

const CPV_CODES = 9454;
const journal = JSON.parse(readFileSync(path.join(migrationsDir, 'meta', '_journal.json'), 'utf8')) as {
  entries: { idx: number; when: number; tag: string }[];
};

/** Every table the migrations create (and do not drop later), read from the SQL itself. */
function expectedTables(): string[] {
  const tables = new Set<string>();
  for (const file of readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort()) {
    const sql = readFileSync(path.join(migrationsDir, file), 'utf8');
    for (const [, name] of sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?"?(?:public"?\."?)?([a-z_][a-z0-9_]*)"?/gi)) tables.add(name!);
    for (const [, name] of sql.matchAll(/DROP TABLE (?:IF EXISTS )?"?(?:public"?\."?)?([a-z_][a-z0-9_]*)"?/gi)) tables.delete(name!);
  }
  return [...tables].sort();
}

async function query<R extends pg.QueryResultRow>(pool: pg.Pool, sql: string): Promise<R[]> {
  return (await pool.query<R>(sql)).rows;
}

/** A digest of the schema (columns, indexes, constraints) to show that a second run changed nothing. */
async function schemaFingerprint(pool: pg.Pool): Promise<string> {
  const [row] = await query<{ digest: string }>(
    pool,
    `select md5(coalesce((select string_agg(table_name || '.' || column_name || ':' || data_type || ':' || coalesce(column_default, ''), ',' order by table_name, column_name)
                            from information_schema.columns where table_schema in ('public', 'drizzle')), '')
             || coalesce((select string_agg(indexdef, ',' order by indexdef) from pg_indexes where schemaname = 'public'), '')
             || coalesce((select string_agg(conname || pg_get_constraintdef(oid), ',' order by conname) from pg_constraint where connamespace = 'public'::regnamespace), '')) as digest`,
  );
  return row!.digest;
}

/** Runs the migrations twice on an empty database and checks everything they promise. */
async function checkMigrations(t: Test, adminUrl: string): Promise<void> {
  const url = await emptyDatabase(t, adminUrl);
  const database = connect(url, undefined, 2);
  t.teardown(() => database.close());
  const { pool } = database;

  const [{ tables: before } = { tables: 0 }] = await query<{ tables: number }>(pool, "select count(*)::int as tables from pg_tables where schemaname = 'public'");
  t.equal(before, 0, 'the database starts empty');

  await runMigrations(database);

  const tables = (await query<{ tablename: string }>(pool, "select tablename from pg_tables where schemaname = 'public' order by tablename")).map((r) => r.tablename);
  const expected = expectedTables();
  t.ok(expected.length >= 12, `the migrations create ${expected.length} tables`);
  t.same(tables, expected, 'every table the migrations create exists, and no other');

  const extensions = (await query<{ extname: string }>(pool, 'select extname from pg_extension order by extname')).map((r) => r.extname);
  t.ok(extensions.includes('pg_trgm'), 'pg_trgm is installed');
  t.ok(extensions.includes('unaccent'), 'unaccent is installed');

  const [fts] = await query<{ vector: string; matches: boolean; similar: number }>(
    pool,
    `select to_tsvector('portal_english', 'café')::text as vector,
            to_tsvector('portal_english', 'Community cafés') @@ plainto_tsquery('portal_english', 'community cafe') as matches,
            similarity('grounds maintenance', 'grounds maintenence') as similar`,
  );
  t.match(fts?.vector, /'cafe'/, "portal_english folds accents: 'café' is indexed as 'cafe'");
  t.equal(fts?.matches, true, "'cafe' finds 'cafés' (accent folding and English stemming)");
  t.ok((fts?.similar ?? 0) > 0.5, 'pg_trgm similarity works for typo tolerance');

  const [cpv] = await query<{ n: number; divisions: number; wrongDivision: number; grounds: string }>(
    pool,
    `select count(*)::int as n, count(distinct division)::int as divisions,
            count(*) filter (where division <> left(code, 2))::int as "wrongDivision",
            max(description) filter (where code = '77310000') as grounds
       from cpv_codes`,
  );
  t.equal(cpv?.n, CPV_CODES, `${CPV_CODES} CPV codes are loaded`);
  t.equal(cpv?.wrongDivision, 0, 'each code is filed under its division (first two digits)');
  t.ok((cpv?.divisions ?? 0) >= 40, `${cpv?.divisions} CPV divisions`);
  t.equal(cpv?.grounds, 'Planting and maintenance services of green areas', 'descriptions are read from the CSV (quoted fields included)');

  const [applied] = await query<{ n: number }>(pool, 'select count(*)::int as n from drizzle.__drizzle_migrations');
  t.equal(applied?.n, journal.entries.length, 'every migration in the journal is recorded');

  // Second run: nothing new recorded, the schema unchanged, no CPV row rewritten.
  const fingerprint = await schemaFingerprint(pool);
  const [{ xid } = { xid: '0' }] = await query<{ xid: string }>(pool, 'select (txid_current() % 4294967296)::text as xid');
  await runMigrations(database);
  const [again] = await query<{ n: number }>(pool, 'select count(*)::int as n from drizzle.__drizzle_migrations');
  t.equal(again?.n, journal.entries.length, 'the second run records no migration');
  t.equal(await schemaFingerprint(pool), fingerprint, 'the second run leaves the schema as it was');
  const [rewritten] = await query<{ n: number; total: number }>(
    pool,
    `select count(*) filter (where xmin::text::bigint >= ${Number(xid)})::int as n, count(*)::int as total from cpv_codes`,
  );
  t.equal(rewritten?.total, CPV_CODES, 'still exactly the CPV codes');
  t.equal(rewritten?.n, 0, 'the second run rewrote no CPV row');
}

t.test('the journal lists every migration file in order, with increasing timestamps', async (t) => {
  // drizzle applies a migration only if its `when` is later than the newest one already applied:
  // a migration with an earlier timestamp would be skipped silently on every existing database.
  const files = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort();
  t.same(journal.entries.map((e) => `${e.tag}.sql`), files, 'one journal entry per SQL file, in file order');
  journal.entries.forEach((entry, i) => {
    t.equal(entry.idx, i, `${entry.tag} has index ${i}`);
    if (i > 0) t.ok(entry.when > journal.entries[i - 1]!.when, `${entry.tag} is dated after ${journal.entries[i - 1]!.tag}`);
  });
});

t.test('migrations apply cleanly to an empty database on the suite\'s PostgreSQL, and again as a no-op', async (t) => {
  await checkMigrations(t, readTestClusterInfo().adminUrl);
});

t.test('two instances migrating an empty database at once both succeed (the advisory lock serialises them)', async (t) => {
  const url = await emptyDatabase(t, readTestClusterInfo().adminUrl);
  const first = connect(url, undefined, 2);
  const second = connect(url, undefined, 2);
  t.teardown(async () => {
    await first.close();
    await second.close();
  });
  const results = await Promise.allSettled([runMigrations(first), runMigrations(second)]);
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled'], `both runs succeed ${JSON.stringify(results.filter((r) => r.status === 'rejected'))}`);
  const { rows } = await first.pool.query<{ migrations: number; cpv: number }>(
    'select (select count(*)::int from drizzle.__drizzle_migrations) as migrations, (select count(*)::int from cpv_codes) as cpv',
  );
  t.same(rows[0], { migrations: journal.entries.length, cpv: CPV_CODES }, 'each migration recorded once, each CPV code loaded once');
});

// ---------------------------------------------------------------------------------------------
// Debian's PostgreSQL 15: a throwaway cluster in a temp dir, run as the postgres user when root.

const PG15_BIN = '/usr/lib/postgresql/15/bin';

interface Pg15Cluster {
  adminUrl: string;
  stop(): void;
}

async function startPg15Cluster(t: Test): Promise<Pg15Cluster> {
  const ids = isRoot ? userIds('postgres', true) : undefined;
  const root = mkdtempSync(path.join(os.tmpdir(), 'portal-pg15-'));
  const dataDir = path.join(root, 'data');
  const run = (file: string, args: string[]) =>
    execFileSync(path.join(PG15_BIN, file), args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: root, ...(ids ?? {}) });
  // As root, PostgreSQL runs as `postgres`, which must own the folder (mkdtemp makes it mode 700).
  if (ids) chownSync(root, ids.uid, ids.gid);
  let started = false;
  const stop = () => {
    if (started) {
      started = false;
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      } catch (error) {
        t.comment(`pg_ctl stop failed: ${(error as Error).message}`);
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  t.teardown(stop);
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  // TCP on loopback only and no Unix socket: a system PostgreSQL's socket folder is no bother.
  run('pg_ctl', ['-D', dataDir, '-l', path.join(root, 'postgres.log'), '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=`, '-w', 'start']);
  started = true;
  return { adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
}

const pg15Available = existsSync(path.join(PG15_BIN, 'initdb')) && existsSync(path.join(PG15_BIN, 'pg_ctl'));
const pg15Missing = `Debian's PostgreSQL 15 binaries are missing (${PG15_BIN}); install them with \`apt-get install -y postgresql-15\``;

if (pg15Available) {
  t.test("migrations apply cleanly to an empty database on Debian's PostgreSQL 15, and again as a no-op", async (t) => {
    const cluster = await startPg15Cluster(t);
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    const { rows } = await admin.query<{ server_version_num: string }>('show server_version_num');
    await admin.end();
    t.match(rows[0]?.server_version_num, /^15\d{4}$/, 'the server really is PostgreSQL 15');
    await checkMigrations(t, cluster.adminUrl);
  });
} else if (process.env.CI === 'true') {
  t.fail(`${pg15Missing}. On CI (CI=true) the PostgreSQL 15 check must run, not be skipped.`);
} else {
  console.error(`\n*** SKIPPED: the PostgreSQL 15 migration check. ${pg15Missing}. ***\n`);
  t.test("migrations on Debian's PostgreSQL 15", { skip: pg15Missing }, async () => {});
}
