// Staff invitations end to end: the invite form, the email (through the queue and a real SMTP
// server), and accepting it as a new person, with an existing account, or as the wrong account;
// expired, used, withdrawn and unknown links.
import { and, eq, sql } from 'drizzle-orm';
import t from 'tap';
import { memberships, users } from '../../src/modules/accounts/accounts.table.js';
import { hashToken } from '../../src/modules/accounts/tokens.js';
import { userTokens } from '../../src/modules/accounts/tokens.table.js';
import { buildMailTestApp, formErrors, linkIn, page, tokenOf, waitForMail } from '../accounts/support.js';
import { buildTestApp } from '../helper.js';
import { createUser } from '../support/auth.js';
import { createBuyer } from '../support/factories.js';
import { anonymous, auditEntries, carry, get, post, signedIn, signInSession, snapshot } from './support.js';

t.test('an organisation admin invites a new colleague, who creates an account from the email and joins', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  const buyer = await createBuyer(database, { name: 'Sandwell Council' });
  const admin = await signedIn(app, database, { name: 'Alex Admin', buyer: { buyerId: buyer.id, role: 'admin' } });

  const form = await get(app, '/manage/staff/invite', admin);
  t.equal(form.statusCode, 200);
  const $form = page(form);
  t.equal($form('input[name="role"]').length, 3);
  t.match($form('.govuk-radios').text(), /Viewer[\s\S]*Can see everything, including drafts/);
  t.equal($form('#email').attr('type'), 'email');

  const sent = await post(app, '/manage/staff/invite', { email: 'New.Editor@Example.org', role: 'editor' }, admin);
  t.equal(sent.statusCode, 303);
  t.equal(sent.headers.location, '/manage/staff');
  const team = page(await get(app, '/manage/staff', admin));
  t.match(team('.govuk-notification-banner').text(), /Invitation sent to new\.editor@example\.org/);
  t.match(team('table').eq(1).text(), /new\.editor@example\.org[\s\S]*Editor[\s\S]*Alex Admin/, 'listed as not yet accepted');

  const mail = await waitForMail(smtp, 'new.editor@example.org');
  t.match(mail.parsed.subject, /^You have been invited to join Sandwell Council on /);
  t.match(mail.parsed.text, /Alex Admin has invited you to join Sandwell Council/);
  t.match(mail.parsed.text, /Your role will be: Editor\./);
  t.match(mail.parsed.text, /The link works for 72 hours and only once/);
  t.match(mail.parsed.html, /Accept the invitation/);
  const link = linkIn(mail, '/invitations/');
  const [stored] = await database.db.select().from(userTokens).where(eq(userTokens.purpose, 'staff_invite'));
  t.equal(stored!.tokenHash, hashToken(tokenOf(link)), 'only the hash of the token is stored');
  t.notMatch(JSON.stringify(stored), tokenOf(link));
  const hours = (stored!.expiresAt.getTime() - stored!.createdAt.getTime()) / 3_600_000;
  t.ok(hours > 71.9 && hours < 72.1, 'expires after 72 hours');

  // Opening the link: the account form (the address is shown, not asked for).
  const visitor = await anonymous(app);
  const opened = await get(app, link, visitor);
  t.equal(opened.statusCode, 200);
  const $ = page(opened);
  t.match($('h1').text(), /Join Sandwell Council/);
  t.match($('main').text(), /new\.editor@example\.org/);
  t.equal($('#password').attr('autocomplete'), 'new-password');
  t.equal($('#name').attr('autocomplete'), 'name');

  // Bad input: 400, summary, values kept, nothing created and the link still works.
  const before = await snapshot(database);
  const bad = await post(app, link, { name: '', password: 'short' }, visitor);
  t.equal(bad.statusCode, 400);
  const errors = formErrors(bad);
  t.match(errors.title, /^Error: Join Sandwell Council/);
  t.same(errors.summary, [
    { href: '#name', text: 'Enter your full name' },
    { href: '#password', text: 'Password must be 12 characters or more' },
  ]);
  const weak = await post(app, link, { name: 'Sam Editor', password: 'new.editor-is-my-password' }, visitor);
  t.equal(weak.statusCode, 400);
  t.equal(page(weak)('#name').val(), 'Sam Editor', 'the name is kept');
  t.equal(page(weak)('#password').val(), undefined, 'the password is not sent back');
  t.equal(formErrors(weak).fields.password, 'Password must not contain your email address');
  t.equal(await snapshot(database), before, 'nothing changed');

  const accepted = await post(app, link, { name: 'Sam Editor', password: 'copper lantern quietly humming' }, visitor);
  t.equal(accepted.statusCode, 303);
  t.equal(accepted.headers.location, '/manage');
  const editor = carry(visitor, accepted);
  const [account] = await database.db.select().from(users).where(sql`lower(${users.email}) = 'new.editor@example.org'`);
  t.ok(account!.emailVerifiedAt, 'the email counts as verified: the link proved it');
  t.equal(account!.name, 'Sam Editor');
  const [membership] = await database.db.select().from(memberships).where(eq(memberships.userId, account!.id));
  t.match(membership, { buyerId: buyer.id, role: 'editor' });

  const home = await get(app, '/manage', editor);
  t.equal(home.statusCode, 200, 'signed in and in the staff area');
  t.match(page(home)('.govuk-notification-banner').text(), /You have joined Sandwell Council/);
  t.match(page(home)('main').text(), /working for Sandwell Council as editor/);

  const audit = await auditEntries(database);
  t.same(
    audit.map((a) => a.action),
    ['staff.invited', 'user.registered_by_invitation', 'staff.joined'],
  );
  t.match(audit[2], { buyer_id: buyer.id, actor_user_id: account!.id, after: { role: 'editor', invitedBy: 'Alex Admin' } });

  // The link is used up.
  const again = await get(app, link);
  t.equal(again.statusCode, 410);
  t.match(page(again)('h1').text(), /already been used/);
  t.match(page(again)('main').text(), /ask/i);
  const reuse = await post(app, link, { name: 'Someone Else', password: 'copper lantern quietly humming' }, await anonymous(app));
  t.equal(reuse.statusCode, 410);
  t.equal((await database.db.select().from(users).where(eq(users.name, 'Someone Else'))).length, 0);
});

t.test('someone with an account signs in from the invitation and joins; the wrong account is refused', async (t) => {
  const { app, database, smtp } = await buildMailTestApp(t);
  const buyer = await createBuyer(database, { name: 'Tipton Academy' });
  const admin = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'admin' } });
  const existing = await createUser(database, { email: 'jo@example.org', name: 'Jo Viewer' });

  t.equal((await post(app, '/manage/staff/invite', { email: 'JO@example.org', role: 'viewer' }, admin)).statusCode, 303);
  const link = linkIn(await waitForMail(smtp, 'jo@example.org'), '/invitations/');

  const opened = await get(app, link, await anonymous(app));
  t.equal(opened.statusCode, 200);
  const $ = page(opened);
  t.match($('h1').text(), /Sign in to join Tipton Academy/);
  t.equal($('main a[href^="/sign-in"]').attr('href'), `/sign-in?returnTo=${encodeURIComponent(link)}`, 'back to the invitation after signing in');
  t.equal($('#password').length, 0, 'no new-account form for an existing account');
  const sneaky = await post(app, link, { name: 'Intruder', password: 'copper lantern quietly humming' }, await anonymous(app));
  t.equal(sneaky.statusCode, 303, 'posting a new account for an existing address goes back to "sign in"');
  const [unchanged] = await database.db.select().from(users).where(eq(users.id, existing.id));
  t.equal(unchanged!.name, 'Jo Viewer', 'the account was not touched');

  // Signed in as someone else: a 403 page that says whom it is for; nothing changes.
  const other = await signedIn(app, database, { email: 'not-jo@example.org' });
  const before = await snapshot(database);
  const wrongGet = await get(app, link, other);
  t.equal(wrongGet.statusCode, 403);
  t.match(page(wrongGet)('main').text(), /is for jo@example\.org, but you are signed in as not-jo@example\.org/);
  const wrongPost = await post(app, link, {}, other);
  t.equal(wrongPost.statusCode, 403);
  t.equal(await snapshot(database), before, 'nothing changed');

  // The invited person signs in and accepts.
  const jo = await signInSession(app, database, existing);
  const confirm = await get(app, link, jo);
  t.equal(confirm.statusCode, 200);
  t.match(page(confirm)('button').text(), /Join Tipton Academy/);
  t.equal(await snapshot(database), before, 'opening the link changes nothing');
  const joined = await post(app, link, {}, jo);
  t.equal(joined.statusCode, 303);
  t.equal(joined.headers.location, '/manage');
  const rows = await database.db.select().from(memberships).where(and(eq(memberships.userId, existing.id), eq(memberships.buyerId, buyer.id)));
  t.equal(rows[0]?.role, 'viewer');
  t.equal((await get(app, '/manage/staff', jo)).statusCode, 200);
});

t.test('inviting: form errors, existing members, a new invitation replaces the old one, withdrawing', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database, { name: 'Sandwell Council' });
  const admin = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'admin' } });
  await createUser(database, { email: 'member@example.org', name: 'Mo Member', buyer: { buyerId: buyer.id, role: 'viewer' } });
  const before = await snapshot(database);

  const empty = await post(app, '/manage/staff/invite', {}, admin);
  t.equal(empty.statusCode, 400);
  t.same(formErrors(empty).summary, [
    { href: '#email', text: 'Enter the email address of the person you want to invite' },
    { href: '#role', text: 'Select a role' },
  ]);
  const bad = await post(app, '/manage/staff/invite', { email: 'not-an-email', role: 'owner' }, admin);
  t.equal(bad.statusCode, 400);
  t.same(
    formErrors(bad).summary.map((e) => e.text),
    ['Enter an email address in the correct format, like name@example.com', 'Select a role'],
  );
  t.equal(page(bad)('#email').val(), 'not-an-email', 'what was typed is kept');
  const member = await post(app, '/manage/staff/invite', { email: 'MEMBER@example.org', role: 'editor' }, admin);
  t.equal(member.statusCode, 400);
  t.match(formErrors(member).fields.email, /Mo Member \(member@example\.org\) is already a member of Sandwell Council/);
  t.equal(page(member)('input[name="role"][value="editor"]').attr('checked'), 'checked');
  t.equal(await snapshot(database), before, 'nothing changed');

  t.equal((await post(app, '/manage/staff/invite', { email: 'twice@example.org', role: 'viewer' }, admin)).statusCode, 303);
  t.equal((await post(app, '/manage/staff/invite', { email: 'Twice@example.org', role: 'editor' }, admin)).statusCode, 303);
  const open = await database.db.select().from(userTokens).where(and(eq(userTokens.purpose, 'staff_invite'), sql`${userTokens.usedAt} is null`));
  t.equal(open.length, 1, 'the second invitation replaced the first');
  t.match(open[0]!.data, { role: 'editor', buyerId: buyer.id });

  const team = page(await get(app, '/manage/staff', admin));
  const withdrawForm = team(`form[action="/manage/staff/invitations/${open[0]!.id}/withdraw"]`);
  t.equal(withdrawForm.length, 1, 'a withdraw button');
  const withdrawn = await post(app, `/manage/staff/invitations/${open[0]!.id}/withdraw`, {}, admin);
  t.equal(withdrawn.statusCode, 303);
  const [after] = await database.db.select().from(userTokens).where(eq(userTokens.id, open[0]!.id));
  t.ok(after!.usedAt, 'withdrawn');
  t.equal((await post(app, `/manage/staff/invitations/${open[0]!.id}/withdraw`, {}, admin)).statusCode, 404, 'only once');
  t.match((await auditEntries(database)).at(-1), { action: 'staff.invitation_withdrawn', buyer_id: buyer.id });
});

t.test('expired, withdrawn and unknown invitation links give a clear page and change nothing', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const admin = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'admin' } });
  t.equal((await post(app, '/manage/staff/invite', { email: 'late@example.org', role: 'viewer' }, admin)).statusCode, 303);
  // The token itself only went out in the mail; make one we know, then age it.
  const { issueToken } = await import('../../src/modules/accounts/tokens.js');
  const token = await issueToken(database.db, { purpose: 'staff_invite', email: 'late@example.org', data: { buyerId: buyer.id, role: 'viewer', invitedByUserId: admin.user.id, invitedByName: 'Admin' } });
  await database.db
    .update(userTokens)
    .set({ expiresAt: new Date(Date.now() - 1000) })
    .where(eq(userTokens.tokenHash, hashToken(token)));
  const before = await snapshot(database);

  const expired = await get(app, `/invitations/${token}`);
  t.equal(expired.statusCode, 410);
  t.match(page(expired)('h1').text(), /This invitation has expired/);
  t.match(page(expired)('main').text(), /send you a new invitation/);
  const expiredPost = await post(app, `/invitations/${token}`, { name: 'Late Person', password: 'copper lantern quietly humming' }, await anonymous(app));
  t.equal(expiredPost.statusCode, 410);

  for (const bad of ['not-a-real-token-at-all-but-long-enough', 'short', 'x'.repeat(150)]) {
    const res = await get(app, `/invitations/${bad}`);
    t.equal(res.statusCode, 404, `unknown token ${bad.slice(0, 10)}…`);
    t.match(page(res)('h1').text(), /This invitation link is not valid/);
  }
  t.equal(await snapshot(database), before, 'nothing changed');
});
