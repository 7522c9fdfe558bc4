/**
 * The admin and staff pages in a real browser (Chromium through playwright-core), each checked
 * with axe (WCAG 2.2 A/AA) and for script errors, CSP violations and broken assets: a platform
 * administrator adds an organisation (with a failed attempt first) and invites its administrator;
 * that person accepts the invitation, invites a colleague, changes a role and opens the remove page.
 */
import t from 'tap';
import { issueToken } from '../../src/modules/accounts/tokens.js';
import { browserForTest, checkPage, PageProblems } from '../support/browser.js';
import { createUser } from '../support/auth.js';
import { buildTestApp } from '../helper.js';

t.test('admin and staff pages pass axe and load cleanly', async (t) => {
  const context = await browserForTest(t);
  if (!context) return;
  const { app, database } = await buildTestApp(t);
  const platform = await createUser(database, { platformAdmin: true, name: 'Pat Platform' });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const page = await context.newPage();
  const problems = new PageProblems(page);
  const h1 = () => page.getByRole('heading', { level: 1 }).innerText();

  const signIn = async (email: string, password: string) => {
    await page.goto(`${base}/sign-in`);
    await page.fill('#email', email);
    await page.fill('#password', password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
  };

  await signIn(platform.email, platform.password);
  await page.goto(`${base}/admin`);
  t.equal(await h1(), 'Organisations');
  await checkPage(t, problems, 'organisations');

  await page.getByRole('button', { name: 'Add an organisation' }).click();
  t.equal(await h1(), 'Add an organisation');
  await checkPage(t, problems, 'add an organisation');
  await page.fill('#postcode', 'nowhere');
  await page.getByRole('button', { name: 'Save' }).click();
  t.match(await page.title(), /^Error: Add an organisation/);
  await checkPage(t, problems, 'add an organisation, with errors');

  await page.fill('#name', 'Tipton Town Council');
  await page.getByLabel('Town or parish council').check();
  await page.selectOption('#identifierScheme', 'GB-PPON');
  await page.fill('#identifierId', 'PABC-1234-DEFG');
  await page.fill('#postcode', 'dy4 8aa');
  await page.getByRole('button', { name: 'Save' }).click();
  t.equal(await h1(), 'Tipton Town Council');
  await checkPage(t, problems, 'organisation');

  await page.getByRole('link', { name: 'Change the details' }).click();
  await checkPage(t, problems, 'change an organisation');
  await page.goBack();
  await page.getByRole('button', { name: 'Invite an administrator' }).click();
  await checkPage(t, problems, 'invite an administrator');
  await page.fill('#email', 'clerk@tipton.example.org');
  await page.getByRole('button', { name: 'Send invitation' }).click();
  t.match(await page.locator('.govuk-notification-banner').innerText(), /Invitation sent/);

  // The invitee: a link we know (the mailed one is tested in invitations.test.ts).
  const buyerId = Number(new URL(page.url()).pathname.split('/').pop());
  const token = await issueToken(database.db, { purpose: 'staff_invite', email: 'clerk@tipton.example.org', data: { buyerId, role: 'admin', invitedByUserId: platform.id, invitedByName: 'Pat Platform' } });
  await page.context().clearCookies();
  await page.goto(`${base}/invitations/${token}`);
  t.equal(await h1(), 'Join Tipton Town Council');
  await checkPage(t, problems, 'invitation: new account');
  await page.getByRole('button', { name: 'Create account and join' }).click();
  t.match(await page.title(), /^Error: /);
  await checkPage(t, problems, 'invitation: new account, with errors');
  await page.fill('#name', 'Chris Clerk');
  await page.fill('#password', 'seven silver swans swimming');
  await page.getByRole('button', { name: 'Create account and join' }).click();
  t.equal(await h1(), 'Staff area');
  await checkPage(t, problems, 'staff area');

  await page.getByRole('link', { name: 'Your team' }).click();
  t.equal(await h1(), 'Your team');
  await checkPage(t, problems, 'team');
  await page.getByRole('button', { name: 'Invite someone' }).click();
  await checkPage(t, problems, 'invite someone');
  await page.fill('#email', 'deputy@tipton.example.org');
  await page.getByLabel('Editor').check();
  await page.getByRole('button', { name: 'Send invitation' }).click();
  t.match(await page.locator('.govuk-notification-banner').innerText(), /Invitation sent to deputy@tipton\.example\.org/);
  await checkPage(t, problems, 'team with an invitation');

  const colleague = await createUser(database, { name: 'Val Viewer', buyer: { buyerId, role: 'viewer' } });
  await page.reload();
  await page.getByRole('link', { name: 'Change role of Val Viewer' }).click();
  await checkPage(t, problems, 'change role');
  await page.getByLabel('Editor').check();
  await page.getByRole('button', { name: 'Save role' }).click();
  t.match(await page.locator('.govuk-notification-banner').innerText(), /Val Viewer is now editor/);
  await page.getByRole('link', { name: 'Remove Val Viewer' }).click();
  t.equal(await h1(), 'Remove Val Viewer from Tipton Town Council?');
  await checkPage(t, problems, 'remove');
  t.ok(colleague.id > 0);
});
