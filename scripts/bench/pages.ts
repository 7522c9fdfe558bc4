/**
 * `npm run bench -- pages`: the public pages under load, against a bare page.
 *
 * 1. Seeds 10,000 opportunities into a scratch DATA_DIR (`scripts/seed.ts --opportunities 10000
 *    --reset`, the same script as `npm run seed`, on its own embedded PostgreSQL port).
 * 2. Starts the real server on that data (`node --import tsx src/server.ts`, production mode,
 *    warn-level logs, rate limit out of the way, no in-process worker).
 * 3. Starts scripts/bench/bare-server.ts: Fastify + @fastify/view + Eta rendering a static page
 *    as large as the average detail page (the baseline).
 * 4. Drives each with autocannon (50 connections, 3 s warm-up, 10 s measured): the bare page,
 *    home, list (`/opportunities?page=N`, N over the first 10 pages) and detail (rotating over
 *    every published opportunity, in a fixed shuffled order).
 * 5. Prints a table, the app's RSS, and a last line `BENCH {json}`.
 *
 * Options: --duration S, --connections N (defaults 10 and 50: only those figures are comparable),
 * --reuse-data (skip seeding when the scratch folder already holds the same seed), --data-dir DIR
 * (default .bench/pages), --cpu-prof (profile the server; prints where its time went).
 * Autocannon runs in this process, on the same machine as the server and its database.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { releases } from '../../src/modules/opportunities/opportunities.table.js';
import { projectRoot } from '../../src/paths.js';
import { summariseCpuProfile } from './cpu-profile.js';
import { Child, figures, freePort, installCleanup, section, printTable, problemsOf, rssMb, runCase, seedOnce, startPortal, stopAll, waitForOk, type BenchWorld, type CaseResult, type LoadOptions } from './harness.js';

const OPPORTUNITIES = 10_000;
const LIST_PAGES = 10;
/** The goal: the detail page serves at least this share of the bare page's requests per second. */
const DETAIL_TARGET = 0.5;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      opportunities: { type: 'string', default: String(OPPORTUNITIES) },
      'reuse-data': { type: 'boolean', default: false },
      'data-dir': { type: 'string', default: path.join(projectRoot, '.bench', 'pages') },
      'cpu-prof': { type: 'boolean', default: false },
    },
  });
  const load: LoadOptions = { connections: Number(values.connections), durationSeconds: Number(values.duration), warmupSeconds: 3 };
  const opportunities = Number(values.opportunities);
  const dataDir = path.resolve(values['data-dir']);
  // Children run from here: a folder with no `.env`, so nothing points them at another database.
  const workDir = path.dirname(dataDir);
  const profileDir = path.join(workDir, 'profiles');
  installCleanup();

  mkdirSync(dataDir, { recursive: true });
  const embeddedDbPort = await freePort();
  const world: BenchWorld = { dataDir, workDir, embeddedDbPort };

  section(`Seeding ${opportunities.toLocaleString('en-GB')} opportunities into ${dataDir}`);
  await seedOnce(world, opportunities, { reuse: Boolean(values['reuse-data']), seedId: JSON.stringify({ opportunities }) });

  section('Starting the portal and the bare page');
  const { app, url: appUrl } = await startPortal(world, { cpuProfileDir: values['cpu-prof'] ? profileDir : undefined });
  const rssAtStart = rssMb(app.pid);

  const detailIds = await publishedOpportunityIds(dataDir, embeddedDbPort);
  const detailBytes = await averageBytes(appUrl, detailIds.slice(0, 20).map((id) => `/opportunities/${id}`));
  console.log(`portal ready at ${appUrl} (pid ${app.pid}, RSS ${rssAtStart} MB); ${detailIds.length} published opportunities; detail page ≈ ${detailBytes} bytes`);
  await expectOk(appUrl, ['/', '/opportunities?page=1', `/opportunities/${detailIds[0]}`]);

  const barePort = await freePort();
  const bare = new Child('the bare page', path.join(projectRoot, 'scripts', 'bench', 'bare-server.ts'), [], {
    cwd: workDir,
    env: { ...process.env, PORT: String(barePort), BARE_PAGE_BYTES: String(detailBytes), NODE_ENV: 'production' },
  });
  const bareUrl = `http://127.0.0.1:${barePort}`;
  await waitForOk(bareUrl, bare, 30_000);

  section(`Load: ${load.connections} connections, ${load.warmupSeconds} s warm-up + ${load.durationSeconds} s per case`);
  const results: CaseResult[] = [];
  const run = async (name: string, url: string, paths: string[], watchPid?: number) => {
    let next = 0;
    // Other processes on the machine take CPU from the measured ones: say how busy it was.
    process.stdout.write(`${name} (load average before: ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores)… `);
    const result = await runCase(name, url, () => paths[next++ % paths.length]!, load, watchPid);
    console.log(`${result.rps.toFixed(1)} req/s`);
    results.push(result);
    return result;
  };
  const baseline = await run('bare page', bareUrl, ['/'], bare.pid);
  const home = await run('home', appUrl, ['/'], app.pid);
  const list = await run('list', appUrl, Array.from({ length: LIST_PAGES }, (_, i) => `/opportunities?page=${i + 1}`), app.pid);
  const detail = await run('detail', appUrl, detailIds.map((id) => `/opportunities/${id}`), app.pid);
  const rssAtEnd = rssMb(app.pid);

  await stopAll();

  section('Results');
  printTable(results);
  console.log(`(CPU ms/resp: the server process per response; children: its embedded PostgreSQL, per response)`);
  const ratio = detail.rps / baseline.rps;
  console.log(`\ndetail / bare page: ${(ratio * 100).toFixed(0)} % of the bare page's req/s (target ≥ ${DETAIL_TARGET * 100} %: ${ratio >= DETAIL_TARGET ? 'met' : 'MISSED'})`);
  const appPeak = Math.max(...[home, list, detail].map((r) => r.peakRssMb ?? 0));
  console.log(`portal RSS (VmRSS of the server process): ${rssAtStart} MB after start, ${appPeak} MB peak under load, ${rssAtEnd} MB at the end (the peak RSS column is each case's server: the bare page's own process, then the portal)`);
  if (values['cpu-prof']) summariseCpuProfile(profileDir);

  const problems = results.flatMap(problemsOf);
  if (problems.length > 0) {
    console.error(`\nNOT A VALID MEASUREMENT:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  console.log(`BENCH ${JSON.stringify({ bench: 'pages', baseline: figures(baseline), cases: { home: figures(home), list: figures(list), detail: figures(detail) } })}`);
  return 0;
}

async function fetchText(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

async function expectOk(baseUrl: string, paths: string[]): Promise<void> {
  for (const p of paths) {
    const { status } = await fetchText(baseUrl + p);
    if (status !== 200) throw new Error(`GET ${p} answered ${status}: the pages must work before they are measured`);
  }
}

/**
 * Every published opportunity's id (the latest releases: what the public can open), in a fixed
 * shuffled order: the detail case visits each as often as the others, and consecutive requests
 * do not walk neighbouring rows. Read through the running server's embedded PostgreSQL, which
 * openDatabase shares (and leaves running) when another process owns it.
 */
async function publishedOpportunityIds(dataDir: string, embeddedDbPort: number): Promise<number[]> {
  const config = loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, EMBEDDED_DB_PORT: String(embeddedDbPort) });
  const database = await openDatabase(config, { log: () => {}, poolSize: 1 });
  try {
    if (database.embedded?.owner) throw new Error('the portal was expected to own the embedded database');
    const rows = await database.db.select({ id: releases.opportunityId }).from(releases).where(eq(releases.isLatest, true)).orderBy(releases.opportunityId);
    if (rows.length === 0) throw new Error('no published opportunity in the seeded database');
    return shuffle(rows.map((row) => row.id));
  } finally {
    await database.close();
  }
}

function shuffle<T>(items: T[]): T[] {
  let state = 42;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

async function averageBytes(baseUrl: string, paths: string[]): Promise<number> {
  let total = 0;
  for (const p of paths) total += Buffer.byteLength((await fetchText(baseUrl + p)).text);
  return Math.round(total / paths.length);
}
