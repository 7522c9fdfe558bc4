// The privacy notice: public, names the controller, and lists every registered section.
import * as cheerio from 'cheerio';
import t from 'tap';
import { personalDataRegistry } from '../../src/modules/privacy/registry.js';
import '../../src/modules/privacy/registrations.js';
import { buildTestApp } from '../helper.js';

t.test('the privacy notice renders for anyone and lists every registered section', async (t) => {
  const { app, database } = await buildTestApp(t, { env: { COUNCIL_NAME: 'Sandwell Test Council' } });
  const res = await app.inject('/privacy');
  t.equal(res.statusCode, 200);
  t.notOk(res.headers['set-cookie'], 'no cookie for a page without a form');
  const { rows } = await database.pool.query('select count(*)::int as n from sessions');
  t.equal(rows[0].n, 0, 'no session for an anonymous reader');

  const $ = cheerio.load(res.body);
  t.equal($('h1').text().trim(), 'Privacy notice');
  t.match($('title').text(), /^Privacy notice/);
  t.match($('#controller + p').text(), /Sandwell Test Council runs .* and is the “data controller”/);
  for (const registration of personalDataRegistry.list()) {
    const heading = $(`#section-${registration.name}`);
    t.equal(heading.text().trim(), registration.describe.title, `${registration.name} has a heading`);
    const list = heading.next('dl').text();
    for (const field of ['held', 'why', 'lawfulBasis', 'retention'] as const) {
      t.ok(list.includes(registration.describe[field]), `${registration.name}: ${field}`);
    }
  }
  t.match($('#section-sessions + dl').text(), /ends 8 hours after it starts/, 'session retention as implemented');
  t.match($('#section-email_links + dl').text(), /1 hour to 72 hours/, 'link lifetimes as implemented');
  t.match($('#section-published_awards + dl').text(), /Kept permanently as public records/);
  t.ok($('#rights').nextAll('ul').first().find('a[href="/account/your-data"]').length, 'how to download your data');
  t.ok($('#rights').nextAll('ul').first().find('a[href="/account/delete"]').length, 'how to delete your account');
  t.ok($('#contact').length, 'a contact section');
  t.ok($('a[href="https://ico.org.uk/make-a-complaint/"]').length, 'how to complain to the ICO');
});

t.test('the notice ignores unknown query parameters (e.g. from a newsletter link)', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject('/privacy?utm_source=newsletter');
  t.equal(res.statusCode, 200);
});
