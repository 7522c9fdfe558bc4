/**
 * A visitor's journey through the public pages in a real browser: home → the list (through the
 * service navigation) → an opportunity (by clicking its title) → a page that does not exist.
 * Every page is checked with axe (WCAG 2.2 A/AA) and for script errors, CSP violations and
 * broken assets (test/support/browser.ts). The app is the production build (buildApp) listening
 * on a real port, on a database holding a few published opportunities.
 */
import t from 'tap';
import { browserForTest, checkPage, PageProblems } from '../support/browser.js';
import { createBuyer, createOpportunity, publish } from '../support/factories.js';
import { buildTestApp } from '../helper.js';

t.test('a visitor finds an opportunity from the home page', async (t) => {
  const context = await browserForTest(t);
  if (!context) return;

  const { app, database } = await buildTestApp(t);
  const buyer = await createBuyer(database, { name: 'Oldbury Town Council' });
  const day = 86_400_000;
  const published = async (title: string, stage: 'pipeline' | 'planned' | 'open', daysAgo: number) => {
    const row = await createOpportunity(database, buyer.id, { title, stage, summary: `${title}: what the buyer needs.` });
    await publish(database, row.id, { at: new Date(Date.now() - daysAgo * day) });
    return row;
  };
  const cleaning = await published('Office cleaning for the town hall', 'open', 1);
  await published('School meals for primary schools', 'open', 2);
  await published('Community transport for older residents', 'planned', 3);
  await published('Library refurbishment', 'pipeline', 4);
  // A draft is never shown.
  await createOpportunity(database, buyer.id, { title: 'Unpublished draft about parking' });

  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const page = await context.newPage();
  const problems = new PageProblems(page);
  const h1 = () => page.getByRole('heading', { level: 1 }).innerText();

  // Home: counts by stage and the latest open opportunities.
  const home = await page.goto(`${base}/`);
  t.equal(home?.status(), 200, 'home answers 200');
  t.match(await h1(), /^Contracts from /, 'home has its heading');
  t.ok(await page.getByRole('link', { name: /^2\s+Open$/ }).isVisible(), 'home counts 2 open opportunities');
  t.ok(await page.getByRole('link', { name: /^1\s+Planned$/ }).isVisible(), 'home counts 1 planned opportunity');
  t.ok(await page.getByRole('link', { name: /^1\s+Pipeline$/ }).isVisible(), 'home counts 1 opportunity in the pipeline');
  const latest = page.getByRole('heading', { name: 'Latest open opportunities' }).locator('xpath=following-sibling::ul[1]');
  t.same(await latest.getByRole('heading').allInnerTexts(), ['Office cleaning for the town hall', 'School meals for primary schools'], 'home lists the open opportunities, newest first');
  await checkPage(t, problems, 'home');

  // The list, through the service navigation.
  await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Opportunities', exact: true }).click();
  await page.waitForURL(`${base}/opportunities`);
  t.equal(await h1(), 'Opportunities', 'the list has its heading');
  t.match(await page.locator('#result-count').innerText(), /^4 opportunities\b/, 'the list counts every published opportunity');
  const titles = await page.locator('.app-opportunity-list__title').allInnerTexts();
  t.same(
    titles,
    ['Office cleaning for the town hall', 'School meals for primary schools', 'Community transport for older residents', 'Library refurbishment'],
    'the list shows the published opportunities, newest first, and no draft',
  );
  await checkPage(t, problems, 'list');

  // One opportunity, by clicking its title.
  await page.getByRole('link', { name: 'Office cleaning for the town hall' }).click();
  await page.waitForURL(`${base}/opportunities/${cleaning.id}`);
  t.equal(await h1(), 'Office cleaning for the town hall', 'the opportunity page has the title as its heading');
  t.ok(await page.getByText('Oldbury Town Council').first().isVisible(), 'the opportunity page names the buyer');
  await checkPage(t, problems, 'opportunity');

  // A page that does not exist, and an opportunity that does not.
  for (const path of ['/no-such-page', '/opportunities/999999']) {
    const missing = await page.goto(`${base}${path}`);
    t.equal(missing?.status(), 404, `${path} answers 404`);
    t.equal(await h1(), 'Page not found', `${path} says the page was not found`);
    await checkPage(t, problems, `404 ${path}`);
  }
});
