/**
 * `npm run db:migrate` (scripts/migrate.ts) as a real process: on DATABASE_URL, on the embedded
 * PostgreSQL under DATA_DIR, and its one-line failures.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import type { TestContext } from '../helper.js';
import { freePort, killPostmaster, postmasterRunning, spawnScript, type NodeProcess } from '../support/process.js';
import { readTestClusterInfo } from '../support/test-cluster.js';
import { emptyDatabase } from './empty-database.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-migrate-'));
  // As root, the embedded cluster's `postgres` user must be able to enter DATA_DIR.
  chmodSync(dir, 0o755);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function run(t: TestContext, env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string; process: NodeProcess }> {
  const migrate = spawnScript('migrate.ts', { cwd, env });
  t.teardown(() => migrate.kill());
  const exit = await migrate.waitForExit(90_000);
  const pick = (stream: 'stdout' | 'stderr') => migrate.lines.filter((l) => l.stream === stream && l.text.trim() !== '').map((l) => l.text).join('\n');
  return { code: exit.code, stdout: pick('stdout'), stderr: pick('stderr'), process: migrate };
}

t.test('on DATABASE_URL: migrates an empty database, then reports it is up to date', async (t) => {
  const url = await emptyDatabase(t, readTestClusterInfo().adminUrl);
  const cwd = tempDir(t);
  const env = { DATABASE_URL: url, DATA_DIR: path.join(cwd, 'var') };

  const first = await run(t, env, cwd);
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /^Migrating 127\.0\.0\.1:\d+\/portal_test_empty_\w+$/m, 'names the server and database');
  t.notMatch(first.stdout, 'postgres@', 'without the credentials');
  t.match(first.stdout, /^Applied \d+ migration\(s\); \d+ in total\.$/m);
  t.match(first.stdout, /^CPV codes in the reference table: 9454\.$/m);
  t.equal(first.stderr, '');

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ n: number }>('select count(*)::int as n from cpv_codes');
  await client.end();
  t.equal(rows[0]?.n, 9454, 'the database really was migrated');

  const second = await run(t, env, cwd);
  t.equal(second.code, 0, second.stderr);
  t.match(second.stdout, /^Already up to date: \d+ migration\(s\) applied\.$/m);
});

t.test('without DATABASE_URL: starts the embedded PostgreSQL under DATA_DIR, migrates it and stops it', async (t) => {
  const cwd = tempDir(t);
  const dataDir = path.join(cwd, 'var');
  const clusterDir = path.join(dataDir, 'db', 'postgres');
  t.teardown(() => killPostmaster(clusterDir));
  const result = await run(t, { DATA_DIR: dataDir, EMBEDDED_DB_PORT: String(await freePort()) }, cwd);
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, `Migrating the embedded PostgreSQL under ${dataDir} (started for this run)`);
  t.match(result.stdout, /^CPV codes in the reference table: 9454\.$/m);
  t.notOk(postmasterRunning(clusterDir), 'the embedded PostgreSQL is stopped afterwards');
});

t.test('an invalid variable: its one line on stderr, exit code 1', async (t) => {
  const cwd = tempDir(t);
  const result = await run(t, { DATABASE_URL: 'mysql://portal:s3cret@db.example/portal' }, cwd);
  t.equal(result.code, 1);
  t.equal(result.stderr, 'Invalid configuration: DATABASE_URL must be a URL starting postgres: or postgresql: (got "mysql://***@db.example/portal")');
  t.equal(result.stdout, '');
});

t.test('an unreachable database: one clear line, exit code 1, no stack trace', async (t) => {
  const cwd = tempDir(t);
  // Port 1 on loopback has nothing listening: the connection is refused at once.
  const result = await run(t, { DATABASE_URL: 'postgres://portal:s3cret@127.0.0.1:1/portal' }, cwd);
  t.equal(result.code, 1);
  t.equal(result.stderr, 'db:migrate failed: connect ECONNREFUSED 127.0.0.1:1');
  t.notMatch(`${result.stdout}\n${result.stderr}`, 's3cret');
});
