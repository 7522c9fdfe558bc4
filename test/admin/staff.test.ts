// The staff area: the team page, changing roles, removing people (never the last administrator),
// choosing the organisation to work for, and the wall between organisations.
import { eq } from 'drizzle-orm';
import t from 'tap';
import { memberships } from '../../src/modules/accounts/accounts.table.js';
import { userTokens } from '../../src/modules/accounts/tokens.table.js';
import { formErrors, page } from '../accounts/support.js';
import { buildTestApp } from '../helper.js';
import { createUser } from '../support/auth.js';
import { createBuyer } from '../support/factories.js';
import { auditEntries, get, post, signedIn, snapshot } from './support.js';

async function membershipOf(database: Parameters<typeof createUser>[0], userId: number) {
  return database.db.select().from(memberships).where(eq(memberships.userId, userId));
}

t.test('the team page lists staff with their roles; only administrators get the actions', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database, { name: 'Sandwell Council' });
  const admin = await signedIn(app, database, { name: 'Alex Admin', buyer: { buyerId: buyer.id, role: 'admin' } });
  const viewer = await signedIn(app, database, { name: 'Val Viewer', buyer: { buyerId: buyer.id, role: 'viewer' } });
  await createUser(database, { name: 'Ed Editor', buyer: { buyerId: buyer.id, role: 'editor' } });

  const asAdmin = page(await get(app, '/manage/staff', admin));
  const rows = asAdmin('table').first().find('tbody tr');
  t.same(
    rows.map((_, row) => asAdmin(row).find('th, td').slice(0, 3).map((__, c) => asAdmin(c).text().trim()).get().join(' | ')).get(),
    [`Alex Admin (you) | ${admin.user.email} | Administrator`, `Ed Editor | ${(await database.pool.query("select email from users where name = 'Ed Editor'")).rows[0].email} | Editor`, `Val Viewer | ${viewer.user.email} | Viewer`],
  );
  t.match(asAdmin('dl').text(), /Administrator[\s\S]*invite people, change their roles and remove them[\s\S]*Editor[\s\S]*publish opportunities[\s\S]*Viewer[\s\S]*cannot change anything/);
  t.equal(asAdmin('a[href="/manage/staff/invite"]').length, 1);
  t.equal(asAdmin('a[href$="/role"]').length, 3);
  t.equal(asAdmin('a[href$="/remove"]').length, 3);

  const asViewer = page(await get(app, '/manage/staff', viewer));
  t.equal(asViewer('table').first().find('tbody tr').length, 3, 'viewers see the team');
  t.equal(asViewer('a[href="/manage/staff/invite"]').length, 0, 'but not the actions');
  t.equal(asViewer('a[href$="/role"]').length, 0);
  t.match(asViewer('main').text(), /ask one of your organisation’s administrators/);
  t.equal((await get(app, '/manage/staff/invite', viewer)).statusCode, 403);
});

t.test('an administrator changes a role; the last administrator cannot be demoted', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database, { name: 'Sandwell Council' });
  const admin = await signedIn(app, database, { name: 'Alex Admin', buyer: { buyerId: buyer.id, role: 'admin' } });
  const colleague = await createUser(database, { name: 'Cam Colleague', buyer: { buyerId: buyer.id, role: 'viewer' } });
  const [colleagueMembership] = await membershipOf(database, colleague.id);
  const [adminMembership] = await membershipOf(database, admin.user.id);

  const form = await get(app, `/manage/staff/${colleagueMembership!.id}/role`, admin);
  t.equal(form.statusCode, 200);
  const $ = page(form);
  t.equal($('legend h1').text().trim(), 'Change Cam Colleague’s role', 'the question is the page heading');
  t.equal($('input[name="role"][value="viewer"]').attr('checked'), 'checked', 'the current role is selected');

  const before = await snapshot(database);
  const bad = await post(app, `/manage/staff/${colleagueMembership!.id}/role`, { role: 'owner' }, admin);
  t.equal(bad.statusCode, 400);
  t.same(formErrors(bad).summary, [{ href: '#role', text: 'Select a role' }]);
  t.equal(await snapshot(database), before);

  const changed = await post(app, `/manage/staff/${colleagueMembership!.id}/role`, { role: 'editor' }, admin);
  t.equal(changed.statusCode, 303);
  t.equal((await membershipOf(database, colleague.id))[0]!.role, 'editor');
  t.match((await auditEntries(database)).at(-1), { action: 'staff.role_changed', buyer_id: buyer.id, actor_user_id: admin.user.id, before: { role: 'viewer' }, after: { role: 'editor' } });
  t.match(page(await get(app, '/manage/staff', admin))('.govuk-notification-banner').text(), /Cam Colleague is now editor/);

  // The only administrator cannot make themselves an editor.
  const beforeLast = await snapshot(database);
  const last = await post(app, `/manage/staff/${adminMembership!.id}/role`, { role: 'editor' }, admin);
  t.equal(last.statusCode, 400);
  const errors = formErrors(last);
  t.equal(errors.summary[0]?.href, '#role');
  t.match(errors.fields.role, /Alex Admin is the only administrator of Sandwell Council\. Make someone else an administrator first/);
  t.equal(page(last)('input[name="role"][value="editor"]').attr('checked'), 'checked', 'the choice is kept');
  t.equal(await snapshot(database), beforeLast, 'nothing changed');

  // With a second administrator, they can.
  t.equal((await post(app, `/manage/staff/${colleagueMembership!.id}/role`, { role: 'admin' }, admin)).statusCode, 303);
  t.equal((await post(app, `/manage/staff/${adminMembership!.id}/role`, { role: 'viewer' }, admin)).statusCode, 303);
  t.equal((await membershipOf(database, admin.user.id))[0]!.role, 'viewer');
  t.equal((await get(app, '/manage/staff/invite', admin)).statusCode, 403, 'and lose the admin pages at once');
});

t.test('removing someone: a confirmation page, then gone; never the last administrator', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database, { name: 'Sandwell Council' });
  const other = await createBuyer(database, { name: 'Tipton Academy' });
  const admin = await signedIn(app, database, { name: 'Alex Admin', buyer: { buyerId: buyer.id, role: 'admin' } });
  const leaver = await signedIn(app, database, { name: 'Lee Leaver', buyer: { buyerId: buyer.id, role: 'editor' } });
  await database.db.insert(memberships).values({ userId: leaver.user.id, buyerId: other.id, role: 'viewer' });
  const [leaverMembership] = (await membershipOf(database, leaver.user.id)).filter((m) => m.buyerId === buyer.id);
  const [adminMembership] = await membershipOf(database, admin.user.id);

  const confirm = await get(app, `/manage/staff/${leaverMembership!.id}/remove`, admin);
  t.equal(confirm.statusCode, 200);
  const $ = page(confirm);
  t.equal($('h1').text().trim(), 'Remove Lee Leaver from Sandwell Council?');
  t.equal($('button.govuk-button--warning').text().trim(), 'Remove Lee Leaver');
  t.equal($('a[href="/manage/staff"]').last().text().trim(), 'Cancel');

  const removed = await post(app, `/manage/staff/${leaverMembership!.id}/remove`, {}, admin);
  t.equal(removed.statusCode, 303);
  t.equal(removed.headers.location, '/manage/staff');
  const left = await membershipOf(database, leaver.user.id);
  t.same(
    left.map((m) => m.buyerId),
    [other.id],
    'removed from this organisation only',
  );
  t.match((await auditEntries(database)).at(-1), { action: 'staff.removed', buyer_id: buyer.id, before: { userId: leaver.user.id, role: 'editor' }, after: null });
  // Their next request no longer sees Sandwell Council's staff area.
  const leaverHome = page(await get(app, '/manage', leaver));
  t.match(leaverHome('main').text(), /working for Tipton Academy/);
  t.equal((await post(app, '/manage/acting-organisation', { buyerId: String(buyer.id) }, leaver)).statusCode, 403);

  // The last administrator: the page explains, and a direct POST is refused.
  const lastPage = await get(app, `/manage/staff/${adminMembership!.id}/remove`, admin);
  t.equal(lastPage.statusCode, 200);
  t.match(page(lastPage)('main').text(), /Alex Admin is the only administrator of Sandwell Council/);
  t.equal(page(lastPage)('button.govuk-button--warning').length, 0, 'no remove button');
  const before = await snapshot(database);
  const refused = await post(app, `/manage/staff/${adminMembership!.id}/remove`, {}, admin);
  t.equal(refused.statusCode, 400);
  t.same(formErrors(refused).summary.map((e) => e.href), ['#remove']);
  t.equal(await snapshot(database), before, 'nothing changed');
  t.equal((await post(app, `/manage/staff/${leaverMembership!.id}/remove`, {}, admin)).statusCode, 404, 'removing twice: not found');
});

t.test('staff of one organisation can never see or change another’s staff or invitations', async (t) => {
  const { app, database } = await buildTestApp(t);
  const a = await createBuyer(database, { name: 'Sandwell Council' });
  const b = await createBuyer(database, { name: 'Tipton Academy' });
  const adminA = await signedIn(app, database, { name: 'Ann of A', buyer: { buyerId: a.id, role: 'admin' } });
  const adminB = await signedIn(app, database, { name: 'Bob of B', buyer: { buyerId: b.id, role: 'admin' } });
  const staffB = await createUser(database, { name: 'Bea of B', buyer: { buyerId: b.id, role: 'viewer' } });
  const [adminBMembership] = await membershipOf(database, adminB.user.id);
  const [staffBMembership] = await membershipOf(database, staffB.id);
  t.equal((await post(app, '/manage/staff/invite', { email: 'b-invitee@example.org', role: 'viewer' }, adminB)).statusCode, 303);
  const [invitationB] = await database.db.select().from(userTokens).where(eq(userTokens.email, 'b-invitee@example.org'));

  const teamA = page(await get(app, '/manage/staff', adminA));
  t.notMatch(teamA('main').text(), /Bob of B|Bea of B|b-invitee/, 'A’s team page shows nothing of B');

  const before = await snapshot(database);
  for (const url of [`/manage/staff/${staffBMembership!.id}/role`, `/manage/staff/${staffBMembership!.id}/remove`, `/manage/staff/${adminBMembership!.id}/remove`]) {
    const res = await get(app, url, adminA);
    t.equal(res.statusCode, 404, `GET ${url}`);
    t.notMatch(res.body, /Bea of B|Bob of B/);
  }
  const attempts: [string, Record<string, string>][] = [
    [`/manage/staff/${staffBMembership!.id}/role`, { role: 'admin' }],
    [`/manage/staff/${staffBMembership!.id}/remove`, {}],
    [`/manage/staff/${adminBMembership!.id}/role`, { role: 'viewer' }],
    [`/manage/staff/${adminBMembership!.id}/remove`, {}],
    [`/manage/staff/invitations/${invitationB!.id}/withdraw`, {}],
  ];
  for (const [url, fields] of attempts) {
    const res = await post(app, url, fields, adminA);
    t.ok([403, 404].includes(res.statusCode), `POST ${url} refused (${res.statusCode})`);
  }
  // Nor by choosing B as the organisation to work for.
  t.equal((await post(app, '/manage/acting-organisation', { buyerId: String(b.id) }, adminA)).statusCode, 403);
  t.equal(page(await get(app, '/manage', adminA))('main').text().includes('working for Sandwell Council'), true, 'still working for A');
  t.equal(await snapshot(database), before, 'nothing of B changed');
});

t.test('an officer in several organisations chooses which one to work for', async (t) => {
  const { app, database } = await buildTestApp(t);
  const a = await createBuyer(database, { name: 'Sandwell Council' });
  const b = await createBuyer(database, { name: 'Tipton Academy' });
  const officer = await signedIn(app, database, { buyer: { buyerId: a.id, role: 'viewer' } });
  await database.db.insert(memberships).values({ userId: officer.user.id, buyerId: b.id, role: 'admin' });

  const home = page(await get(app, '/manage', officer));
  t.match(home('main').text(), /working for Sandwell Council as viewer/, 'the first by name at first');
  t.equal(home('input[name="buyerId"]').length, 2, 'a switcher with both');
  t.equal(home(`input[name="buyerId"][value="${a.id}"]`).attr('checked'), 'checked');
  t.equal(home('a[href="/manage/staff"]').length, 1, 'a link to the team page');
  t.equal((await get(app, '/manage/staff/invite', officer)).statusCode, 403, 'a viewer at Sandwell Council');

  const empty = await post(app, '/manage/acting-organisation', {}, officer);
  t.equal(empty.statusCode, 400);
  t.same(formErrors(empty).summary, [{ href: '#buyerId', text: 'Select the organisation you want to work for' }]);

  const switched = await post(app, '/manage/acting-organisation', { buyerId: String(b.id) }, officer);
  t.equal(switched.statusCode, 303);
  t.equal(switched.headers.location, '/manage');
  const after = page(await get(app, '/manage', officer));
  t.match(after('.govuk-notification-banner').text(), /You are now working for Tipton Academy/);
  t.match(after('main').text(), /working for Tipton Academy as administrator/);
  t.equal((await get(app, '/manage/staff/invite', officer)).statusCode, 200, 'an administrator at Tipton Academy');

  const back = await post(app, '/manage/acting-organisation', { buyerId: String(a.id), returnTo: '/manage/staff' }, officer);
  t.equal(back.headers.location, '/manage/staff', 'back to the page it came from');
  const offsite = await post(app, '/manage/acting-organisation', { buyerId: String(a.id), returnTo: '//evil.example.com/' }, officer);
  t.equal(offsite.headers.location, '/manage', 'never to another site');
  t.equal((await post(app, '/manage/acting-organisation', { buyerId: '999999' }, officer)).statusCode, 403);
  t.equal((await post(app, '/manage/acting-organisation', { buyerId: 'abc' }, officer)).statusCode, 403);

  const single = await signedIn(app, database, { buyer: { buyerId: a.id, role: 'editor' } });
  t.equal(page(await get(app, '/manage', single))('input[name="buyerId"]').length, 0, 'no switcher with one organisation');
});

t.test('a platform administrator invites an organisation’s first administrator', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database, { name: 'Tipton Academy' });
  const platform = await signedIn(app, database, { platformAdmin: true, name: 'Pat Platform' });

  const form = await get(app, `/admin/organisations/${buyer.id}/invite`, platform);
  t.equal(form.statusCode, 200);
  t.equal(page(form)('input[name="role"]').length, 0, 'always as an administrator');
  const before = await snapshot(database);
  const bad = await post(app, `/admin/organisations/${buyer.id}/invite`, { email: 'head@' }, platform);
  t.equal(bad.statusCode, 400);
  t.same(formErrors(bad).summary, [{ href: '#email', text: 'Enter an email address in the correct format, like name@example.com' }]);
  t.equal(await snapshot(database), before);

  const sent = await post(app, `/admin/organisations/${buyer.id}/invite`, { email: 'head@tipton.example.org' }, platform);
  t.equal(sent.statusCode, 303);
  t.equal(sent.headers.location, `/admin/organisations/${buyer.id}`);
  const [token] = await database.db.select().from(userTokens).where(eq(userTokens.email, 'head@tipton.example.org'));
  t.match(token, { purpose: 'staff_invite', data: { buyerId: buyer.id, role: 'admin', invitedByName: 'Pat Platform' } });
  const { rows } = await database.pool.query("select data from pgboss.job where name = 'mail.send'");
  t.equal(rows.length, 1, 'the invitation email is queued');
  t.match(rows[0].data, { to: 'head@tipton.example.org', template: 'staff-invite', data: { organisationName: 'Tipton Academy', roleName: 'Administrator' } });
  const detail = page(await get(app, `/admin/organisations/${buyer.id}`, platform));
  t.match(detail('.govuk-notification-banner').text(), /Invitation sent to head@tipton\.example\.org/);
  t.match(detail('main').text(), /head@tipton\.example\.org as administrator/);

  await createUser(database, { email: 'already@example.org', name: 'Al Ready', buyer: { buyerId: buyer.id, role: 'viewer' } });
  const member = await post(app, `/admin/organisations/${buyer.id}/invite`, { email: 'already@example.org' }, platform);
  t.equal(member.statusCode, 400);
  t.match(formErrors(member).fields.email, /Al Ready \(already@example\.org\) is already a member of Tipton Academy/);
});
