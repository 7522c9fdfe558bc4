// /opportunities without search words: paginated, newest first, from the search documents written
// with each release; bad input is a clear 4xx. (Searching with words and filters: test/search/page.test.ts.)
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import type { CheerioAPI } from 'cheerio';
import { buildTestApp, type TestApp, type TestContext } from '../helper.js';
import { createBuyer, createOpportunity, editWorkingCopy, publish } from '../support/factories.js';
import { getPage, readable, text } from './page-helpers.js';

/** 45 published opportunities, one a day from 1 January 2026 (so number 45 is the newest). */
async function seedList(t: TestContext): Promise<TestApp & { ids: number[] }> {
  const testApp = await buildTestApp(t);
  const buyer = await createBuyer(testApp.database, { name: 'Tipton Town Council' });
  const ids: number[] = [];
  for (let i = 1; i <= 45; i++) {
    const o = await createOpportunity(testApp.database, buyer.id, { title: `Opportunity ${i}`, stage: i % 5 === 0 ? 'planned' : 'open' });
    await publish(testApp.database, o.id, { at: new Date(Date.UTC(2026, 0, i, 9)) });
    ids.push(o.id);
  }
  return { ...testApp, ids };
}

const titles = ($: CheerioAPI) => $('.app-opportunity-list__title a').map((_, el) => $(el).text()).get();

t.test('the list: counts, order, pagination', async (t) => {
  const { app, database, ids } = await seedList(t);
  const buyer = await createBuyer(database);
  const draft = await createOpportunity(database, buyer.id, { title: 'A draft nobody should see' });
  t.ok(draft.id);

  let { response, $ } = await getPage(app, '/opportunities');
  t.equal(response.statusCode, 200);
  t.equal($('title').text(), 'Opportunities – Opportunity Portal – Demo Borough Council');
  t.equal(text($, '#result-count'), '45 opportunities, showing 1 to 20, newest first.');
  t.same(titles($), Array.from({ length: 20 }, (_, i) => `Opportunity ${45 - i}`));
  t.notMatch(response.body, 'A draft nobody should see');
  const first = $('.app-opportunity-list__item').first();
  t.equal(first.find('a').attr('href'), `/opportunities/${ids[44]}`);
  t.match(readable($, first), 'Buyer Tipton Town Council Value £100,000 to £250,000 (excluding VAT) Published 14 February 2026 Grass cutting, hedge trimming and litter picking');
  t.notMatch(readable($, first), 'Closing date', 'a planned opportunity has no closing date yet');
  t.match(readable($, $('.app-opportunity-list__item').eq(1)), /Closing date \d+ \w+ \d{4} at [\w:]+ \(\d+ days left\) Published 13 February 2026/);
  t.same($('.app-opportunity-list__item').eq(0).find('.govuk-tag').map((_, el) => $(el).text()).get(), ['Planned'], 'number 45 is planned');
  t.same($('.app-opportunity-list__item').eq(1).find('.govuk-tag').map((_, el) => $(el).text()).get(), ['Open']);

  // GOV.UK pagination on page 1 of 3: no previous, pages 1 2 3, next.
  t.equal($('.govuk-pagination__prev').length, 0);
  t.equal($('.govuk-pagination__next a').attr('href'), '/opportunities?page=2');
  t.same($('.govuk-pagination__item a').map((_, el) => `${$(el).text().trim()}=${$(el).attr('href')}`).get(), ['1=/opportunities', '2=/opportunities?page=2', '3=/opportunities?page=3']);
  t.equal($('.govuk-pagination__item--current a').attr('aria-current'), 'page');

  ({ response, $ } = await getPage(app, '/opportunities?page=3'));
  t.equal(response.statusCode, 200);
  t.equal($('title').text(), 'Opportunities (page 3 of 3) – Opportunity Portal – Demo Borough Council');
  t.equal(text($, '#result-count'), '45 opportunities, showing 41 to 45, newest first.');
  t.same(titles($), ['Opportunity 5', 'Opportunity 4', 'Opportunity 3', 'Opportunity 2', 'Opportunity 1']);
  t.equal($('.govuk-pagination__prev a').attr('href'), '/opportunities?page=2');
  t.equal($('.govuk-pagination__next').length, 0);
  t.equal($('.govuk-service-navigation__item--active a').attr('aria-current'), 'page', 'Opportunities is the current page');

  // The stage filter, with its own count and pagination links.
  ({ response, $ } = await getPage(app, '/opportunities?stage=planned'));
  t.equal(text($, '#result-count'), '9 opportunities, newest first.');
  t.same(titles($), ['Opportunity 45', 'Opportunity 40', 'Opportunity 35', 'Opportunity 30', 'Opportunity 25', 'Opportunity 20', 'Opportunity 15', 'Opportunity 10', 'Opportunity 5']);
  t.same($('#filters input[name="stage"]:checked').map((_, el) => $(el).attr('value')).get(), ['planned'], 'the stage filter is ticked');
  t.equal(text($, '#selected-filters'), 'Remove filter: Planned');
  t.equal($('#selected-filters a').attr('href'), '/opportunities');
  ({ $ } = await getPage(app, '/opportunities?stage=open&page=2'));
  t.equal($('.govuk-pagination__prev a').attr('href'), '/opportunities?stage=open');
});

t.test('ties on first publication are broken by id, newest first; amendments do not reorder', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const at = new Date('2026-04-01T09:00:00Z');
  const a = await createOpportunity(database, buyer.id, { title: 'Tie A' });
  const b = await createOpportunity(database, buyer.id, { title: 'Tie B' });
  const older = await createOpportunity(database, buyer.id, { title: 'Older but amended' });
  await publish(database, older.id, { at: new Date('2026-03-01T09:00:00Z') });
  await publish(database, a.id, { at });
  await publish(database, b.id, { at });
  await editWorkingCopy(database, older.id, { summary: 'Amended later' });
  await publish(database, older.id, { at: new Date('2026-05-01T09:00:00Z'), changeNote: 'Summary changed' });
  const { $ } = await getPage(app, '/opportunities');
  t.same(titles($), ['Tie B', 'Tie A', 'Older but amended']);
  t.match($('.app-opportunity-list__item').last().text(), 'Amended later', 'the list shows the latest release');
});

t.test('cancelled opportunities are left out unless the stage filter asks for them, then listed with their tag', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const o = await createOpportunity(database, buyer.id, { title: 'Cancelled one', stage: 'open' });
  await publish(database, o.id);
  await publish(database, o.id, { cancelled: true });
  let { $ } = await getPage(app, '/opportunities');
  t.same(titles($), [], 'not in the default list');
  t.equal(text($, 'label[for="filter-stage"]'), 'Cancelled (1)', 'but the stage filter offers it, with its count');
  ({ $ } = await getPage(app, '/opportunities?stage=cancelled'));
  t.same(titles($), ['Cancelled one']);
  t.same($('.app-opportunity-list__item .govuk-tag').map((_, el) => $(el).text()).get(), ['Open', 'Cancelled']);
  t.notMatch($('.app-opportunity-list__item').text(), 'Closing date', 'no closing date on a cancelled one');
  ({ $ } = await getPage(app, '/opportunities?stage=open'));
  t.same(titles($), []);
  t.match(text($, 'main'), 'There are no open opportunities at the moment.');
});

t.test('bad page values are a 400 page saying what is wrong; unknown parameters are ignored', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const o = await createOpportunity(database, buyer.id, { title: 'Only one' });
  await publish(database, o.id);

  for (const page of ['abc', '0', '-1', '10001', '99999999999999999999', '1.5', '', '1e3x', '%00', '1&page=2']) {
    const { response, $ } = await getPage(app, `/opportunities?page=${page}`);
    t.equal(response.statusCode, 400, `page=${page} is a 400`);
    t.equal(text($, 'h1'), 'There is a problem with the link you followed');
    t.match(text($, 'main'), 'The page number must be a whole number from 1 to 10,000.');
    t.match(response.headers['content-type'], 'text/html');
  }
  const badStage = await getPage(app, '/opportunities?stage=secret');
  t.equal(badStage.response.statusCode, 400);
  t.match(text(badStage.$, 'main'), 'The stage must be one of: pipeline, planned, open, closed, awarded, cancelled.');

  const badSort = await getPage(app, '/opportunities?sort=%27;drop%20table');
  t.equal(badSort.response.statusCode, 400, 'a sort the page does not offer is a 400');
  t.match(text(badSort.$, 'main'), 'The order (sort) must be one of: relevance, closing, newest, value.');

  const ignored = await getPage(app, '/opportunities?utm_source=newsletter&fbclid=%27;drop%20table&page=1');
  t.equal(ignored.response.statusCode, 200, 'unknown parameters are ignored');
  t.same(titles(ignored.$), ['Only one']);
  for (const url of ['/?utm_source=x', `/opportunities/${o.id}?fbclid=abc`]) {
    t.equal((await app.inject(url)).statusCode, 200, `${url} ignores the unknown parameter`);
  }
});

t.test('a page past the last is a friendly 404 with a link to the first page', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const o = await createOpportunity(database, buyer.id);
  await publish(database, o.id);
  for (const url of ['/opportunities?page=2', '/opportunities?page=10000', '/opportunities?stage=awarded&page=3']) {
    const { response, $ } = await getPage(app, url);
    t.equal(response.statusCode, 404, url);
    t.equal(text($, 'h1'), 'No more opportunities');
    t.ok($('main a').filter((_, el) => $(el).text() === 'Go to the first page').length, 'links to the first page');
  }
  const { $ } = await getPage(app, '/opportunities?stage=awarded&page=3');
  t.equal($('main a').first().attr('href'), '/opportunities?stage=awarded');
  const empty = await getPage(app, '/opportunities?stage=awarded');
  t.equal(empty.response.statusCode, 200, 'an empty first page is not an error');
});

t.test('an over-long address is a 4xx, not a 500', async (t) => {
  const { app } = await buildTestApp(t);
  const long = `/opportunities?q=${'a'.repeat(20 * 1024)}`;
  const injected = await app.inject(long);
  t.equal(injected.statusCode, 414, 'refused by the app');
  t.match(injected.body, 'The address you followed is too long');

  // Through a real socket, Node's HTTP parser refuses it before the app sees it.
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const status = await new Promise<number>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: long }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
  t.ok(status >= 400 && status < 500, `real HTTP answers ${status}`);
});
