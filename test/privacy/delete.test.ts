// "Delete your account": confirmation, erasure of everything registered, published records kept,
// the refusals, and bad input changing nothing.
import * as cheerio from 'cheerio';
import { eq, sql } from 'drizzle-orm';
import t from 'tap';
import { memberships } from '../../src/modules/accounts/accounts.table.js';
import { auditLog } from '../../src/modules/audit/audit.table.js';
import { awardSuppliers, releases } from '../../src/modules/opportunities/opportunities.table.js';
import { eraseAccount } from '../../src/modules/privacy/privacy.service.js';
import { ERASED_USER_NAME, erasedEmail } from '../../src/modules/privacy/registrations.js';
import { suppliers } from '../../src/modules/suppliers/suppliers.table.js';
import { buildTestApp } from '../helper.js';
import { createUser, openForm, postForm, signInAs } from '../support/auth.js';
import { awardTo, count, createBuyer, createSupplier, giveHistory, signedIn, snapshotTables, userRow } from './world.js';

t.test('deleting the account erases the user, their sessions, links and memberships, and the supplier they alone belonged to', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const supplier = await createSupplier(database, 'Smethwick Sewing Co-op');
  const user = await signedIn(app, database, { name: 'Dana Doe', email: 'dana@example.org', supplierId: supplier.id });
  const otherDevice = await signInAs(app, user.email, user.password);
  await giveHistory(database, user, buyer.id);
  const { snapshot, opportunity } = await awardTo(database, buyer.id, supplier);
  // An invitation Dana sent to a colleague who never joined: it dies with the supplier.
  await database.pool.query(
    `insert into user_tokens (purpose, token_hash, email, data, expires_at) values ('supplier_invite', 'h-invite', 'friend@example.org', $1, now() + interval '1 day')`,
    [JSON.stringify({ supplierId: supplier.id })],
  );
  // Someone else's data must come through untouched.
  const bystander = await signedIn(app, database, { name: 'Bea Bystander' });
  await giveHistory(database, bystander, buyer.id);
  const releasesBefore = await database.db.select().from(releases).where(eq(releases.opportunityId, opportunity.id));
  const page = await app.inject({ url: '/account/delete', headers: { cookie: user.cookie } });
  t.equal(page.statusCode, 200);
  const $ = cheerio.load(page.body);
  t.equal($('h1').text().trim(), 'Delete your account');
  t.match($('#suppliers-deleted').text(), /only person who belongs to Smethwick Sewing Co-op/);
  t.match($('#kept').text(), /Published contract awards/);
  t.match($('#kept').text(), /Changes you made/);
  t.match($('#deleted').text(), /Your account/);
  t.equal($('label[for="email"]').length, 1, 'the confirmation field has a label');
  t.equal($('#email').attr('autocomplete'), 'off');

  const res = await postForm(app, '/account/delete', { email: ' DANA@example.org ' }, user.cookie);
  t.equal(res.statusCode, 200);
  const done = cheerio.load(res.body);
  t.equal(done('h1').text().trim(), 'Your account has been deleted');
  t.match(done('.govuk-panel__body').text(), /signed out/);
  t.equal(done('a[href="/account"]').length, 0, 'the layout no longer offers "Your account"');
  t.match(String(res.headers['set-cookie']), /portal_session=;/, 'the session cookie is cleared');

  const row = await userRow(database, user.id);
  t.equal(row.name, ERASED_USER_NAME);
  t.equal(row.email, erasedEmail(user.id));
  t.equal(row.passwordHash, null);
  t.equal(row.emailVerifiedAt, null);
  t.ok(row.erasedAt, 'erased_at set');

  for (const cookie of [user.cookie, otherDevice]) {
    const after = await app.inject({ url: '/account/your-data', headers: { cookie } });
    t.equal(after.statusCode, 303, 'an old cookie no longer works');
    t.match(after.headers.location, /^\/sign-in/);
  }
  t.equal(await count(database, sql`select count(*)::int as n from sessions where user_id = ${user.id}`), 0, 'sessions gone');
  t.equal(await count(database, sql`select count(*)::int as n from user_tokens where user_id = ${user.id} or lower(email) = 'dana@example.org'`), 0, 'links gone');
  t.equal(await count(database, sql`select count(*)::int as n from user_tokens where purpose = 'supplier_invite'`), 0, 'invitations to the deleted supplier gone');
  t.equal(await count(database, sql`select count(*)::int as n from rate_limit_counters where key like '%dana@example.org'`), 0, 'counters gone');
  t.equal(await count(database, sql`select count(*)::int as n from memberships where user_id = ${user.id}`), 0, 'memberships gone');
  t.equal((await database.db.select().from(suppliers).where(eq(suppliers.id, supplier.id))).length, 0, 'the supplier is deleted');

  const [kept] = await database.db.select().from(awardSuppliers).where(eq(awardSuppliers.id, snapshot.id));
  t.same({ ...kept, supplierId: snapshot.supplierId }, snapshot, 'the award snapshot is unchanged');
  t.equal(kept!.supplierId, null, 'only its link to the deleted profile is gone');
  t.same(await database.db.select().from(releases).where(eq(releases.opportunityId, opportunity.id)), releasesBefore, 'releases unchanged');

  const entries = await database.db.select().from(auditLog).where(eq(auditLog.actorUserId, user.id));
  const edit = entries.find((e) => e.action === 'opportunity.updated')!;
  t.equal(edit.actorLabel, ERASED_USER_NAME, 'the audit entry is kept, its actor anonymised');
  t.same(edit.before, { title: 'Old title' });
  t.same(edit.after, { title: 'New title', contact: erasedEmail(user.id), editedBy: ERASED_USER_NAME }, 'name and email scrubbed from its data');
  const erased = entries.find((e) => e.action === 'account.erased')!;
  t.ok(erased, 'an account.erased entry');
  const erasedText = JSON.stringify(erased);
  t.notOk(/dana|Dana Doe|Smethwick/i.test(erasedText), 'which holds no personal data');

  // The bystander is untouched.
  const other = await userRow(database, bystander.id);
  t.equal(other.name, 'Bea Bystander');
  t.equal(other.erasedAt, null);
  t.equal(await count(database, sql`select count(*)::int as n from user_tokens where user_id = ${bystander.id}`), 1);
  t.equal(await count(database, sql`select count(*)::int as n from sessions where user_id = ${bystander.id}`), 1);
  const theirs = await database.db.select().from(auditLog).where(eq(auditLog.actorUserId, bystander.id));
  t.equal(theirs[0]!.actorLabel, 'Bea Bystander');

  // The address is free again: signing in with it fails, registering it later is possible.
  const signIn = await openForm(app, '/sign-in');
  const attempt = await postForm(app, '/sign-in', { email: 'dana@example.org', password: user.password }, signIn.cookie, { csrf: signIn.csrf });
  t.not(attempt.statusCode, 303, 'cannot sign in any more');
});

t.test('a supplier with other members stays, without the departing member', async (t) => {
  const { app, database } = await buildTestApp(t);
  const supplier = await createSupplier(database);
  const stays = await createUser(database, { name: 'Sam Stays', supplierId: supplier.id });
  const leaves = await signedIn(app, database, { name: 'Lee Leaves', supplierId: supplier.id });
  const page = await app.inject({ url: '/account/delete', headers: { cookie: leaves.cookie } });
  t.match(cheerio.load(page.body)('#suppliers-kept').text(), /Other people belong to/);

  const res = await postForm(app, '/account/delete', { email: leaves.email }, leaves.cookie);
  t.equal(res.statusCode, 200);
  const [row] = await database.db.select().from(suppliers).where(eq(suppliers.id, supplier.id));
  t.same({ ...row, updatedAt: supplier.updatedAt }, supplier, 'the supplier is unchanged');
  const members = await database.db.select().from(memberships).where(eq(memberships.supplierId, supplier.id));
  t.same(members.map((m) => m.userId), [stays.id]);
});

t.test('an organisation admin may leave when another admin remains', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  await createUser(database, { buyer: { buyerId: buyer.id, role: 'admin' } });
  const admin = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'admin' } });
  const res = await postForm(app, '/account/delete', { email: admin.email }, admin.cookie);
  t.equal(res.statusCode, 200);
  t.ok((await userRow(database, admin.id)).erasedAt);
});

t.test('refused for a platform administrator and for the only admin of an organisation; nothing changes', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database, { name: 'Rowley Regis Town Council' });
  await createUser(database, { buyer: { buyerId: buyer.id, role: 'editor' } });
  const cases = [
    {
      label: 'platform administrator',
      grant: (userId: number) => database.pool.query('update users set is_platform_admin = true where id = $1', [userId]),
      reason: 'platform_admin',
      text: /another platform administrator to remove your administrator rights/,
    },
    {
      label: 'only admin',
      grant: (userId: number) => database.db.insert(memberships).values({ userId, buyerId: buyer.id, role: 'admin' }),
      reason: 'only_buyer_admin',
      text: /only administrator of Rowley Regis Town Council/,
    },
  ];
  for (const c of cases) {
    const user = await signedIn(app, database);
    // The form is opened before the role is granted: the check is made again on submit.
    const form = await openForm(app, '/account/delete', user.cookie);
    await c.grant(user.id);

    const page = await app.inject({ url: '/account/delete', headers: { cookie: user.cookie } });
    t.equal(page.statusCode, 200, `${c.label}: the page explains`);
    const $ = cheerio.load(page.body);
    t.equal($('h1').text().trim(), 'You cannot delete your account yet');
    t.match($('title').text(), /^You cannot delete your account yet/);
    t.equal($(`#blockers li[data-reason="${c.reason}"]`).length, 1);
    t.match($('#blockers').text(), c.text);
    t.equal($('form[action="/account/delete"]').length, 0, `${c.label}: no delete form`);

    const before = await snapshotTables(database);
    const res = await postForm(app, '/account/delete', { email: user.email }, form.cookie, { csrf: form.csrf });
    t.equal(res.statusCode, 409, `${c.label}: refused`);
    t.match(cheerio.load(res.body)('#blockers').text(), c.text);
    t.same(await snapshotTables(database), before, `${c.label}: nothing changed`);
    const wrongToo = await postForm(app, '/account/delete', { email: 'wrong@example.org' }, form.cookie, { csrf: form.csrf });
    t.equal(wrongToo.statusCode, 409, `${c.label}: the refusal comes before the typed address`);
    // The service checks again inside its transaction (the race the page cannot see).
    t.same((await eraseAccount(database.db, user.id)).status, 'refused', `${c.label}: the service refuses too`);
    t.same(await snapshotTables(database), before, `${c.label}: nothing changed`);
    const still = await app.inject({ url: '/account/your-data', headers: { cookie: user.cookie } });
    t.equal(still.statusCode, 200, `${c.label}: still signed in`);
  }
});

t.test('a wrong or missing confirmation gives the GOV.UK error pattern and changes nothing', async (t) => {
  const { app, database } = await buildTestApp(t);
  const user = await signedIn(app, database, { email: 'ola@example.org', supplierId: (await createSupplier(database)).id });
  const cases = [
    { email: '', message: 'Enter your email address to confirm' },
    { email: 'someone-else@example.org', message: 'Enter the email address you sign in with, exactly as shown' },
    { email: 'x'.repeat(300), message: 'Email address must be 254 characters or fewer' },
  ];
  for (const c of cases) {
    const before = await snapshotTables(database);
    const res = await postForm(app, '/account/delete', { email: c.email }, user.cookie);
    t.equal(res.statusCode, 400, c.message);
    const $ = cheerio.load(res.body);
    t.match($('title').text(), /^Error: /);
    t.same($('.govuk-error-summary__list a').map((_, a) => [[$(a).attr('href'), $(a).text().trim()]]).get(), [['#email', c.message]]);
    t.match($('#email-error').text(), c.message);
    t.equal($('#email').attr('value') ?? '', c.email, 'what was typed is kept');
    t.same(await snapshotTables(database), before, 'nothing changed');
  }
});

t.test('without a CSRF token: 403 and nothing changed', async (t) => {
  const { app, database } = await buildTestApp(t);
  const user = await signedIn(app, database);
  const before = await snapshotTables(database);
  const res = await postForm(app, '/account/delete', { email: user.email }, user.cookie, { csrf: null });
  t.equal(res.statusCode, 403);
  t.same(await snapshotTables(database), before);
  const wrong = await postForm(app, '/account/delete', { email: user.email }, user.cookie, { csrf: 'not-the-token' });
  t.equal(wrong.statusCode, 403);
  t.same(await snapshotTables(database), before);
});

t.test('anonymous posts are sent to sign in and change nothing', async (t) => {
  const { app, database } = await buildTestApp(t);
  const user = await createUser(database);
  const { csrf, cookie } = await openForm(app, '/sign-in');
  const before = await snapshotTables(database);
  const res = await postForm(app, '/account/delete', { email: user.email }, cookie, { csrf });
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, /^\/sign-in/);
  t.same(await snapshotTables(database), before);
});

t.test('two last members deleting at once cannot both leave the supplier behind', async (t) => {
  const { app, database } = await buildTestApp(t);
  const supplier = await createSupplier(database);
  const a = await signedIn(app, database, { supplierId: supplier.id });
  const b = await signedIn(app, database, { supplierId: supplier.id });
  const [formA, formB] = await Promise.all([openForm(app, '/account/delete', a.cookie), openForm(app, '/account/delete', b.cookie)]);
  const results = await Promise.all([
    postForm(app, '/account/delete', { email: a.email }, formA.cookie, { csrf: formA.csrf }),
    postForm(app, '/account/delete', { email: b.email }, formB.cookie, { csrf: formB.csrf }),
  ]);
  t.same(results.map((r) => r.statusCode), [200, 200]);
  t.equal((await database.db.select().from(suppliers).where(eq(suppliers.id, supplier.id))).length, 0, 'the supplier went with the last of them');
});
