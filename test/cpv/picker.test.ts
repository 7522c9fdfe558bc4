// The CPV picker without JavaScript, on the supplier's categories page: a GET search, "Add" and
// "Remove" buttons that POST and come back to the same search, accessible markup (fieldsets with
// legends, lists, buttons naming their category), and unknown codes refused with the GOV.UK
// error pattern.
import * as cheerio from 'cheerio';
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { postForm } from '../support/auth.js';
import { auditActions, findSupplierRow, formErrors, signedInMember } from '../suppliers/support.js';

t.test('search, add and remove categories with plain forms', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { supplier, cookie } = await signedInMember(app, database, { cpvCodes: ['77314000'] });

  const page = await app.inject({ url: '/supplier/categories', headers: { cookie } });
  t.equal(page.statusCode, 200);
  let $ = cheerio.load(page.body);
  const chosen = $('fieldset').filter((_, el) => $(el).find('legend').text().includes('Categories you have chosen'));
  t.equal(chosen.length, 1, 'the chosen categories are a fieldset with a legend');
  t.equal(chosen.closest('form').attr('method'), 'post');
  const remove = chosen.find('li button[name="remove"]');
  t.equal(remove.length, 1);
  t.equal(remove.attr('value'), '77314000');
  t.equal(remove.find('.govuk-visually-hidden').text().trim(), 'Grounds maintenance services', 'the button names its category for screen readers');
  t.match(chosen.find('li').text(), /Division 77: Agricultural, forestry, horticultural/, 'with its division');
  const search = $('form[method="get"]');
  t.equal(search.attr('action'), '/supplier/categories');
  t.equal($(`label[for="${search.find('input[name="q"]').attr('id')}"]`).text().trim(), 'Search for a category', 'the search box has a label');
  t.equal($('#q').attr('aria-describedby'), 'q-hint');
  t.equal($('button[name="add"]').length, 0, 'no results before a search');

  const results = await app.inject({ url: '/supplier/categories?q=catering', headers: { cookie } });
  t.equal(results.statusCode, 200);
  $ = cheerio.load(results.body);
  t.equal($('#q').attr('value'), 'catering', 'the search words stay in the box');
  const resultSet = $('fieldset').filter((_, el) => $(el).find('legend').text().includes('Search results'));
  t.equal(resultSet.length, 1, 'results are a fieldset with a legend');
  t.match(resultSet.find('#cpv-results-count').text(), /\d+ categories match “catering”/);
  const items = resultSet.find('ul.govuk-list > li');
  t.ok(items.length > 5, 'results are a list');
  const add = resultSet.find('button[name="add"][value="55520000"]');
  t.equal(add.length, 1);
  t.equal(add.text().replace(/\s+/g, ' ').trim(), 'Add Catering services');
  t.equal(add.find('.govuk-visually-hidden').text().trim(), 'Catering services');
  t.equal(resultSet.closest('form').find('input[name="q"][type="hidden"]').attr('value'), 'catering', 'the add form remembers the search');
  t.ok(resultSet.closest('form').find('input[name="_csrf"]').attr('value'), 'and carries the CSRF token');

  const added = await postForm(app, '/supplier/categories', { q: 'catering', add: '55520000' }, cookie, { formUrl: '/supplier/categories?q=catering' });
  t.equal(added.statusCode, 303);
  t.equal(added.headers.location, '/supplier/categories?q=catering', 'back to the same results');
  t.same((await findSupplierRow(database, supplier.id))?.cpvCodes, ['55520000', '77314000']);

  const after = cheerio.load((await app.inject({ url: '/supplier/categories?q=catering', headers: { cookie } })).body);
  t.equal(after('button[name="add"][value="55520000"]').length, 0, 'a chosen result has no Add button');
  const chosenResult = after('#cpv-results').closest('fieldset').find('li').filter((_, el) => after(el).find('.govuk-body').first().text().trim() === 'Catering services');
  t.equal(chosenResult.find('.govuk-tag').text().trim(), 'Chosen', 'it is marked as chosen instead');
  t.equal(after('button[name="remove"][value="55520000"]').length, 1, 'it is listed with the chosen ones');

  const twice = await postForm(app, '/supplier/categories', { q: 'catering', add: '55520000' }, cookie);
  t.equal(twice.statusCode, 303);
  t.same((await findSupplierRow(database, supplier.id))?.cpvCodes, ['55520000', '77314000'], 'adding twice keeps one');

  const removed = await postForm(app, '/supplier/categories', { q: '', remove: '77314000' }, cookie);
  t.equal(removed.statusCode, 303);
  t.equal(removed.headers.location, '/supplier/categories');
  t.same((await findSupplierRow(database, supplier.id))?.cpvCodes, ['55520000']);
  t.same(await auditActions(database, supplier.id), ['supplier.category_added', 'supplier.category_removed']);

  const notChosen = await postForm(app, '/supplier/categories', { remove: '45000000' }, cookie);
  t.equal(notChosen.statusCode, 303, 'removing a category that is not chosen changes nothing');
  t.same((await findSupplierRow(database, supplier.id))?.cpvCodes, ['55520000']);
});

t.test('unknown or malformed codes are refused: 400, the error summary links to the search box, nothing changes', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { supplier, cookie } = await signedInMember(app, database, { cpvCodes: ['77314000'] });
  for (const code of ['99999999', '7731400', 'abc', '77314000-1', "'; drop"]) {
    const res = await postForm(app, '/supplier/categories', { q: 'grounds', add: code }, cookie);
    t.equal(res.statusCode, 400, `${code}: 400`);
    const page = formErrors(res.body);
    t.match(page.title, /^Error: /);
    t.same(page.summary, [{ href: '#q', text: 'Choose a category from the search results: the one sent is not in the list of categories' }]);
    t.ok(page.has('q'), 'the link lands on the search box');
    t.match(page.fieldError('q'), /Choose a category from the search results/);
    t.equal(page.$('#q').attr('value'), 'grounds', 'the search is kept');
    t.ok(page.$('button[name="add"]').length > 0, 'with its results');
  }
  t.same((await findSupplierRow(database, supplier.id))?.cpvCodes, ['77314000'], 'nothing changed');
  t.same(await auditActions(database, supplier.id), []);
});

t.test('at most 30 categories; many matches are capped with a message; no words, no search', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { rows } = await database.pool.query<{ code: string }>("select code from cpv_codes where division = '45' order by code limit 30");
  const codes = rows.map((r) => r.code);
  t.equal(codes.length, 30);
  const { supplier, cookie } = await signedInMember(app, database, { cpvCodes: codes });

  const full = await postForm(app, '/supplier/categories', { q: 'catering', add: '55520000' }, cookie, { formUrl: '/supplier/categories' });
  t.equal(full.statusCode, 400);
  t.match(formErrors(full.body).fieldError('q'), /You can choose up to 30 categories/);
  t.equal((await findSupplierRow(database, supplier.id))?.cpvCodes.length, 30);

  const many = cheerio.load((await app.inject({ url: '/supplier/categories?q=services', headers: { cookie } })).body);
  t.match(many('#cpv-results-count').text(), /Showing the first 50 of \d[\d,]* categories that match “services”. Add more words to narrow your search./);
  t.equal(many('#cpv-results').closest('fieldset').find('li').length, 50, '50 results shown');

  const none = cheerio.load((await app.inject({ url: '/supplier/categories?q=zzyzx', headers: { cookie } })).body);
  t.match(none('#cpv-results-count').text(), /No categories match “zzyzx”/);
  const noWords = cheerio.load((await app.inject({ url: '/supplier/categories?q=%25%25', headers: { cookie } })).body);
  t.match(noWords('#cpv-results-count').text(), /Type at least one word/);

  const tooLong = await app.inject({ url: `/supplier/categories?q=${'x'.repeat(201)}`, headers: { cookie } });
  t.equal(tooLong.statusCode, 400, 'an over-long search is a clear 400');
});

t.test('the picker acts on the member’s own supplier only, and refuses people who are not members', async (t) => {
  const { app, database } = await buildTestApp(t);
  const a = await signedInMember(app, database, { cpvCodes: [] });
  const b = await signedInMember(app, database, { cpvCodes: ['77314000'] });
  const res = await postForm(app, '/supplier/categories', { remove: '77314000', supplierId: String(b.supplier.id) }, a.cookie);
  t.equal(res.statusCode, 303);
  t.same((await findSupplierRow(database, b.supplier.id))?.cpvCodes, ['77314000'], 'B unchanged');
  t.equal((await app.inject('/supplier/categories')).statusCode, 303, 'anonymous visitors are sent to sign in');
});
