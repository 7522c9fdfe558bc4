/**
 * The Eta ports of GOV.UK Frontend's form components (views/partials/govuk/) against the fixtures
 * the govuk-frontend package ships: each fixture's options rendered through the app's own Eta
 * set-up (src/plugins/view.ts) must give the fixture's HTML, compared after normalising
 * whitespace, attribute order and class order (which do not change what the browser builds).
 */
import Fastify from 'fastify';
import t from 'tap';
import viewPlugin from '../../src/plugins/view.js';
import * as cheerio from 'cheerio';
import { testConfig } from '../helper.js';
import { fixturesOf, normaliseHtml } from '../support/govuk-fixtures.js';

/**
 * What each port leaves out, by component and fixture name, with the reason. A fixture not
 * listed here must match. None is left out today: no fixture of these components needs a
 * Nunjucks `caller` block (fieldset takes `html` instead).
 */
const SKIPPED: Record<string, Record<string, string>> = {};

const COMPONENTS = [
  'error-message',
  'hint',
  'label',
  'fieldset',
  'button',
  'input',
  'textarea',
  'radios',
  'checkboxes',
  'select',
  'password-input',
  'character-count',
  'date-input',
  'file-upload',
];

t.test('GOV.UK Frontend form component ports match the package fixtures', async (t) => {
  const app = Fastify();
  await app.register(viewPlugin, { config: testConfig(t) });
  await app.ready();
  t.teardown(() => app.close());

  const counts: string[] = [];
  let compared = 0;
  for (const component of COMPONENTS) {
    await t.test(component, async (t) => {
      const fixtures = fixturesOf(component);
      t.ok(fixtures.length > 0, 'the package ships fixtures');
      let matched = 0;
      let skipped = 0;
      for (const fixture of fixtures) {
        const reason = SKIPPED[component]?.[fixture.name];
        if (reason) {
          t.comment(`skipped "${fixture.name}": ${reason}`);
          skipped += 1;
          continue;
        }
        const rendered = await app.view(`partials/govuk/${component}`, { params: fixture.options });
        if (t.equal(normaliseHtml(rendered), normaliseHtml(fixture.html), `${component}: ${fixture.name}`)) matched += 1;
        compared += 1;
      }
      for (const name of Object.keys(SKIPPED[component] ?? {})) {
        t.ok(fixtures.some((fixture) => fixture.name === name), `the skipped fixture "${name}" still exists`);
      }
      counts.push(`${component}: ${matched} matched, ${skipped} skipped of ${fixtures.length}`);
    });
  }
  t.comment(counts.join('\n'));
  t.ok(compared >= 370, `compared ${compared} fixtures`);
});

t.test('where the ports differ from upstream on purpose', async (t) => {
  const app = Fastify();
  await app.register(viewPlugin, { config: testConfig(t) });
  await app.ready();
  t.teardown(() => app.close());

  await t.test('checkboxes take a single posted value as one value, not a string to search', async (t) => {
    const html = await app.view('partials/govuk/checkboxes', {
      params: {
        name: 'division',
        values: '10',
        items: [
          { value: '1', text: 'One' },
          { value: '10', text: 'Ten' },
        ],
      },
    });
    const $ = cheerio.load(html);
    t.same(
      $('input:checked')
        .map((_, input) => $(input).attr('value'))
        .get(),
      ['10'],
    );
  });
});

t.test('form components wire hints and errors to their fields for screen readers', async (t) => {
  const app = Fastify();
  await app.register(viewPlugin, { config: testConfig(t) });
  await app.ready();
  t.teardown(() => app.close());

  const html = await app.view('partials/govuk/radios', {
    params: {
      name: 'legalForm',
      fieldset: { legend: { text: 'What kind of organisation is it?' } },
      hint: { text: 'Choose one' },
      errorMessage: { text: 'Select the kind of organisation' },
      items: [
        { value: 'company', text: 'Company <Ltd>' },
        { value: 'charity', text: 'Charity', conditional: { html: '<p>Charity number</p>' } },
      ],
      value: 'charity',
    },
  });
  const $ = cheerio.load(html);
  t.equal($('fieldset').attr('aria-describedby'), 'legalForm-hint legalForm-error');
  t.equal($('#legalForm-error').text().replace(/\s+/g, ' ').trim(), 'Error: Select the kind of organisation');
  t.equal($('input#legalForm').length, 1, 'the first radio has the id the error summary links to');
  t.equal($('label[for="legalForm"]').text(), 'Company <Ltd>', 'text is escaped, not parsed as HTML');
  t.ok($('#legalForm-2').is(':checked'));
  t.notOk($('#conditional-legalForm-2').hasClass('govuk-radios__conditional--hidden'), 'the checked item reveals its conditional content without JS');
});
