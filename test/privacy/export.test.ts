// "Your data": the page, and the JSON download of everything held about a user and their supplier.
import * as cheerio from 'cheerio';
import t from 'tap';
import { personalDataRegistry } from '../../src/modules/privacy/registry.js';
import '../../src/modules/privacy/registrations.js';
import { buildTestApp } from '../helper.js';
import { createUser } from '../support/auth.js';
import { awardTo, createBuyer, createSupplier, giveHistory, signedIn } from './world.js';

t.test('the download holds every registered section with the user’s data and nobody else’s', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const supplier = await createSupplier(database, 'Tipton Tool Library');
  const otherSupplier = await createSupplier(database, 'Wednesbury Wheels CIC');
  const colleague = await createUser(database, { name: 'Colleague Cara', email: 'cara@example.org', supplierId: supplier.id });
  const user = await signedIn(app, database, { name: 'Priya Patel', email: 'priya@example.org', supplierId: supplier.id, buyer: { buyerId: buyer.id, role: 'editor' } });
  await giveHistory(database, user, buyer.id);
  const { snapshot } = await awardTo(database, buyer.id, supplier);

  // Someone else entirely, with data of every kind: none of it may appear.
  const stranger = await signedIn(app, database, { name: 'Stanley Stranger', email: 'stanley@example.net', supplierId: otherSupplier.id });
  await giveHistory(database, stranger, buyer.id);
  await awardTo(database, buyer.id, otherSupplier);

  const res = await app.inject({ url: '/account/your-data/download', headers: { cookie: user.cookie } });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json; charset=utf-8/);
  t.match(res.headers['content-disposition'], /^attachment; filename="your-data-\d{4}-\d{2}-\d{2}\.json"$/);
  t.equal(res.headers['cache-control'], 'no-store');

  const data = res.json();
  t.same(Object.keys(data), ['generatedAt', 'user', 'sections'], 'the documented shape');
  t.ok(!Number.isNaN(Date.parse(data.generatedAt)));
  t.same(data.user, { id: user.id, name: 'Priya Patel', email: 'priya@example.org' });
  t.same(Object.keys(data.sections), personalDataRegistry.list().map((r) => r.name), 'every registered section, in order');
  for (const registration of personalDataRegistry.list()) t.equal(data.sections[registration.name].title, registration.describe.title);

  const s = data.sections;
  t.equal(s.account.data.email, 'priya@example.org');
  t.notOk(JSON.stringify(s.account).includes('$argon2'), 'no password hash');
  t.same(s.memberships.data.suppliers.map((m: { supplier: string }) => m.supplier), ['Tipton Tool Library']);
  t.same(s.memberships.data.buyerOrganisations.map((m: { role: string }) => m.role), ['editor']);
  t.equal(s.sessions.data.length, 1, 'the current sign-in');
  t.same(s.email_links.data.map((l: { purpose: string }) => l.purpose).sort(), ['reset_password', 'staff_invite']);
  t.notOk(JSON.stringify(s.email_links).match(/token|hash/i), 'no token secrets or hashes');
  t.same(s.attempt_counters.data.map((c: { counting: string; attempts: number }) => [c.counting, c.attempts]), [['sign-in:account', 1]]);
  t.equal(s.suppliers.data.length, 1);
  t.equal(s.suppliers.data[0].name, 'Tipton Tool Library');
  t.same(s.suppliers.data[0].otherMembers, ['Colleague Cara'], 'colleagues by name only');
  t.equal(s.audit_log.data.length, 1);
  t.equal(s.audit_log.data[0].action, 'opportunity.updated');
  t.equal(s.published_awards.data.records.length, 1);
  t.equal(s.published_awards.data.records[0].supplierName, snapshot.name);
  t.match(s.published_awards.data.note, /kept as the law requires/);

  const text = res.body;
  for (const foreign of ['stanley@example.net', 'Stanley Stranger', 'Wednesbury Wheels', colleague.email]) {
    t.notOk(text.includes(foreign), `nothing of another user's: ${foreign}`);
  }
});

t.test('a user with no supplier and no history gets every section, empty', async (t) => {
  const { app, database } = await buildTestApp(t);
  const user = await signedIn(app, database);
  const res = await app.inject({ url: '/account/your-data/download', headers: { cookie: user.cookie } });
  t.equal(res.statusCode, 200);
  const { sections } = res.json();
  t.same(Object.keys(sections), personalDataRegistry.list().map((r) => r.name));
  t.same(sections.suppliers.data, []);
  t.same(sections.published_awards.data.records, []);
  t.same(sections.audit_log.data, []);
});

t.test('the "Your data" page explains each section and links to the download', async (t) => {
  const { app, database } = await buildTestApp(t);
  const user = await signedIn(app, database);
  const res = await app.inject({ url: '/account/your-data', headers: { cookie: user.cookie } });
  t.equal(res.statusCode, 200);
  const $ = cheerio.load(res.body);
  t.equal($('h1').text().trim(), 'Your data');
  t.equal($('a.govuk-button[href="/account/your-data/download"]').text().trim(), 'Download your data');
  for (const registration of personalDataRegistry.list()) {
    t.equal($(`#section-${registration.name} dt`).text().trim(), registration.describe.title);
  }
  t.ok($('a[href="/account/delete"]').length, 'links to deleting the account');
  t.ok($('a[href="/privacy"]').length, 'links to the privacy notice');
});

t.test('anonymous visitors are sent to sign in, then back', async (t) => {
  const { app } = await buildTestApp(t);
  for (const url of ['/account/your-data', '/account/your-data/download', '/account/delete']) {
    const res = await app.inject({ url });
    t.equal(res.statusCode, 303, url);
    t.equal(res.headers.location, `/sign-in?returnTo=${encodeURIComponent(url)}`);
  }
});
