// Fuzz: a few thousand generated query strings — quotes, dashes, OR, unicode, SQL- and
// HTML-looking text, over-long text, broken percent-encoding, random filter parameters and values,
// absurd pages — thrown at both the page and the API. Never a 5xx; every 4xx says what is wrong;
// nothing from the query comes back as markup. The generator is seeded (FUZZ_SEED to replay one).
import t from 'tap';
import * as cheerio from 'cheerio';
import { buildTestApp } from '../helper.js';
import { seedUiCorpus } from './ui-seed.js';

const CASES = Number(process.env.FUZZ_CASES ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? 20260105);
const CONCURRENCY = 5;

const { app, database } = await buildTestApp(t);
const corpus = await seedUiCorpus(database);

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
const chance = (p: number) => random() < p;

const WORDS = ['plumbing', 'plumbng', 'catering', 'school meals', 'grounds', 'maintenance', 'IT', 'services', 'stationery', 'widgets', 'the', 'and', 'a', 'café', 'naïve', 'Ångström', 'e\u0301te\u0301'];
const ODD = [
  '"', '“', '”', "'", '-', '--', '- ', 'OR', 'OR OR', 'AND', 'NOT', '(', ')', '*', ':', '&', '|', '!', '<->', '\\', '%', '_', '^', '~', '@', '#', ';', ',', '.', '...',
  "'; DROP TABLE search_documents; --", "' OR '1'='1", '1=1', 'UNION SELECT password FROM users', '$$', 'E\'\\x00\'', '\\u0000', ':*', 'a:*', 'a & !b', '!!', '(a | b) <-> c',
  '<script>alert(1)</script>', '<b>', '</mark>', '<mark>', '&amp;', '&lt;', '"><img src=x onerror=alert(1)>', 'javascript:alert(1)', '{{7*7}}', '<%= 7*7 %>', '${7*7}',
  '日本語', '中文', '🚀', '👩‍👩‍👧', 'مرحبا', 'שלום', '\u200b', '\u202e', '\ufeff', '\u2028', '\t', '\n', '\r\n', '\u0000', '\u0007', '\uE000', '\uE001', 'ß', 'İ', 'ﬁ',
];
/** Raw fragments for the querystring itself: broken escapes and encodings. */
const RAW = ['%', '%2', '%zz', '%ED%A0%80', '%FF', '%C0%AF', '%00', '%E2%80%AE', '+', '++', '%2B', '&', '&&', '=', '==', ';', '#', '%23', '?'];

function text(): string {
  const parts: string[] = [];
  const n = 1 + int(8);
  for (let i = 0; i < n; i++) {
    const word = chance(0.6) ? pick(WORDS) : pick(ODD);
    parts.push(chance(0.15) ? `-${word}` : chance(0.15) ? `"${word}` : word);
  }
  let q = parts.join(chance(0.8) ? ' ' : '');
  if (chance(0.05)) q = q.repeat(1 + int(60)); // over-long (sometimes past the 2,048-character address)
  return q;
}

/** Per parameter: values the page offers, then values it does not (picked one time in eight). */
const VALUES: Record<string, { valid: readonly string[]; invalid: readonly string[] }> = {
  stage: { valid: ['pipeline', 'planned', 'open', 'closed', 'awarded', 'cancelled', ''], invalid: ['Open', 'secret', 'open,planned'] },
  category: { valid: ['goods', 'services', 'works', ''], invalid: ['food', 'GOODS'] },
  cpv: { valid: ['45', '77', '30', '15', '55', ''], invalid: ['00', '4', '450', 'ab', '-1', '99'] },
  value: { valid: ['under-25k', '25k-100k', '100k-500k', '500k-2m', 'over-2m', 'unknown', ''], invalid: ['huge'] },
  sme: { valid: ['yes', ''], invalid: ['no', 'true', '1'] },
  vcse: { valid: ['yes', ''], invalid: ['no'] },
  local: { valid: ['yes', ''], invalid: ['false'] },
  buyer: { valid: [corpus.buyers.council.slug, corpus.buyers.homes.slug, ''], invalid: ['nobody', 'Not A Slug', '../etc', "x' or 1=1"] },
  closing: { valid: ['7', '30', ''], invalid: ['14', '-7', '7.0'] },
  sort: { valid: ['relevance', 'closing', 'newest', 'value', ''], invalid: ['random', 'title desc'] },
  page: { valid: ['1', '2', '3', '50', '51', '999', '10000'], invalid: ['10001', '0', '-1', '', 'abc', '1.5', '1e3', '99999999999999999999', 'NaN', 'Infinity', ' 1', '0x10', '２'] },
  utm_source: { valid: ['newsletter'], invalid: [] },
  ['__proto__']: { valid: ['x'], invalid: [] },
  constructor: { valid: ['x'], invalid: [] },
  'stage[]': { valid: ['open'], invalid: [] },
};
const valueFor = (name: string) => {
  const { valid, invalid } = VALUES[name]!;
  return invalid.length && chance(1 / 8) ? pick(invalid) : pick(valid);
};
const NAMES = Object.keys(VALUES);

function queryString(): string {
  const pairs: string[] = [];
  if (chance(0.8)) pairs.push(`q=${chance(0.1) ? pick(RAW) : encodeURIComponent(text()).replace(/%20/g, chance(0.5) ? '+' : '%20')}`);
  const n = int(5);
  for (let i = 0; i < n; i++) {
    const name = pick(NAMES);
    const repeat = chance(0.02) ? 40 + int(30) : 1 + (chance(0.2) ? int(3) : 0);
    for (let r = 0; r < repeat; r++) pairs.push(`${encodeURIComponent(name)}=${chance(0.05) ? pick(RAW) : encodeURIComponent(valueFor(name))}`);
  }
  if (chance(0.05)) pairs.push(pick(RAW));
  // Shuffle, as people and programs write parameters in any order.
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = int(i + 1);
    [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
  }
  return pairs.join('&');
}

interface Outcome {
  url: string;
  status: number;
  problem?: string;
}

async function check(url: string, json: boolean): Promise<Outcome> {
  const response = await app.inject({ method: 'GET', url });
  const status = response.statusCode;
  const outcome: Outcome = { url, status };
  if (status >= 500) outcome.problem = `status ${status}`;
  else if (json) {
    if (!String(response.headers['content-type']).startsWith('application/json')) outcome.problem = 'not JSON';
    else {
      const body = response.json() as { error?: { message?: string }; results?: { titleHtml?: string; snippetHtml: string }[] };
      if (status >= 400 && !(body.error?.message && body.error.message.length > 10)) outcome.problem = 'a 4xx without a message';
      if (status === 200) {
        for (const r of body.results ?? []) {
          const html = `${r.titleHtml ?? ''}${r.snippetHtml}`.replace(/<\/?mark>/g, '');
          if (/[<>]/.test(html)) outcome.problem = `markup other than <mark> in ${JSON.stringify(r)}`;
        }
      }
    }
  } else {
    const $ = cheerio.load(response.body);
    if (status >= 400) {
      const message = $('main p.govuk-body').first().text().trim();
      if (message.length < 10) outcome.problem = 'a 4xx page without a message';
    }
    if ($('main script, main img, main b, main i, main [onerror]').length) outcome.problem = 'markup from the query or documents in the page';
    if ($('script:not([src])').length) outcome.problem = 'an inline script';
  }
  return outcome;
}

t.test(`${CASES} generated querystrings against the page and the API (seed ${SEED})`, async (t) => {
  const started = Date.now();
  const urls: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const qs = queryString();
    urls.push(`/opportunities?${qs}`, `/api/opportunities?${qs}`);
  }
  const outcomes: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < urls.length) {
        const url = urls[next++]!;
        outcomes.push(await check(url, url.startsWith('/api/')));
      }
    }),
  );
  const problems = outcomes.filter((o) => o.problem);
  t.same(problems.slice(0, 10), [], 'no 5xx, every 4xx explained, no markup let through');
  const byStatus: Record<number, number> = {};
  for (const o of outcomes) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
  t.ok(byStatus[200]! > outcomes.length / 5, 'plenty of the generated searches are valid');
  t.ok(byStatus[400]! > 0, 'and some are refused');
  t.same(Object.keys(byStatus).filter((s) => !['200', '400', '404', '414'].includes(s)), [], 'only 200, 400, 404 (a page past the last) and 414 (too long)');
  t.comment(`${outcomes.length} requests in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(byStatus)}`);
});
