// Request logs never carry the one-time tokens of email links.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loggerOptions, maskTokens } from '../../src/lib/logger.js';
import { buildTestApp } from '../helper.js';

t.test('maskTokens hides the token segment of email-link paths only', async (t) => {
  t.equal(maskTokens('/reset-password/abcDEF123_-xyz?x=1'), '/reset-password/[token]?x=1');
  t.equal(maskTokens('/supplier-invitations/abc123'), '/supplier-invitations/[token]');
  t.equal(maskTokens('/opportunities/42'), '/opportunities/42');
});

t.test('a request for a token link is logged without the token', async (t) => {
  const { config, database, jobs } = await buildTestApp(t);
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
  const app = await buildApp({ config, database, jobs, loggerInstance: pino({ ...loggerOptions(config), level: 'info' }, sink) });
  t.teardown(() => app.close());
  const secret = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0';
  await app.inject(`/reset-password/${secret}`);
  t.ok(lines.some((l) => l.includes('/reset-password/[token]')), 'the request is logged');
  t.notOk(lines.some((l) => l.includes(secret)), 'the token is not');
});
