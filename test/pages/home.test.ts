// The home page: counts by stage and the newest open opportunities, from the latest releases.
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { createBuyer, createOpportunity, publish } from '../support/factories.js';
import { getPage, readable, text } from './page-helpers.js';

t.test('counts by stage, cancelled apart, and the latest open opportunities', async (t) => {
  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database);
  const stages = { pipeline: 2, planned: 1, open: 7, closed: 3, awarded: 1 } as const;
  let day = 1;
  for (const [stage, count] of Object.entries(stages)) {
    for (let i = 0; i < count; i++) {
      const o = await createOpportunity(database, buyer.id, { stage: stage as keyof typeof stages, title: `${stage} ${i + 1}` });
      await publish(database, o.id, { at: new Date(Date.UTC(2026, 2, day++, 10)) });
    }
  }
  const cancelled = await createOpportunity(database, buyer.id, { stage: 'open', title: 'open but cancelled' });
  await publish(database, cancelled.id, { at: new Date(Date.UTC(2026, 2, 28, 10)) });
  await publish(database, cancelled.id, { cancelled: true });
  await createOpportunity(database, buyer.id, { stage: 'open', title: 'draft, not counted' });
  await createOpportunity(database, buyer.id, { stage: 'open', status: 'scheduled', publishAt: new Date(Date.now() + 86_400_000), title: 'scheduled, not counted' });

  const { response, $ } = await getPage(app, '/');
  t.equal(response.statusCode, 200);
  t.equal($('title').text(), 'Home – Opportunity Portal – Demo Borough Council');
  t.match(text($, '.govuk-body-l'), /^Find contracts that Demo Borough Council and its partners want local businesses, charities and co-operatives to bid for\.$/);

  const counts = $('.app-stage-counts__item a')
    .map((_, el) => `${readable($, $(el))}=${$(el).attr('href')}`)
    .get();
  t.same(counts, [
    '2 Pipeline=/opportunities?stage=pipeline',
    '1 Planned=/opportunities?stage=planned',
    '7 Open=/opportunities?stage=open',
    '3 Closed=/opportunities?stage=closed',
    '1 Awarded=/opportunities?stage=awarded',
  ]);
  const cancelledLink = $('main a[href="/opportunities?stage=cancelled"]');
  t.equal(cancelledLink.text(), '1 cancelled opportunity');

  const latest = $('.app-opportunity-list__title a').map((_, el) => $(el).text()).get();
  t.same(latest, ['open 7', 'open 6', 'open 5', 'open 4', 'open 3'], 'five newest open ones, no cancelled, draft or scheduled');
  t.notMatch(response.body, 'not counted');
  t.equal($('.govuk-service-navigation__item--active a').text().trim(), 'Home');
  t.equal($('.govuk-service-navigation__item--active a').attr('aria-current'), 'page');
});

t.test('an empty portal says so rather than failing', async (t) => {
  const { app } = await buildTestApp(t);
  const { response, $ } = await getPage(app, '/');
  t.equal(response.statusCode, 200);
  t.match(text($, 'main'), 'There are no open opportunities at the moment.');
  t.same($('.app-stage-counts__count').map((_, el) => $(el).text()).get(), ['0', '0', '0', '0', '0']);
});
