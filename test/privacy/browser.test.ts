/**
 * A supplier's "your data" journey in a real browser: read the privacy notice, sign in, download
 * the data, try to delete the account with the wrong address, then delete it. Every page is
 * checked with axe (WCAG 2.2 A/AA) and for script errors, CSP violations and broken assets.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { createUser } from '../support/auth.js';
import { browserForTest, checkPage, PageProblems } from '../support/browser.js';
import { createSupplier } from './world.js';

t.test('a supplier downloads their data and deletes their account', async (t) => {
  const context = await browserForTest(t);
  if (!context) return;

  const { app, database } = await buildTestApp(t);
  const supplier = await createSupplier(database, 'Great Bridge Repair Café');
  const user = await createUser(database, { name: 'Rosa Repair', email: 'rosa@example.org', supplierId: supplier.id });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const page = await context.newPage();
  const problems = new PageProblems(page);
  const h1 = () => page.getByRole('heading', { level: 1 }).innerText();

  await page.goto(`${base}/privacy`);
  t.equal(await h1(), 'Privacy notice');
  await checkPage(t, problems, 'privacy notice');

  await page.goto(`${base}/account/your-data`);
  await page.waitForURL(/\/sign-in/);
  await page.getByLabel('Email address').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/account/your-data`);
  t.equal(await h1(), 'Your data');
  await checkPage(t, problems, 'your data');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download your data' }).click()]);
  t.match(download.suggestedFilename(), /^your-data-\d{4}-\d{2}-\d{2}\.json$/);
  const file = JSON.parse(readFileSync((await download.path())!, 'utf8'));
  t.equal(file.user.email, 'rosa@example.org');
  t.equal(file.sections.suppliers.data[0].name, 'Great Bridge Repair Café');
  // Chromium reports a navigation that turns into a download as an aborted request: that is expected.
  t.same(problems.take().filter((p) => !p.includes('/account/your-data/download (net::ERR_ABORTED)')), [], 'the download caused no other problem');

  await page.getByRole('link', { name: 'delete your account' }).click();
  await page.waitForURL(`${base}/account/delete`);
  t.equal(await h1(), 'Delete your account');
  await checkPage(t, problems, 'delete your account');

  await page.getByLabel('To confirm, type the email address you sign in with').fill('rosa@example.com');
  await page.getByRole('button', { name: 'Delete your account' }).click();
  t.match(await page.title(), /^Error: /);
  t.match(await page.locator('#email-error').innerText(), /Enter the email address you sign in with/);
  await checkPage(t, problems, 'delete your account, with an error');

  await page.getByRole('link', { name: 'Enter the email address you sign in with, exactly as shown' }).click();
  t.equal(await page.evaluate(() => document.activeElement?.id), 'email', 'the error summary link moves focus to the field');
  await page.getByLabel('To confirm, type the email address you sign in with').fill('rosa@example.org');
  await page.getByRole('button', { name: 'Delete your account' }).click();
  await page.waitForLoadState();
  t.equal(await h1(), 'Your account has been deleted');
  await checkPage(t, problems, 'account deleted');

  await page.goto(`${base}/account/your-data`);
  t.match(page.url(), /\/sign-in/, 'signed out');
});
