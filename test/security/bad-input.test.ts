/**
 * Bad input of any kind gets a clear 4xx and never a 500: unknown routes (HTML 404 page, JSON
 * under /api/ and /health/), over-long URLs, huge or garbage query strings, over-large bodies.
 */
import net, { type AddressInfo } from 'node:net';
import * as cheerio from 'cheerio';
import t from 'tap';
import { buildTestApp } from '../helper.js';

const ONE_MB = 1024 * 1024;

t.test('an unknown page gets the HTML 404 page', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject('/no-such-page');
  t.equal(res.statusCode, 404);
  t.match(res.headers['content-type'], /^text\/html/);
  const $ = cheerio.load(res.body);
  t.match($('title').text(), 'Page not found');
  t.match($('h1').text(), 'Page not found');
  t.match($('main').text(), 'check it is correct', 'the page says what to do');
});

t.test('unknown routes under /api/ and /health/ get a JSON 404', async (t) => {
  const { app } = await buildTestApp(t);
  for (const url of ['/api/no-such-thing', '/api/v1/opportunities/999999/nothing', '/health/nothing']) {
    const res = await app.inject(url);
    t.equal(res.statusCode, 404, url);
    t.match(res.headers['content-type'], /^application\/json/, `${url} answers JSON`);
    t.match(res.json(), { error: { code: 'not_found', message: String, requestId: res.headers['x-request-id'] } }, `${url} body`);
  }
});

t.test('a method a route does not have gets a 4xx (404, or 403 from the CSRF check), not a 500', async (t) => {
  const { app } = await buildTestApp(t);
  for (const method of ['DELETE', 'PUT', 'PATCH', 'POST'] as const) {
    const res = await app.inject({ method, url: '/health/live' });
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${method} /health/live: ${res.statusCode}`);
  }
});

t.test('an over-long URL gets a 4xx, not a 500', async (t) => {
  const { app } = await buildTestApp(t);
  const urls = {
    'a 120,000-character path': `/${'x/'.repeat(60_000)}`,
    'one 50,000-character segment': `/${'a'.repeat(50_000)}`,
    'a path parameter over maxParamLength': `/opportunities/${'9'.repeat(5_000)}`,
    'an API path parameter over maxParamLength': `/api/opportunities/${'9'.repeat(5_000)}`,
  };
  for (const [what, url] of Object.entries(urls)) {
    const res = await app.inject(url);
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${what}: ${res.statusCode}`);
  }
});

t.test('over real HTTP, a request line longer than Node.js accepts gets 431 and the server keeps serving', async (t) => {
  const { app } = await buildTestApp(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  // A raw socket: an HTTP client library would stop at the reset that follows the early answer.
  const statusLine = (path: string) =>
    new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let received = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
      socket.on('error', () => resolve(received.split('\r\n')[0] ?? ''));
      socket.on('close', () => resolve(received.split('\r\n')[0] ?? ''));
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
  t.equal(await statusLine(`/${'a'.repeat(20_000)}`), 'HTTP/1.1 431 Request Header Fields Too Large', 'a 20 KB request line (Node.js allows 16 KB of headers)');
  t.equal(await statusLine('/health/live'), 'HTTP/1.1 200 OK', 'the next request is served normally');
});

t.test('huge or garbage query strings get a 4xx (or are ignored), never a 500', async (t) => {
  const { app } = await buildTestApp(t);
  const queries = {
    'bad percent-encoding': 'q=%E0%A4%A&r=%%%%',
    'prototype pollution attempt': '__proto__[polluted]=yes&constructor[prototype][polluted]=yes&__proto__.polluted=yes',
    'deep brackets': 'a[b][c][d][e][f]=1&a[]=2&a[][x]=3',
    'control characters and NUL': 'q=%00%01%1B%7F',
    'a 100,000-character value': `q=${'x'.repeat(100_000)}`,
    '50,000 parameters': 'a=1&'.repeat(50_000),
    'invalid UTF-8': 'q=%C0%AF%ED%A0%80%FF',
    'markup': `q=${encodeURIComponent('"><script>alert(1)</script>')}`,
  };
  // A health check, pages with and without query parameters, and a path that does not exist.
  for (const path of ['/health/live', '/', '/opportunities', '/opportunities/1', '/no-such-page', '/api/no-such-thing']) {
    for (const [what, query] of Object.entries(queries)) {
      const res = await app.inject(`${path}?${query}`);
      t.ok(res.statusCode < 500, `${path} with ${what}: ${res.statusCode}`);
      t.notMatch(res.body, '<script>alert(1)</script>', `${path} with ${what}: nothing reflected unescaped`);
    }
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was not polluted');
});

t.test('a body over the 1 MB limit gets 413', async (t) => {
  const { app } = await buildTestApp(t);
  const cases = {
    'JSON to an API path': { url: '/api/no-such-thing', contentType: 'application/json', payload: JSON.stringify({ text: 'x'.repeat(ONE_MB) }) },
    'a form to a page': { url: '/no-such-page', contentType: 'application/x-www-form-urlencoded', payload: `text=${'x'.repeat(ONE_MB)}` },
    'JSON to a GET-only route': { url: '/health/live', contentType: 'application/json', payload: JSON.stringify({ text: 'x'.repeat(ONE_MB) }) },
  };
  for (const [what, body] of Object.entries(cases)) {
    const res = await app.inject({ method: 'POST', url: body.url, headers: { 'content-type': body.contentType }, payload: body.payload });
    t.equal(res.statusCode, 413, `${what}: 413`);
  }
  const page = await app.inject({ method: 'POST', url: '/no-such-page', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `text=${'x'.repeat(ONE_MB)}` });
  t.match(page.headers['content-type'], /^text\/html/, 'a page answers with an HTML error page');
  t.match(cheerio.load(page.body)('h1').text(), 'too large', 'which says the form was too large');
});

t.test('a body just under the limit is not refused for its size', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'POST', url: '/api/no-such-thing', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ text: 'x'.repeat(ONE_MB - 100) }) });
  t.equal(res.statusCode, 404, 'the unknown route answers 404, not 413');
});

t.test('a malformed JSON or form body gets a 4xx, not a 500', async (t) => {
  const { app } = await buildTestApp(t);
  const bodies = [
    { contentType: 'application/json', payload: '{"unterminated": ' },
    { contentType: 'application/json', payload: '{"__proto__": {"polluted": true}}' },
    { contentType: 'application/x-www-form-urlencoded', payload: '%%%&=&a=%E0%A4%A' },
    { contentType: 'application/xml', payload: '<x/>' },
  ];
  for (const body of bodies) {
    const res = await app.inject({ method: 'POST', url: '/api/no-such-thing', headers: { 'content-type': body.contentType }, payload: body.payload });
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${body.contentType} ${body.payload}: ${res.statusCode}`);
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was not polluted');
});
