/**
 * `mail.send`: renders one queued message from its template and data, and delivers it through
 * the configured driver. A failure (SMTP server down, refused, timed out) fails the attempt and
 * the queue retries it with backoff, so an outage delays mail without losing it; 10 retries
 * from 30 s apart, doubling, span roughly 8 to 17 hours.
 *
 * Delivery is at least once: a worker that dies after the SMTP server accepted a message but
 * before the job is recorded as done sends it again on retry, with the same Message-ID.
 */
import type { Database } from '../../db/client.js';
import { defineJob, JOB_SCHEMA } from '../jobs/job-definition.js';
import { renderMail, type JsonObject } from './mail.templates.js';
import { mailTransportFor, type MailRecipient } from './mail.transport.js';

export const MAIL_SEND_JOB = 'mail.send';

/** What queueMail() stores: the template and its data, rendered at delivery. */
export interface MailJobData {
  to: MailRecipient;
  template: string;
  data: JsonObject;
}

/** What remains of a job once its message has gone: the data (which may hold a one-time link) is removed. */
interface SentMailJobData {
  template: string;
  sent: true;
  messageId: string;
}

const JOB_TABLE = `${JOB_SCHEMA}.job`;

export const mailSendJob = defineJob<MailJobData | SentMailJobData>({
  name: MAIL_SEND_JOB,
  queue: { retryLimit: 10, retryDelay: 30, retryBackoff: true, expireInSeconds: 5 * 60 },
  // Several messages in flight per process, over the SMTP pool's connections.
  concurrency: 5,
  async handle(job, { config, database, logger }) {
    if ('sent' in job.data) {
      // Delivered by an earlier attempt whose completion was not recorded: do not send it twice.
      logger.info({ template: job.data.template, messageId: job.data.messageId }, 'mail already sent by an earlier attempt');
      return { messageId: job.data.messageId };
    }
    const { to, template, data } = job.data;
    const rendered = renderMail(template, data, config);
    const transport = mailTransportFor(config);
    const delivery = await transport.deliver({ from: config.mail.from, to, ...rendered, messageId: messageIdFor(job.id, config.mail.from) });
    // Recipient, subject and where it went; never the body, which may hold a one-time link.
    const recipient = typeof to === 'string' ? to : to.address;
    if (delivery.path) logger.info({ template, to: recipient, subject: rendered.subject, path: delivery.path }, `mail written to the outbox: ${delivery.path}`);
    else logger.info({ template, to: recipient, subject: rendered.subject, messageId: delivery.messageId, smtp: transport.target }, 'mail sent');
    await forgetData(database, job.id, { template, sent: true, messageId: delivery.messageId }, logger);
    return delivery.path ? { messageId: delivery.messageId, path: delivery.path } : { messageId: delivery.messageId };
  },
});

/** `<job id@sender's domain>`: unique per message, and the same for every attempt at it. */
function messageIdFor(jobId: string, from: string): string {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  return `<${jobId}@${address.slice(address.lastIndexOf('@') + 1)}>`;
}

/**
 * Replaces the job's stored data once the message has gone. Tokens are stored hashed (see
 * DESIGN.md); the queue would otherwise keep the raw one-time link in its tables, and in backups,
 * for as long as it keeps finished jobs. A failure here is only logged: the message has gone,
 * and failing the job would send it again.
 */
async function forgetData(database: Database, jobId: string, sent: SentMailJobData, logger: { warn(obj: object, msg: string): void }): Promise<void> {
  try {
    await database.pool.query(`update ${JOB_TABLE} set data = $3 where name = $1 and id = $2`, [MAIL_SEND_JOB, jobId, sent]);
  } catch (error) {
    logger.warn({ err: error }, `could not remove the data of a sent mail job: ${(error as Error).message}`);
  }
}
