/**
 * Security headers (helmet, strict CSP) and the request id, on every kind of response: a JSON
 * health check, an HTML 404 page, a JSON 404 under /api/ and an error.
 */
import t, { type Test } from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp } from '../helper.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The CSP header as a map of directive → sources. */
function parseCsp(header: unknown): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of String(header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

function checkSecurityHeaders(t: Test, res: LightMyRequestResponse, what: string): void {
  const csp = parseCsp(res.headers['content-security-policy']);
  t.same(csp.get('default-src'), ["'self'"], `${what}: CSP default-src 'self'`);
  t.same(csp.get('script-src'), ["'self'"], `${what}: CSP script-src 'self' (no inline script)`);
  t.same(csp.get('style-src'), ["'self'"], `${what}: CSP style-src 'self' (no inline style)`);
  t.same(csp.get('object-src'), ["'none'"], `${what}: CSP object-src 'none'`);
  t.same(csp.get('frame-ancestors'), ["'none'"], `${what}: CSP frame-ancestors 'none'`);
  t.same(csp.get('base-uri'), ["'self'"], `${what}: CSP base-uri 'self'`);
  t.same(csp.get('form-action'), ["'self'"], `${what}: CSP form-action 'self'`);
  t.notMatch(String(res.headers['content-security-policy']), /unsafe-inline|unsafe-eval|\*/, `${what}: no 'unsafe-inline', 'unsafe-eval' or wildcard anywhere`);
  t.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options nosniff`);
  t.equal(res.headers['referrer-policy'], 'strict-origin-when-cross-origin', `${what}: Referrer-Policy`);
  t.equal(res.headers['x-frame-options'], 'SAMEORIGIN', `${what}: X-Frame-Options for browsers without frame-ancestors`);
  t.equal(res.headers['cross-origin-opener-policy'], 'same-origin', `${what}: Cross-Origin-Opener-Policy`);
  t.notOk(res.headers['x-powered-by'], `${what}: no X-Powered-By`);
  t.match(res.headers['x-request-id'], UUID, `${what}: x-request-id is a UUID`);
}

t.test('helmet headers on /health/live, an HTML 404 page, a JSON 404 and a 400', async (t) => {
  const { app } = await buildTestApp(t);

  const live = await app.inject('/health/live');
  t.equal(live.statusCode, 200);
  checkSecurityHeaders(t, live, '/health/live');
  t.notOk(live.headers['strict-transport-security'], 'no HSTS when PUBLIC_URL is plain http (a local run)');
  t.notOk(parseCsp(live.headers['content-security-policy']).has('upgrade-insecure-requests'), 'no upgrade-insecure-requests over http');

  const page = await app.inject('/no-such-page');
  t.equal(page.statusCode, 404);
  t.match(page.headers['content-type'], /^text\/html/);
  checkSecurityHeaders(t, page, 'the 404 page');

  const api = await app.inject('/api/no-such-thing');
  t.equal(api.statusCode, 404);
  checkSecurityHeaders(t, api, 'a JSON 404');

  const invalid = await app.inject('/opportunities?page=0');
  t.equal(invalid.statusCode, 400);
  checkSecurityHeaders(t, invalid, 'a 400');
});

t.test('behind https, HSTS and upgrade-insecure-requests are on', async (t) => {
  const { app } = await buildTestApp(t, { env: { PUBLIC_URL: 'https://opportunities.example.gov.uk' } });
  const res = await app.inject('/health/live');
  t.match(res.headers['strict-transport-security'], /max-age=\d{7,}/, 'HSTS for at least a few months');
  t.ok(parseCsp(res.headers['content-security-policy']).has('upgrade-insecure-requests'));
});

t.test('x-request-id is on every response and unique per request', async (t) => {
  const { app } = await buildTestApp(t);
  const urls = ['/health/live', '/health/ready', '/no-such-page', '/api/no-such-thing', '/opportunities?page=0'];
  const responses = await Promise.all(Array.from({ length: 4 }, () => urls.map((url) => app.inject(url))).flat());
  const ids = responses.map((res) => res.headers['x-request-id']);
  for (const [i, id] of ids.entries()) t.match(id, UUID, `${urls[i % urls.length]} has an x-request-id`);
  t.equal(new Set(ids).size, ids.length, `${ids.length} responses, ${ids.length} different ids`);

  const api = responses[3]!;
  t.equal(api.json().error.requestId, api.headers['x-request-id'], 'a JSON error quotes the same id, for support requests');
});

t.test('a client cannot choose the request id that appears in the logs', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ url: '/health/live', headers: { 'x-request-id': 'forged', 'request-id': 'forged' } });
  t.match(res.headers['x-request-id'], UUID);
  t.not(res.headers['x-request-id'], 'forged');
});
