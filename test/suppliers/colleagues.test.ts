// Several people per supplier: inviting a colleague by email (through the real queue to a real
// SMTP server, following the link from the message), accepting as a new or existing account,
// refusals (wrong account, another supplier, expired, used, unknown), cancelling, and removing
// colleagues — never the last one, never another supplier's.
import * as cheerio from 'cheerio';
import { and, eq, isNull } from 'drizzle-orm';
import t from 'tap';
import type { Database } from '../../src/db/client.js';
import { memberships, users } from '../../src/modules/accounts/accounts.table.js';
import { issueToken } from '../../src/modules/accounts/tokens.js';
import { userTokens } from '../../src/modules/accounts/tokens.table.js';
import { mailSendJob } from '../../src/modules/mail/mail.jobs.js';
import { closeMail } from '../../src/modules/mail/mail.service.js';
import { buildTestApp } from '../helper.js';
import { startTestRunner } from '../jobs/support.js';
import { createUser, openForm, postForm, signInAs, withCookies } from '../support/auth.js';
import { startSmtpServer } from '../support/smtp.js';
import { auditActions, formErrors, signedInMember, signedInUser } from './support.js';

t.teardown(closeMail);

async function memberIds(database: Database, supplierId: number): Promise<number[]> {
  const rows = await database.db.select({ userId: memberships.userId }).from(memberships).where(eq(memberships.supplierId, supplierId)).orderBy(memberships.userId);
  return rows.map((r) => r.userId);
}

async function invitationToken(database: Database, supplierId: number, email: string, hoursAgo = 0): Promise<string> {
  return issueToken(database.db, { purpose: 'supplier_invite', email, data: { supplierId, invitedBy: null }, now: new Date(Date.now() - hoursAgo * 3_600_000) });
}

t.test('a colleague is invited by email, follows the link and joins with a new account', async (t) => {
  const smtp = await startSmtpServer(t);
  const { app, database, config } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, PUBLIC_URL: 'https://portal.example.gov.uk' } });
  await startTestRunner(t, database, config, { jobs: [mailSendJob] });
  const { supplier, user: inviter, cookie } = await signedInMember(app, database, { name: 'Oldbury Gardens CIC' });

  const page = await app.inject({ url: '/supplier/colleagues', headers: { cookie } });
  t.equal(page.statusCode, 200);
  const $ = cheerio.load(page.body);
  t.match($('table').text(), new RegExp(`${inviter.name} \\(you\\)`));
  t.equal($('a[href$="/remove"]').length, 0, 'the only member cannot be removed');

  const sent = await postForm(app, '/supplier/colleagues', { email: ' New.Person@Example.org ' }, cookie);
  t.equal(sent.statusCode, 303);
  t.equal(sent.headers.location, '/supplier/colleagues');
  t.same(await auditActions(database, supplier.id), ['supplier.colleague_invited']);
  const pending = cheerio.load((await app.inject({ url: '/supplier/colleagues', headers: { cookie } })).body);
  t.match(pending('main').text(), /new\.person@example\.org: the link works until/, 'the invitation is listed as waiting');

  const [message] = await smtp.waitForMessages(1);
  t.same(message!.envelope.to, ['new.person@example.org']);
  t.equal(message!.parsed.subject, `${inviter.name} has invited you to join Oldbury Gardens CIC on Opportunity Portal`);
  const link = /https:\/\/portal\.example\.gov\.uk\/supplier-invitations\/[A-Za-z0-9_-]+/.exec(message!.parsed.text ?? '')?.[0];
  t.ok(link, 'the text part carries the link');
  t.match(message!.parsed.html, `<a href="${link}"`, 'the HTML part links to it');
  t.match(message!.parsed.text, /works for 72 hours and only once/);
  const path = new URL(link!).pathname;
  const token = path.split('/').pop()!;
  const stored = await database.db.select().from(userTokens).where(eq(userTokens.purpose, 'supplier_invite'));
  t.equal(stored.length, 1);
  t.not(stored[0]!.tokenHash, token, 'only a hash of the token is stored');
  t.notMatch(JSON.stringify(stored), token);

  const open = await app.inject(path);
  t.equal(open.statusCode, 200);
  t.equal(open.headers['referrer-policy'], 'no-referrer');
  const $o = cheerio.load(open.body);
  t.equal($o('h1').text().trim(), 'Join Oldbury Gardens CIC');
  t.match($o('main').text(), /Create your account/);
  t.equal($o('#password').attr('autocomplete'), 'new-password');

  const bad = await postForm(app, path, { name: '', password: 'short' }, '', { formUrl: path });
  t.equal(bad.statusCode, 400);
  const errors = formErrors(bad.body);
  t.match(errors.title, /^Error: /);
  t.same(
    errors.summary.map((e) => e.href),
    ['#name', '#password'],
  );
  t.match(errors.fieldError('password'), /characters or more/);
  const badName = await postForm(app, path, { name: 'Priya Shah', password: 'short' }, '', { formUrl: path });
  t.equal(formErrors(badName.body).value('name'), 'Priya Shah', 'the name is kept');
  t.equal(formErrors(badName.body).value('password'), '', 'the password is not sent back');
  t.equal((await database.db.select().from(users).where(eq(users.email, 'new.person@example.org'))).length, 0, 'no account yet');

  const form = await openForm(app, path);
  const joined = await postForm(app, path, { name: 'Priya Shah', password: 'marmalade tractor whistle' }, form.cookie, { csrf: form.csrf });
  t.equal(joined.statusCode, 303);
  t.equal(joined.headers.location, '/supplier');
  const session = withCookies(form.cookie, joined);
  t.match(session, /portal_session=/, 'signed in straight away');
  const [created] = await database.db.select().from(users).where(eq(users.email, 'new.person@example.org'));
  t.ok(created?.emailVerifiedAt, 'the email is verified: the link proved it');
  t.equal(created?.name, 'Priya Shah');
  t.same(await memberIds(database, supplier.id), [inviter.id, created!.id].sort((a, b) => a - b));
  t.same(await auditActions(database, supplier.id), ['supplier.colleague_invited', 'supplier.colleague_joined']);
  const profile = await app.inject({ url: '/supplier', headers: { cookie: session } });
  t.equal(cheerio.load(profile.body)('h1').text().trim(), 'Oldbury Gardens CIC');

  const again = await app.inject(path);
  t.equal(again.statusCode, 410, 'the link works once');
  t.match(cheerio.load(again.body)('h1').text(), /already been used/);
  t.equal((await signInAs(app, 'new.person@example.org', 'marmalade tractor whistle')).includes('portal_session='), true, 'the new account signs in with its password');
});

t.test('an existing account signs in first, then accepts; other accounts are refused', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { supplier, user: inviter } = await signedInMember(app, database, { name: 'Tipton Bakes' });
  const invitee = await createUser(database, { email: 'sam@example.org', verified: false });
  const token = await invitationToken(database, supplier.id, 'sam@example.org');
  const path = `/supplier-invitations/${token}`;

  const anonymous = await app.inject(path);
  t.equal(anonymous.statusCode, 200);
  const $a = cheerio.load(anonymous.body);
  t.equal($a('a.govuk-button').attr('href'), `/sign-in?returnTo=${encodeURIComponent(path)}`, 'sign in first, then come back');
  t.equal($a('#password').length, 0, 'no new-account form for an address with an account');
  const anonymousPost = await postForm(app, path, { name: 'Intruder', password: 'marmalade tractor whistle' }, '', { formUrl: '/sign-in' });
  t.equal(anonymousPost.statusCode, 403, 'posting without signing in does nothing');
  t.same(await memberIds(database, supplier.id), [inviter.id]);

  const { cookie: stranger } = await signedInUser(app, database, { email: 'someone.else@example.org' });
  const wrong = await app.inject({ url: path, headers: { cookie: stranger } });
  t.match(cheerio.load(wrong.body)('main').text(), /signed in with a different email address/);
  const wrongPost = await postForm(app, path, {}, stranger);
  t.equal(wrongPost.statusCode, 403);
  t.same(await memberIds(database, supplier.id), [inviter.id], 'another account cannot use the invitation');

  const cookie = await signInAs(app, invitee.email, invitee.password);
  const ready = cheerio.load((await app.inject({ url: path, headers: { cookie } })).body);
  t.equal(ready('button').filter((_, b) => ready(b).text().trim() === 'Accept invitation').length, 1);
  const accepted = await postForm(app, path, {}, cookie);
  t.equal(accepted.statusCode, 303);
  t.equal(accepted.headers.location, '/supplier');
  t.same(await memberIds(database, supplier.id), [inviter.id, invitee.id].sort((a, b) => a - b));
  const [row] = await database.db.select().from(users).where(eq(users.id, invitee.id));
  t.ok(row?.emailVerifiedAt, 'accepting proves the address of an unverified account too');
  t.equal(cheerio.load((await app.inject({ url: '/supplier', headers: { cookie } })).body)('h1').text().trim(), 'Tipton Bakes');
});

t.test('invitation links that cannot be used say why, with a way forward', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { supplier } = await signedInMember(app, database);
  const expired = await invitationToken(database, supplier.id, 'late@example.org', 73);
  const res = await app.inject(`/supplier-invitations/${expired}`);
  t.equal(res.statusCode, 410);
  t.match(cheerio.load(res.body)('h1').text(), /This invitation has expired/);
  t.match(cheerio.load(res.body)('main').text(), /Ask your colleague to invite you again/);
  const expiredPost = await postForm(app, `/supplier-invitations/${expired}`, { name: 'Late', password: 'marmalade tractor whistle' }, '', { formUrl: '/sign-in' });
  t.equal(expiredPost.statusCode, 410);
  t.equal((await database.db.select().from(users).where(eq(users.email, 'late@example.org'))).length, 0, 'no account from an expired link');

  for (const unknown of ['not-a-real-token-but-long-enough', 'x', `${expired}x`]) {
    const u = await app.inject(`/supplier-invitations/${unknown}`);
    t.equal(u.statusCode, 404, `${unknown.slice(0, 12)}…: 404`);
    t.match(cheerio.load(u.body)('h1').text(), /does not work/);
  }
  t.equal((await app.inject(`/supplier-invitations/${'a'.repeat(201)}`)).statusCode, 414, 'an over-long token is refused by the router');

  // An invitation to a supplier that has since been deleted is unknown.
  const gone = await invitationToken(database, 2_000_000, 'ghost@example.org');
  t.equal((await app.inject(`/supplier-invitations/${gone}`)).statusCode, 404);
});

t.test('an account belongs to one supplier: a member of another cannot accept', async (t) => {
  const { app, database } = await buildTestApp(t);
  const a = await signedInMember(app, database, { name: 'Supplier A' });
  const b = await signedInMember(app, database, { name: 'Supplier B' });
  const token = await invitationToken(database, a.supplier.id, b.user.email);
  const res = await postForm(app, `/supplier-invitations/${token}`, {}, b.cookie);
  t.equal(res.statusCode, 409);
  t.match(cheerio.load(res.body)('main').text(), /Your account is linked to Supplier B/);
  t.same(await memberIds(database, a.supplier.id), [a.user.id]);
  const [unused] = await database.db.select().from(userTokens).where(and(eq(userTokens.email, b.user.email), isNull(userTokens.usedAt)));
  t.ok(unused, 'the invitation stays usable (after leaving Supplier B)');
});

t.test('the invite form: GOV.UK errors, colleagues already here, cancelling, and a limit', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { supplier, user, cookie } = await signedInMember(app, database);
  const colleague = await createUser(database, { supplierId: supplier.id });

  for (const [email, message] of [
    ['', /Enter your colleague’s email address/],
    ['not-an-email', /Enter an email address in the correct format/],
    [colleague.email.toUpperCase(), /is already one of your colleagues here/],
    [user.email, /is already one of your colleagues here/],
  ] as const) {
    const res = await postForm(app, '/supplier/colleagues', { email }, cookie);
    t.equal(res.statusCode, 400, `"${email}": 400`);
    const page = formErrors(res.body);
    t.match(page.title, /^Error: /);
    t.equal(page.summary[0]?.href, '#email');
    t.match(page.fieldError('email'), message);
    t.equal(page.value('email'), email, 'what was typed is kept');
  }
  t.equal((await database.db.select().from(userTokens).where(eq(userTokens.purpose, 'supplier_invite'))).length, 0, 'no invitation was made');

  t.equal((await postForm(app, '/supplier/colleagues', { email: 'pat@example.org' }, cookie)).statusCode, 303);
  const [invitation] = await database.db.select().from(userTokens).where(eq(userTokens.purpose, 'supplier_invite'));
  const other = await signedInMember(app, database);
  const foreign = await postForm(app, `/supplier/colleagues/invitations/${invitation!.id}/cancel`, {}, other.cookie, { formUrl: '/supplier/colleagues' });
  t.equal(foreign.statusCode, 404, 'another supplier cannot cancel it');
  const cancelled = await postForm(app, `/supplier/colleagues/invitations/${invitation!.id}/cancel`, {}, cookie, { formUrl: '/supplier/colleagues' });
  t.equal(cancelled.statusCode, 303);
  const [after] = await database.db.select().from(userTokens).where(eq(userTokens.id, invitation!.id));
  t.ok(after?.usedAt, 'a cancelled invitation no longer works');
  t.equal((await postForm(app, `/supplier/colleagues/invitations/${invitation!.id}/cancel`, {}, cookie, { formUrl: '/supplier/colleagues' })).statusCode, 404, 'nor can it be cancelled twice');
  t.equal((await postForm(app, '/supplier/colleagues/invitations/abc/cancel', {}, cookie, { formUrl: '/supplier/colleagues' })).statusCode, 404);
  t.same(await auditActions(database, supplier.id), ['supplier.colleague_invited', 'supplier.invitation_withdrawn']);

  // 20 invitations an hour per supplier (one was sent above).
  for (let i = 0; i < 19; i++) t.equal((await postForm(app, '/supplier/colleagues', { email: `person${i}@example.org` }, cookie)).statusCode, 303);
  const limited = await postForm(app, '/supplier/colleagues', { email: 'one.more@example.org' }, cookie);
  t.equal(limited.statusCode, 429);
  t.ok(Number(limited.headers['retry-after']) > 0);
  t.match(formErrors(limited.body).fieldError('email'), /You have sent a lot of invitations in the last hour/);
});

t.test('removing colleagues: with confirmation, audited, never the last one, never another supplier’s', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { supplier, user, cookie } = await signedInMember(app, database);
  const colleague = await createUser(database, { supplierId: supplier.id, name: 'Colin Colleague' });
  const b = await signedInMember(app, database);

  const list = cheerio.load((await app.inject({ url: '/supplier/colleagues', headers: { cookie } })).body);
  t.equal(list(`a[href="/supplier/colleagues/${colleague.id}/remove"]`).text().replace(/\s+/g, ' ').trim(), 'Remove Colin Colleague');

  const confirm = await app.inject({ url: `/supplier/colleagues/${colleague.id}/remove`, headers: { cookie } });
  t.equal(confirm.statusCode, 200);
  t.match(cheerio.load(confirm.body)('h1').text(), /Are you sure you want to remove Colin Colleague\?/);

  for (const id of [String(b.user.id), '999999', 'abc', '0']) {
    t.equal((await app.inject({ url: `/supplier/colleagues/${id}/remove`, headers: { cookie } })).statusCode, 404, `GET remove ${id}: 404`);
    const res = await postForm(app, `/supplier/colleagues/${id}/remove`, {}, cookie, { formUrl: '/supplier/colleagues' });
    t.equal(res.statusCode, 404, `POST remove ${id}: 404`);
  }
  t.same(await memberIds(database, b.supplier.id), [b.user.id], 'the other supplier’s member is untouched');

  const removed = await postForm(app, `/supplier/colleagues/${colleague.id}/remove`, {}, cookie);
  t.equal(removed.statusCode, 303);
  t.equal(removed.headers.location, '/supplier/colleagues');
  t.same(await memberIds(database, supplier.id), [user.id]);
  t.same(await auditActions(database, supplier.id), ['supplier.colleague_removed']);

  const lastConfirm = cheerio.load((await app.inject({ url: `/supplier/colleagues/${user.id}/remove`, headers: { cookie } })).body);
  t.match(lastConfirm('h1').text(), /You cannot remove the last person/);
  const last = await postForm(app, `/supplier/colleagues/${user.id}/remove`, {}, cookie, { formUrl: '/supplier/colleagues' });
  t.equal(last.statusCode, 409);
  t.same(await memberIds(database, supplier.id), [user.id], 'the last member stays');

  // With a colleague again, a member may leave.
  const second = await createUser(database, { supplierId: supplier.id });
  const leave = await postForm(app, `/supplier/colleagues/${user.id}/remove`, {}, cookie, { formUrl: '/supplier/colleagues' });
  t.equal(leave.statusCode, 303);
  t.equal(leave.headers.location, '/account');
  t.same(await memberIds(database, supplier.id), [second.id]);
  t.equal((await app.inject({ url: '/supplier/colleagues', headers: { cookie } })).statusCode, 403, 'a former member is no longer let in');
});
