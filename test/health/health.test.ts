import t from 'tap';
import { buildApp } from '../../src/app.js';
import { connect } from '../../src/db/client.js';
import { buildTestApp } from '../helper.js';

t.test('GET /health/live answers ok', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject('/health/live');
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ok' });
});

t.test('GET /health/ready checks the database', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject('/health/ready');
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.status, 'ok');
  t.equal(body.checks.database.status, 'ok');
  t.type(body.checks.database.latencyMs, 'number');
  t.match(body.checks.search, { status: 'ok', backend: 'postgres' }, 'search: PostgreSQL without MEILISEARCH_URL (test/search/fallback.test.ts covers Meilisearch failing)');
  t.type(body.checks.search.latencyMs, 'number');
});

t.test('GET /health/ready reports a database that is down with 503', async (t) => {
  const { config, jobs } = await buildTestApp(t);
  // Port 1 on loopback has nothing listening: the round-trip fails at once.
  const app = await buildApp({ config, jobs, database: connect('postgres://postgres@127.0.0.1:1/none') });
  t.teardown(() => app.close());
  const res = await app.inject('/health/ready');
  t.equal(res.statusCode, 503);
  const body = res.json();
  t.equal(body.status, 'error');
  t.equal(body.checks.database.status, 'error');
});
