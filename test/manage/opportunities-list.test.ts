// The staff list of an organisation's opportunities (/manage/opportunities), what needs attention
// (the rules in attention.repository.ts, and the panel on /manage), and the wall between
// organisations.
import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { memberships } from '../../src/modules/accounts/accounts.table.js';
import { attentionClock, attentionCounts, attentionSummary, countByStatus, escapeLike, type AttentionKind } from '../../src/modules/opportunities/manage/attention.repository.js';
import { opportunities } from '../../src/modules/opportunities/opportunities.table.js';
import { page } from '../accounts/support.js';
import { buildTestApp } from '../helper.js';
import { addAward, addLot, createBuyer, createOpportunity, publish } from '../support/factories.js';
import { createSupplier, get, post, signedIn } from '../admin/support.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Db = Parameters<typeof createOpportunity>[0];
type Overrides = Parameters<typeof createOpportunity>[2];

/** A working copy in any status, straight in the table (the list reads working copies only). */
async function opportunity(database: Db, buyerId: number, title: string, overrides: Overrides = {}) {
  return createOpportunity(database, buyerId, { title, tenderDeadline: null, ...overrides });
}

/** The titles in the list's table, in order. */
function titles(response: LightMyRequestResponse): string[] {
  const $ = page(response);
  return $('#opportunities tbody tr th a')
    .map((_, a) => $(a).text().trim())
    .get();
}

/** The filter links as "text (count)" with the current one marked "*". */
function filterLinks(response: LightMyRequestResponse, list: string): string[] {
  const $ = page(response);
  return $(`#${list} a`)
    .map((_, a) => `${$(a).text().replace(/\s+/g, ' ').trim()}${$(a).attr('aria-current') === 'page' ? ' *' : ''}`)
    .get();
}

t.test('each organisation sees only its own opportunities', async (t) => {
  const { app, database } = await buildTestApp(t);
  const a = await createBuyer(database, { name: 'Sandwell Council' });
  const b = await createBuyer(database, { name: 'Tipton Academy' });
  await opportunity(database, a.id, 'Sandwell draft');
  await opportunity(database, a.id, 'Sandwell open tender', { status: 'published', stage: 'open', tenderDeadline: new Date(Date.now() + 2 * DAY) });
  await opportunity(database, b.id, 'Tipton secret draft');
  await opportunity(database, b.id, 'Tipton open tender', { status: 'published', stage: 'open', tenderDeadline: new Date(Date.now() + 2 * DAY) });
  await opportunity(database, b.id, 'Tipton late award', { status: 'published', stage: 'closed', tenderDeadline: new Date(Date.now() - 2 * DAY), expectedAwardDate: '2020-01-01' });

  const viewerA = await signedIn(app, database, { buyer: { buyerId: a.id, role: 'viewer' } });
  const listA = await get(app, '/manage/opportunities', viewerA);
  t.equal(listA.statusCode, 200);
  t.same(titles(listA).sort(), ['Sandwell draft', 'Sandwell open tender']);
  t.notMatch(listA.body, /Tipton/, 'nothing of the other organisation, not even its name');
  t.same(filterLinks(listA, 'status-filters'), ['All (2) *', 'Drafts (1)', 'Scheduled (0)', 'Pipeline (0)', 'Planned (0)', 'Open (1)', 'Closed (0)', 'Awarded (0)', 'Cancelled (0)']);
  t.same(titles(await get(app, '/manage/opportunities?q=Tipton', viewerA)), [], 'searching does not reach them');
  t.same(titles(await get(app, '/manage/opportunities?attention=deadline-passed', viewerA)), [], 'nor do the attention views');
  const homeA = page(await get(app, '/manage', viewerA));
  t.notMatch(homeA('main').text(), /Tipton/);
  t.match(homeA('#attention-drafts').text(), /Drafts \(1\)[\s\S]*Sandwell draft/);
  t.match(homeA('#attention-deadline-passed').text(), /\(0\)/);

  const staffB = await signedIn(app, database, { buyer: { buyerId: b.id, role: 'editor' } });
  const listB = await get(app, '/manage/opportunities', staffB);
  t.same(titles(listB).sort(), ['Tipton late award', 'Tipton open tender', 'Tipton secret draft']);
  t.notMatch(listB.body, /Sandwell/);
  const homeB = page(await get(app, '/manage', staffB));
  t.match(homeB('#attention-deadline-passed').text(), /\(1\)[\s\S]*Tipton late award/);
  t.match(homeB('#attention-awards-due').text(), /\(1\)[\s\S]*Tipton late award: Award was expected 1 January 2020/);

  // Someone in both organisations sees the one they act for, and the other after switching.
  const both = await signedIn(app, database, { buyer: { buyerId: a.id, role: 'viewer' } });
  await database.db.insert(memberships).values({ userId: both.user.id, buyerId: b.id, role: 'viewer' });
  t.same(titles(await get(app, '/manage/opportunities', both)).sort(), ['Sandwell draft', 'Sandwell open tender']);
  t.equal((await post(app, '/manage/acting-organisation', { buyerId: String(b.id) }, both)).statusCode, 303);
  const switched = await get(app, '/manage/opportunities', both);
  t.same(titles(switched).sort(), ['Tipton late award', 'Tipton open tender', 'Tipton secret draft']);
  t.notMatch(switched.body, /Sandwell draft|Sandwell open tender/);
});

t.test('the attention rules, either side of each boundary', async (t) => {
  const { database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const other = await createBuyer(database);
  // 11:30pm on 30 June in UTC is 12:30am on 1 July in London (BST): "today" is 1 July.
  const now = new Date('2027-06-30T23:30:00Z');
  const clock = attentionClock(now);
  t.same(clock.awardsDueBy, '2027-07-15', 'awards due within 14 days of today in London');
  const at = (ms: number) => new Date(now.getTime() + ms);
  const make = (title: string, overrides: Overrides) => opportunity(database, buyer.id, title, overrides);
  const published = (stage: 'pipeline' | 'planned' | 'open' | 'closed' | 'awarded', overrides: Overrides = {}) => ({ status: 'published' as const, stage, ...overrides });

  await make('draft', { status: 'draft', tenderDeadline: at(-DAY), expectedAwardDate: '2027-07-01' });
  await make('scheduled', { status: 'scheduled', publishAt: at(DAY) });
  // Deadline passed without award.
  await make('open, deadline an hour ago', published('open', { tenderDeadline: at(-HOUR) }));
  await make('open, deadline exactly now', published('open', { tenderDeadline: now }));
  await make('closed, deadline passed', published('closed', { tenderDeadline: at(-10 * DAY) }));
  const awardedLot = await make('closed, one lot awarded', published('closed', { tenderDeadline: at(-10 * DAY) }));
  const lot = await addLot(database, awardedLot.id, 1, 'Lot 1');
  await addAward(database, awardedLot.id, lot.id, [{ name: 'Greenways CIC' }]);
  await make('awarded, deadline passed', published('awarded', { tenderDeadline: at(-10 * DAY) }));
  await make('cancelled, deadline passed', { status: 'cancelled', stage: 'open', tenderDeadline: at(-10 * DAY), expectedAwardDate: '2027-07-01' });
  await make('planned, deadline passed', published('planned', { tenderDeadline: at(-DAY) }));
  // Closing soon.
  await make('open, closes in an hour', published('open', { tenderDeadline: at(HOUR) }));
  await make('open, closes in exactly 7 days', published('open', { tenderDeadline: at(7 * DAY) }));
  await make('open, closes in 7 days and a minute', published('open', { tenderDeadline: at(7 * DAY + 60_000) }));
  await make('closed, deadline tomorrow', published('closed', { tenderDeadline: at(DAY) }));
  // Awards due.
  await make('expected award in 14 days', published('closed', { expectedAwardDate: '2027-07-15' }));
  await make('expected award in 15 days', published('closed', { expectedAwardDate: '2027-07-16' }));
  await make('expected award last month', published('pipeline', { expectedAwardDate: '2027-06-01' }));
  await make('awarded, expected award last month', published('awarded', { expectedAwardDate: '2027-06-01' }));
  // Another organisation's, matching every rule: never counted.
  for (const status of ['draft', 'scheduled'] as const) await opportunity(database, other.id, `other ${status}`, { status, publishAt: at(DAY) });
  await opportunity(database, other.id, 'other late', published('open', { tenderDeadline: at(-HOUR), expectedAwardDate: '2027-07-01' }));
  await opportunity(database, other.id, 'other closing', published('open', { tenderDeadline: at(HOUR) }));

  const summary = await attentionSummary(database.db, buyer.id, clock);
  const got = Object.fromEntries(Object.entries(summary).map(([kind, group]) => [kind, group.items.map((i) => i.title)])) as Record<AttentionKind, string[]>;
  t.same(got.drafts, ['draft']);
  t.same(got.scheduled, ['scheduled']);
  t.same(got['deadline-passed'], ['closed, deadline passed', 'open, deadline an hour ago', 'open, deadline exactly now'], 'oldest deadline first; awarded, part-awarded, cancelled and planned ones left out');
  t.same(got['closing-soon'], ['open, closes in an hour', 'open, closes in exactly 7 days']);
  t.same(got['awards-due'], ['expected award last month', 'expected award in 14 days'], 'earliest first; not awarded, cancelled or draft ones, nor after 14 days');
  t.same(
    Object.fromEntries(Object.entries(summary).map(([kind, group]) => [kind, group.count])),
    { drafts: 1, scheduled: 1, 'deadline-passed': 3, 'awards-due': 2, 'closing-soon': 2 },
  );
  t.same(await attentionCounts(database.db, buyer.id, clock), { drafts: 1, scheduled: 1, 'deadline-passed': 3, 'awards-due': 2, 'closing-soon': 2 });
  t.same(await attentionCounts(database.db, buyer.id, clock, ['hour']), { drafts: 0, scheduled: 0, 'deadline-passed': 1, 'awards-due': 0, 'closing-soon': 1 }, 'counts follow the search words');
  t.same(await attentionCounts(database.db, 999_999, clock), { drafts: 0, scheduled: 0, 'deadline-passed': 0, 'awards-due': 0, 'closing-soon': 0 });

  // An hour later the one closing in an hour has passed its deadline.
  const later = await attentionSummary(database.db, buyer.id, attentionClock(at(HOUR)));
  t.ok(later['deadline-passed'].items.some((i) => i.title === 'open, closes in an hour'));
  t.notOk(later['closing-soon'].items.some((i) => i.title === 'open, closes in an hour'));
});

t.test('each group shows its count and the first five', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const base = Date.now() - 30 * DAY;
  for (let i = 1; i <= 7; i++) await opportunity(database, buyer.id, `Draft number ${i}`, { updatedAt: new Date(base + i * HOUR) });
  for (let i = 1; i <= 6; i++) await opportunity(database, buyer.id, `Scheduled number ${i}`, { status: 'scheduled', publishAt: new Date(Date.now() + i * DAY) });

  const summary = await attentionSummary(database.db, buyer.id, attentionClock(new Date()));
  t.equal(summary.drafts.count, 7);
  t.same(summary.drafts.items.map((i) => i.title), ['Draft number 7', 'Draft number 6', 'Draft number 5', 'Draft number 4', 'Draft number 3'], 'most recently changed first');
  t.same(summary.scheduled.items.map((i) => i.title), ['Scheduled number 1', 'Scheduled number 2', 'Scheduled number 3', 'Scheduled number 4', 'Scheduled number 5'], 'soonest first');

  const viewer = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'viewer' } });
  const home = page(await get(app, '/manage', viewer));
  const drafts = home('#attention-drafts');
  t.equal(drafts.find('a').first().attr('href'), '/manage/opportunities?attention=drafts');
  t.match(drafts.find('a').first().text(), /Drafts \(7\)/);
  t.equal(drafts.find('ul li').length, 5);
  t.match(drafts.find('ul li a').first().attr('href'), /^\/manage\/opportunities\/\d+$/, 'each item links to its staff page');
  t.equal(drafts.find('a').last().text().replace(/\s+/g, ' ').trim(), 'See all 7 drafts');
  t.match(home('#attention-scheduled li').first().text(), /Scheduled number 1: Publishes/);
  t.match(home('#opportunity-status-counts').text(), /Drafts \(7\)[\s\S]*Scheduled \(6\)/);
  t.equal(home('#opportunity-status-counts a').first().attr('href'), '/manage/opportunities?status=draft');
  t.equal(home('a[href="/manage/opportunities"]').length >= 1, true, 'a link to the whole list');
  t.equal(home('a[href="/manage/staff"]').length, 1, 'the team section is still there');

  // The attention view lists every one, in the rule's order.
  const all = await get(app, '/manage/opportunities?attention=drafts', viewer);
  t.equal(all.statusCode, 200);
  t.same(titles(all), ['Draft number 7', 'Draft number 6', 'Draft number 5', 'Draft number 4', 'Draft number 3', 'Draft number 2', 'Draft number 1']);
  t.equal(page(all)('h1').text().trim(), 'Opportunities: drafts');
  t.same(filterLinks(all, 'attention-filters').slice(0, 2), ['Drafts (7) *', 'Scheduled to publish (6)']);
  t.equal(page(all)('#status-filters a[aria-current]').length, 0, 'no status filter is current');

  const empty = await buildTestApp(t);
  const lonely = await createBuyer(empty.database);
  const newcomer = await signedIn(empty.app, empty.database, { buyer: { buyerId: lonely.id, role: 'viewer' } });
  const emptyHome = page(await get(empty.app, '/manage', newcomer));
  t.match(emptyHome('#opportunities-panel').text(), /no opportunities yet[\s\S]*Nothing needs attention/);
  t.match(page(await get(empty.app, '/manage/opportunities', newcomer))('#result-count').text(), /has no opportunities yet/);
});

t.test('the attention views of the list, with real times', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const now = Date.now();
  const late = await opportunity(database, buyer.id, 'Late and not awarded', { tenderDeadline: new Date(now - 3 * DAY), stage: 'open' });
  await publish(database, late.id);
  const lateAwarded = await opportunity(database, buyer.id, 'Late but awarded', { tenderDeadline: new Date(now - 3 * DAY), stage: 'closed' });
  await publish(database, lateAwarded.id);
  await addAward(database, lateAwarded.id, null, [{ name: 'Greenways CIC' }]);
  const soon = await opportunity(database, buyer.id, 'Closing in two days', { tenderDeadline: new Date(now + 2 * DAY), stage: 'open', reference: 'SBC-042' });
  await publish(database, soon.id);
  const cancelled = await opportunity(database, buyer.id, 'Cancelled but closing soon', { tenderDeadline: new Date(now + DAY), stage: 'open' });
  await publish(database, cancelled.id, { cancelled: true });
  await opportunity(database, buyer.id, 'Award due soon', { status: 'published', stage: 'closed', expectedAwardDate: new Date(now + 3 * DAY).toISOString().slice(0, 10) });
  await opportunity(database, buyer.id, 'Award due later', { status: 'published', stage: 'closed', expectedAwardDate: new Date(now + 40 * DAY).toISOString().slice(0, 10) });
  await opportunity(database, buyer.id, 'Going out on Monday', { status: 'scheduled', publishAt: new Date('2030-03-04T09:00:00Z') });

  const viewer = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'viewer' } });
  t.same(titles(await get(app, '/manage/opportunities?attention=deadline-passed', viewer)), ['Late and not awarded']);
  const closing = await get(app, '/manage/opportunities?attention=closing-soon', viewer);
  t.same(titles(closing), ['Closing in two days']);
  const row = page(closing)('#opportunities tbody tr').first();
  const cells = row.find('th, td').map((_, c) => page(closing)(c).text().replace(/\s+/g, ' ').trim()).get();
  t.same(cells.slice(1, 3), ['SBC-042', 'Open'], 'reference and stage tag');
  t.equal(cells[3], `Closes ${row.find('time').first().text().trim()} (${cells[3]!.match(/\((\d+ days? left)\)$/)?.[1]})`, 'the key date with time left');
  t.match(cells[3], /\([23] days left\)$/);
  t.match(page(closing)('.govuk-inset-text').text(), /deadline in the next 7 days/);
  const due = await get(app, '/manage/opportunities?attention=awards-due', viewer);
  t.same(titles(due), ['Award due soon']);
  t.match(page(due)('#opportunities tbody td').eq(2).text(), /Award expected/);
  const scheduled = await get(app, '/manage/opportunities?attention=scheduled', viewer);
  t.match(page(scheduled)('#opportunities tbody td').eq(2).text().replace(/\s+/g, ' '), /Publishes 4 March 2030 at 9am/);
  t.match(page(scheduled)('#opportunities tbody td').eq(1).text(), /Scheduled/);
  const cancelledList = await get(app, '/manage/opportunities?status=cancelled', viewer);
  t.same(titles(cancelledList), ['Cancelled but closing soon']);
  t.match(page(cancelledList)('#opportunities tbody td').eq(1).text(), /Cancelled/);
});

t.test('status filters, counts and the search form', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  await opportunity(database, buyer.id, 'Parks draft one');
  await opportunity(database, buyer.id, 'Parks draft two');
  await opportunity(database, buyer.id, 'Libraries scheduled', { status: 'scheduled', publishAt: new Date(Date.now() + DAY) });
  await opportunity(database, buyer.id, 'Parks pipeline', { status: 'published', stage: 'pipeline' });
  await opportunity(database, buyer.id, 'Libraries planned', { status: 'published', stage: 'planned' });
  await opportunity(database, buyer.id, 'Parks open', { status: 'published', stage: 'open', tenderDeadline: new Date(Date.now() + 20 * DAY) });
  await opportunity(database, buyer.id, 'Libraries closed', { status: 'published', stage: 'closed' });
  await opportunity(database, buyer.id, 'Parks awarded', { status: 'published', stage: 'awarded' });
  await opportunity(database, buyer.id, 'Libraries cancelled', { status: 'cancelled', stage: 'planned' });

  t.same(await countByStatus(database.db, buyer.id), { draft: 2, scheduled: 1, pipeline: 1, planned: 1, open: 1, closed: 1, awarded: 1, cancelled: 1, all: 9 });

  const viewer = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'viewer' } });
  const all = await get(app, '/manage/opportunities', viewer);
  t.same(filterLinks(all, 'status-filters'), ['All (9) *', 'Drafts (2)', 'Scheduled (1)', 'Pipeline (1)', 'Planned (1)', 'Open (1)', 'Closed (1)', 'Awarded (1)', 'Cancelled (1)']);
  t.equal(page(all)('#status-filters a').eq(1).attr('href'), '/manage/opportunities?status=draft');
  t.match(page(all)('#result-count').text(), /9 opportunities, most recently changed first/);

  const expected: [string, string[]][] = [
    ['draft', ['Parks draft one', 'Parks draft two']],
    ['scheduled', ['Libraries scheduled']],
    ['pipeline', ['Parks pipeline']],
    ['planned', ['Libraries planned']],
    ['open', ['Parks open']],
    ['closed', ['Libraries closed']],
    ['awarded', ['Parks awarded']],
    ['cancelled', ['Libraries cancelled']],
  ];
  for (const [status, want] of expected) {
    const response = await get(app, `/manage/opportunities?status=${status}`, viewer);
    t.equal(response.statusCode, 200);
    t.same(titles(response).sort(), want, `status=${status}`);
    t.equal(page(response)('#status-filters a[aria-current="page"]').attr('href'), `/manage/opportunities?status=${status}`);
  }
  const openRow = page(await get(app, '/manage/opportunities?status=open', viewer))('#opportunities tbody tr').first();
  t.match(openRow.text(), /Open[\s\S]*Closes/);

  // Searching: counts follow the words; the filter links keep them; the form keeps the filter.
  const parks = await get(app, '/manage/opportunities?q=parks', viewer);
  t.same(filterLinks(parks, 'status-filters'), ['All (5) *', 'Drafts (2)', 'Scheduled (0)', 'Pipeline (1)', 'Planned (0)', 'Open (1)', 'Closed (0)', 'Awarded (1)', 'Cancelled (0)']);
  t.equal(page(parks)('#status-filters a').eq(1).attr('href'), '/manage/opportunities?status=draft&q=parks');
  t.equal(page(parks)('input[name="q"]').val(), 'parks', 'the words are kept in the box');
  const parkDrafts = await get(app, '/manage/opportunities?status=draft&q=DRAFT+parks', viewer);
  t.same(titles(parkDrafts).sort(), ['Parks draft one', 'Parks draft two'], 'every word, any case, any order');
  t.equal(page(parkDrafts)('form[role="search"] input[name="status"]').val(), 'draft', 'searching again keeps the filter');
  t.equal(page(parkDrafts)('a:contains("Clear search")').attr('href'), '/manage/opportunities?status=draft');
  const none = await get(app, '/manage/opportunities?q=swimming', viewer);
  t.equal(none.statusCode, 200);
  t.match(page(none)('#result-count').text(), /No opportunities match your search/);
  t.same(titles(await get(app, '/manage/opportunities?q=', viewer)).length, 9, 'an empty search is no search');
});

t.test('search words are matched literally: % _ and \\ are not wildcards', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  await opportunity(database, buyer.id, '100% recycled paper');
  await opportunity(database, buyer.id, '1000 recycled bins');
  await opportunity(database, buyer.id, 'Road_gritting');
  await opportunity(database, buyer.id, 'Roadxgritting');
  await opportunity(database, buyer.id, 'Backslash \\ folders');
  await opportunity(database, buyer.id, 'Cleaning', { reference: 'SBC/2027/001' });
  t.equal(escapeLike('100%_\\'), '100\\%\\_\\\\');

  const viewer = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'viewer' } });
  const search = async (q: string) => titles(await get(app, `/manage/opportunities?q=${encodeURIComponent(q)}`, viewer)).sort();
  t.same(await search('100%'), ['100% recycled paper']);
  t.same(await search('%'), ['100% recycled paper']);
  t.same(await search('road_'), ['Road_gritting']);
  t.same(await search('_'), ['Road_gritting']);
  t.same(await search('\\'), ['Backslash \\ folders']);
  t.same(await search('sbc/2027'), ['Cleaning'], 'the reference is searched too');
  t.same(await search('\'; drop table opportunities; --'), []);
  t.equal((await database.pool.query('select count(*)::int as n from opportunities')).rows[0].n, 6);
});

t.test('25 to a page', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const base = Date.now() - 100 * DAY;
  const values = Array.from({ length: 30 }, (_, i) => ({
    buyerId: buyer.id,
    title: `Contract ${String(i + 1).padStart(2, '0')}`,
    mainCategory: 'services' as const,
    updatedAt: new Date(base + i * HOUR),
  }));
  await database.db.insert(opportunities).values(values);

  const viewer = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'viewer' } });
  const first = await get(app, '/manage/opportunities', viewer);
  const firstTitles = titles(first);
  t.equal(firstTitles.length, 25);
  t.equal(firstTitles[0], 'Contract 30', 'most recently changed first');
  t.match(page(first)('#result-count').text(), /30 opportunities, showing 1 to 25/);
  t.equal(page(first)('.govuk-pagination__next a').attr('href'), '/manage/opportunities?page=2');

  const second = await get(app, '/manage/opportunities?page=2', viewer);
  t.equal(second.statusCode, 200);
  t.same(titles(second), ['Contract 05', 'Contract 04', 'Contract 03', 'Contract 02', 'Contract 01']);
  t.match(page(second)('title').text(), /Opportunities \(page 2 of 2\)/);
  t.equal(page(second)('.govuk-pagination__prev a').attr('href'), '/manage/opportunities');

  const filtered = await get(app, '/manage/opportunities?status=draft&q=contract', viewer);
  t.equal(page(filtered)('.govuk-pagination__next a').attr('href'), '/manage/opportunities?status=draft&q=contract&page=2', 'pages keep the filters');

  const past = await get(app, '/manage/opportunities?page=3', viewer);
  t.equal(past.statusCode, 404);
  t.match(page(past)('#result-count').text(), /no more opportunities: this list has 2 pages/);
  t.equal(page(past)('#result-count a').attr('href'), '/manage/opportunities');
});

t.test('addresses the page cannot produce get a 400 saying what is wrong', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const viewer = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'viewer' } });
  const cases: [string, RegExp][] = [
    ['status=published', /The status must be one of: draft, scheduled, pipeline, planned, open, closed, awarded, cancelled\./],
    ['attention=urgent', /The “needs attention” view must be one of: drafts, scheduled, deadline-passed, awards-due, closing-soon\./],
    ['page=0', /The page number must be a whole number from 1 to 10,000\./],
    ['page=two', /The page number must be a whole number/],
    ['page=10001', /The page number must be a whole number/],
    [`q=${'x'.repeat(201)}`, /The search words must be 200 characters or fewer\./],
    ['status=draft&status=open', /The status must be one of/],
  ];
  for (const [query, message] of cases) {
    const response = await get(app, `/manage/opportunities?${query}`, viewer);
    t.equal(response.statusCode, 400, query);
    const $ = page(response);
    t.match($('main').text(), message, query);
    t.match($('main').text(), /go back to your organisation’s opportunities/);
  }
  t.equal((await get(app, `/manage/opportunities?q=${'x'.repeat(200)}`, viewer)).statusCode, 200, '200 characters is fine');
});

t.test('who may see the list, and who gets the create button', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);

  const anonymous = await app.inject({ method: 'GET', url: '/manage/opportunities?status=open' });
  t.equal(anonymous.statusCode, 303);
  t.equal(anonymous.headers.location, `/sign-in?returnTo=${encodeURIComponent('/manage/opportunities?status=open')}`);

  const supplier = await createSupplier(database);
  const supplierUser = await signedIn(app, database, { supplierId: supplier.id });
  t.equal((await get(app, '/manage/opportunities', supplierUser)).statusCode, 403, 'a supplier is not staff');
  const nobody = await signedIn(app, database);
  t.equal((await get(app, '/manage/opportunities', nobody)).statusCode, 403, 'nor is any signed-in user');

  for (const role of ['viewer', 'editor', 'admin'] as const) {
    const officer = await signedIn(app, database, { buyer: { buyerId: buyer.id, role } });
    const list = page(await get(app, '/manage/opportunities', officer));
    const home = page(await get(app, '/manage', officer));
    const expected = role === 'viewer' ? 0 : 1;
    t.equal(list('a[href="/manage/opportunities/new"]').length, expected, `${role}: create button on the list`);
    t.equal(home('a[href="/manage/opportunities/new"]').length, expected, `${role}: create button on the staff home`);
    t.equal(home('.app-staff-sections a[href="/manage/opportunities"]').text().trim(), 'Opportunities', `${role}: the section is listed`);
  }
});
