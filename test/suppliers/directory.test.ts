// The supplier directory: only consenting suppliers for the public (staff see all, labelled),
// search by name and offer, filters and pages with all state in the address, clear 400s for bad
// values, detail pages (404 unless listed), and the staff CSV export with its escaping.
import * as cheerio from 'cheerio';
import t from 'tap';
import type { Database } from '../../src/db/client.js';
import { buildTestApp } from '../helper.js';
import { createSupplier, signedInMember, signedInStaff } from './support.js';

async function seed(database: Database) {
  const alpha = await createSupplier(database, {
    name: 'Alpha Catering CIC',
    legalForm: 'community_interest_company',
    companiesHouseNumber: '09876543',
    vcse: true,
    local: true,
    size: 'micro',
    cpvCodes: ['55520000'],
    offer: 'Hot meals for schools and lunch clubs.',
    website: 'https://alpha.example.org',
  });
  const bravo = await createSupplier(database, { name: 'Bravo Builders Ltd', vcse: false, local: false, size: 'medium', cpvCodes: ['45000000'], offer: 'Building repairs and extensions.', postcode: 'SW1A 1AA' });
  const charlie = await createSupplier(database, {
    name: 'charlie co-op',
    legalForm: 'cooperative',
    companiesHouseNumber: null,
    vcse: true,
    local: true,
    size: 'small',
    cpvCodes: ['77314000'],
    offer: 'Grounds maintenance by a workers’ co-operative.',
  });
  const delta = await createSupplier(database, { name: 'Delta Hidden Ltd', directoryConsent: false, cpvCodes: ['90910000'], offer: 'Cleaning services.' });
  const echo = await createSupplier(database, {
    name: 'Echo Mutual',
    legalForm: 'mutual',
    companiesHouseNumber: null,
    charityNumber: '1234567-1',
    charityRegister: 'england_wales',
    size: 'large',
    vcse: false,
    local: false,
    cpvCodes: [],
    offer: 'Insurance for community groups.',
  });
  return { alpha, bravo, charlie, delta, echo };
}

function names(html: string): string[] {
  const $ = cheerio.load(html);
  return $('main ul.govuk-list h3 a')
    .map((_, a) => $(a).text().trim())
    .get();
}

t.test('the public sees consenting suppliers only; search and every filter narrow the list', async (t) => {
  const { app, database } = await buildTestApp(t);
  await seed(database);

  const all = await app.inject('/suppliers');
  t.equal(all.statusCode, 200);
  t.same(names(all.body), ['Alpha Catering CIC', 'Bravo Builders Ltd', 'charlie co-op', 'Echo Mutual'], 'alphabetical, without Delta (no consent)');
  const $ = cheerio.load(all.body);
  t.match($('#result-count').text(), /4 suppliers/);
  t.equal($('a[href^="/suppliers.csv"]').length, 0, 'no CSV link for the public');
  t.notMatch(all.body, /Not in the public directory/);
  t.same(
    $('#division option').map((_, o) => $(o).attr('value')).get(),
    ['', '45', '55', '77'],
    'the division filter lists the divisions listed suppliers have (not Delta’s 90)',
  );
  t.equal($('form[method="get"][action="/suppliers"]').length, 1, 'the filters are a GET form');

  const cases: [string, string[]][] = [
    ['q=catering', ['Alpha Catering CIC']],
    ['q=MEALS', ['Alpha Catering CIC']],
    ['q=bravo+repairs', ['Bravo Builders Ltd']],
    ['q=hidden', []],
    ['q=cleaning', []],
    ['q=%25', ['Alpha Catering CIC', 'Bravo Builders Ltd', 'charlie co-op', 'Echo Mutual']],
    ['vcse=yes', ['Alpha Catering CIC', 'charlie co-op']],
    ['coop=yes', ['charlie co-op', 'Echo Mutual']],
    ['size=micro&size=small', ['Alpha Catering CIC', 'charlie co-op']],
    ['size=large', ['Echo Mutual']],
    ['local=yes', ['Alpha Catering CIC', 'charlie co-op']],
    ['division=45', ['Bravo Builders Ltd']],
    ['division=90', []],
    ['division=', ['Alpha Catering CIC', 'Bravo Builders Ltd', 'charlie co-op', 'Echo Mutual']],
    ['vcse=yes&local=yes&size=small', ['charlie co-op']],
    ['q=grounds&division=77&coop=yes', ['charlie co-op']],
    ['unknown=1&q=alpha', ['Alpha Catering CIC']],
  ];
  for (const [query, expected] of cases) {
    const res = await app.inject(`/suppliers?${query}`);
    t.equal(res.statusCode, 200, query);
    t.same(names(res.body), expected, `${query} → ${expected.join(', ') || 'none'}`);
  }

  // The form shows the state it was given.
  const state = cheerio.load((await app.inject('/suppliers?q=grounds&vcse=yes&size=small&size=micro&local=yes&division=77')).body);
  t.equal(state('#q').attr('value'), 'grounds');
  t.equal(state('input[name="vcse"]').attr('checked'), 'checked');
  t.equal(state('input[name="coop"]').attr('checked'), undefined);
  t.equal(state('input[name="local"]').attr('checked'), 'checked');
  t.same(state('input[name="size"]:checked').map((_, i) => state(i).attr('value')).get(), ['micro', 'small']);
  t.equal(state('#division option[selected]').attr('value'), '77');
  t.equal(state('main a[href="/suppliers"]').text().trim(), 'Clear filters');
});

t.test('bad filter values get a clear 400, never a 500', async (t) => {
  const { app } = await buildTestApp(t);
  const cases: [string, RegExp][] = [
    ['page=0', /page number must be a whole number/],
    ['page=abc', /page number/],
    ['page=99999999', /page number/],
    ['size=huge', /size must be one of: micro, small, medium, large/],
    ['vcse=no', /can only be “yes”/],
    ['coop=1', /co-operatives and mutuals/],
    ['local=true', /“local” filter/],
    ['division=4', /2-digit CPV division/],
    ['division=4a', /2-digit CPV division/],
    [`q=${'x'.repeat(201)}`, /200 characters or fewer/],
    [`size=${Array(20).fill('small').join('&size=')}`, /size/],
  ];
  for (const [query, message] of cases) {
    const res = await app.inject(`/suppliers?${query}`);
    t.equal(res.statusCode, 400, `${query.slice(0, 40)}: 400`);
    t.match(cheerio.load(res.body)('main').text(), message, `${query.slice(0, 40)}: says what is wrong`);
  }
});

t.test('20 suppliers a page, the filters kept in every page link; past the end is a 404 with a way back', async (t) => {
  const { app, database } = await buildTestApp(t);
  for (let i = 1; i <= 45; i++) await createSupplier(database, { name: `Supplier ${String(i).padStart(2, '0')}`, vcse: i % 2 === 0 });
  await createSupplier(database, { name: 'Supplier 99 hidden', directoryConsent: false });

  const first = await app.inject('/suppliers');
  t.equal(names(first.body).length, 20);
  t.equal(names(first.body)[0], 'Supplier 01');
  const $ = cheerio.load(first.body);
  t.match($('#result-count').text(), /45 suppliers, showing 1 to 20/);
  t.same(
    $('.govuk-pagination__list a').map((_, a) => $(a).attr('href')).get(),
    ['/suppliers', '/suppliers?page=2', '/suppliers?page=3'],
  );
  const third = await app.inject('/suppliers?page=3');
  t.same(names(third.body), ['Supplier 41', 'Supplier 42', 'Supplier 43', 'Supplier 44', 'Supplier 45']);
  t.match(cheerio.load(third.body)('title').text(), /page 3 of 3/);

  const filtered = await app.inject('/suppliers?vcse=yes&q=supplier&page=2');
  t.equal(names(filtered.body).length, 2, '22 VCSE suppliers: 2 on page 2');
  const $f = cheerio.load(filtered.body);
  t.same(
    $f('.govuk-pagination__list a').map((_, a) => $f(a).attr('href')).get(),
    ['/suppliers?q=supplier&vcse=yes', '/suppliers?q=supplier&vcse=yes&page=2'],
    'page links keep the search and filters',
  );

  const past = await app.inject('/suppliers?vcse=yes&page=7');
  t.equal(past.statusCode, 404);
  const $p = cheerio.load(past.body);
  t.match($p('#result-count').text(), /There are no more suppliers: this list has 2 pages/);
  t.equal($p('#result-count a').attr('href'), '/suppliers?vcse=yes');
});

t.test('staff see every supplier, labelled, and its detail page; the public gets 404 for unlisted ones', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { alpha, delta, echo } = await seed(database);
  const { cookie: staff } = await signedInStaff(app, database, 'viewer');

  const list = await app.inject({ url: '/suppliers', headers: { cookie: staff } });
  t.same(names(list.body), ['Alpha Catering CIC', 'Bravo Builders Ltd', 'charlie co-op', 'Delta Hidden Ltd', 'Echo Mutual']);
  const $ = cheerio.load(list.body);
  const deltaItem = $('main ul.govuk-list > li').filter((_, li) => $(li).find('h3').text().includes('Delta'));
  t.match(deltaItem.find('.govuk-tag').text(), /Not in the public directory/);
  t.equal($('main ul.govuk-list > li .govuk-tag').filter((_, el) => $(el).text().includes('Not in the public directory')).length, 1, 'only Delta is labelled');
  t.equal($('a[href="/suppliers.csv"]').length, 1, 'staff get a CSV link');
  t.same(
    $('#division option').map((_, o) => $(o).attr('value')).get(),
    ['', '45', '55', '77', '90'],
  );
  const filteredCsv = cheerio.load((await app.inject({ url: '/suppliers?vcse=yes&size=micro', headers: { cookie: staff } })).body);
  t.equal(filteredCsv('a[href^="/suppliers.csv"]').attr('href'), '/suppliers.csv?vcse=yes&size=micro', 'the CSV link carries the filters');

  t.equal((await app.inject(`/suppliers/${delta.id}`)).statusCode, 404, 'the public cannot open an unlisted supplier');
  const member = await signedInMember(app, database);
  t.equal((await app.inject({ url: `/suppliers/${delta.id}`, headers: { cookie: member.cookie } })).statusCode, 404, 'nor can a supplier');
  const staffView = await app.inject({ url: `/suppliers/${delta.id}`, headers: { cookie: staff } });
  t.equal(staffView.statusCode, 200);
  t.match(cheerio.load(staffView.body)('.govuk-warning-text').text(), /not in the public directory/);

  for (const bad of ['999999', 'abc', '0', '01', '99999999999', `${alpha.id}.5`]) {
    t.equal((await app.inject(`/suppliers/${bad}`)).statusCode, 404, `/suppliers/${bad} is 404`);
  }

  const detail = await app.inject(`/suppliers/${alpha.id}`);
  t.equal(detail.statusCode, 200);
  const $d = cheerio.load(detail.body);
  t.equal($d('h1').text().trim(), 'Alpha Catering CIC');
  t.match($d('main').text(), /Hot meals for schools and lunch clubs\./);
  t.match($d('main').text(), /Catering services \(55520000, in Hotel, restaurant and retail trade services\)/, 'categories with descriptions');
  const rows = Object.fromEntries(
    $d('.govuk-summary-list__row')
      .map((_, row) => [[$d(row).find('dt').text().trim(), $d(row).find('dd').first().text().replace(/\s+/g, ' ').trim()]])
      .get() as [string, string][],
  );
  t.match(rows, {
    'Legal form': 'Community interest company (CIC)',
    Size: /^Micro ?Fewer than 10 staff/,
    'Voluntary, community or social enterprise (VCSE)': 'Yes',
    'Local to Demo Borough Council': 'Yes',
    Website: 'https://alpha.example.org',
  });
  t.equal($d('a[href="https://find-and-update.company-information.service.gov.uk/company/09876543"]').length, 1, 'the Companies House number links to the register');
  t.equal($d('a[href="https://alpha.example.org"]').length, 1);
  t.notMatch(detail.body, /B66 1AA/, 'the postcode is not shown to the public');

  const charity = cheerio.load((await app.inject(`/suppliers/${echo.id}`)).body);
  t.equal(
    charity('a[href="https://register-of-charities.charitycommission.gov.uk/en/charity-search/-/charity-details/1234567?subId=1"]').length,
    1,
    'the charity number links to its register',
  );
});

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, line breaks inside quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length) rows.push([...row, field]);
  return rows;
}

t.test('the CSV export: staff only, the same filters, a header row, RFC 4180 and no formulas', async (t) => {
  const { app, database } = await buildTestApp(t);
  await seed(database);
  await createSupplier(database, {
    name: '=HYPERLINK("http://evil.example","click")',
    offer: 'Line one, with a comma\nLine two with "quotes"',
    website: 'https://x.example.org',
    streetAddress: '+44 Dial Street',
    locality: '@Town',
    cpvCodes: ['55520000', '45000000'],
  });

  const anonymous = await app.inject('/suppliers.csv');
  t.equal(anonymous.statusCode, 303, 'anonymous visitors are sent to sign in');
  t.match(anonymous.headers.location, /^\/sign-in\?returnTo=%2Fsuppliers.csv/);
  const member = await signedInMember(app, database);
  t.equal((await app.inject({ url: '/suppliers.csv', headers: { cookie: member.cookie } })).statusCode, 403, 'suppliers are refused');

  const { cookie } = await signedInStaff(app, database, 'viewer');
  const res = await app.inject({ url: '/suppliers.csv', headers: { cookie } });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/csv; charset=utf-8/);
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  t.equal(res.headers['content-disposition'], `attachment; filename="suppliers-${today}.csv"`);
  t.ok(res.body.startsWith('\uFEFF'), 'a byte-order mark so spreadsheets read UTF-8');
  t.ok(res.body.endsWith('\r\n'), 'CRLF line ends');

  const rows = parseCsv(res.body.slice(1));
  const header = rows[0]!;
  t.same(header.slice(0, 3), ['Name', 'Legal form', 'Companies House number']);
  t.ok(header.includes('In the public directory'));
  t.ok(rows.every((r) => r.length === header.length), 'every row has every column');
  const byName = new Map(rows.slice(1).map((r) => [r[0]!, Object.fromEntries(header.map((h, i) => [h, r[i]!]))]));
  t.same([...byName.keys()].sort(), ["'=HYPERLINK(\"http://evil.example\",\"click\")", 'Alpha Catering CIC', 'Bravo Builders Ltd', 'Delta Hidden Ltd', 'Echo Mutual', 'charlie co-op', ...[member.supplier.name]].sort(), 'staff get every supplier, listed or not');
  t.match(byName.get('Delta Hidden Ltd'), { 'In the public directory': 'No' });
  t.match(byName.get('Alpha Catering CIC'), { 'Legal form': 'Community interest company (CIC)', Size: 'Micro', 'Charity or social enterprise (VCSE)': 'Yes', Local: 'Yes', 'CPV codes': '55520000', 'In the public directory': 'Yes' });
  t.match(byName.get('Echo Mutual'), { 'Charity number': '1234567-1', 'Charity register': 'Charity Commission for England and Wales' });
  const evil = byName.get("'=HYPERLINK(\"http://evil.example\",\"click\")")!;
  t.equal(evil['What they offer'], 'Line one, with a comma\nLine two with "quotes"', 'commas, quotes and line breaks survive');
  t.equal(evil['Building and street'], "'+44 Dial Street", 'a leading + is neutralised');
  t.equal(evil['Town or city'], "'@Town", 'a leading @ is neutralised');
  t.equal(evil['CPV codes'], '55520000 45000000', 'codes separated by spaces');
  t.match(res.body, /"'=HYPERLINK\(""http:\/\/evil.example"",""click""\)"/, 'quoted as RFC 4180 says');

  const filtered = parseCsv((await app.inject({ url: '/suppliers.csv?vcse=yes&local=yes&size=small', headers: { cookie } })).body.slice(1));
  t.same(
    filtered.slice(1).map((r) => r[0]),
    ['charlie co-op'],
    'the same filters as the list',
  );
  t.equal((await app.inject({ url: '/suppliers.csv?size=huge', headers: { cookie } })).statusCode, 400, 'bad filters: 400');
});
