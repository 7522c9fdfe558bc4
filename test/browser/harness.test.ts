/**
 * The browser checks must be able to fail: on a page with known faults, served with the portal's
 * own security headers (src/plugins/security.ts, so the same Content-Security-Policy), axe reports
 * the accessibility faults and PageProblems the refused inline script and the missing asset.
 * Without this, a check that silently ran no rules would pass every journey.
 */
import Fastify from 'fastify';
import t from 'tap';
import securityPlugin from '../../src/plugins/security.js';
import { testConfig } from '../helper.js';
import { axeViolations, browserForTest, PageProblems } from '../support/browser.js';

const FAULTY_PAGE = `<!DOCTYPE html>
<html>
<head><title>Faulty</title><link rel="stylesheet" href="/missing.css"></head>
<body>
  <main>
    <h1>A page with faults</h1>
    <img src="/missing.png">
    <script>document.body.className = 'inline-script-ran';</script>
  </main>
</body>
</html>`;

t.test('the checks report what is wrong with a page', async (t) => {
  const context = await browserForTest(t);
  if (!context) return;

  const server = Fastify();
  await server.register(securityPlugin, { config: testConfig(t) });
  server.get('/', (_request, reply) => reply.type('text/html').send(FAULTY_PAGE));
  t.teardown(() => server.close());
  const base = await server.listen({ port: 0, host: '127.0.0.1' });

  const page = await context.newPage();
  const problems = new PageProblems(page);
  await page.goto(`${base}/`, { waitUntil: 'load' });

  const ruleIds = (await axeViolations(page)).map((violation) => violation.split(' ')[0]);
  t.ok(ruleIds.includes('html-has-lang'), 'axe reports the page without a language');
  t.ok(ruleIds.includes('image-alt'), 'axe reports the image without alternative text');
  t.equal(await page.evaluate('document.body.className'), '', 'the CSP refused the inline script');

  const found = problems.take();
  t.ok(found.some((p) => p.startsWith('console error:') && p.includes('Content Security Policy')), 'the refused inline script is reported');
  t.ok(found.some((p) => p.startsWith('asset answered 404') && p.endsWith('/missing.css')), 'the missing stylesheet is reported');
  t.ok(found.some((p) => p.startsWith('asset answered 404') && p.endsWith('/missing.png')), 'the missing image is reported');
  t.same(problems.take(), [], 'take() empties the record');
});
