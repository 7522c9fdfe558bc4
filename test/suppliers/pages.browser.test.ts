/**
 * The supplier pages in a real browser, with axe on each (WCAG 2.2 A/AA) and no script errors or
 * CSP violations: registering an organisation (with a failed first attempt), choosing categories
 * with the picker by keyboard-reachable buttons, the profile, colleagues, the directory and a
 * directory page. Skipped with a message when Chromium is missing (test/support/browser.ts).
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { browserForTest, checkPage, PageProblems } from '../support/browser.js';
import { createUser, signInAs } from '../support/auth.js';
import { createSupplier } from './support.js';

t.test('a new supplier registers, picks categories and finds itself in the directory', async (t) => {
  const context = await browserForTest(t);
  if (!context) return;
  const { app, database } = await buildTestApp(t);
  await createSupplier(database, { name: 'Bravo Builders Ltd', cpvCodes: ['45000000'], offer: 'Building repairs.' });
  const user = await createUser(database, { name: 'Asha Patel' });
  const cookie = await signInAs(app, user.email, user.password);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  await context.addCookies(
    cookie.split('; ').map((pair) => {
      const at = pair.indexOf('=');
      return { name: pair.slice(0, at), value: pair.slice(at + 1), url: base };
    }),
  );
  const page = await context.newPage();
  const problems = new PageProblems(page);
  const h1 = () => page.getByRole('heading', { level: 1 }).innerText();

  await page.goto(`${base}/supplier`);
  t.equal(await h1(), 'Register your organisation as a supplier');
  await checkPage(t, problems, 'start page');

  await page.getByRole('button', { name: 'Start now' }).click();
  await page.waitForURL(`${base}/supplier/new`);
  await checkPage(t, problems, 'registration form');

  await page.getByLabel('Organisation name').fill('Oldbury Community Kitchen');
  await page.getByRole('button', { name: 'Register organisation' }).click();
  t.match(await page.title(), /^Error: /, 'a failed form says so in the title');
  t.ok(await page.getByRole('link', { name: 'Select the legal form of your organisation' }).isVisible(), 'the error summary links to the field');
  await checkPage(t, problems, 'registration form with errors');

  await page.getByLabel('Charity (charitable incorporated organisation, CIO)').check();
  await page.getByLabel('Registered charity number (if it has one)').fill('1234567');
  await page.getByLabel('England and Wales (Charity Commission)').check();
  await page.getByLabel('Micro').check();
  await page.getByLabel('Postcode').fill('b69 3de');
  await page.getByLabel('Describe what your organisation offers').fill('Hot meals and catering for community events.');
  await page.getByLabel('Yes, list my organisation in the public supplier directory').check();
  await page.getByRole('button', { name: 'Register organisation' }).click();
  await page.waitForURL(`${base}/supplier/categories`);
  t.equal(await h1(), 'Choose the kinds of work you do');
  await checkPage(t, problems, 'categories page');

  await page.getByLabel('Search for a category').fill('catering');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(`${base}/supplier/categories?q=catering`);
  await checkPage(t, problems, 'categories search results');
  await page.getByRole('button', { name: 'Add Catering services', exact: true }).click();
  await page.waitForURL(`${base}/supplier/categories?q=catering`);
  t.ok(await page.getByRole('button', { name: 'Remove Catering services', exact: true }).isVisible(), 'the chosen category can be removed');
  await page.getByRole('button', { name: 'Add School catering services', exact: true }).click();
  await page.waitForURL(`${base}/supplier/categories?q=catering`);
  await checkPage(t, problems, 'categories with two chosen');

  await page.goto(`${base}/supplier`);
  t.equal(await h1(), 'Oldbury Community Kitchen');
  t.match(await page.locator('.govuk-inset-text').innerText(), /You are in Demo Borough Council’s area/);
  await checkPage(t, problems, 'profile');

  await page.goto(`${base}/supplier/edit`);
  await checkPage(t, problems, 'edit form');

  await page.goto(`${base}/supplier/colleagues`);
  await page.getByLabel('Their email address').fill('nope');
  await page.getByRole('button', { name: 'Send invitation' }).click();
  t.match(await page.title(), /^Error: /);
  await checkPage(t, problems, 'colleagues with an error');

  await page.goto(`${base}/suppliers?q=kitchen`);
  t.ok(await page.getByRole('link', { name: 'Oldbury Community Kitchen' }).isVisible(), 'the new supplier is in the directory');
  await checkPage(t, problems, 'directory');
  await page.getByLabel('Charities and social enterprises (VCSE)').check();
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/\/suppliers\?q=kitchen&vcse=yes/);
  await page.getByRole('link', { name: 'Oldbury Community Kitchen' }).click();
  t.equal(await h1(), 'Oldbury Community Kitchen');
  t.ok(await page.getByText('School catering services').isVisible());
  await checkPage(t, problems, 'directory page');
});
