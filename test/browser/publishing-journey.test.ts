/**
 * The publishing journey of issue 4 in a real browser, as people would do it — following links,
 * filling forms and pressing buttons, never posting directly — with axe (WCAG 2.2 A/AA) and the
 * script/CSP/asset checks on every page visited (test/support/browser.ts):
 *
 * 1. An editor of a council signs in, goes to the staff area and drafts an opportunity through
 *    the six steps (about, categories with the picker, two lots, value, dates, contact), then
 *    previews it as the public will see it.
 * 2. The editor schedules it for an hour ahead. The queue publishes it when its time comes (a real
 *    job runner; the app and the runner share a clock the test moves), and a visitor sees it.
 * 3. The editor changes the summary and publishes the change with a note: the public page says
 *    "Updated" and shows the note in its history.
 * 4. The deadline for bids passes: the queue closes it, and the public page says so.
 * 5. The editor awards lot 1 to two suppliers (one registered on the portal, one named with a
 *    Companies House number and a local postcode) and lot 2 to a third.
 * 6. The public page shows both awards, the suppliers' tags and the whole history.
 * 7. The editor drafts and publishes a pipeline notice; /pipeline lists it under its quarter.
 */
import type { Locator, Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { londonDate, londonTime } from '../../src/lib/london-time.js';
import { CLOSE_EXPIRED_JOB, closeExpiredJob, PUBLISH_DUE_JOB, publishDueJob } from '../../src/modules/jobs/handlers/opportunities.jobs.js';
import { buildTestApp } from '../helper.js';
import { startTestRunner, waitForJob } from '../jobs/support.js';
import { createUser } from '../support/auth.js';
import { browserForTest, checkPage, findChromium, launchChromium, PageProblems } from '../support/browser.js';
import { createBuyer } from '../support/factories.js';
import { createSupplier } from '../suppliers/support.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const TITLE = 'Grounds maintenance for parks and open spaces';
const SUMMARY = 'Grass cutting, hedge trimming and litter picking in the borough’s parks.';
const NEW_SUMMARY = 'Grass cutting, hedge trimming, litter picking and leaf clearing in the borough’s parks and cemeteries.';
const CHANGE_NOTE = 'Leaf clearing and cemeteries added to the work.';
const LOT_1 = 'North parks';
const LOT_2 = 'South parks';
const REGISTERED = 'Oldbury Green Care Ltd';
const NAMED = 'Smethwick Lawns Limited';
const THIRD = 'Tipton Community Gardeners CIC';
const PIPELINE_TITLE = 'Cleaning of council offices';

const QUARTERS = ['January to March', 'April to June', 'July to September', 'October to December'];

/** The pipeline's heading for a day (YYYY-MM-DD): the months of its financial-year quarter and the calendar year. */
function quarterHeading(day: string): string {
  const month = Number(day.slice(5, 7));
  return `${QUARTERS[Math.floor((month - 1) / 3)]!} ${day.slice(0, 4)}`;
}

/** Day, month and year of a London calendar date, as people type them into a GOV.UK date input. */
function dateParts(day: string): { day: string; month: string; year: string } {
  const [year, month, date] = day.split('-');
  return { day: String(Number(date)), month: String(Number(month)), year: year! };
}

async function fillDate(group: Locator, day: string, time?: string): Promise<void> {
  const parts = dateParts(day);
  await group.getByLabel('Day', { exact: true }).fill(parts.day);
  await group.getByLabel('Month', { exact: true }).fill(parts.month);
  await group.getByLabel('Year', { exact: true }).fill(parts.year);
  if (time !== undefined) await group.getByLabel('Time', { exact: true }).fill(time);
}

const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).innerText();
const main = (page: Page) => page.getByRole('main').innerText();
const navigation = (page: Page) => page.getByRole('navigation', { name: 'Menu' });
const button = (page: Page | Locator, name: string) => page.getByRole('button', { name, exact: true });
const link = (page: Page | Locator, name: string) => page.getByRole('link', { name, exact: true });
/** The success banner a saved form leads to. */
const flash = (page: Page) => page.getByRole('alert').innerText();
/** The list after the public page's "History of this notice" heading, one string per entry. */
const history = (page: Page) => page.getByRole('heading', { name: 'History of this notice' }).locator('xpath=following-sibling::ol[1]').getByRole('listitem').allInnerTexts();

/**
 * Someone at a browser: every step is an action (a click) that loads a page, which must answer
 * with `status` at `url` and pass the page checks.
 */
class Person {
  readonly problems: PageProblems;

  constructor(
    readonly page: Page,
    readonly base: string,
  ) {
    this.problems = new PageProblems(page);
  }

  /** Runs `action`, waits for the page it loads (after any redirect) and checks it. */
  async step(t: Test, label: string, action: () => Promise<unknown>, url: string | RegExp, options: { status?: number; heading?: string } = {}): Promise<void> {
    const page = this.page;
    const response = page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400));
    const loaded = page.waitForEvent('load');
    await action();
    const [answered] = await Promise.all([response, loaded]);
    t.equal(answered.status(), options.status ?? 200, `${label}: answers ${options.status ?? 200}`);
    const expected = typeof url === 'string' ? `${this.base}${url}` : url;
    if (typeof expected === 'string') t.equal(page.url(), expected, `${label}: at ${url}`);
    else t.match(page.url(), expected, `${label}: at an address like ${String(url)}`);
    if (options.heading !== undefined) t.equal(await h1(page), options.heading, `${label}: heading "${options.heading}"`);
    await checkPage(t, this.problems, label);
  }

  goto(t: Test, label: string, url: string, options: { status?: number; heading?: string } = {}): Promise<void> {
    return this.step(t, label, () => this.page.goto(`${this.base}${url}`), url, options);
  }
}

t.test('an editor drafts, schedules, amends and awards an opportunity; the public follows it; a pipeline notice is listed', async (t) => {
  const context = await browserForTest(t);
  if (!context) return;

  // The app and the job runner read the same clock; the test moves it.
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);
  const { app, database, config } = await buildTestApp(t, { clock });
  const runner = await startTestRunner(t, database, config, { clock, jobs: [publishDueJob, closeExpiredJob] });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const base = address.replace('localhost', '127.0.0.1');

  const council = await createBuyer(database, { name: 'Sandwell Metropolitan Borough Council' });
  const editor = await createUser(database, { name: 'Aisha Khan', email: 'aisha.khan@sandwell.gov.uk', buyer: { buyerId: council.id, role: 'editor' } });
  const registered = await createSupplier(database, { name: REGISTERED, postcode: 'B69 3DE', local: true, size: 'small', companiesHouseNumber: '07654321' });

  const officer = new Person(await context.newPage(), base);
  const page = officer.page;

  // A visitor with a browser of their own, never signed in.
  const other = await launchChromium(findChromium()!);
  t.teardown(() => other.close());
  const visitor = new Person(await other.context.newPage(), base);

  const start = clock();
  const tenderDay = londonDate(new Date(start.getTime() + 30 * DAY));
  const questionsDay = londonDate(new Date(start.getTime() + 20 * DAY));
  let id = 0;
  let staffUrl = '';
  let publicUrl = '';

  // ---- 1. Drafting ------------------------------------------------------------------------------

  await t.test('the editor signs in and drafts an opportunity in six steps, then previews it', async (t) => {
    await officer.goto(t, 'home page', '/');
    await officer.step(t, 'sign-in page', () => link(navigation(page), 'Sign in').click(), '/sign-in', { heading: 'Sign in' });
    await page.getByLabel('Email address').fill(editor.email);
    await page.getByLabel('Password', { exact: true }).fill(editor.password);
    await officer.step(t, 'signed in', () => button(page, 'Sign in').click(), '/account', { heading: 'Your account' });

    await officer.step(t, 'staff area', () => link(navigation(page), 'Manage').click(), '/manage', { heading: 'Staff area' });
    t.match(await main(page), /You are working for Sandwell Metropolitan Borough Council as editor/, 'the editor works for the council');
    await officer.step(t, 'opportunities list', () => link(page.getByRole('main'), 'Opportunities').click(), '/manage/opportunities');
    await officer.step(t, 'about the contract (new)', () => button(page, 'Create an opportunity').click(), '/manage/opportunities/new', { heading: 'About the contract' });

    // Step 1: about the contract.
    await page.getByLabel('Title', { exact: true }).fill(TITLE);
    await page.getByLabel('Your reference (optional)').fill('SMBC-GM-001');
    await page.getByLabel('Summary', { exact: true }).fill(SUMMARY);
    await page.getByLabel('Description (optional)').fill('The council wants one contractor per area to look after its parks.\n\n- grass cutting every two weeks from March to October\n- hedge trimming twice a year');
    await page.getByLabel('We are asking for bids now', { exact: true }).check();
    await page.getByLabel('Open to any supplier (lower-value contract)', { exact: true }).check();
    await page.getByLabel('Services (work done for the buyer)', { exact: true }).check();
    await officer.step(t, 'categories step', () => button(page, 'Save and continue').click(), /\/manage\/opportunities\/\d+\/edit\/categories$/, { heading: 'Categories' });
    id = Number(/\/manage\/opportunities\/(\d+)\//.exec(page.url())![1]);
    staffUrl = `/manage/opportunities/${id}`;
    publicUrl = `/opportunities/${id}`;
    t.match(await flash(page), /Draft saved/, 'the draft is saved');

    // Step 2: categories, with the picker.
    await page.getByLabel('Search for a category').fill('grounds maintenance');
    await officer.step(t, 'categories search', () => button(page, 'Search').click(), `${staffUrl}/edit/categories?q=grounds+maintenance`);
    await officer.step(t, 'first category added', () => button(page, 'Add Grounds maintenance services').click(), `${staffUrl}/edit/categories?q=grounds+maintenance`);
    t.match(await flash(page), /Grounds maintenance services is the main category/, 'the first category is the main one');
    await page.getByLabel('Search for a category').fill('grass');
    await officer.step(t, 'categories search for grass', () => button(page, 'Search').click(), `${staffUrl}/edit/categories?q=grass`);
    await officer.step(t, 'second category added', () => button(page, 'Add Grassing services').click(), `${staffUrl}/edit/categories?q=grass`);
    t.ok(await button(page, 'Remove Grounds maintenance services').isVisible(), 'the first category is chosen');
    t.ok(await button(page, 'Remove Grassing services').isVisible(), 'the second category is chosen');

    // Step 3: lots.
    await officer.step(t, 'lots step', () => button(page, 'Continue to lots').click(), `${staffUrl}/edit/lots`, { heading: 'Lots' });
    await page.getByLabel('Title of the lot').fill(LOT_1);
    await page.getByLabel('What the lot covers (optional)').fill('Parks north of the M5.');
    await page.getByLabel('Value of the lot (optional)').fill('30,000');
    await officer.step(t, 'first lot added', () => button(page, 'Add the lot').click(), `${staffUrl}/edit/lots`);
    t.match(await flash(page), /Lot 1 added/, 'the first lot is added');
    await page.getByLabel('Title of the lot').fill(LOT_2);
    await page.getByLabel('Value of the lot (optional)').fill('25,000');
    await officer.step(t, 'second lot added', () => button(page, 'Add the lot').click(), `${staffUrl}/edit/lots`);
    const lots = page.getByRole('table', { name: 'Lots in this contract' });
    t.match(await lots.innerText(), new RegExp(`1\\s+${LOT_1}[\\s\\S]*£30,000[\\s\\S]*2\\s+${LOT_2}[\\s\\S]*£25,000`), 'both lots are listed with their values');

    // Step 4: value and who can bid.
    await officer.step(t, 'value step', () => button(page, 'Continue to value and who can bid').click(), `${staffUrl}/edit/value`, { heading: 'Value and who can bid' });
    await page.getByLabel('Lowest value').fill('50,000');
    await page.getByLabel('Highest value').fill('60,000');
    await page.getByLabel('Where will the work be done? (optional)').fill('Parks across the borough');
    await page.getByLabel('Small and medium-sized businesses', { exact: true }).check();
    await page.getByLabel('Jobs for local people', { exact: true }).check();

    // Step 5: key dates.
    await officer.step(t, 'dates step', () => button(page, 'Save and continue').click(), `${staffUrl}/edit/dates`, { heading: 'Key dates' });
    await fillDate(page.getByRole('group', { name: 'Deadline for questions (optional)', exact: true }), questionsDay, '17:00');
    await fillDate(page.getByRole('group', { name: 'Deadline for bids', exact: true }), tenderDay, '14:00');

    // Step 6: contact and how to respond.
    await officer.step(t, 'responding step', () => button(page, 'Save and continue').click(), `${staffUrl}/edit/responding`, { heading: 'Contact and how to respond' });
    await page.getByLabel('Name (optional)').fill('Procurement team');
    await page.getByLabel('Email address', { exact: true }).fill('procurement@sandwell.gov.uk');

    await officer.step(t, 'preview', () => button(page, 'Save and preview').click(), `${staffUrl}/preview`, { heading: TITLE });
    t.match(await page.getByRole('region', { name: 'Preview' }).innerText(), /Preview: not published/, 'the preview says it is not published');
    t.equal(await page.getByText('Before you can publish').count(), 0, 'nothing stops it being published');
    const previewLots = await page.getByRole('table', { name: 'Lots in this contract' }).innerText();
    t.match(previewLots, new RegExp(`${LOT_1}[\\s\\S]*£30,000`), 'the preview shows lot 1');
    t.match(previewLots, new RegExp(`${LOT_2}[\\s\\S]*£25,000`), 'the preview shows lot 2');
    t.match(await main(page), /£50,000 to £60,000 \(excluding VAT\)/, 'the preview shows the value');
    t.match(await main(page), /procurement@sandwell\.gov\.uk/, 'the preview shows the contact');
  });

  // ---- 2. Scheduled, then published by the queue ----------------------------------------------

  await t.test('the editor schedules it; the queue publishes it at its time and the public sees it', async (t) => {
    await officer.step(t, 'staff page (draft)', () => link(page.getByRole('region', { name: 'Preview' }), 'Back to the opportunity').click(), staffUrl, { heading: TITLE });
    t.match(await page.locator('#status').innerText(), /Draft\s+This opportunity is a draft\./, 'it is a draft');
    await officer.step(t, 'schedule page', () => button(page, 'Choose a time to publish').click(), `${staffUrl}/schedule`, { heading: 'Choose a time to publish' });

    const publishAt = new Date(clock().getTime() + HOUR);
    await fillDate(page.getByRole('group', { name: 'Date', exact: true }), londonDate(publishAt));
    await page.getByLabel('Time (UK time)').fill(londonTime(publishAt));
    await officer.step(t, 'staff page (scheduled)', () => button(page, 'Schedule publishing').click(), staffUrl, { heading: TITLE });
    t.match(await flash(page), /Scheduled to publish on/, 'the page confirms the schedule');
    t.match(await page.locator('#status').innerText(), /Scheduled\s+This opportunity is scheduled to be published on/, 'it is scheduled');

    await visitor.goto(t, 'public page before publishing', publicUrl, { status: 404 });

    // Two hours later, the queue's run publishes what is due.
    offset = 2 * HOUR;
    const job = await waitForJob(runner, PUBLISH_DUE_JOB, await runner.send(PUBLISH_DUE_JOB));
    t.equal(job.state, 'completed', 'the publishing job completes');
    t.same(job.output, { count: 1 }, 'it publishes the one opportunity');

    await officer.step(t, 'staff page (published)', () => page.reload(), staffUrl, { heading: TITLE });
    t.match(await page.locator('#status').innerText(), /Open\s+This opportunity is published\./, 'the staff page says it is published and open');

    await visitor.goto(t, 'list of opportunities', '/opportunities', { heading: 'Opportunities' });
    await visitor.step(t, 'public page (published)', () => link(visitor.page.getByRole('main'), TITLE).click(), publicUrl, { heading: TITLE });
    const text = await main(visitor.page);
    t.match(text, SUMMARY, 'the public sees the summary');
    t.match(text, /Deadline for bids/, 'the public sees the deadline');
    t.notMatch(text, /Updated/, 'nothing is marked updated yet');
    const publicLots = await visitor.page.getByRole('table', { name: 'Lots in this contract' }).innerText();
    t.match(publicLots, new RegExp(`1\\s+${LOT_1}[\\s\\S]*2\\s+${LOT_2}`), 'the public sees both lots');
    const entries = await history(visitor.page);
    t.equal(entries.length, 1, 'one entry in the history');
    t.match(entries[0], /First published$/, 'the history has the first publication');
  });

  // ---- 3. Amended ------------------------------------------------------------------------------

  await t.test('the editor changes the summary and publishes the change with a note', async (t) => {
    await officer.step(t, 'about step (published)', () => link(page.getByRole('main'), 'About the contract').click(), `${staffUrl}/edit/about`, { heading: 'About the contract' });
    t.match(await main(page), /Changes are not public until you publish them with a note/, 'the step says changes are not public yet');
    await page.getByLabel('Summary', { exact: true }).fill(NEW_SUMMARY);
    await officer.step(t, 'staff page (changes not published)', () => button(page, 'Save and go back to the opportunity').click(), staffUrl, { heading: TITLE });
    t.match(await page.locator('#unpublished-changes').innerText(), /You have changed this opportunity since it was last published/, 'the staff page warns of unpublished changes');

    await officer.step(t, 'publish changes page', () => button(page, 'Publish changes').click(), `${staffUrl}/amend`, { heading: 'Publish changes' });
    t.match(await page.locator('#changes').innerText(), /Summary\s+Was: Grass cutting, hedge trimming and litter picking[\s\S]*Now: Grass cutting, hedge trimming, litter picking and leaf clearing/, 'the page shows what changed');
    await page.getByLabel('What has changed?').fill(CHANGE_NOTE);
    await officer.step(t, 'staff page (changes published)', () => button(page, 'Publish changes').click(), staffUrl, { heading: TITLE });
    t.match(await flash(page), /Changes published/, 'the change is published');

    await visitor.step(t, 'public page (updated)', () => visitor.page.reload(), publicUrl, { heading: TITLE });
    const text = await main(visitor.page);
    t.match(text, NEW_SUMMARY, 'the public sees the new summary');
    t.match(text, /Updated .*\(see what changed\)/, 'the page is marked updated');
    const entries = await history(visitor.page);
    t.equal(entries.length, 2, 'two entries in the history');
    t.match(entries[0], new RegExp(`Updated\\s+${CHANGE_NOTE}`), 'the newest entry is the change, marked updated, with its note');
    t.match(entries[1], /First published/, 'then the first publication');
  });

  // ---- 4. Closed when the deadline passes --------------------------------------------------------

  await t.test('the deadline for bids passes and the queue closes it', async (t) => {
    offset = 31 * DAY;
    const job = await waitForJob(runner, CLOSE_EXPIRED_JOB, await runner.send(CLOSE_EXPIRED_JOB));
    t.equal(job.state, 'completed', 'the closing job completes');
    t.same(job.output, { count: 1 }, 'it closes the one opportunity');

    await visitor.step(t, 'public page (closed)', () => visitor.page.reload(), publicUrl, { heading: TITLE });
    t.match(await visitor.page.locator('.app-tags').first().innerText(), /Closed/, 'the stage tag says closed');
    t.match(await main(visitor.page), /The deadline for bids has passed: you can no longer respond\./, 'the page says bids can no longer be sent');
    t.match((await history(visitor.page))[0], /The deadline for tenders has passed/, 'the history says it closed');
  });

  // ---- 5. Awarded, lot by lot ---------------------------------------------------------------------

  await t.test('the editor awards lot 1 to two suppliers and lot 2 to one', async (t) => {
    const today = londonDate(clock());

    await officer.step(t, 'staff page (closed)', () => page.reload(), staffUrl, { heading: TITLE });
    t.match(await page.locator('#status').innerText(), /Closed\s+This opportunity is published\./, 'the staff page says it is closed');
    await officer.step(t, 'which lot page', () => button(page, 'Award the contract').click(), `${staffUrl}/awards/new`, { heading: 'Which lot are you awarding?' });
    await page.getByLabel(`Lot 1: ${LOT_1}`, { exact: true }).check();
    await officer.step(t, 'award form for lot 1', () => button(page, 'Continue').click(), `${staffUrl}/awards/new?chosen=yes&lot=1`, { heading: `Award lot 1: ${LOT_1}` });

    await fillDate(page.getByRole('group', { name: 'Date of the award', exact: true }), today);
    await page.getByLabel('Total value', { exact: true }).fill('45,000');
    await page.getByLabel('Social value the supplier has promised (optional)').fill('Two apprenticeships for local young people.');
    const first = page.getByRole('group', { name: 'Supplier 1', exact: true });
    await first.getByLabel('Registered on this portal', { exact: true }).check();
    await first.getByLabel('If registered on this portal: which supplier').selectOption({ label: `${REGISTERED} (B69 3DE)` });
    await first.getByLabel('Value for this supplier (optional)').fill('25,000');
    await officer.step(t, 'award form with a second supplier', () => button(page, 'Add another supplier').click(), `${staffUrl}/awards/new`, { heading: `Award lot 1: ${LOT_1}` });
    t.equal(await first.getByLabel('If registered on this portal: which supplier').inputValue(), String(registered.id), 'the first supplier is kept');

    const second = page.getByRole('group', { name: 'Supplier 2', exact: true });
    await second.getByLabel('Not registered on this portal', { exact: true }).check();
    await second.getByLabel('Name', { exact: true }).fill(NAMED);
    await second.getByLabel('Companies House number (if it has one)').fill('09876543');
    await second.getByLabel('Postcode (optional)').fill('B66 1AA');
    await second.getByLabel('Size', { exact: true }).selectOption('micro');
    await second.getByLabel('Value for this supplier (optional)').fill('20,000');
    await officer.step(t, 'staff page (lot 1 awarded)', () => button(page, 'Award the contract').click(), staffUrl, { heading: TITLE });
    t.match(await flash(page), /Lot 1 has been awarded/, 'lot 1 is awarded');
    t.match(await page.locator('#lots').innerText(), new RegExp(`${LOT_1}\\s+Awarded`), 'the staff page marks lot 1 awarded');

    await officer.step(t, 'which lot page (lot 2 left)', () => button(page, 'Award the contract').click(), `${staffUrl}/awards/new`, { heading: 'Which lot are you awarding?' });
    t.equal(await page.getByLabel(`Lot 1: ${LOT_1}`).count(), 0, 'lot 1 is no longer offered');
    await page.getByLabel(`Lot 2: ${LOT_2}`, { exact: true }).check();
    await officer.step(t, 'award form for lot 2', () => button(page, 'Continue').click(), `${staffUrl}/awards/new?chosen=yes&lot=2`, { heading: `Award lot 2: ${LOT_2}` });
    await fillDate(page.getByRole('group', { name: 'Date of the award', exact: true }), today);
    await page.getByLabel('Total value', { exact: true }).fill('24,000');
    const only = page.getByRole('group', { name: 'Supplier 1', exact: true });
    await only.getByLabel('Not registered on this portal', { exact: true }).check();
    await only.getByLabel('Name', { exact: true }).fill(THIRD);
    await only.getByLabel('Companies House number (if it has one)').fill('12345678');
    await only.getByLabel('Postcode (optional)').fill('WV1 1AA');
    await only.getByLabel('Size', { exact: true }).selectOption('micro');
    await only.getByLabel('It is a voluntary, community or social enterprise (VCSE)').check();
    await officer.step(t, 'staff page (both lots awarded)', () => button(page, 'Award the contract').click(), staffUrl, { heading: TITLE });
    t.match(await flash(page), /Lot 2 has been awarded/, 'lot 2 is awarded');
    t.match(await page.locator('#status').innerText(), /Awarded/, 'the staff page says it is awarded');
    t.equal(await button(page, 'Award the contract').count(), 0, 'nothing is left to award');
  });

  // ---- 6. The public page tells the whole story ----------------------------------------------------

  await t.test('the public page shows both awards and the history', async (t) => {
    await visitor.step(t, 'public page (awarded)', () => visitor.page.reload(), publicUrl, { heading: TITLE });
    const v = visitor.page;
    t.match(await v.locator('.app-tags').first().innerText(), /Awarded/, 'the stage tag says awarded');
    t.ok(await v.getByRole('heading', { name: 'Who won the contract', level: 2 }).isVisible(), 'the page has the awards');

    const suppliersOf = (heading: string) => v.getByRole('heading', { name: heading, level: 3 }).locator('xpath=following-sibling::table[1]').innerText();
    const lot1 = await suppliersOf(`Lot 1: ${LOT_1}`);
    t.match(lot1, new RegExp(`${REGISTERED}\\s+Local\\s+Small or medium business\\s+£25,000`), 'lot 1: the registered supplier, local and an SME');
    t.match(lot1, new RegExp(`${NAMED}\\s+Local\\s+Small or medium business\\s+£20,000`), 'lot 1: the named supplier, local (B66) and an SME');
    const lot2 = await suppliersOf(`Lot 2: ${LOT_2}`);
    t.match(lot2, new RegExp(`${THIRD}\\s+Small or medium business\\s+Charity or social enterprise`), 'lot 2: the third supplier, an SME and a VCSE');
    t.notMatch(lot2, /Local/, 'lot 2: the third supplier (WV1) is not local');
    t.match(await main(v), /Two apprenticeships for local young people\./, 'the social value promised is shown');

    const entries = await history(v);
    t.equal(entries.length, 5, 'five entries in the history');
    t.match(entries[0], new RegExp(`Lot 2 awarded to ${THIRD}\\.`), 'lot 2 awarded');
    t.match(entries[1], new RegExp(`Lot 1 awarded to ${REGISTERED} and ${NAMED}\\.`), 'lot 1 awarded');
    t.match(entries[2], /Updated\s+The deadline for tenders has passed\. Tenders are being evaluated\./, 'closed');
    t.match(entries[3], new RegExp(`Updated\\s+${CHANGE_NOTE}`), 'updated, with the note');
    t.match(entries[4], /First published$/, 'first published');
  });

  // ---- 7. A pipeline notice ------------------------------------------------------------------------

  await t.test('the editor publishes a pipeline notice, and /pipeline lists it under its quarter', async (t) => {
    const expectedAward = londonDate(new Date(clock().getTime() + 150 * DAY));

    await officer.step(t, 'staff area again', () => link(navigation(page), 'Manage').click(), '/manage', { heading: 'Staff area' });
    await officer.step(t, 'about the contract (pipeline)', () => button(page, 'Create an opportunity').click(), '/manage/opportunities/new', { heading: 'About the contract' });
    await page.getByLabel('Title', { exact: true }).fill(PIPELINE_TITLE);
    await page.getByLabel('Summary', { exact: true }).fill('Daily cleaning of the council’s offices in Oldbury, from next spring.');
    await page.getByLabel('We expect to buy this', { exact: true }).check();
    await page.getByLabel('Open to any supplier (lower-value contract)', { exact: true }).check();
    await page.getByLabel('Services (work done for the buyer)', { exact: true }).check();
    await officer.step(t, 'categories step (pipeline)', () => button(page, 'Save and continue').click(), /\/manage\/opportunities\/\d+\/edit\/categories$/, { heading: 'Categories' });
    const pipelineId = Number(/\/manage\/opportunities\/(\d+)\//.exec(page.url())![1]);
    const pipelineStaff = `/manage/opportunities/${pipelineId}`;

    await page.getByLabel('Search for a category').fill('office cleaning');
    await officer.step(t, 'categories search (pipeline)', () => button(page, 'Search').click(), `${pipelineStaff}/edit/categories?q=office+cleaning`);
    await officer.step(t, 'category added (pipeline)', () => button(page, 'Add Office cleaning services').click(), `${pipelineStaff}/edit/categories?q=office+cleaning`);

    await officer.step(t, 'dates step (pipeline)', () => link(page.getByRole('navigation', { name: 'Parts of this opportunity' }), 'Key dates').click(), `${pipelineStaff}/edit/dates`, { heading: 'Key dates' });
    await fillDate(page.getByRole('group', { name: 'Expected award date (optional)', exact: true }), expectedAward);
    await officer.step(t, 'responding step (pipeline)', () => button(page, 'Save and continue').click(), `${pipelineStaff}/edit/responding`, { heading: 'Contact and how to respond' });
    await page.getByLabel('Email address', { exact: true }).fill('facilities@sandwell.gov.uk');
    await officer.step(t, 'staff page (pipeline draft)', () => button(page, 'Save and go back to the opportunity').click(), pipelineStaff, { heading: PIPELINE_TITLE });

    await officer.step(t, 'publish now page', () => button(page, 'Publish now').click(), `${pipelineStaff}/publish`, { heading: 'Publish now' });
    t.match(await main(page), /It will be published in the pipeline stage/, 'it will be published in the pipeline stage');
    await officer.step(t, 'staff page (pipeline published)', () => button(page, 'Publish now').click(), pipelineStaff, { heading: PIPELINE_TITLE });
    t.match(await flash(page), /Published/, 'it is published');

    await visitor.step(t, 'pipeline page', () => link(navigation(visitor.page), 'Pipeline').click(), '/pipeline', { heading: 'Pipeline: contracts coming up' });
    const quarter = visitor.page.getByRole('region', { name: quarterHeading(expectedAward), exact: true });
    t.ok(await quarter.isVisible(), `the pipeline has the quarter ${quarterHeading(expectedAward)}`);
    t.match(await quarter.locator('.govuk-caption-m').innerText(), /^Quarter [1-4] of the \d{4} to \d{4} financial year \(Q[1-4] \d{4}\/\d{2}\)/, 'the quarter is labelled with its financial year');
    t.ok(await link(quarter, PIPELINE_TITLE).isVisible(), 'the notice is listed under its quarter');
    t.match(await quarter.innerText(), /Sandwell Metropolitan Borough Council/, 'with its buyer');
    t.equal(await link(visitor.page.getByRole('main'), TITLE).count(), 0, 'the awarded opportunity is not in the pipeline');

    await visitor.step(t, 'pipeline notice', () => link(quarter, PIPELINE_TITLE).click(), `/opportunities/${pipelineId}`, { heading: PIPELINE_TITLE });
    t.match(await main(visitor.page), /The buyer is not asking for bids yet/, 'the notice says bids are not open yet');
  });
});
