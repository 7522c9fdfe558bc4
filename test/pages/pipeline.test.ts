// /pipeline: forthcoming opportunities (pipeline and planned) grouped by UK financial-year quarter.
import t from 'tap';
import type { CheerioAPI } from 'cheerio';
import { financialQuarter, groupByQuarter } from '../../src/modules/opportunities/pipeline.routes.js';
import { listPipeline, type PipelineEntry } from '../../src/modules/opportunities/pipeline.repository.js';
import { buildTestApp } from '../helper.js';
import { createBuyer, createOpportunity, editWorkingCopy, publish } from '../support/factories.js';
import { getPage, readable, text } from './page-helpers.js';

// Two years ahead, so every quarter below is in the future whenever the suite runs. The last
// days of March are always British Summer Time (the clocks go forward on March's last Sunday).
const Y = new Date().getUTCFullYear() + 2;
const yy = (year: number) => String(year).slice(-2);

const noDates = { tenderDeadline: null, expectedAwardDate: null, contractStart: null } as const;

const headings = ($: CheerioAPI) => $('section.app-pipeline-quarter > h2').map((_, el) => $(el).text().trim()).get();
const captions = ($: CheerioAPI) => $('section.app-pipeline-quarter > h2 + .govuk-caption-m').map((_, el) => $(el).text().trim()).get();
const titlesIn = ($: CheerioAPI, heading: string) =>
  $('section.app-pipeline-quarter')
    .filter((_, el) => $(el).children('h2').text().trim() === heading)
    .find('.app-opportunity-list__title a')
    .map((_, el) => $(el).text())
    .get();
const allTitles = ($: CheerioAPI) => $('.app-opportunity-list__title a').map((_, el) => $(el).text()).get();

t.test('financial-year quarters: April to June is quarter 1, January to March quarter 4', async (t) => {
  t.same(financialQuarter('2027-04-01'), { id: 'q-2027-1', label: 'April to June 2027', caption: 'Quarter 1 of the 2027 to 2028 financial year', short: 'Q1 2027/28', start: '2027-04-01', end: '2027-06-30' });
  t.same(financialQuarter('2027-03-31'), { id: 'q-2026-4', label: 'January to March 2027', caption: 'Quarter 4 of the 2026 to 2027 financial year', short: 'Q4 2026/27', start: '2027-01-01', end: '2027-03-31' });
  t.equal(financialQuarter('2027-06-30').id, 'q-2027-1');
  t.equal(financialQuarter('2027-07-01').label, 'July to September 2027');
  t.equal(financialQuarter('2027-09-30').id, 'q-2027-2');
  t.equal(financialQuarter('2027-10-01').label, 'October to December 2027');
  t.equal(financialQuarter('2027-12-31').id, 'q-2027-3');
  t.equal(financialQuarter('2028-01-01').caption, 'Quarter 4 of the 2027 to 2028 financial year');
  t.equal(financialQuarter('1999-12-31').short, 'Q3 1999/00', 'the short form wraps the century');

  const entry = (keyDate: string | null, title: string): PipelineEntry => ({
    id: 1,
    title,
    summary: '',
    buyerName: 'B',
    stage: 'pipeline',
    value: { minPence: null, maxPence: null, includesVat: false, currency: 'GBP' },
    cpv: [],
    tenderDeadline: null,
    expectedAwardDate: keyDate,
    contractStart: null,
    keyDate,
  });
  const groups = groupByQuarter([entry('2026-05-01', 'past'), entry('2026-11-26', 'now'), entry('2027-01-05', 'next'), entry(null, 'undated')], '2026-11-26');
  t.same(
    groups.map((g) => [g.heading, g.past, g.current, g.items.map((i) => i.title)]),
    [
      ['April to June 2026', true, false, ['past']],
      ['October to December 2026', false, true, ['now']],
      ['January to March 2027', false, false, ['next']],
      ['Date not yet known', false, false, ['undated']],
    ],
  );
});

t.test('the pipeline groups forthcoming opportunities by quarter, in London time, soonest first', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database, { name: 'Sandwell Council' });
  const made: Record<string, number> = {};
  const add = async (title: string, overrides: Parameters<typeof createOpportunity>[2]) => {
    const o = await createOpportunity(database, buyer.id, { stage: 'pipeline', title, ...noDates, ...overrides });
    await publish(database, o.id);
    made[title] = o.id;
    return o;
  };

  // 22:30 UTC on 31 March is 11:30pm in London (BST): still quarter 4.
  await add('Last day of March', { tenderDeadline: new Date(`${Y}-03-31T22:30:00Z`) });
  // 23:30 UTC on 31 March is 12:30am on 1 April in London: quarter 1 of the next financial year.
  await add('First minutes of April', { tenderDeadline: new Date(`${Y}-03-31T23:30:00Z`), valueMinPence: 5_000_000, valueMaxPence: 8_000_000 });
  // The tender deadline wins over the expected award date.
  await add('Tender in May', { stage: 'planned', tenderDeadline: new Date(`${Y}-05-01T09:00:00Z`), expectedAwardDate: `${Y - 1}-12-01` });
  // No tender deadline: the expected award date; neither: the contract start.
  await add('Award in late June', { stage: 'planned', expectedAwardDate: `${Y}-06-30`, contractStart: `${Y}-09-01` });
  await add('Starts in July', { contractStart: `${Y}-07-15` });
  await add('Starts in January', { contractStart: `${Y}-01-05` });
  // 31 December 23:30 UTC is 11:30pm in London (GMT): still October to December.
  await add('New Year’s Eve', { tenderDeadline: new Date(`${Y - 1}-12-31T23:30:00Z`) });
  await add('Nobody knows when', {});
  await add('Also undated', { stage: 'planned' });

  // Not in the pipeline: open, closed and awarded ones, a cancelled pipeline one, an unpublished one.
  for (const stage of ['open', 'closed', 'awarded'] as const) {
    const o = await createOpportunity(database, buyer.id, { stage, title: `Excluded ${stage}`, tenderDeadline: new Date(`${Y}-05-02T09:00:00Z`) });
    await publish(database, o.id);
  }
  const cancelled = await createOpportunity(database, buyer.id, { stage: 'pipeline', title: 'Excluded cancelled', ...noDates, expectedAwardDate: `${Y}-05-03` });
  await publish(database, cancelled.id);
  await publish(database, cancelled.id, { cancelled: true });
  await createOpportunity(database, buyer.id, { stage: 'pipeline', title: 'Excluded draft', ...noDates, contractStart: `${Y}-05-04` });
  // One that moved on from the pipeline: only its latest release counts.
  const movedOn = await createOpportunity(database, buyer.id, { stage: 'pipeline', title: 'Excluded moved on', ...noDates, expectedAwardDate: `${Y}-05-05` });
  await publish(database, movedOn.id);
  await editWorkingCopy(database, movedOn.id, { stage: 'open' });
  await publish(database, movedOn.id, { changeNote: 'Now open for bids.' });

  const { response, $ } = await getPage(app, '/pipeline');
  t.equal(response.statusCode, 200);
  t.equal($('title').text(), 'Pipeline of contracts coming up – Opportunity Portal – Demo Borough Council');
  t.equal(text($, 'h1'), 'Pipeline: contracts coming up');
  t.equal($('.govuk-service-navigation__item--active a').text().trim(), 'Pipeline');
  t.equal($('.govuk-service-navigation__item--active a').attr('aria-current'), 'page');
  t.notMatch(response.body, 'Excluded', 'open, closed, awarded, cancelled, draft and moved-on ones are left out');
  t.equal(text($, '#result-count'), '9 contracts in the pipeline, soonest first.');

  t.same(headings($), [
    `October to December ${Y - 1}`,
    `January to March ${Y}`,
    `April to June ${Y}`,
    `July to September ${Y}`,
    'Date not yet known',
  ]);
  t.same(captions($), [
    `Quarter 3 of the ${Y - 1} to ${Y} financial year (Q3 ${Y - 1}/${yy(Y)})`,
    `Quarter 4 of the ${Y - 1} to ${Y} financial year (Q4 ${Y - 1}/${yy(Y)})`,
    `Quarter 1 of the ${Y} to ${Y + 1} financial year (Q1 ${Y}/${yy(Y + 1)})`,
    `Quarter 2 of the ${Y} to ${Y + 1} financial year (Q2 ${Y}/${yy(Y + 1)})`,
  ]);
  t.same(titlesIn($, `October to December ${Y - 1}`), ['New Year’s Eve']);
  t.same(titlesIn($, `January to March ${Y}`), ['Starts in January', 'Last day of March']);
  t.same(titlesIn($, `April to June ${Y}`), ['First minutes of April', 'Tender in May', 'Award in late June']);
  t.same(titlesIn($, `July to September ${Y}`), ['Starts in July']);
  t.same(titlesIn($, 'Date not yet known'), ['Also undated', 'Nobody knows when'], 'undated ones last, by title');
  t.match(text($, 'section.app-pipeline-quarter:last-of-type'), 'The buyer has not yet said when');
  t.notMatch(text($, 'main'), 'have passed', 'no quarter here is in the past');

  // The jump links name each quarter with its count.
  t.same($('#quarters a').map((_, el) => `${$(el).text()}=${$(el).attr('href')}`).get(), [
    `October to December ${Y - 1}=#q-${Y - 1}-3`,
    `January to March ${Y}=#q-${Y - 1}-4`,
    `April to June ${Y}=#q-${Y}-1`,
    `July to September ${Y}=#q-${Y}-2`,
    'Date not yet known=#undated',
  ]);
  t.match(text($, '#quarters'), `January to March ${Y} (2 contracts)`);

  // One entry in full: link, stage, buyer, value, dates in London time, categories, summary.
  const april = $('.app-opportunity-list__item').filter((_, el) => $(el).find('h3').text() === 'First minutes of April');
  t.equal(april.find('h3 a').attr('href'), `/opportunities/${made['First minutes of April']}`);
  t.same(april.find('.govuk-tag').map((_, el) => $(el).text().trim()).get(), ['Pipeline']);
  t.equal(
    readable($, april.find('dl')),
    `Buyer Sandwell Council Value £50,000 to £80,000 (excluding VAT) Expected deadline for bids 1 April ${Y} at 12:30am Categories Planting and maintenance services of green areas; Grounds maintenance services`,
  );
  t.equal(april.find('time').attr('datetime'), `${Y}-03-31T23:30:00.000Z`, 'machine-readable time is UTC');
  t.match(readable($, april), 'Grass cutting, hedge trimming and litter picking');
  const march = $('.app-opportunity-list__item').filter((_, el) => $(el).find('h3').text() === 'Last day of March');
  t.match(readable($, march.find('dl')), `Expected deadline for bids 31 March ${Y} at 11:30pm`);

  const may = $('.app-opportunity-list__item').filter((_, el) => $(el).find('h3').text() === 'Tender in May');
  t.same(may.find('.govuk-tag').map((_, el) => $(el).text().trim()).get(), ['Planned']);
  t.match(readable($, may.find('dl')), `Expected deadline for bids 1 May ${Y} at 10am Contract expected to be awarded 1 December ${Y - 1}`);
  const june = $('.app-opportunity-list__item').filter((_, el) => $(el).find('h3').text() === 'Award in late June');
  t.match(readable($, june.find('dl')), `Contract expected to be awarded 30 June ${Y} Contract expected to start 1 September ${Y}`);
  t.notMatch(readable($, june.find('dl')), 'deadline for bids');
  const undated = $('.app-opportunity-list__item').filter((_, el) => $(el).find('h3').text() === 'Nobody knows when');
  t.notMatch(readable($, undated.find('dl')), 'Expected', 'no dates when none are known');
});

t.test('past quarters still show, marked as passed, before the future ones', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const past = await createOpportunity(database, buyer.id, { stage: 'pipeline', title: 'Slipped', ...noDates, tenderDeadline: new Date('2025-05-20T11:00:00Z') });
  await publish(database, past.id, { at: new Date('2025-01-10T10:00:00Z') });
  const future = await createOpportunity(database, buyer.id, { stage: 'planned', title: 'Ahead', ...noDates, expectedAwardDate: `${Y}-08-01` });
  await publish(database, future.id);

  const { $ } = await getPage(app, '/pipeline');
  t.same(headings($), ['April to June 2025', `July to September ${Y}`]);
  t.same(allTitles($), ['Slipped', 'Ahead']);
  const first = $('section.app-pipeline-quarter').first();
  t.match(readable($, first), 'The dates in this quarter have passed, but the buyers have not yet asked for bids or cancelled these contracts');
  t.notMatch(readable($, $('section.app-pipeline-quarter').last()), 'have passed');
});

t.test('filters by organisation and type of contract', async (t) => {
  const { app, database } = await buildTestApp(t);
  const council = await createBuyer(database, { name: 'Oldbury Council', slug: 'oldbury-council' });
  const trust = await createBuyer(database, { name: 'Tipton Housing Trust', slug: 'tipton-housing-trust' });
  const other = await createBuyer(database, { name: 'Quiet Town Council', slug: 'quiet-town-council' });
  const add = async (buyerId: number, title: string, mainCategory: 'goods' | 'services' | 'works', month: string) => {
    const o = await createOpportunity(database, buyerId, { stage: 'pipeline', title, mainCategory, ...noDates, expectedAwardDate: `${Y}-${month}-10` });
    await publish(database, o.id);
  };
  await add(council.id, 'Council works', 'works', '05');
  await add(council.id, 'Council goods', 'goods', '08');
  await add(trust.id, 'Trust works', 'works', '06');
  const open = await createOpportunity(database, other.id, { stage: 'open', title: 'Open elsewhere' });
  await publish(database, open.id);

  let { response, $ } = await getPage(app, '/pipeline');
  t.same(
    $('#buyer option').map((_, el) => `${$(el).attr('value')}=${$(el).text()}`).get(),
    ['=Any organisation', 'oldbury-council=Oldbury Council (2)', 'tipton-housing-trust=Tipton Housing Trust (1)'],
    'only organisations with contracts in the pipeline are offered',
  );
  t.same($('#category option').map((_, el) => $(el).attr('value')).get(), ['', 'goods', 'services', 'works']);
  t.equal($('form[action="/pipeline"]').attr('method'), 'get');
  t.equal($('a[href="/pipeline"]').filter((_, el) => $(el).text() === 'Clear filters').length, 0, 'nothing to clear');

  ({ response, $ } = await getPage(app, '/pipeline?buyer=oldbury-council'));
  t.equal(response.statusCode, 200);
  t.same(allTitles($), ['Council works', 'Council goods']);
  t.equal(text($, '#result-count'), '2 contracts in the pipeline from Oldbury Council, soonest first.');
  t.equal($('#buyer option[selected]').attr('value'), 'oldbury-council', 'the choice is kept');
  t.equal($('main a').filter((_, el) => $(el).text() === 'Clear filters').attr('href'), '/pipeline');

  ({ $ } = await getPage(app, '/pipeline?category=works'));
  t.same(allTitles($), ['Council works', 'Trust works']);
  t.equal(text($, '#result-count'), '2 contracts in the pipeline of the type “Works (building or construction)”, soonest first.');
  t.equal($('#category option[selected]').attr('value'), 'works');

  ({ $ } = await getPage(app, '/pipeline?buyer=oldbury-council&category=works'));
  t.same(allTitles($), ['Council works']);

  ({ $ } = await getPage(app, '/pipeline?buyer=&category='));
  t.same(allTitles($), ['Council works', 'Trust works', 'Council goods'], 'the form’s “any” choices are no filter');

  ({ $ } = await getPage(app, '/pipeline?category=services'));
  t.same(allTitles($), []);
  t.equal(text($, '#result-count'), 'No contracts in the pipeline match your filters.');

  for (const slug of ['quiet-town-council', 'no-such-buyer']) {
    ({ response, $ } = await getPage(app, `/pipeline?buyer=${slug}`));
    t.equal(response.statusCode, 200, `${slug}: a well-formed organisation without pipeline contracts is an empty result`);
    t.same(allTitles($), []);
    t.match(text($, 'main'), 'The organisation you chose has no contracts in the pipeline.');
  }
});

t.test('bad filter values are a 400 page saying what is wrong; unknown parameters are ignored', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const o = await createOpportunity(database, buyer.id, { stage: 'pipeline', title: 'Only one', ...noDates });
  await publish(database, o.id);

  for (const query of ['category=food', 'category=Works', 'category=works&category=goods']) {
    const { response, $ } = await getPage(app, `/pipeline?${query}`);
    t.equal(response.statusCode, 400, `${query} is a 400`);
    t.equal(text($, 'h1'), 'There is a problem with the link you followed');
    t.match(text($, 'main'), 'The type of contract must be one of: goods, services, works.');
    t.match(response.headers['content-type'], 'text/html');
  }
  for (const query of ['buyer=Oldbury', 'buyer=%3Cscript%3E', `buyer=${'a'.repeat(101)}`, 'buyer=a&buyer=b', 'buyer=a%20b']) {
    const { response, $ } = await getPage(app, `/pipeline?${query}`);
    t.equal(response.statusCode, 400, `${query.slice(0, 30)} is a 400`);
    t.match(text($, 'main'), 'The organisation must be one of those in the list');
    t.notMatch(response.body, '<script>', 'the bad value is not echoed as markup');
  }

  const ignored = await getPage(app, '/pipeline?utm_source=newsletter&page=2');
  t.equal(ignored.response.statusCode, 200, 'unknown parameters are ignored');
  t.same(allTitles(ignored.$), ['Only one']);

  const tooLong = await app.inject(`/pipeline?x=${'9'.repeat(3000)}`);
  t.equal(tooLong.statusCode, 414);
});

t.test('an empty pipeline says so', async (t) => {
  const { app } = await buildTestApp(t);
  const { response, $ } = await getPage(app, '/pipeline');
  t.equal(response.statusCode, 200);
  t.match(text($, '#result-count'), 'There are no contracts in the pipeline at the moment.');
  t.equal($('section.app-pipeline-quarter').length, 0);
  t.same($('#buyer option').map((_, el) => $(el).text()).get(), ['Any organisation']);
});

t.test('the list is capped, soonest first, with the total for the same filters', async (t) => {
  const { database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  for (const [title, day] of [['Third', '2030-06-03'], ['First', '2030-06-01'], ['Undated', null], ['Second', '2030-06-02']] as const) {
    const o = await createOpportunity(database, buyer.id, { stage: 'pipeline', title, ...noDates, expectedAwardDate: day });
    await publish(database, o.id);
  }
  const { entries, total } = await listPipeline(database.db, {}, 2);
  t.equal(total, 4);
  t.same(entries.map((e) => [e.title, e.keyDate]), [['First', '2030-06-01'], ['Second', '2030-06-02']]);
  const forBuyer = await listPipeline(database.db, { buyer: buyer.slug }, 10);
  t.equal(forBuyer.total, 4);
  t.same(forBuyer.entries.map((e) => e.title), ['First', 'Second', 'Third', 'Undated']);
});

t.test('the home page and the navigation lead to the pipeline', async (t) => {
  const { app } = await buildTestApp(t);
  const { $ } = await getPage(app, '/');
  const link = $('main a[href="/pipeline"]');
  t.equal(link.length, 1);
  t.equal(link.text(), 'See the pipeline: contracts we expect to tender in the coming months');
  t.same(
    $('.govuk-service-navigation__list a').map((_, el) => $(el).text().trim()).get(),
    ['Home', 'Opportunities', 'Pipeline', 'Suppliers', 'Sign in'],
  );
});
