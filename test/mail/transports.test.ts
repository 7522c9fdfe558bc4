// The mail port's drivers on their own: the outbox folder of .eml files and pooled SMTP to a real server.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import t from 'tap';
import { checkMail, closeMail } from '../../src/modules/mail/mail.service.js';
import { renderMail } from '../../src/modules/mail/mail.templates.js';
import { createMailTransport, outboxDir, type OutgoingMail } from '../../src/modules/mail/mail.transport.js';
import { testConfig } from '../helper.js';
import { closedPort, startSmtpServer } from '../support/smtp.js';

t.teardown(closeMail);

const FROM = 'Find it in Sandwell <opportunities@sandwell.example.gov.uk>';

function message(config: Parameters<typeof renderMail>[2], overrides: Partial<OutgoingMail> = {}): OutgoingMail {
  const rendered = renderMail('verify-email', { name: 'Asha Patel', link: 'https://portal.example.gov.uk/verify?token=t0k3n', expiresInHours: 24 }, config);
  return { from: config.mail.from, to: { name: 'Asha Patel', address: 'asha@example.org' }, ...rendered, ...overrides };
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  return [field ?? []].flat().flatMap((group) => group.value.map((a) => a.address ?? ''));
}

t.test('outbox driver: each message is a parseable .eml under DATA_DIR/outbox, named to sort by time', async (t) => {
  const config = testConfig(t, { MAIL_FROM: FROM });
  const transport = createMailTransport(config);
  t.equal(transport.driver, 'outbox');
  t.equal(transport.target, path.join(config.dataDir, 'outbox'));

  const first = await transport.deliver(message(config, { messageId: '<job-1@sandwell.example.gov.uk>' }));
  const second = await transport.deliver(message(config, { to: 'second@example.org' }));
  const third = await transport.deliver(message(config, { to: 'third@example.org' }));

  const files = (await readdir(outboxDir(config))).sort();
  t.same(files, [first, second, third].map((d) => path.basename(d.path ?? '')), 'three files, no partial ones left, in the order written');
  for (const file of files) t.match(file, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z-\d{6}-[0-9a-f]{8}\.eml$/);
  t.equal(((await stat(first.path ?? '')).mode & 0o777).toString(8), '600', 'readable by the portal alone: a message may hold a one-time link');

  const raw = await readFile(first.path ?? '');
  t.match(raw.toString('latin1'), /\r\n\r\n/, 'CRLF line ends, as RFC 5322 has them');
  const parsed = await simpleParser(raw);
  t.equal(parsed.from?.text, '"Find it in Sandwell" <opportunities@sandwell.example.gov.uk>');
  t.same(addresses(parsed.to), ['asha@example.org']);
  t.equal(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.name : undefined, 'Asha Patel');
  t.equal(parsed.subject, 'Confirm your email address for Opportunity Portal');
  t.equal(parsed.messageId, '<job-1@sandwell.example.gov.uk>', 'the Message-ID given is kept');
  t.ok(parsed.date instanceof Date, 'dated');
  t.match(parsed.text, /https:\/\/portal\.example\.gov\.uk\/verify\?token=t0k3n/);
  t.match(parsed.html, /<a href="https:\/\/portal\.example\.gov\.uk\/verify\?token=t0k3n"/);
  t.match(raw.toString('latin1'), /Content-Type: multipart\/alternative/i, 'text and HTML as alternatives of one message');

  t.same(await checkMail(config), { driver: 'outbox', target: outboxDir(config) }, 'checkMail: the outbox is writable');
});

t.test('SMTP driver: delivers through a real SMTP server, reusing pooled connections', async (t) => {
  const server = await startSmtpServer(t);
  const config = testConfig(t, { SMTP_URL: server.url, MAIL_FROM: FROM });
  const transport = createMailTransport(config);
  t.teardown(() => transport.close());
  t.equal(transport.driver, 'smtp');
  t.equal(transport.target, server.url);

  for (const to of ['one@example.org', 'two@example.org', 'three@example.org']) {
    const delivery = await transport.deliver(message(config, { to }));
    t.match(delivery.messageId, /^<.+@sandwell\.example\.gov\.uk>$/);
    t.equal(delivery.path, undefined, 'no outbox file');
  }
  const received = await server.waitForMessages(3);
  t.same(
    received.map((m) => m.envelope),
    ['one', 'two', 'three'].map((n) => ({ from: 'opportunities@sandwell.example.gov.uk', to: [`${n}@example.org`] })),
    'one envelope recipient each, from the configured address',
  );
  t.equal(server.connections, 1, 'the pool sent all three over one connection');
  const [first] = received;
  t.equal(first?.parsed.subject, 'Confirm your email address for Opportunity Portal');
  t.match(first?.parsed.text, /https:\/\/portal\.example\.gov\.uk\/verify\?token=t0k3n/);
  t.match(first?.parsed.html, /Dear Asha Patel,/);
  await t.resolveMatch(outboxFiles(config), [], 'nothing written to the outbox');

  t.same(await checkMail(config), { driver: 'smtp', target: server.url }, 'checkMail: the server answers');
});

t.test('checkMail names the SMTP server it cannot reach, without its credentials', async (t) => {
  const port = await closedPort(t);
  const config = testConfig(t, { SMTP_URL: `smtp://portal:s3cret-password@127.0.0.1:${port}` });
  const error = await checkMail(config).then(
    () => undefined,
    (e: Error) => e,
  );
  t.ok(error, 'the check fails');
  t.match(error?.message, /ECONNREFUSED|connect/i);
  t.notMatch(error?.message, /s3cret/);
  t.equal(createMailTransport(config).target, `smtp://127.0.0.1:${port}`, 'the target shown has no credentials');
});

async function outboxFiles(config: { dataDir: string }): Promise<string[]> {
  return readdir(path.join(config.dataDir, 'outbox')).catch(() => []);
}
