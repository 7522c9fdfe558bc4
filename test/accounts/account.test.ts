// The account page and the changes a signed-in user makes: email (confirmed from the new mailbox,
// the old one told) and password (other sessions ended, this one rotated), each validated, CSRF
// protected, rate-limited on the current password and audited.
import t from 'tap';
import { suppliers } from '../../src/modules/suppliers/suppliers.table.js';
import { createBuyer } from '../support/factories.js';
import { createUser, postForm, signInAs, withCookies } from '../support/auth.js';
import { buildMailTestApp, formErrors, linkIn, mailsTo, page, tableCounts, waitForMail } from './support.js';

const NEW_PASSWORD = 'granite lanterns over marshes';

t.test('the account page links to what the user has: supplier profile, staff area, administration', async (t) => {
  const { app, database } = await buildMailTestApp(t);
  const buyer = await createBuyer(database, { name: 'Oldbury Housing Trust' });
  const [supplier] = await database.db.insert(suppliers).values({ name: 'Greenway Co-operative', legalForm: 'cooperative', size: 'small' }).returning();
  const plain = await createUser(database, { verified: false });
  const supplierUser = await createUser(database, { supplierId: supplier!.id });
  const staff = await createUser(database, { buyer: { buyerId: buyer.id, role: 'editor' }, platformAdmin: true });

  const $plain = page(await app.inject({ url: '/account', headers: { cookie: await signInAs(app, plain.email, plain.password) } }));
  t.equal($plain('title').text().split(' – ')[0], 'Your account');
  t.match($plain('#verify-email').text(), /Confirm your email address/, 'an unverified user is asked to verify');
  t.ok($plain('#verify-email form[action="/account/verify-email"]').length, 'with a button to resend');
  t.match($plain('a[href="/supplier"]').text(), /Register your organisation as a supplier/, 'a user with no supplier is offered to register one');
  t.notOk($plain('a[href="/manage"]').length);

  const $supplier = page(await app.inject({ url: '/account', headers: { cookie: await signInAs(app, supplierUser.email, supplierUser.password) } }));
  t.match($supplier('a[href="/supplier"]').text(), /Greenway Co-operative/);
  t.notOk($supplier('#verify-email').length);

  const $staff = page(await app.inject({ url: '/account', headers: { cookie: await signInAs(app, staff.email, staff.password) } }));
  t.ok($staff('a[href="/manage"]').length, 'staff area');
  t.match($staff('main').text(), /Oldbury Housing Trust/);
  t.ok($staff('a[href="/admin"]').length, 'platform administration');
});

t.test('change email: link to the new address, notice to the old; confirming switches and re-verifies', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  const user = await createUser(database, { email: 'old@example.org', name: 'Jo Bloggs' });
  const cookie = await signInAs(app, user.email, user.password);

  const form = await app.inject({ url: '/account/email', headers: { cookie } });
  t.equal(form.statusCode, 200);
  t.equal(page(form)('#email').attr('autocomplete'), 'email');
  t.equal(page(form)('#currentPassword').attr('autocomplete'), 'current-password');

  const res = await postForm(app, '/account/email', { email: 'New@Example.org', currentPassword: user.password }, cookie);
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/account');
  const account = await app.inject({ url: '/account', headers: { cookie } });
  t.match(page(account)('.govuk-notification-banner').text(), /Check your new email address/);
  t.match(page(account)('.govuk-summary-list').text(), 'old@example.org', 'the email is unchanged until confirmed');

  const confirm = await waitForMail(smtp, 'new@example.org');
  t.equal(confirm.parsed.subject, 'Confirm your new email address for Opportunity Portal');
  const link = linkIn(confirm, '/confirm-email/');
  const notice = await waitForMail(smtp, 'old@example.org');
  t.match(notice.parsed.text, /asked to change its email address to new@example\.org/);

  // Opened in another browser, not signed in.
  const confirmed = await app.inject({ url: link });
  t.equal(confirmed.statusCode, 200);
  t.equal(page(confirmed)('h1').text().trim(), 'Your email address has been changed');
  const { rows } = await database.pool.query('select email, email_verified_at from users where id = $1', [user.id]);
  t.equal(rows[0].email, 'new@example.org');
  t.ok(rows[0].email_verified_at, 'verified');
  const done = await waitForMail(smtp, 'old@example.org', 2);
  t.match(done.parsed.subject, /email address of your Opportunity Portal account has changed/);
  t.match(done.parsed.text, /is now new@example\.org/);

  t.ok(await signInAs(app, 'new@example.org', user.password), 'signs in with the new address');
  await t.rejects(signInAs(app, 'old@example.org', user.password), 'not with the old');

  const again = await app.inject({ url: link });
  t.equal(again.statusCode, 400);
  t.equal(page(again)('h1').text().trim(), 'This link has already been used');

  const { rows: audit } = await database.pool.query(`select action, actor_user_id, before, after from audit_log where action like 'account.email%' order by id`);
  t.same(audit, [
    { action: 'account.email_change_requested', actor_user_id: user.id, before: { email: 'old@example.org' }, after: { email: 'new@example.org' } },
    { action: 'account.email_changed', actor_user_id: user.id, before: { email: 'old@example.org' }, after: { email: 'new@example.org' } },
  ]);
});

t.test('change email confirmed while signed in: back to the account page with a message', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  const user = await createUser(database, { email: 'kim@example.org' });
  const cookie = await signInAs(app, user.email, user.password);
  await postForm(app, '/account/email', { email: 'kim.new@example.org', currentPassword: user.password }, cookie);
  const link = linkIn(await waitForMail(smtp, 'kim.new@example.org'), '/confirm-email/');
  const res = await app.inject({ url: link, headers: { cookie } });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/account');
  const account = page(await app.inject({ url: '/account', headers: { cookie } }));
  t.match(account('.govuk-notification-banner').text(), /Your email address has been changed/);
  t.match(account('.govuk-summary-list').text(), 'kim.new@example.org');
});

t.test('change email to an address another account uses: not revealed on asking; the new mailbox owner learns it on confirming', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  const user = await createUser(database, { email: 'lee@example.org' });
  await createUser(database, { email: 'lee.other@example.org' });
  const cookie = await signInAs(app, user.email, user.password);

  const taken = await postForm(app, '/account/email', { email: 'lee.other@example.org', currentPassword: user.password }, cookie);
  const free = await postForm(app, '/account/email', { email: 'lee.free@example.org', currentPassword: user.password }, cookie);
  t.equal(taken.statusCode, free.statusCode, 'the same answer');
  t.equal(taken.headers.location, free.headers.location);
  const link = linkIn(await waitForMail(smtp, 'lee.other@example.org'), '/confirm-email/');
  // The second request revoked the first link; ask again for the taken address to test the clash.
  await postForm(app, '/account/email', { email: 'lee.other@example.org', currentPassword: user.password }, cookie);
  const fresh = linkIn(await waitForMail(smtp, 'lee.other@example.org', 2), '/confirm-email/');
  t.equal((await app.inject({ url: link })).statusCode, 400, 'an older link is revoked by a newer request');

  const clash = await app.inject({ url: fresh });
  t.equal(clash.statusCode, 409);
  t.equal(page(clash)('h1').text().trim(), 'This email address is already used by another account');
  const { rows } = await database.pool.query('select email from users where id = $1', [user.id]);
  t.equal(rows[0].email, 'lee@example.org', 'unchanged');
  t.equal(mailsTo(smtp, 'lee@example.org').filter((m) => /has changed/.test(m.parsed.subject ?? '')).length, 0, 'no "changed" notice');
});

t.test('change email: validation, wrong password, CSRF and the per-account limit change nothing', async (t) => {
  const { app, database } = await buildMailTestApp(t);
  const user = await createUser(database, { email: 'max@example.org' });
  const cookie = await signInAs(app, user.email, user.password);
  const before = await tableCounts(database);
  const cases: { fields: Record<string, string>; errors: Record<string, string> }[] = [
    { fields: { email: '', currentPassword: '' }, errors: { email: 'Enter your new email address', currentPassword: 'Enter your current password' } },
    { fields: { email: 'max@', currentPassword: user.password }, errors: { email: 'Enter an email address in the correct format, like name@example.com' } },
    { fields: { email: 'MAX@example.org', currentPassword: user.password }, errors: { email: 'Enter a different email address from the one you use now' } },
    { fields: { email: 'max2@example.org', currentPassword: 'not my password at all' }, errors: { currentPassword: 'Your current password is not correct' } },
  ];
  for (const { fields, errors } of cases) {
    const res = await postForm(app, '/account/email', fields, cookie);
    t.equal(res.statusCode, 400);
    const found = formErrors(res);
    t.match(found.title, /^Error: Change your email address/);
    t.same(found.fields, errors);
    t.same(found.summary, Object.entries(errors).map(([field, text]) => ({ href: `#${field}`, text })));
    t.equal(page(res)('#email').attr('value') ?? '', fields.email, 'the email typed is kept');
    t.notOk(page(res)('#currentPassword').attr('value'));
  }
  const noCsrf = await postForm(app, '/account/email', { email: 'max2@example.org', currentPassword: user.password }, cookie, { csrf: null });
  t.equal(noCsrf.statusCode, 403);
  t.same(await tableCounts(database), before, 'nothing changed, nothing sent');

  // One wrong password so far; four more, then the sixth attempt is refused even with the right one.
  for (let i = 0; i < 4; i++) t.equal((await postForm(app, '/account/email', { email: 'max2@example.org', currentPassword: 'still not my password' }, cookie)).statusCode, 400);
  const limited = await postForm(app, '/account/email', { email: 'max2@example.org', currentPassword: user.password }, cookie);
  t.equal(limited.statusCode, 429);
  t.match(page(limited)('main').text(), /entered your current password incorrectly too many times/);
  t.same(await tableCounts(database), before);
});

t.test('change password: other sessions end, this one carries on in a new session, notice mailed', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  const user = await createUser(database, { email: 'nia@example.org' });
  const other = await signInAs(app, user.email, user.password);
  const cookie = await signInAs(app, user.email, user.password);

  const form = page(await app.inject({ url: '/account/password', headers: { cookie } }));
  t.equal(form('#currentPassword').attr('autocomplete'), 'current-password');
  t.equal(form('#newPassword').attr('autocomplete'), 'new-password');
  t.equal(form('#confirmPassword').attr('autocomplete'), 'new-password');

  const res = await postForm(app, '/account/password', { currentPassword: user.password, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }, cookie);
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/account');
  const rotated = withCookies(cookie, res);
  t.not(/portal_session=([^;]+)/.exec(rotated)?.[1], /portal_session=([^;]+)/.exec(cookie)?.[1], 'the session id changed');
  const account = await app.inject({ url: '/account', headers: { cookie: rotated } });
  t.equal(account.statusCode, 200, 'still signed in here');
  t.match(page(account)('.govuk-notification-banner').text(), /Your password has been changed/);
  t.equal((await app.inject({ url: '/account', headers: { cookie: other } })).statusCode, 303, 'the other session ended');
  t.equal((await app.inject({ url: '/account', headers: { cookie } })).statusCode, 303, 'the old id of this one too');

  const notice = await waitForMail(smtp, 'nia@example.org');
  t.equal(notice.parsed.subject, 'Your Opportunity Portal password has changed');
  const { rows } = await database.pool.query(`select password_hash from users where id = $1`, [user.id]);
  t.match(rows[0].password_hash, /^\$argon2id\$/);
  t.ok(await signInAs(app, user.email, NEW_PASSWORD));
  const { rows: audit } = await database.pool.query(`select actor_user_id from audit_log where action = 'account.password_changed'`);
  t.same(audit, [{ actor_user_id: user.id }]);
});

t.test('change password: validation, wrong current password and CSRF change nothing', async (t) => {
  const { app, database } = await buildMailTestApp(t);
  const user = await createUser(database, { email: 'omar@example.org' });
  const cookie = await signInAs(app, user.email, user.password);
  const before = await tableCounts(database);
  const { rows: hashBefore } = await database.pool.query('select password_hash from users where id = $1', [user.id]);
  const cases: { fields: Record<string, string>; errors: Record<string, string> }[] = [
    { fields: { currentPassword: '', newPassword: '', confirmPassword: '' }, errors: { currentPassword: 'Enter your current password', newPassword: 'Enter a password' } },
    { fields: { currentPassword: user.password, newPassword: 'short', confirmPassword: 'short' }, errors: { newPassword: 'Password must be 12 characters or more' } },
    { fields: { currentPassword: user.password, newPassword: NEW_PASSWORD, confirmPassword: 'different words here' }, errors: { confirmPassword: 'The passwords do not match: enter the same password twice' } },
    { fields: { currentPassword: user.password, newPassword: user.password, confirmPassword: user.password }, errors: { newPassword: 'Your new password must be different from your current password' } },
    { fields: { currentPassword: 'wrong current password', newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }, errors: { currentPassword: 'Your current password is not correct' } },
  ];
  for (const { fields, errors } of cases) {
    const res = await postForm(app, '/account/password', fields, cookie);
    t.equal(res.statusCode, 400, JSON.stringify(errors));
    const found = formErrors(res);
    t.match(found.title, /^Error: Change your password/);
    t.same(found.fields, errors);
    t.same(found.summary, Object.entries(errors).map(([field, text]) => ({ href: `#${field}`, text })));
    for (const field of ['currentPassword', 'newPassword', 'confirmPassword']) t.notOk(page(res)(`#${field}`).attr('value'), `${field} not sent back`);
  }
  const noCsrf = await postForm(app, '/account/password', { currentPassword: user.password, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }, cookie, { csrf: null });
  t.equal(noCsrf.statusCode, 403);
  t.same(await tableCounts(database), before);
  const { rows: hashAfter } = await database.pool.query('select password_hash from users where id = $1', [user.id]);
  t.equal(hashAfter[0].password_hash, hashBefore[0].password_hash, 'the password is unchanged');
  t.equal((await app.inject({ url: '/account', headers: { cookie } })).statusCode, 200, 'still signed in');
});

t.test('account pages need a signed-in user', async (t) => {
  const { app } = await buildMailTestApp(t);
  for (const url of ['/account', '/account/email', '/account/password']) {
    const res = await app.inject({ url });
    t.equal(res.statusCode, 303, url);
    t.equal(res.headers.location, `/sign-in?returnTo=${encodeURIComponent(url)}`);
  }
});
