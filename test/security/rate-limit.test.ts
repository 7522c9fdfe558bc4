/**
 * The global per-IP rate limit (RATE_LIMIT_PER_MINUTE): a clear 429 once it is used up, health
 * checks exempt, and each client counted on its own.
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';

// The home page: a real page every visitor requests (rendered by the opportunities module).
const PAGE = '/';

t.test('the request after the limit gets a clear 429 page with Retry-After', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_PER_MINUTE: '3' } });
  for (let i = 1; i <= 3; i++) {
    const res = await app.inject(PAGE);
    t.equal(res.statusCode, 200, `request ${i} of 3 is served`);
    t.equal(res.headers['x-ratelimit-limit'], '3');
    t.equal(res.headers['x-ratelimit-remaining'], String(3 - i));
  }
  const limited = await app.inject(PAGE);
  t.equal(limited.statusCode, 429, 'the 4th request is refused');
  t.match(limited.headers['content-type'], /^text\/html/, 'as a page, not JSON');
  t.match(limited.body, 'Too many requests', 'the page says what happened');
  t.match(limited.body, /try again in \d+ seconds?|retry in \d+ seconds?|Rate limit exceeded/i, 'and when to try again');
  t.match(limited.headers['retry-after'], /^\d+$/, 'Retry-After tells browsers and clients when');
  t.match(limited.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  t.ok(limited.headers['content-security-policy'], 'security headers on the 429 too');
});

t.test('/health/* is exempt: load balancers may poll it as often as they like', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_PER_MINUTE: '3' } });
  for (let i = 1; i <= 10; i++) {
    const live = await app.inject('/health/live');
    t.equal(live.statusCode, 200, `/health/live request ${i}`);
  }
  const ready = await app.inject('/health/ready');
  t.equal(ready.statusCode, 200, '/health/ready after 10 polls');
  t.equal((await app.inject(PAGE)).statusCode, 200, 'and health polls did not use up the page allowance');
});

t.test('each client IP has its own allowance', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_PER_MINUTE: '2' } });
  const from = (remoteAddress: string) => app.inject({ url: PAGE, remoteAddress });
  t.equal((await from('192.0.2.1')).statusCode, 200);
  t.equal((await from('192.0.2.1')).statusCode, 200);
  t.equal((await from('192.0.2.1')).statusCode, 429, 'the first client is limited');
  t.equal((await from('192.0.2.2')).statusCode, 200, 'another client is not');
});

t.test('without TRUST_PROXY, a forged X-Forwarded-For does not buy a fresh allowance', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_PER_MINUTE: '2' } });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ url: PAGE, remoteAddress: '192.0.2.9', headers: { 'x-forwarded-for': `198.51.100.${i}` } });
    statuses.push(res.statusCode);
  }
  t.same(statuses, [200, 200, 429]);
});

t.test('unknown addresses count against the limit too (a scanner cannot probe URLs unthrottled)', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_PER_MINUTE: '3' } });
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await app.inject(`/wp-admin/probe-${i}.php`)).statusCode);
  t.same(statuses, [404, 404, 404, 429, 429], 'the 4th unknown address gets 429');
});

t.test('the API says rate_limited in JSON, with Retry-After', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_PER_MINUTE: '2' } });
  for (let i = 0; i < 2; i++) t.equal((await app.inject('/api/opportunities')).statusCode, 200);
  const limited = await app.inject('/api/opportunities');
  t.equal(limited.statusCode, 429);
  t.ok(limited.headers['retry-after'], 'Retry-After is set');
  t.equal(limited.json().error.code, 'rate_limited');
});
