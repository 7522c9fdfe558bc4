// Forgotten password, end to end through a real SMTP server: the same answer for any email, a
// reset link that expires, works once and replaces older links, and a reset that ends every
// session, signs the user in and tells the mailbox.
import t from 'tap';
import { createUser, openForm, postForm, signInAs, withCookies } from '../support/auth.js';
import { buildMailTestApp, formErrors, linkIn, mailsTo, page, tableCounts, tokenOf, waitForMail, withoutCsrf } from './support.js';

const NEW_PASSWORD = 'orange bicycles under moonlight';

async function askForReset(app: Parameters<typeof postForm>[0], email: string, remoteAddress?: string) {
  const form = await openForm(app, '/forgotten-password');
  if (!remoteAddress) return postForm(app, '/forgotten-password', { email }, form.cookie, { csrf: form.csrf });
  return app.inject({
    method: 'POST',
    url: '/forgotten-password',
    remoteAddress,
    payload: new URLSearchParams({ _csrf: form.csrf, email }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
  });
}

t.test('forgotten password → reset link → new password: sessions ended, signed in, notice mailed, link single use', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  const user = await createUser(database, { email: 'fay@example.org', name: 'Fay Lim' });
  const elsewhere = await signInAs(app, user.email, user.password);

  const form = await openForm(app, '/forgotten-password');
  t.equal(page(form.response)('#email').attr('autocomplete'), 'email');
  const asked = await postForm(app, '/forgotten-password', { email: 'FAY@example.org' }, form.cookie, { csrf: form.csrf });
  t.equal(asked.statusCode, 200);
  t.equal(page(asked)('h1').text().trim(), 'Check your email');

  const mail = await waitForMail(smtp, 'fay@example.org');
  t.equal(mail.parsed.subject, 'Reset your Opportunity Portal password');
  t.match(mail.parsed.text, /works for 1 hour and only once/);
  const link = linkIn(mail, '/reset-password/');
  const { rows: stored } = await database.pool.query(`select token_hash, round(extract(epoch from expires_at - created_at) / 60)::int as minutes from user_tokens where purpose = 'reset_password'`);
  t.not(stored[0].token_hash, tokenOf(link), 'stored hashed');
  t.equal(stored[0].minutes, 60, 'expires after an hour');

  const resetPage = await app.inject({ url: link });
  t.equal(resetPage.statusCode, 200);
  t.equal(resetPage.headers['referrer-policy'], 'no-referrer', 'the token does not leak through Referer');
  const $ = page(resetPage);
  t.equal($('#newPassword').attr('autocomplete'), 'new-password');
  t.equal($('form').attr('action'), link);

  const res = await postForm(app, link, { newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/account');
  const cookie = withCookies('', res);
  t.match(cookie, /portal_session=/, 'signed in');
  const account = await app.inject({ url: '/account', headers: { cookie } });
  t.match(page(account)('.govuk-notification-banner').text(), /Your password has been changed/);

  t.equal((await app.inject({ url: '/account', headers: { cookie: elsewhere } })).statusCode, 303, 'the session on another device has ended');
  t.ok(await signInAs(app, user.email, NEW_PASSWORD), 'the new password works');
  await t.rejects(signInAs(app, user.email, user.password), 'the old one does not');

  const notice = await waitForMail(smtp, 'fay@example.org', 2);
  t.equal(notice.parsed.subject, 'Your Opportunity Portal password has changed');
  t.ok(linkIn(notice, '/forgotten-password'));

  const reused = await app.inject({ url: link });
  t.equal(reused.statusCode, 400);
  t.equal(page(reused)('h1').text().trim(), 'This link has already been used');
  t.ok(page(reused)('a[href="/forgotten-password"]').length, 'a way to ask for a new link');
  const reusedPost = await postForm(app, link, { newPassword: 'another new password here', confirmPassword: 'another new password here' }, '', { formUrl: '/forgotten-password' });
  t.equal(reusedPost.statusCode, 400, 'posting to a used link is refused too');

  const { rows: audit } = await database.pool.query('select action, actor_user_id from audit_log order by id');
  t.same(audit, [
    { action: 'account.password_reset_requested', actor_user_id: user.id },
    { action: 'account.password_reset', actor_user_id: user.id },
  ]);
});

t.test('the same answer for an existing and an unknown email; only the real mailbox gets a message', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  await createUser(database, { email: 'real@example.org' });
  const known = await askForReset(app, 'real@example.org');
  const unknown = await askForReset(app, 'ghost@example.org');
  t.equal(known.statusCode, unknown.statusCode);
  t.equal(withoutCsrf(known.body).replaceAll('real@example.org', 'E'), withoutCsrf(unknown.body).replaceAll('ghost@example.org', 'E'));
  await waitForMail(smtp, 'real@example.org');
  t.equal(mailsTo(smtp, 'ghost@example.org').length, 0);
  const { rows } = await database.pool.query(`select count(*)::int as n from user_tokens`);
  t.equal(rows[0].n, 1, 'one token, for the real account');
});

t.test('a newer link revokes older ones; an expired link gives a clear page', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  const user = await createUser(database, { email: 'gus@example.org' });
  await askForReset(app, user.email);
  const first = linkIn(await waitForMail(smtp, user.email), '/reset-password/');
  await askForReset(app, user.email);
  const second = linkIn(await waitForMail(smtp, user.email, 2), '/reset-password/');
  t.not(first, second);
  const old = await app.inject({ url: first });
  t.equal(old.statusCode, 400, 'the older link no longer works');
  t.equal((await app.inject({ url: second })).statusCode, 200);

  await database.pool.query(`update user_tokens set expires_at = now() - interval '1 second' where used_at is null`);
  const expired = await app.inject({ url: second });
  t.equal(expired.statusCode, 400);
  t.equal(page(expired)('h1').text().trim(), 'This link has expired');
  t.ok(page(expired)('a[href="/forgotten-password"]').length);
  const before = await tableCounts(database);
  const post = await postForm(app, second, { newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }, '', { formUrl: '/forgotten-password' });
  t.equal(post.statusCode, 400);
  t.same(await tableCounts(database), before, 'nothing changed');
  t.ok(await signInAs(app, user.email, user.password), 'the password is unchanged');
});

t.test('forms are validated: email on the request form, rules and confirmation on the new password', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  const user = await createUser(database, { email: 'hana.kato@example.org' });
  for (const [email, message] of [
    ['', 'Enter your email address'],
    ['hana', 'Enter an email address in the correct format, like name@example.com'],
  ] as const) {
    const res = await askForReset(app, email);
    t.equal(res.statusCode, 400);
    t.same(formErrors(res).summary, [{ href: '#email', text: message }]);
    t.equal(page(res)('#email').attr('value') ?? '', email, 'value kept');
  }
  const form = await openForm(app, '/forgotten-password');
  const noToken = await postForm(app, '/forgotten-password', { email: user.email }, form.cookie, { csrf: null });
  t.equal(noToken.statusCode, 403, 'no CSRF token: refused');
  const { rows: none } = await database.pool.query('select count(*)::int as n from user_tokens');
  t.equal(none[0].n, 0, 'no link issued');

  await askForReset(app, user.email);
  const link = linkIn(await waitForMail(smtp, user.email), '/reset-password/');
  const before = await tableCounts(database);
  const cases: { fields: Record<string, string>; errors: Record<string, string> }[] = [
    { fields: { newPassword: '', confirmPassword: '' }, errors: { newPassword: 'Enter a password' } },
    { fields: { newPassword: 'too short', confirmPassword: 'too short' }, errors: { newPassword: 'Password must be 12 characters or more' } },
    { fields: { newPassword: NEW_PASSWORD, confirmPassword: '' }, errors: { confirmPassword: 'Enter your new password again' } },
    { fields: { newPassword: NEW_PASSWORD, confirmPassword: 'something else entirely' }, errors: { confirmPassword: 'The passwords do not match: enter the same password twice' } },
    { fields: { newPassword: 'hana.kato is my password', confirmPassword: 'hana.kato is my password' }, errors: { newPassword: 'Password must not contain your email address' } },
  ];
  for (const { fields, errors } of cases) {
    const res = await postForm(app, link, fields);
    t.equal(res.statusCode, 400, JSON.stringify(errors));
    const found = formErrors(res);
    t.match(found.title, /^Error: Choose a new password/);
    t.same(found.fields, errors);
    t.same(found.summary, Object.entries(errors).map(([field, text]) => ({ href: `#${field}`, text })));
    t.notOk(page(res)('#newPassword').attr('value'), 'passwords are never sent back');
  }
  t.same(await tableCounts(database), before, 'nothing changed');
  const noCsrf = await postForm(app, link, { newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }, '', { csrf: null });
  t.equal(noCsrf.statusCode, 403);
  t.same(await tableCounts(database), before, 'nothing changed without a CSRF token');
  t.equal((await app.inject({ url: link })).statusCode, 200, 'the link still works');
});

t.test('reset requests are rate-limited per IP (429) and per mailbox (no more mail, same page)', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  await createUser(database, { email: 'ivy@example.org' });
  const pages = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const res = await askForReset(app, 'ivy@example.org', `203.0.113.${i + 1}`);
    t.equal(res.statusCode, 200);
    pages.add(withoutCsrf(res.body));
  }
  t.equal(pages.size, 1, 'the page does not change past the mailbox limit');
  await waitForMail(smtp, 'ivy@example.org', 3);
  const { rows } = await database.pool.query(`select count(*)::int as n from user_tokens`);
  t.equal(rows[0].n, 3, 'only 3 links an hour to one mailbox');

  for (let i = 0; i < 10; i++) t.equal((await askForReset(app, `person${i}@example.org`, '198.51.100.50')).statusCode, 200);
  const limited = await askForReset(app, 'ivy@example.org', '198.51.100.50');
  t.equal(limited.statusCode, 429);
  t.ok(Number(limited.headers['retry-after']) > 0);
  t.match(page(limited)('main').text(), /too many requests to reset a password/);
  t.equal(mailsTo(smtp, 'ivy@example.org').length, 3);
});
