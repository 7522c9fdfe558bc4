// What every page shares: the layout, security headers, and the error pages.
import t from 'tap';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import { startJobSender } from '../../src/modules/jobs/jobs.js';
import { buildTestApp, createTestDatabase, testConfig } from '../helper.js';
import { getPage, text } from './page-helpers.js';

t.test('the layout: title, language, skip link, header, navigation, footer, assets, no inline code', async (t) => {
  const { app } = await buildTestApp(t, { env: { COUNCIL_NAME: 'Sandwell & District Council', SERVICE_NAME: 'Find it in Sandwell' } });
  for (const url of ['/', '/opportunities', '/opportunities/123456', '/no-such-page', '/opportunities?page=x']) {
    const { response, $ } = await getPage(app, url);
    t.equal($('html').attr('lang'), 'en', `${url}: lang`);
    t.match($('title').text(), / – Find it in Sandwell – Sandwell & District Council$/, `${url}: title`);
    const skip = $('body a').first();
    t.equal(skip.attr('href'), '#main-content', 'the skip link comes first');
    t.equal($('main#main-content').length, 1);
    t.equal(text($, '.govuk-generic-header__homepage-link'), 'Sandwell & District Council');
    t.equal(text($, '.govuk-service-navigation__service-name'), 'Find it in Sandwell');
    t.same($('.govuk-service-navigation__list a').map((_, el) => `${$(el).text().trim()}=${$(el).attr('href')}`).get(), ['Home=/', 'Opportunities=/opportunities', 'Pipeline=/pipeline', 'Suppliers=/suppliers', 'Sign in=/sign-in'], 'anonymous visitors are offered sign in');
    t.match(text($, '.govuk-footer'), 'Contains public sector information licensed under the Open Government Licence v3.0');
    t.equal($('.govuk-footer a[rel="license"]').attr('href'), 'https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/');
    t.match(text($, '.govuk-footer'), '© Sandwell & District Council');
    t.equal($('link[rel="stylesheet"]').attr('href'), '/assets/application.css');
    t.same($('script').map((_, el) => $(el).attr('src') ?? 'INLINE').get(), ['/assets/init.js'], 'scripts are external');
    t.equal($('style, [style]').length, 0, 'no inline style');
    t.equal($('[onclick], [onload], [onerror]').length, 0, 'no inline event handlers');
    t.notMatch(response.body, /govuk-header__logo|govuk-logo|crown/i, 'no GOV.UK crown or logo');
  }
});

t.test('security headers on pages: a CSP without unsafe-inline and a request id', async (t) => {
  const { app } = await buildTestApp(t);
  for (const url of ['/', '/opportunities', '/opportunities/1', '/opportunities?page=0']) {
    const response = await app.inject(url);
    const csp = String(response.headers['content-security-policy']);
    t.match(csp, "default-src 'self'", `${url}: CSP`);
    t.match(csp, "script-src 'self'");
    t.notMatch(csp, 'unsafe-inline');
    t.match(String(response.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    t.equal(response.headers['x-content-type-options'], 'nosniff');
  }
});

t.test('a route that throws shows the 500 page with only the reference', async (t) => {
  const config = testConfig(t);
  const database = await createTestDatabase(t);
  const jobs = await startJobSender({ database, config, logger: pino({ level: 'silent' }) });
  const app = await buildApp({ config, database, jobs });
  t.teardown(async () => {
    await app.close();
    await jobs.stop();
  });
  app.get('/boom', { config: { access: 'public' } }, async () => {
    throw new Error('database password is hunter2 at /srv/secret.ts:42');
  });
  await app.ready();
  const { response, $ } = await getPage(app, '/boom');
  t.equal(response.statusCode, 500);
  t.equal(text($, 'h1'), 'Sorry, there is a problem with the service');
  t.equal(text($, '#error-reference'), response.headers['x-request-id'], 'the reference is the request id');
  t.notMatch(response.body, 'hunter2');
  t.notMatch(response.body, 'secret.ts');
  t.notMatch(response.body, /at .*\.ts:\d+/, 'no stack trace');
});

t.test('the not-found page', async (t) => {
  const { app } = await buildTestApp(t);
  const { response, $ } = await getPage(app, '/nothing-here');
  t.equal(response.statusCode, 404);
  t.equal(text($, 'h1'), 'Page not found');
  t.match(text($, 'main'), 'If you typed the web address, check it is correct.');
  t.equal($('main a[href="/opportunities"]').length, 1);
});
