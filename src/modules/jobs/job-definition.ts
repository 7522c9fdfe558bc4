/**
 * What a job is: a named queue, how its jobs retry, optionally a cron schedule, and a handler.
 *
 * Each domain declares its jobs with defineJob() in a module of its own and lists them in
 * catalogue.ts; the runner (jobs.ts) creates the queues, registers the schedules and works them,
 * so a new job never needs a change to the runner.
 */
import type { Logger } from 'pino';
import type PgBoss from 'pg-boss';
import type { Config } from '../../config.js';
import type { Database } from '../../db/client.js';

/** pg-boss's schema, in the portal's database. */
export const JOB_SCHEMA = 'pgboss';

/**
 * Options for enqueueing a job, e.g. `{ startAfter: publishAt }` or `{ singletonKey }`; `db` runs
 * the insert on the caller's transaction (see queueSqlInTransaction in src/modules/jobs/transaction.ts).
 */
export type JobSendOptions = PgBoss.SendOptions;

/** Enqueues a job on one of the catalogue's queues. Returns the job id, or null when a singleton/throttle option suppressed it. */
export type SendJob = (name: string, data?: object, options?: JobSendOptions) => Promise<string | null>;

/** What a handler is given besides its job. */
export interface JobContext {
  database: Database;
  config: Config;
  /** A child of the process logger carrying the queue name and job id. */
  logger: Logger;
  /** Enqueue follow-up jobs (e.g. one mail per recipient). */
  send: SendJob;
  /** Now, for time-driven steps (publish at, deadlines); tests move it. */
  clock: () => Date;
}

export interface JobInHand<Data> {
  id: string;
  data: Data;
  /** 0 on the first attempt, 1 on the first retry, … */
  retryCount: number;
}

/** Per-queue settings, stored with the queue and used by every job sent to it. */
export interface QueueSettings {
  /** Attempts after the first one before the job is failed for good. */
  retryLimit?: number;
  /** Seconds before the first retry; with retryBackoff it doubles at each attempt (with jitter). */
  retryDelay?: number;
  retryBackoff?: boolean;
  /** A job running longer than this is failed (and retried). */
  expireInSeconds?: number;
  /** How long a job may wait in the queue before it is dropped. */
  retentionMinutes?: number;
}

export interface JobDefinition<Data extends object = object> {
  /** Queue name, `<domain>.<verb>`, e.g. `opportunities.publish-due`. */
  name: string;
  queue?: QueueSettings;
  /** A cron schedule (in the configured time zone, Europe/London) on which the runner enqueues this job. */
  schedule?: { cron: string; data?: Data };
  /** Jobs of this queue worked at once in each process (default 1). */
  concurrency?: number;
  /** Does the work. Throwing fails the attempt, which is retried as `queue` says. The return value is stored as the job's output. */
  handle(job: JobInHand<Data>, context: JobContext): Promise<object | void>;
}

/** Declares a job; exists so that `Data` is inferred for the handler. */
export function defineJob<Data extends object = Record<string, never>>(definition: JobDefinition<Data>): JobDefinition<Data> {
  return definition;
}
