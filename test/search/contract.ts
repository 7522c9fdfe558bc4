/**
 * The search contract: one suite of search cases that every backend (PostgreSQL, Meilisearch)
 * must pass. The corpus is published through the real release writer (test/support/factories.ts),
 * so the search documents are exactly what publishing writes; expectations for filters, facets
 * and sorts come from a small model of the corpus rather than from the backend.
 *
 * Usage: `await searchContract(t, (database) => makeMyBackend(database))` inside a test file.
 * makeBackend is called once, after the corpus is published (a Meilisearch backend indexes then).
 */
import type { Test } from 'tap';
import type { Database } from '../../src/db/client.js';
import type { MainCategory, NoticeStage, Reservation } from '../../src/modules/opportunities/opportunities.table.js';
import {
  FACET_NAMES,
  MAX_QUERY_LENGTH,
  NOTICE_TEXT_CUT,
  RESULT_WINDOW,
  SEARCH_SORTS,
  valueBandOf,
  type FacetName,
  type SearchBackend,
  type SearchFilters,
  type SearchQuery,
  type SearchResult,
  type SearchSort,
} from '../../src/modules/search/search.port.js';
import { createTestDatabase } from '../helper.js';
import { createBuyer, createOpportunity, publish } from '../support/factories.js';

const DAY = 86_400_000;

/** One opportunity of the corpus, as the model sees it. */
export interface CorpusDoc {
  key: string;
  title: string;
  summary: string;
  description: string;
  stage: NoticeStage;
  cancelled: boolean;
  category: MainCategory;
  cpv: string[];
  valuePence: number | null;
  sme: boolean;
  vcse: boolean;
  reservation: Reservation;
  buyer: 'council' | 'trust' | 'homes';
  /** Days from now (negative: past), or null for none. */
  deadlineDays: number | null;
  /** Minutes before the seeding time it was first published (distinct, so "newest" is strict). */
  publishedMinutesAgo: number;
}

export interface Corpus {
  docs: (CorpusDoc & { id: number; deadline: Date | null; publishedAt: Date; buyerId: number })[];
  buyers: Record<CorpusDoc['buyer'], number>;
  id(key: string): number;
}

const base = { summary: '', description: '', cancelled: false, sme: false, vcse: false, reservation: 'none' as Reservation };

/** The corpus: each document is here for one or more cases below (named in the comments). */
export const CORPUS: CorpusDoc[] = [
  // Phrases, exclusions, synonyms (grounds maintenance ~ landscaping), closing within 7 days.
  { ...base, key: 'grounds', title: 'Grounds maintenance for parks and open spaces', summary: 'Grass cutting and hedge trimming across the borough parks.', description: 'Seasonal **work** in parks and cemeteries.', stage: 'open', category: 'services', cpv: ['77310000'], valuePence: 8_000_000, sme: true, buyer: 'council', deadlineDays: 5, publishedMinutesAgo: 10 },
  { ...base, key: 'trees', title: 'Tree surgery and grounds maintenance', summary: 'Felling and pruning of council trees.', description: 'Arboricultural work on highway verges.', stage: 'open', category: 'services', cpv: ['77211400'], valuePence: 30_000_000, buyer: 'trust', deadlineDays: 20, publishedMinutesAgo: 11 },
  { ...base, key: 'cemetery', title: 'Cemetery upkeep', summary: 'Maintenance of the grounds at three cemeteries.', description: 'Mowing and path repairs.', stage: 'planned', category: 'services', cpv: ['77313000'], valuePence: 4_000_000, vcse: true, buyer: 'council', deadlineDays: 45, publishedMinutesAgo: 12 },
  { ...base, key: 'landscaping', title: 'Landscaping of the civic centre', summary: 'New planting beds and paving.', description: 'A design and build contract.', stage: 'planned', category: 'works', cpv: ['45112710'], valuePence: 150_000_000, vcse: true, buyer: 'council', deadlineDays: null, publishedMinutesAgo: 13 },
  // Synonyms (IT ~ information technology ~ ICT), local reservation, unknown value.
  { ...base, key: 'ict', title: 'Information technology support for schools', summary: 'Help desk and network support for twelve schools.', description: 'Includes laptops and servers.', stage: 'open', category: 'services', cpv: ['72000000'], valuePence: null, sme: true, vcse: true, reservation: 'local', buyer: 'trust', deadlineDays: 25, publishedMinutesAgo: 14 },
  // Synonyms (school meals ~ catering), closing within 7 days, under £25k, typo "catring".
  { ...base, key: 'catering', title: 'Catering for primary schools', summary: 'Hot lunches every school day.', description: 'Menus follow the school food standards.', stage: 'open', category: 'services', cpv: ['55520000'], valuePence: 2_000_000, sme: true, reservation: 'local', buyer: 'council', deadlineDays: 2, publishedMinutesAgo: 15 },
  // OR, typos ("plumbng"), over £2m, awarded.
  { ...base, key: 'plumbing', title: 'Plumbing repairs in council homes', summary: 'Reactive plumbing and heating repairs.', description: 'Responsive repairs within 24 hours.', stage: 'awarded', category: 'works', cpv: ['45330000'], valuePence: 500_000_000, buyer: 'trust', deadlineDays: -30, publishedMinutesAgo: 16 },
  { ...base, key: 'roofing', title: 'Roofing works at the depot', summary: 'Replacement of the depot roof.', description: 'Asbestos survey included.', stage: 'closed', category: 'works', cpv: ['45261000'], valuePence: 6_000_000, sme: true, buyer: 'council', deadlineDays: -3, publishedMinutesAgo: 17 },
  // Cancelled: hidden unless the stage filter asks for it.
  { ...base, key: 'cancelled', title: 'Plumbing for the central library', summary: 'Cancelled before award.', description: 'Replaced by a wider contract.', stage: 'open', cancelled: true, category: 'works', cpv: ['45330000'], valuePence: 9_000_000, buyer: 'council', deadlineDays: 10, publishedMinutesAgo: 18 },
  // Highlighting: HTML in documents is escaped.
  { ...base, key: 'html', title: 'Widgets <b>bold</b> & "quoted" <script>alert(1)</script>', summary: 'Supply of widgets for <i>offices</i> & depots.', description: 'Plain <img src=x onerror=alert(1)> text.', stage: 'pipeline', category: 'goods', cpv: ['30192000'], valuePence: 1_000_000, buyer: 'trust', deadlineDays: null, publishedMinutesAgo: 19 },
  // Relevance: the word in the description only (published first) and in the title.
  { ...base, key: 'bollardsDescription', title: 'Street furniture for the high street', summary: 'Benches and bins.', description: 'Includes bollards, planters and cycle stands.', stage: 'open', category: 'goods', cpv: ['34928400'], valuePence: 3_000_000, buyer: 'homes', deadlineDays: 60, publishedMinutesAgo: 20 },
  { ...base, key: 'bollardsTitle', title: 'Bollards for the market square', summary: 'Removable security posts.', description: 'Twelve posts with locks.', stage: 'open', category: 'goods', cpv: ['34928400'], valuePence: 3_500_000, buyer: 'homes', deadlineDays: 61, publishedMinutesAgo: 21 },
];

/** Fifty documents with the broad word "services" in the description only, and one with it in its title (published last). */
const FILLERS = 50;
for (let n = 1; n <= FILLERS; n++) {
  CORPUS.push({
    ...base,
    key: `filler${n}`,
    title: `Stationery order ${n}`,
    summary: `Paper, pens and toner, batch ${n}.`,
    description: 'Delivery services for office stationery to council buildings.',
    stage: 'awarded',
    category: 'goods',
    cpv: ['30192000'],
    valuePence: 100_000 * n,
    sme: n % 2 === 0,
    buyer: 'homes',
    deadlineDays: -100 - n,
    publishedMinutesAgo: 100 + n,
  });
}
CORPUS.push({ ...base, key: 'servicesTitle', title: 'Library services review', summary: 'A review of opening hours.', description: 'Consultation with residents.', stage: 'open', category: 'services', cpv: ['79411000'], valuePence: 5_000_000, buyer: 'homes', deadlineDays: 40, publishedMinutesAgo: 5 });

/** Publishes the corpus through the real release writer. */
export async function seedCorpus(database: Database, docs: CorpusDoc[] = CORPUS): Promise<Corpus> {
  const now = Date.now();
  const buyers = {
    council: (await createBuyer(database, { name: 'Sandwell Test Council' })).id,
    trust: (await createBuyer(database, { name: 'Oldbury Learning Trust' })).id,
    homes: (await createBuyer(database, { name: 'Tipton Homes' })).id,
  };
  const seeded: Corpus['docs'] = [];
  for (const doc of docs) {
    const deadline = doc.deadlineDays === null ? null : new Date(now + doc.deadlineDays * DAY);
    const publishedAt = new Date(now - doc.publishedMinutesAgo * 60_000);
    const row = await createOpportunity(database, buyers[doc.buyer], {
      title: doc.title,
      summary: doc.summary,
      description: doc.description,
      stage: doc.stage,
      mainCategory: doc.category,
      cpvCodes: doc.cpv,
      valueMinPence: null,
      valueMaxPence: doc.valuePence,
      suitableForSme: doc.sme,
      suitableForVcse: doc.vcse,
      reservation: doc.reservation,
      tenderDeadline: deadline,
    });
    await publish(database, row.id, { at: publishedAt, cancelled: doc.cancelled });
    seeded.push({ ...doc, id: row.id, deadline, publishedAt, buyerId: buyers[doc.buyer] });
  }
  return {
    docs: seeded,
    buyers,
    id(key) {
      const found = seeded.find((d) => d.key === key);
      if (!found) throw new Error(`no corpus document ${key}`);
      return found.id;
    },
  };
}

type Doc = Corpus['docs'][number];

/** The model of the filters (what the port documents), for one facet's filter. */
function passes(doc: Doc, facet: FacetName, f: SearchFilters, now: number): boolean {
  switch (facet) {
    case 'stage':
      return !f.stages?.length || (doc.cancelled ? f.stages.includes('cancelled') : f.stages.includes(doc.stage));
    case 'category':
      return !f.categories?.length || f.categories.includes(doc.category);
    case 'cpvDivision':
      return !f.cpvDivisions?.length || doc.cpv.some((c) => f.cpvDivisions!.includes(c.slice(0, 2)));
    case 'valueBand':
      return !f.valueBands?.length || f.valueBands.includes(valueBandOf(doc.valuePence));
    case 'sme':
      return !f.sme || doc.sme;
    case 'vcse':
      return !f.vcse || doc.vcse;
    case 'localReserved':
      return !f.localReserved || doc.reservation === 'local';
    case 'buyer':
      return !f.buyerIds?.length || f.buyerIds.includes(doc.buyerId);
    case 'closingWithin':
      return !f.closingWithinDays || (doc.deadline !== null && doc.deadline.getTime() > now && doc.deadline.getTime() <= now + f.closingWithinDays * DAY);
  }
}

const visible = (doc: Doc, f: SearchFilters) => (f.stages?.length ? true : !doc.cancelled);

function modelMatches(docs: Doc[], f: SearchFilters, now: number, except?: FacetName): Doc[] {
  return docs.filter((d) => (except === 'stage' || visible(d, f)) && FACET_NAMES.every((facet) => facet === except || passes(d, facet, f, now)));
}

function facetValuesOf(doc: Doc, facet: FacetName, now: number): string[] {
  switch (facet) {
    case 'stage':
      return [doc.cancelled ? 'cancelled' : doc.stage];
    case 'category':
      return [doc.category];
    case 'cpvDivision':
      return [...new Set(doc.cpv.map((c) => c.slice(0, 2)))];
    case 'valueBand':
      return [valueBandOf(doc.valuePence)];
    case 'sme':
      return doc.sme ? ['true'] : [];
    case 'vcse':
      return doc.vcse ? ['true'] : [];
    case 'localReserved':
      return doc.reservation === 'local' ? ['true'] : [];
    case 'buyer':
      return [String(doc.buyerId)];
    case 'closingWithin':
      return ([7, 30] as const).filter((days) => passes(doc, 'closingWithin', { closingWithinDays: days }, now)).map(String);
  }
}

/** Each facet's expected counts: the matches under all the other filters. */
function modelFacets(docs: Doc[], f: SearchFilters, now: number): Record<FacetName, Record<string, number>> {
  const out = {} as Record<FacetName, Record<string, number>>;
  for (const facet of FACET_NAMES) {
    const counts: Record<string, number> = {};
    for (const doc of modelMatches(docs, f, now, facet)) for (const v of facetValuesOf(doc, facet, now)) counts[v] = (counts[v] ?? 0) + 1;
    out[facet] = counts;
  }
  return out;
}

function query(text: string, extra: Partial<SearchQuery> = {}): SearchQuery {
  return { text, filters: {}, sort: 'relevance', page: 1, pageSize: 100, ...extra };
}

/** The shape every result must have, whatever was asked. */
export function checkResultShape(t: Test, result: SearchResult, label: string): void {
  const problems: string[] = [];
  if (!Number.isInteger(result.total) || result.total < 0) problems.push(`total ${result.total}`);
  if (typeof result.totalIsEstimate !== 'boolean') problems.push('totalIsEstimate');
  if (!Array.isArray(result.items) || result.items.length > result.pageSize) problems.push('items');
  if (!result.totalIsEstimate && result.items.length > result.total) problems.push('more items than the total');
  if (result.suggestion !== null && typeof result.suggestion !== 'string') problems.push('suggestion');
  if (!Array.isArray(result.notices) || result.notices.some((n) => typeof n !== 'string')) problems.push('notices');
  for (const facet of FACET_NAMES) {
    const values = result.facets?.[facet];
    if (!Array.isArray(values)) problems.push(`facet ${facet}`);
    else if (values.some((v) => typeof v.value !== 'string' || !Number.isInteger(v.count) || v.count < 0 || typeof v.countIsEstimate !== 'boolean')) problems.push(`facet ${facet} values`);
  }
  for (const item of result.items ?? []) {
    if (!Number.isInteger(item.opportunityId)) problems.push('opportunityId');
    if (!(item.firstPublishedAt instanceof Date) || Number.isNaN(item.firstPublishedAt.getTime())) problems.push('firstPublishedAt');
    if (item.tenderDeadline !== null && !(item.tenderDeadline instanceof Date)) problems.push('tenderDeadline');
    for (const html of [item.titleHtml, item.snippetHtml]) {
      // Escaped text with <mark> elements only: no other tag can get through.
      if (typeof html !== 'string' || /<(?!\/?mark>)/.test(html) || /(?<!<\/?mark)>/.test(html)) problems.push(`unsafe html ${JSON.stringify(html)}`);
    }
  }
  if (problems.length) t.fail(`${label}: ${problems.join(', ')}`);
  else t.pass(`${label}: result shape is valid`);
}

export async function searchContract(
  t: Test,
  makeBackend: (database: Database) => Promise<SearchBackend>,
  seed: (database: Database) => Promise<Corpus> = seedCorpus,
): Promise<{ database: Database; corpus: Corpus; backend: SearchBackend }> {
  const database = await createTestDatabase(t);
  const corpus = await seed(database);
  const backend = await makeBackend(database);
  const id = corpus.id;
  const docs = corpus.docs;
  const search = async (q: SearchQuery) => {
    const result = await backend.search(q);
    return result;
  };
  const idsOf = (r: SearchResult) => r.items.map((i) => i.opportunityId);
  const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);
  const keys = (...k: string[]) => sorted(k.map(id));

  t.test('words, quoted phrases and exclusions', async (t) => {
    t.same(sorted(idsOf(await search(query('"grounds maintenance"')))), keys('grounds', 'trees'), 'a quoted phrase finds the words next to each other');
    t.same(sorted(idsOf(await search(query('"maintenance of the grounds"')))), keys('cemetery'), 'a phrase with stop words in it');
    t.same(sorted(idsOf(await search(query('"grounds maintenance" -tree')))), keys('grounds'), 'an exclusion removes the matches that contain it');
    t.same(sorted(idsOf(await search(query('grounds -"tree surgery"')))), keys('grounds', 'cemetery'), 'an excluded phrase');
    const unquoted = sorted(idsOf(await search(query('grounds maintenance -tree'))));
    t.ok(unquoted.includes(id('grounds')) && unquoted.includes(id('cemetery')), 'unquoted words need not be next to each other');
    t.notOk(unquoted.includes(id('trees')), '…and the exclusion still applies');
    t.same(sorted(idsOf(await search(query('plumbing repairs')))), keys('plumbing'), 'every word must match; a cancelled one is not shown');
    t.same(sorted(idsOf(await search(query('Plumbing REPAIRS')))), keys('plumbing'), 'case does not matter');
    t.same(sorted(idsOf(await search(query('plumbed')))), keys('plumbing'), 'English stemming');
  });

  t.test('OR', async (t) => {
    t.same(sorted(idsOf(await search(query('plumbing OR roofing')))), keys('plumbing', 'roofing'), 'either word');
    t.same(idsOf(await search(query('plumbing roofing'))).length, 0, 'without OR both words must match');
    t.same(sorted(idsOf(await search(query('"tree surgery" OR "civic centre"')))), keys('trees', 'landscaping'), 'OR between phrases');
    t.same(sorted(idsOf(await search(query('plumbing or roofing')))).length, 0, 'only OR in capitals is the operator');
  });

  t.test('synonyms', async (t) => {
    t.same(sorted(idsOf(await search(query('landscaping')))), keys('grounds', 'trees', 'landscaping'), 'landscaping finds grounds maintenance');
    t.ok(idsOf(await search(query('grounds maintenance'))).includes(id('landscaping')), 'and the other way round');
    t.same(sorted(idsOf(await search(query('"landscaping"')))), keys('landscaping'), 'a quoted phrase is not expanded');
    t.same(sorted(idsOf(await search(query('IT')))), keys('ict'), 'IT finds information technology (though "it" is a stop word)');
    t.same(sorted(idsOf(await search(query('ICT support')))), keys('ict'), 'ICT support');
    t.same(sorted(idsOf(await search(query('school meals')))), keys('catering'), 'school meals finds catering');
    t.same(sorted(idsOf(await search(query('School Meals')))), keys('catering'), 'whatever the case');
  });

  t.test('typos: fallback and "Did you mean"', async (t) => {
    const plumbng = await search(query('plumbng'));
    t.equal(plumbng.suggestion, 'plumbing', 'suggests the word that is in the titles');
    t.ok(idsOf(plumbng).includes(id('plumbing')), 'and finds the opportunity anyway');
    t.notOk(idsOf(plumbng).includes(id('cancelled')), 'not a cancelled one');
    const catring = await search(query('catring'));
    t.equal(catring.suggestion, 'catering');
    t.ok(idsOf(catring).includes(id('catering')));
    const phrase = await search(query('Bollards for the markket'));
    t.equal(phrase.suggestion, 'Bollards for the market', 'corrects one word of several and keeps the rest as typed');
    t.ok(idsOf(phrase).includes(id('bollardsTitle')));
    const fine = await search(query('plumbing'));
    t.equal(fine.suggestion, null, 'no suggestion when the words are found');
    const nonsense = await search(query('qzxwvy'));
    t.equal(nonsense.suggestion, null, 'no suggestion when nothing is close');
    t.equal(nonsense.total, 0);
  });

  t.test('filters, each on its own and together', async (t) => {
    const now = Date.now();
    const cases: [string, SearchFilters][] = [
      ['stage open', { stages: ['open'] }],
      ['stage planned or awarded', { stages: ['planned', 'awarded'] }],
      ['cancelled only when asked', { stages: ['cancelled'] }],
      ['open or cancelled', { stages: ['open', 'cancelled'] }],
      ['category works', { categories: ['works'] }],
      ['categories goods and works', { categories: ['goods', 'works'] }],
      ['CPV division 45', { cpvDivisions: ['45'] }],
      ['CPV divisions 77 and 72', { cpvDivisions: ['77', '72'] }],
      ['value under £25k', { valueBands: ['under-25k'] }],
      ['value £25k–£100k', { valueBands: ['25k-100k'] }],
      ['value £100k–£500k', { valueBands: ['100k-500k'] }],
      ['value £500k–£2m', { valueBands: ['500k-2m'] }],
      ['value over £2m', { valueBands: ['over-2m'] }],
      ['value unknown', { valueBands: ['unknown'] }],
      ['SME', { sme: true }],
      ['VCSE', { vcse: true }],
      ['reserved for local suppliers', { localReserved: true }],
      ['one buyer', { buyerIds: [corpus.buyers.trust] }],
      ['two buyers', { buyerIds: [corpus.buyers.trust, corpus.buyers.council] }],
      ['closing within 7 days', { closingWithinDays: 7 }],
      ['closing within 30 days', { closingWithinDays: 30 }],
      ['open, services, SME', { stages: ['open'], categories: ['services'], sme: true }],
      ['council, works, value bands', { buyerIds: [corpus.buyers.council], categories: ['works'], valueBands: ['25k-100k', 'over-2m', '500k-2m'] }],
    ];
    for (const [label, filters] of cases) {
      const result = await search({ ...query(''), filters });
      const expected = modelMatches(docs, filters, now).map((d) => d.id);
      t.same(sorted(idsOf(result)), sorted(expected), `${label}: the right opportunities`);
      t.equal(result.total, expected.length, `${label}: the total`);
    }
    const withText = await search({ ...query('plumbing'), filters: { stages: ['cancelled'] } });
    t.same(idsOf(withText), [id('cancelled')], 'filters apply to text matches too');
  });

  t.test('facet counts reflect the other active filters', async (t) => {
    const now = Date.now();
    const cases: [string, string, SearchFilters][] = [
      ['no filters', '', {}],
      ['works and SME', '', { categories: ['works'], sme: true }],
      ['open, council', '', { stages: ['open'], buyerIds: [corpus.buyers.council] }],
      ['cancelled, division 45, closing within 30 days', '', { stages: ['cancelled', 'open'], cpvDivisions: ['45'], closingWithinDays: 30 }],
      ['value bands and VCSE', '', { valueBands: ['25k-100k', 'unknown'], vcse: true, localReserved: true }],
      ['text and filters', 'plumbing OR roofing OR grounds', { categories: ['works', 'services'], stages: ['open', 'closed', 'cancelled'] }],
      ['text, no filters', 'plumbing OR roofing OR grounds', {}],
    ];
    // The documents with one of those words in their text (no synonyms or CPV text involved).
    const textMatches = docs.filter((d) => /\b(plumbing|roofing|grounds)\b/i.test(`${d.title} ${d.summary} ${d.description}`));
    t.equal(textMatches.length, 6, 'the model of the text query');
    for (const [label, text, filters] of cases) {
      const result = await search({ ...query(text), filters });
      const expected = modelFacets(text ? textMatches : docs, filters, now);
      t.equal(result.total, modelMatches(text ? textMatches : docs, filters, now).length, `${label}: total`);
      for (const facet of FACET_NAMES) {
        const got = Object.fromEntries(result.facets[facet].filter((v) => v.count > 0).map((v) => [v.value, v.count]));
        t.same(got, expected[facet], `${label}: ${facet}`);
        t.ok(result.facets[facet].every((v) => !v.countIsEstimate), `${label}: ${facet} counts are exact`);
      }
    }
    const chosen = await search({ ...query('landscaping'), filters: { buyerIds: [corpus.buyers.homes], valueBands: ['over-2m'] } });
    t.equal(chosen.total, 0);
    t.ok(chosen.facets.buyer.some((v) => v.value === String(corpus.buyers.homes)), 'a chosen value is listed even with no matches');
    t.ok(chosen.facets.valueBand.some((v) => v.value === 'over-2m' && v.count === 0));
    const labelled = await search(query(''));
    t.equal(labelled.facets.buyer.find((v) => v.value === String(corpus.buyers.council))?.label, 'Sandwell Test Council', 'buyers are labelled with their names');
    t.match(labelled.facets.cpvDivision.find((v) => v.value === '45')?.label ?? '', /construction/i, 'CPV divisions with their description');
  });

  t.test('every sort', async (t) => {
    const now = Date.now();
    const filters: SearchFilters = { buyerIds: [corpus.buyers.council, corpus.buyers.trust] };
    const subset = modelMatches(docs, filters, now);
    const expected: Record<Exclude<SearchSort, 'relevance'>, Doc[]> = {
      newest: [...subset].sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime()),
      value: [...subset].sort((a, b) => (b.valuePence ?? -1) - (a.valuePence ?? -1)),
      closing: [...subset].sort((a, b) => {
        const open = (d: Doc) => (d.stage === 'open' && !d.cancelled ? 0 : 1);
        const deadline = (d: Doc) => d.deadline?.getTime() ?? Number.POSITIVE_INFINITY;
        return open(a) - open(b) || deadline(a) - deadline(b);
      }),
    };
    const textKeys = new Set(['grounds', 'trees', 'cemetery', 'plumbing', 'roofing', 'catering']);
    for (const sort of ['newest', 'value', 'closing'] as const) {
      const result = await search({ ...query(''), filters, sort });
      t.same(idsOf(result), expected[sort].map((d) => d.id), `sort by ${sort}`);
      const withText = await search({ ...query('grounds OR plumbing OR roofing OR catering'), sort });
      t.same(idsOf(withText), expected[sort].filter((d) => textKeys.has(d.key)).map((d) => d.id), `sort by ${sort} with text`);
    }
    t.ok(SEARCH_SORTS.includes('relevance'));
  });

  t.test('relevance: words in the title rank first', async (t) => {
    const bollards = await search(query('bollards'));
    t.same(idsOf(bollards), [id('bollardsTitle'), id('bollardsDescription')], 'title match above a description-only match');
    const broad = await search(query('services'));
    t.ok(broad.total >= FILLERS + 1, `the broad word matches at least ${FILLERS + 1} opportunities`);
    t.equal(idsOf(broad)[0], id('servicesTitle'), 'the one with the broad word in its title comes first');
    const twoWords = await search(query('library review'));
    t.equal(idsOf(twoWords)[0], id('servicesTitle'));
  });

  t.test('pagination', async (t) => {
    const filters: SearchFilters = { buyerIds: [corpus.buyers.homes] };
    const all = await search({ ...query(''), filters, sort: 'newest' });
    const expectedTotal = modelMatches(docs, filters, Date.now()).length;
    t.equal(all.total, expectedTotal);
    const pages: number[] = [];
    for (let page = 1; page <= Math.ceil(expectedTotal / 7); page++) {
      const result = await search({ ...query(''), filters, sort: 'newest', page, pageSize: 7 });
      t.equal(result.total, expectedTotal, `page ${page}: the same total`);
      t.equal(result.page, page);
      pages.push(...idsOf(result));
    }
    t.same(pages, idsOf(all), 'the pages together are the whole list, in order, without repeats');
    const beyond = await search({ ...query(''), filters, sort: 'newest', page: Math.ceil(expectedTotal / 7) + 1, pageSize: 7 });
    t.same(beyond.items, [], 'a page after the last is empty');
    const relevancePages = [];
    for (let page = 1; page <= 3; page++) relevancePages.push(...idsOf(await search({ ...query('services'), page, pageSize: 5 })));
    t.equal(new Set(relevancePages).size, 15, 'relevance pages do not repeat');
    const absurd = await search({ ...query(''), page: 1e12, pageSize: 20 });
    t.equal(absurd.page, RESULT_WINDOW / 20, 'an absurd page moves back to the last reachable one');
    t.ok(absurd.notices.length > 0, '…and says so');
    const weird = await search({ ...query(''), page: -3, pageSize: 0 });
    t.equal(weird.page, 1);
    t.ok(weird.pageSize >= 1);
  });

  t.test('highlighting', async (t) => {
    const result = await search(query('widgets'));
    t.same(idsOf(result), [id('html')]);
    const item = result.items[0]!;
    t.match(item.titleHtml, /<mark>Widgets<\/mark>/, 'the matched word is marked in the title');
    t.match(item.titleHtml, /&lt;script&gt;/, 'HTML in the title is escaped, not dropped');
    t.notMatch(item.titleHtml, /<script|<b>/);
    t.match(item.snippetHtml, /<mark>widgets<\/mark>/i, 'and in the snippet');
    t.notMatch(item.snippetHtml, /<i>|<img/);
    checkResultShape(t, result, 'widgets');
    const plumbing = await search(query('plumbing'));
    t.match(plumbing.items[0]!.snippetHtml, /<mark>plumbing<\/mark>/i, 'snippets come from the summary and description');
    const stemmed = await search(query('repair'));
    t.match(stemmed.items.find((i) => i.opportunityId === id('plumbing'))?.titleHtml ?? '', /<mark>repairs<\/mark>/i, 'a stemmed match is marked');
    const browse = await search(query(''));
    t.ok(browse.items.every((i) => !i.titleHtml.includes('<mark>')), 'nothing is marked without words');
    t.ok(browse.items.find((i) => i.opportunityId === id('html'))?.titleHtml.includes('&lt;b&gt;'), 'titles are escaped without words too');
    t.ok(browse.items.every((i) => i.snippetHtml.length > 0));
    const markdown = await search(query('seasonal'));
    t.notMatch(markdown.items[0]?.snippetHtml ?? '', /\*\*/, 'Markdown markup is not shown');
  });

  t.test('bad input never throws', async (t) => {
    const inputs = [
      '"unbalanced quote',
      'unbalanced" quote"s"',
      '-',
      '- -- ---',
      'OR',
      'OR OR',
      'plumbing OR OR roofing',
      'OR plumbing OR',
      '-plumbing',
      '-"',
      '"',
      '""',
      "'; drop table search_documents; --",
      "' OR 1=1 --",
      '<script>alert(1)</script>',
      '&amp; &lt; <b>',
      '!!!',
      '(plumbing & roofing) | !x <-> y:*',
      'a:A b:* c\\d',
      '\u0000\u0001\u001f',
      'café naïve façade',
      '日本語 テスト',
      '🙂🙃',
      '\uD800 lone surrogate',
      'the and of',
      '   ',
      'x'.repeat(500),
      'plumbing '.repeat(60),
      'NOT NOT plumbing',
      'AND',
    ];
    for (const text of inputs) {
      const result = await search(query(text));
      checkResultShape(t, result, JSON.stringify(text.slice(0, 40)));
    }
    const long = await search(query('a'.repeat(MAX_QUERY_LENGTH + 300)));
    t.ok(long.notices.includes(NOTICE_TEXT_CUT), 'a long query is cut, with a notice');
    const injection = await search(query("'; drop table search_documents; --"));
    t.ok(injection.total >= 0);
    const stillThere = await search(query('plumbing'));
    t.equal(stillThere.total, 1, 'the table is still there');
    const stopWords = await search(query('the and of'));
    t.ok(stopWords.notices.length > 0, 'only stop words: a notice');
    t.equal(stopWords.total, modelMatches(docs, {}, Date.now()).length, '…and everything is shown');
    const negativeOnly = await search(query('-stationery'));
    t.notOk(idsOf(negativeOnly).some((i) => docs.find((d) => d.id === i)?.key.startsWith('filler')), 'only an exclusion: everything but it');
    const unknownFilters = await search({ ...query(''), filters: { stages: ['nonsense' as never], categories: ['x' as never], cpvDivisions: ['4', 'abc'], buyerIds: [-1, 1.5], closingWithinDays: 3 as never } });
    checkResultShape(t, unknownFilters, 'unknown filter values');
    t.equal(unknownFilters.total, modelMatches(docs, {}, Date.now()).length, 'unknown filter values are ignored');
    const badSort = await search({ ...query('plumbing'), sort: 'sideways' as never });
    t.same(idsOf(badSort), [id('plumbing')]);
  });
  return { database, corpus, backend };
}
