/**
 * Real processes for the foundation's tests: spawn `node --import tsx src/server.ts` (or a script)
 * exactly as `npm start` would, read its pino JSON lines, wait for a line, a URL or the exit, and
 * look at the embedded PostgreSQL it leaves behind. No mocks: signals, pids and ports are real.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/paths.js';
import { freePort } from '../../src/lib/net.js';

export { freePort };

/** tsx's loader by absolute URL, so the child can run from any working directory (e.g. one with no .env). */
const tsxLoader = import.meta.resolve('tsx');
export const serverEntry = path.join(projectRoot, 'src', 'server.ts');

export interface OutputLine {
  stream: 'stdout' | 'stderr';
  text: string;
  /** The parsed pino record when the line is JSON. */
  json?: { level?: number; msg?: string; [key: string]: unknown };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** The child's whole environment on top of a minimal base (PATH, HOME): nothing leaks from ours. */
  env?: Record<string, string>;
  /** Working directory (and HOME); default the OS temp folder, where no `.env` is expected. */
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Start a new process group (the child's pid is its id), to signal it as a terminal's Ctrl-C does. */
  detached?: boolean;
}

export class NodeProcess {
  readonly child: ChildProcess;
  readonly lines: OutputLine[] = [];
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(script: string, args: string[], options: SpawnOptions = {}) {
    this.child = spawn(process.execPath, ['--import', tsxLoader, script, ...args], {
      cwd: options.cwd ?? os.tmpdir(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.cwd ?? os.tmpdir(), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.detached ?? false,
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    this.collect('stdout');
    this.collect('stderr');
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the process did not start');
    return this.child.pid;
  }

  private collect(stream: 'stdout' | 'stderr'): void {
    let pending = '';
    this.child[stream]?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const text of parts) this.lines.push(parseLine(stream, text));
      this.notify();
    });
    this.child[stream]?.on('end', () => {
      if (pending) this.lines.push(parseLine(stream, pending));
      pending = '';
      this.notify();
    });
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** What the process printed (the last `lastLines` lines, or all), for failure messages. */
  output(lastLines?: number): string {
    const lines = lastLines === undefined ? this.lines : this.lines.slice(-lastLines);
    return lines.map((line) => `[${line.stream}] ${line.text}`).join('\n');
  }

  /** For a failed assertion: everything on stderr (a crash's stack trace) and the last log lines. */
  diagnostics(lastLines = 25): string {
    const stderr = this.lines.filter((line) => line.stream === 'stderr').map((line) => `[stderr] ${line.text}`);
    return [...stderr, '[last lines of output]', this.output(lastLines)].join('\n');
  }

  /** Log messages (pino `msg`, or the raw text of non-JSON lines). */
  messages(): string[] {
    return this.lines.map((line) => line.json?.msg ?? line.text);
  }

  /** Resolves with the first line that matches; rejects when the process exits first or time runs out. */
  waitForLine(match: (line: OutputLine) => boolean, description: string, timeoutMs = 60_000): Promise<OutputLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.lines.find(match);
        if (found) return finish(() => resolve(found));
        if (this.exit) {
          return finish(() => reject(new Error(`process exited (${describeExit(this.exit!)}) before ${description}:\n${this.output()}`)));
        }
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${description} within ${timeoutMs} ms:\n${this.output()}`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** The portal's "running at" URL (with PORT=0 the server logs the port it was given). */
  async waitForUrl(timeoutMs = 60_000): Promise<string> {
    const line = await this.waitForLine((l) => /is running at http:\/\/\S+/.test(l.json?.msg ?? ''), 'the "running at" log line', timeoutMs);
    return /is running at (http:\/\/\S+)/.exec(line.json?.msg ?? '')![1]!;
  }

  async waitForExit(timeoutMs = 30_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`process ${this.child.pid} still running after ${timeoutMs} ms:\n${this.output()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Test clean-up: kill the process (and its group when detached) if it is still running. */
  kill(): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function parseLine(stream: 'stdout' | 'stderr', text: string): OutputLine {
  if (text.startsWith('{')) {
    try {
      return { stream, text, json: JSON.parse(text) as OutputLine['json'] };
    } catch {
      // Not JSON after all.
    }
  }
  return { stream, text };
}

export function describeExit(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/** `node --import tsx src/server.ts`, as `npm start` runs it (minus the asset build). */
export function spawnServer(options: SpawnOptions = {}): NodeProcess {
  return new NodeProcess(serverEntry, [], options);
}

/** `node --import tsx scripts/<name>`, as the npm scripts run them. */
export function spawnScript(name: string, options: SpawnOptions = {}): NodeProcess {
  return new NodeProcess(path.join(projectRoot, 'scripts', name), [], options);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid recorded in a cluster's postmaster.pid, if the file exists. */
export function postmasterPid(clusterDir: string): number | undefined {
  const file = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** True when a PostgreSQL postmaster is running on this cluster directory. */
export function postmasterRunning(clusterDir: string): boolean {
  const pid = postmasterPid(clusterDir);
  return pid !== undefined && isAlive(pid);
}

/** Polls until `condition` holds (a bounded wait for readiness, not a timing assertion). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, description: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Test clean-up: kill a postmaster a failed test left running on this cluster, so the run can end. */
export async function killPostmaster(clusterDir: string): Promise<void> {
  const pid = postmasterPid(clusterDir);
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, 'SIGQUIT');
  await waitUntil(() => !isAlive(pid), `postmaster ${pid} exits`, 10_000).catch(() => process.kill(pid, 'SIGKILL'));
}

export const isRoot = process.getuid?.() === 0;

/** uid and gid of a local user, created (useradd, no home) when `create` and missing. Root only. */
export function userIds(name: string, create = false): { uid: number; gid: number } | undefined {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()),
      gid: Number(execFileSync('id', ['-g', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()),
    };
  } catch {
    if (!create) return undefined;
    execFileSync('useradd', ['--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
    return userIds(name, false);
  }
}

/** The user a process runs as, from /proc (Linux). */
export function processUid(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^Uid:\s+(\d+)/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
