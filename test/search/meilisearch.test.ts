// The Meilisearch backend. With MEILISEARCH_URL set, the search contract (test/search/contract.ts)
// runs against that server, on an index of its own filled from the seeded search documents.
// Without it the contract is skipped (loudly), and what can be checked without a server is:
// the translation of queries and filters into Meilisearch's language, the documents and settings
// the index gets. Nothing here imitates a Meilisearch server: what needs one runs against a
// real one, or not at all.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { createMeilisearchIndexer, readMeilisearchDocuments } from '../../src/modules/search/indexing.js';
import {
  createMeilisearchSearch,
  describeMeilisearchError,
  extendMarksToWordEnd,
  markWords,
  meilisearchSettings,
  meilisearchSort,
  meilisearchSynonyms,
  searchFilters,
  toMeilisearchDocument,
  translateQuery,
  type MeilisearchDocument,
} from '../../src/modules/search/meilisearch.backend.js';
import { parseQuery } from '../../src/modules/search/query.js';
import { HIGHLIGHT_END as E, HIGHLIGHT_START as S } from '../../src/modules/search/search.port.js';
import { postgresFacetLabels } from '../../src/modules/search/search.service.js';
import { defaultSynonyms, parseSynonyms } from '../../src/modules/search/synonyms.js';
import { searchContract } from './contract.js';

const synonyms = defaultSynonyms();
const tr = (text: string) => translateQuery(parseQuery(text, synonyms));

const SKIPPED = 'Meilisearch contract suite skipped: MEILISEARCH_URL is not set (no Meilisearch server can run on this machine)';

const url = process.env.MEILISEARCH_URL;
if (url) {
  t.test('the search contract on Meilisearch', async (t) => {
    const apiKey = process.env.MEILISEARCH_API_KEY || undefined;
    const index = `portal_test_${randomBytes(4).toString('hex')}`;
    const indexer = createMeilisearchIndexer({ url, apiKey, index, synonyms });
    t.teardown(async () => {
      await indexer.client.deleteIndex(index).waitTask({ timeout: 60_000 }).catch(() => {});
    });
    await searchContract(t, async (database) => {
      await indexer.ensureIndex();
      const documents = await readMeilisearchDocuments(database.db, { afterId: 0, limit: 100_000 });
      await indexer.waitFor(indexer.client.index(index).addDocuments(documents, { primaryKey: 'id' }), 'to index the corpus');
      return createMeilisearchSearch({ url, apiKey, index, synonyms, facetLabels: postgresFacetLabels(database) });
    });
  });
} else {
  t.comment(`##### ${SKIPPED} #####`);
  t.test(SKIPPED, { skip: SKIPPED }, async () => {});
}

t.test('query translation', async (t) => {
  t.equal(tr('IT support').q, 'support', '"IT" (only stop words) does not restrict the matches when other words do');
  t.same(tr('IT support').orGroups, [], 'nor becomes a required either-or');
  t.equal(tr('plumbing repairs').q, 'plumbing repairs', 'words: all must match');
  t.equal(tr('Plumbing REPAIRS').q, 'plumbing repairs', 'lower case');
  t.equal(tr('"grounds maintenance" -tree').q, '"grounds maintenance" -tree', 'a phrase and an exclusion (the negative operator)');
  t.equal(tr('grounds -"tree surgery"').q, 'grounds -"tree surgery"', 'an excluded phrase');
  t.equal(tr('"maintenance of the grounds"').q, '"maintenance of the grounds"', 'stop words stay inside phrases');
  t.equal(tr('plumbing or roofing').q, 'plumbing roofing', 'lower-case "or" is a stop word, dropped as PostgreSQL does');
  t.equal(tr('Bollards for the markket').q, 'bollards markket', 'stop words are dropped from unquoted text');
  t.same(tr('Bollards for the markket').typedWords, ['bollards', 'markket'], 'the typed words "Did you mean" checks');
  t.equal(tr('e-learning').q, '"e learning"', 'a hyphenated word is a phrase');
  t.equal(tr('grounds maintenance').q, 'grounds maintenance', 'synonym phrases are left to Meilisearch (its synonyms setting)');
  t.equal(tr('"landscaping"').q, '"landscaping"', 'a quoted word is a phrase: no synonyms, no typos');

  const or = tr('plumbing OR roofing');
  t.equal(or.q, '', 'OR groups are not in q…');
  t.same(or.orGroups, [['plumbing', 'roofing']], '…but resolved separately');
  t.equal(or.positive, false);
  t.same(tr('"tree surgery" OR "civic centre" works').orGroups, [['"tree surgery"', '"civic centre"']]);
  t.equal(tr('"tree surgery" OR "civic centre" works').q, 'works', 'the rest stays in q');

  const it = tr('IT');
  t.equal(it.q, '', 'IT (a stop word) is not searched as a word…');
  t.same(it.orGroups, [['"information technology"', 'ict']], '…but as the other phrases of its synonym group');
  t.same(tr('IT services').orGroups, [], 'with other words, IT does not restrict (documents do not index "it")');
  t.equal(tr('IT services').q, 'services');

  const stop = tr('the and of');
  t.equal(stop.q, '');
  t.equal(stop.onlyStopWords, true, 'only stop words: a notice, and everything is shown');
  const negative = tr('-stationery');
  t.equal(negative.q, '-stationery');
  t.equal(negative.positive, false, 'only an exclusion: a placeholder search without it');
  t.equal(tr('-the plumbing').q, 'plumbing', 'excluding a stop word excludes nothing');
  for (const text of ['', '-', 'OR', '"', '!!!', "'; drop table x; --", '<script>', 'x'.repeat(500), '日本語 テスト']) {
    const out = tr(text);
    t.type(out.q, 'string', `${JSON.stringify(text.slice(0, 20))} translates`);
    t.notMatch(out.q, /[<>;']/, 'nothing but words, quotes and dashes reaches q');
  }
});

t.test('filters and sorts', async (t) => {
  const now = new Date('2026-03-01T12:00:00Z');
  const at = now.getTime() / 1000;
  t.same(searchFilters({}, now), ['cancelled = false'], 'cancelled ones are hidden by default');
  t.same(searchFilters({ stages: ['open', 'cancelled'] }, now), ['stageFacet IN ["open", "cancelled"]'], 'unless the stage filter asks for them');
  t.same(searchFilters({ stages: ['open'], sme: true }, now, { skip: 'stage', withVisibility: false }), ['suitableForSme = true'], 'the stage facet: neither the stage filter nor the default');
  t.same(searchFilters({ stages: ['open'], sme: true }, now, { skip: 'sme' }), ['stageFacet IN ["open"]'], 'another facet keeps the stage filter');
  t.same(
    searchFilters({ categories: ['works'], cpvDivisions: ['45'], valueBands: ['unknown', 'over-2m'], vcse: true, localReserved: true, buyerIds: [3, 4] }, now),
    ['cancelled = false', 'mainCategory IN ["works"]', 'cpvDivisions IN ["45"]', 'valueBand IN ["unknown", "over-2m"]', 'suitableForVcse = true', 'localReserved = true', 'buyerId IN [3, 4]'],
  );
  t.same(searchFilters({ closingWithinDays: 7 }, now), ['cancelled = false', `tenderDeadline > ${at} AND tenderDeadline <= ${at + 7 * 86_400}`], 'closing within 7 days, from now');
  t.same(searchFilters({}, now, { idGroups: [[1, 2]], extra: ['x = 1'] }), ['cancelled = false', 'id IN [1, 2]', 'x = 1'], 'OR groups as id lists');
  t.same(meilisearchSort('relevance', true), undefined, 'relevance with words: the ranking rules');
  t.same(meilisearchSort('relevance', false), ['firstPublishedAt:desc', 'id:desc'], 'relevance without words: newest first');
  t.same(meilisearchSort('closing', true), ['closingRank:asc', 'tenderDeadline:asc', 'id:asc']);
  t.same(meilisearchSort('value', true), ['valueMaxPence:desc', 'id:desc']);
});

t.test('settings and documents', async (t) => {
  const settings = meilisearchSettings(synonyms);
  t.same(settings.searchableAttributes, ['title', 'summary', 'lotText', 'cpvText', 'buyerName', 'description'], 'searchable attributes in weight order');
  t.ok(settings.rankingRules?.indexOf('sort') === 1 && settings.rankingRules.includes('attribute'), 'explicit sorts are strict; relevance ranks by attribute');
  t.equal(settings.typoTolerance?.enabled, true);
  t.equal(settings.pagination?.maxTotalHits, 1_000_000, 'exact totals well beyond a page');
  const syn = meilisearchSynonyms(parseSynonyms('IT, information technology, ICT\ngrounds maintenance, landscaping\nlandscaping, gardening'));
  t.notOk('it' in syn, 'a stop-word phrase is no key…');
  t.same(syn.ict, ['information technology'], '…and no synonym');
  t.same(syn['information technology'], ['ict']);
  t.same(syn.landscaping?.sort(), ['gardening', 'grounds maintenance'], 'a phrase in two groups has the phrases of both');
  t.same(syn['grounds maintenance'], ['landscaping'], 'mutual');

  const doc: MeilisearchDocument = toMeilisearchDocument({
    opportunityId: 7,
    buyerId: 3,
    title: `Roof ${S}repairs${E}`,
    summary: 'Summary',
    description: 'The **roof** and [gutters](https://example.org).\n\n- tiles',
    cpvText: 'Roof works',
    lotText: 'Lot one',
    buyerName: 'Council',
    stage: 'open',
    cancelled: true,
    mainCategory: 'works',
    cpvDivisions: ['45'],
    valueMaxPence: 2_500_000,
    suitableForSme: true,
    suitableForVcse: false,
    reservation: 'local',
    tenderDeadline: null,
    firstPublishedAt: new Date('2026-01-02T03:04:05.678Z'),
  });
  t.equal(doc.id, 7, 'the opportunity id is the primary key');
  t.equal(doc.title, 'Roof repairs', 'highlight markers are removed from indexed text');
  t.equal(doc.description, 'The roof and gutters. tiles', 'the description as plain text');
  t.equal(doc.stageFacet, 'cancelled');
  t.equal(doc.closingRank, 1, 'a cancelled one is not open');
  t.equal(doc.valueBand, '25k-100k', 'exactly £25,000 is in 25k-100k');
  t.equal(doc.localReserved, true);
  t.notOk('tenderDeadline' in doc, 'no deadline: the field is left out (sorted last)');
  t.equal(doc.firstPublishedAt, Date.parse('2026-01-02T03:04:05.678Z') / 1000, 'epoch seconds');
});

t.test('highlighting and errors', async (t) => {
  t.equal(extendMarksToWordEnd(`${S}repair${E}s done`), `${S}repairs${E} done`, 'a prefix match is marked to the end of its word');
  t.equal(markWords(`${S}roof${E} roofing and plumbing`, ['roofing', 'plumbing']), `${S}roof${E} ${S}roofing${E} and ${S}plumbing${E}`, 'OR words are marked outside existing marks');
  t.equal(markWords('Café works', ['cafe']), `${S}Café${E} works`, 'ignoring accents');
  const error = new Error('request to http://x failed, key sk-secret-123 in the message');
  t.notMatch(describeMeilisearchError(error, 'sk-secret-123'), /sk-secret-123/, 'the API key is never in a reason');
});
