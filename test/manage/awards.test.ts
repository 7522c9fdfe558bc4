/**
 * Awarding contracts through the staff pages (/manage/opportunities/:id/awards/new): per lot, to
 * registered and named suppliers, with snapshots of each supplier; refusals (bids open, cancelled,
 * already awarded), validation, add/remove rows without JavaScript, conflicts and access.
 */
import * as cheerio from 'cheerio';
import { asc, eq } from 'drizzle-orm';
import t from 'tap';
import { londonDate } from '../../src/lib/london-time.js';
import { auditLog } from '../../src/modules/audit/audit.table.js';
import { awards, awardSuppliers, opportunities, releases } from '../../src/modules/opportunities/opportunities.table.js';
import type { PublicOpportunity } from '../../src/modules/opportunities/opportunities.snapshot.js';
import { suppliers } from '../../src/modules/suppliers/suppliers.table.js';
import { buildTestApp, type TestContext } from '../helper.js';
import { get, post, signedIn, type Session } from '../admin/support.js';
import { formErrors, createSupplier } from '../suppliers/support.js';
import { addLot, createBuyer, createOpportunity, publish } from '../support/factories.js';
import type { App } from '../../src/app.js';
import type { Database } from '../../src/db/client.js';

const DAY = 86_400_000;

interface Scenario {
  app: App;
  database: Database;
  /** The app's clock: tests move it. */
  clock: { now: Date };
  buyerId: number;
  opportunityId: number;
  lotIds: number[];
  editor: Session;
  url: string;
}

/**
 * A published opportunity of a new buyer (open, with its tender deadline already passed unless
 * `deadline` says otherwise), with `lots` lots, and an editor of the buyer signed in.
 */
async function scenario(t: TestContext, options: { lots?: number; deadline?: Date; stage?: 'open' | 'closed' | 'planned'; cancelled?: boolean } = {}): Promise<Scenario> {
  const clock = { now: new Date() };
  const { app, database } = await buildTestApp(t, { clock: () => clock.now });
  const buyer = await createBuyer(database);
  const opportunity = await createOpportunity(database, buyer.id, {
    stage: options.stage ?? 'open',
    tenderDeadline: options.deadline ?? new Date(clock.now.getTime() - 2 * DAY),
    contractStart: '2027-04-01',
    contractEnd: '2029-03-31',
  });
  const lotIds: number[] = [];
  for (let position = 1; position <= (options.lots ?? 0); position++) {
    lotIds.push((await addLot(database, opportunity.id, position, position === 1 ? 'North parks' : `Area ${position}`, 4_000_000 * position)).id);
  }
  await publish(database, opportunity.id, { at: new Date(clock.now.getTime() - 30 * DAY), cancelled: options.cancelled ?? false });
  const editor = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'editor' } });
  return { app, database, clock, buyerId: buyer.id, opportunityId: opportunity.id, lotIds, editor, url: `/manage/opportunities/${opportunity.id}/awards/new` };
}

async function versionOf(database: Database, id: number): Promise<number> {
  const [row] = await database.db.select({ version: opportunities.version }).from(opportunities).where(eq(opportunities.id, id));
  return row!.version;
}

function dateFields(prefix: string, iso: string): Record<string, string> {
  const [year, month, day] = iso.split('-');
  return { [`${prefix}-day`]: String(Number(day)), [`${prefix}-month`]: String(Number(month)), [`${prefix}-year`]: year! };
}

/** A complete award form for lot number `lot` (null: the whole contract) with a supplier per row; override any field. */
function awardForm(s: Scenario, version: number, lot: number | null, rows: Record<string, string>[], overrides: Record<string, string> = {}): Record<string, string> {
  const fields: Record<string, string> = {
    version: String(version),
    lot: lot === null ? '' : String(s.lotIds[lot - 1]),
    suppliers: String(rows.length),
    action: 'award',
    ...dateFields('awardedOn', londonDate(new Date(s.clock.now.getTime() - DAY))),
    value: '120,000',
    ...dateFields('contractStart', '2027-04-01'),
    ...dateFields('contractEnd', '2029-03-31'),
    socialValueCommitments: 'Two apprenticeships for local young people.',
  };
  rows.forEach((row, index) => {
    for (const [key, value] of Object.entries(row)) fields[`supplier-${index}-${key}`] = value;
  });
  return { ...fields, ...overrides };
}

const named = (overrides: Record<string, string> = {}) => ({
  kind: 'named',
  name: 'Smethwick Community Gardens CIC',
  companiesHouseNumber: '1234567',
  charityNumber: '',
  charityRegister: 'england_wales',
  postcode: 'b66 1aa',
  size: 'micro',
  vcse: 'yes',
  value: '20000',
  ...overrides,
});

/** What an award writes: awards, their suppliers, releases, the version and audit entries. */
async function written(database: Database, opportunityId: number) {
  const [awardRows, supplierRows, releaseRows, version, audit] = await Promise.all([
    database.db.select().from(awards).where(eq(awards.opportunityId, opportunityId)),
    database.db.select().from(awardSuppliers),
    database.db.select().from(releases).where(eq(releases.opportunityId, opportunityId)),
    versionOf(database, opportunityId),
    database.db.select().from(auditLog),
  ]);
  return { awards: awardRows.length, suppliers: supplierRows.length, releases: releaseRows.length, version, audit: audit.length };
}

t.test('awarding lot 1 to a registered and a named supplier, and lot 2 to one: snapshots, releases and the public page', async (t) => {
  const s = await scenario(t, { lots: 2 });
  const registered = await createSupplier(s.database, { name: 'Oldbury Grounds Ltd', postcode: 'B69 3DE', local: true, size: 'small', vcse: false, companiesHouseNumber: '07654321' });

  // With lots, the officer first chooses which lot.
  const choose = await get(s.app, s.url, s.editor);
  t.equal(choose.statusCode, 200);
  let $ = cheerio.load(choose.body);
  t.same($('input[name="lot"]').map((_, el) => $(el).attr('value')).get(), ['1', '2'], 'both lots can be chosen');
  const unchosen = await get(s.app, `${s.url}?chosen=yes`, s.editor);
  t.equal(unchosen.statusCode, 400, 'continuing without choosing a lot is an error');
  t.same(formErrors(unchosen.body).summary, [{ href: '#lot', text: 'Select the lot you are awarding' }]);

  const page = await get(s.app, `${s.url}?lot=1`, s.editor);
  t.equal(page.statusCode, 200);
  $ = cheerio.load(page.body);
  t.match($('h1').text(), 'Award lot 1: North parks');
  t.equal($('input[name="version"]').attr('value'), String(await versionOf(s.database, s.opportunityId)));
  t.equal($('input[name="value"]').attr('value'), undefined, 'the estimate is not offered as the awarded value');
  t.equal($('input[name="contractStart-year"]').attr('value'), '2027', 'contract dates come from the opportunity');
  t.ok($(`select[name="supplier-0-supplierId"] option[value="${registered.id}"]`).text().includes('Oldbury Grounds Ltd (B69 3DE)'), 'registered suppliers are listed with their postcode');

  const version = await versionOf(s.database, s.opportunityId);
  const first = await post(
    s.app,
    s.url,
    awardForm(s, version, 1, [{ kind: 'registered', supplierId: String(registered.id), value: '100000' }, named()]),
    s.editor,
  );
  t.equal(first.statusCode, 303, first.body);
  t.equal(first.headers.location, `/manage/opportunities/${s.opportunityId}`);
  const staffPage = await get(s.app, first.headers.location as string, s.editor);
  t.match(cheerio.load(staffPage.body)('.govuk-notification-banner').text(), 'Lot 1 has been awarded', 'the staff page says so');

  const [award] = await s.database.db.select().from(awards).where(eq(awards.opportunityId, s.opportunityId));
  t.match(award, { lotId: s.lotIds[0], valuePence: 12_000_000, awardedOn: londonDate(new Date(s.clock.now.getTime() - DAY)), contractStart: '2027-04-01', contractEnd: '2029-03-31', socialValueCommitments: 'Two apprenticeships for local young people.' });
  const snapshots = await s.database.db.select().from(awardSuppliers).where(eq(awardSuppliers.awardId, award!.id)).orderBy(asc(awardSuppliers.id));
  t.match(snapshots, [
    { supplierId: registered.id, name: 'Oldbury Grounds Ltd', companiesHouseNumber: '07654321', postcode: 'B69 3DE', size: 'small', local: true, vcse: false, valuePence: 10_000_000 },
    { supplierId: null, name: 'Smethwick Community Gardens CIC', companiesHouseNumber: '01234567', charityNumber: null, postcode: 'B66 1AA', size: 'micro', local: true, vcse: true, valuePence: 2_000_000 },
  ]);
  const [opportunity] = await s.database.db.select().from(opportunities).where(eq(opportunities.id, s.opportunityId));
  t.equal(opportunity!.stage, 'awarded');

  // Lot 1 is no longer offered; awarding it again is refused.
  $ = cheerio.load((await get(s.app, s.url, s.editor)).body);
  t.same($('input[name="lot"]').map((_, el) => $(el).attr('value')).get(), ['2'], 'only lot 2 is left to award');
  const again = await get(s.app, `${s.url}?lot=1`, s.editor);
  t.equal(again.statusCode, 409);
  t.match(again.body, 'Lot 1 has already been awarded');
  const before = await written(s.database, s.opportunityId);
  const twice = await post(s.app, s.url, awardForm(s, before.version, 1, [named()]), s.editor);
  t.equal(twice.statusCode, 409, 'awarding the same lot twice is refused');
  t.match(twice.body, 'Lot 1 has already been awarded');
  t.same(await written(s.database, s.opportunityId), before, 'nothing was written');

  // The registered supplier changes its profile: the published award keeps what was recorded.
  await s.database.db.update(suppliers).set({ name: 'Renamed Holdings plc', postcode: 'SW1A 1AA', local: false, size: 'large' }).where(eq(suppliers.id, registered.id));

  const second = await post(s.app, s.url, awardForm(s, before.version, 2, [named({ name: 'Tipton Trees Ltd', companiesHouseNumber: 'sc123456', postcode: 'DY4 7AA', size: 'large', vcse: '' })]), s.editor);
  t.equal(second.statusCode, 303, second.body);

  const releaseRows = await s.database.db.select().from(releases).where(eq(releases.opportunityId, s.opportunityId)).orderBy(asc(releases.sequence));
  t.equal(releaseRows.length, 3, 'the publication and one release per award');
  t.same(releaseRows[1]!.tags, ['award', 'contract']);
  t.equal(releaseRows[1]!.changeNote, 'Lot 1 awarded to Oldbury Grounds Ltd and Smethwick Community Gardens CIC.');
  t.same(releaseRows[2]!.tags, ['award', 'contract']);
  t.equal(releaseRows[2]!.changeNote, 'Lot 2 awarded to Tipton Trees Ltd.');
  const latest = releaseRows[2]!.snapshot as PublicOpportunity;
  t.equal(latest.awards.length, 2);
  t.equal(latest.awards[0]!.suppliers[0]!.name, 'Oldbury Grounds Ltd', 'the later release still has the supplier as it was at award');
  t.equal(latest.awards[1]!.suppliers[0]!.companiesHouseNumber, 'SC123456');
  const awardAudits = await s.database.db.select().from(auditLog).where(eq(auditLog.action, 'opportunity.award_added'));
  t.equal(awardAudits.length, 2, 'each award is audited');

  // The public page shows both lots' awards with what was recorded about each supplier.
  const publicPage = await s.app.inject({ url: `/opportunities/${s.opportunityId}` });
  t.equal(publicPage.statusCode, 200);
  $ = cheerio.load(publicPage.body);
  t.ok($('h2').filter((_, el) => $(el).text().includes('Who won the contract')).length, 'the award section is shown');
  const headings = $('h3').map((_, el) => $(el).text().trim()).get();
  t.ok(headings.includes('Lot 1: North parks') && headings.includes('Lot 2: Area 2'), 'both lots’ awards are shown');
  const rows = $('table tbody tr').map((_, tr) => $(tr).text().replace(/\s+/g, ' ').trim()).get();
  const row = (name: string) => rows.find((r) => r.includes(name)) ?? '';
  t.match(row('Oldbury Grounds Ltd'), /Local.*Small or medium business/);
  t.notMatch(row('Oldbury Grounds Ltd'), 'Charity or social enterprise');
  t.match(row('Smethwick Community Gardens CIC'), /Local.*Small or medium business.*Charity or social enterprise/);
  t.notMatch(row('Tipton Trees Ltd'), /Small or medium business|Charity/);
  t.match(row('Tipton Trees Ltd'), 'Local', 'DY4 is one of the configured local districts');
  t.notMatch(publicPage.body, 'Renamed Holdings plc', 'a later profile change does not reach the published award');
});

t.test('the whole contract of an opportunity without lots; the deadline has passed but the stage is still open', async (t) => {
  const s = await scenario(t);
  const page = await get(s.app, s.url, s.editor);
  t.equal(page.statusCode, 200, 'no lot to choose: the form straight away');
  t.match(cheerio.load(page.body)('h1').text(), 'Award the contract');
  t.equal((await get(s.app, `${s.url}?lot=1`, s.editor)).statusCode, 404, 'there are no lots to name');
  t.equal(cheerio.load(page.body)('input[name="supplier-0-kind"]').length, 0, 'no supplier is registered on the portal: no choice, only details to enter');
  const empty = await post(s.app, s.url, awardForm(s, await versionOf(s.database, s.opportunityId), null, [{ size: '', charityRegister: 'england_wales' }]), s.editor);
  t.equal(empty.statusCode, 400);
  t.same(formErrors(empty.body).summary, [{ href: '#supplier-0-name', text: 'Add at least one supplier the contract was awarded to' }]);

  const version = await versionOf(s.database, s.opportunityId);
  const response = await post(s.app, s.url, awardForm(s, version, null, [named({ companiesHouseNumber: '', charityNumber: 'SC012345', charityRegister: 'scotland', postcode: '' })], { socialValueCommitments: '', 'contractStart-day': '', 'contractStart-month': '', 'contractStart-year': '', 'contractEnd-day': '', 'contractEnd-month': '', 'contractEnd-year': '' }), s.editor);
  t.equal(response.statusCode, 303, response.body);
  const [award] = await s.database.db.select().from(awards).where(eq(awards.opportunityId, s.opportunityId));
  t.match(award, { lotId: null, contractStart: null, contractEnd: null, socialValueCommitments: null });
  const [snapshot] = await s.database.db.select().from(awardSuppliers).where(eq(awardSuppliers.awardId, award!.id));
  t.match(snapshot, { charityNumber: 'SC012345', companiesHouseNumber: null, postcode: null, local: false, vcse: true });

  const again = await get(s.app, s.url, s.editor);
  t.equal(again.statusCode, 409);
  t.match(again.body, 'This contract has already been awarded');
});

t.test('awarding is refused while bids are open, before publishing and after cancelling', async (t) => {
  t.test('bids still open', async (t) => {
    const s = await scenario(t, { deadline: new Date(Date.now() + 7 * DAY) });
    const page = await get(s.app, s.url, s.editor);
    t.equal(page.statusCode, 409);
    t.match(page.body, 'Bids are still open');
    const before = await written(s.database, s.opportunityId);
    const response = await post(s.app, s.url, awardForm(s, before.version, null, [named()]), s.editor);
    t.equal(response.statusCode, 409);
    t.match(response.body, 'Bids are still open');
    t.same(await written(s.database, s.opportunityId), before, 'nothing was written');

    // Once the clock passes the deadline, the same opportunity (still "open") can be awarded.
    s.clock.now = new Date(Date.now() + 8 * DAY);
    t.equal((await get(s.app, s.url, s.editor)).statusCode, 200);
    const awarded = await post(s.app, s.url, awardForm(s, before.version, null, [named()]), s.editor);
    t.equal(awarded.statusCode, 303, awarded.body);
  });

  t.test('cancelled', async (t) => {
    const s = await scenario(t, { cancelled: true });
    const page = await get(s.app, s.url, s.editor);
    t.equal(page.statusCode, 409);
    t.match(page.body, 'This opportunity has been cancelled, so it cannot be awarded.');
    const before = await written(s.database, s.opportunityId);
    const response = await post(s.app, s.url, awardForm(s, before.version, null, [named()]), s.editor);
    t.equal(response.statusCode, 409);
    t.same(await written(s.database, s.opportunityId), before);
  });

  t.test('planned, not yet open for bids', async (t) => {
    const s = await scenario(t, { lots: 2, stage: 'planned' });
    const page = await get(s.app, s.url, s.editor);
    t.equal(page.statusCode, 409, 'refused before even choosing a lot');
    t.match(page.body, 'cannot be awarded yet');
  });

  t.test('a draft', async (t) => {
    const clock = { now: new Date() };
    const { app, database } = await buildTestApp(t, { clock: () => clock.now });
    const buyer = await createBuyer(database);
    const draft = await createOpportunity(database, buyer.id);
    const editor = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'editor' } });
    const page = await get(app, `/manage/opportunities/${draft.id}/awards/new`, editor);
    t.equal(page.statusCode, 409);
    t.match(page.body, 'has not been published yet');
  });
});

t.test('bad input: 400 with the GOV.UK error pattern, values kept, nothing written', async (t) => {
  const s = await scenario(t, { lots: 1 });
  const registered = await createSupplier(s.database, { name: 'Oldbury Grounds Ltd' });
  const before = await written(s.database, s.opportunityId);
  const future = londonDate(new Date(s.clock.now.getTime() + 2 * DAY));
  const cases: { name: string; fields: Record<string, string>; errors: { href: string; text: RegExp | string }[] }[] = [
    {
      name: 'no suppliers',
      fields: awardForm(s, before.version, 1, [{}]),
      errors: [{ href: '#supplier-0-kind', text: 'Add at least one supplier the contract was awarded to' }],
    },
    {
      name: 'a supplier row without a choice',
      fields: awardForm(s, before.version, 1, [{ value: '5' }]),
      errors: [{ href: '#supplier-0-kind', text: 'Select whether supplier 1 is registered on this portal' }],
    },
    {
      name: 'money, Companies House number, postcode and size',
      fields: awardForm(s, before.version, 1, [named({ companiesHouseNumber: 'XX1', postcode: 'nowhere', size: '', value: '12.345' })], { value: 'lots' }),
      errors: [
        { href: '#value', text: 'Total value must be an amount in pounds, like 25,000 or 25,000.50' },
        { href: '#supplier-0-value', text: /^The value for supplier 1 must be an amount in pounds/ },
        { href: '#supplier-0-companiesHouseNumber', text: /^Supplier 1: enter a Companies House number/ },
        { href: '#supplier-0-postcode', text: 'Supplier 1: enter a real postcode, like B66 1AA' },
        { href: '#supplier-0-size', text: 'Select the size of supplier 1, or “Not known”' },
      ],
    },
    {
      name: 'award date in the future, contract ending before it starts',
      fields: awardForm(s, before.version, 1, [named()], { ...dateFields('awardedOn', future), ...dateFields('contractEnd', '2027-03-01') }),
      errors: [
        { href: '#awardedOn-day', text: 'The date of the award must be today or in the past' },
        { href: '#contractEnd-day', text: 'The contract end date must be after the start date' },
      ],
    },
    {
      name: 'a named supplier without a name, a bad charity number',
      fields: awardForm(s, before.version, 1, [named({ name: '', companiesHouseNumber: '', charityNumber: '99' })]),
      errors: [
        { href: '#supplier-0-name', text: 'Enter the name of supplier 1' },
        { href: '#supplier-0-charityNumber', text: /^Supplier 1: enter a charity number for England and Wales/ },
      ],
    },
    {
      name: 'a registered supplier not chosen, and one chosen twice',
      fields: awardForm(s, before.version, 1, [
        { kind: 'registered', supplierId: '' },
        { kind: 'registered', supplierId: String(registered.id) },
        { kind: 'registered', supplierId: String(registered.id) },
      ]),
      errors: [
        { href: '#supplier-0-supplierId', text: 'Choose supplier 1 from the list of registered suppliers' },
        { href: '#supplier-2-supplierId', text: 'Supplier 3 is the same as supplier 2: choose a different supplier or remove it' },
      ],
    },
    {
      name: 'no award date or total value',
      fields: awardForm(s, before.version, 1, [named()], { 'awardedOn-day': '', 'awardedOn-month': '', 'awardedOn-year': '', value: '' }),
      errors: [
        { href: '#awardedOn-day', text: 'Enter the date the contract was awarded' },
        { href: '#value', text: 'Enter the total value of the contract awarded' },
      ],
    },
  ];
  for (const c of cases) {
    const response = await post(s.app, s.url, c.fields, s.editor);
    t.equal(response.statusCode, 400, `${c.name}: 400`);
    const page = formErrors(response.body);
    t.match(page.title, /^Error: /, `${c.name}: the title says so`);
    t.equal(page.summary.length, c.errors.length, `${c.name}: ${JSON.stringify(page.summary)}`);
    for (const expected of c.errors) {
      const found = page.summary.find((e) => e.href === expected.href);
      t.ok(found, `${c.name}: the summary links to ${expected.href}`);
      t.match(found?.text ?? '', expected.text, `${c.name}: ${expected.href}`);
      t.ok(page.has(expected.href.slice(1)), `${c.name}: ${expected.href} is on the page`);
    }
    t.equal(page.value('socialValueCommitments'), c.fields.socialValueCommitments, `${c.name}: values are kept`);
    t.equal(page.value('supplier-0-name'), c.fields['supplier-0-name'] ?? '', `${c.name}: row values are kept`);
  }
  t.same(await written(s.database, s.opportunityId), before, 'nothing was written');
});

t.test('adding and removing supplier rows without JavaScript keeps what was typed', async (t) => {
  const s = await scenario(t);
  const registered = await createSupplier(s.database, { name: 'Oldbury Grounds Ltd' });
  const before = await written(s.database, s.opportunityId);

  const added = await post(s.app, s.url, awardForm(s, before.version, null, [named()], { action: 'add' }), s.editor);
  t.equal(added.statusCode, 200);
  let page = formErrors(added.body);
  t.same(page.summary, [], 'no errors shown for adding a row');
  t.equal(page.value('supplier-0-name'), 'Smethwick Community Gardens CIC');
  t.equal(page.value('supplier-0-kind'), 'named');
  t.equal(page.value('supplier-0-vcse'), 'yes');
  t.equal(page.$('select[name="supplier-0-size"] option[selected]').attr('value'), 'micro');
  t.equal(page.value('value'), '120,000');
  t.equal(page.value('awardedOn-year'), String(new Date(s.clock.now.getTime() - DAY).getUTCFullYear()));
  t.ok(page.has('supplier-1-kind'), 'an empty second row');
  t.equal(page.value('supplier-1-name'), '');
  t.equal(page.$('input[name="suppliers"]').attr('value'), '2');
  t.equal(page.$('button[value="remove-1"]').length, 1, 'each row can be removed once there are two');

  // Three rows; remove the first: the others move up, with their values.
  const three = awardForm(s, before.version, null, [named(), { kind: 'registered', supplierId: String(registered.id), value: '7' }, named({ name: 'Third Ltd' })], { action: 'remove-0' });
  const removed = await post(s.app, s.url, three, s.editor);
  t.equal(removed.statusCode, 200);
  page = formErrors(removed.body);
  t.equal(page.$('input[name="suppliers"]').attr('value'), '2');
  t.equal(page.value('supplier-0-kind'), 'registered');
  t.equal(page.$('select[name="supplier-0-supplierId"] option[selected]').attr('value'), String(registered.id));
  t.equal(page.value('supplier-0-value'), '7');
  t.equal(page.value('supplier-1-name'), 'Third Ltd');
  t.notOk(page.has('supplier-2-kind'), 'no third row');

  // Pressing Enter sends the hidden first button: award, never "remove".
  const $ = cheerio.load(removed.body);
  t.equal($('form[method="post"] button').first().attr('value'), 'award');

  // At most 20 rows.
  const twenty = awardForm(s, before.version, null, Array.from({ length: 20 }, (_, i) => named({ name: `Supplier ${i + 1}` })), { action: 'add' });
  const tooMany = await post(s.app, s.url, twenty, s.editor);
  t.equal(tooMany.statusCode, 400);
  page = formErrors(tooMany.body);
  t.same(page.summary, [{ href: '#suppliers', text: 'You can add up to 20 suppliers to one award' }]);
  t.ok(page.has('suppliers'));
  t.equal(page.$('input[name="suppliers"]').attr('value'), '20');
  t.equal(page.value('supplier-19-name'), 'Supplier 20');

  t.equal((await post(s.app, s.url, awardForm(s, before.version, null, [named()], { action: 'remove-5' }), s.editor)).statusCode, 400, 'removing a row that is not there');
  t.same(await written(s.database, s.opportunityId), before, 'nothing was written');

  // And the form with three rows awards all three.
  const awarded = await post(s.app, s.url, { ...three, action: 'award', 'supplier-2-name': 'Third Ltd' }, s.editor);
  t.equal(awarded.statusCode, 303, awarded.body);
  t.equal((await s.database.db.select().from(awardSuppliers)).length, 3);
});

t.test('with more than 500 registered suppliers, a registered supplier is found by its number', async (t) => {
  const s = await scenario(t);
  await s.database.db.insert(suppliers).values(
    Array.from({ length: 501 }, (_, i) => ({ name: `Bulk Supplier ${i}`, legalForm: 'private_limited_company' as const, size: 'small' as const, companiesHouseNumber: String(10_000_000 + i) })),
  );
  const charity = await createSupplier(s.database, { name: 'Sandwell Youth Trust', legalForm: 'charity_cio', companiesHouseNumber: null, charityNumber: '1123456', charityRegister: 'england_wales', vcse: true, size: 'micro' });

  const page = await get(s.app, s.url, s.editor);
  t.equal(page.statusCode, 200);
  const $ = cheerio.load(page.body);
  t.equal($('select[name="supplier-0-supplierId"]').length, 0, 'no list of 500+ suppliers');
  t.equal($('input[name="supplier-0-identifier"]').length, 1, 'a box for the number instead');

  const before = await written(s.database, s.opportunityId);
  const unknown = await post(s.app, s.url, awardForm(s, before.version, null, [{ kind: 'registered', identifier: '09999999' }]), s.editor);
  t.equal(unknown.statusCode, 400);
  t.match(formErrors(unknown.body).fieldError('supplier-0-identifier'), 'No supplier registered on this portal has the number 09999999');
  const malformed = await post(s.app, s.url, awardForm(s, before.version, null, [{ kind: 'registered', identifier: 'hello' }]), s.editor);
  t.equal(malformed.statusCode, 400);
  t.match(formErrors(malformed.body).fieldError('supplier-0-identifier'), 'in the correct format');
  t.same(await written(s.database, s.opportunityId), before);

  const response = await post(s.app, s.url, awardForm(s, before.version, null, [{ kind: 'registered', identifier: '10000007', value: '1' }, { kind: 'registered', identifier: '1123456' }]), s.editor);
  t.equal(response.statusCode, 303, response.body);
  const rows = await s.database.db.select().from(awardSuppliers).orderBy(asc(awardSuppliers.id));
  t.match(rows, [{ name: 'Bulk Supplier 7', companiesHouseNumber: '10000007', valuePence: 100 }, { supplierId: charity.id, name: 'Sandwell Youth Trust', vcse: true }]);
});

t.test('a stale version is a conflict: nothing written, the form comes back with the new version', async (t) => {
  const s = await scenario(t, { lots: 2 });
  const version = await versionOf(s.database, s.opportunityId);
  // Someone else awards lot 2 meanwhile (the version moves on).
  const other = await post(s.app, s.url, awardForm(s, version, 2, [named({ name: 'First Come Ltd' })]), s.editor);
  t.equal(other.statusCode, 303);
  const before = await written(s.database, s.opportunityId);

  const response = await post(s.app, s.url, awardForm(s, version, 1, [named()]), s.editor);
  t.equal(response.statusCode, 409);
  const page = formErrors(response.body);
  t.match(page.$('.govuk-notification-banner').text(), 'This opportunity has changed since you opened this form');
  t.equal(page.$(`.govuk-notification-banner a[href="/manage/opportunities/${s.opportunityId}/awards/new?lot=1"]`).length, 1, 'a link to start again');
  t.equal(page.$('input[name="version"]').attr('value'), String(before.version), 'sending it again uses the current version');
  t.equal(page.value('supplier-0-name'), 'Smethwick Community Gardens CIC', 'what was typed is kept');
  t.same(await written(s.database, s.opportunityId), before, 'nothing was written');

  const resent = await post(s.app, s.url, awardForm(s, before.version, 1, [named()]), s.editor);
  t.equal(resent.statusCode, 303, 'sent again, it is awarded');
});

t.test('the lot is named by its id: renumbered lots are a conflict about the right lot, removed ones a refusal', async (t) => {
  const s = await scenario(t, { lots: 3 });
  const version = await versionOf(s.database, s.opportunityId);
  // Someone removes lot 1 meanwhile: lot 2 becomes lot 1, lot 3 becomes lot 2.
  await s.database.pool.query('delete from lots where id = $1', [s.lotIds[0]]);
  await s.database.pool.query('update lots set position = position - 1 where opportunity_id = $1', [s.opportunityId]);
  await s.database.pool.query('update opportunities set version = version + 1 where id = $1', [s.opportunityId]);
  const before = await written(s.database, s.opportunityId);

  const removed = await post(s.app, s.url, awardForm(s, version, 1, [named()]), s.editor);
  t.equal(removed.statusCode, 409, 'the lot the form was for has gone');
  t.match(removed.body, 'The lots of this opportunity have changed since you opened the form');

  const renumbered = await post(s.app, s.url, awardForm(s, version, 2, [named()]), s.editor);
  t.equal(renumbered.statusCode, 409);
  const $ = cheerio.load(renumbered.body);
  t.match($('h1').text(), 'Award lot 1: Area 2', 'the form is still for the same lot, under its new number');
  t.equal($('input[name="lot"]').attr('value'), String(s.lotIds[1]));
  t.match($('.govuk-notification-banner').text(), 'This opportunity has changed');
  t.equal((await post(s.app, s.url, awardForm(s, before.version, null, [named()]), s.editor)).statusCode, 409, 'a whole-contract form for an opportunity with lots');
  t.same(await written(s.database, s.opportunityId), before, 'nothing was written');
});

t.test('access: other organisations, viewers, anonymous visitors and missing CSRF tokens', async (t) => {
  const s = await scenario(t);
  const before = await written(s.database, s.opportunityId);
  const fields = awardForm(s, before.version, null, [named()]);

  const otherBuyer = await createBuyer(s.database);
  const outsider = await signedIn(s.app, s.database, { buyer: { buyerId: otherBuyer.id, role: 'admin' } });
  t.equal((await get(s.app, s.url, outsider)).statusCode, 404, 'another organisation’s opportunity is not found');
  t.equal((await post(s.app, s.url, fields, outsider)).statusCode, 404);

  const viewer = await signedIn(s.app, s.database, { buyer: { buyerId: s.buyerId, role: 'viewer' } });
  t.equal((await get(s.app, s.url, viewer)).statusCode, 403, 'viewers may not award');
  t.equal((await post(s.app, s.url, fields, viewer)).statusCode, 403);

  const anonymous = await s.app.inject({ url: s.url });
  t.equal(anonymous.statusCode, 303, 'anonymous visitors are sent to sign in');

  t.equal((await post(s.app, s.url, fields, s.editor, { csrf: null })).statusCode, 403, 'no CSRF token');
  t.equal((await get(s.app, '/manage/opportunities/999999/awards/new', s.editor)).statusCode, 404);
  t.equal((await get(s.app, '/manage/opportunities/abc/awards/new', s.editor)).statusCode, 404);
  t.equal((await post(s.app, s.url, { ...fields, version: 'x' }, s.editor)).statusCode, 400, 'a form the page could not have sent');

  t.same(await written(s.database, s.opportunityId), before, 'nothing was written');
});
