// Signing in and out: sessions created at sign-in only and rotated then, safe return addresses,
// one answer for every failure, rate limits per IP and per account, sign out everywhere, and
// sessions that survive a restart of the app.
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { buildTestApp } from '../helper.js';
import { createUser, openForm, postForm, setCookies, signInAs, withCookies } from '../support/auth.js';
import { formErrors, page, withoutCsrf } from './support.js';

async function sessionCount(database: { pool: { query: (sql: string) => Promise<{ rows: { n: number }[] }> } }) {
  const { rows } = await database.pool.query('select count(*)::int as n from sessions');
  return rows[0]!.n;
}

const sessionOf = (cookie: string) => /portal_session=([^;]+)/.exec(cookie)?.[1];

t.test('signing in: a session is created only now, its cookie is HttpOnly and SameSite, and /account shows the user', async (t) => {
  const { app, database } = await buildTestApp(t);
  const user = await createUser(database, { name: 'Dev Sharma' });

  const anonymous = await app.inject('/account');
  t.equal(anonymous.statusCode, 303);
  t.equal(anonymous.headers.location, '/sign-in?returnTo=%2Faccount');

  const form = await openForm(app, '/sign-in?returnTo=%2Faccount');
  const $ = page(form.response);
  t.equal($('input[name="returnTo"]').attr('value'), '/account', 'returnTo kept in a hidden field');
  t.equal($('#email').attr('autocomplete'), 'email');
  t.equal($('#password').attr('autocomplete'), 'current-password');
  t.ok($('a[href="/forgotten-password"]').length, 'a way to reset a forgotten password');
  const csrfCookie = form.response.headers['set-cookie'];
  t.match(String(csrfCookie), /portal_csrf=.*HttpOnly.*SameSite=Lax/, 'the CSRF cookie is HttpOnly and SameSite');
  t.notOk(setCookies(form.response).portal_session, 'no session cookie for the sign-in page');
  t.equal(await sessionCount(database), 0, 'no session row for an anonymous visitor');

  const res = await postForm(app, '/sign-in', { email: user.email.toUpperCase(), password: user.password, returnTo: '/account' }, form.cookie, { csrf: form.csrf });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/account');
  const sessionCookie = [res.headers['set-cookie']].flat().find((c) => String(c).startsWith('portal_session='));
  t.match(sessionCookie, /HttpOnly/);
  t.match(sessionCookie, /SameSite=Lax/);
  t.equal(await sessionCount(database), 1);
  const { rows } = await database.pool.query('select id_hash, user_id from sessions');
  t.equal(rows[0].user_id, user.id);
  t.not(rows[0].id_hash, sessionOf(withCookies(form.cookie, res))?.split('.')[0], 'the session id is stored hashed');

  const cookie = withCookies(form.cookie, res);
  const account = await app.inject({ url: '/account', headers: { cookie } });
  t.equal(account.statusCode, 200);
  const $account = page(account);
  t.match($account('.govuk-summary-list').text(), /Dev Sharma/);
  t.match($account('.govuk-summary-list').text(), user.email);
  t.ok($account('form[action="/sign-out"] button').length, 'a sign-out button');
  t.ok($account('form[action="/account/sign-out-everywhere"] button').length, 'a sign-out-everywhere button');
  t.ok($account('a[href="/account/your-data"]').length && $account('a[href="/account/delete"]').length, 'your data and delete links');
  t.ok($account('a[href="/account/email"]').length && $account('a[href="/account/password"]').length, 'change links');
});

t.test('the session is rotated at sign-in: a session held before is replaced, not reused', async (t) => {
  const { app, database } = await buildTestApp(t);
  const user = await createUser(database);
  const first = await signInAs(app, user.email, user.password);
  const form = await openForm(app, '/sign-in', first);
  const res = await postForm(app, '/sign-in', { email: user.email, password: user.password }, form.cookie, { csrf: form.csrf });
  t.equal(res.statusCode, 303);
  const second = withCookies(form.cookie, res);
  t.ok(sessionOf(second));
  t.not(sessionOf(second), sessionOf(first), 'a new session id');
  t.equal(await sessionCount(database), 1, 'the old session was destroyed');
  const old = await app.inject({ url: '/account', headers: { cookie: first } });
  t.equal(old.statusCode, 303, 'the old cookie no longer works');
});

t.test('returnTo: only a local path is honoured', async (t) => {
  const { app, database } = await buildTestApp(t);
  const user = await createUser(database);
  const cases: [string, string][] = [
    ['/opportunities?stage=open', '/opportunities?stage=open'],
    ['//evil.example', '/account'],
    ['https://evil.example/', '/account'],
    ['/\\evil.example', '/account'],
    ['javascript:alert(1)', '/account'],
    ['/%0d%0aSet-Cookie:x=y', '/%0d%0aSet-Cookie:x=y'],
    ['/ok\r\nLocation: https://evil.example', '/account'],
    ['', '/account'],
  ];
  for (const [returnTo, location] of cases) {
    const form = await openForm(app, '/sign-in');
    const res = await postForm(app, '/sign-in', { email: user.email, password: user.password, returnTo }, form.cookie, { csrf: form.csrf });
    t.equal(res.statusCode, 303, JSON.stringify(returnTo));
    t.equal(res.headers.location, location, `${JSON.stringify(returnTo)} → ${location}`);
  }
  const page1 = await openForm(app, '/sign-in?returnTo=%2F%2Fevil.example');
  t.equal(page(page1.response)('input[name="returnTo"]').length, 0, 'an unsafe returnTo is not even put in the form');
});

t.test('a failed sign-in says the same whatever went wrong, keeps the email (not the password), creates no session', async (t) => {
  const { app, database } = await buildTestApp(t);
  const user = await createUser(database, { email: 'real@example.org' });
  await createUser(database, { email: 'invited@example.org', password: null });

  const attempt = async (email: string, password: string) => {
    const form = await openForm(app, '/sign-in');
    return postForm(app, '/sign-in', { email, password }, form.cookie, { csrf: form.csrf });
  };
  const wrongPassword = await attempt('real@example.org', 'not the right password');
  const unknownEmail = await attempt('ghost@example.org', 'not the right password');
  const noPassword = await attempt('invited@example.org', 'not the right password');
  for (const res of [wrongPassword, unknownEmail, noPassword]) {
    t.equal(res.statusCode, 400);
    const errors = formErrors(res);
    t.same(errors.summary, [{ href: '#email', text: 'Enter a correct email address and password' }]);
    t.match(errors.title, /^Error: Sign in/);
    t.notOk(page(res)('#password').attr('value'), 'the password is not sent back');
    t.notOk(setCookies(res).portal_session);
  }
  t.equal(page(wrongPassword)('#email').attr('value'), 'real@example.org', 'the email is kept');
  const normalise = (body: string, email: string) => withoutCsrf(body).replaceAll(email, 'EMAIL');
  t.equal(normalise(wrongPassword.body, 'real@example.org'), normalise(unknownEmail.body, 'ghost@example.org'), 'an existing and an unknown email get identical pages');
  t.equal(normalise(noPassword.body, 'invited@example.org'), normalise(unknownEmail.body, 'ghost@example.org'));
  t.equal(await sessionCount(database), 0);

  // Empty fields get their own messages.
  const form = await openForm(app, '/sign-in');
  const empty = await postForm(app, '/sign-in', { email: '', password: '' }, form.cookie, { csrf: form.csrf });
  t.equal(empty.statusCode, 400);
  t.same(formErrors(empty).fields, { email: 'Enter your email address', password: 'Enter your password' });
  t.same(formErrors(empty).summary.map((e) => e.href), ['#email', '#password']);

  // No CSRF token: 403, and no session even with the right password.
  const noCsrf = await postForm(app, '/sign-in', { email: user.email, password: user.password }, form.cookie, { csrf: null });
  t.equal(noCsrf.statusCode, 403);
  t.equal(await sessionCount(database), 0);
});

t.test('per-account limit: 5 failures lock the account for a while, even from many addresses; success resets it', async (t) => {
  const { app, database } = await buildTestApp(t);
  const user = await createUser(database);
  const form = await openForm(app, '/sign-in');
  let ip = 1;
  const attempt = (password: string, email = user.email) =>
    app.inject({
      method: 'POST',
      url: '/sign-in',
      remoteAddress: `198.51.100.${ip++}`,
      payload: new URLSearchParams({ _csrf: form.csrf, email, password }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
    });

  for (let i = 0; i < 4; i++) t.equal((await attempt('wrong password here')).statusCode, 400);
  t.equal((await attempt(user.password)).statusCode, 303, 'a success after 4 failures');
  for (let i = 0; i < 5; i++) t.equal((await attempt('wrong password here')).statusCode, 400, 'the success reset the count');
  const locked = await attempt(user.password);
  t.equal(locked.statusCode, 429, 'the 6th attempt is refused, right password or not');
  t.ok(Number(locked.headers['retry-after']) > 0 && Number(locked.headers['retry-after']) <= 900);
  const $ = page(locked);
  t.equal($('h1').text().trim(), 'Too many attempts');
  t.match($('main').text(), /You have tried to sign in too many times/);
  t.match($('main').text(), /wait \d+ minutes? and try again/);
  t.ok($('a[href="/forgotten-password"]').length);

  // An unknown email is limited the same way: the limit says nothing about accounts.
  for (let i = 0; i < 5; i++) t.equal((await attempt('wrong password here', 'ghost@example.org')).statusCode, 400);
  t.equal((await attempt('wrong password here', 'ghost@example.org')).statusCode, 429);

  // Time passes: the window ends.
  await database.pool.query(`update rate_limit_counters set window_start = window_start - interval '1 hour'`);
  t.equal((await attempt(user.password)).statusCode, 303, 'signing in works again after the window');
});

t.test('per-IP limit: 20 attempts from one address in 15 minutes, then 429', async (t) => {
  const { app, database } = await buildTestApp(t);
  const user = await createUser(database);
  const form = await openForm(app, '/sign-in');
  const attempt = (email: string, password: string, remoteAddress = '192.0.2.7') =>
    app.inject({
      method: 'POST',
      url: '/sign-in',
      remoteAddress,
      payload: new URLSearchParams({ _csrf: form.csrf, email, password }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
    });
  for (let i = 0; i < 20; i++) t.equal((await attempt(`person${i}@example.org`, 'a guessed password')).statusCode, 400);
  const limited = await attempt(user.email, user.password);
  t.equal(limited.statusCode, 429);
  t.match(page(limited)('main').text(), /You have tried to sign in too many times/);
  t.equal((await attempt(user.email, user.password, '192.0.2.8')).statusCode, 303, 'another address can sign in');
});

t.test('sign out ends this session; sign out everywhere ends every session of the user', async (t) => {
  const { app, database } = await buildTestApp(t);
  const user = await createUser(database);
  const other = await createUser(database);
  const otherCookie = await signInAs(app, other.email, other.password);

  const cookie = await signInAs(app, user.email, user.password);
  const out = await postForm(app, '/sign-out', {}, cookie, { formUrl: '/account' });
  t.equal(out.statusCode, 303);
  t.equal(out.headers.location, '/signed-out');
  t.equal(setCookies(out).portal_session, '', 'the cookie is cleared');
  t.equal((await app.inject({ url: '/account', headers: { cookie } })).statusCode, 303, 'the old cookie no longer signs in');
  const signedOut = await app.inject({ url: '/signed-out' });
  t.equal(page(signedOut)('h1').text().trim(), 'You have signed out');

  const laptop = await signInAs(app, user.email, user.password);
  const phone = await signInAs(app, user.email, user.password);
  const { rows: before } = await database.pool.query('select count(*)::int as n from sessions where user_id = $1', [user.id]);
  t.equal(before[0].n, 2);
  const noCsrf = await postForm(app, '/account/sign-out-everywhere', {}, phone, { csrf: null });
  t.equal(noCsrf.statusCode, 403, 'CSRF protected');
  t.equal((await app.inject({ url: '/account', headers: { cookie: laptop } })).statusCode, 200, 'nothing ended without the token');

  const everywhere = await postForm(app, '/account/sign-out-everywhere', {}, phone, { formUrl: '/account' });
  t.equal(everywhere.statusCode, 303);
  t.equal(everywhere.headers.location, '/signed-out?everywhere=1');
  t.equal((await app.inject({ url: '/account', headers: { cookie: laptop } })).statusCode, 303, 'the other device is signed out');
  t.equal((await app.inject({ url: '/account', headers: { cookie: phone } })).statusCode, 303, 'and this one');
  t.equal((await app.inject({ url: '/account', headers: { cookie: otherCookie } })).statusCode, 200, 'another user is not affected');
  const { rows: audit } = await database.pool.query(`select actor_user_id, after from audit_log where action = 'account.signed_out_everywhere'`);
  t.same(audit, [{ actor_user_id: user.id, after: { sessionsEnded: 2 } }]);
  t.match(page(await app.inject({ url: '/signed-out?everywhere=1' }))('main').text(), /on any device/);
});

t.test('a signed-in session survives a restart of the app (sessions live in PostgreSQL)', async (t) => {
  const { app, database, config, jobs } = await buildTestApp(t);
  const user = await createUser(database, { name: 'Ellis Restart' });
  const cookie = await signInAs(app, user.email, user.password);
  await app.close();
  const restarted = await buildApp({ config, database, jobs });
  t.teardown(() => restarted.close());
  await restarted.ready();
  const res = await restarted.inject({ url: '/account', headers: { cookie } });
  t.equal(res.statusCode, 200);
  t.match(res.body, 'Ellis Restart');
});

t.test('over https (behind a proxy that says so) the session cookie is also Secure', async (t) => {
  const { app, database } = await buildTestApp(t, { env: { PUBLIC_URL: 'https://portal.example.gov.uk', TRUST_PROXY: 'true' } });
  const user = await createUser(database);
  const headers = { 'x-forwarded-proto': 'https' };
  const form = await app.inject({ url: '/sign-in', headers });
  const cookie = withCookies('', form);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
  const res = await app.inject({
    method: 'POST',
    url: '/sign-in',
    payload: new URLSearchParams({ _csrf: csrf, email: user.email, password: user.password }).toString(),
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', cookie },
  });
  t.equal(res.statusCode, 303);
  const sessionCookie = [res.headers['set-cookie']].flat().find((c) => String(c).startsWith('portal_session='));
  t.match(sessionCookie, /; Secure/);
  t.match(sessionCookie, /HttpOnly/);
  t.match(sessionCookie, /SameSite=Lax/);
});
