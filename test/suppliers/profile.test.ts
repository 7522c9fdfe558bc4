// The supplier profile: registering an organisation, seeing and changing it, every rule of the
// form with the GOV.UK error pattern (400, summary links to #field, values kept, nothing saved),
// the derived local flag, the VCSE answer pre-filled from the legal form, and access.
import { count, eq } from 'drizzle-orm';
import t from 'tap';
import { memberships } from '../../src/modules/accounts/accounts.table.js';
import { suppliers } from '../../src/modules/suppliers/suppliers.table.js';
import { buildTestApp } from '../helper.js';
import { postForm } from '../support/auth.js';
import { auditActions, findSupplierRow, formErrors, profileFields, signedInMember, signedInStaff, signedInUser } from './support.js';

async function supplierCount(database: Awaited<ReturnType<typeof buildTestApp>>['database']) {
  const [row] = await database.db.select({ n: count() }).from(suppliers);
  return row!.n;
}

t.test('a signed-in user registers their organisation and becomes its member', async (t) => {
  const { app, database } = await buildTestApp(t);

  const anonymous = await app.inject('/supplier');
  t.equal(anonymous.statusCode, 303, 'anonymous visitors are sent to sign in');
  t.equal(anonymous.headers.location, '/sign-in?returnTo=%2Fsupplier');

  const { user, cookie } = await signedInUser(app, database);
  const start = await app.inject({ url: '/supplier', headers: { cookie } });
  t.equal(start.statusCode, 200);
  const $start = formErrors(start.body).$;
  t.equal($start('h1').text().trim(), 'Register your organisation as a supplier');
  t.equal($start('a.govuk-button--start').attr('href'), '/supplier/new');

  const form = await app.inject({ url: '/supplier/new', headers: { cookie } });
  t.equal(form.statusCode, 200);
  const $form = formErrors(form.body).$;
  t.equal($form('input[name="legalForm"]').length, 12, 'every legal form is offered');
  t.match($form('#legalForm-10-item-hint, .govuk-radios__hint').text(), /sole trader|on your own/i);
  for (const label of ['Company limited by guarantee', 'Charitable company', 'Unincorporated association', 'Community interest company (CIC)', 'Co-operative', 'Community benefit society', 'Mutual']) {
    t.ok($form('label.govuk-radios__label').filter((_, el) => $form(el).text().trim() === label).length === 1, `offers "${label}"`);
  }
  t.match($form('.govuk-radios__hint').text(), /Fewer than 10 staff, and a turnover or balance sheet total of £2 million or less/, 'sizes are explained');
  t.match($form('#vcse-hint').text(), /If you do not answer, we answer from your legal form/);
  t.equal($form('#offer').attr('name'), 'offer');
  t.equal($form('#postcode').attr('autocomplete'), 'postal-code');
  t.equal($form('#name').attr('autocomplete'), 'organization');

  const res = await postForm(app, '/supplier/new', profileFields({ postcode: 'b69 3de', companiesHouseNumber: '1234567 ', website: 'www.example.org' }), cookie);
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/supplier/categories', 'then on to choosing categories');

  const [membership] = await database.db.select().from(memberships).where(eq(memberships.userId, user.id));
  t.equal(membership?.role, 'member');
  const supplier = await findSupplierRow(database, membership!.supplierId!);
  t.match(supplier, {
    name: 'Oldbury Community Gardens',
    legalForm: 'community_interest_company',
    companiesHouseNumber: '01234567',
    charityNumber: null,
    charityRegister: null,
    size: 'micro',
    vcse: true,
    streetAddress: '1 High Street',
    locality: 'Oldbury',
    postcode: 'B69 3DE',
    local: true,
    website: 'https://www.example.org',
    directoryConsent: true,
  });
  t.same(await auditActions(database, supplier!.id), ['supplier.created']);

  const profile = await app.inject({ url: '/supplier', headers: { cookie } });
  t.equal(profile.statusCode, 200);
  const $p = formErrors(profile.body).$;
  t.equal($p('h1').text().trim(), 'Oldbury Community Gardens');
  t.match($p('.govuk-inset-text').text(), /You are in Demo Borough Council’s area/);
  t.match($p('.govuk-summary-list').text(), /Community interest company/);
  t.ok($p('a[href="/supplier/edit#postcode"], a[href="/supplier/edit#streetAddress"]').length > 0, 'with links to change each answer');

  // One supplier per account: the registration form sends members to their profile.
  const again = await app.inject({ url: '/supplier/new', headers: { cookie } });
  t.equal(again.statusCode, 303);
  t.equal(again.headers.location, '/supplier');
  const secondPost = await postForm(app, '/supplier/new', profileFields({ name: 'Second' }), cookie, { formUrl: '/supplier/edit' });
  t.equal(secondPost.statusCode, 303);
  t.equal(await supplierCount(database), 1, 'no second supplier');
});

t.test('the local flag comes from LOCAL_POSTCODE_DISTRICTS (whole outward codes)', async (t) => {
  const { app, database } = await buildTestApp(t, { env: { LOCAL_POSTCODE_DISTRICTS: 'B66,WS10' } });
  const cases: [string, boolean][] = [
    ['B66 1AA', true],
    ['ws10 8ab', true],
    ['B6 1AA', false],
    ['WS1 1AA', false],
    ['SW1A 1AA', false],
  ];
  for (const [postcode, local] of cases) {
    const { user, cookie } = await signedInUser(app, database);
    const res = await postForm(app, '/supplier/new', profileFields({ postcode }), cookie);
    t.equal(res.statusCode, 303, postcode);
    const [m] = await database.db.select().from(memberships).where(eq(memberships.userId, user.id));
    t.equal((await findSupplierRow(database, m!.supplierId!))?.local, local, `${postcode} is ${local ? '' : 'not '}local`);
    const page = formErrors((await app.inject({ url: '/supplier', headers: { cookie } })).body);
    t.match(page.$('.govuk-inset-text').text(), local ? /You are in/ : /You are not in/);
  }
});

t.test('the VCSE answer: the legal form decides when it is not given, the supplier when it is', async (t) => {
  const { app, database } = await buildTestApp(t);
  const cases: [string, string, boolean][] = [
    ['charity_cio', '', true],
    ['charitable_company', '', true],
    ['community_interest_company', '', true],
    ['cooperative', '', true],
    ['community_benefit_society', '', true],
    ['company_limited_by_guarantee', '', true],
    ['private_limited_company', '', false],
    ['sole_trader', '', false],
    ['mutual', '', false],
    ['unincorporated_association', '', false],
    ['charity_cio', 'no', false],
    ['sole_trader', 'yes', true],
  ];
  for (const [legalForm, vcse, expected] of cases) {
    const { user, cookie } = await signedInUser(app, database);
    const fields = profileFields({ legalForm, vcse, charityNumber: legalForm === 'charity_cio' ? '1234567' : '', charityRegister: legalForm === 'charity_cio' ? 'england_wales' : '' });
    const res = await postForm(app, '/supplier/new', fields, cookie);
    t.equal(res.statusCode, 303, `${legalForm} saved`);
    const [m] = await database.db.select().from(memberships).where(eq(memberships.userId, user.id));
    t.equal((await findSupplierRow(database, m!.supplierId!))?.vcse, expected, `${legalForm} with VCSE "${vcse}" → ${expected}`);
  }

  // A form sent back with another error shows the suggested answer ticked, and says why.
  const { cookie } = await signedInUser(app, database);
  const res = await postForm(app, '/supplier/new', profileFields({ legalForm: 'cooperative', vcse: '', postcode: '' }), cookie);
  t.equal(res.statusCode, 400);
  const page = formErrors(res.body);
  t.equal(page.value('vcse'), 'yes', 'a co-operative is suggested to be a VCSE');
  t.match(page.$('#vcse-hint').text(), /We have suggested an answer from the legal form you chose \(Co-operative\)/);
  const plc = formErrors((await postForm(app, '/supplier/new', profileFields({ legalForm: 'private_limited_company', vcse: '', postcode: '' }), cookie)).body);
  t.equal(plc.value('vcse'), 'no');
  const chosen = formErrors((await postForm(app, '/supplier/new', profileFields({ legalForm: 'cooperative', vcse: 'no', postcode: '' }), cookie)).body);
  t.equal(chosen.value('vcse'), 'no', 'an answer given is kept');
  t.notMatch(chosen.$('#vcse-hint').text(), /We have suggested/);
});

t.test('every rule of the profile form: 400, the error summary links to the field, values kept, nothing saved', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { cookie } = await signedInUser(app, database);
  const long = (n: number) => 'x'.repeat(n);

  const cases: { name: string; fields: Record<string, string>; field: string; message: RegExp }[] = [
    { name: 'no name', fields: { name: '  ' }, field: 'name', message: /Enter the name of your organisation/ },
    { name: 'name too long', fields: { name: long(201) }, field: 'name', message: /200 characters or fewer/ },
    { name: 'no legal form', fields: { legalForm: '' }, field: 'legalForm', message: /Select the legal form/ },
    { name: 'made-up legal form', fields: { legalForm: 'plc' }, field: 'legalForm', message: /Select the legal form/ },
    { name: 'a limited company without its number', fields: { legalForm: 'private_limited_company', companiesHouseNumber: '' }, field: 'companiesHouseNumber', message: /Enter your Companies House number: every private limited company is registered/ },
    { name: 'a CLG without its number', fields: { legalForm: 'company_limited_by_guarantee', companiesHouseNumber: '' }, field: 'companiesHouseNumber', message: /Enter your Companies House number/ },
    { name: 'a CIC without its number', fields: { legalForm: 'community_interest_company', companiesHouseNumber: '' }, field: 'companiesHouseNumber', message: /Enter your Companies House number/ },
    { name: 'a charitable company without its number', fields: { legalForm: 'charitable_company', companiesHouseNumber: '' }, field: 'companiesHouseNumber', message: /Enter your Companies House number/ },
    { name: 'a malformed company number', fields: { companiesHouseNumber: '123456789' }, field: 'companiesHouseNumber', message: /8 characters/ },
    { name: 'an unknown company prefix', fields: { companiesHouseNumber: 'XX123456' }, field: 'companiesHouseNumber', message: /prefix Companies House uses/ },
    { name: 'a CIO without its charity number', fields: { legalForm: 'charity_cio', companiesHouseNumber: '' }, field: 'charityNumber', message: /Enter your registered charity number/ },
    { name: 'a charity number without its register', fields: { charityNumber: '1234567', charityRegister: '' }, field: 'charityRegister', message: /Select the charity register/ },
    { name: 'a made-up register', fields: { charityNumber: '1234567', charityRegister: 'wales' }, field: 'charityRegister', message: /Select the charity register/ },
    { name: 'a made-up register without a number', fields: { charityRegister: 'wales' }, field: 'charityRegister', message: /Select the charity register/ },
    { name: 'a malformed England and Wales number', fields: { charityNumber: '12345', charityRegister: 'england_wales' }, field: 'charityNumber', message: /England and Wales in the correct format/ },
    { name: 'a malformed Scottish number', fields: { charityNumber: '012345', charityRegister: 'scotland' }, field: 'charityNumber', message: /Scottish charity number in the correct format/ },
    { name: 'a malformed Northern Ireland number', fields: { charityNumber: 'NIC12', charityRegister: 'northern_ireland' }, field: 'charityNumber', message: /Northern Ireland charity number in the correct format/ },
    { name: 'no size', fields: { size: '' }, field: 'size', message: /Select the size of your organisation/ },
    { name: 'a made-up size', fields: { size: 'huge' }, field: 'size', message: /Select the size/ },
    { name: 'a made-up VCSE answer', fields: { vcse: 'maybe' }, field: 'vcse', message: /Select yes if your organisation is a voluntary/ },
    { name: 'street too long', fields: { streetAddress: long(201) }, field: 'streetAddress', message: /200 characters or fewer/ },
    { name: 'town too long', fields: { locality: long(101) }, field: 'locality', message: /100 characters or fewer/ },
    { name: 'no postcode', fields: { postcode: '' }, field: 'postcode', message: /Enter your postcode/ },
    { name: 'not a postcode', fields: { postcode: 'B66 AAA' }, field: 'postcode', message: /Enter a real postcode, like B66 1AA/ },
    { name: 'no description', fields: { offer: '' }, field: 'offer', message: /Describe what your organisation offers/ },
    { name: 'description too long', fields: { offer: long(2001) }, field: 'offer', message: /2000 characters or fewer/ },
    { name: 'not a website', fields: { website: 'javascript:alert(1)' }, field: 'website', message: /website address/ },
  ];
  for (const c of cases) {
    const fields = profileFields(c.fields);
    const res = await postForm(app, '/supplier/new', fields, cookie);
    t.equal(res.statusCode, 400, `${c.name}: 400`);
    const page = formErrors(res.body);
    t.match(page.title, /^Error: /, `${c.name}: the title says Error`);
    t.ok(page.summary.some((e) => e.href === `#${c.field}` && c.message.test(e.text)), `${c.name}: the summary links to #${c.field}`);
    t.ok(page.has(c.field), `${c.name}: #${c.field} exists on the page`);
    t.match(page.fieldError(c.field), c.message, `${c.name}: the field shows its message`);
    for (const kept of ['name', 'postcode', 'companiesHouseNumber', 'website', 'streetAddress']) {
      t.equal(page.value(kept), fields[kept], `${c.name}: ${kept} kept`);
    }
    t.equal(page.value('offer').trim(), fields.offer!.trim(), `${c.name}: description kept`);
  }
  t.equal(await supplierCount(database), 0, 'nothing was saved');

  // Several errors at once are listed in the order of the page.
  const many = formErrors((await postForm(app, '/supplier/new', profileFields({ name: '', postcode: 'nope', size: '' }), cookie)).body);
  t.same(
    many.summary.map((e) => e.href),
    ['#name', '#size', '#postcode'],
  );

  // Optional fields really are optional for a sole trader.
  const soleTrader = await postForm(app, '/supplier/new', profileFields({ legalForm: 'sole_trader', companiesHouseNumber: '', website: '', streetAddress: '', locality: '', directoryConsent: '' }), cookie);
  t.equal(soleTrader.statusCode, 303);
  t.equal(await supplierCount(database), 1);
});

t.test('members change the profile; errors change nothing; each change is audited', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { supplier, cookie } = await signedInMember(app, database, { name: 'Before Ltd', postcode: 'B66 1AA', local: true, charityNumber: null });

  const edit = await app.inject({ url: '/supplier/edit', headers: { cookie } });
  t.equal(edit.statusCode, 200);
  const form = formErrors(edit.body);
  t.equal(form.value('name'), 'Before Ltd', 'the form is filled in from the profile');
  t.equal(form.value('legalForm'), 'private_limited_company');
  t.equal(form.value('postcode'), 'B66 1AA');
  t.equal(form.value('directoryConsent'), 'yes');

  const bad = await postForm(app, '/supplier/edit', profileFields({ name: 'After Ltd', postcode: 'zz' }), cookie);
  t.equal(bad.statusCode, 400);
  t.equal(formErrors(bad.body).value('name'), 'After Ltd', 'what was typed is kept');
  t.match(await findSupplierRow(database, supplier.id), { name: 'Before Ltd', postcode: 'B66 1AA' }, 'nothing changed');

  const ok = await postForm(app, '/supplier/edit', profileFields({ name: 'After Ltd', legalForm: 'charity_cio', companiesHouseNumber: '', charityNumber: 'sc 012345', charityRegister: 'scotland', postcode: 'EH1 1AA', vcse: '' }), cookie);
  t.equal(ok.statusCode, 303);
  t.equal(ok.headers.location, '/supplier');
  t.match(await findSupplierRow(database, supplier.id), { name: 'After Ltd', legalForm: 'charity_cio', charityNumber: 'SC012345', charityRegister: 'scotland', postcode: 'EH1 1AA', local: false, vcse: true, companiesHouseNumber: null });
  t.same(await auditActions(database, supplier.id), ['supplier.updated']);
  const [entry] = await database.pool.query("select before, after, actor_label from audit_log where action = 'supplier.updated'").then((r) => r.rows);
  t.match(entry, { before: { name: 'Before Ltd', local: true }, after: { name: 'After Ltd', local: false } }, 'the audit keeps what changed, before and after');
});

t.test('the profile pages refuse people who are not members', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { cookie: noSupplier } = await signedInUser(app, database);
  const { cookie: staff } = await signedInStaff(app, database, 'admin');
  for (const cookie of [noSupplier, staff]) {
    t.equal((await app.inject({ url: '/supplier/edit', headers: { cookie } })).statusCode, 403);
    t.equal((await app.inject({ url: '/supplier/categories', headers: { cookie } })).statusCode, 403);
    t.equal((await app.inject({ url: '/supplier/colleagues', headers: { cookie } })).statusCode, 403);
  }
  const anonymous = await app.inject('/supplier/edit');
  t.equal(anonymous.statusCode, 303);
  t.match(anonymous.headers.location, /^\/sign-in\?returnTo=/);
});

t.test('a member of one supplier cannot change another: the edit form acts on their own supplier only', async (t) => {
  const { app, database } = await buildTestApp(t);
  const a = await signedInMember(app, database, { name: 'Supplier A' });
  const b = await signedInMember(app, database, { name: 'Supplier B' });
  const res = await postForm(app, '/supplier/edit', { ...profileFields({ name: 'Hijacked' }), supplierId: String(b.supplier.id), id: String(b.supplier.id) }, a.cookie);
  t.equal(res.statusCode, 303);
  t.equal((await findSupplierRow(database, b.supplier.id))?.name, 'Supplier B', 'B unchanged');
  t.equal((await findSupplierRow(database, a.supplier.id))?.name, 'Hijacked', 'the change went to A, the member’s own supplier');
  t.same(await auditActions(database, b.supplier.id), []);
});

t.test('a form sent without its CSRF token is refused and changes nothing', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { supplier, cookie } = await signedInMember(app, database, { name: 'Safe Ltd' });
  const res = await postForm(app, '/supplier/edit', profileFields({ name: 'Forged' }), cookie, { csrf: null });
  t.equal(res.statusCode, 403);
  t.equal((await findSupplierRow(database, supplier.id))?.name, 'Safe Ltd');
});
