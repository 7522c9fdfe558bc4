/**
 * The mail port as the domains see it: queueMail() to send a message, checkMail() to see
 * whether mail can go out, closeMail() at shutdown.
 *
 *     await database.db.transaction(async (tx) => {
 *       const user = await createUser(tx, …);
 *       await queueMail(app.jobs, { to: user.email, template: 'verify-email', data: { name, link, expiresInHours: 24 } }, { tx });
 *     });
 *
 * queueMail() only enqueues a `mail.send` job (mail.jobs.ts); a worker renders and delivers it,
 * retrying for hours if the SMTP server is down. Given the caller's transaction, the job is
 * inserted in it: a rolled-back registration sends nothing, a committed one cannot lose its mail.
 */
import type { Config } from '../../config.js';
import type { Tx } from '../../db/client.js';
import type { JobSendOptions, SendJob } from '../jobs/job-definition.js';
import { queueSqlInTransaction } from '../jobs/transaction.js';
import { MAIL_SEND_JOB, type MailJobData } from './mail.jobs.js';
import { assertMailTemplate, type MailTemplateName, type MailTemplates } from './mail.templates.js';
import { closeMailTransports, mailTransportFor, type MailRecipient } from './mail.transport.js';

/** Anything that can enqueue jobs: the app's runner (`app.jobs`) or a job handler's context. */
export interface JobSender {
  send: SendJob;
}

export interface MailRequest<Name extends MailTemplateName = MailTemplateName> {
  /** One recipient per message, so that no one sees another's address. */
  to: MailRecipient;
  /** A template under views/emails/ (see mail.templates.ts). */
  template: Name;
  /** The template's data; stored as JSON and rendered when the message is delivered. */
  data: MailTemplates[Name];
}

export interface QueueMailOptions {
  /** The caller's transaction: the message is queued if, and only if, it commits. */
  tx?: Tx;
}

/** Queues a message for delivery and returns the job's id. Throws at once for an unknown template, non-JSON data or a malformed recipient. */
export async function queueMail<Name extends MailTemplateName>(sender: JobSender, mail: MailRequest<Name>, options: QueueMailOptions = {}): Promise<string> {
  assertRecipient(mail.to);
  assertMailTemplate(mail.template, mail.data);
  const data: MailJobData = { to: mail.to, template: mail.template, data: mail.data };
  const sendOptions: JobSendOptions = options.tx ? { db: queueSqlInTransaction(options.tx) } : {};
  const id = await sender.send(MAIL_SEND_JOB, data, sendOptions);
  if (!id) throw new Error('the mail job was not enqueued');
  return id;
}

// One address: no spaces, angle brackets, commas or semicolons (which would make it several).
const ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$|^[^\s@<>,;"]+@localhost$/;

function assertRecipient(to: MailRecipient): void {
  const address = typeof to === 'string' ? to : to.address;
  if (!ADDRESS.test(address)) throw new Error('a mail recipient must be one email address');
  if (typeof to !== 'string' && /[\r\n]/.test(to.name)) throw new Error('a mail recipient name must be one line');
}

export interface MailCheck {
  driver: 'smtp' | 'outbox';
  /** The SMTP server's scheme, host and port, or the outbox folder (never credentials). */
  target: string;
}

/**
 * Whether mail can go out: connects and authenticates to the SMTP server, or checks the outbox
 * folder is writable. Throws with the reason (e.g. for /health/ready), after at most `timeoutMs`.
 */
export async function checkMail(config: Config, { timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<MailCheck> {
  const transport = mailTransportFor(config);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from ${transport.target} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([transport.check(), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return { driver: transport.driver, target: transport.target };
}

/** Closes this process's SMTP connections; call at shutdown, after the job runner has stopped. */
export function closeMail(): void {
  closeMailTransports();
}
