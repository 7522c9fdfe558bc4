/**
 * `npm run bench -- search`: search at scale, against a bare page (issue 5, point 6).
 *
 * 1. Seeds N opportunities (--size, default 100,000) into a scratch DATA_DIR with the bulk seeder
 *    (`scripts/seed.ts --opportunities N --reset`, as `npm run seed`): real notices and templates,
 *    so broad words such as "services" match most documents, as in real notices — checked and
 *    printed before anything is measured.
 * 2. Starts the real server on that data (production mode, warn-level logs, rate limit out of the
 *    way, no in-process worker, PostgreSQL backend: MEILISEARCH_URL emptied). The portal has no
 *    search result cache; should one be added, it must be switched off here.
 * 3. Checks that the target answers searches (results change with `q`), then replays the fixed
 *    query mix (data/search-queries.tsv, mapped to the portal's parameters by search-queries.ts,
 *    never filtered or tuned) by one client in sequence against `/opportunities?…` (or
 *    `/api/opportunities?…` with --target api): one pass to warm up (its figures are shown as
 *    "cold"), then the measured pass: p50/p95/p99 over every query, and the 10 slowest.
 * 4. Starts scripts/bench/bare-server.ts (Fastify + @fastify/view + Eta rendering a static page as
 *    large as the average search response) and drives it, then the portal cycling through the
 *    mix, with autocannon (50 connections, 3 s warm-up, 10 s measured), sampling the portal's RSS.
 * 5. Prints the figures against the targets, and a last line `BENCH {json}`.
 *
 * Targets (PostgreSQL backend, 100,000 opportunities): one client p50 ≤ 20 ms and p95 ≤ 50 ms;
 * under load no errors, RSS ≤ 300 MB and at least 2 % of the bare page's req/s.
 *
 * Options: --size N, --target page|api, --duration S, --connections N, --reuse-data (skip seeding
 * when the scratch folder holds the same seed under the same migrations), --data-dir DIR (default .bench/search),
 * --cpu-prof (profile the server; prints where its time went), --explain N (afterwards, runs the
 * N slowest queries through the PostgreSQL backend in this process and EXPLAIN ANALYZEs each
 * statement it sends; full plans go to search-explain.txt next to the data folder).
 *
 * `errors` in the BENCH line counts connection errors, timeouts and non-2xx responses under load;
 * when it is not 0 (or the single client or the bare page saw one) the line is still printed, with
 * the problems before it, and the exit code is 1.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import * as schema from '../../src/db/schema.js';
import { createPostgresSearch } from '../../src/modules/search/postgres.backend.js';
import { type SearchFilters, type SearchQuery, type SearchSort } from '../../src/modules/search/search.port.js';
import { loadSynonyms } from '../../src/modules/search/synonyms.js';
import { migrationsDir, projectRoot } from '../../src/paths.js';
import { summariseCpuProfile } from './cpu-profile.js';
import { Child, cpuSeconds, freePort, installCleanup, section, percentile, printTable, problemsOf, rssMb, runCase, seedOnce, startPortal, stopAll, waitForOk, type BenchWorld, type CaseResult, type LoadOptions } from './harness.js';
import { describeQuery, loadQueryMix, type MixQuery } from './search-queries.js';

const DEFAULT_SIZE = 100_000;
const TARGETS = { p50Ms: 20, p95Ms: 50, rssMb: 300, shareOfBare: 0.02 };
/** A broad word: in real notices it matches most of them, and so must it in the seeded data. */
const BROAD_WORD = 'services';
const SLOWEST_SHOWN = 10;

type Target = 'page' | 'api';

export interface Timed {
  query: MixQuery;
  ms: number;
  status: number;
  bytes: number;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: String(DEFAULT_SIZE) },
      target: { type: 'string', default: 'page' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      'reuse-data': { type: 'boolean', default: false },
      'data-dir': { type: 'string', default: path.join(projectRoot, '.bench', 'search') },
      explain: { type: 'string', default: '0' },
      'cpu-prof': { type: 'boolean', default: false },
    },
  });
  const size = Number(values.size);
  if (!Number.isSafeInteger(size) || size < 1) {
    console.error(`--size must be a whole number ≥ 1, not "${values.size}"`);
    return 2;
  }
  if (values.target !== 'page' && values.target !== 'api') {
    console.error(`--target must be page or api, not "${values.target}"`);
    return 2;
  }
  const target: Target = values.target;
  const explainCount = Math.max(0, Math.trunc(Number(values.explain) || 0));
  const load: LoadOptions = { connections: Number(values.connections), durationSeconds: Number(values.duration), warmupSeconds: 3 };
  const dataDir = path.resolve(values['data-dir']);
  // Children run from here: a folder with no `.env`, so nothing points them at another database.
  const workDir = path.dirname(dataDir);
  const searchPath = target === 'page' ? '/opportunities' : '/api/opportunities';
  const profileDir = path.join(workDir, 'profiles');
  installCleanup();

  const mix = loadQueryMix();
  const paths = mix.map((q) => (q.queryString ? `${searchPath}?${q.queryString}` : searchPath));
  console.log(`query mix: ${mix.length} queries from data/search-queries.tsv (${mix.filter((q) => q.filters.length).length} with filters, ${mix.filter((q) => !q.text).length} without text)`);

  mkdirSync(dataDir, { recursive: true });
  const embeddedDbPort = await freePort();
  // The PostgreSQL backend is the one measured.
  const world: BenchWorld = { dataDir, workDir, embeddedDbPort, env: { MEILISEARCH_URL: '' } };

  section(`Seeding ${size.toLocaleString('en-GB')} opportunities into ${dataDir}`);
  // Data seeded under other migrations (e.g. before an index was added) is not reused: the
  // seed analyses the tables after loading, with every index in place.
  const seedId = JSON.stringify({ opportunities: size, migrations: readdirSync(migrationsDir).filter((name) => name.endsWith('.sql')).sort() });
  await seedOnce(world, size, { reuse: Boolean(values['reuse-data']), seedId });

  section('Starting the portal');
  const { app, url: appUrl } = await startPortal(world, { cpuProfileDir: values['cpu-prof'] ? profileDir : undefined });
  const rss = new RssWatch(app.pid);
  console.log(`portal ready at ${appUrl} (pid ${app.pid}, RSS ${rss.now()} MB)`);

  const dbConfig = loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, EMBEDDED_DB_PORT: String(embeddedDbPort) });
  const shape = await dataShape(dbConfig);
  const broadShare = shape.broad / Math.max(1, shape.documents);
  console.log(
    `${shape.documents.toLocaleString('en-GB')} search documents (${shape.published.toLocaleString('en-GB')} not cancelled); ` +
      `"${BROAD_WORD}" matches ${shape.broad.toLocaleString('en-GB')} of them (${(broadShare * 100).toFixed(0)} %)`,
  );
  if (broadShare < 0.5) console.log(`WARNING: "${BROAD_WORD}" matches fewer than half of the documents: the data is not shaped like real notices`);

  await checkAnswersSearches(appUrl, searchPath, target);

  section(`One client, in sequence: the mix of ${mix.length} queries against ${searchPath} (a warm-up pass, then the measured pass)`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const loadBefore = os.loadavg()[0]!;
  const cold = await replay(appUrl, paths, mix, agent);
  const cpuBefore = cpuSeconds(app.pid);
  const single = await replay(appUrl, paths, mix, agent);
  const cpuAfter = cpuSeconds(app.pid);
  agent.destroy();
  // CPU per query hardly depends on what else the machine runs, unlike the latencies.
  const cpuPerQuery = {
    server: ((cpuAfter.self - cpuBefore.self) * 1000) / single.length,
    database: ((cpuAfter.tree - cpuAfter.self - (cpuBefore.tree - cpuBefore.self)) * 1000) / single.length,
  };
  const coldFigures = latencyFigures(cold);
  const singleFigures = latencyFigures(single);
  console.log(`load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after, on ${os.availableParallelism()} cores`);
  console.log(`cold pass:     p50 ${coldFigures.p50_ms} ms, p95 ${coldFigures.p95_ms} ms, p99 ${coldFigures.p99_ms} ms, max ${coldFigures.max_ms} ms`);
  console.log(`measured pass: p50 ${singleFigures.p50_ms} ms, p95 ${singleFigures.p95_ms} ms, p99 ${singleFigures.p99_ms} ms, max ${singleFigures.max_ms} ms, mean ${singleFigures.mean_ms} ms`);
  console.log(`CPU per query (measured pass, mean): ${cpuPerQuery.server.toFixed(1)} ms in the server process + ${cpuPerQuery.database.toFixed(1)} ms in its PostgreSQL`);
  const slowest = [...single].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST_SHOWN);
  console.log(`the ${SLOWEST_SHOWN} slowest queries of the measured pass:`);
  for (const t of slowest) console.log(`  ${t.ms.toFixed(1).padStart(7)} ms  ${t.status}  line ${String(t.query.line).padStart(3)}  ${describeQuery(t.query)}`);
  const singleNon2xx = single.filter((t) => t.status < 200 || t.status > 299);
  for (const t of singleNon2xx.slice(0, 10)) console.log(`  NOT 2xx: ${t.status} for line ${t.query.line}: ${describeQuery(t.query)}`);
  const averageBytes = Math.round(single.reduce((sum, t) => sum + t.bytes, 0) / single.length);

  section('Starting the bare page');
  const barePort = await freePort();
  const bare = new Child('the bare page', path.join(projectRoot, 'scripts', 'bench', 'bare-server.ts'), [], {
    cwd: workDir,
    env: { ...process.env, PORT: String(barePort), BARE_PAGE_BYTES: String(averageBytes), NODE_ENV: 'production' },
  });
  const bareUrl = `http://127.0.0.1:${barePort}`;
  await waitForOk(bareUrl, bare, 30_000);
  console.log(`bare page at ${bareUrl}, about ${averageBytes} bytes (the average search response)`);

  section(`Load: ${load.connections} connections, ${load.warmupSeconds} s warm-up + ${load.durationSeconds} s per case`);
  const results: CaseResult[] = [];
  const loadAverages: number[] = [];
  const run = async (name: string, url: string, casePaths: string[], watchPid: number) => {
    let next = 0;
    // Other processes on the machine take CPU from the measured ones: say how busy it was.
    loadAverages.push(os.loadavg()[0]!);
    process.stdout.write(`${name} (load average before: ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores)… `);
    const result = await runCase(name, url, () => casePaths[next++ % casePaths.length]!, load, watchPid);
    console.log(`${result.rps.toFixed(1)} req/s`);
    results.push(result);
    return result;
  };
  const baseline = await run('bare page', bareUrl, ['/'], bare.pid);
  const searchLoad = await run(`search (${target})`, appUrl, paths, app.pid);
  loadAverages.push(os.loadavg()[0]!);
  const rssPeak = Math.max(rss.peak(), searchLoad.peakRssMb ?? 0);
  const rssAtEnd = rss.now();
  rss.stop();

  let explained: string | undefined;
  if (explainCount > 0) {
    section(`Where the time goes: the ${explainCount} slowest queries through the PostgreSQL backend, each statement EXPLAIN ANALYZEd`);
    explained = path.join(workDir, 'search-explain.txt');
    await explainSlowest(dbConfig, slowest.slice(0, explainCount), explained);
  }
  await stopAll();

  section('Results');
  printTable(results);
  console.log(`(CPU ms/resp: the server process per response; children: its embedded PostgreSQL, per response)`);
  const share = searchLoad.rps / baseline.rps;
  const loadErrors = searchLoad.errors + searchLoad.timeouts + searchLoad.non2xx;
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log(`\n"${BROAD_WORD}" matches ${shape.broad.toLocaleString('en-GB')} of ${shape.documents.toLocaleString('en-GB')} documents (${(broadShare * 100).toFixed(0)} %); measured ${target === 'page' ? 'the search page /opportunities' : 'the JSON API /api/opportunities'} on the PostgreSQL backend, no result cache`);
  console.log(`one client: mean CPU per query ${cpuPerQuery.server.toFixed(1)} ms (server) + ${cpuPerQuery.database.toFixed(1)} ms (PostgreSQL)`);
  console.log(`one client: p50 ${singleFigures.p50_ms} ms (target ≤ ${TARGETS.p50Ms} ms: ${verdict(singleFigures.p50_ms <= TARGETS.p50Ms)}), p95 ${singleFigures.p95_ms} ms (target ≤ ${TARGETS.p95Ms} ms: ${verdict(singleFigures.p95_ms <= TARGETS.p95Ms)}), p99 ${singleFigures.p99_ms} ms`);
  console.log(
    `under load: ${searchLoad.rps.toFixed(1)} req/s = ${(share * 100).toFixed(1)} % of the bare page's ${baseline.rps.toFixed(1)} req/s (target ≥ ${TARGETS.shareOfBare * 100} %: ${verdict(share >= TARGETS.shareOfBare)}), ` +
      `p95 ${searchLoad.p95_ms} ms, ${loadErrors} errors (${searchLoad.errors} errors, ${searchLoad.timeouts} timeouts, ${searchLoad.non2xx} non-2xx; target 0: ${verdict(loadErrors === 0)})`,
  );
  console.log(`portal RSS (VmRSS of the server process, not its PostgreSQL): ${rssPeak} MB peak (target ≤ ${TARGETS.rssMb} MB: ${verdict(rssPeak <= TARGETS.rssMb)}), ${rssAtEnd} MB at the end`);
  console.log(`load average (1 min) during the load runs: ${loadAverages.map((l) => l.toFixed(2)).join(' → ')} on ${os.availableParallelism()} cores (the machine is shared: other work slows every figure)`);
  if (explained) console.log(`EXPLAIN ANALYZE plans: ${explained}`);
  if (values['cpu-prof']) summariseCpuProfile(profileDir);

  const problems = [
    ...problemsOf(baseline),
    ...problemsOf(searchLoad),
    ...(singleNon2xx.length ? [`one client: ${singleNon2xx.length} non-2xx responses (first: ${singleNon2xx[0]!.status} for line ${singleNon2xx[0]!.query.line})`] : []),
  ];
  if (problems.length > 0) console.error(`\nPROBLEMS (the figures below are not a clean measurement):\n  ${problems.join('\n  ')}`);
  const round1 = (n: number) => Math.round(n * 10) / 10;
  console.log(
    `BENCH ${JSON.stringify({
      bench: 'search',
      size,
      ...(target === 'api' ? { target: 'api' } : {}),
      baseline: { rps: baseline.rps, p95_ms: baseline.p95_ms },
      single: { p50_ms: singleFigures.p50_ms, p95_ms: singleFigures.p95_ms, p99_ms: singleFigures.p99_ms },
      load: { rps: searchLoad.rps, p95_ms: searchLoad.p95_ms, errors: loadErrors, rss_mb: round1(rssPeak) },
    })}`,
  );
  return problems.length ? 1 : 0;
}

/** Samples a process's RSS every 250 ms until stopped; the peak is the largest sample. */
class RssWatch {
  private max = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.now(), 250);
    this.timer.unref();
  }

  now(): number {
    const value = rssMb(this.pid) ?? 0;
    this.max = Math.max(this.max, value);
    return value;
  }

  peak(): number {
    this.now();
    return this.max;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** GET over a kept-alive connection; the time is until the whole body has arrived. */
function timedGet(url: string, agent: http.Agent): Promise<{ ms: number; status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.get(url, { agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ ms: performance.now() - started, status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.setTimeout(30_000, () => request.destroy(new Error(`no answer within 30 s: ${url}`)));
    request.on('error', reject);
  });
}

async function replay(baseUrl: string, paths: string[], mix: MixQuery[], agent: http.Agent): Promise<Timed[]> {
  const timed: Timed[] = [];
  for (const [i, p] of paths.entries()) {
    const { ms, status, body } = await timedGet(baseUrl + p, agent);
    timed.push({ query: mix[i]!, ms, status, bytes: body.length });
  }
  return timed;
}

function latencyFigures(timed: Timed[]) {
  const sorted = Float64Array.from(timed.map((t) => t.ms)).sort();
  const r = (n: number) => Math.round(n * 100) / 100;
  return {
    p50_ms: r(percentile(sorted, 50)),
    p95_ms: r(percentile(sorted, 95)),
    p99_ms: r(percentile(sorted, 99)),
    max_ms: r(sorted[sorted.length - 1] ?? Number.NaN),
    mean_ms: r(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
  };
}

/**
 * How many documents there are and how many the broad word matches, read through the running
 * portal's embedded PostgreSQL (openDatabase shares it, and leaves it running).
 */
async function dataShape(config: ReturnType<typeof loadConfig>): Promise<{ documents: number; published: number; broad: number }> {
  const database = await openDatabase(config, { log: () => {}, poolSize: 1 });
  try {
    if (database.embedded?.owner) throw new Error('the portal was expected to own the embedded database');
    const { rows } = await database.db.execute<{ documents: number; published: number; broad: number }>(
      sql`select count(*)::int as documents, count(*) filter (where not cancelled)::int as published,
                 count(*) filter (where document @@ to_tsquery('portal_english', ${BROAD_WORD}))::int as broad from search_documents`,
    );
    const row = rows[0]!;
    if (row.documents === 0) throw new Error('no search documents in the seeded database');
    return row;
  } finally {
    await database.close();
  }
}

/**
 * The target must search: two different words must give different results. (A page that ignores
 * `q` — the list before search was wired in — answers every query alike, and would be measured
 * as a fast "search".)
 */
async function checkAnswersSearches(baseUrl: string, searchPath: string, target: Target): Promise<void> {
  const seen: string[] = [];
  for (const word of ['asbestos', 'catering']) {
    const response = await fetch(`${baseUrl}${searchPath}?q=${word}`);
    const body = await response.text();
    if (response.status !== 200) throw new Error(`GET ${searchPath}?q=${word} answered ${response.status}${target === 'page' ? ' (try --target api)' : ''}: ${body.slice(0, 300)}`);
    if (target === 'api') {
      const json = JSON.parse(body) as { total?: unknown; results?: unknown[] };
      seen.push(JSON.stringify([json.total, (json.results ?? []).map((r) => JSON.stringify(r).slice(0, 200))]));
    } else {
      // The opportunities the page links to, in order.
      seen.push([...body.matchAll(/href="\/opportunities\/(\d+)"/g)].map((m) => m[1]).join(','));
    }
  }
  if (seen[0] === seen[1]) {
    throw new Error(
      `${searchPath} gives the same results for "asbestos" and "catering": it does not search yet${target === 'page' ? ' (the page is not wired to the search service; try --target api)' : ''}`,
    );
  }
  console.log(`${searchPath} searches: "asbestos" and "catering" give different results`);
}

/** The mix's parameters as the backend's query (the same mapping as the portal's search.params.ts). */
function toSearchQuery(query: MixQuery): SearchQuery {
  const params = new URLSearchParams(query.queryString);
  const filters: SearchFilters = {};
  const all = (name: string) => params.getAll(name);
  if (all('stage').length) filters.stages = all('stage') as SearchFilters['stages'];
  if (all('category').length) filters.categories = all('category') as SearchFilters['categories'];
  if (all('value').length) filters.valueBands = all('value') as SearchFilters['valueBands'];
  if (params.get('sme') === 'yes') filters.sme = true;
  if (params.get('vcse') === 'yes') filters.vcse = true;
  if (params.get('local') === 'yes') filters.localReserved = true;
  if (params.get('closing')) filters.closingWithinDays = Number(params.get('closing')) as SearchFilters['closingWithinDays'];
  return { text: params.get('q') ?? '', filters, sort: (params.get('sort') ?? 'relevance') as SearchSort, page: 1, pageSize: 20 };
}

/**
 * Runs each query through the PostgreSQL backend in this process, with a drizzle logger catching
 * every statement it sends, then EXPLAIN (ANALYZE, BUFFERS) each SELECT. Prints the backend's time
 * and each statement's execution time; writes the full plans to `file`.
 */
export async function explainSlowest(config: ReturnType<typeof loadConfig>, slowest: Timed[], file: string): Promise<void> {
  const database: Database = await openDatabase(config, { log: () => {}, poolSize: 2 });
  const report: string[] = [];
  try {
    const captured: { query: string; params: unknown[] }[] = [];
    const db = drizzle(database.pool, { schema, logger: { logQuery: (query, params) => captured.push({ query, params }) } });
    const backend = createPostgresSearch({ database: { db }, synonyms: loadSynonyms(config.search.synonymsFile) });
    for (const timed of slowest) {
      const query = toSearchQuery(timed.query);
      await backend.search(query); // warm (the title-index check, plans)
      captured.length = 0;
      const started = performance.now();
      const result = await backend.search(query);
      const backendMs = performance.now() - started;
      // SELECTs are EXPLAIN ANALYZEd; the backend's own EXPLAINs (row estimates) are timed as they are.
      const statements = captured.filter((c) => /^\s*(select|with|explain)\b/i.test(c.query));
      const heading = `line ${timed.query.line}: ${describeQuery(timed.query)} — page ${timed.ms.toFixed(1)} ms, backend ${backendMs.toFixed(1)} ms, ${result.total}${result.totalIsEstimate ? ' (estimate)' : ''} matches, ${statements.length} statements`;
      console.log(heading);
      report.push(`${'='.repeat(100)}\n${heading}\n`);
      for (const [i, statement] of statements.entries()) {
        const what = statement.query.replace(/\s+/g, ' ').slice(0, 110);
        if (/^\s*explain\b/i.test(statement.query)) {
          const started = performance.now();
          await database.pool.query(statement.query, statement.params);
          const ms = `${(performance.now() - started).toFixed(3)} ms`;
          console.log(`    #${i + 1} ${ms} round trip (planning only): ${what}…`);
          report.push(`--- statement ${i + 1}: ${ms} round trip (planning only)\n${statement.query}\nparams: ${JSON.stringify(statement.params)}\n`);
          continue;
        }
        const { rows } = await database.pool.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${statement.query}`, statement.params);
        const plan = rows.map((r) => r['QUERY PLAN']);
        const execution = plan.find((l) => l.startsWith('Execution Time'))?.replace('Execution Time: ', '') ?? '?';
        const planning = plan.find((l) => l.startsWith('Planning Time'))?.replace('Planning Time: ', '') ?? '?';
        console.log(`    #${i + 1} execution ${execution}, planning ${planning}: ${what}…`);
        report.push(`--- statement ${i + 1}: execution ${execution}, planning ${planning}\n${statement.query}\nparams: ${JSON.stringify(statement.params)}\n\n${plan.join('\n')}\n`);
      }
    }
    writeFileSync(file, report.join('\n'));
  } finally {
    await database.close();
  }
}
