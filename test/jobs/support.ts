/**
 * Helpers for driving jobs through the real queue: a runner on the test database that stops at
 * teardown, and a bounded wait for a job to reach a state.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type PgBoss from 'pg-boss';
import { pino } from 'pino';
import type { Config } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import { startJobs, type JobRunner, type StartJobsOptions } from '../../src/modules/jobs/jobs.js';
import type { TestContext } from '../helper.js';

export const silentLogger = pino({ level: 'silent' });

type JobState = PgBoss.JobWithMetadata['state'];
const FINAL_STATES: JobState[] = ['completed', 'failed', 'cancelled'];

/** Starts a runner (no cron schedules unless asked, fast polling) and stops it at teardown. */
export async function startTestRunner(
  t: TestContext,
  database: Database,
  config: Config,
  options: Partial<Omit<StartJobsOptions, 'database' | 'config'>> = {},
): Promise<JobRunner> {
  const runner = await startJobs({ database, config, logger: silentLogger, schedule: false, pollingIntervalSeconds: 0.5, ...options });
  t.teardown(() => runner.stop());
  return runner;
}

/** Polls the job until it is in one of `states` (by default: finished); fails after `timeoutMs`. */
export async function waitForJob(
  runner: JobRunner,
  name: string,
  id: string | null,
  { states = FINAL_STATES, timeoutMs = 30_000 }: { states?: JobState[]; timeoutMs?: number } = {},
): Promise<PgBoss.JobWithMetadata<object>> {
  if (!id) throw new Error(`no job id for ${name}: the job was not enqueued`);
  let last: JobState | 'missing' = 'missing';
  return eventually(
    () => `job ${name} ${id} (still "${last}") to be ${states.join('/')}`,
    async () => {
      const job = await runner.boss.getJobById<object>(name, id, { includeArchive: true });
      last = job?.state ?? 'missing';
      return job && states.includes(job.state) ? job : undefined;
    },
    timeoutMs,
  );
}

/** Polls `check` until it returns a value other than undefined; fails after `timeoutMs`. */
export async function eventually<T>(what: string | (() => string), check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(100);
  }
}
