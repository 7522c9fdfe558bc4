// The search page (/opportunities?q=…): the search box, results with highlights (and HTML in
// documents shown as text), filters with counts that reflect the other filters, removable filters
// that keep the rest of the search, the order, pages, advice for an empty result, "Did you mean",
// estimates labelled "about", and a 400 page for bad parameters. All state is in the URL, and the
// form (no JavaScript) sends it back.
import t from 'tap';
import type { CheerioAPI } from 'cheerio';
import { buildTestApp } from '../helper.js';
import { getPage, readable, text } from '../pages/page-helpers.js';
import { seedUiCorpus, STATIONERY } from './ui-seed.js';

const { app, database } = await buildTestApp(t);
const corpus = await seedUiCorpus(database);

const titles = ($: CheerioAPI) => $('.app-opportunity-list__title a').map((_, el) => $(el).text()).get();
const labels = ($: CheerioAPI, name: string) => $(`#filters input[name="${name}"]`).map((_, el) => `${readable($, $(`label[for="${$(el).attr('id')}"]`))}${$(el).is(':checked') ? ' [x]' : ''}`).get();
const selected = ($: CheerioAPI) => $('#selected-filters a').map((_, el) => `${$(el).text()} -> ${$(el).attr('href')}`).get();

/** What a browser without JavaScript sends when the search form is submitted. */
function submitForm($: CheerioAPI, changes: (form: ReturnType<CheerioAPI>) => void = () => {}): string {
  const form = $('#search-form');
  changes(form);
  const params = new URLSearchParams();
  form.find('input[name], select[name]').each((_, el) => {
    const input = $(el);
    const name = input.attr('name')!;
    if (el.tagName === 'select') {
      const option = input.find('option[selected]').first();
      params.append(name, (option.length ? option : input.find('option').first()).attr('value') ?? '');
      return;
    }
    const type = input.attr('type');
    if ((type === 'checkbox' || type === 'radio') && input.attr('checked') === undefined) return;
    params.append(name, input.attr('value') ?? '');
  });
  return `${form.attr('action')}?${params}`;
}

t.test('the search box: labelled, with a hint, keeps what was typed (escaped)', async (t) => {
  let { response, $ } = await getPage(app, '/opportunities');
  t.equal(response.statusCode, 200);
  t.equal($('#search-form').attr('method'), 'get');
  t.equal($('#search-form').attr('action'), '/opportunities');
  t.equal(text($, 'label[for="q"]'), 'Search opportunities');
  t.match(text($, '#q-hint'), /"school meals".*-schools.*youth OR children/);
  t.equal($('#q').attr('aria-describedby'), 'q-hint');
  t.equal($('[role="search"] #q').length, 1, 'in a search landmark');

  const typed = '"school meals" -secondary <script>alert(1)</script>';
  ({ response, $ } = await getPage(app, `/opportunities?q=${encodeURIComponent(typed)}`));
  t.equal(response.statusCode, 200);
  t.equal($('#q').attr('value'), typed, 'the box holds exactly what was typed');
  t.notMatch(response.body, '<script>alert(1)</script>', 'and it is escaped');
  t.equal($('title').text(), `Opportunities matching “${typed}” – Opportunity Portal – Demo Borough Council`);

  // No inline script or style anywhere (the CSP forbids them).
  t.equal($('script:not([src])').length, 0);
  t.equal($('[style], style').length, 0);
});

t.test('results: highlighted matches, and HTML in documents shown as text', async (t) => {
  let { $ } = await getPage(app, '/opportunities?q=plumbing');
  t.same(titles($).sort(), ['Plumbing for the central library', 'Plumbing repairs in council homes'], 'the cancelled one is left out');
  t.same($('.app-opportunity-list__title a mark').map((_, el) => $(el).text()).get(), ['Plumbing', 'Plumbing'], 'the word is highlighted in each title');
  t.equal(text($, '#result-count'), '2 opportunities, best match first.');
  const homes = $('.app-opportunity-list__item').filter((_, el) => $(el).find(`a[href="/opportunities/${corpus.ids.plumbingHomes}"]`).length > 0);
  t.match(homes.find('.app-opportunity-list__snippet').html(), /Reactive <mark>plumbing<\/mark> and heating/, 'the snippet highlights it too');
  t.match(readable($, homes), /Buyer Tipton Homes Value Up to £50,000 \(excluding VAT\) Closing date .* \(\d+ days left\) Published/);

  ({ $ } = await getPage(app, '/opportunities?q=widgets'));
  const title = $('.app-opportunity-list__title a').first();
  t.equal(title.text(), 'Widgets <b>bold</b> & "quoted" <script>alert(1)</script>', 'the title reads as typed by the buyer');
  t.same(title.children().map((_, el) => el.tagName).get(), ['mark'], 'and only <mark> is markup');
  t.equal($('main script, main b, main i, main img').length, 0, 'no element comes from the documents');
  t.match($('.app-opportunity-list__snippet').first().text(), 'Supply of widgets for <i>offices</i> & depots');
});

t.test('filters: checkboxes in fieldsets, counts that reflect the other filters', async (t) => {
  let { $ } = await getPage(app, '/opportunities?q=plumbing');
  t.same(labels($, 'stage'), ['Planned (1)', 'Open (1)', 'Cancelled (1)']);
  t.same(labels($, 'category'), ['Works (2)']);
  t.same(labels($, 'buyer'), ['Sandwell Test Council (1)', 'Tipton Homes (1)']);
  t.same(
    $('#filters fieldset legend').map((_, el) => $(el).text().trim()).get(),
    ['Stage', 'Closing date', 'Type of contract', 'Category', 'Value', 'Suitable for', 'Organisation'],
    'each group has a legend',
  );
  t.equal($('#filters button').text().trim(), 'Apply filters');

  ({ $ } = await getPage(app, `/opportunities?q=plumbing&stage=open&buyer=${corpus.buyers.council.slug}`));
  t.same(labels($, 'stage'), ['Planned (1)', 'Open (0) [x]', 'Cancelled (1)'], "stage counts leave the stage filter out but keep the buyer's");
  t.same(labels($, 'buyer'), ['Tipton Homes (1)', 'Sandwell Test Council (0) [x]'], 'buyer counts keep the stage filter');
  t.same(titles($), []);

  ({ $ } = await getPage(app, '/opportunities?stage=open'));
  t.same(labels($, 'stage'), ['Pipeline (1)', 'Planned (1)', 'Open (3) [x]', 'Awarded (25)', 'Cancelled (1)']);
  t.same(labels($, 'closing'), ['Any time [x]', 'Within 7 days (1)', 'Within 30 days (2)']);
  t.same(labels($, 'sme').concat(labels($, 'vcse'), labels($, 'local')), ['Small and medium-sized businesses (2)', 'Charities and social enterprises (2)', 'Local suppliers only (1)']);
  t.same(labels($, 'value'), ['Under £25,000 (1)', '£25,000 to £100,000 (1)', 'Over £2 million (1)']);
  t.same(labels($, 'cpv').sort(), ['Agricultural, forestry, horticultural, aquacultural and apicultural services (1)', 'Construction work (1)', 'Hotel, restaurant and retail trade services (1)']);

  ({ $ } = await getPage(app, '/opportunities?stage=open&closing=7'));
  t.same(titles($), ['Plumbing repairs in council homes']);
  t.same(labels($, 'closing'), ['Any time', 'Within 7 days (1) [x]', 'Within 30 days (2)']);
  ({ $ } = await getPage(app, '/opportunities?sme=yes&vcse=yes&local=yes'));
  t.same(titles($), ['Catering for primary schools']);
  ({ $ } = await getPage(app, '/opportunities?cpv=45&cpv=55'));
  t.same(titles($), ['Plumbing repairs in council homes', 'Plumbing for the central library', 'Catering for primary schools'], 'values of one filter are alternatives');
  ({ $ } = await getPage(app, '/opportunities?value=over-2m&value=under-25k&category=services'));
  t.same(titles($), ['Catering for primary schools', 'Grounds maintenance for parks and open spaces']);
});

t.test('selected filters can be removed one by one, keeping the rest of the search', async (t) => {
  const url = `/opportunities?q=plumbing&stage=open&stage=planned&sme=yes&buyer=${corpus.buyers.homes.slug}&sort=newest`;
  let { response, $ } = await getPage(app, url);
  t.equal(response.statusCode, 200);
  t.same(selected($), [
    `Remove filter: Planned -> /opportunities?q=plumbing&stage=open&sme=yes&buyer=tipton-homes&sort=newest`,
    `Remove filter: Open -> /opportunities?q=plumbing&stage=planned&sme=yes&buyer=tipton-homes&sort=newest`,
    `Remove filter: Suitable for small and medium-sized businesses -> /opportunities?q=plumbing&stage=planned&stage=open&buyer=tipton-homes&sort=newest`,
    `Remove filter: Tipton Homes -> /opportunities?q=plumbing&stage=planned&stage=open&sme=yes&sort=newest`,
  ], 'in a fixed order, whatever the order in the address');
  t.equal($('#filters a').filter((_, el) => $(el).text() === 'Clear filters').attr('href'), '/opportunities?q=plumbing&sort=newest', 'clearing keeps the words and the order');
  t.same(titles($), ['Plumbing repairs in council homes']);

  ({ response, $ } = await getPage(app, $('#selected-filters a').last().attr('href')!));
  t.same(selected($).map((s) => s.split(' -> ')[0]), ['Remove filter: Planned', 'Remove filter: Open', 'Remove filter: Suitable for small and medium-sized businesses']);
  t.equal($('#q').attr('value'), 'plumbing');
  t.same(titles($), ['Plumbing repairs in council homes']);
  t.equal($('#search-form input[type="hidden"][name="sort"]').attr('value'), 'newest', 'with one result, no sort control, but the order is kept');
  ({ $ } = await getPage(app, '/opportunities?q=plumbing&sort=newest'));
  t.equal($('#sort option[selected]').attr('value'), 'newest');

  // Submitting the form as a browser without JavaScript would: the same search comes back.
  ({ $ } = await getPage(app, url));
  const again = await getPage(app, submitForm($));
  t.equal(again.response.statusCode, 200);
  t.same(titles(again.$), titles($), 'the form round-trips the search');
  t.same(selected(again.$).map((s) => s.split(' -> ')[0]), selected($).map((s) => s.split(' -> ')[0]));

  // Ticking another box and applying.
  ({ $ } = await getPage(app, '/opportunities?stage=open'));
  const withCategory = submitForm($, (form) => form.find('input[name="category"][value="works"]').attr('checked', 'checked'));
  t.match(withCategory, /stage=open.*category=works/);
  t.same(titles((await getPage(app, withCategory)).$), ['Plumbing repairs in council homes']);
});

t.test('the order: relevance only with words; sorts by closing date and value', async (t) => {
  let { $ } = await getPage(app, '/opportunities');
  const options = () => $('#sort option').map((_, el) => `${$(el).attr('value')}=${$(el).text()}`).get();
  t.same(options(), ['=Newest first', 'closing=Closing soonest', 'value=Highest value'], 'no "best match" without words');
  t.equal(text($, '#result-count'), `${STATIONERY + 5} opportunities, showing 1 to 20, newest first.`);
  ({ $ } = await getPage(app, '/opportunities?q=plumbing'));
  t.same(options(), ['=Best match', 'newest=Newest first', 'closing=Closing soonest', 'value=Highest value']);
  t.equal($('#sort option[selected]').length, 0, 'the default is the first option');
  t.equal(text($, 'label[for="sort"]'), 'Sort by');

  ({ $ } = await getPage(app, '/opportunities?stage=open&sort=closing'));
  t.same(titles($), ['Plumbing repairs in council homes', 'Catering for primary schools', 'Grounds maintenance for parks and open spaces']);
  t.equal(text($, '#result-count'), '3 opportunities, closing soonest first.');
  ({ $ } = await getPage(app, '/opportunities?q=stationery&sort=value'));
  t.same(titles($).slice(0, 3), ['Stationery order 25', 'Stationery order 24', 'Stationery order 23']);
  ({ $ } = await getPage(app, '/opportunities?sort=relevance'));
  t.equal(text($, '#result-count'), `${STATIONERY + 5} opportunities, showing 1 to 20, newest first.`, 'relevance without words is newest first');
});

t.test('pages: GOV.UK pagination keeping the search; a page past the last is a 404', async (t) => {
  let { response, $ } = await getPage(app, '/opportunities?q=stationery&stage=awarded');
  t.equal(text($, '#result-count'), '25 opportunities, showing 1 to 20, best match first.');
  t.equal($('.govuk-pagination__next a').attr('href'), '/opportunities?q=stationery&stage=awarded&page=2');
  ({ response, $ } = await getPage(app, '/opportunities?q=stationery&stage=awarded&page=2'));
  t.equal(response.statusCode, 200);
  t.equal($('title').text(), 'Opportunities matching “stationery” (page 2 of 2) – Opportunity Portal – Demo Borough Council');
  t.equal(titles($).length, 5);
  t.equal($('.govuk-pagination__prev a').attr('href'), '/opportunities?q=stationery&stage=awarded');
  ({ response, $ } = await getPage(app, '/opportunities?q=stationery&page=3'));
  t.equal(response.statusCode, 404);
  t.equal(text($, 'h1'), 'No more opportunities');
  t.equal($('main a').first().attr('href'), '/opportunities?q=stationery');
});

t.test('an empty result gives advice: fewer words, fewer filters, related categories', async (t) => {
  const first = await getPage(app, '/opportunities?q=plumbing&category=goods');
  let $ = first.$;
  t.equal(first.response.statusCode, 200);
  t.equal(text($, '#result-count'), 'No opportunities match your search');
  const links = () => $('#no-results .govuk-list--bullet a').map((_, el) => `${$(el).text()} -> ${$(el).attr('href')}`).get();
  t.same(links(), [
    'search again without any filters -> /opportunities?q=plumbing',
    'see every opportunity with these filters -> /opportunities?category=goods',
    'see all opportunities -> /opportunities',
  ]);
  t.match(text($, '#no-results'), 'use fewer words, or other words for the same thing');

  // Related categories from the facets: plumbing is found in construction work, not in 77.
  ({ $ } = await getPage(app, '/opportunities?q=plumbing&cpv=77'));
  t.same(
    $('#related-categories a').map((_, el) => `${$(el).text()} -> ${$(el).attr('href')}`).get(),
    ['Construction work (2) -> /opportunities?q=plumbing&cpv=45'],
    'tried with the same words',
  );
  // …or from the CPV names the words appear in.
  ({ $ } = await getPage(app, '/opportunities?q=bakery'));
  t.equal(text($, '#result-count'), 'No opportunities match your search');
  t.ok($('#related-categories a[href="/opportunities?cpv=15"]').length, 'bakery products are food (division 15)');
  t.equal($('#related-categories a').length <= 3, true);
});

t.test('"Did you mean": a link to the corrected search, keeping the filters', async (t) => {
  let { $ } = await getPage(app, '/opportunities?q=plumbng');
  t.equal(text($, '#suggestion'), 'Did you mean plumbing?');
  t.equal($('#suggestion a').attr('href'), '/opportunities?q=plumbing');
  t.ok(titles($).includes('Plumbing repairs in council homes'), 'and results for it are shown');
  t.ok(text($, '#search-notices').length > 0, 'with a notice saying so');
  ({ $ } = await getPage(app, '/opportunities?q=plumbng&stage=planned'));
  t.equal($('#suggestion a').attr('href'), '/opportunities?q=plumbing&stage=planned');
});

t.test('estimates are labelled "about"', async (t) => {
  const search = app.opportunitySearch.search;
  t.teardown(() => {
    app.opportunitySearch.search = search;
  });
  // Pretend the backend counted from a sample, as it does beyond the exact-count threshold.
  app.opportunitySearch.search = async (query) => {
    const result = await search(query);
    const facets = Object.fromEntries(Object.entries(result.facets).map(([k, values]) => [k, values.map((v) => ({ ...v, count: v.count * 1000, countIsEstimate: true }))])) as typeof result.facets;
    return { ...result, total: 12_000, totalIsEstimate: true, facets };
  };
  const { $ } = await getPage(app, '/opportunities?q=stationery');
  t.equal(text($, '#result-count'), 'About 12,000 opportunities, showing 1 to 20, best match first.');
  t.same(labels($, 'stage'), ['Pipeline (about 1,000)', 'Awarded (about 25,000)'], 'stationery: the orders, and office supplies by synonym');
  t.equal($('.govuk-pagination__item').last().text().trim(), '50', 'pages stop at the result window');
});

t.test('over-long text is cut with a notice; bad parameters are a 400 page naming each', async (t) => {
  const long = `plumbing ${'x'.repeat(400)}`;
  let { response, $ } = await getPage(app, `/opportunities?q=${long}`);
  t.equal(response.statusCode, 200);
  t.match(text($, '#search-notices'), 'only the first 200 were used');
  t.equal($('#q').attr('value')!.length, 200);

  ({ response, $ } = await getPage(app, '/opportunities?stage=secret&value=huge&buyer=nobody&sme=no&closing=14&cpv=00&category=food'));
  t.equal(response.statusCode, 400);
  t.equal(text($, 'h1'), 'There is a problem with the link you followed');
  const message = text($, 'main p');
  for (const sentence of [
    'The stage must be one of: pipeline, planned, open, closed, awarded, cancelled.',
    'The type of contract (category) must be one of: goods, services, works.',
    'There is no CPV division “00”',
    'The value (value) must be one of: under-25k, 25k-100k, 100k-500k, 500k-2m, over-2m, unknown.',
    'The small business filter (sme) can only be “yes”',
    'No organisation called “nobody”.',
    'The closing date filter (closing) must be 7 or 30 (days).',
  ]) {
    t.match(message, sentence);
  }
  for (const [url, sentence] of [
    ['/opportunities?buyer=Not%20A%20Slug', 'The organisation (buyer) must be given by its short name in lower case'],
    ['/opportunities?cpv=4', 'The category (cpv) must be a CPV division: two digits'],
    ['/opportunities?q=a&q=b', 'Give the search words (q) only once.'],
    ['/opportunities?page=10001', 'The page number must be a whole number from 1 to 10,000.'],
    [`/opportunities?${Array.from({ length: 51 }, () => 'stage=open').join('&')}`, 'Give at most 50 values of stage.'],
  ] as const) {
    ({ response, $ } = await getPage(app, url));
    t.equal(response.statusCode, 400, url);
    t.match(text($, 'main p'), sentence, url);
  }
});

t.test('the home page has a search box that searches opportunities', async (t) => {
  const { $ } = await getPage(app, '/');
  const form = $('form#home-search');
  t.equal(form.attr('method'), 'get');
  t.equal(form.attr('action'), '/opportunities');
  t.equal(form.attr('role'), 'search');
  t.equal(text($, '#home-search label[for="q"]'), 'Search opportunities');
  t.equal(form.find('input#q').attr('name'), 'q');
  const { $: results } = await getPage(app, `/opportunities?${new URLSearchParams({ q: 'catering' })}`);
  t.same(titles(results), ['Catering for primary schools']);
});
