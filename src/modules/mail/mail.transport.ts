/**
 * The mail port's two drivers, chosen by configuration:
 * - SMTP_URL set: a pooled nodemailer SMTP transport (connections reused across messages).
 * - otherwise: the outbox, each message an RFC 5322 `.eml` file under DATA_DIR/outbox/, named
 *   so that the files sort in the order they were written (open one in any mail client).
 *
 * Both build the message with nodemailer, so the outbox holds exactly what SMTP would send.
 * A process keeps one transport per destination (mailTransportFor) for its pool to be reused;
 * closeMailTransports() closes them at shutdown.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../../config.js';

/** One recipient: an address, or a name and an address (nodemailer quotes the name). */
export type MailRecipient = string | { name: string; address: string };

export interface OutgoingMail {
  from: string;
  to: MailRecipient;
  subject: string;
  text: string;
  html: string;
  /** Message-ID header with its angle brackets; the same for every attempt of one job, so that duplicates can be recognised. */
  messageId?: string;
}

export interface Delivery {
  messageId: string;
  /** The outbox file written (outbox driver only). */
  path?: string;
}

export interface MailTransport {
  readonly driver: 'smtp' | 'outbox';
  /** Where mail goes, safe to log: the SMTP host and port (never the credentials) or the outbox folder. */
  readonly target: string;
  deliver(mail: OutgoingMail): Promise<Delivery>;
  /** Connects and authenticates (SMTP) or checks the folder is writable (outbox); throws when mail cannot go out. */
  check(): Promise<void>;
  /** Closes idle pooled connections. */
  close(): void;
}

export function outboxDir(config: Config): string {
  return path.join(config.dataDir, 'outbox');
}

export function createMailTransport(config: Config): MailTransport {
  return config.mail.smtpUrl ? smtpTransport(config.mail.smtpUrl) : outboxTransport(outboxDir(config));
}

function smtpTransport(url: string): MailTransport {
  // Options given here apply where the URL's query string does not set them (e.g. ?maxConnections=10).
  const transporter = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: 5,
    // nodemailer's defaults wait up to 2 and 10 minutes; a job should fail and retry sooner.
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  const parsed = new URL(url);
  return {
    driver: 'smtp',
    target: `${parsed.protocol}//${parsed.host}`,
    async deliver(mail) {
      const info = await transporter.sendMail(mail);
      return { messageId: info.messageId };
    },
    async check() {
      await transporter.verify();
    },
    close() {
      transporter.close();
    },
  };
}

// Orders the files written by this process within one millisecond.
let sequence = 0;

function outboxTransport(dir: string): MailTransport {
  // The stream transport builds the message as SMTP would send it (CRLF line ends) without sending it.
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    driver: 'outbox',
    target: dir,
    async deliver(mail) {
      const info = await composer.sendMail(mail);
      sequence = (sequence + 1) % 1_000_000;
      // e.g. 2025-06-01T09-30-00.123Z-000042-9f3a1c2e.eml: time first (':' is not allowed in Windows file names), then a counter and random suffix for uniqueness.
      const name = `${new Date().toISOString().replace(/:/g, '-')}-${String(sequence).padStart(6, '0')}-${randomBytes(4).toString('hex')}.eml`;
      const file = path.join(dir, name);
      await mkdir(dir, { recursive: true });
      // Written under a hidden name and renamed, so that nobody watching the folder reads half a message.
      // Only the portal's user may read it: a message may hold a one-time link.
      const partial = path.join(dir, `.${name}.partial`);
      await writeFile(partial, info.message as Buffer, { mode: 0o600, flag: 'wx' });
      await rename(partial, file);
      return { messageId: info.messageId, path: file };
    },
    async check() {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
    },
    close() {},
  };
}

const transports = new Map<string, MailTransport>();

/** This process's transport for the configured destination, created on first use. */
export function mailTransportFor(config: Config): MailTransport {
  const key = config.mail.smtpUrl ? `smtp ${config.mail.smtpUrl}` : `outbox ${outboxDir(config)}`;
  let transport = transports.get(key);
  if (!transport) {
    transport = createMailTransport(config);
    transports.set(key, transport);
  }
  return transport;
}

/** Closes every transport this process opened (at shutdown, after the job runner has stopped). */
export function closeMailTransports(): void {
  for (const transport of transports.values()) transport.close();
  transports.clear();
}
