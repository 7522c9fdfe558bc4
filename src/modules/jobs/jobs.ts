/**
 * The durable job queue: pg-boss in its own schema (`pgboss`) of the portal's database.
 *
 * startJobs() prepares the queues of the job catalogue (catalogue.ts), registers their cron
 * schedules (in Europe/London) and works them. It runs in the web process by default
 * (WORKER_IN_PROCESS=true) or in `npm run worker`; any number of such processes may run at once:
 * pg-boss hands each job to one worker, enqueues each scheduled run once across all of them, and
 * the handlers themselves are safe to run concurrently.
 *
 * A process that should only enqueue (a web instance when workers run separately) uses
 * `startJobs({ …, work: false })` or startJobSender().
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Database } from '../../db/client.js';
import { jobCatalogue } from './catalogue.js';
import type { JobDefinition, JobSendOptions, QueueSettings, SendJob } from './job-definition.js';

import { JOB_SCHEMA } from './job-definition.js';

export { JOB_SCHEMA };

/** For jobs that do not say otherwise: a few retries, 30 s, 60 s, 120 s apart (with jitter). */
const DEFAULT_QUEUE_SETTINGS: QueueSettings = { retryLimit: 3, retryDelay: 30, retryBackoff: true };
const DEFAULT_POLLING_INTERVAL_SECONDS = 2;
const DEFAULT_STOP_TIMEOUT_SECONDS = 30;

export interface StartJobsOptions {
  database: Database;
  config: Config;
  logger: Logger;
  /** Work the queues in this process (default true). With false it only sends jobs. */
  work?: boolean;
  /** Register the cron schedules and enqueue their jobs when due (default: the value of `work`). */
  schedule?: boolean;
  /** The jobs to run (default: the catalogue). */
  jobs?: readonly JobDefinition[];
  /** How often an idle worker looks for due jobs (default 2 s; at least 0.5 s). */
  pollingIntervalSeconds?: number;
  /** How long stop() waits for jobs in hand before failing them for a retry (default 30 s). */
  stopTimeoutSeconds?: number;
  /** The clock handlers judge due work by (default: the real time); tests move it. */
  clock?: () => Date;
}

export interface JobRunner {
  /** The pg-boss instance, for inspection (getJobById, getSchedules, getQueue). */
  readonly boss: PgBoss;
  /** Names of the queues this runner knows. */
  readonly queues: readonly string[];
  /** Whether this runner works the queues (false: it only sends). */
  readonly working: boolean;
  /** Enqueue a job, e.g. `send('opportunities.publish-due', {}, { startAfter: publishAt })`. */
  send: SendJob;
  /** Graceful: stops taking jobs, lets those in hand finish (up to the stop timeout), then closes its connections. */
  stop(): Promise<void>;
}

export async function startJobs(options: StartJobsOptions): Promise<JobRunner> {
  const { database, config } = options;
  const logger = options.logger.child({ component: 'jobs' });
  const definitions = options.jobs ?? jobCatalogue;
  const working = options.work ?? true;
  const scheduling = options.schedule ?? working;
  const pollingIntervalSeconds = options.pollingIntervalSeconds ?? DEFAULT_POLLING_INTERVAL_SECONDS;
  const stopTimeoutMs = (options.stopTimeoutSeconds ?? DEFAULT_STOP_TIMEOUT_SECONDS) * 1000;

  const byName = new Map(definitions.map((definition) => [definition.name, definition]));
  if (byName.size !== definitions.length) throw new Error('two jobs in the catalogue share a name');

  const connection = openQueueConnection(database.connectionString, logger);
  const logError = (error: Error) => logger.error({ err: error }, `job queue error: ${error.message}`);
  const boss = new PgBoss({ db: connection, schema: JOB_SCHEMA, schedule: scheduling, supervise: working, migrate: true });
  // pg-boss reports failed polls, maintenance and cron errors as events; unhandled, they would crash the process.
  boss.on('error', logError);

  const running = new Set<Promise<unknown>>();
  const workerIds = new Map<string, string[]>();
  let stopping: Promise<void> | undefined;

  const send: SendJob = async (name, data = {}, sendOptions: JobSendOptions = {}) => {
    if (stopping) throw new Error(`cannot send "${name}": the job runner has stopped`);
    // pg-boss silently drops a job for a queue that does not exist; a typo should fail loudly.
    if (!byName.has(name)) throw new Error(`unknown job "${name}": declare it and add it to src/modules/jobs/catalogue.ts`);
    const id = await boss.send(name, data, sendOptions);
    // Wake this process's idle workers of that queue, so a job due now starts at once, not at the next poll.
    if (id && sendOptions.startAfter === undefined) {
      for (const workerId of workerIds.get(name) ?? []) boss.notifyWorker(workerId);
    }
    return id;
  };

  async function runBatch(definition: JobDefinition, jobs: PgBoss.JobWithMetadata<object>[]): Promise<object | undefined> {
    // Workers fetch one job at a time (batchSize 1), so the last output is the only one.
    let output: object | undefined;
    for (const job of jobs) {
      const jobLogger = logger.child({ queue: definition.name, jobId: job.id });
      try {
        output = (await definition.handle({ id: job.id, data: job.data, retryCount: job.retryCount }, { database, config, logger: jobLogger, send, clock: options.clock ?? (() => new Date()) })) ?? undefined;
        jobLogger.debug('job completed');
      } catch (error) {
        const retrying = job.retryCount < job.retryLimit;
        const message = (error as Error).message;
        jobLogger[retrying ? 'warn' : 'error'](
          { err: error, attempt: job.retryCount + 1, attempts: job.retryLimit + 1 },
          retrying ? `job failed and will be retried: ${message}` : `job failed on its last attempt: ${message}`,
        );
        throw error;
      }
    }
    return output;
  }

  try {
    await prepareQueues(connection.pool, logError, definitions, scheduling ? config.timeZone : undefined);
    await boss.start();
    if (working) {
      for (const definition of definitions) {
        const ids: string[] = [];
        for (let i = 0; i < (definition.concurrency ?? 1); i++) {
          ids.push(
            await boss.work<object>(definition.name, { includeMetadata: true, pollingIntervalSeconds }, (jobs) => track(running, runBatch(definition, jobs))),
          );
        }
        workerIds.set(definition.name, ids);
      }
    }
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => {});
    await connection.close();
    throw error;
  }
  logger.debug({ queues: [...byName.keys()], working, scheduling }, 'job runner started');

  return {
    boss,
    queues: [...byName.keys()],
    working,
    send,
    stop() {
      stopping ??= (async () => {
        try {
          await boss.stop({ graceful: true, wait: true, timeout: stopTimeoutMs });
          // pg-boss waits only for the jobs in hand when stop began, and records a finished job's
          // result without awaiting the write. Let a job handed over by a poll already under way
          // finish too, and the result writes land, before the connections close.
          await Promise.race([Promise.allSettled(running), sleep(stopTimeoutMs, undefined, { ref: false })]);
          await nextTurn();
        } catch (error) {
          // The database may be going away at the same moment (Ctrl-C signals the whole process
          // group, PostgreSQL included): what is unfinished stays queued and is retried later.
          if (!isDatabaseGone(error)) throw error;
          logger.warn(`job runner stopped while the database was shutting down: ${(error as Error).message}`);
        } finally {
          await connection.close();
        }
        logger.debug('job runner stopped');
      })();
      return stopping;
    },
  };
}

/** PostgreSQL shutting down (57P01 admin shutdown, 57P03 cannot connect now) or the pool already ended. */
function isDatabaseGone(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '57P01' || code === '57P03' || /pool after calling end|Connection terminated/i.test((error as Error)?.message ?? '');
}

/** A runner that only sends jobs: for web instances when `npm run worker` does the work. */
export function startJobSender(options: Omit<StartJobsOptions, 'work' | 'schedule'>): Promise<JobRunner> {
  return startJobs({ ...options, work: false, schedule: false });
}

// Session advisory lock serialising prepareQueues across processes (migrate.ts uses 7_351_001).
const PREPARE_LOCK = 7_351_002;

/**
 * Installs or migrates pg-boss's schema, creates (or updates) the queues and, when `timeZone` is
 * given, registers the schedules — all before the runner's own pg-boss starts, so that its first
 * cron check already sees them. Schedules of jobs no longer in the catalogue are removed.
 *
 * It holds an advisory lock throughout, on one connection: pg-boss's queue creation (a row plus a
 * table partition) deadlocks when two processes starting together create the same queue.
 */
async function prepareQueues(
  pool: pg.Pool,
  logError: (error: Error) => void,
  definitions: readonly JobDefinition[],
  timeZone: string | undefined,
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [PREPARE_LOCK]);
    const setup = new PgBoss({ db: { executeSql: (text, values) => client.query(text, values) }, schema: JOB_SCHEMA, schedule: false, supervise: false, migrate: true });
    setup.on('error', logError);
    await setup.start();
    try {
      for (const definition of definitions) {
        // createQueue leaves an existing queue as it was; updateQueue brings changed settings in.
        await setup.createQueue(definition.name, queueOptions(definition));
        await setup.updateQueue(definition.name, queueOptions(definition));
      }
      if (timeZone !== undefined) {
        const scheduled = new Set<string>();
        for (const definition of definitions) {
          if (!definition.schedule) continue;
          await setup.schedule(definition.name, definition.schedule.cron, definition.schedule.data ?? {}, { tz: timeZone });
          scheduled.add(definition.name);
        }
        for (const existing of await setup.getSchedules()) {
          if (!scheduled.has(existing.name)) await setup.unschedule(existing.name);
        }
      }
    } finally {
      await setup.stop({ graceful: false, close: false });
    }
  } finally {
    // Ending the session releases the lock even if unlocking fails.
    await client.query('select pg_advisory_unlock($1)', [PREPARE_LOCK]).catch(() => {});
    client.release();
  }
}

function queueOptions(definition: JobDefinition): PgBoss.Queue {
  // A fresh object each time: pg-boss writes into the options it is given.
  return { name: definition.name, policy: 'standard', ...DEFAULT_QUEUE_SETTINGS, ...definition.queue };
}

interface QueueConnection extends PgBoss.Db {
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * pg-boss's own small pool, so that polling never waits behind web requests for a connection.
 * It keeps the queries under way so that close() can let them finish first.
 */
function openQueueConnection(connectionString: string, logger: Logger): QueueConnection {
  const pool = new pg.Pool({ connectionString, max: 5, application_name: 'opportunity-portal-jobs' });
  // An idle client's error (e.g. the server restarting) must not crash the process. (Only the
  // message and code are logged: pg attaches the whole client to the error.)
  pool.on('error', (error: Error & { code?: string }) => logger.error({ code: error.code }, `job queue connection error: ${error.message}`));
  const queries = new Set<Promise<unknown>>();
  // pool.end() resolves once it has asked its connections to close, not once they have closed;
  // close() waits for them, so that a database stopped next (the embedded one) finds none open.
  const connections = new Set<pg.PoolClient>();
  let lastClosed: (() => void) | undefined;
  pool.on('connect', (client) => connections.add(client));
  pool.on('remove', (client) => {
    connections.delete(client);
    if (connections.size === 0) lastClosed?.();
  });
  let closing: Promise<void> | undefined;
  return {
    pool,
    executeSql(text: string, values: unknown[]) {
      return track(queries, pool.query(text, values));
    },
    close() {
      closing ??= (async () => {
        await Promise.allSettled(queries);
        const allClosed = new Promise<void>((resolve) => (connections.size === 0 ? resolve() : (lastClosed = resolve)));
        await pool.end();
        await Promise.race([allClosed, sleep(5000, undefined, { ref: false })]);
      })();
      return closing;
    },
  };
}

/** Adds a promise to a set until it settles, and returns it. */
function track<T>(set: Set<Promise<unknown>>, promise: Promise<T>): Promise<T> {
  set.add(promise);
  promise.then(
    () => set.delete(promise),
    () => set.delete(promise),
  );
  return promise;
}
