// The search contract (test/search/contract.ts) against the PostgreSQL backend, and what only
// this backend has: counts beyond the exact-count threshold (made small here), the title-first
// candidates with and without the title-vector index, and its readiness report.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { createPostgresSearch, TITLE_VECTOR_SQL } from '../../src/modules/search/postgres.backend.js';
import { FACET_NAMES, chosenFacetValues, type SearchFilters } from '../../src/modules/search/search.port.js';
import { checkResultShape, searchContract } from './contract.js';

const { database, corpus } = await searchContract(t, async (database) => createPostgresSearch({ database }));

t.test('beyond the exact-count threshold: estimates, clearly flagged, and title matches still first', async (t) => {
  // The migrations create the title index; the backend must also work on a database without it.
  await database.db.execute(sql.raw('drop index search_documents_title_tsv_idx'));
  for (const titleIndex of [false, true]) {
    if (titleIndex) await database.db.execute(sql.raw(`create index search_documents_title_tsv_idx on search_documents using gin (${TITLE_VECTOR_SQL})`));
    const label = titleIndex ? 'with the title index' : 'without the title index';
    const backend = createPostgresSearch({ database, limits: { countThreshold: 10, titleCandidates: 3, titleScanWithoutIndex: 60 } });
    const broad = await backend.search({ text: 'services', filters: {}, sort: 'relevance', page: 1, pageSize: 5 });
    checkResultShape(t, broad, `services, ${label}`);
    t.equal(broad.totalIsEstimate, true, `${label}: the total is an estimate`);
    t.ok(broad.total > 10, `${label}: and more than the threshold (${broad.total})`);
    t.equal(broad.items[0]?.opportunityId, corpus.id('servicesTitle'), `${label}: the title match comes first though it is not among the first matches read`);
    t.ok(broad.facets.category.length > 0 && broad.facets.category.every((v) => v.countIsEstimate), `${label}: facet counts are flagged as estimates`);
    const filtered = await backend.search({ text: 'services', filters: { sme: true, categories: ['goods'] }, sort: 'newest', page: 1, pageSize: 5 });
    checkResultShape(t, filtered, `services with filters, ${label}`);
    t.ok(filtered.facets.sme.every((v) => v.countIsEstimate));
    const narrow = await backend.search({ text: 'bollards', filters: {}, sort: 'relevance', page: 1, pageSize: 5 });
    t.equal(narrow.totalIsEstimate, false, `${label}: a small total is exact`);
    t.equal(narrow.total, 2);
    const sorted = await backend.search({ text: 'services', filters: {}, sort: 'value', page: 1, pageSize: 5 });
    const values = sorted.items.map((i) => i.valueMaxPence ?? -1);
    t.same(values, [...values].sort((a, b) => b - a), `${label}: many matches are still sorted over all of them`);
  }
});

t.test('beyond the threshold with filters: one sample for every facet, and a small total still exact', async (t) => {
  const exact = createPostgresSearch({ database });
  const small = createPostgresSearch({ database, limits: { countThreshold: 10 } });
  const cases: SearchFilters[] = [{ buyerIds: [corpus.buyers.council] }, { sme: true, categories: ['services'] }, { stages: ['open'], vcse: true }, { buyerIds: [corpus.buyers.homes] }];
  let smallTotals = 0;
  let estimatedFacets = 0;
  for (const filters of cases) {
    const query = { text: 'services', filters, sort: 'relevance' as const, page: 1, pageSize: 5 };
    const want = await exact.search(query);
    const got = await small.search(query);
    const label = JSON.stringify(filters);
    checkResultShape(t, got, label);
    if (want.total <= 10) {
      smallTotals++;
      t.equal(got.total, want.total, `${label}: the total is exact (${want.total})`);
      t.equal(got.totalIsEstimate, false, `${label}: and not flagged`);
    } else {
      t.equal(got.totalIsEstimate, true, `${label}: a total over the threshold is flagged`);
    }
    // Facet counts are all exact or all flagged (the sample read every row some facet counts, or
    // not); counts not flagged are the exact ones.
    const flagged = FACET_NAMES.flatMap((f) => got.facets[f].map((v) => v.countIsEstimate));
    t.ok(flagged.every((e) => e === flagged[0]), `${label}: one kind of facet count`);
    if (flagged[0] === false) t.same(got.facets, want.facets, `${label}: unflagged facet counts are exact`);
    else estimatedFacets++;
    for (const value of chosenFacetValues(filters, 'buyer')) t.ok(got.facets.buyer.some((v) => v.value === value), `${label}: the chosen buyer is listed`);
  }
  t.ok(smallTotals > 0, 'some filtered totals are under the threshold');
  t.ok(estimatedFacets > 0, 'some facet counts come from a capped sample');
});

t.test('ready() reports the backend', async (t) => {
  const backend = createPostgresSearch({ database });
  const ready = await backend.ready();
  t.equal(ready.ok, true);
  t.match(ready.detail, /PostgreSQL/);
  t.equal(backend.name, 'postgres');
});
