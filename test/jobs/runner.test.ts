// The job runner itself: schedules, retries, send-only runners and graceful stopping, through the real queue.
import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import t from 'tap';
import { jobCatalogue } from '../../src/modules/jobs/catalogue.js';
import { CLOSE_EXPIRED_JOB, PUBLISH_DUE_JOB } from '../../src/modules/jobs/handlers/opportunities.jobs.js';
import { defineJob } from '../../src/modules/jobs/job-definition.js';
import { JOB_SCHEMA } from '../../src/modules/jobs/jobs.js';
import { opportunities } from '../../src/modules/opportunities/opportunities.table.js';
import { createTestDatabase, testConfig } from '../helper.js';
import { createBuyer, createOpportunity } from '../support/factories.js';
import { eventually, startTestRunner, waitForJob } from './support.js';

t.test('the lifecycle jobs are scheduled every minute in Europe/London, and the schedule runs them', async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t);
  // A job a previous version scheduled and the catalogue no longer has: its schedule is removed.
  const old = await startTestRunner(t, database, config, { schedule: true, jobs: [defineJob({ name: 'test.retired', schedule: { cron: '0 3 * * *' }, handle: async () => {} })] });
  await old.stop();

  const buyer = await createBuyer(database);
  const due = await createOpportunity(database, buyer.id, { status: 'scheduled', stage: 'open', publishAt: new Date(Date.now() - 60_000) });
  const runner = await startTestRunner(t, database, config, { schedule: true });
  const schedules = await runner.boss.getSchedules();
  const summary = schedules.map((s) => ({ name: s.name, cron: s.cron, timezone: (s as { timezone?: string }).timezone }));
  for (const name of [CLOSE_EXPIRED_JOB, PUBLISH_DUE_JOB]) {
    t.same(summary.filter((s) => s.name === name), [{ name, cron: '* * * * *', timezone: 'Europe/London' }], `${name} every minute`);
  }
  t.notOk(summary.some((s) => s.name === 'test.retired'), 'a schedule the catalogue no longer has is removed');
  t.same(summary.map((s) => s.name).sort(), jobCatalogue.filter((j) => j.schedule).map((j) => j.name).sort(), 'exactly the catalogue’s schedules');

  // Nobody sends a job here: pg-boss's clock enqueues this minute's run, and the worker works it.
  const status = await eventually(
    'the scheduled run to publish the due opportunity',
    async () => {
      const [row] = await database.db.select({ status: opportunities.status }).from(opportunities).where(eq(opportunities.id, due.id));
      return row?.status === 'published' ? row.status : undefined;
    },
    90_000,
  );
  t.equal(status, 'published');
});

t.test('a failing job is retried with backoff; one that keeps failing ends failed without stopping the worker', async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t);
  const flaky = defineJob<{ failures: number }>({
    name: 'test.flaky',
    queue: { retryLimit: 3, retryDelay: 1, retryBackoff: true },
    async handle(job) {
      if (job.retryCount < job.data.failures) throw new Error(`attempt ${job.retryCount + 1} failed`);
      return { attempt: job.retryCount + 1 };
    },
  });
  const runner = await startTestRunner(t, database, config, { jobs: [flaky] });

  const queue = await runner.boss.getQueue('test.flaky');
  t.match(queue, { retryLimit: 3, retryDelay: 1, retryBackoff: true }, 'the queue keeps the retry settings');
  // (The test template already holds the catalogue's queues, so ask the runner, not the schema.)
  t.same(runner.queues, ['test.flaky'], 'only the jobs given are run');
  await t.rejects(runner.send(PUBLISH_DUE_JOB), /unknown job/, 'and only they can be sent');

  const recovered = await waitForJob(runner, 'test.flaky', await runner.send('test.flaky', { failures: 1 }));
  t.equal(recovered.state, 'completed');
  t.equal(recovered.retryCount, 1, 'completed on the first retry');
  t.same(recovered.output, { attempt: 2 });

  const broken = await waitForJob(runner, 'test.flaky', await runner.send('test.flaky', { failures: 99 }, { retryLimit: 0 }));
  t.equal(broken.state, 'failed', 'no retries left: failed');
  t.match(broken.output, { message: 'attempt 1 failed' }, 'the error is kept with the job');

  const after = await waitForJob(runner, 'test.flaky', await runner.send('test.flaky', { failures: 0 }));
  t.equal(after.state, 'completed', 'the worker carries on after a failure');
});

t.test('the catalogue queues retry with backoff', async (t) => {
  const database = await createTestDatabase(t);
  const runner = await startTestRunner(t, database, testConfig(t));
  for (const name of [PUBLISH_DUE_JOB, CLOSE_EXPIRED_JOB]) {
    t.match(await runner.boss.getQueue(name), { name, retryBackoff: true, retryLimit: 5 }, `${name} retries`);
  }
});

t.test('a send-only runner enqueues jobs that a working runner elsewhere runs', async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t);
  const sender = await startTestRunner(t, database, config, { work: false });
  t.equal(sender.working, false);
  await t.rejects(sender.send('opportunities.publish-everything'), /unknown job "opportunities.publish-everything"/, 'an unknown job name is refused');

  const id = await sender.send(CLOSE_EXPIRED_JOB);
  t.equal((await sender.boss.getJobById(CLOSE_EXPIRED_JOB, id!))?.state, 'created', 'nobody works it yet');
  const worker = await startTestRunner(t, database, config);
  t.equal((await waitForJob(worker, CLOSE_EXPIRED_JOB, id)).state, 'completed', 'a worker picks it up');
});

t.test('stop() lets the job in hand finish, then closes every queue connection', async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t);
  let started!: () => void;
  const inHand = new Promise<void>((resolve) => (started = resolve));
  const slow = defineJob({
    name: 'test.slow',
    async handle() {
      started();
      // Stands in for work that takes a while: the runner is asked to stop meanwhile.
      await sleep(1000);
      return { finished: true };
    },
  });
  const runner = await startTestRunner(t, database, config, { jobs: [slow] });
  const id = await runner.send('test.slow');
  await inHand;
  await runner.stop();

  const { rows } = await database.pool.query<{ state: string; output: unknown }>(`select state, output from ${JOB_SCHEMA}.job where id = $1`, [id]);
  t.same(rows, [{ state: 'completed', output: { finished: true } }], 'the job finished and its result was recorded');
  const connections = await database.pool.query<{ n: number }>(
    "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'opportunity-portal-jobs'",
  );
  t.equal(connections.rows[0]?.n, 0, 'no queue connection is left open');
  await t.rejects(runner.send('test.slow'), /the job runner has stopped/, 'a stopped runner sends nothing');
  await runner.stop();
  t.pass('stop() twice is harmless');
});
