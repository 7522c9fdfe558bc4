/**
 * The README's screenshot: a full-page PNG of the home page, taken with headless Chromium.
 *
 *   node --import tsx scripts/screenshot.ts                 # the real server on fresh demo data
 *   node --import tsx scripts/screenshot.ts --url http://localhost:3000   # a running portal
 *
 * Without --url it starts `src/server.ts` on a scratch DATA_DIR (embedded PostgreSQL, demo data
 * loaded on first start, exactly as `npm start` on a fresh checkout) and stops it afterwards.
 * Options: --out FILE (default docs/screenshot-home.png), --width PX (default 1200).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/paths.js';
import { ensureAssetsBuilt, findChromium, launchChromium } from '../test/support/browser.js';
import { Child, freePort, installCleanup, stopAll, waitForOk } from './bench/harness.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    out: { type: 'string', default: path.join(projectRoot, 'docs', 'screenshot-home.png') },
    width: { type: 'string', default: '1200' },
  },
});

const executable = findChromium();
if (!executable) {
  console.error('Chromium not found: install it with `apt-get install chromium`.');
  process.exit(1);
}

installCleanup();
let scratchDir: string | undefined;
let exitCode = 0;
try {
  let baseUrl = values.url?.replace(/\/$/, '');
  if (!baseUrl) {
    await ensureAssetsBuilt();
    scratchDir = mkdtempSync(path.join(os.tmpdir(), 'portal-screenshot-'));
    // mkdtemp makes it private; the embedded PostgreSQL runs as the `postgres` user when we are root.
    chmodSync(scratchDir, 0o755);
    const port = await freePort();
    const server = new Child('the portal', path.join(projectRoot, 'src', 'server.ts'), [], {
      // A folder with no `.env`: the demo database is the only one this run can touch.
      cwd: scratchDir,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: path.join(scratchDir, 'data'),
        EMBEDDED_DB_PORT: String(await freePort()),
        DATABASE_URL: '',
        SEED_DEMO_DATA: 'true',
        WORKER_IN_PROCESS: 'false',
      },
    });
    baseUrl = `http://127.0.0.1:${port}`;
    console.log('starting the portal on fresh demo data…');
    await waitForOk(`${baseUrl}/health/ready`, server, 300_000);
  }

  const browser = await launchChromium(executable, { viewport: { width: Number(values.width), height: 900 } });
  try {
    const page = await browser.context.newPage();
    const response = await page.goto(`${baseUrl}/`, { waitUntil: 'networkidle' });
    if (response?.status() !== 200) throw new Error(`the home page answered ${response?.status()}`);
    mkdirSync(path.dirname(values.out), { recursive: true });
    await page.screenshot({ path: values.out, fullPage: true });
    console.log(`wrote ${path.relative(process.cwd(), values.out)} (${await page.evaluate('document.documentElement.scrollHeight')} px tall)`);
  } finally {
    await browser.close();
  }
} catch (error) {
  console.error(`screenshot failed: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await stopAll();
  if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
}
process.exit(exitCode);
