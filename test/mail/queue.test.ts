// Mail through the real queue: queueMail → mail.send job → a real SMTP server (or the outbox),
// inside the caller's transaction, and retried through an SMTP outage without losing the message.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { simpleParser } from 'mailparser';
import { pino } from 'pino';
import t from 'tap';
import type { Config } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import type { JobDefinition } from '../../src/modules/jobs/job-definition.js';
import { MAIL_SEND_JOB, mailSendJob } from '../../src/modules/mail/mail.jobs.js';
import { closeMail, queueMail } from '../../src/modules/mail/mail.service.js';
import { outboxDir } from '../../src/modules/mail/mail.transport.js';
import { buildTestApp, type TestContext } from '../helper.js';
import { startTestRunner, waitForJob } from '../jobs/support.js';
import { startSmtpServer } from '../support/smtp.js';

t.teardown(closeMail);

const token = 'Zm9vYmFyYmF6cXV4dG9rZW4';
const link = `https://portal.example.gov.uk/account/verify?token=${token}`;
const verifyEmail = (to: string, name = 'Asha Patel') => ({ to, template: 'verify-email' as const, data: { name, link, expiresInHours: 24 } });

// The production queue waits 30 s before the first retry; the tests retry after 1 s.
const quickRetryMailJob = { ...mailSendJob, queue: { ...mailSendJob.queue, retryLimit: 20, retryDelay: 1, retryBackoff: false } } as JobDefinition;

/** A worker for the mail queue alone, logging at info level into `lines`. */
function startMailWorker(t: TestContext, database: Database, config: Config, lines: string[] = []) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return startTestRunner(t, database, config, { jobs: [quickRetryMailJob], logger: pino({ level: 'info' }, sink) });
}

t.test('queueMail → mail.send job → SMTP server: both parts, the link, and no link left in the queue', async (t) => {
  const server = await startSmtpServer(t);
  const { jobs, database, config } = await buildTestApp(t, { env: { SMTP_URL: server.url, MAIL_FROM: 'Opportunity Portal <opportunities@portal.example.gov.uk>' } });
  t.match(await jobs.boss.getQueue(MAIL_SEND_JOB), { retryLimit: 10, retryDelay: 30, retryBackoff: true }, 'the catalogue retries mail for hours, backing off');

  const worker = await startMailWorker(t, database, config);
  const id = await queueMail(jobs, verifyEmail('asha@example.org', '<script>alert(1)</script> Asha'));
  const job = await waitForJob(worker, MAIL_SEND_JOB, id);
  t.equal(job.state, 'completed');

  const [received] = await server.waitForMessages(1);
  t.same(received?.envelope, { from: 'opportunities@portal.example.gov.uk', to: ['asha@example.org'] });
  const mail = received?.parsed;
  t.equal(mail?.subject, 'Confirm your email address for Opportunity Portal');
  t.equal(mail?.messageId, `<${id}@portal.example.gov.uk>`, 'the Message-ID is the job id, the same on every attempt');
  t.ok(mail?.text?.split('\n').includes(link), 'the text part has the link in full');
  t.match(mail?.html, `<a href="${link}"`, 'the HTML part links to it');
  t.match(mail?.html, 'Dear &lt;script&gt;alert(1)&lt;/script&gt; Asha,', 'the name is escaped in HTML');
  t.notMatch(mail?.html, /<script/);
  t.match(mail?.text, 'Dear <script>alert(1)</script> Asha,', 'and shown as typed in the text part');

  t.same(job.output, { messageId: `<${id}@portal.example.gov.uk>` });
  t.same(job.data, { template: 'verify-email', sent: true, messageId: `<${id}@portal.example.gov.uk>` }, 'once sent, the job keeps no recipient, name or link');
  t.notMatch(JSON.stringify(job), token);

  // A retry of a job whose message went but whose completion was not recorded finds that data, and does not send again.
  const retried = await waitForJob(worker, MAIL_SEND_JOB, await jobs.send(MAIL_SEND_JOB, { template: 'verify-email', sent: true, messageId: '<earlier@portal.example.gov.uk>' }));
  t.equal(retried.state, 'completed');
  t.same(retried.output, { messageId: '<earlier@portal.example.gov.uk>' });
  t.equal(server.messages.length, 1, 'nothing sent for it');
});

t.test('without SMTP_URL the worker writes the message to the outbox and logs its path, never its body', async (t) => {
  const { jobs, database, config } = await buildTestApp(t);
  const lines: string[] = [];
  const worker = await startMailWorker(t, database, config, lines);

  const id = await queueMail(jobs, { ...verifyEmail('outbox@example.org'), to: { name: 'Outbox Reader', address: 'outbox@example.org' } });
  const job = await waitForJob(worker, MAIL_SEND_JOB, id);
  t.equal(job.state, 'completed');
  const file = (job.output as { path?: string }).path ?? '';
  t.equal(path.dirname(file), outboxDir(config), 'written under DATA_DIR/outbox');
  t.ok(existsSync(file));
  const parsed = await simpleParser(await readFile(file));
  t.equal(parsed.subject, 'Confirm your email address for Opportunity Portal');
  t.match(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '', '"Outbox Reader" <outbox@example.org>');
  t.match(parsed.text, link);

  const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.path === file);
  t.match(logged, { level: 30, queue: MAIL_SEND_JOB, jobId: id, template: 'verify-email', to: 'outbox@example.org', subject: 'Confirm your email address for Opportunity Portal' }, 'logged at info level with the path');
  t.notMatch(lines.join(''), token, 'no log line holds the one-time link');
});

t.test("queued in the caller's transaction: a rollback sends nothing, a commit sends it", async (t) => {
  const server = await startSmtpServer(t);
  const { jobs, database, config } = await buildTestApp(t, { env: { SMTP_URL: server.url } });
  const worker = await startMailWorker(t, database, config);

  let rolledBack: string | undefined;
  await t.rejects(
    database.db.transaction(async (tx) => {
      rolledBack = await queueMail(jobs, verifyEmail('rolled-back@example.org'), { tx });
      throw new Error('registration failed');
    }),
    /registration failed/,
  );
  t.ok(rolledBack, 'queueMail returned a job id inside the transaction');
  t.equal(await jobs.boss.getJobById(MAIL_SEND_JOB, rolledBack ?? '', { includeArchive: true }), null, 'the rolled-back job does not exist');

  const committed = await database.db.transaction(async (tx) => {
    const id = await queueMail(jobs, verifyEmail('committed@example.org'), { tx });
    t.equal(await jobs.boss.getJobById(MAIL_SEND_JOB, id), null, 'not visible to other connections before the commit');
    return id;
  });
  const job = await waitForJob(worker, MAIL_SEND_JOB, committed);
  t.equal(job.state, 'completed');
  await server.waitForMessages(1);
  const all = await worker.boss.getJobById(MAIL_SEND_JOB, committed, { includeArchive: true });
  t.equal(all?.state, 'completed');
  t.same(
    server.messages.map((m) => m.envelope.to),
    [['committed@example.org']],
    'only the committed message arrived',
  );
});

t.test('queueMail refuses at once, before anything is queued, what it could not deliver as asked', async (t) => {
  const { jobs } = await buildTestApp(t);
  await t.rejects(queueMail(jobs, verifyEmail('one@example.org, two@example.org')), /one email address/, 'several recipients');
  await t.rejects(queueMail(jobs, verifyEmail('Someone <one@example.org>')), /one email address/, 'a display name belongs in { name, address }');
  await t.rejects(queueMail(jobs, { ...verifyEmail('x@example.org'), to: { name: 'A\r\nBcc: b@example.org', address: 'x@example.org' } }), /one line/, 'a header injected in the name');
  // @ts-expect-error -- not a template in MailTemplates
  await t.rejects(queueMail(jobs, { to: 'x@example.org', template: 'no-such-template', data: {} }), /no-such-template/);
  t.equal(await jobs.boss.getQueueSize(MAIL_SEND_JOB), 0, 'nothing was queued');
});

t.test('an SMTP server that is down fails the attempt and the job retries; once it is back the message arrives, once', async (t) => {
  // Start a server to learn a free port, then close it: connections there are refused.
  const first = await startSmtpServer(t);
  await first.close();
  const { jobs, database, config } = await buildTestApp(t, { env: { SMTP_URL: first.url } });
  const lines: string[] = [];
  const worker = await startMailWorker(t, database, config, lines);

  const id = await queueMail(jobs, verifyEmail('patient@example.org'));
  const retrying = await waitForJob(worker, MAIL_SEND_JOB, id, { states: ['retry'] });
  t.equal(retrying.state, 'retry', 'the failed attempt is queued for a retry, not lost');
  t.match(retrying.output, { message: /ECONNREFUSED/ }, 'the error is kept with the job');
  t.ok(
    lines.some((line) => /"level":40/.test(line) && line.includes('job failed and will be retried')),
    'the failure is logged as a warning',
  );

  const back = await startSmtpServer(t, { port: first.port });
  const done = await waitForJob(worker, MAIL_SEND_JOB, id);
  t.equal(done.state, 'completed');
  t.ok(done.retryCount >= 1, `delivered on a retry (retry ${done.retryCount})`);
  const [received] = await back.waitForMessages(1);
  t.same(received?.envelope.to, ['patient@example.org']);
  t.match(received?.parsed.text, link);
  t.equal(back.messages.length, 1, 'sent once');
});
