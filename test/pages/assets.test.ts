// The compiled assets: GOV.UK Frontend's Sass with the council's brand, served at /assets/.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { publicDir } from '../../src/paths.js';
import { buildAssets } from '../../scripts/build-assets.js';
import { buildTestApp, testConfig } from '../helper.js';

t.test('the build compiles the brand into the CSS, with no GOV.UK font or crown', async (t) => {
  const outDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'portal-assets-')), 'public');
  t.teardown(() => rmSync(path.dirname(outDir), { recursive: true, force: true }));
  const config = testConfig(t, { BRAND_COLOUR: '#8a1538', BRAND_FONT_STACK: '"Open Sans", Verdana, sans-serif' });

  const built = await buildAssets(config, { outDir });
  t.equal(built.skipped, false);
  t.same(built.files.sort(), ['application.css', 'govuk-frontend.min.js', 'govuk-frontend.min.js.map', 'images/favicon.svg', 'init.js']);
  const css = readFileSync(path.join(outDir, 'application.css'), 'utf8');
  t.notMatch(css, '\n  ', 'compressed');
  t.match(css, 'font-family:"Open Sans",Verdana,sans-serif', 'the council font stack');
  t.match(css, /--govuk-brand-colour:\s*#8a1538/, 'the council colour');
  t.notMatch(css, 'GDS Transport');
  t.notMatch(css, '@font-face');
  t.notMatch(css, /url\(/, 'no image or font is referenced (the crest is replaced by none)');
  t.notMatch(css, /crest/i);
  t.match(css, '.govuk-generic-header', 'the generic header is in');
  t.notMatch(css, '.govuk-header__', 'the GOV.UK header (with the crown) is not');
  t.notMatch(readFileSync(path.join(outDir, 'images', 'favicon.svg'), 'utf8'), /crown/i);
  t.match(readFileSync(path.join(outDir, 'init.js'), 'utf8'), 'govuk-frontend-supported');

  const started = Date.now();
  const again = await buildAssets(config, { outDir, ifMissing: true });
  t.equal(again.skipped, true, '--if-missing skips when the CSS exists');
  t.ok(Date.now() - started < 100, 'and skips quickly');
});

t.test('GET /assets/application.css and the scripts are served', async (t) => {
  // The suite may run before anyone ran `npm run build`.
  if (!existsSync(path.join(publicDir, 'application.css'))) await buildAssets(testConfig(t), { ifMissing: true });
  const { app } = await buildTestApp(t);
  const css = await app.inject('/assets/application.css');
  t.equal(css.statusCode, 200);
  t.match(css.headers['content-type'], 'text/css');
  t.equal(Number(css.headers['content-length']), statSync(path.join(publicDir, 'application.css')).size);
  t.match(css.headers['cache-control'], 'max-age=');
  for (const file of ['init.js', 'govuk-frontend.min.js']) {
    const js = await app.inject(`/assets/${file}`);
    t.equal(js.statusCode, 200, file);
    t.match(js.headers['content-type'], 'javascript');
  }
  t.equal((await app.inject('/assets/fonts/bold-affa96571d-v2.woff2')).statusCode, 404, 'no GDS Transport font files');
  t.equal((await app.inject('/assets/images/govuk-crest.svg')).statusCode, 404, 'no crest');
});
