/**
 * For the account tests: the app wired to a real SMTP server with a mail worker delivering the
 * queue, and helpers to read the messages and the links in them.
 */
import * as cheerio from 'cheerio';
import type { LightMyRequestResponse } from 'fastify';
import type { Database } from '../../src/db/client.js';
import { mailSendJob } from '../../src/modules/mail/mail.jobs.js';
import { buildTestApp, type TestApp, type TestContext } from '../helper.js';
import { eventually, startTestRunner } from '../jobs/support.js';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../support/smtp.js';

/**
 * Plain http: with an https PUBLIC_URL the session cookie is Secure, and @fastify/session does not
 * save changes made over an insecure connection (inject's), such as a flash message.
 */
export const PUBLIC_URL = 'http://portal.example.gov.uk';

export interface MailTestApp extends TestApp {
  smtp: TestSmtpServer;
}

/** The app with SMTP delivery through a running mail worker. */
export async function buildMailTestApp(t: TestContext, options: { database?: Database } = {}): Promise<MailTestApp> {
  const smtp = await startSmtpServer(t);
  const built = await buildTestApp(t, { ...options, env: { SMTP_URL: smtp.url, PUBLIC_URL } });
  await startTestRunner(t, built.database, built.config, { jobs: [mailSendJob] });
  return { ...built, smtp };
}

/** Messages received for `to` so far. */
export function mailsTo(smtp: TestSmtpServer, to: string): ReceivedMail[] {
  return smtp.messages.filter((m) => m.envelope.to.includes(to));
}

/** Waits for the `count`-th message to `to` (1 = the first) and returns it. */
export async function waitForMail(smtp: TestSmtpServer, to: string, count = 1): Promise<ReceivedMail> {
  return eventually(
    () => `message ${count} to ${to} (received: ${smtp.messages.map((m) => `${m.envelope.to.join(',')} "${m.parsed.subject}"`).join('; ') || 'none'})`,
    async () => mailsTo(smtp, to)[count - 1],
  );
}

/** The local path of the first link in the text part that starts with PUBLIC_URL + `prefix`. */
export function linkIn(mail: ReceivedMail, prefix: string): string {
  const text = mail.parsed.text ?? '';
  const escaped = (PUBLIC_URL + prefix).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}[^\\s]*`).exec(text);
  if (!match) throw new Error(`no link to ${prefix} in "${mail.parsed.subject}":\n${text}`);
  return match[0].slice(PUBLIC_URL.length);
}

/** The token at the end of a link path. */
export const tokenOf = (path: string) => path.split('/').pop() ?? '';

export function page(response: LightMyRequestResponse) {
  return cheerio.load(response.body);
}

/** The GOV.UK error pattern: the error summary's links and each field's own message. */
export function formErrors(response: LightMyRequestResponse): { summary: { href: string; text: string }[]; fields: Record<string, string>; title: string } {
  const $ = page(response);
  const summary = $('.govuk-error-summary__list a')
    .map((_, a) => ({ href: $(a).attr('href') ?? '', text: $(a).text().trim() }))
    .get();
  const fields: Record<string, string> = {};
  $('.govuk-error-message').each((_, el) => {
    const id = $(el).attr('id') ?? '';
    fields[id.replace(/-error$/, '')] = $(el).text().replace(/^\s*Error:\s*/, '').trim();
  });
  return { summary, fields, title: $('title').text().trim() };
}

/** A response body with CSRF tokens blanked, to compare two pages. */
export function withoutCsrf(body: string): string {
  return body.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');
}

/** Row counts of the tables an account flow could change. */
export async function tableCounts(database: Database): Promise<Record<string, number>> {
  const { rows } = await database.pool.query<{ users: number; tokens: number; sessions: number; audit: number; jobs: number }>(
    `select (select count(*)::int from users) as users, (select count(*)::int from user_tokens) as tokens,
            (select count(*)::int from sessions) as sessions, (select count(*)::int from audit_log) as audit,
            (select count(*)::int from pgboss.job where name = 'mail.send') as jobs`,
  );
  return rows[0]!;
}
