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
  britishSpelling,
  closestWord,
  exclusionsTsqueryText,
  hasText,
  MAX_TERMS,
  parseQuery,
  positiveWords,
  replaceWords,
  STOP_WORDS,
  toTsqueryText,
  trigramSimilarity,
  type ParsedQuery,
} from '../../src/modules/search/query.js';
import { markedToHtml, MAX_PAGE_SIZE, MAX_QUERY_LENGTH, prepareSearchQuery, RESULT_WINDOW, valueBandOf } from '../../src/modules/search/search.port.js';
import { defaultSynonyms, loadSynonyms, NO_SYNONYMS, normaliseWord, parseSynonyms, synonymKey, SynonymsFileError } from '../../src/modules/search/synonyms.js';
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
  t.equal(ts('IT', synonyms), '((information <-> technology) | ict)', 'IT (a stop word on its own) stands for its synonyms');
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

t.test('relevance: a stop word with synonyms ("IT") ranks rather than restricts', async (t) => {
  const synonyms = parseSynonyms('IT, information technology, ICT\nICT support, technical support, helpdesk');
  const itSupport = '((((information <-> technology) | ict) & support) | support)';
  t.equal(ts('IT support', synonyms), itSupport, 'IT support: information technology or ICT support, or else any support');
  t.equal(ts('it support', synonyms), itSupport, 'the same in lower case (it is a stop word either way)');
  t.equal(ts('IT', synonyms), '((information <-> technology) | ict)', 'IT alone stands for its synonyms');
  t.equal(ts('IT OR software', synonyms), '((information <-> technology) | ict | software)', 'and so does IT in an OR');
  t.equal(ts('IT -support', synonyms), '((information <-> technology) | ict) & !support', 'with an exclusion');
  t.equal(ts('IT support -schools', synonyms), `${itSupport} & !schools`, 'the exclusion applies to both');
  t.equal(ts('IT support OR helpdesk', synonyms), '((((information <-> technology) | ict) & (support | helpdesk)) | (support | helpdesk))', 'OR binds tighter');
  t.equal(toTsqueryText(parseQuery('IT support', synonyms), { weight: 'A' }), '((((information:A <-> technology:A) | ict:A) & support:A) | support:A)', 'in the title');
  t.equal(toTsqueryText(parseQuery('IT support', synonyms), { relaxPhrases: true }), '((((information & technology) | ict) & support) | support)', 'relaxed');
  t.equal(ts('ICT support', synonyms), '(((ict | (information <-> technology)) & support) | (technical <-> support) | helpdesk)', 'ICT is a word: it still restricts ("it" is left out)');
  t.equal(ts('"IT" support', synonyms), 'it & support', 'a quoted IT is taken literally');
  t.equal(ts('IT support'), 'it & support', 'without synonyms nothing changes (PostgreSQL drops "it")');
  const phrase = parseSynonyms('IT, information technology, ICT\nIT support, ICT support, helpdesk');
  t.equal(
    ts('IT support', phrase),
    '(((((information <-> technology) | ict) & support) | (ict <-> support) | helpdesk) | (support | helpdesk))',
    'a stop word inside a synonym phrase: its own group is required, or else the rest of the phrase',
  );
  t.same(parseQuery('IT support', phrase).required[0]![0]!.typedSynonyms, [[['information', 'technology'], ['ict']], []], 'an IT typed in lower case or capitals');
  t.ok(parseQuery('IT', synonyms).required[0]![0]!.typed[0]!.stopWords, 'the term is marked as stop words only');
});

t.test('relevance: abbreviations, hyphens, apostrophes, plurals and spellings', async (t) => {
  const shipped = defaultSynonyms();
  for (const [typed, expected] of [
    ['SEN', 'special educational needs'],
    ['SEND', 'special educational needs'],
    ['HR', 'human resources'],
    ['PPE', 'personal protective equipment'],
    ['CCTV', 'closed circuit television'],
    ['elearning', 'e-learning'],
    ['e learning', 'elearning'],
    ['preschool', 'pre-school'],
    ['center', 'centre'],
    ['program', 'programme'],
    ['defense', 'defence'],
  ]) {
    t.ok(shipped.lookup(typed!.split(/[\s-]+/))?.some((p) => p.join(' ').toLowerCase() === expected!.replace('-', ' ')), `${typed} ~ ${expected}`);
  }
  t.equal(ts('HR system', shipped), '(hr | (human <-> resources)) & system');
  t.equal(ts('SEN transport', shipped), '(sen | send | (special <-> educational <-> needs)) & transport');
  t.equal(ts('e-learning', shipped), '((e <-> learning) | elearning | (online <-> learning))', 'a hyphenated word finds its synonyms');
  t.equal(ts('pre-school places', shipped), '((pre <-> school) | preschool) & places');
  t.equal(ts('leisure center', shipped), 'leisure & (center | centre)');
  t.equal(ts('drug and alcohol', shipped), '((drug & and & alcohol) | (substance <-> misuse))', 'a stop word inside a phrase (PostgreSQL keeps its place)');

  // -ize and -ise.
  t.equal(britishSpelling('organization'), 'organisation');
  t.equal(britishSpelling('modernize'), 'modernise');
  t.equal(britishSpelling('specialized'), 'specialised');
  t.equal(britishSpelling('size'), undefined, 'not a short word');
  t.equal(britishSpelling('organisation'), undefined);
  t.equal(ts('organization development'), '(organization | organisation) & development');
  t.equal(ts('"organization"'), 'organization', 'a quoted word is taken literally');
  t.equal(ts('digitization-programme'), '((digitization | digitisation) <-> programme)', 'inside a hyphenated word');

  // Plurals and apostrophes in synonym matching.
  t.equal(normaliseWord('buses'), 'bus');
  t.equal(normaliseWord('minibuses'), 'minibus');
  t.equal(normaliseWord('glasses'), 'glass');
  t.equal(normaliseWord('boxes'), 'box');
  t.equal(normaliseWord('churches'), 'church');
  t.equal(normaliseWord('databases'), 'database');
  t.equal(normaliseWord('houses'), 'house');
  t.equal(ts('minibuses hire', shipped), '((minibuses & hire) | (minibus <-> rental))', 'a plural in -es finds its group');
  t.equal(synonymKey(['children', 's', 'services']), synonymKey(['childrens', 'services']), "an apostrophe's s is ignored");
  const possessive = parseSynonyms("children's services, children's social care");
  t.equal(ts("childrens services", possessive), "((childrens & services) | (children <-> s <-> social <-> care))", 'typed without the apostrophe');
  t.equal(ts("children's services", possessive), "(((children <-> s) & services) | (children <-> s <-> social <-> care))", 'typed with it');
  t.equal(ts('children services', possessive), "((children & services) | (children <-> s <-> social <-> care))", 'or without the s');
});

t.test('relevance through PostgreSQL: to_tsquery and the backend on seeded documents', async (t) => {
  const database = await createTestDatabase(t);
  const { rows: kept } = await database.db.execute<{ w: string }>(
    sql`select w from unnest(${sql.param([...STOP_WORDS])}::text[]) as w where to_tsvector('portal_english', w) <> ''::tsvector`,
  );
  t.same(kept, [], `the ${STOP_WORDS.size} stop words are PostgreSQL's`);
  const { rows: extra } = await database.db.execute<{ w: string }>(
    sql`select w from unnest(${sql.param(['ict', 'hr', 'sen', 'send', 'ppe', 'cctv', 'e', 'pre', 'information', 'technology', 'support'])}::text[]) as w where to_tsvector('portal_english', w) = ''::tsvector`,
  );
  t.same(extra, [], 'and the abbreviations are not stop words');
  const { rows: phraseRows } = await database.db.execute<{ q: string }>(sql`select to_tsquery('portal_english', ${ts('digitization-programme')})::text as q`);
  t.equal(phraseRows[0]?.q, "( 'digit' | 'digitis' ) <-> 'programm'", 'a spelling variant inside a phrase is valid tsquery');

  const buyer = await createBuyer(database);
  const docs: Record<string, number> = {};
  for (const [key, title, summary] of [
    ['itLiteral', 'IT support for schools', 'Desk-side help for teachers.'],
    ['ict', 'ICT support contract', 'Network and laptop support.'],
    ['infotech', 'Information technology support', 'Servers and help desk.'],
    ['tenancy', 'Tenancy support service', 'Help for tenants to keep their homes.'],
    ['grounds', 'Grounds maintenance', 'Grass cutting in the parks.'],
    ['elearning', 'E-learning platform', 'Online courses for staff.'],
    ['preschool', 'Pre-school places', 'Funded places for three year olds.'],
    ['childrens', "Children's centre refurbishment", 'New kitchen and toilets.'],
    ['organisation', 'Organisation development consultancy', 'Culture change.'],
    ['leisure', 'Leisure centre management', 'Pools and gyms.'],
    ['hr', 'Human resources system', 'Payroll and absence.'],
    ['sen', 'Special educational needs transport', 'Taxis for pupils.'],
  ] as const) {
    const row = await createOpportunity(database, buyer.id, { title, summary, description: '' });
    await publish(database, row.id);
    docs[key] = row.id;
  }
  const backend = createPostgresSearch({ database, synonyms: defaultSynonyms() });
  const search = async (text: string) => {
    const result = await backend.search({ text, filters: {}, sort: 'relevance', page: 1, pageSize: 20 });
    checkResultShape(t, result, text);
    return result.items.map((i) => i.opportunityId);
  };
  const keys = (ids: number[]) => ids.map((id) => Object.keys(docs).find((k) => docs[k] === id));

  const itSupport = await search('IT support');
  t.same(new Set(keys(itSupport)), new Set(['ict', 'infotech', 'itLiteral', 'tenancy']), 'IT support: IT, ICT and information technology support, and any other support');
  t.same(new Set(keys(itSupport.slice(0, 2))), new Set(['ict', 'infotech']), 'those about information technology first');
  t.same(new Set(keys(await search('it support'))), new Set(['ict', 'infotech', 'itLiteral', 'tenancy']), 'in lower case too');
  t.same(new Set(keys(await search('IT'))), new Set(['ict', 'infotech']), 'IT alone: its synonyms');
  t.same(keys(await search('IT support -tenants')).sort(), ['ict', 'infotech', 'itLiteral'], 'with an exclusion');
  t.same(new Set(keys(await search('ICT support'))), new Set(['ict', 'infotech']), 'ICT still restricts');

  for (const [text, expected] of [
    ['e-learning', 'elearning'],
    ['elearning', 'elearning'],
    ['online learning', 'elearning'],
    ['pre-school', 'preschool'],
    ['preschool', 'preschool'],
    ["children's centre", 'childrens'],
    ['childrens centre', 'childrens'],
    ['children’s centre', 'childrens'],
    ['organization development', 'organisation'],
    ['leisure center', 'leisure'],
    ['HR system', 'hr'],
    ['SEN transport', 'sen'],
    ['SEND transport', 'sen'],
  ] as const) {
    t.ok(keys(await search(text)).includes(expected), `${text} finds ${expected}`);
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
