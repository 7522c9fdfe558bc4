/**
 * Browser harness: Debian's Chromium driven by playwright-core, and checks every journey runs on
 * each page it visits — axe-core for WCAG 2.0/2.1/2.2 A and AA, and no script error, console
 * error, Content-Security-Policy violation or broken asset.
 *
 * Without Chromium the browser tests are skipped with a loud message, except on CI (`CI=true`),
 * where a missing browser is a failure: .ci/run installs it (`apt-get install chromium`).
 *
 * This module imports tap for types only, so scripts (scripts/screenshot.ts) can use the launcher.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Test } from 'tap';
import { buildAssets } from '../../scripts/build-assets.js';
import { loadConfig } from '../../src/config.js';
import { publicDir } from '../../src/paths.js';

/** Debian's wrapper first (it sets the flags Debian's build expects), then whatever is on PATH. */
const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', 'chromium', 'chromium-browser'];

/**
 * Headless and quiet: no sandbox (CI runs as root, where Chromium refuses its sandbox), no GPU, and
 * none of the background traffic (updates, sync, QUIC) a test machine without network would wait on.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** WCAG 2.0, 2.1 and 2.2, levels A and AA, as axe-core tags its rules. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export function findChromium(): string | undefined {
  for (const candidate of CHROMIUM_CANDIDATES) {
    if (path.isAbsolute(candidate)) {
      if (existsSync(candidate)) return candidate;
      continue;
    }
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      const full = path.join(dir, candidate);
      if (dir && existsSync(full)) return full;
    }
  }
  return undefined;
}

export interface ChromiumSession {
  context: BrowserContext;
  /** Closes the browser and removes its profile folder. */
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh, throw-away profile. The page's own Content-Security-Policy stays
 * in force (no bypassCSP): the checks below must see what a visitor's browser enforces.
 */
export async function launchChromium(executablePath: string, options: { viewport?: { width: number; height: number } } = {}): Promise<ChromiumSession> {
  const profileDir = mkdtempSync(path.join(os.tmpdir(), 'portal-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1280, height: 900 },
      locale: 'en-GB',
      timezoneId: 'Europe/London',
    });
    return {
      context,
      async close() {
        await context.close().catch(() => {});
        rmSync(profileDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profileDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The browser for one test file, closed at its end. Returns undefined when Chromium is missing:
 * the test is then skipped with a loud message, or failed on CI.
 */
export async function browserForTest(t: Test): Promise<BrowserContext | undefined> {
  const executable = findChromium();
  if (!executable) {
    const message = `Chromium not found (looked for ${CHROMIUM_CANDIDATES.join(', ')}): install it with \`apt-get install chromium\``;
    if (process.env.CI === 'true') {
      t.fail(`${message}. Browser tests cannot be skipped on CI.`);
    } else {
      console.error(`\n${'!'.repeat(100)}\n!!! BROWSER TESTS SKIPPED: ${message}\n${'!'.repeat(100)}\n`);
      t.plan(0, message);
    }
    return undefined;
  }
  await ensureAssetsBuilt();
  const session = await launchChromium(executable);
  t.teardown(() => session.close());
  return session.context;
}

/**
 * The pages need the compiled stylesheet (axe's colour-contrast rule reads real styles, and a
 * missing asset is a failure below). `npm test` on a fresh clone has not run `npm run build`.
 */
export async function ensureAssetsBuilt(): Promise<void> {
  if (existsSync(path.join(publicDir, 'application.css'))) return;
  try {
    await buildAssets(loadConfig({ NODE_ENV: 'test' }), { ifMissing: true });
  } catch (error) {
    // Another test file may have built (and swapped in) public/ at the same moment.
    if (!existsSync(path.join(publicDir, 'application.css'))) throw error;
  }
}

/**
 * Records what goes wrong on a page: script errors, console errors (which include CSP violations,
 * e.g. an inline script the policy refused), and assets that failed or answered 4xx/5xx. The page
 * document's own status is left to the test: a 404 page answers 404 on purpose.
 */
export class PageProblems {
  private problems: string[] = [];

  constructor(readonly page: Page) {
    page.on('pageerror', (error) => this.problems.push(`script error: ${error.message}`));
    page.on('console', (message) => {
      // Chromium logs every 4xx/5xx response as "Failed to load resource"; responses are judged below.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        this.problems.push(`console error: ${message.text()}`);
      }
    });
    page.on('requestfailed', (request) => this.problems.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? 'unknown'})`));
    page.on('response', (response) => {
      const request = response.request();
      const isDocument = request.isNavigationRequest() && request.frame() === page.mainFrame();
      if (!isDocument && response.status() >= 400) this.problems.push(`asset answered ${response.status()}: ${response.url()}`);
    });
  }

  /** The problems recorded since the last call. */
  take(): string[] {
    const taken = this.problems;
    this.problems = [];
    return taken;
  }
}

let axeSource: string | undefined;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[]; html: string }[];
}

/**
 * Runs axe-core on the page as it is now and returns each violation as a readable line. axe is
 * evaluated through the DevTools protocol (page.evaluate), which the page's CSP does not govern;
 * a <script> tag (page.addScriptTag) would be refused by our `script-src 'self'` policy.
 */
export async function axeViolations(page: Page, tags: string[] = AXE_TAGS): Promise<string[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axeSource);
  const violations = await page.evaluate(
    // Runs in the page, where axe is a global.
    async (values) => {
      const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: unknown[] }> } }).axe;
      const results = await axe.run(document, { runOnly: { type: 'tag', values }, resultTypes: ['violations'] });
      return results.violations;
    },
    tags,
  );
  return (violations as AxeViolation[]).map((v) => {
    const nodes = v.nodes.map((n) => `    ${JSON.stringify(n.target)} ${n.html.slice(0, 200)}`).join('\n');
    return `${v.id} (${v.impact ?? 'n/a'}): ${v.help} — ${v.helpUrl}\n${nodes}`;
  });
}

/**
 * The checks for every page a journey visits: no axe violations (WCAG 2.2 AA) and no problems
 * recorded since the previous check.
 */
export async function checkPage(t: Test, problems: PageProblems, label: string): Promise<void> {
  t.same(await axeViolations(problems.page), [], `${label}: axe finds no WCAG 2.2 A/AA violations`);
  t.same(problems.take(), [], `${label}: no script errors, console errors, CSP violations or broken assets`);
}
