// /opportunities/:id: everything a supplier needs, from the latest release and nothing else.
import t from 'tap';
import * as format from '../../src/lib/format.js';
import { buildTestApp } from '../helper.js';
import { addAward, addLot, createBuyer, createOpportunity, editWorkingCopy, publish } from '../support/factories.js';
import { getPage, readable, summaryValue, tableRows, text } from './page-helpers.js';

t.test('the detail page shows every field of the release', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database, { name: 'Sandwell Council', streetAddress: 'Freeth Street', locality: 'Oldbury', postcode: 'B69 3DE', website: 'https://www.sandwell.gov.uk', identifierScheme: 'GB-PPON', identifierId: 'PABC-1234-XYZ' });
  const tenderDeadline = new Date(Date.now() + 10 * 86_400_000);
  const opportunity = await createOpportunity(database, buyer.id, {
    stage: 'open',
    reference: 'SMBC-2026-014',
    title: 'Parks & open spaces <maintenance>',
    summary: 'Grass cutting across the borough.',
    description: 'We need **two** crews.\n\n- grass\n- hedges\n\nSee [the plan](https://example.com/plan).',
    procedure: 'below_threshold_open',
    mainCategory: 'works',
    cpvCodes: ['77310000', '45000000'],
    valueMinPence: 12_500_000,
    valueMaxPence: 30_000_050,
    valueIncludesVat: true,
    deliveryLocation: 'Oldbury and Tipton',
    suitableForSme: true,
    suitableForVcse: false,
    reservation: 'local',
    socialValueLocalJobs: true,
    socialValueApprenticeships: true,
    socialValueOther: 'Volunteer days in parks',
    // 09:30 UTC in July is 10:30am in London (BST); 15:00 UTC in January is 3pm (GMT).
    engagementEventAt: new Date('2030-07-15T09:30:00Z'),
    engagementEventDetails: 'Online briefing, book a place by email',
    questionsDeadline: new Date('2030-01-20T15:00:00Z'),
    tenderDeadline,
    expectedAwardDate: '2030-09-01',
    contractStart: '2030-10-01',
    contractEnd: '2032-09-30',
    extensions: 'Up to 2 further periods of 12 months',
    contactName: 'Priya Shah',
    contactEmail: 'priya.shah@example.gov.uk',
    contactPhone: '0121 569 0000',
    responseMethod: 'external',
    externalResponseUrl: 'https://in-tendhost.co.uk/sandwell',
    externalResponseReference: 'DN123456',
    officialNoticeId: '2026/S 000-012345',
    officialNoticeUrl: 'https://www.find-tender.service.gov.uk/Notice/012345-2026',
    source: 'contracts-finder',
    sourceId: 'a1b2c3d4-0000-4000-8000-000000000001',
  });
  const north = await addLot(database, opportunity.id, 1, 'North parks', 5_000_000);
  const south = await addLot(database, opportunity.id, 2, 'South parks', null);
  await addAward(database, opportunity.id, north.id, [
    { name: 'Green Spaces Ltd', local: true, size: 'small', valuePence: 2_000_000 },
    { name: 'Leafy Co-operative', vcse: true, size: 'micro', valuePence: 1_500_000 },
    { name: 'Big National plc', size: 'large' },
  ]);
  await addAward(database, opportunity.id, south.id, [{ name: 'Southside CIC', vcse: true, local: true, size: 'medium', valuePence: 900_000 }]);
  await publish(database, opportunity.id, { at: new Date('2026-03-02T10:00:00Z') });

  const { response, $ } = await getPage(app, `/opportunities/${opportunity.id}`);
  t.equal(response.statusCode, 200);
  t.equal($('title').text(), 'Parks & open spaces <maintenance> – Opportunity Portal – Demo Borough Council');
  t.equal(text($, 'h1'), 'Parks & open spaces <maintenance>', 'the title is escaped, not parsed');
  t.equal(text($, '.govuk-caption-l'), 'Sandwell Council');
  t.same($('main .app-tags').first().find('.govuk-tag').map((_, el) => $(el).text().trim()).get(), ['Open']);
  t.equal(text($, '.govuk-body-l'), 'Grass cutting across the borough.');
  t.match(text($, 'main'), 'Published 2 March 2026.');

  t.equal(summaryValue($, 'Value'), '£125,000 to £300,000.50 (including VAT)');
  t.equal(summaryValue($, 'Deadline for bids'), `${format.dateTime(tenderDeadline)} (${format.timeLeft(tenderDeadline)})`);
  t.match(summaryValue($, 'Deadline for bids'), /\(\d+ days left\)$/);
  t.equal(summaryValue($, 'Reference'), 'SMBC-2026-014');

  // Description: the Markdown subset, rendered.
  t.equal($('.app-prose strong').text(), 'two');
  t.same($('.app-prose li').map((_, el) => $(el).text()).get(), ['grass', 'hedges']);
  t.equal($('.app-prose a').attr('href'), 'https://example.com/plan');

  t.equal(summaryValue($, 'Type of contract'), 'Works (building or construction)');
  t.equal(summaryValue($, 'How the buyer will choose'), 'Open to any supplier (lower-value contract)');
  t.equal(summaryValue($, 'Where the work is'), 'Oldbury and Tipton');
  t.equal(summaryValue($, 'Categories (CPV codes)'), '77310000 – Planting and maintenance services of green areas 45000000 – Construction work');

  // Key dates in Europe/London: a BST and a GMT time, and plain dates.
  t.equal(summaryValue($, 'Event for suppliers'), '15 July 2030 at 10:30am Online briefing, book a place by email');
  t.equal($('time[datetime="2030-07-15T09:30:00.000Z"]').length, 1, 'machine-readable time is UTC');
  t.equal(summaryValue($, 'Deadline for questions'), `20 January 2030 at 3pm (${format.timeLeft(new Date('2030-01-20T15:00:00Z'))})`, 'a future questions deadline shows the time left');
  t.equal(summaryValue($, 'Contract expected to be awarded'), '1 September 2030');
  t.equal(summaryValue($, 'Contract starts'), '1 October 2030');
  t.equal(summaryValue($, 'Contract ends'), '30 September 2032');
  t.equal(summaryValue($, 'Options to extend'), 'Up to 2 further periods of 12 months');

  // Lots.
  t.same(tableRows($, $('table').first()), ['1 | North parks North parks: what the lot covers. | £50,000', '2 | South parks South parks: what the lot covers. | Not given']);

  t.equal(summaryValue($, 'Suitable for small and medium-sized businesses'), 'Yes');
  t.equal(summaryValue($, 'Suitable for charities and social enterprises'), 'No');
  t.equal(summaryValue($, 'Only for some suppliers'), 'Yes: only local suppliers can bid');
  t.same($('.govuk-summary-list__row').filter((_, el) => $(el).text().includes('Social value the buyer asks for')).find('li').map((_, el) => $(el).text()).get(), ['Jobs for local people', 'Apprenticeships', 'Volunteer days in parks']);

  // How to respond: the external e-tendering link and reference.
  const respond = $('#how-to-respond').nextUntil('h2');
  t.equal(respond.find('a').attr('href'), 'https://in-tendhost.co.uk/sandwell');
  t.match(respond.text(), 'DN123456');

  t.equal(summaryValue($, 'Name'), 'Priya Shah');
  t.equal($('a[href="mailto:priya.shah@example.gov.uk"]').length, 1);
  t.equal(summaryValue($, 'Telephone'), '0121 569 0000');

  // Buyer.
  const buyerSection = $('h2').filter((_, el) => $(el).text() === 'Buyer').next('dl');
  t.match(buyerSection.text().replace(/\s+/g, ' '), 'Freeth Street');
  t.equal(buyerSection.find('.govuk-summary-list__value').eq(1).html()?.trim(), 'Freeth Street<br>Oldbury<br>B69 3DE');
  t.equal(buyerSection.find('a[href="https://www.sandwell.gov.uk"]').length, 1);
  t.match(buyerSection.text(), 'GB-PPON PABC-1234-XYZ');

  // Awards per lot, several suppliers each with their tags.
  t.same($('h3').map((_, el) => $(el).text()).get(), ['Lot 1: North parks', 'Lot 2: South parks']);
  t.same(tableRows($, $('table').slice(1)), [
    'Green Spaces Ltd | Local Small or medium business | £20,000',
    'Leafy Co-operative | Small or medium business Charity or social enterprise | £15,000',
    'Big National plc |  | Not given',
    'Southside CIC | Local Small or medium business Charity or social enterprise | £9,000',
  ]);
  t.match(text($, 'main'), 'Total value £35,000');

  // Official notice, source and history.
  t.equal($('a[href="https://www.find-tender.service.gov.uk/Notice/012345-2026"]').length, 1);
  t.match(text($, 'main'), 'as notice 2026/S 000-012345');
  t.match(text($, 'main'), 'Imported from Contracts Finder, notice a1b2c3d4-0000-4000-8000-000000000001.');
  t.same($('#history + ol li').map((_, el) => $(el).text().replace(/\s+/g, ' ').trim()).get(), ['2 March 2026 at 10am: First published']);
});

t.test('the public sees the release, not the working copy, until the next release', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const opportunity = await createOpportunity(database, buyer.id, { stage: 'open', title: 'Original title', valueIncludesVat: false });
  await publish(database, opportunity.id, { at: new Date('2026-05-01T08:00:00Z') });

  await editWorkingCopy(database, opportunity.id, { title: 'Edited but not published', valueIncludesVat: true, summary: 'Secret draft summary' });
  let { $ } = await getPage(app, `/opportunities/${opportunity.id}`);
  t.equal(text($, 'h1'), 'Original title');
  t.match(summaryValue($, 'Value'), '(excluding VAT)');
  t.notMatch($.html(), 'Secret draft summary');

  await publish(database, opportunity.id, { at: new Date('2026-06-03T14:15:00Z'), changeNote: 'Title and VAT corrected' });
  ({ $ } = await getPage(app, `/opportunities/${opportunity.id}`));
  t.equal(text($, 'h1'), 'Edited but not published');
  t.match(summaryValue($, 'Value'), '(including VAT)');
  t.match(text($, 'main'), 'Published 1 May 2026. Updated 3 June 2026 (see what changed).');
  t.same(
    $('#history + ol li').map((_, el) => $(el).text().replace(/\s+/g, ' ').trim()).get(),
    ['3 June 2026 at 3:15pm: Updated Title and VAT corrected', '1 May 2026 at 9am: First published'],
    'newest first, amendments marked Updated, times in BST',
  );
});

t.test('a cancelled opportunity shows the banner with the reason', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const opportunity = await createOpportunity(database, buyer.id, { stage: 'open', cancellationReason: 'The budget was withdrawn.' });
  await publish(database, opportunity.id);
  await publish(database, opportunity.id, { cancelled: true });
  const { response, $ } = await getPage(app, `/opportunities/${opportunity.id}`);
  t.equal(response.statusCode, 200);
  t.equal(text($, '.govuk-notification-banner__title'), 'Cancelled');
  t.match(text($, '.govuk-notification-banner__content'), 'Reason: The budget was withdrawn.');
  t.same($('main .app-tags').first().find('.govuk-tag').map((_, el) => $(el).text().trim()).get(), ['Open', 'Cancelled']);
  t.match($('#how-to-respond').next().text(), 'cancelled');
  t.notMatch(summaryValue($, 'Deadline for bids'), 'left', 'no countdown on a cancelled opportunity');
  t.match($('#history + ol li').first().text(), 'Cancelled');
});

t.test('drafts, scheduled and unknown opportunities and bad ids are the 404 page', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const draft = await createOpportunity(database, buyer.id, { status: 'draft' });
  const scheduled = await createOpportunity(database, buyer.id, { status: 'scheduled', publishAt: new Date(Date.now() + 86_400_000) });
  for (const id of [String(draft.id), String(scheduled.id), '999999', 'abc', '-1', '0', '1.5', '2147483648', '99999999999999999999', `0${draft.id}`, 'x'.repeat(150)]) {
    const { response, $ } = await getPage(app, `/opportunities/${id}`);
    t.equal(response.statusCode, 404, `/opportunities/${id.slice(0, 20)} is 404`);
    t.equal(text($, 'h1'), 'Page not found');
    t.match(text($, 'main'), 'There is no published opportunity at this address');
  }
  const tooLong = await app.inject(`/opportunities/${'9'.repeat(300)}`);
  t.ok(tooLong.statusCode >= 400 && tooLong.statusCode < 500, `an over-long id is a ${tooLong.statusCode}`);
});

t.test('Markdown and stored links cannot inject HTML or script', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database, { website: 'javascript:alert(1)' });
  const opportunity = await createOpportunity(database, buyer.id, {
    description: 'Hello <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n[click](javascript:alert(1)) [data](data:text/html,<b>x</b>) [ok](https://example.com)',
    summary: '<b>not bold</b>',
    responseMethod: 'external',
    externalResponseUrl: 'javascript:alert(2)',
    officialNoticeId: 'N1',
    officialNoticeUrl: 'vbscript:msgbox(1)',
  });
  await publish(database, opportunity.id);
  const { $ } = await getPage(app, `/opportunities/${opportunity.id}`);
  t.equal($('main script').length, 0, 'no script element from the description');
  t.equal($('main img').length, 0, 'no img element from the description');
  t.match($('.app-prose').text(), '<script>alert(1)</script>', 'raw HTML is shown as text');
  t.equal(text($, '.govuk-body-l'), '<b>not bold</b>');
  t.same($('.app-prose a').map((_, el) => $(el).attr('href')).get(), ['https://example.com'], 'only the https link is a link');
  t.match($('.app-prose').text(), '[click](javascript:alert(1))');
  const hrefs = $('a').map((_, el) => $(el).attr('href') ?? '').get();
  t.notOk(hrefs.some((href) => /^(javascript|vbscript|data):/i.test(href)), 'no link anywhere has a script URL');
  t.match($('#how-to-respond').next().text(), 'javascript:alert(2)', 'an unsafe stored URL is shown as text');
});

t.test('how to respond depends on the stage', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const cases = [
    { stage: 'planned', expected: 'The buyer is not asking for bids yet. When bids open, you will respond on this website.' },
    { stage: 'open', expected: 'Respond on this website before' },
    { stage: 'closed', expected: 'The deadline for bids has passed: you can no longer respond.' },
    { stage: 'awarded', expected: 'The deadline for bids has passed: you can no longer respond.' },
  ] as const;
  for (const { stage, expected } of cases) {
    const o = await createOpportunity(database, buyer.id, { stage });
    await publish(database, o.id);
    const { $ } = await getPage(app, `/opportunities/${o.id}`);
    t.match(readable($, $('#how-to-respond').nextUntil('h2')), expected, stage);
  }
  const external = await createOpportunity(database, buyer.id, { stage: 'pipeline', responseMethod: 'external', externalResponseUrl: 'https://etendersportal.example.com/', externalResponseReference: 'ET-42' });
  await publish(database, external.id);
  const { $ } = await getPage(app, `/opportunities/${external.id}`);
  t.match(readable($, $('#how-to-respond').nextUntil('h2')), 'When bids open, you will respond on the buyer’s e-tendering website: https://etendersportal.example.com/. Contact the buyer below if you want to know more. Search for the reference ET-42 there.');
});

t.test('time left to ask questions, only while they can still be asked', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const soon = new Date(Date.now() + 3 * 86_400_000);
  const past = new Date(Date.now() - 86_400_000);
  const cases = [
    { stage: 'open', questionsDeadline: soon, expected: `${format.dateTime(soon)} (${format.timeLeft(soon)})` },
    { stage: 'planned', questionsDeadline: soon, expected: `${format.dateTime(soon)} (${format.timeLeft(soon)})` },
    { stage: 'open', questionsDeadline: past, expected: format.dateTime(past) },
    { stage: 'closed', questionsDeadline: soon, expected: format.dateTime(soon) },
  ] as const;
  for (const { stage, questionsDeadline, expected } of cases) {
    const o = await createOpportunity(database, buyer.id, { stage, questionsDeadline });
    await publish(database, o.id);
    const { $ } = await getPage(app, `/opportunities/${o.id}`);
    t.equal(summaryValue($, 'Deadline for questions'), expected, `${stage}, deadline ${questionsDeadline === soon ? 'ahead' : 'passed'}`);
  }
  t.match(format.timeLeft(soon), /^\d+ days left$/);
  const cancelled = await createOpportunity(database, buyer.id, { stage: 'open', questionsDeadline: soon, cancellationReason: 'No budget.' });
  await publish(database, cancelled.id);
  await publish(database, cancelled.id, { cancelled: true });
  const { $ } = await getPage(app, `/opportunities/${cancelled.id}`);
  t.equal(summaryValue($, 'Deadline for questions'), format.dateTime(soon), 'no countdown on a cancelled opportunity');
});

t.test('the stage is explained in plain words, and pipeline dates are said to be plans', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const pipeline = await createOpportunity(database, buyer.id, { stage: 'pipeline', expectedAwardDate: '2031-05-01' });
  await publish(database, pipeline.id);
  let { $ } = await getPage(app, `/opportunities/${pipeline.id}`);
  t.equal(summaryValue($, 'Stage'), 'Pipeline Contracts the buyer expects to tender in future');
  t.match(readable($, $('h2').filter((_, el) => $(el).text() === 'Key dates').next('p')), 'These dates are the buyer’s current plans and may change.');

  const open = await createOpportunity(database, buyer.id, { stage: 'open' });
  await publish(database, open.id);
  ({ $ } = await getPage(app, `/opportunities/${open.id}`));
  t.equal(summaryValue($, 'Stage'), 'Open Open for bids now');
  t.notMatch(text($, 'main'), 'current plans', 'an open opportunity’s dates are not estimates');

  await publish(database, open.id, { cancelled: true });
  ({ $ } = await getPage(app, `/opportunities/${open.id}`));
  t.equal(summaryValue($, 'Stage'), 'Open, Cancelled The buyer stopped the process');
});
