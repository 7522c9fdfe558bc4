/**
 * Drafting an opportunity in steps (/manage/opportunities/new and …/:id/edit/:step), edit
 * conflicts and the preview, through the real pages: every step saved and checked in the
 * database; each step's validation (400, the GOV.UK error pattern, values kept, nothing saved);
 * the CPV picker and lots; two officers saving the same step; another organisation's ids, viewers
 * and missing CSRF tokens refused.
 */
import { load } from 'cheerio';
import { asc, eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { londonDate, londonToUtc } from '../../src/lib/london-time.js';
import { cpvCodes } from '../../src/modules/cpv/cpv.table.js';
import { lots, opportunities } from '../../src/modules/opportunities/opportunities.table.js';
import type { App } from '../../src/app.js';
import type { Database } from '../../src/db/client.js';
import { buildTestApp } from '../helper.js';
import { addAward, addLot, createBuyer, createOpportunity, editWorkingCopy, publish } from '../support/factories.js';
import { get, post, signedIn, type Session } from '../admin/support.js';
import { createUser } from '../support/auth.js';
import { browserForTest, checkPage, PageProblems } from '../support/browser.js';

const NEXT_YEAR = new Date().getUTCFullYear() + 1;
const BASE = '/manage/opportunities';

async function setUp(t: Test) {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const editor = await signedIn(app, database, { name: 'Alex Editor', buyer: { buyerId: buyer.id, role: 'editor' } });
  return { app, database, buyer, editor };
}

async function row(database: Database, id: number) {
  const [found] = await database.db.select().from(opportunities).where(eq(opportunities.id, id));
  return found!;
}

async function lotsOf(database: Database, id: number) {
  return database.db.select().from(lots).where(eq(lots.opportunityId, id)).orderBy(asc(lots.position));
}

/** Everything drafting can change, to show a refused request changed nothing. */
async function state(database: Database): Promise<string> {
  const { rows } = await database.pool.query<{ dump: unknown }>(`
    select jsonb_build_object(
      'opportunities', (select coalesce(jsonb_agg(to_jsonb(o) order by id), '[]') from opportunities o),
      'lots', (select coalesce(jsonb_agg(to_jsonb(l) order by id), '[]') from lots l),
      'audit', (select count(*) from audit_log)
    ) as dump`);
  return JSON.stringify(rows[0]!.dump);
}

const versionIn = (html: string) => load(html)('input[name="version"]').first().attr('value') ?? '';

async function versionOnPage(app: App, url: string, session: Session): Promise<string> {
  const response = await get(app, url, session);
  if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}`);
  return versionIn(response.body);
}

/** The error summary's links and the field messages of a page that failed validation. */
function errorsOf(response: LightMyRequestResponse) {
  const $ = load(response.body);
  return {
    title: $('title').text(),
    links: $('.govuk-error-summary__list a')
      .map((_i, a) => ({ href: $(a).attr('href'), text: $(a).text().trim() }))
      .get(),
    message: (id: string) => $(`#${id}-error`).text().replace(/\s+/g, ' ').trim(),
    value: (id: string) => $(`#${id}`).val(),
    $,
  };
}

function dateFields(prefix: string, day: number, month: number | string, year: number, time?: string) {
  return { [`${prefix}-day`]: String(day), [`${prefix}-month`]: String(month), [`${prefix}-year`]: String(year), ...(time !== undefined ? { [`${prefix}-time`]: time } : {}) };
}

async function someCpvCodes(database: Database, n: number): Promise<string[]> {
  const rows = await database.db.select({ code: cpvCodes.code }).from(cpvCodes).orderBy(asc(cpvCodes.code)).limit(n);
  return rows.map((r) => r.code);
}

t.test('an editor drafts an opportunity through every step', async (t) => {
  const { app, database, editor } = await setUp(t);

  const newPage = await get(app, `${BASE}/new`, editor);
  t.equal(newPage.statusCode, 200);
  t.match(newPage.body, /Paragraphs|paragraphs/, 'the description hint names the Markdown subset');
  t.match(newPage.body, /We are asking for bids now/);

  const created = await post(app, `${BASE}/new`, {
    title: 'Grounds maintenance for parks',
    reference: 'SBC/2027/001',
    summary: 'Grass cutting and hedge trimming in the borough’s parks.',
    description: 'We need a contractor.\n\n- grass cutting\n- hedges',
    stage: 'open',
    procedure: 'below_threshold_open',
    mainCategory: 'services',
  }, editor);
  t.equal(created.statusCode, 303);
  const match = /^\/manage\/opportunities\/(\d+)\/edit\/categories$/.exec(String(created.headers.location));
  t.ok(match, 'goes on to the categories step');
  const id = Number(match![1]);
  let o = await row(database, id);
  t.match(o, { title: 'Grounds maintenance for parks', reference: 'SBC/2027/001', stage: 'open', procedure: 'below_threshold_open', mainCategory: 'services', status: 'draft', version: 1 });

  // Categories: the first added is the main one.
  const categories = `${BASE}/${id}/edit/categories`;
  const search = await get(app, `${categories}?q=grounds`, editor);
  t.equal(search.statusCode, 200);
  t.match(search.body, /Grounds maintenance services/);
  let res = await post(app, categories, { version: versionIn(search.body), q: 'grounds', add: '77314000' }, editor);
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, `${categories}?q=grounds`, 'back to the same search');
  res = await post(app, categories, { version: await versionOnPage(app, categories, editor), q: '', add: '77310000' }, editor);
  t.equal(res.statusCode, 303);
  o = await row(database, id);
  t.same(o.cpvCodes, ['77314000', '77310000'], 'codes kept in the order chosen');
  const picker = await get(app, categories, editor);
  t.match(load(picker.body)('main').text(), /main category is\s+Grounds maintenance services/);

  // Lots.
  const lotsUrl = `${BASE}/${id}/edit/lots`;
  res = await post(app, lotsUrl, { version: await versionOnPage(app, lotsUrl, editor), action: 'add', lotTitle: 'North parks', lotDescription: 'Parks north of the M5', lotValue: '£50,000' }, editor);
  t.equal(res.statusCode, 303);
  t.match(await lotsOf(database, id), [{ position: 1, title: 'North parks', description: 'Parks north of the M5', valuePence: 5_000_000 }]);

  // Value and who can bid.
  const valueUrl = `${BASE}/${id}/edit/value`;
  res = await post(app, valueUrl, {
    version: await versionOnPage(app, valueUrl, editor),
    valueMin: '£100,000',
    valueMax: '150,000.50',
    valueIncludesVat: 'no',
    deliveryLocation: 'Oldbury',
    suitableForSme: 'yes',
    reservation: 'none',
    socialValueLocalJobs: 'yes',
    socialValueOther: 'Volunteering in schools',
    next: 'continue',
  }, editor);
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, `${BASE}/${id}/edit/dates`, '"Save and continue" goes to the next step');
  o = await row(database, id);
  t.match(o, { valueMinPence: 10_000_000, valueMaxPence: 15_000_050, valueIncludesVat: false, deliveryLocation: 'Oldbury', suitableForSme: true, suitableForVcse: false, reservation: 'none', socialValueLocalJobs: true, socialValueApprenticeships: false, socialValueOther: 'Volunteering in schools' });

  // Key dates: a deadline without a time is at midday, London time.
  const datesUrl = `${BASE}/${id}/edit/dates`;
  res = await post(app, datesUrl, {
    version: await versionOnPage(app, datesUrl, editor),
    ...dateFields('engagementEventAt', 10, 5, NEXT_YEAR, '10am'),
    engagementEventDetails: 'At the council house',
    ...dateFields('questionsDeadline', 20, 5, NEXT_YEAR, '17:00'),
    ...dateFields('tenderDeadline', 1, 'June', NEXT_YEAR, ''),
    ...dateFields('expectedAwardDate', 1, 7, NEXT_YEAR),
    ...dateFields('contractStart', 1, 8, NEXT_YEAR),
    ...dateFields('contractEnd', 31, 7, NEXT_YEAR + 2),
    extensions: 'Up to 2 further years',
    next: 'save',
  }, editor);
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, `${BASE}/${id}`, '"Save" goes back to the opportunity');
  o = await row(database, id);
  t.same(o.tenderDeadline, londonToUtc(`${NEXT_YEAR}-06-01`, '12:00'));
  t.same(o.engagementEventAt, londonToUtc(`${NEXT_YEAR}-05-10`, '10:00'));
  t.same(o.questionsDeadline, londonToUtc(`${NEXT_YEAR}-05-20`, '17:00'));
  t.match(o, { expectedAwardDate: `${NEXT_YEAR}-07-01`, contractStart: `${NEXT_YEAR}-08-01`, contractEnd: `${NEXT_YEAR + 2}-07-31`, extensions: 'Up to 2 further years', engagementEventDetails: 'At the council house' });

  // The dates page fills the form back from what was saved.
  const datesPage = load((await get(app, datesUrl, editor)).body);
  t.equal(datesPage('#tenderDeadline-month').val(), '6');
  t.equal(datesPage('#tenderDeadline-time').val(), '12:00');

  // Contact and how to respond.
  const respondingUrl = `${BASE}/${id}/edit/responding`;
  res = await post(app, respondingUrl, {
    version: await versionOnPage(app, respondingUrl, editor),
    contactName: 'Procurement team',
    contactEmail: 'Procurement@Example.gov.uk',
    contactPhone: '0121 569 2000',
    responseMethod: 'external',
    externalResponseUrl: 'https://etendering.example.com/opportunity/42',
    externalResponseReference: 'ET-42',
    officialNoticeId: '2027/S 000-012345',
    officialNoticeUrl: 'https://www.find-tender.service.gov.uk/Notice/012345-2027',
    next: 'continue',
  }, editor);
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, `${BASE}/${id}/preview`, 'the last step continues to the preview');
  o = await row(database, id);
  t.match(o, { contactName: 'Procurement team', contactEmail: 'procurement@example.gov.uk', contactPhone: '0121 569 2000', responseMethod: 'external', externalResponseUrl: 'https://etendering.example.com/opportunity/42', externalResponseReference: 'ET-42', officialNoticeId: '2027/S 000-012345' });
  t.equal(o.status, 'draft', 'drafting never publishes');

  // About, edited: every step page has its title, a caption and a back link.
  const aboutUrl = `${BASE}/${id}/edit/about`;
  const about = load((await get(app, aboutUrl, editor)).body);
  t.equal(about('h1').text().trim(), 'About the contract');
  t.equal(about('.govuk-caption-l').first().text().trim(), 'Grounds maintenance for parks');
  t.equal(about('.govuk-back-link').attr('href'), `${BASE}/${id}`);
  t.equal(about('#title').val(), 'Grounds maintenance for parks');
  res = await post(app, aboutUrl, { version: versionIn(about.html()), title: 'Grounds maintenance for all parks', summary: o.summary, description: o.description, stage: 'planned', procedure: 'open', mainCategory: 'services' }, editor);
  t.equal(res.statusCode, 303);
  t.match(await row(database, id), { title: 'Grounds maintenance for all parks', stage: 'planned', procedure: 'open', reference: null });

  const { rows } = await database.pool.query<{ action: string; actor_label: string }>(`select action, actor_label from audit_log where entity_type = 'opportunity' and entity_id = $1 order by id`, [String(id)]);
  t.equal(rows[0]?.action, 'opportunity.created');
  t.ok(rows.filter((r) => r.action === 'opportunity.edited').length >= 6, 'each save is audited');
  t.ok(rows.every((r) => r.actor_label === 'Alex Editor'));
});

t.test('each step validates what it is sent: 400, the error pattern, values kept, nothing saved', async (t) => {
  const { app, database, buyer, editor } = await setUp(t);
  const opportunity = await createOpportunity(database, buyer.id, { stage: 'open' });
  const id = opportunity.id;
  const before = await state(database);

  t.test('about (new)', async (t) => {
    const res = await post(app, `${BASE}/new`, { title: '  ', reference: 'KEEP-ME', summary: 'A summary', procedure: 'open' }, editor);
    t.equal(res.statusCode, 400);
    const e = errorsOf(res);
    t.match(e.title, /^Error: /);
    t.equal(e.message('title'), 'Error: Enter a title');
    t.match(e.links, [{ href: '#title', text: 'Enter a title' }, { href: '#stage' }, { href: '#mainCategory', text: 'Choose the type of contract' }]);
    t.equal(e.value('reference'), 'KEEP-ME');
    t.equal(e.$('#procedure').attr('checked'), 'checked', 'the radio chosen stays chosen');
    t.equal(await state(database), before);
  });

  t.test('about (existing): over-long title', async (t) => {
    const res = await post(app, `${BASE}/${id}/edit/about`, { version: String(opportunity.version), title: 'x'.repeat(301), stage: 'open', procedure: 'open', mainCategory: 'goods' }, editor);
    t.equal(res.statusCode, 400);
    t.match(errorsOf(res).message('title'), /300 characters or fewer/);
    t.equal(errorsOf(res).value('title'), 'x'.repeat(301));
    t.equal(await state(database), before);
  });

  t.test('value: money that is not money, and a range upside down', async (t) => {
    let res = await post(app, `${BASE}/${id}/edit/value`, { version: '1', valueMin: 'ten thousand', valueMax: '£5,000', valueIncludesVat: 'no', reservation: 'none' }, editor);
    t.equal(res.statusCode, 400);
    const e = errorsOf(res);
    t.match(e.message('valueMin'), /The lowest value must be an amount in pounds, like 25,000/);
    t.equal(e.links[0]?.href, '#valueMin');
    t.equal(e.value('valueMin'), 'ten thousand');
    t.equal(e.value('valueMax'), '£5,000');

    res = await post(app, `${BASE}/${id}/edit/value`, { version: '1', valueMin: '10,000', valueMax: '5,000.505', valueIncludesVat: 'no', reservation: 'none' }, editor);
    t.match(errorsOf(res).message('valueMax'), /amount in pounds/, 'at most two decimal places');
    res = await post(app, `${BASE}/${id}/edit/value`, { version: '1', valueMin: '10,000', valueMax: '5,000', valueIncludesVat: 'no', reservation: 'none' }, editor);
    t.equal(res.statusCode, 400);
    t.match(errorsOf(res).message('valueMax'), /same as or more than the lowest value/);
    res = await post(app, `${BASE}/${id}/edit/value`, { version: '1', valueMin: '10,000', reservation: 'none' }, editor);
    t.match(errorsOf(res).links, [{ href: '#valueIncludesVat' }]);
    t.equal(await state(database), before);
  });

  t.test('value: a reservation above the threshold is refused', async (t) => {
    const res = await post(app, `${BASE}/${id}/edit/value`, { version: '1', valueMin: '', valueMax: '1,000,000', valueIncludesVat: 'no', reservation: 'sme', suitableForSme: 'yes' }, editor);
    t.equal(res.statusCode, 400);
    const e = errorsOf(res);
    t.match(e.message('reservation'), /below the threshold of £[\d,]+ including VAT/);
    t.match(e.links, [{ href: '#reservation' }]);
    t.equal(e.$('#suitableForSme').attr('checked'), 'checked', 'ticked boxes stay ticked');
    const none = await post(app, `${BASE}/${id}/edit/value`, { version: '1', valueMin: '', valueMax: '', valueIncludesVat: 'no', reservation: 'local' }, editor);
    t.match(errorsOf(none).message('reservation'), /Give the contract’s value to reserve it/);
    t.equal(await state(database), before);
  });

  t.test('dates: not real, out of order, a bad time', async (t) => {
    let res = await post(app, `${BASE}/${id}/edit/dates`, { version: '1', ...dateFields('tenderDeadline', 31, 2, NEXT_YEAR, '') }, editor);
    t.equal(res.statusCode, 400);
    let e = errorsOf(res);
    t.equal(e.message('tenderDeadline'), 'Error: The deadline for bids must be a real date');
    t.match(e.links, [{ href: '#tenderDeadline-day' }]);
    t.equal(e.value('tenderDeadline-day'), '31');

    res = await post(app, `${BASE}/${id}/edit/dates`, { version: '1', ...dateFields('tenderDeadline', 1, 6, NEXT_YEAR, '25:00') }, editor);
    e = errorsOf(res);
    t.match(e.message('tenderDeadline'), /must be a real time/);
    t.match(e.links, [{ href: '#tenderDeadline-time' }]);
    t.equal(e.value('tenderDeadline-time'), '25:00');
    t.ok(e.$('#tenderDeadline-time').hasClass('govuk-input--error'));
    t.notOk(e.$('#tenderDeadline-day').hasClass('govuk-input--error'), 'only the time is marked');

    res = await post(app, `${BASE}/${id}/edit/dates`, {
      version: '1',
      ...dateFields('questionsDeadline', 2, 6, NEXT_YEAR, '9am'),
      ...dateFields('tenderDeadline', 1, 6, NEXT_YEAR, '12:00'),
      ...dateFields('expectedAwardDate', 1, 5, NEXT_YEAR),
      ...dateFields('contractStart', 1, 9, NEXT_YEAR),
      ...dateFields('contractEnd', 1, 8, NEXT_YEAR),
    }, editor);
    t.equal(res.statusCode, 400);
    e = errorsOf(res);
    t.match(e.message('questionsDeadline'), /deadline for questions must be before the deadline for bids/);
    t.match(e.message('expectedAwardDate'), /on or after the deadline for bids/);
    t.match(e.message('contractEnd'), /must be after the contract start date/);
    t.match(e.links, [{ href: '#questionsDeadline-day' }, { href: '#expectedAwardDate-day' }, { href: '#contractEnd-day' }]);
    t.equal(e.value('questionsDeadline-time'), '9am');
    t.equal(await state(database), before);
  });

  t.test('responding: email, response method and web addresses', async (t) => {
    let res = await post(app, `${BASE}/${id}/edit/responding`, { version: '1', contactEmail: 'not-an-email', responseMethod: 'external', externalResponseUrl: '', officialNoticeUrl: 'javascript:alert(1)' }, editor);
    t.equal(res.statusCode, 400);
    const e = errorsOf(res);
    t.match(e.message('contactEmail'), /correct format/);
    t.match(e.message('externalResponseUrl'), /Enter the web address of the e-tendering website/);
    t.match(e.message('officialNoticeUrl'), /starts with https:\/\/ or http:\/\//);
    t.match(e.links, [{ href: '#contactEmail' }, { href: '#externalResponseUrl' }, { href: '#officialNoticeUrl' }]);
    t.equal(e.value('officialNoticeUrl'), 'javascript:alert(1)');
    t.equal(e.$('#responseMethod-2').attr('checked'), 'checked', 'the choice stays chosen');

    res = await post(app, `${BASE}/${id}/edit/responding`, { version: '1', responseMethod: 'external', externalResponseUrl: 'ftp://example.com/tender' }, editor);
    t.match(errorsOf(res).message('externalResponseUrl'), /starts with https:\/\//);
    res = await post(app, `${BASE}/${id}/edit/responding`, { version: '1', responseMethod: 'somewhere' }, editor);
    t.match(errorsOf(res).links, [{ href: '#responseMethod' }]);
    t.equal(await state(database), before);
  });

  t.test('lots: a lot needs a title; its value must be money', async (t) => {
    const res = await post(app, `${BASE}/${id}/edit/lots`, { version: '1', action: 'add', lotTitle: '', lotDescription: 'Kept', lotValue: 'lots' }, editor);
    t.equal(res.statusCode, 400);
    const e = errorsOf(res);
    t.equal(e.message('lotTitle'), 'Error: Enter a title for the lot');
    t.match(e.message('lotValue'), /amount in pounds/);
    t.equal(e.$('#lotDescription').text(), 'Kept');
    t.equal(await state(database), before);
  });

  t.test('a form without its version or with unknown fields is refused', async (t) => {
    let res = await post(app, `${BASE}/${id}/edit/value`, { valueMin: '1', valueIncludesVat: 'no', reservation: 'none' }, editor);
    t.equal(res.statusCode, 400);
    res = await post(app, `${BASE}/${id}/edit/value`, { version: '1', status: 'published' }, editor);
    t.equal(res.statusCode, 400);
    t.equal(await state(database), before);
  });
});

t.test('a tender period shorter than the law asks for is a warning, not a refusal', async (t) => {
  const { app, database, buyer, editor } = await setUp(t);
  // £100,000 to £250,000 before VAT, open procedure: above the threshold, so 25 days apply.
  const { id } = await createOpportunity(database, buyer.id, { stage: 'open', procedure: 'open', tenderDeadline: null });
  const [year, month, day] = londonDate(new Date(Date.now() + 5 * 86_400_000)).split('-').map(Number) as [number, number, number];
  const url = `${BASE}/${id}/edit/dates`;
  t.equal(load((await get(app, url, editor)).body)('.govuk-warning-text').length, 0, 'no deadline, no warning');
  const res = await post(app, url, { version: await versionOnPage(app, url, editor), ...dateFields('tenderDeadline', day, month, year, '5pm'), next: 'continue' }, editor);
  t.equal(res.statusCode, 303, 'saved all the same');
  t.same((await row(database, id)).tenderDeadline, londonToUtc(`${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`, '17:00'));
  const next = load((await get(app, String(res.headers.location), editor)).body);
  t.match(next('.govuk-notification-banner').text(), /Saved[\s\S]*Check the tender period: The tender period is 5 days\. Above the procurement threshold the law requires at least 25 days/);
  const dates = load((await get(app, url, editor)).body);
  t.match(dates('.govuk-warning-text').text(), /The tender period is 5 days/);
});

t.test('money is read in pounds and stored in pence', async (t) => {
  const { app, database, buyer, editor } = await setUp(t);
  const { id } = await createOpportunity(database, buyer.id);
  const cases: [string, number][] = [['25000', 2_500_000], ['£25,000.5', 2_500_050], ['  £1,234,567.89 ', 123_456_789], ['0', 0], ['30000000', 3_000_000_000]];
  for (const [typed, pence] of cases) {
    const version = await versionOnPage(app, `${BASE}/${id}/edit/value`, editor);
    const res = await post(app, `${BASE}/${id}/edit/value`, { version, valueMin: '', valueMax: typed, valueIncludesVat: 'yes', reservation: 'none' }, editor);
    t.equal(res.statusCode, 303, typed);
    t.equal((await row(database, id)).valueMaxPence, pence, typed);
  }
  const page = load((await get(app, `${BASE}/${id}/edit/value`, editor)).body);
  t.equal(page('#valueMax').val(), '30,000,000', 'shown back in pounds');
  t.equal(page('#valueIncludesVat').attr('checked'), 'checked');
});

t.test('categories: the CPV picker adds and removes; an unknown code or a 21st is refused', async (t) => {
  const { app, database, buyer, editor } = await setUp(t);
  const { id } = await createOpportunity(database, buyer.id, { cpvCodes: ['77310000'] });
  const url = `${BASE}/${id}/edit/categories`;
  const before = await state(database);

  for (const code of ['99999999', 'abc', '7731000']) {
    const res = await post(app, url, { version: '1', q: 'grass', add: code }, editor);
    t.equal(res.statusCode, 400, code);
    const e = errorsOf(res);
    t.match(e.message('q'), /Choose a category from the search results/);
    t.match(e.links, [{ href: '#q' }]);
    t.equal(e.value('q'), 'grass');
  }
  t.equal(await state(database), before);

  let res = await post(app, url, { version: '1', q: '', add: '77314000' }, editor);
  t.equal(res.statusCode, 303);
  t.same((await row(database, id)).cpvCodes, ['77310000', '77314000']);
  res = await post(app, url, { version: '2', q: '', remove: '77310000' }, editor);
  t.equal(res.statusCode, 303);
  t.same((await row(database, id)).cpvCodes, ['77314000'], 'the next one becomes the main one');

  const twenty = await someCpvCodes(database, 21);
  await editWorkingCopy(database, id, { cpvCodes: twenty.slice(0, 20) });
  const full = await state(database);
  res = await post(app, url, { version: '3', q: '', add: twenty[20]! }, editor);
  t.equal(res.statusCode, 400);
  t.match(errorsOf(res).message('q'), /up to 20 categories/);
  t.equal(await state(database), full);
});

t.test('lots: add, change and remove; an awarded lot cannot be removed', async (t) => {
  const { app, database, buyer, editor } = await setUp(t);
  const { id } = await createOpportunity(database, buyer.id);
  const url = `${BASE}/${id}/edit/lots`;

  let res = await post(app, url, { version: '1', action: 'add', lotTitle: 'North', lotDescription: '', lotValue: '' }, editor);
  t.equal(res.statusCode, 303);
  res = await post(app, url, { version: '2', action: 'add', lotTitle: 'South', lotDescription: 'Southern parks', lotValue: '20,000' }, editor);
  t.equal(res.statusCode, 303);
  let saved = await lotsOf(database, id);
  t.match(saved, [{ position: 1, title: 'North', valuePence: null }, { position: 2, title: 'South', valuePence: 2_000_000 }]);

  const edit = await get(app, `${url}?lot=${saved[0]!.id}`, editor);
  t.equal(edit.statusCode, 200);
  t.equal(load(edit.body)('#lotTitle').val(), 'North', 'the lot to change fills the form');
  res = await post(app, url, { version: '3', action: 'edit', lot: String(saved[0]!.id), lotTitle: 'North and west', lotDescription: 'Parks in the north and west', lotValue: '£15,000' }, editor);
  t.equal(res.statusCode, 303);
  saved = await lotsOf(database, id);
  t.match(saved[0], { title: 'North and west', description: 'Parks in the north and west', valuePence: 1_500_000 });

  res = await post(app, url, { version: '4', action: 'remove', lot: String(saved[0]!.id) }, editor);
  t.equal(res.statusCode, 303);
  saved = await lotsOf(database, id);
  t.match(saved, [{ position: 1, title: 'South' }]);
  t.equal(saved.length, 1);

  t.equal((await get(app, `${url}?lot=999999`, editor)).statusCode, 404, 'a lot that is not there');

  // An awarded lot.
  const other = await createOpportunity(database, buyer.id, { title: 'Awarded one' });
  const lot = await addLot(database, other.id, 1, 'Only lot');
  await addAward(database, other.id, lot.id, [{ name: 'Greenways CIC' }]);
  const page = load((await get(app, `${BASE}/${other.id}/edit/lots`, editor)).body);
  t.equal(page('button:contains("Remove")').length, 0, 'no remove button for an awarded lot');
  const before = await state(database);
  res = await post(app, `${BASE}/${other.id}/edit/lots`, { version: '1', action: 'remove', lot: String(lot.id) }, editor);
  t.equal(res.statusCode, 409);
  const e = errorsOf(res);
  t.match(e.links, [{ href: '#lots', text: /Lot 1 has been awarded: it cannot be removed/ }]);
  t.equal(await state(database), before);
});

t.test('two officers save the same step: the second gets the conflict page, then may save knowingly', async (t) => {
  const { app, database, buyer, editor } = await setUp(t);
  const other = await signedIn(app, database, { name: 'Sam Second', buyer: { buyerId: buyer.id, role: 'editor' } });
  const { id } = await createOpportunity(database, buyer.id, { valueMinPence: null, valueMaxPence: null });
  const url = `${BASE}/${id}/edit/value`;

  const first = await get(app, url, editor);
  const second = await get(app, url, other);
  t.equal(versionIn(first.body), versionIn(second.body));

  const common = { valueIncludesVat: 'no', reservation: 'none', next: 'save' };
  let res = await post(app, url, { version: versionIn(first.body), valueMin: '1,000', valueMax: '', ...common }, editor);
  t.equal(res.statusCode, 303);
  const afterFirst = await state(database);

  res = await post(app, url, { version: versionIn(second.body), valueMin: '2,000', valueMax: '', deliveryLocation: 'Tipton', ...common }, other);
  t.equal(res.statusCode, 409);
  const $ = load(res.body);
  t.equal($('h1').text().trim(), 'Someone else changed this opportunity');
  t.match($('main').text(), /Alex Editor/, 'says who saved in between');
  const rowFor = (label: string) => $('#versions tbody tr').filter((_i, tr) => $(tr).find('th').text().includes(label));
  t.match(rowFor('Lowest value').find('td').eq(0).text(), '£2,000', 'your version');
  t.match(rowFor('Lowest value').find('td').eq(1).text(), '£1,000', 'the saved version');
  t.match(rowFor('Lowest value').text(), /Different/);
  t.notMatch(rowFor('Value includes VAT').text(), /Different/);
  t.equal($('a:contains("Keep the saved version")').attr('href'), url);
  t.equal(await state(database), afterFirst, 'nothing saved silently');
  t.equal((await row(database, id)).valueMinPence, 100_000, 'the first officer’s value stands');

  // "Save my version" posts the second officer's values with the current version.
  const form = $('form').filter((_i, f) => $(f).find('button:contains("Save my version")').length > 0);
  t.equal(form.attr('action'), url);
  const fields: Record<string, string> = {};
  form.find('input[type="hidden"]').each((_i, input) => {
    const name = $(input).attr('name')!;
    if (name !== '_csrf') fields[name] = $(input).attr('value') ?? '';
  });
  t.equal(fields.version, String((await row(database, id)).version));
  t.equal(fields.deliveryLocation, 'Tipton');
  res = await post(app, url, fields, other);
  t.equal(res.statusCode, 303);
  t.match(await row(database, id), { valueMinPence: 200_000, deliveryLocation: 'Tipton' });
});

t.test('a lot changed by someone else in between is a conflict too', async (t) => {
  const { app, database, buyer, editor } = await setUp(t);
  const { id } = await createOpportunity(database, buyer.id);
  const lot = await addLot(database, id, 1, 'North');
  await editWorkingCopy(database, id, { version: 2 });
  const before = await state(database);
  const res = await post(app, `${BASE}/${id}/edit/lots`, { version: '1', action: 'edit', lot: String(lot.id), lotTitle: 'North and east', lotDescription: '', lotValue: '' }, editor);
  t.equal(res.statusCode, 409);
  const $ = load(res.body);
  t.match($('#versions').text(), /North and east/);
  t.match($('#versions').text(), /North/);
  t.equal(await state(database), before);
});

t.test('another organisation’s opportunity is not found, and nothing changes', async (t) => {
  const { app, database, editor } = await setUp(t);
  const otherBuyer = await createBuyer(database);
  const { id } = await createOpportunity(database, otherBuyer.id);
  const before = await state(database);
  for (const step of ['about', 'categories', 'lots', 'value', 'dates', 'responding']) {
    t.equal((await get(app, `${BASE}/${id}/edit/${step}`, editor)).statusCode, 404, `GET ${step}`);
  }
  t.equal((await get(app, `${BASE}/${id}/preview`, editor)).statusCode, 404);
  t.equal((await post(app, `${BASE}/${id}/edit/about`, { version: '1', title: 'Taken over', stage: 'open', procedure: 'open', mainCategory: 'works' }, editor)).statusCode, 404);
  t.equal((await post(app, `${BASE}/${id}/edit/categories`, { version: '1', add: '77314000' }, editor)).statusCode, 404);
  t.equal((await post(app, `${BASE}/${id}/edit/lots`, { version: '1', action: 'add', lotTitle: 'Mine' }, editor)).statusCode, 404);
  t.equal((await get(app, `${BASE}/abc/edit/about`, editor)).statusCode, 404);
  t.equal((await get(app, `${BASE}/99999999/preview`, editor)).statusCode, 404);
  t.equal(await state(database), before);
});

t.test('viewers may preview but not edit; a POST without its CSRF token is refused', async (t) => {
  const { app, database, buyer, editor } = await setUp(t);
  const viewer = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'viewer' } });
  const { id } = await createOpportunity(database, buyer.id);
  const before = await state(database);

  t.equal((await get(app, `${BASE}/${id}/preview`, viewer)).statusCode, 200);
  t.equal((await get(app, `${BASE}/new`, viewer)).statusCode, 403);
  t.equal((await get(app, `${BASE}/${id}/edit/about`, viewer)).statusCode, 403);
  t.equal((await post(app, `${BASE}/new`, { title: 'Viewer draft', stage: 'open', procedure: 'open', mainCategory: 'goods' }, viewer)).statusCode, 403);
  t.equal((await post(app, `${BASE}/${id}/edit/about`, { version: '1', title: 'Viewer edit', stage: 'open', procedure: 'open', mainCategory: 'goods' }, viewer)).statusCode, 403);
  t.equal((await post(app, `${BASE}/${id}/edit/lots`, { version: '1', action: 'add', lotTitle: 'Viewer lot' }, viewer)).statusCode, 403);

  t.equal((await post(app, `${BASE}/${id}/edit/about`, { version: '1', title: 'No token', stage: 'open', procedure: 'open', mainCategory: 'goods' }, editor, { csrf: null })).statusCode, 403);
  t.equal((await post(app, `${BASE}/new`, { title: 'No token', stage: 'open', procedure: 'open', mainCategory: 'goods' }, editor, { csrf: null })).statusCode, 403);

  const anonymous = await app.inject({ method: 'GET', url: `${BASE}/${id}/edit/about` });
  t.equal(anonymous.statusCode, 303, 'anonymous visitors are sent to sign in');
  t.equal(await state(database), before);
});

t.test('a cancelled opportunity cannot be edited: a page says why', async (t) => {
  const { app, database, buyer, editor } = await setUp(t);
  const { id } = await createOpportunity(database, buyer.id, { stage: 'open' });
  await publish(database, id, { cancelled: true });
  const before = await state(database);
  const page = await get(app, `${BASE}/${id}/edit/value`, editor);
  t.equal(page.statusCode, 409);
  t.match(load(page.body)('h1').text(), 'You cannot change this opportunity');
  const res = await post(app, `${BASE}/${id}/edit/about`, { version: '1', title: 'Revived', stage: 'open', procedure: 'open', mainCategory: 'services' }, editor);
  t.equal(res.statusCode, 409);
  t.match(load(res.body)('main').text(), /has been cancelled/);
  t.equal(await state(database), before);
});

t.test('a published opportunity: edits change the working copy only, with a reminder', async (t) => {
  const { app, database, buyer, editor } = await setUp(t);
  const { id } = await createOpportunity(database, buyer.id, { stage: 'open' });
  await publish(database, id);
  const about = load((await get(app, `${BASE}/${id}/edit/about`, editor)).body);
  t.match(about('.govuk-inset-text').text(), /Changes are not public until you publish them with a note/);
  t.equal(about('input[name="stage"]').length, 0, 'the stage is not chosen here once published');
  const { version } = await row(database, id);
  const res = await post(app, `${BASE}/${id}/edit/about`, { version: String(version), title: 'Grounds maintenance (revised)', summary: 'Revised', procedure: 'open', mainCategory: 'services' }, editor);
  t.equal(res.statusCode, 303);
  const o = await row(database, id);
  t.match(o, { title: 'Grounds maintenance (revised)', status: 'published', stage: 'open' });
  const { rows } = await database.pool.query<{ title: string }>(`select snapshot->>'title' as title from releases where opportunity_id = $1 and is_latest`, [id]);
  t.equal(rows[0]?.title, 'Grounds maintenance for parks and open spaces', 'the public still sees the published version');

  const preview = load((await get(app, `${BASE}/${id}/preview`, editor)).body);
  t.match(preview('.govuk-notification-banner').text(), /changes not published/);
  t.equal(preview('h1').text().trim(), 'Grounds maintenance (revised)');
});

t.test('the preview shows the working copy as the public will see it, and what stops it being published', async (t) => {
  const { app, database, buyer, editor } = await setUp(t);
  const { id } = await createOpportunity(database, buyer.id, {
    title: 'School catering',
    summary: 'Meals for 12 primary schools.',
    description: 'We need **hot meals**.\n\n- breakfast\n- lunch',
    stage: 'open',
    cpvCodes: [],
    contactEmail: null,
    tenderDeadline: null,
    valueMinPence: 5_000_000,
    valueMaxPence: 8_000_000,
  });
  await addLot(database, id, 1, 'North schools', 4_000_000);
  const res = await get(app, `${BASE}/${id}/preview`, editor);
  t.equal(res.statusCode, 200);
  const $ = load(res.body);
  t.match($('.govuk-notification-banner').text(), /Preview: not published/);
  t.equal($('h1').text().trim(), 'School catering');
  t.match($('.app-prose').html() ?? '', /<li>breakfast<\/li>/, 'the description is rendered as the public will see it');
  t.match($('main').text(), /North schools/);
  t.match($('main').text(), /£50,000 to £80,000 \(excluding VAT\)/);
  const summary = $('.govuk-error-summary');
  t.match(summary.find('h2').text(), 'Before you can publish');
  const links = summary.find('a').map((_i, a) => ({ href: $(a).attr('href'), text: $(a).text().trim() })).get();
  t.match(links, [
    { href: `${BASE}/${id}/edit/categories#q`, text: 'Choose at least one category' },
    { href: `${BASE}/${id}/edit/responding#contactEmail`, text: 'Enter a contact email address' },
    { href: `${BASE}/${id}/edit/dates#tenderDeadline-day`, text: /deadline for bids/ },
  ]);
  t.notMatch($('title').text(), /^Error/, 'not a form error');

  // Nothing public was written by previewing.
  const { rows } = await database.pool.query<{ n: number }>('select count(*)::int as n from releases where opportunity_id = $1', [id]);
  t.equal(rows[0]?.n, 0);
});

t.test('the drafting pages pass axe and load cleanly in a browser', async (t) => {
  const context = await browserForTest(t);
  if (!context) return;
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const officer = await createUser(database, { name: 'Bea Browser', buyer: { buyerId: buyer.id, role: 'editor' } });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const page = await context.newPage();
  const problems = new PageProblems(page);
  const h1 = () => page.getByRole('heading', { level: 1 }).innerText();
  const shoot = async (name: string) => {
    if (process.env.DRAFTING_SCREENSHOTS) await page.screenshot({ path: `${process.env.DRAFTING_SCREENSHOTS}/${name}.png`, fullPage: true });
  };

  await page.goto(`${base}/sign-in`);
  await page.fill('#email', officer.email);
  await page.fill('#password', officer.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();

  await page.goto(`${base}${BASE}/new`);
  t.equal(await h1(), 'About the contract');
  await checkPage(t, problems, 'new opportunity');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  t.match(await page.title(), /^Error: Create an opportunity/);
  await checkPage(t, problems, 'new opportunity, with errors');
  await shoot('new-errors');
  await page.fill('#title', 'Library cleaning');
  await page.fill('#summary', 'Cleaning of 6 libraries.');
  await page.getByLabel('We are asking for bids now').check();
  await page.getByLabel('Request for quotes').check();
  await page.getByLabel('Services (work done for the buyer)').check();
  await page.getByRole('button', { name: 'Save and continue' }).click();
  t.equal(await h1(), 'Categories');
  await page.fill('#q', 'cleaning');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('button', { name: 'Add Cleaning services', exact: true }).first().click();
  t.match(await page.locator('.govuk-notification-banner').innerText(), /Category added/);
  await checkPage(t, problems, 'categories');
  await shoot('categories');

  await page.getByRole('button', { name: 'Continue to lots' }).click();
  t.equal(await h1(), 'Lots');
  await page.fill('#lotTitle', 'Central library');
  await page.fill('#lotValue', '20,000');
  await page.getByRole('button', { name: 'Add the lot' }).click();
  await checkPage(t, problems, 'lots');
  await shoot('lots');
  await page.getByRole('link', { name: /Change lot 1/ }).click();
  await page.fill('#lotTitle', '');
  await page.getByRole('button', { name: 'Save the lot' }).click();
  t.match(await page.title(), /^Error: /);
  await checkPage(t, problems, 'lots, with errors');

  await page.goto(`${base}${new URL(page.url()).pathname.replace(/lots$/, 'value')}`);
  t.equal(await h1(), 'Value and who can bid');
  await page.fill('#valueMax', '5,000,000');
  await page.getByLabel('Yes: only local suppliers can bid').check();
  await page.getByRole('button', { name: 'Save and continue' }).click();
  t.match(await page.title(), /^Error: Value and who can bid/);
  await checkPage(t, problems, 'value, with errors');
  await shoot('value-errors');
  await page.fill('#valueMax', '50,000');
  await page.getByRole('button', { name: 'Save and continue' }).click();

  t.equal(await h1(), 'Key dates');
  await checkPage(t, problems, 'dates');
  await page.fill('#tenderDeadline-day', '1');
  await page.fill('#tenderDeadline-month', '2');
  await page.fill('#tenderDeadline-year', String(NEXT_YEAR));
  await page.fill('#questionsDeadline-day', '5');
  await page.fill('#questionsDeadline-month', '2');
  await page.fill('#questionsDeadline-year', String(NEXT_YEAR));
  await page.getByRole('button', { name: 'Save and continue' }).click();
  t.match(await page.title(), /^Error: Key dates/);
  await checkPage(t, problems, 'dates, with errors');
  await shoot('dates-errors');
  await page.fill('#questionsDeadline-day', '25');
  await page.fill('#questionsDeadline-month', '1');
  await page.getByRole('button', { name: 'Save and continue' }).click();

  t.equal(await h1(), 'Contact and how to respond');
  await page.getByLabel('On another e-tendering website').check();
  await page.getByRole('button', { name: 'Save and preview' }).click();
  t.match(await page.title(), /^Error: /);
  await checkPage(t, problems, 'responding, with errors');
  await shoot('responding-errors');
  await page.fill('#contactEmail', 'libraries@example.gov.uk');
  await page.fill('#externalResponseUrl', 'https://etendering.example.com/42');
  await page.getByRole('button', { name: 'Save and preview' }).click();

  t.equal(await h1(), 'Library cleaning');
  await checkPage(t, problems, 'preview');
  await shoot('preview');

  // A conflict: someone else saves while this page is open.
  const id = Number(/opportunities\/(\d+)\//.exec(page.url())![1]);
  await page.goto(`${base}${BASE}/${id}/edit/about`);
  await editWorkingCopy(database, id, { title: 'Library cleaning services', version: (await row(database, id)).version + 1 });
  await page.fill('#title', 'Cleaning the libraries');
  await page.getByRole('button', { name: 'Save and go back to the opportunity' }).click();
  t.equal(await h1(), 'This opportunity was changed in another window', 'the last change was saved from the same account');
  await checkPage(t, problems, 'conflict');
  await shoot('conflict');
});
