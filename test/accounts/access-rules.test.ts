// The access rule is enforced at registration: a route without config.access cannot exist.
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { buildTestApp } from '../helper.js';

t.test('a route registered without an access rule stops the app from starting', async (t) => {
  const { config, database, jobs } = await buildTestApp(t);
  const app = await buildApp({ config, database, jobs });
  t.teardown(() => app.close());
  t.throws(() => app.get('/forgotten', async () => 'open by accident'), /must declare config\.access/);
  t.throws(() => app.get('/typo', { config: { access: 'staff:owner' as never } }, async () => 'x'), /must declare config\.access/);
});

t.test('anonymous visitors are sent to sign in from a signed-in page, and API callers get 401', async (t) => {
  const { config, database, jobs } = await buildTestApp(t);
  const app = await buildApp({ config, database, jobs });
  t.teardown(() => app.close());
  app.get('/account-probe', { config: { access: 'user' } }, async () => 'secret');
  app.get('/api/probe', { config: { access: 'staff:viewer' } }, async () => ({ secret: true }));
  await app.ready();
  const page = await app.inject('/account-probe?x=1');
  t.equal(page.statusCode, 303);
  t.equal(page.headers.location, '/sign-in?returnTo=%2Faccount-probe%3Fx%3D1');
  const api = await app.inject('/api/probe');
  t.equal(api.statusCode, 401);
  t.equal(api.json().error.code, 'unauthorised');
});

t.test('a form post without a CSRF token is refused with 403 and changes nothing', async (t) => {
  const { config, database, jobs } = await buildTestApp(t);
  const app = await buildApp({ config, database, jobs });
  t.teardown(() => app.close());
  let ran = false;
  app.post('/probe-form', { config: { access: 'public' } }, async () => {
    ran = true;
    return 'ok';
  });
  await app.ready();
  const res = await app.inject({ method: 'POST', url: '/probe-form', payload: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(res.statusCode, 403);
  t.match(res.body, /page had expired/);
  t.equal(ran, false, 'the handler never ran');
});

t.test('anonymous page views create no session and set no cookie', async (t) => {
  const { app, database } = await buildTestApp(t);
  const res = await app.inject('/');
  t.equal(res.statusCode, 200);
  t.notOk(res.headers['set-cookie'], 'no cookie for a page without a form');
  const { rows } = await database.pool.query('select count(*)::int as n from sessions');
  t.equal(rows[0].n, 0, 'no session row');
});
