// Registration and email verification, end to end: the form, the mail at a real SMTP server, the
// link in it; no user enumeration; validation, CSRF, expired and reused links; what is stored.
import t from 'tap';
import { createUser, openForm, postForm, setCookies, withCookies } from '../support/auth.js';
import { buildMailTestApp, formErrors, linkIn, mailsTo, page, tableCounts, tokenOf, waitForMail, withoutCsrf } from './support.js';

const PASSWORD = 'seven purple kettles marching';

t.test('register → verification email → link signs in, marks the address verified, shows a flash on /account', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);

  const form = await openForm(app, '/register');
  t.equal(form.response.statusCode, 200);
  const $form = page(form.response);
  t.equal($form('h1').text().trim(), 'Create an account');
  t.equal($form('#name').attr('autocomplete'), 'name');
  t.equal($form('#email').attr('autocomplete'), 'email');
  t.equal($form('#password').attr('autocomplete'), 'new-password');
  t.equal($form('#password').attr('type'), 'password');
  t.ok($form('a[href="/privacy"]').length, 'a privacy line links to /privacy');
  t.notOk(setCookies(form.response).portal_session, 'no session for an anonymous visitor');

  const res = await postForm(app, '/register', { name: 'Asha Patel', email: 'Asha@Example.org', password: PASSWORD }, form.cookie, { csrf: form.csrf });
  t.equal(res.statusCode, 200);
  t.equal(page(res)('h1').text().trim(), 'Check your email');
  t.notOk(setCookies(res).portal_session, 'registering does not sign in');

  const { rows: users } = await database.pool.query('select id, email, name, password_hash, email_verified_at from users');
  t.equal(users.length, 1);
  t.equal(users[0].email, 'asha@example.org', 'email stored in lower case');
  t.equal(users[0].email_verified_at, null, 'not verified yet');
  t.match(users[0].password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, 'argon2id with the OWASP parameters');
  t.notMatch(users[0].password_hash, PASSWORD);

  const mail = await waitForMail(smtp, 'asha@example.org');
  t.equal(mail.parsed.subject, 'Confirm your email address for Opportunity Portal');
  const link = linkIn(mail, '/verify-email/');
  const token = tokenOf(link);

  // Only the hash of the token is stored; it appears nowhere in the database in clear.
  const { rows: tokens } = await database.pool.query('select token_hash, purpose, expires_at, created_at from user_tokens');
  t.equal(tokens[0].purpose, 'verify_email');
  t.not(tokens[0].token_hash, token);
  t.equal(Math.round((tokens[0].expires_at - tokens[0].created_at) / 3_600_000), 24, 'expires after 24 hours');
  const { rows: clear } = await database.pool.query(
    `select count(*)::int as n from user_tokens t where t::text like '%' || $1 || '%'`, [token]);
  t.equal(clear[0].n, 0, 'the raw token is not in user_tokens');
  const { rows: inJobs } = await database.pool.query(`select count(*)::int as n from pgboss.job j where j.data::text like '%' || $1 || '%' and j.state <> 'completed'`, [token]);
  t.equal(inJobs[0].n, 0, 'nor in a pending mail job once sent');

  const verified = await app.inject({ url: link, headers: { cookie: form.cookie } });
  t.equal(verified.statusCode, 303);
  t.equal(verified.headers.location, '/account');
  const cookie = withCookies(form.cookie, verified);
  t.match(cookie, /portal_session=/, 'signed in');
  const { rows: after } = await database.pool.query('select email_verified_at from users');
  t.ok(after[0].email_verified_at, 'verified');

  const account = await app.inject({ url: '/account', headers: { cookie } });
  t.equal(account.statusCode, 200);
  const $ = page(account);
  t.match($('.govuk-notification-banner').text(), /Your email address is confirmed/, 'the flash is shown');
  t.notOk($('#verify-email').length, 'no request to verify');
  const again = await app.inject({ url: '/account', headers: { cookie } });
  t.notOk(page(again)('.govuk-notification-banner').length, 'the flash is shown once');

  const { rows: audit } = await database.pool.query('select action, actor_user_id from audit_log order by id');
  t.same(audit.map((a) => a.action), ['account.registered', 'account.email_verified']);
  t.equal(audit[0].actor_user_id, users[0].id, 'the user is the actor');

  // The same link a second time: used.
  const reused = await app.inject({ url: link });
  t.equal(reused.statusCode, 400);
  t.equal(page(reused)('h1').text().trim(), 'This link has already been used');
});

t.test('registering an existing email: the same page and status, nothing created, the mailbox is told instead', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  const existing = await createUser(database, { email: 'taken@example.org', name: 'Taken Person' });

  const submit = async (email: string) => {
    const form = await openForm(app, '/register');
    return postForm(app, '/register', { name: 'Someone', email, password: PASSWORD }, form.cookie, { csrf: form.csrf });
  };
  const before = await tableCounts(database);
  const known = await submit('TAKEN@example.org');
  const afterKnown = await tableCounts(database);
  const fresh = await submit('fresh@example.org');

  t.equal(known.statusCode, fresh.statusCode);
  t.equal(
    withoutCsrf(known.body).replace(/taken@example\.org/g, 'EMAIL'),
    withoutCsrf(fresh.body).replace(/fresh@example\.org/g, 'EMAIL'),
    'identical pages apart from the address typed',
  );
  t.equal(afterKnown.users, before.users, 'no account created for the existing email');
  t.equal(afterKnown.tokens, before.tokens, 'no token issued');

  const told = await waitForMail(smtp, 'taken@example.org');
  t.equal(told.parsed.subject, 'You already have an account with Opportunity Portal');
  t.match(told.parsed.text, /Dear Taken Person,/);
  t.ok(linkIn(told, '/sign-in'), 'a sign-in link');
  t.ok(linkIn(told, '/forgotten-password'), 'a reset link');
  const { rows } = await database.pool.query('select name, password_hash from users where id = $1', [existing.id]);
  t.equal(rows[0].name, 'Taken Person', 'the existing account is untouched');
  await waitForMail(smtp, 'fresh@example.org');
});

t.test('register: every field validated with the GOV.UK pattern, values kept (never the password), nothing stored', async (t) => {
  const { app, database } = await buildMailTestApp(t);
  const before = await tableCounts(database);
  const cases: { fields: Record<string, string>; errors: Record<string, string> }[] = [
    {
      fields: { name: '', email: '', password: '' },
      errors: { name: 'Enter your full name', email: 'Enter your email address', password: 'Enter a password' },
    },
    {
      fields: { name: 'Asha', email: 'not-an-email', password: 'short' },
      errors: { email: 'Enter an email address in the correct format, like name@example.com', password: 'Password must be 12 characters or more' },
    },
    { fields: { name: 'x'.repeat(201), email: 'asha@example.org', password: PASSWORD }, errors: { name: 'Full name must be 200 characters or fewer' } },
    { fields: { name: 'Asha', email: 'asha@example.org', password: 'password12345678' }, errors: { password: 'Password is too easy to guess: try three or four random words' } },
    { fields: { name: 'Asha', email: 'asha.patel@example.org', password: 'my asha.patel password' }, errors: { password: 'Password must not contain your email address' } },
  ];
  for (const { fields, errors } of cases) {
    const res = await postForm(app, '/register', fields, '', { formUrl: '/register' });
    t.equal(res.statusCode, 400, JSON.stringify(errors));
    const found = formErrors(res);
    t.match(found.title, /^Error: Create an account/);
    t.same(found.fields, errors, 'each field has its message');
    t.same(
      found.summary,
      Object.entries(errors).map(([field, text]) => ({ href: `#${field}`, text })),
      'the summary links to each field',
    );
    const $ = page(res);
    t.equal($('#name').attr('value') ?? '', fields.name, 'name kept');
    t.equal($('#email').attr('value') ?? '', fields.email, 'email kept');
    t.notOk($('#password').attr('value'), 'the password is never sent back');
  }
  t.same(await tableCounts(database), before, 'nothing stored, nothing queued');
});

t.test('register without a CSRF token or with a forged one: 403, nothing created', async (t) => {
  const { app, database } = await buildMailTestApp(t);
  const before = await tableCounts(database);
  const fields = { name: 'Asha', email: 'asha@example.org', password: PASSWORD };
  const missing = await postForm(app, '/register', fields, '', { csrf: null });
  t.equal(missing.statusCode, 403);
  const form = await openForm(app, '/register');
  const forged = await postForm(app, '/register', fields, '', { csrf: form.csrf });
  t.equal(forged.statusCode, 403, 'a token without its cookie is refused');
  t.same(await tableCounts(database), before);
});

t.test('verification links: expired, unknown and mangled links give a clear page with a form for a new link', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  await postForm(app, '/register', { name: 'Ben Okafor', email: 'ben@example.org', password: PASSWORD }, '', { formUrl: '/register' });
  const link = linkIn(await waitForMail(smtp, 'ben@example.org'), '/verify-email/');

  await database.pool.query(`update user_tokens set expires_at = now() - interval '1 minute'`);
  const expired = await app.inject({ url: link });
  t.equal(expired.statusCode, 400);
  const $ = page(expired);
  t.equal($('h1').text().trim(), 'This link has expired');
  t.equal($('form[action="/verify-email/resend"] #email').length, 1, 'a form to get a new link');
  t.notOk(setCookies(expired).portal_session, 'not signed in');
  const { rows } = await database.pool.query('select email_verified_at from users');
  t.equal(rows[0].email_verified_at, null, 'still unverified');

  for (const url of ['/verify-email/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/verify-email/short', '/verify-email/a%20b%3Cscript%3E']) {
    const res = await app.inject({ url });
    t.equal(res.statusCode, 400, url);
    t.equal(page(res)('h1').text().trim(), 'This link does not work');
  }
  t.equal((await app.inject({ url: `/verify-email/${'x'.repeat(300)}` })).statusCode, 414, 'an over-long link is refused before any work');

  // The resend form from the expired page sends a new link that works.
  const resend = await postForm(app, '/verify-email/resend', { email: 'ben@example.org' }, '', { formUrl: link.replace(/.*/, '/verify-email/resend') });
  t.equal(resend.statusCode, 200);
  t.equal(page(resend)('h1').text().trim(), 'Check your email');
  const fresh = linkIn(await waitForMail(smtp, 'ben@example.org', 2), '/verify-email/');
  t.not(fresh, link);
  const ok = await app.inject({ url: fresh });
  t.equal(ok.statusCode, 303);
});

t.test('resend never says whether an account exists, and is validated', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  await createUser(database, { email: 'unverified@example.org', verified: false });
  await createUser(database, { email: 'verified@example.org' });
  const bodies: string[] = [];
  for (const email of ['unverified@example.org', 'verified@example.org', 'nobody@example.org']) {
    const res = await postForm(app, '/verify-email/resend', { email }, '', { formUrl: '/verify-email/resend' });
    t.equal(res.statusCode, 200);
    bodies.push(withoutCsrf(res.body).replace(email, 'EMAIL'));
  }
  t.equal(new Set(bodies).size, 1, 'the same page for all three');
  await waitForMail(smtp, 'unverified@example.org');
  t.equal(mailsTo(smtp, 'verified@example.org').length, 0, 'nothing to a verified account');

  const bad = await postForm(app, '/verify-email/resend', { email: 'nope' }, '', { formUrl: '/verify-email/resend' });
  t.equal(bad.statusCode, 400);
  t.same(formErrors(bad).summary, [{ href: '#email', text: 'Enter an email address in the correct format, like name@example.com' }]);
  t.equal(page(bad)('#email').attr('value'), 'nope');
});

t.test('an unverified user who signs in is asked to verify, and can have a new link sent', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  await postForm(app, '/register', { name: 'Cara Jones', email: 'cara@example.org', password: PASSWORD }, '', { formUrl: '/register' });
  await waitForMail(smtp, 'cara@example.org');
  const form = await openForm(app, '/sign-in');
  const signedIn = await postForm(app, '/sign-in', { email: 'cara@example.org', password: PASSWORD }, form.cookie, { csrf: form.csrf });
  t.equal(signedIn.statusCode, 303, 'an unverified account can sign in');
  const cookie = withCookies(form.cookie, signedIn);
  const account = await app.inject({ url: '/account', headers: { cookie } });
  const $ = page(account);
  t.match($('#verify-email').text(), /Confirm your email address/);
  const resent = await postForm(app, '/account/verify-email', {}, cookie, { formUrl: '/account' });
  t.equal(resent.statusCode, 303);
  const mail = await waitForMail(smtp, 'cara@example.org', 2);
  const verified = await app.inject({ url: linkIn(mail, '/verify-email/'), headers: { cookie } });
  t.equal(verified.statusCode, 303);
  const { rows } = await database.pool.query('select email_verified_at from users');
  t.ok(rows[0].email_verified_at);
});

t.test('registration is rate-limited per IP address, with a page saying when to try again', async (t) => {
  const { app } = await buildMailTestApp(t);
  const form = await openForm(app, '/register');
  const attempt = (i: number, remoteAddress = '203.0.113.9') =>
    app.inject({
      method: 'POST',
      url: '/register',
      remoteAddress,
      payload: new URLSearchParams({ _csrf: form.csrf, name: `Person ${i}`, email: `person${i}@example.org`, password: PASSWORD }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
    });
  for (let i = 0; i < 10; i++) t.equal((await attempt(i)).statusCode, 200);
  const limited = await attempt(10);
  t.equal(limited.statusCode, 429);
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After header');
  const $ = page(limited);
  t.equal($('h1').text().trim(), 'Too many attempts');
  t.match($('main').text(), /wait \d+ minutes? and try again \(from \d+ \w+ \d{4} at /);
  t.equal((await attempt(11, '203.0.113.10')).statusCode, 200, 'another address is not limited');
});
