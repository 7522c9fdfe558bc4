/**
 * The benchmark loader with a small N: the same shape as the demo (releases holding the snapshot
 * the release writer would build, search documents with the shared weighted vector, lots,
 * awards), and all-or-nothing when it fails.
 */
import { isDeepStrictEqual } from 'node:util';
import { asc } from 'drizzle-orm';
import t from 'tap';
import { buyerOrganisations } from '../../src/modules/buyers/buyers.table.js';
import { loadBulkData } from '../../src/modules/demo/bulk-data.js';
import { SEARCH_VECTOR_SQL, type PublicOpportunity } from '../../src/modules/opportunities/opportunities.snapshot.js';
import { awards, awardSuppliers, lots, opportunities, releases } from '../../src/modules/opportunities/opportunities.table.js';
import { buildCurrentSnapshot } from '../../src/modules/opportunities/releases.js';
import { searchDocuments } from '../../src/modules/search/search.table.js';
import { createTestDatabase, testConfig } from '../helper.js';

const NOW = new Date('2026-02-03T14:00:00Z');
const N = 300;

t.test(`${N} benchmark opportunities have the demo's shape`, async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t);
  const progress: number[] = [];
  const messages: string[] = [];
  // Small chunks, so that both writers store several.
  const result = await loadBulkData(database, config, { opportunities: N, now: NOW, seed: 5, chunkSize: 40, log: (m) => messages.push(m), onProgress: (done) => progress.push(done) });
  t.equal(result.opportunities, N);
  t.equal(progress.at(-1), N, 'progress reaches the total');
  t.same(progress, [...progress].sort((a, b) => a - b), 'progress only goes up');
  t.match(messages.join('\n'), /benchmark data: 300 opportunities, \d+ releases, \d+ lots, \d+ awards, \d+ buyers in [\d.]+ s/);

  const rows = await database.db.select().from(opportunities).orderBy(asc(opportunities.id));
  t.equal(rows.length, N);
  t.ok(rows.every((o) => o.status === 'published' || o.status === 'cancelled'), 'every one is published or cancelled');
  t.ok(rows.filter((o) => o.status === 'published').length > N * 0.9, 'mostly published');
  t.same(new Set(rows.map((o) => o.stage)), new Set(['pipeline', 'planned', 'open', 'closed', 'awarded']), 'across the stages');
  t.ok(rows.some((o) => o.source === 'contracts_finder') && rows.some((o) => o.source === 'portal'), 'real and generated text');
  t.equal(new Set(rows.filter((o) => o.sourceId).map((o) => `${o.source}/${o.sourceId}`)).size, rows.filter((o) => o.sourceId).length, 'source ids stay unique');
  const buyers = await database.db.select().from(buyerOrganisations);
  t.equal(buyers.length, result.buyers);
  t.ok(buyers.length >= 4);

  const releaseRows = await database.db.select().from(releases).orderBy(asc(releases.opportunityId), asc(releases.sequence));
  t.equal(releaseRows.length, result.releases);
  const latest = releaseRows.filter((r) => r.isLatest);
  t.equal(latest.length, N, 'exactly one latest release each');
  t.equal(new Set(latest.map((r) => r.opportunityId)).size, N);
  t.ok(releaseRows.some((r) => !r.isLatest && r.sequence === 1), 'some were amended or cancelled after publication');
  t.ok(releaseRows.every((r) => r.releaseId === `${r.ocid}-${r.sequence}`));

  // The stored snapshot is exactly what the release writer would build from the stored rows.
  let mismatches = 0;
  for (const release of latest) {
    const rebuilt = await buildCurrentSnapshot(database.db, config.ocidPrefix, release.opportunityId, NOW);
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(rebuilt)), release.snapshot)) mismatches++;
  }
  t.equal(mismatches, 0, 'every latest snapshot is a real PublicOpportunity of the stored rows');
  const sample = latest[0]!.snapshot as PublicOpportunity;
  t.ok(sample.title && sample.buyer.name && Array.isArray(sample.cpv) && sample.cpv.every((c) => c.description), 'with CPV descriptions and the buyer');

  const docs = await database.db.select().from(searchDocuments);
  t.equal(docs.length, N, 'a search document each');
  t.ok(docs.every((d) => d.document.length > 0), 'with a non-empty vector');
  const { rows: wrong } = await database.pool.query(`select opportunity_id from search_documents where document <> (${SEARCH_VECTOR_SQL})`);
  t.same(wrong, [], 'the vector is the shared weighted expression');
  const latestIds = new Map(latest.map((r) => [r.opportunityId, r.id]));
  t.ok(docs.every((d) => d.releaseId === latestIds.get(d.opportunityId)), 'built from the latest release');
  const { rows: services } = await database.pool.query<{ n: number }>(`select count(*)::int as n from search_documents where document @@ websearch_to_tsquery('portal_english', 'services')`);
  t.ok(services[0]!.n > N / 2, `a broad word such as "services" matches most (${services[0]!.n} of ${N})`);

  const lotRows = await database.db.select().from(lots);
  t.equal(lotRows.length, result.lots);
  t.ok(new Set(lotRows.map((l) => l.opportunityId)).size > 10, 'lots on some');
  const awardRows = await database.db.select().from(awards);
  t.equal(awardRows.length, result.awards);
  const awarded = rows.filter((o) => o.stage === 'awarded');
  t.ok(awarded.every((o) => awardRows.some((a) => a.opportunityId === o.id)), 'every awarded one has its awards');
  t.ok((await database.db.select().from(awardSuppliers)).length >= awardRows.length, 'with their suppliers');

  // Identity sequences were used, so the app's own inserts carry on after the benchmark rows.
  const [next] = await database.db.insert(opportunities).values({ buyerId: buyers[0]!.id, title: 'After the benchmark', mainCategory: 'services' }).returning({ id: opportunities.id });
  t.ok(next!.id > Math.max(...rows.map((o) => o.id)));
});

t.test('a failure part-way leaves nothing behind', async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t);
  const failing = loadBulkData(database, config, {
    opportunities: 120,
    now: NOW,
    chunkSize: 30,
    log: () => {},
    onProgress: (done) => {
      if (done >= 60) throw new Error('stopped on purpose');
    },
  });
  await t.rejects(failing, { message: 'stopped on purpose' });
  const counts = await database.pool.query<{ buyers: number; opportunities: number; releases: number; suppliers: number }>(
    'select (select count(*) from buyer_organisations)::int as buyers, (select count(*) from opportunities)::int as opportunities, (select count(*) from releases)::int as releases, (select count(*) from suppliers)::int as suppliers',
  );
  t.same(counts.rows[0], { buyers: 0, opportunities: 0, releases: 0, suppliers: 0 });
});
