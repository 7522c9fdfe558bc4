// When Meilisearch fails, search answers from PostgreSQL: against a closed port (nothing
// listens) and a server that accepts connections but never answers; the warning is logged once (never with the API key); the circuit breaker keeps later
// searches from trying Meilisearch again for a while (counted in connection attempts, not
// timed); and /health/ready reports search as degraded, still with status 200.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { freePort } from '../../src/lib/net.js';
import { createPostgresSearch } from '../../src/modules/search/postgres.backend.js';
import type { SearchFilters, SearchQuery } from '../../src/modules/search/search.port.js';
import { createSearchService } from '../../src/modules/search/search.service.js';
import { buildTestApp, createTestDatabase, testConfig } from '../helper.js';
import { seedCorpus } from './contract.js';

const API_KEY = 'sk-fallback-test-1234567890';
const query = (text: string, extra: Partial<SearchQuery> = {}): SearchQuery => ({ text, filters: {}, sort: 'relevance', page: 1, pageSize: 20, ...extra });

/** A logger that keeps what it is given. */
function recordingLogger() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const log = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg: msg ?? '' });
  return { lines, logger: { warn: log('warn'), info: log('info'), error: log('error') } as never };
}

/** Counts the requests the process makes to `origin` (the Meilisearch client uses the global fetch). */
function countRequests(t: { teardown(fn: () => void): void }, origin: string): { count: number } {
  const counter = { count: 0 };
  const original = globalThis.fetch;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const target = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (target.startsWith(origin)) counter.count++;
    return original(input, init);
  }) as typeof fetch;
  t.teardown(() => {
    globalThis.fetch = original;
  });
  return counter;
}

const database = await createTestDatabase(t);
const corpus = await seedCorpus(database);
const postgres = createPostgresSearch({ database });
const ids = (r: { items: { opportunityId: number }[] }) => r.items.map((i) => i.opportunityId);

t.test('a closed port: PostgreSQL answers, one warning, and the breaker stops further attempts', async (t) => {
  const port = await freePort(); // nothing listens there
  const origin = `http://127.0.0.1:${port}`;
  const config = testConfig(t, { MEILISEARCH_URL: origin, MEILISEARCH_API_KEY: API_KEY });
  const { lines, logger } = recordingLogger();
  const attempts = countRequests(t, origin);
  const service = createSearchService({ config, database, logger, meilisearch: { retryAfterMs: 60_000 } });

  const cases: [string, SearchFilters][] = [
    ['plumbing', {}],
    ['grounds maintenance', { stages: ['open'] }],
    ['', { buyerIds: [corpus.buyers.homes] }],
  ];
  for (const [text, filters] of cases) {
    const got = await service.search(query(text, { filters }));
    const expected = await postgres.search(query(text, { filters }));
    t.equal(got.backend, 'postgres', `"${text}": answered by PostgreSQL`);
    t.same(ids(got), ids(expected), `"${text}": the same results as PostgreSQL search`);
    t.equal(got.total, expected.total);
  }
  t.same(ids(await service.search(query('plumbing'))), [corpus.id('plumbing')], 'the right opportunity');
  t.equal(attempts.count, 1, 'Meilisearch was tried once; the breaker kept the other searches from trying again');

  const warnings = lines.filter((l) => l.level === 'warn');
  t.equal(warnings.length, 1, 'the fallback is logged once');
  t.match(warnings[0]?.msg, /Meilisearch search failed \(unreachable: connection refused\): searching in PostgreSQL instead/);
  t.match(warnings[0]?.obj, { backend: 'meilisearch', fallback: 'postgres' });
  t.notMatch(JSON.stringify(lines), new RegExp(API_KEY), 'the API key is never logged');

  const ready = await service.ready();
  t.equal(ready.status, 'degraded');
  t.equal(ready.backend, 'postgres');
  t.equal(ready.ok, false);
  t.match(ready.detail, /^Meilisearch unreachable: falling back to PostgreSQL/);
  t.notMatch(ready.detail, new RegExp(API_KEY));
});

t.test('after the pause one search tries Meilisearch again; warnings stay at one a minute', async (t) => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const config = testConfig(t, { MEILISEARCH_URL: origin });
  const { lines, logger } = recordingLogger();
  const attempts = countRequests(t, origin);
  const service = createSearchService({ config, database, logger, meilisearch: { retryAfterMs: 50 } });
  await service.search(query('roofing'));
  t.equal(attempts.count, 1);
  await service.search(query('roofing'));
  t.equal(attempts.count, 1, 'within the pause: no attempt');
  await sleep(100);
  const [a, b] = await Promise.all([service.search(query('roofing')), service.search(query('roofing'))]);
  t.equal(attempts.count, 2, 'after it: one attempt, while the other search went straight to PostgreSQL');
  t.same(ids(a), [corpus.id('roofing')]);
  t.same(ids(b), [corpus.id('roofing')]);
  t.equal(lines.filter((l) => l.level === 'warn').length, 1, 'still one warning');
});

t.test('no answer within the timeout: the same fallback, and the breaker saves the wait', async (t) => {
  // A server that accepts connections and never answers. It counts the requests it receives
  // (not connections: after aborting a request the HTTP client may open an idle one).
  let requests = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (requests += (chunk.match(/^(GET|POST|PUT|PATCH|DELETE) \/\S* HTTP\/1\.1\r$/gm) ?? []).length));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as net.AddressInfo;
  const config = testConfig(t, { MEILISEARCH_URL: `http://127.0.0.1:${port}` });
  const { lines, logger } = recordingLogger();
  const service = createSearchService({ config, database, logger, meilisearch: { timeoutMs: 300 } });
  const first = await service.search(query('catering'));
  t.equal(first.backend, 'postgres');
  t.same(ids(first), [corpus.id('catering')]);
  t.equal(requests, 1, 'one request, which timed out');
  t.match(lines.find((l) => l.level === 'warn')?.msg, /no answer within 300 ms/);
  for (let i = 0; i < 3; i++) await service.search(query('catering'));
  t.equal(requests, 1, 'later searches do not wait for Meilisearch again');
});

t.test('/health/ready: search degraded, still 200 (PostgreSQL answers)', async (t) => {
  const port = await freePort();
  const { app } = await buildTestApp(t, { env: { MEILISEARCH_URL: `http://127.0.0.1:${port}`, MEILISEARCH_API_KEY: API_KEY } });
  const res = await app.inject('/health/ready');
  t.equal(res.statusCode, 200, 'the instance still serves every page');
  const body = res.json();
  t.equal(body.status, 'degraded');
  t.equal(body.checks.database.status, 'ok');
  t.equal(body.checks.search.status, 'degraded');
  t.equal(body.checks.search.backend, 'postgres');
  t.match(body.checks.search.message, /Meilisearch unreachable: falling back to PostgreSQL/);
  t.notMatch(res.body, new RegExp(API_KEY), 'no key in the report');
  const result = await app.opportunitySearch.search(query('anything'));
  t.equal(result.backend, 'postgres', 'and searches are answered');

  const { app: plain } = await buildTestApp(t);
  const ok = (await plain.inject('/health/ready')).json();
  t.equal(ok.status, 'ok', 'without Meilisearch: ok');
  t.match(ok.checks.search, { status: 'ok', backend: 'postgres' });
});
