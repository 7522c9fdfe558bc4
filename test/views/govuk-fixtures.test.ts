/**
 * The Eta ports of GOV.UK Frontend's components (views/partials/govuk/) against the fixtures the
 * govuk-frontend package ships: each fixture's options rendered through the app's own Eta set-up
 * (src/plugins/view.ts) must give the fixture's HTML, compared after normalising whitespace,
 * attribute order and class order (which do not change what the browser builds).
 */
import type * as cheerio from 'cheerio';
import Fastify from 'fastify';
import t from 'tap';
import viewPlugin from '../../src/plugins/view.js';
import { testConfig } from '../helper.js';
import { fixturesOf, normaliseHtml } from '../support/govuk-fixtures.js';

/**
 * What each port leaves out, by component and fixture name, with the reason. A fixture not
 * listed here must match.
 */
const SKIPPED: Record<string, Record<string, string>> = {
  footer: {
    'with custom HTML content licence and copyright notice': 'copyright: the port never uses the crest-drawing copyright-logo class (council, not Crown, copyright)',
    'with custom text content licence and copyright notice': 'copyright: as above',
    'with HTML passed as text content': 'copyright: as above',
  },
};

/**
 * Deliberate differences applied to upstream's HTML before comparing: the footer has no crown
 * logo and no Crown copyright item (see views/partials/govuk/footer.eta).
 */
const ADJUST: Record<string, ($: cheerio.CheerioAPI) => void> = {
  footer: ($) => {
    $('svg.govuk-footer__crown').remove();
    $('a.govuk-footer__copyright-logo').parent('.govuk-footer__meta-item').remove();
  },
};

const COMPONENTS = [
  'back-link',
  'details',
  'error-summary',
  'footer',
  'generic-header',
  'inset-text',
  'notification-banner',
  'pagination',
  'service-navigation',
  'skip-link',
  'summary-list',
  'table',
  'tag',
  'task-list',
  'warning-text',
];

t.test('GOV.UK Frontend component ports match the package fixtures', async (t) => {
  const app = Fastify();
  await app.register(viewPlugin, { config: testConfig(t) });
  await app.ready();
  t.teardown(() => app.close());

  let compared = 0;
  for (const component of COMPONENTS) {
    await t.test(component, async (t) => {
      const fixtures = fixturesOf(component);
      t.ok(fixtures.length > 0, 'the package ships fixtures');
      for (const fixture of fixtures) {
        const reason = SKIPPED[component]?.[fixture.name];
        if (reason) {
          t.comment(`skipped "${fixture.name}": ${reason}`);
          continue;
        }
        const rendered = await app.view(`partials/govuk/${component}`, { params: fixture.options });
        t.equal(normaliseHtml(rendered), normaliseHtml(fixture.html, ADJUST[component]), `${component}: ${fixture.name}`);
        compared += 1;
      }
    });
  }
  t.ok(compared > 200, `compared ${compared} fixtures`);
});

t.test('the normaliser still tells different HTML apart', async (t) => {
  t.equal(normaliseHtml('<a  class="b a" href="#">x  y</a>'), normaliseHtml('<a href="#" class="a b">\n x y\n</a>'));
  t.not(normaliseHtml('<a href="#">x</a>'), normaliseHtml('<a href="#x">x</a>'));
  t.not(normaliseHtml('<strong>x</strong>'), normaliseHtml('<span>x</span>'));
  t.not(normaliseHtml('<p>&lt;b&gt;</p>'), normaliseHtml('<p><b></b></p>'));
});
