// The search box's language (query.ts), the synonyms file (synonyms.ts) and the port's clean-up
// of a query, then a fuzz loop: thousands of generated strings through the parser, PostgreSQL's
// to_tsquery and the PostgreSQL backend, none of which may throw.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { createPostgresSearch } from '../../src/modules/search/postgres.backend.js';
import {
  closestWord,
  exclusionsTsqueryText,
  hasText,
  MAX_TERMS,
  parseQuery,
  positiveWords,
  replaceWords,
  toTsqueryText,
  trigramSimilarity,
  type ParsedQuery,
} from '../../src/modules/search/query.js';
import { markedToHtml, MAX_PAGE_SIZE, MAX_QUERY_LENGTH, prepareSearchQuery, RESULT_WINDOW, valueBandOf } from '../../src/modules/search/search.port.js';
import { defaultSynonyms, loadSynonyms, NO_SYNONYMS, normaliseWord, parseSynonyms, SynonymsFileError } from '../../src/modules/search/synonyms.js';
import { createTestDatabase } from '../helper.js';
import { createBuyer, createOpportunity, publish } from '../support/factories.js';
import { checkResultShape } from './contract.js';

const ts = (text: string, synonyms = NO_SYNONYMS) => toTsqueryText(parseQuery(text, synonyms));
const words = (parsed: ParsedQuery) => parsed.required.map((group) => group.map((clause) => clause.typed.map((term) => (term.quoted ? `"${term.words.join(' ')}"` : term.words.join('-')))));

t.test('words, phrases, exclusions and OR', async (t) => {
  t.equal(ts('grounds maintenance'), 'grounds & maintenance', 'words are ANDed');
  t.equal(ts('"grounds maintenance"'), '(grounds <-> maintenance)', 'a quoted phrase');
  t.equal(ts('“grounds maintenance”'), '(grounds <-> maintenance)', 'curly quotes too');
  t.equal(ts('grounds -tree'), 'grounds & !tree', 'an exclusion');
  t.equal(ts('grounds -"tree surgery"'), 'grounds & !(tree <-> surgery)', 'an excluded phrase');
  t.equal(ts('grounds NOT tree'), 'grounds & !tree', 'NOT in capitals excludes');
  t.equal(ts('plumbing OR roofing'), '(plumbing | roofing)', 'OR');
  t.equal(ts('youth OR young people'), '(youth | young) & people', 'OR binds tighter than AND');
  t.equal(ts('a OR b OR c d'), '(a | b | c) & d', 'a chain of ORs');
  t.equal(ts('plumbing | roofing'), '(plumbing | roofing)', 'a pipe is OR too');
  t.equal(ts('plumbing or roofing'), 'plumbing & or & roofing', 'lower-case or is a word (a stop word, which PostgreSQL drops)');
  t.equal(ts('plumbing AND roofing'), 'plumbing & roofing', 'AND is what happens anyway');
  t.equal(ts('e-learning'), '(e <-> learning)', 'a hyphenated word is the phrase of its parts');
  t.equal(ts("children's centre"), '(children <-> s) & centre', 'so is a word with an apostrophe');
  t.equal(ts('Café NAÏVE'), 'café & naïve', 'lower case; accents are left for PostgreSQL to fold');
  t.equal(ts('tree-surgery -co-op'), '(tree <-> surgery) & !(co <-> op)');
  t.same(words(parseQuery('"a b" c OR d')), [[['"a b"']], [['c'], ['d']]]);
});

t.test('forgiving: unbalanced quotes and stray operators', async (t) => {
  t.equal(ts('"grounds maintenance'), '(grounds <-> maintenance)', 'a missing closing quote ends the phrase at the end');
  t.equal(ts('grounds "'), 'grounds', 'a lone quote');
  t.equal(ts('""'), '', 'empty quotes');
  t.equal(ts('-'), '', 'a lone dash');
  t.equal(ts('grounds - tree'), 'grounds & tree', 'a dash before a space is not an exclusion');
  t.equal(ts('OR'), '');
  t.equal(ts('OR OR'), '');
  t.equal(ts('OR plumbing OR'), 'plumbing', 'leading and trailing OR');
  t.equal(ts('plumbing OR OR roofing'), '(plumbing | roofing)', 'doubled OR');
  t.equal(ts('plumbing OR -roofing'), 'plumbing & !roofing', 'OR next to an exclusion means nothing');
  t.equal(ts("'; drop table x; --"), 'drop & table & x', 'SQL-looking text is just words');
  t.equal(ts('<script>alert(1)</script>'), '(script <-> alert <-> 1 <-> script)', 'HTML-looking text is just words');
  t.equal(ts('(a & b) !c <-> d:* \\e'), 'a & b & c & d & e', 'tsquery operators are dropped');
  t.equal(ts('!!! ??? ...'), '', 'punctuation only');
  t.equal(ts('\u0000\u0007'), '', 'control characters');
  t.equal(ts('日本語 🙂'), '日本語', 'other scripts are words; emoji are not');
  t.notOk(hasText(parseQuery('  -  OR  "  ')), 'nothing to search for');
  t.ok(hasText(parseQuery('-tree')), 'an exclusion alone is something');
  const many = parseQuery(Array.from({ length: 100 }, (_, i) => `w${i}`).join(' '));
  t.equal(many.required.length, MAX_TERMS, 'the number of terms is capped');
  t.equal(parseQuery('x'.repeat(500)).required[0]![0]!.typed[0]!.words[0]!.length, 60, 'long words are cut');
});

t.test('the title-only query and the exclusions', async (t) => {
  const parsed = parseQuery('"grounds maintenance" OR landscaping -tree');
  t.equal(toTsqueryText(parsed, { weight: 'A' }), '((grounds:A <-> maintenance:A) | landscaping:A)', 'weighted, without the exclusions');
  t.equal(exclusionsTsqueryText(parsed), 'tree');
  t.same(positiveWords(parsed), ['grounds', 'maintenance', 'landscaping']);
});

t.test('synonyms', async (t) => {
  const synonyms = parseSynonyms(['# comment', 'grounds maintenance, landscaping, gardening  # trailing comment', '', 'IT, information technology, ICT', 'school meals, catering'].join('\n'));
  t.equal(synonyms.groups.length, 3);
  t.equal(synonyms.maxWords, 2);
  t.equal(ts('landscaping', synonyms), '(landscaping | (grounds <-> maintenance) | gardening)', 'a word expands to its group');
  t.equal(ts('Grounds Maintenance contract', synonyms), '((grounds & maintenance) | landscaping | gardening) & contract', 'consecutive words that are a phrase of a group');
  t.equal(ts('youth services', synonyms), 'youth & services', 'no group, no change');
  t.equal(ts('"landscaping"', synonyms), 'landscaping', 'a quoted phrase is not expanded');
  t.equal(ts('-landscaping', synonyms), '!landscaping', 'nor is an exclusion');
  t.equal(ts('IT', synonyms), '(it | (information <-> technology) | ict)', 'IT (a stop word on its own)');
  t.equal(ts('school meal', synonyms), '((school & meal) | catering)', 'plural or singular');
  t.equal(ts('catering OR cleaning', synonyms), '(catering | (school <-> meals) | cleaning)', 'with OR');
  t.equal(normaliseWord('Services'), 'service');
  t.equal(normaliseWord('activities'), 'activity');
  t.equal(normaliseWord('gas'), 'gas');
  t.equal(normaliseWord('glass'), 'glass');
  t.equal(normaliseWord('Café'), 'cafe');
  const shared = parseSynonyms('a b, c\nc, d');
  t.same(shared.lookup(['c'])?.map((p) => p.join(' ')).sort(), ['a b', 'c', 'd'], 'a phrase in two groups is equivalent to both');
  t.throws(() => parseSynonyms('lonely'), SynonymsFileError, 'a group of one is a mistake');
  t.throws(() => parseSynonyms('ok, fine\n!!!, x'), /line 2/, 'the line is named');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'synonyms-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'custom.txt'), 'bins, refuse collection\n');
  t.same(loadSynonyms(path.join(dir, 'custom.txt')).groups, [['bins', 'refuse collection']], 'loaded from a given file');
  t.throws(() => loadSynonyms(path.join(dir, 'missing.txt')), SynonymsFileError);
  const shipped = defaultSynonyms();
  t.ok(shipped.groups.length >= 30, `the shipped file has ${shipped.groups.length} groups`);
  for (const [typed, expected] of [
    ['grounds maintenance', 'landscaping'],
    ['IT', 'information technology'],
    ['school meals', 'catering'],
    ['cleaning', 'janitorial'],
    ['youth work', 'youth services'],
    ['building repairs', 'maintenance'],
    ['social care', 'care services'],
  ]) {
    t.ok(shipped.lookup(typed!.split(' '))?.some((p) => p.join(' ').toLowerCase() === expected), `${typed} ~ ${expected}`);
  }
});

t.test('did-you-mean helpers', async (t) => {
  t.ok(trigramSimilarity('catring', 'catering') > 0.5);
  t.equal(trigramSimilarity('abc', 'abc'), 1);
  t.equal(closestWord('plumbng', ['Plumbing', 'repairs', 'plumbing', 'homes']), 'plumbing');
  t.equal(closestWord('plumbing', ['Plumbing', 'plumbers']), undefined, 'not the word itself');
  t.equal(closestWord('qzx', ['plumbing']), undefined, 'nothing close');
  t.equal(replaceWords('Grounds maintainance -tree', new Map([['maintainance', 'maintenance']])), 'Grounds maintenance -tree');
});

t.test('the port tidies a query', async (t) => {
  const { query, notices } = prepareSearchQuery({ text: 'x'.repeat(300), page: 1e9, pageSize: 1000, sort: 'nope' as never, filters: { stages: ['open', 'open', 'x' as never], cpvDivisions: ['45', '4'], buyerIds: [3, 3, -1] } });
  t.equal(query.text.length, MAX_QUERY_LENGTH);
  t.equal(query.pageSize, MAX_PAGE_SIZE);
  t.equal(query.page, RESULT_WINDOW / MAX_PAGE_SIZE);
  t.equal(query.sort, 'relevance');
  t.same(query.filters, { stages: ['open'], cpvDivisions: ['45'], buyerIds: [3] });
  t.equal(notices.length, 2, 'the cut and the page are both mentioned');
  t.equal(prepareSearchQuery({ text: '🙂'.repeat(250) }).query.text, '🙂'.repeat(MAX_QUERY_LENGTH), 'cut between characters, not inside one');
  t.same(prepareSearchQuery(undefined).query, { text: '', sort: 'relevance', page: 1, pageSize: 20, filters: {} });
  t.equal(valueBandOf(null), 'unknown');
  t.equal(valueBandOf(2_499_999), 'under-25k');
  t.equal(valueBandOf(2_500_000), '25k-100k');
  t.equal(valueBandOf(200_000_000), 'over-2m');
  t.equal(markedToHtml('a \uE000<b>\uE001 \uE000x'), 'a <mark>&lt;b&gt;</mark> <mark>x</mark>', 'marks are balanced and the rest escaped');
});

/** A small deterministic PRNG (mulberry32), so a failing fuzz case can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = [
  '"', '“', '”', '„', '«', '-', '−', ' - ', 'OR', ' OR ', 'AND', 'NOT', '|', '||', '&', '!', '(', ')', ':', ':*', ':A', '*', "'", "''", '\\', '<->', '<2>',
  ';', '--', '/*', '*/', '%', '_', '$1', '?', '@', '#', '\u0000', '\u0007', '\t', '\n', ' ', ' ', ' ', '\u0301', '\u200b', '\u202e', '\uFEFF', '\uD800', '\uDC00',
  'é', 'ß', 'İ', 'ﬁ', 'Ω', '日本', 'Ελλάδα', 'мир', 'عربى', '🙂', '👩‍👩‍👧', '½', '²', '٣',
  'grounds', 'maintenance', 'IT', 'it', 'school meals', 'catering', 'plumbng', 'plumbing', 'roofing', 'the', 'a', 'of', 'services', 'e-learning',
  "children's", '<script>', '</script>', '<b>', '&amp;', '&lt;', '1.5', '£25,000', '2026', 'x', 'landscaping', 'youth work', 'co-op', 'select', 'drop table',
];

function generate(random: () => number): string {
  const n = Math.floor(random() * 24);
  let s = '';
  for (let i = 0; i < n; i++) s += FRAGMENTS[Math.floor(random() * FRAGMENTS.length)];
  if (random() < 0.03) s = s.repeat(20);
  if (random() < 0.05) s = Array.from({ length: 1 + Math.floor(random() * 40) }, () => String.fromCharCode(Math.floor(random() * 0x2fff))).join('');
  return s;
}

t.test('fuzz: generated queries through the parser, to_tsquery and the backend', async (t) => {
  const seed = Number(process.env.SEARCH_FUZZ_SEED ?? 20260501);
  const random = prng(seed);
  t.comment(`fuzz seed ${seed} (set SEARCH_FUZZ_SEED to replay another)`);
  const database = await createTestDatabase(t);
  const buyer = await createBuyer(database);
  for (const [title, summary] of [
    ['Grounds maintenance for parks', 'Grass cutting and hedges.'],
    ['Plumbing repairs in council homes', 'Reactive plumbing.'],
    ['Catering for primary schools', 'Hot lunches & <b>menus</b>.'],
    ['Information technology support', 'Help desk.'],
  ]) {
    const row = await createOpportunity(database, buyer.id, { title: title!, summary: summary! });
    await publish(database, row.id);
  }
  const backend = createPostgresSearch({ database, synonyms: defaultSynonyms() });
  const synonyms = defaultSynonyms();

  // Thousands through the parser and PostgreSQL's to_tsquery (in batches: one bad tsquery would fail its batch).
  const texts = Array.from({ length: 5000 }, () => generate(random));
  const tsqueries: string[] = [];
  for (const text of texts) {
    const parsed = parseQuery(text, synonyms);
    tsqueries.push(toTsqueryText(parsed), toTsqueryText(parsed, { weight: 'A' }), exclusionsTsqueryText(parsed));
  }
  let tsqueryFailures = 0;
  for (let i = 0; i < tsqueries.length; i += 500) {
    const batch = tsqueries.slice(i, i + 500);
    try {
      await database.db.execute(sql`select count(to_tsquery('portal_english', q)) from unnest(${sql.param(batch)}::text[]) as q`);
    } catch {
      for (const q of batch) {
        try {
          await database.db.execute(sql`select to_tsquery('portal_english', ${q})`);
        } catch (error) {
          tsqueryFailures++;
          t.fail(`to_tsquery refused ${JSON.stringify(q)}: ${(error as Error).message}`);
        }
      }
    }
  }
  t.equal(tsqueryFailures, 0, `${tsqueries.length} generated tsqueries are all valid`);

  // A few thousand through the whole backend, with random filters, sorts and pages.
  const sorts = ['relevance', 'closing', 'newest', 'value'] as const;
  let failures = 0;
  const started = Date.now();
  for (const text of texts.slice(0, 2500)) {
    try {
      const result = await backend.search({
        text,
        sort: sorts[Math.floor(random() * sorts.length)]!,
        page: random() < 0.1 ? Math.floor(random() * 1e6) : 1,
        pageSize: random() < 0.1 ? 0 : 10,
        filters: random() < 0.3 ? { stages: ['open', 'cancelled'], sme: random() < 0.5, closingWithinDays: 30, cpvDivisions: ['77'] } : {},
      });
      if (!Array.isArray(result.items) || !Number.isInteger(result.total) || result.items.some((i) => /<(?!\/?mark>)/.test(i.titleHtml + i.snippetHtml))) {
        failures++;
        checkResultShape(t, result, JSON.stringify(text));
      }
    } catch (error) {
      failures++;
      t.fail(`search threw for ${JSON.stringify(text)}: ${(error as Error).stack}`);
    }
  }
  t.equal(failures, 0, `2500 generated searches answered with a valid result (${Date.now() - started} ms)`);
});
