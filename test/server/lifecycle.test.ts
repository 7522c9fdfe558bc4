/**
 * The server's life with real processes and signals: `node --import tsx src/server.ts` on a
 * temp DATA_DIR with its embedded PostgreSQL — first start, graceful stops (SIGINT, SIGTERM,
 * Ctrl-C to the whole process group), restarts on the same data, recovery after SIGKILL and after
 * a stale postmaster.pid, sharing with a second process, a taken port, DATABASE_URL, and a run as
 * an ordinary user. The steps share one DATA_DIR and run in order (each start takes ~2 s).
 */
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import { createTestDatabase } from '../helper.js';
import {
  freePort,
  isAlive,
  isRoot,
  killPostmaster,
  postmasterPid,
  postmasterRunning,
  processUid,
  spawnScript,
  spawnServer,
  userIds,
  waitUntil,
  type NodeProcess,
  type SpawnOptions,
} from '../support/process.js';

interface DataDir {
  dir: string;
  clusterDir: string;
  env: Record<string, string>;
}

/** A temp DATA_DIR with a free embedded port; whatever a failed step leaves running is killed at the end. */
async function dataDir(t: Test, owner?: { uid: number; gid: number }): Promise<DataDir> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-lifecycle-'));
  // mkdtemp makes it mode 700; as root the embedded cluster's `postgres` user must enter it.
  chmodSync(dir, 0o755);
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const clusterDir = path.join(dir, 'db', 'postgres');
  t.teardown(async () => {
    await killPostmaster(clusterDir);
    rmSync(dir, { recursive: true, force: true });
  });
  const env = {
    NODE_ENV: 'production',
    DATA_DIR: dir,
    PORT: '0',
    EMBEDDED_DB_PORT: String(await freePort()),
    SEED_DEMO_DATA: 'false',
    // Debug shows the embedded database's own messages (initialising, sharing, stopping an orphan).
    LOG_LEVEL: 'debug',
  };
  return { dir, clusterDir, env };
}

// About a dozen real server starts (~2–4 s each on an idle machine): more than tap's default
// per-file timeout allows on a busy one.
t.setTimeout(600_000);

const shared = await dataDir(t);

/** Starts the server and waits until it says where it listens. */
async function start(t: Test, env: Record<string, string>, options: Omit<SpawnOptions, 'env'> = {}): Promise<{ server: NodeProcess; url: string }> {
  const server = spawnServer({ ...options, env });
  t.teardown(() => server.kill());
  const url = await server.waitForUrl(90_000);
  // The server listens on HOST (127.0.0.1); "localhost" may resolve to ::1 first.
  return { server, url: url.replace('//localhost:', '//127.0.0.1:') };
}

async function ready(url: string): Promise<{ status: number; body: { status: string; checks: { database: { status: string } } } }> {
  const res = await fetch(`${url}/health/ready`);
  return { status: res.status, body: (await res.json()) as never };
}

async function checkReady(t: Test, url: string): Promise<void> {
  const res = await ready(url);
  t.equal(res.status, 200, '/health/ready answers 200');
  t.equal(res.body.checks.database.status, 'ok', 'and the database check is ok');
}

interface StopOptions {
  /** Signal the whole process group, as a terminal's Ctrl-C does. */
  group?: boolean;
}

/** Sends a signal and waits for the exit: code 0 (not 128 + signal), and the cluster stopped. */
async function stopsCleanly(t: Test, server: NodeProcess, signal: NodeJS.Signals, data: Pick<DataDir, 'dir' | 'clusterDir'>, options: StopOptions = {}): Promise<void> {
  const { clusterDir } = data;
  const postgresPid = postmasterPid(clusterDir);
  if (options.group) process.kill(-server.pid, signal);
  else server.child.kill(signal);
  const exit = await server.waitForExit(40_000);
  t.same(exit, { code: 0, signal: null }, `${signal} → exit code 0`);
  const ranToEnd = server.messages().includes('stopped');
  t.ok(ranToEnd, 'the shutdown ran to its end ("stopped" logged)');
  if (exit.code !== 0 || !ranToEnd) t.comment(server.diagnostics());
  if (postgresPid !== undefined) {
    // Normally gone before the server exits; after a crash a signalled PostgreSQL may still be finishing.
    const stopped = await waitUntil(() => !isAlive(postgresPid), 'PostgreSQL stops', 10_000).then(() => true, () => false);
    t.ok(stopped, `the embedded PostgreSQL (pid ${postgresPid}) has stopped`);
  }
  t.notOk(postmasterRunning(clusterDir), 'no live postmaster for the cluster');
  t.notOk(existsSync(path.join(data.dir, 'db', 'owner.pid')), 'owner.pid is removed');
}

/** A client on the embedded cluster, with the password the portal generated on first start. */
async function embeddedClient(data: DataDir): Promise<pg.Client> {
  const { password } = JSON.parse(readFileSync(path.join(data.dir, 'db', 'embedded-db.json'), 'utf8')) as { password: string };
  const client = new pg.Client({ host: '127.0.0.1', port: Number(data.env.EMBEDDED_DB_PORT), user: 'postgres', password, database: 'portal' });
  await client.connect();
  return client;
}

const initialising = (server: NodeProcess) => server.messages().some((m) => m.startsWith('initialising embedded PostgreSQL'));

t.test('first start initialises the cluster under DATA_DIR, migrates it and answers /health/ready; SIGINT stops both', async (t) => {
  const { server, url } = await start(t, shared.env);
  t.ok(initialising(server), 'the cluster was initialised (initdb)');
  t.ok(existsSync(path.join(shared.clusterDir, 'PG_VERSION')), 'in DATA_DIR/db/postgres');
  t.ok(postmasterRunning(shared.clusterDir), 'PostgreSQL is running');
  t.equal(readFileSync(path.join(shared.dir, 'db', 'owner.pid'), 'utf8'), String(server.pid), 'owner.pid names the server');
  await checkReady(t, url);
  t.equal((await fetch(`${url}/health/live`)).status, 200, '/health/live answers 200');
  // Warnings (e.g. a Fastify deprecation) belong in the log, or fixed: a clean start says nothing on stderr.
  t.same(server.lines.filter((line) => line.stream === 'stderr').map((line) => line.text), [], 'a normal start writes nothing to stderr');

  const client = await embeddedClient(shared);
  const { rows } = await client.query<{ n: number }>('select count(*)::int as n from cpv_codes');
  t.equal(rows[0]?.n, 9454, 'the embedded database is migrated');
  await client.query('create table lifecycle_marker (note text)');
  await client.query("insert into lifecycle_marker values ('written by the first run')");
  await client.end();

  await stopsCleanly(t, server, 'SIGINT', shared);
});

t.test('a second start reuses the data (no initdb) and answers; SIGTERM stops it like SIGINT', async (t) => {
  const { server, url } = await start(t, shared.env);
  t.notOk(initialising(server), 'no initdb on the second start');
  await checkReady(t, url);
  const client = await embeddedClient(shared);
  const { rows } = await client.query<{ note: string }>('select note from lifecycle_marker');
  await client.end();
  t.same(rows, [{ note: 'written by the first run' }], 'the first run\'s data is still there');
  await stopsCleanly(t, server, 'SIGTERM', shared);
});

t.test('Ctrl-C in a terminal (SIGINT to the whole process group, PostgreSQL included) stops cleanly', async (t) => {
  const { server, url } = await start(t, shared.env, { detached: true });
  await checkReady(t, url);
  // Todo until the shutdown copes with a database that stops at the same moment (see the report:
  // pg-boss's unawaited completion writes, drizzle's leaked client on a failed BEGIN, jobs.stop()).
  await stopsCleanly(t, server, 'SIGINT', shared, { group: true });
});

t.test('PostgreSQL stopped underneath the server (a crash, the OOM killer, an admin): /health/ready says 503 and SIGINT still stops the server', async (t) => {
  const { server, url } = await start(t, shared.env);
  const postgres = postmasterPid(shared.clusterDir)!;
  process.kill(postgres, 'SIGINT');
  await waitUntil(() => !isAlive(postgres), `PostgreSQL ${postgres} has stopped`);
  const res = await ready(url);
  t.equal(res.status, 503, '/health/ready answers 503');
  t.equal(res.body.checks.database.status, 'error', 'naming the database');
  // Todo until src/db/embedded.ts stop() stops waiting for a PostgreSQL that has already exited.
  await stopsCleanly(t, server, 'SIGINT', shared);
});

t.test('after SIGKILL the orphaned PostgreSQL keeps running; the next start stops it and starts cleanly', async (t) => {
  const first = await start(t, shared.env);
  const orphan = postmasterPid(shared.clusterDir)!;
  t.ok(orphan && isAlive(orphan), `PostgreSQL is running (pid ${orphan})`);
  first.server.child.kill('SIGKILL');
  t.same(await first.server.waitForExit(), { code: null, signal: 'SIGKILL' }, 'the server is killed');
  t.ok(isAlive(orphan), 'the orphaned PostgreSQL is still running');
  const client = await embeddedClient(shared);
  t.same((await client.query('select 1 as one')).rows, [{ one: 1 }], 'and still answers queries');
  await client.end();

  const { server, url } = await start(t, shared.env);
  t.ok(server.messages().some((m) => m.includes(`stopping an embedded PostgreSQL (pid ${orphan}) left running by a killed process`)), 'the orphan is recognised');
  t.notOk(isAlive(orphan), 'the orphan has been stopped');
  t.notOk(initialising(server), 'the data is reused');
  const fresh = postmasterPid(shared.clusterDir);
  t.ok(fresh !== undefined && fresh !== orphan && isAlive(fresh), `a new PostgreSQL runs (pid ${fresh})`);
  await checkReady(t, url);

  // While this server owns the cluster, a second process (here `npm run db:migrate`) shares it
  // and must not stop it when it finishes.
  const migrate = spawnScript('migrate.ts', { env: shared.env });
  t.teardown(() => migrate.kill());
  const migrateExit = await migrate.waitForExit(60_000);
  if (!t.equal(migrateExit.code, 0, 'db:migrate succeeds')) t.comment(migrate.diagnostics());
  t.match(migrate.output(), 'shared with the portal that is running', 'db:migrate shares the running cluster');
  t.ok(isAlive(fresh!), 'the server\'s PostgreSQL is still running after db:migrate exits');
  await checkReady(t, url);

  await stopsCleanly(t, server, 'SIGINT', shared);
});

t.test('a stale postmaster.pid (PostgreSQL killed too, or the pid reused after a reboot) does not block the start', async (t) => {
  const first = await start(t, shared.env);
  const postgres = postmasterPid(shared.clusterDir)!;
  // A power cut: both die at once, leaving owner.pid and postmaster.pid behind.
  first.server.child.kill('SIGKILL');
  process.kill(postgres, 'SIGKILL');
  await first.server.waitForExit();
  await waitUntil(() => !isAlive(postgres), `PostgreSQL ${postgres} has died`);
  t.ok(existsSync(path.join(shared.clusterDir, 'postmaster.pid')), 'postmaster.pid was left behind');

  const second = await start(t, shared.env);
  await checkReady(t, second.url);
  await stopsCleanly(t, second.server, 'SIGINT', shared);

  // After a reboot the recorded pid may belong to an unrelated live process (here: this test).
  const lockFile = path.join(shared.clusterDir, 'postmaster.pid');
  writeFileSync(lockFile, `${process.pid}\n${shared.clusterDir}\n`);
  if (isRoot) chownSync(lockFile, userIds('postgres')!.uid, userIds('postgres')!.gid);
  const third = await start(t, shared.env);
  await checkReady(t, third.url);
  t.ok(isAlive(process.pid), 'the unrelated process was left alone');
  await stopsCleanly(t, third.server, 'SIGINT', shared);
});

t.test('EMBEDDED_DB_PORT already taken by another listener: one clear start-up failure naming it, exit code 1', async (t) => {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(Number(shared.env.EMBEDDED_DB_PORT), '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => listener.close(resolve)));

  const server = spawnServer({ env: shared.env });
  t.teardown(() => server.kill());
  const exit = await server.waitForExit(60_000);
  if (!t.same(exit, { code: 1, signal: null }, 'exit code 1')) t.comment(server.diagnostics());
  const fatal = server.lines.filter((line) => (line.json?.level ?? 0) >= 60);
  t.equal(fatal.length, 1, 'one fatal line');
  t.match(fatal[0]?.json?.msg, /^start-up failed: .*port \d+ .*EMBEDDED_DB_PORT/, 'saying the port is taken and naming EMBEDDED_DB_PORT');
  t.notOk(postmasterRunning(shared.clusterDir), 'no PostgreSQL left running');
});

t.test('with DATABASE_URL it uses that server and starts no embedded database', async (t) => {
  const database = await createTestDatabase(t);
  const data = await dataDir(t);
  const { server, url } = await start(t, { ...data.env, DATABASE_URL: database.connectionString });
  t.ok(server.messages().includes('using the PostgreSQL server at DATABASE_URL'), 'says which database it uses');
  await checkReady(t, url);
  t.notOk(existsSync(path.join(data.dir, 'db')), 'nothing under DATA_DIR/db: no embedded cluster');
  server.child.kill('SIGINT');
  if (!t.same(await server.waitForExit(40_000), { code: 0, signal: null }, 'SIGINT → exit code 0')) t.comment(server.diagnostics());
  t.ok(server.messages().includes('stopped'), 'the shutdown ran to its end ("stopped" logged)');
  t.notMatch(server.output(), /postgres:\/\/[^@\s"]*:[^@\s"]*@/, 'the log never shows the database password');
});

t.test('as root, a DATA_DIR the postgres user cannot enter (a checkout in a mode-700 home) keeps the cluster under /var/tmp', { skip: isRoot ? false : 'only root hands the cluster to the postgres user' }, async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'portal-home-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  chmodSync(home, 0o700);
  const dataDir = path.join(home, 'checkout', 'var');
  const env = { ...shared.env, DATA_DIR: dataDir, EMBEDDED_DB_PORT: String(await freePort()) };
  const server = spawnServer({ env });
  t.teardown(() => server.kill());
  const notice = await server.waitForLine((line) => /keeping the embedded database in \S+/.test(line.json?.msg ?? ''), 'the fallback notice', 90_000);
  const fallback = /keeping the embedded database in (\S+)$/.exec(notice.json!.msg!)![1]!;
  const clusterDir = path.join(fallback, 'postgres');
  t.teardown(async () => {
    await killPostmaster(clusterDir);
    rmSync(fallback, { recursive: true, force: true });
  });
  t.match(fallback, /^\/var\/tmp\/opportunity-portal-db-[0-9a-f]{12}$/, 'under /var/tmp, named after DATA_DIR');
  t.match(notice.json?.msg, `the postgres user cannot enter ${path.join(dataDir, 'db')}`, 'and says why');
  const url = (await server.waitForUrl(90_000)).replace('//localhost:', '//127.0.0.1:');
  t.ok(postmasterRunning(clusterDir), 'PostgreSQL runs from the fallback folder');
  await checkReady(t, url);
  await stopsCleanly(t, server, 'SIGINT', { dir: dataDir, clusterDir });
  t.ok(existsSync(path.join(dataDir, 'db', 'embedded-db.json')), 'its password file stays under DATA_DIR');
});

t.test('run as an ordinary (non-root) user, the embedded database runs as that user', { skip: isRoot ? false : 'already running as an ordinary user: the other tests cover it' }, async (t) => {
  const user = userIds('portaltest', true)!;
  const data = await dataDir(t, user);
  const { server, url } = await start(t, data.env, { cwd: data.dir, uid: user.uid, gid: user.gid });
  t.ok(initialising(server), 'the cluster was initialised');
  t.equal(processUid(server.pid), user.uid, 'the server runs as portaltest');
  const postgres = postmasterPid(data.clusterDir);
  t.ok(postgres !== undefined && isAlive(postgres), 'PostgreSQL is running in DATA_DIR/db/postgres');
  t.equal(processUid(postgres!), user.uid, 'as portaltest too (no postgres user needed)');
  await checkReady(t, url);
  await stopsCleanly(t, server, 'SIGINT', data);
});
