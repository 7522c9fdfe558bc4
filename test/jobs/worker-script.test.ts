// `npm run worker` (scripts/worker.ts) as a real child process against a test database.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { eq } from 'drizzle-orm';
import t from 'tap';
import { PUBLISH_DUE_JOB } from '../../src/modules/jobs/handlers/opportunities.jobs.js';
import { opportunities } from '../../src/modules/opportunities/opportunities.table.js';
import { projectRoot } from '../../src/paths.js';
import { createTestDatabase, testConfig, type TestContext } from '../helper.js';
import { createBuyer, createOpportunity } from '../support/factories.js';
import { eventually, startTestRunner, waitForJob } from './support.js';

interface LogLine {
  level: number;
  msg: string;
}

interface Worker {
  child: ChildProcess;
  lines: LogLine[];
  stderr: () => string;
  exited: Promise<number | null>;
}

function spawnWorker(t: TestContext, env: Record<string, string>): Worker {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-worker-test-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/worker.ts'], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      lines.push({ level: 30, msg: line });
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // A failing test must not leave the worker running.
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, lines, stderr: () => stderr, exited };
}

t.test('the worker starts, works jobs sent from elsewhere, and stops cleanly on SIGTERM', async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t);
  const worker = spawnWorker(t, { DATABASE_URL: database.connectionString, LOG_LEVEL: 'info' });

  await eventually(
    () => `the worker's "running" line (stderr: ${worker.stderr()})`,
    async () => (worker.lines.some((l) => l.msg === 'Opportunity Portal worker is running') ? true : undefined),
    60_000,
  );

  // The web process's side: a send-only runner enqueues; the worker process does the work.
  const sender = await startTestRunner(t, database, config, { work: false });
  const buyer = await createBuyer(database);
  const due = await createOpportunity(database, buyer.id, { status: 'scheduled', stage: 'open', publishAt: new Date(Date.now() - 60_000) });
  const job = await waitForJob(sender, PUBLISH_DUE_JOB, await sender.send(PUBLISH_DUE_JOB));
  t.equal(job.state, 'completed');
  const [row] = await database.db.select({ status: opportunities.status }).from(opportunities).where(eq(opportunities.id, due.id));
  t.equal(row?.status, 'published', 'the worker process published the due opportunity');

  worker.child.kill('SIGTERM');
  t.equal(await worker.exited, 0, 'exit code 0');
  const messages = worker.lines.map((l) => l.msg);
  t.ok(messages.includes('SIGTERM received: shutting down'), 'it logs the shutdown');
  t.equal(messages.at(-1), 'stopped', 'and that it stopped, last');
  t.same(
    worker.lines.filter((l) => l.level >= 50),
    [],
    'nothing logged as an error',
  );
});

t.test('an invalid setting stops the worker with a one-line message and exit code 1', async (t) => {
  const worker = spawnWorker(t, { LOG_LEVEL: 'loud' });
  t.equal(await worker.exited, 1);
  t.equal(worker.stderr().trim(), 'Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")');
});
