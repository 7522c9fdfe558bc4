// The scheduled publishing and closing jobs, sent through the real queue and worked by real runners.
import { and, asc, eq, inArray } from 'drizzle-orm';
import t from 'tap';
import type { Database } from '../../src/db/client.js';
import { auditLog } from '../../src/modules/audit/audit.table.js';
import { CLOSE_EXPIRED_JOB, PUBLISH_DUE_JOB } from '../../src/modules/jobs/handlers/opportunities.jobs.js';
import type { JobRunner } from '../../src/modules/jobs/jobs.js';
import { opportunities, releases } from '../../src/modules/opportunities/opportunities.table.js';
import { searchDocuments } from '../../src/modules/search/search.table.js';
import { createTestDatabase, testConfig } from '../helper.js';
import { createBuyer, createOpportunity, publish } from '../support/factories.js';
import { startTestRunner, waitForJob } from './support.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

async function statusOf(database: Database, id: number) {
  const [row] = await database.db.select({ status: opportunities.status, stage: opportunities.stage }).from(opportunities).where(eq(opportunities.id, id));
  return row;
}

async function releasesOf(database: Database, id: number) {
  return database.db.select().from(releases).where(eq(releases.opportunityId, id)).orderBy(asc(releases.sequence));
}

function scheduled(database: Database, buyerId: number, publishAt: Date) {
  return createOpportunity(database, buyerId, { status: 'scheduled', stage: 'open', publishAt });
}

t.test('publish-due publishes the scheduled opportunities whose time has come, and only those', async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t);
  const runner = await startTestRunner(t, database, config);
  const buyer = await createBuyer(database);
  const due = await scheduled(database, buyer.id, new Date(Date.now() - MINUTE));
  const notYet = await scheduled(database, buyer.id, new Date(Date.now() + DAY));

  const job = await waitForJob(runner, PUBLISH_DUE_JOB, await runner.send(PUBLISH_DUE_JOB));
  t.equal(job.state, 'completed');
  t.same(job.output, { count: 1 }, 'the job reports how many it published');

  t.same(await statusOf(database, due.id), { status: 'published', stage: 'open' });
  const dueReleases = await releasesOf(database, due.id);
  t.equal(dueReleases.length, 1, 'one release');
  t.equal(dueReleases[0]?.isLatest, true);
  t.same(dueReleases[0]?.tags, ['tender']);
  const documents = await database.db.select().from(searchDocuments).where(eq(searchDocuments.opportunityId, due.id));
  t.equal(documents.length, 1, 'a search document is written');
  const audits = await database.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityType, 'opportunity'), eq(auditLog.entityId, String(due.id))));
  t.same(
    audits.map((a) => [a.action, a.actorLabel]),
    [['opportunity.published', 'system: scheduled publishing']],
  );

  t.same(await statusOf(database, notYet.id), { status: 'scheduled', stage: 'open' }, 'one not yet due stays scheduled');
  t.equal((await releasesOf(database, notYet.id)).length, 0);
});

t.test('a job sent with startAfter waits for its time while due jobs run; then it publishes promptly', async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t);
  const runner = await startTestRunner(t, database, config);
  const buyer = await createBuyer(database);

  const later = await runner.send(PUBLISH_DUE_JOB, {}, { startAfter: new Date(Date.now() + 60 * MINUTE) });
  const now = await waitForJob(runner, PUBLISH_DUE_JOB, await runner.send(PUBLISH_DUE_JOB));
  t.equal(now.state, 'completed', 'a job due now runs');
  const waiting = await runner.boss.getJobById(PUBLISH_DUE_JOB, later!);
  t.equal(waiting?.state, 'created', 'the job for later is still queued');

  // What the publishing service will do: one job per scheduled opportunity, at its publish time.
  const publishAt = new Date(Date.now() + 1500);
  const opportunity = await scheduled(database, buyer.id, publishAt);
  const id = await runner.send(PUBLISH_DUE_JOB, {}, { startAfter: publishAt });
  t.equal((await runner.boss.getJobById(PUBLISH_DUE_JOB, id!))?.state, 'created', 'before its time the job waits');
  const job = await waitForJob(runner, PUBLISH_DUE_JOB, id);
  t.equal(job.state, 'completed');
  t.same(job.output, { count: 1 }, 'the job published the opportunity');
  t.ok(job.startedOn.getTime() >= publishAt.getTime(), 'the job did not start before its startAfter');
  t.equal((await statusOf(database, opportunity.id))?.status, 'published');
  const [release] = await releasesOf(database, opportunity.id);
  t.ok(release!.publishedAt.getTime() >= publishAt.getTime(), 'published at (not before) its publish time');
});

t.test('close-expired closes open opportunities past their deadline with a tenderUpdate release, once', async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t);
  const runner = await startTestRunner(t, database, config);
  const buyer = await createBuyer(database);
  const expired = await createOpportunity(database, buyer.id, { stage: 'open', tenderDeadline: new Date(Date.now() - MINUTE) });
  const firstRelease = await publish(database, expired.id);
  const stillOpen = await createOpportunity(database, buyer.id, { stage: 'open', tenderDeadline: new Date(Date.now() + DAY) });
  await publish(database, stillOpen.id);

  const job = await waitForJob(runner, CLOSE_EXPIRED_JOB, await runner.send(CLOSE_EXPIRED_JOB));
  t.equal(job.state, 'completed');
  t.same(job.output, { count: 1 });

  t.same(await statusOf(database, expired.id), { status: 'published', stage: 'closed' });
  const rows = await releasesOf(database, expired.id);
  t.same(
    rows.map((r) => [r.releaseId, r.isLatest, r.tags, r.stage]),
    [
      [firstRelease, false, ['tender'], 'open'],
      [`${config.ocidPrefix}-${expired.id}-2`, true, ['tenderUpdate'], 'closed'],
    ],
    'the previous release is kept; the new one is latest',
  );
  t.match(rows[1]?.changeNote, /deadline for tenders has passed/);
  t.same(await statusOf(database, stillOpen.id), { status: 'published', stage: 'open' }, 'one before its deadline stays open');

  const again = await waitForJob(runner, CLOSE_EXPIRED_JOB, await runner.send(CLOSE_EXPIRED_JOB));
  t.same(again.output, { count: 0 }, 'running it again moves nothing');
  t.equal((await releasesOf(database, expired.id)).length, 2, 'no duplicate release');
});

t.test('two runners working the same queues move each opportunity exactly once', async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t);
  const [first, second] = await Promise.all([startTestRunner(t, database, config), startTestRunner(t, database, config)]);
  const buyer = await createBuyer(database);
  const toPublish: number[] = [];
  const toClose: number[] = [];
  for (let i = 0; i < 25; i++) {
    toPublish.push((await scheduled(database, buyer.id, new Date(Date.now() - (i + 1) * MINUTE))).id);
    const open = await createOpportunity(database, buyer.id, { stage: 'open', tenderDeadline: new Date(Date.now() - (i + 1) * MINUTE) });
    await publish(database, open.id);
    toClose.push(open.id);
  }

  // Several jobs of each kind from each runner, all due now: both runners' workers race for them.
  const sent: [string, JobRunner, string | null][] = [];
  for (const runner of [first, second, first, second, first, second]) {
    for (const name of [PUBLISH_DUE_JOB, CLOSE_EXPIRED_JOB]) sent.push([name, runner, await runner.send(name)]);
  }
  const jobs = await Promise.all(sent.map(([name, runner, id]) => waitForJob(runner, name, id)));
  t.ok(jobs.every((job) => job.state === 'completed'), 'every job completed');
  const moved = (name: string) => jobs.filter((job) => job.name === name).reduce((sum, job) => sum + (job.output as { count: number }).count, 0);
  t.equal(moved(PUBLISH_DUE_JOB), 25, 'the publish jobs published 25 between them');
  t.equal(moved(CLOSE_EXPIRED_JOB), 25, 'the close jobs closed 25 between them');

  const published = await database.db.select({ opportunityId: releases.opportunityId }).from(releases).where(inArray(releases.opportunityId, toPublish));
  t.equal(published.length, 25, 'one release per published opportunity');
  const closed = await database.db.select({ opportunityId: releases.opportunityId }).from(releases).where(inArray(releases.opportunityId, toClose));
  t.equal(closed.length, 50, 'two releases (tender, then tenderUpdate) per closed opportunity');
  const statuses = await database.db.select({ status: opportunities.status, stage: opportunities.stage }).from(opportunities).where(inArray(opportunities.id, [...toPublish, ...toClose]));
  t.ok(statuses.every((s) => s.status === 'published'), 'all published');
  t.equal(statuses.filter((s) => s.stage === 'closed').length, 25, 'the expired ones closed');
});

t.test('publish-due goes by the runner clock, and returns an opportunity no longer ready to draft instead of publishing it', async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t);
  let offset = 0;
  const runner = await startTestRunner(t, database, config, { clock: () => new Date(Date.now() + offset) });
  const buyer = await createBuyer(database);
  const ready = await scheduled(database, buyer.id, new Date(Date.now() + 2 * DAY));
  const broken = await createOpportunity(database, buyer.id, { status: 'scheduled', stage: 'open', publishAt: new Date(Date.now() + 2 * DAY), summary: '' });

  const early = await waitForJob(runner, PUBLISH_DUE_JOB, await runner.send(PUBLISH_DUE_JOB));
  t.same(early.output, { count: 0 }, 'nothing is due by the real time');

  offset = 3 * DAY;
  const job = await waitForJob(runner, PUBLISH_DUE_JOB, await runner.send(PUBLISH_DUE_JOB));
  t.same(job.output, { count: 1 }, 'with the clock moved on, the ready one is published');
  t.same(await statusOf(database, ready.id), { status: 'published', stage: 'open' });

  t.same(await statusOf(database, broken.id), { status: 'draft', stage: 'open' }, 'the one without a summary goes back to draft');
  t.equal((await releasesOf(database, broken.id)).length, 0, 'and nothing about it was published');
  const [row] = await database.db.select({ publishAt: opportunities.publishAt }).from(opportunities).where(eq(opportunities.id, broken.id));
  t.equal(row?.publishAt, null, 'its publish time is cleared');
  const audits = await database.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityType, 'opportunity'), eq(auditLog.entityId, String(broken.id))));
  t.same(audits.map((a) => a.action), ['opportunity.schedule_failed']);
  t.match(audits[0]?.after, { status: 'draft', problems: ['Enter a short summary'] }, 'the audit entry names the problem');
});
