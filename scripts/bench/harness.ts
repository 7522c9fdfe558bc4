/**
 * What every benchmark needs: child processes that are always stopped (also on Ctrl-C), free
 * ports, waiting for a server, an autocannon case with its own latency percentiles, the RSS of a
 * process, and the report (a table, then a last line `BENCH {json}`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../../src/lib/net.js';
import { projectRoot } from '../../src/paths.js';

export { freePort };

// tsx's loader by absolute URL: children run from a scratch folder (no `.env` to pick up).
const tsxLoader = import.meta.resolve('tsx');

const running = new Set<Child>();
let stopping: Promise<void> | undefined;

/** Stops every child still running, each with one SIGTERM (so the app stops its database). */
export function stopAll(): Promise<void> {
  stopping ??= Promise.all([...running].map((child) => child.stop())).then(() => {});
  return stopping;
}

let cleanupInstalled = false;
/** Ctrl-C or SIGTERM stops the children before exiting; so does any other way of exiting. */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping the benchmark's processes…`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  // Last resort (an uncaught error, process.exit elsewhere): a signal each, without waiting.
  process.on('exit', () => {
    for (const child of running) child.signal('SIGTERM');
  });
}

/**
 * A `node --import tsx <script>` child in its own process group, so that a terminal's Ctrl-C
 * reaches only us and each child gets exactly one SIGTERM from stopAll() (the server treats a
 * second signal as "exit at once", which would leave its embedded PostgreSQL running).
 */
export class Child {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly tail: string[] = [];
  private exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    script: string,
    args: string[],
    options: { env: NodeJS.ProcessEnv; cwd: string; nodeArgs?: string[]; inheritOutput?: boolean },
  ) {
    this.process = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', tsxLoader, script, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', options.inheritOutput ? 'inherit' : 'pipe', options.inheritOutput ? 'inherit' : 'pipe'],
      detached: true,
    });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        this.tail.push(...chunk.split('\n').filter(Boolean));
        this.tail.splice(0, Math.max(0, this.tail.length - 40));
      });
    }
    running.add(this);
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        running.delete(this);
        this.exitCode = code ?? (signal ? 128 : null);
        resolve(this.exitCode);
      });
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  get hasExited(): boolean {
    return this.exitCode !== undefined;
  }

  /** The last lines the child printed (when its output is not inherited). */
  output(): string {
    return this.tail.join('\n');
  }

  signal(signal: NodeJS.Signals): void {
    if (this.hasExited) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** SIGTERM, then after `graceMs` SIGKILL to the whole process group. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.hasExited) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Polls `url` until it answers 200; fails early if the child exits. */
export async function waitForOk(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.hasExited) throw new Error(`${child.name} exited before it was ready:\n${child.output()}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${child.name} was not ready at ${url} within ${timeoutMs / 1000} s:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Resident set size of a process, in MB (Linux: VmRSS in /proc/<pid>/status). */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

// /proc/<pid>/stat counts CPU time in clock ticks of USER_HZ, which Linux fixes at 100 per second.
const TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  cpuSeconds: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system) used so far by a process, and by it with all its descendants (the
 * portal's embedded PostgreSQL and its backends are children of the server process).
 */
export function cpuSeconds(pid: number): { self: number; tree: number } {
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat) stats.set(Number(name), stat);
  }
  const children = new Map<number, number[]>();
  for (const [child, { ppid }] of stats) children.set(ppid, [...(children.get(ppid) ?? []), child]);
  let tree = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const current = pending.pop()!;
    tree += stats.get(current)?.cpuSeconds ?? 0;
    pending.push(...(children.get(current) ?? []));
  }
  return { self: stats.get(pid)?.cpuSeconds ?? 0, tree };
}

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

export interface Figures {
  rps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}

export interface CaseResult extends Figures {
  name: string;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  bytesPerResponse: number;
  /** Peak RSS of the watched process during the measured run, in MB. */
  peakRssMb: number | undefined;
  /**
   * CPU milliseconds per response during the measured run: the watched process itself, and its
   * descendants (the embedded PostgreSQL, and tsx's idle esbuild service). Unlike req/s, these
   * hardly depend on what else the machine runs.
   */
  cpuMsPerResponse: { server: number; children: number } | undefined;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

function cannon(baseUrl: string, nextPath: () => string, connections: number, durationSeconds: number, onResponse?: (ms: number, bytes: number) => void) {
  const instance = autocannon({
    url: baseUrl,
    connections,
    duration: durationSeconds,
    timeout: 10,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: nextPath() }) }],
  });
  if (onResponse) instance.on('response', (_client, _status, bytes, ms) => onResponse(ms, bytes));
  return instance;
}

/**
 * One case: a short warm-up (discarded), then the measured run. Latency percentiles come from
 * every response's own time, collected here: autocannon reports p50/p90/p97.5/p99 but no p95,
 * and its histogram has 1 ms resolution. Requests per second is completed responses over the
 * run's duration. `watchPid`'s RSS is sampled every 250 ms during the run.
 */
export async function runCase(name: string, baseUrl: string, nextPath: () => string, load: LoadOptions, watchPid?: number): Promise<CaseResult> {
  if (load.warmupSeconds > 0) await cannon(baseUrl, nextPath, load.connections, load.warmupSeconds);

  const latencies: number[] = [];
  let bytes = 0;
  let peakRssMb: number | undefined;
  const sampler = watchPid
    ? setInterval(() => {
        const rss = rssMb(watchPid);
        if (rss !== undefined) peakRssMb = Math.max(peakRssMb ?? 0, rss);
      }, 250)
    : undefined;
  try {
    const cpuBefore = watchPid ? cpuSeconds(watchPid) : undefined;
    const result = await cannon(baseUrl, nextPath, load.connections, load.durationSeconds, (ms, responseBytes) => {
      latencies.push(ms);
      bytes += responseBytes;
    });
    const cpuAfter = watchPid ? cpuSeconds(watchPid) : undefined;
    const perResponse = (seconds: number) => round((seconds * 1000) / Math.max(1, latencies.length), 3);
    const sorted = Float64Array.from(latencies).sort();
    const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
    return {
      name,
      rps: round(latencies.length / result.duration, 1),
      p50_ms: round(percentile(sorted, 50), 2),
      p95_ms: round(percentile(sorted, 95), 2),
      p99_ms: round(percentile(sorted, 99), 2),
      requests: latencies.length,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      statusCodes,
      bytesPerResponse: latencies.length ? Math.round(bytes / latencies.length) : 0,
      peakRssMb,
      cpuMsPerResponse:
        cpuBefore && cpuAfter
          ? { server: perResponse(cpuAfter.self - cpuBefore.self), children: perResponse(cpuAfter.tree - cpuAfter.self - (cpuBefore.tree - cpuBefore.self)) }
          : undefined,
    };
  } finally {
    if (sampler) clearInterval(sampler);
  }
}

/** A case whose figures can be trusted: every response 2xx, no errors, no timeouts. */
export function problemsOf(result: CaseResult): string[] {
  const problems: string[] = [];
  if (result.requests === 0) problems.push('no responses');
  if (result.non2xx > 0) problems.push(`${result.non2xx} non-2xx responses (${JSON.stringify(result.statusCodes)})`);
  if (result.errors > 0) problems.push(`${result.errors} errors`);
  if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`);
  return problems.map((problem) => `${result.name}: ${problem}`);
}

export function printTable(results: CaseResult[]): void {
  const header = ['case', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'responses', 'non-2xx', 'errors', 'timeouts', 'bytes/resp', 'peak RSS MB', 'CPU ms/resp', 'children CPU ms/resp'];
  const rows = results.map((r) => [
    r.name,
    r.rps.toFixed(1),
    r.p50_ms.toFixed(2),
    r.p95_ms.toFixed(2),
    r.p99_ms.toFixed(2),
    String(r.requests),
    String(r.non2xx),
    String(r.errors),
    String(r.timeouts),
    String(r.bytesPerResponse),
    r.peakRssMb === undefined ? '-' : String(r.peakRssMb),
    r.cpuMsPerResponse ? r.cpuMsPerResponse.server.toFixed(3) : '-',
    r.cpuMsPerResponse ? r.cpuMsPerResponse.children.toFixed(3) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

export function figures(result: CaseResult): Figures {
  return { rps: result.rps, p50_ms: result.p50_ms, p95_ms: result.p95_ms, p99_ms: result.p99_ms };
}

// ---- The seeded portal every benchmark drives ---------------------------------------------------

/** Where a benchmark's portal keeps its data, and the environment its children get. */
export interface BenchWorld {
  dataDir: string;
  /** Children run from here: a folder with no `.env`, so nothing points them at another database. */
  workDir: string;
  embeddedDbPort: number;
  /** Variables every child gets on top of the benchmark's own. */
  env?: Record<string, string>;
}

export function childEnv(world: BenchWorld, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATA_DIR: world.dataDir,
    EMBEDDED_DB_PORT: String(world.embeddedDbPort),
    // Never a server from the caller's environment: the seed starts with --reset.
    DATABASE_URL: '',
    ...world.env,
    ...extra,
  };
}

/**
 * Seeds `size` opportunities with the bulk seeder, unless `reuse` and the data there was seeded
 * with the same `seedId` (the size, and whatever else makes earlier data unfit to reuse).
 */
export async function seedOnce(world: BenchWorld, size: number, options: { reuse: boolean; seedId: string }): Promise<void> {
  const marker = path.join(world.dataDir, 'bench-seed.json');
  if (options.reuse && existsSync(marker) && readFileSync(marker, 'utf8') === options.seedId) {
    console.log('reusing the data of an earlier run (--reuse-data)');
    return;
  }
  rmSync(marker, { force: true });
  const started = Date.now();
  const seed = new Child('seed', path.join(projectRoot, 'scripts', 'seed.ts'), ['--opportunities', String(size), '--reset'], {
    cwd: world.workDir,
    env: childEnv(world, { NODE_ENV: 'production', LOG_LEVEL: 'warn' }),
    inheritOutput: true,
  });
  const code = await seed.exited;
  if (code !== 0) throw new Error(`the seed exited with code ${code}`);
  writeFileSync(marker, options.seedId);
  console.log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Starts the real server on the seeded data (production mode, no worker, no rate limit) and waits until it is ready. */
export async function startPortal(world: BenchWorld, options: { cpuProfileDir?: string | undefined } = {}): Promise<{ app: Child; url: string }> {
  const port = await freePort();
  if (options.cpuProfileDir) rmSync(options.cpuProfileDir, { recursive: true, force: true });
  const app = new Child('the portal', path.join(projectRoot, 'src', 'server.ts'), [], {
    cwd: world.workDir,
    env: childEnv(world, {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      RATE_LIMIT_PER_MINUTE: '1000000',
      SEED_DEMO_DATA: 'false',
      WORKER_IN_PROCESS: 'false',
    }),
    nodeArgs: options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/health/ready`, app, 180_000);
  return { app, url };
}

/** A heading in a benchmark's output. */
export function section(title: string): void {
  console.log(`\n=== ${title}`);
}
