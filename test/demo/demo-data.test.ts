/**
 * The demo data: its shape (buyers, every status and stage, releases, awards, search documents,
 * real-notice provenance, dates around `now`) and its determinism (same seed and `now`, same rows).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { asc, eq } from 'drizzle-orm';
import t from 'tap';
import type { Database } from '../../src/db/client.js';
import { buyerOrganisations } from '../../src/modules/buyers/buyers.table.js';
import { hasAnyData, loadDemoData } from '../../src/modules/demo/demo-data.js';
import { repairText } from '../../src/modules/demo/real-notices.js';
import type { PublicOpportunity } from '../../src/modules/opportunities/opportunities.snapshot.js';
import { awards, awardSuppliers, opportunities, releases } from '../../src/modules/opportunities/opportunities.table.js';
import { buildCurrentSnapshot } from '../../src/modules/opportunities/releases.js';
import { searchDocuments } from '../../src/modules/search/search.table.js';
import { suppliers } from '../../src/modules/suppliers/suppliers.table.js';
import { referenceDataDir } from '../../src/paths.js';
import { createTestDatabase, testConfig } from '../helper.js';

const NOW = new Date('2026-06-15T08:30:00Z');

/** Map.groupBy arrived in Node.js 21; the portal runs on 20. */
function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}
const DAY = 86_400_000;
const silent = () => {};

t.test('the demo data has every kind of buyer, status, stage, release and award', async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t);
  t.equal(await hasAnyData(database), false, 'a fresh database has no data');
  const messages: string[] = [];
  const loaded = await loadDemoData(database, config, { log: (m) => messages.push(m), now: NOW, seed: 7 });
  t.equal(await hasAnyData(database), true);
  t.ok(loaded.opportunities >= 150, `${loaded.opportunities} opportunities`);
  t.match(messages.join('\n'), /demo data: \d+ buyers, \d+ suppliers, \d+ opportunities \(\d+ from real Contracts Finder notices\), \d+ releases in \d+ ms/);

  const buyers = await database.db.select().from(buyerOrganisations).orderBy(asc(buyerOrganisations.id));
  t.ok(buyers.length >= 3);
  t.equal(buyers.find((b) => b.kind === 'council')?.name, config.brand.councilName, 'the council is the configured one');
  for (const kind of ['housing', 'town_council'] as const) t.ok(buyers.some((b) => b.kind === kind), `a ${kind} buyer`);
  for (const buyer of buyers) {
    t.ok(buyer.identifierScheme && buyer.identifierId, `${buyer.name} has an identifier`);
    t.ok(config.localPostcodeDistricts.includes(buyer.postcode!.split(' ')[0]!), `${buyer.name} is in the local area (${buyer.postcode})`);
    t.match(buyer.postcode, /^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$/);
  }
  t.ok(buyers.some((b) => b.identifierScheme === 'GB-PPON' && /^P[A-Z]{3}-\d{4}-[A-Z]{4}$/.test(b.identifierId!)), 'PPON-style identifiers');

  const rows = await database.db.select().from(opportunities).orderBy(asc(opportunities.id));
  t.equal(rows.length, loaded.opportunities);
  t.same(new Set(rows.map((o) => o.status)), new Set(['draft', 'scheduled', 'published', 'cancelled']), 'every status');
  const publishedStages = new Set(rows.filter((o) => o.status === 'published').map((o) => o.stage));
  t.same(publishedStages, new Set(['pipeline', 'planned', 'open', 'closed', 'awarded']), 'every notice stage, published');

  // Releases: every published or cancelled one has them, with exactly one latest; drafts and scheduled none.
  const releaseRows = await database.db.select().from(releases).orderBy(asc(releases.opportunityId), asc(releases.sequence));
  const byOpportunity = groupBy(releaseRows, (r) => r.opportunityId);
  for (const o of rows) {
    const own = byOpportunity.get(o.id) ?? [];
    if (o.status === 'draft' || o.status === 'scheduled') {
      if (own.length) t.fail(`${o.status} opportunity ${o.id} has releases`);
      continue;
    }
    if (own.filter((r) => r.isLatest).length !== 1) t.fail(`opportunity ${o.id} has ${own.filter((r) => r.isLatest).length} latest releases`);
    const latest = own.find((r) => r.isLatest)!;
    if (latest.sequence !== own.length) t.fail(`opportunity ${o.id}: the latest release is not the last`);
    if (latest.stage !== o.stage || latest.cancelled !== (o.status === 'cancelled')) t.fail(`opportunity ${o.id}: latest release disagrees with the working copy`);
  }
  t.pass('releases checked for every opportunity');

  const cancelled = releaseRows.filter((r) => r.isLatest && r.cancelled);
  t.ok(cancelled.length > 0);
  for (const r of cancelled) {
    t.same(r.tags, ['tenderCancellation']);
    t.ok((r.snapshot as PublicOpportunity).cancellationReason, 'a cancellation gives its reason');
    t.ok(r.sequence >= 2, 'a cancelled one was published first');
  }
  const amendments = releaseRows.filter((r) => r.sequence >= 2 && (r.tags.includes('tenderAmendment') || /extended|Clarification|changed|corrected/.test(r.changeNote ?? '')));
  t.ok(amendments.length >= 5, `${amendments.length} amendments with a change note`);
  t.ok(releaseRows.some((r) => r.tags.includes('award')) && releaseRows.some((r) => r.tags.includes('planning')) && releaseRows.some((r) => r.tags.includes('tenderUpdate')));

  // The public view is what the working copy says (nothing unpublished hangs about in the demo).
  for (const latest of releaseRows.filter((r) => r.isLatest)) {
    const rebuilt = await buildCurrentSnapshot(database.db, config.ocidPrefix, latest.opportunityId, NOW);
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(rebuilt)), latest.snapshot)) t.fail(`opportunity ${latest.opportunityId}: the latest snapshot is not the working copy`);
  }
  t.pass('every latest snapshot equals a fresh snapshot of the working copy');

  // Search documents: one per released opportunity, on its latest release, with a vector.
  const docs = await database.db.select().from(searchDocuments);
  const released = rows.filter((o) => o.status === 'published' || o.status === 'cancelled');
  t.equal(docs.length, released.length, 'a search document per released opportunity');
  const latestIds = new Map(releaseRows.filter((r) => r.isLatest).map((r) => [r.opportunityId, r.id]));
  t.ok(docs.every((d) => d.releaseId === latestIds.get(d.opportunityId) && d.document.length > 0), 'on the latest release, with a vector');

  // Awards per lot, frameworks with several suppliers, demo suppliers and named-only ones.
  const awardRows = await database.db.select().from(awards);
  const awardSupplierRows = await database.db.select().from(awardSuppliers);
  const awarded = rows.filter((o) => o.status === 'published' && o.stage === 'awarded');
  t.ok(awarded.every((o) => awardRows.some((a) => a.opportunityId === o.id)), 'every awarded opportunity has an award');
  t.ok(awardRows.some((a) => a.lotId !== null), 'some awards are per lot');
  const perAward = groupBy(awardSupplierRows, (s) => s.awardId);
  t.ok([...perAward.values()].some((list) => list.length >= 2), 'some awards have several suppliers');
  t.ok(awardSupplierRows.some((s) => s.supplierId !== null), 'some awarded suppliers are registered suppliers');
  t.ok(awardSupplierRows.some((s) => s.supplierId === null), 'others are known by name only');
  t.ok(awardSupplierRows.some((s) => s.local) && awardSupplierRows.some((s) => s.vcse), 'local and VCSE suppliers win some');

  const supplierRows = await database.db.select().from(suppliers);
  const forms = new Set(supplierRows.map((s) => s.legalForm));
  for (const form of ['charity_cio', 'cooperative', 'community_interest_company', 'private_limited_company'] as const) t.ok(forms.has(form), `a ${form} supplier`);
  t.ok(supplierRows.some((s) => s.size === 'large' && !s.local), 'a large national firm');
  t.ok(supplierRows.some((s) => s.local && s.vcse), 'a local VCSE organisation');

  // Dates around now.
  const open = rows.filter((o) => o.status === 'published' && o.stage === 'open');
  t.ok(open.every((o) => o.tenderDeadline! > NOW), 'open ones have deadlines ahead');
  t.ok(open.filter((o) => o.tenderDeadline!.getTime() - NOW.getTime() <= 7 * DAY).length >= 3, 'a few close within 7 days');
  t.ok(rows.filter((o) => o.status === 'published' && o.stage === 'closed').every((o) => o.tenderDeadline! < NOW), 'closed ones have passed deadlines');
  const scheduled = rows.filter((o) => o.status === 'scheduled');
  t.ok(scheduled.every((o) => o.publishAt! > NOW && !o.firstPublishedAt));
  t.ok(scheduled.filter((o) => o.publishAt!.getTime() - NOW.getTime() <= 3_600_000).length >= 2, 'a couple are due within the hour');
  const forward = rows.filter((o) => o.status === 'published' && (o.stage === 'pipeline' || o.stage === 'planned'));
  const horizon = new Date(NOW.getTime() + 550 * DAY).toISOString().slice(0, 10);
  t.ok(forward.every((o) => o.expectedAwardDate! > NOW.toISOString().slice(0, 10) && o.expectedAwardDate! <= horizon), 'pipeline and planned ones are expected within 18 months');
  t.ok(releaseRows.every((r) => r.publishedAt <= NOW), 'nothing was released in the future');

  // Money in whole pence; reservations only below the threshold; some external links.
  t.ok(rows.every((o) => (o.valueMaxPence === null || Number.isInteger(o.valueMaxPence)) && (o.valueMinPence === null || o.valueMinPence <= (o.valueMaxPence ?? Infinity))));
  const reserved = rows.filter((o) => o.reservation !== 'none');
  t.ok(reserved.length > 0, 'some are reserved');
  // The highest 2026 sub-central thresholds: light-touch services £663,540, works £5,193,000 (VAT included).
  t.ok(reserved.every((o) => (o.valueMaxPence ?? 0) * 1.2 < (o.mainCategory === 'works' ? 519_300_000 : 66_354_000)), 'reserved ones are below the threshold');
  t.ok(rows.some((o) => o.responseMethod === 'external' && o.externalResponseUrl?.startsWith('https://')));
  t.ok(rows.some((o) => o.suitableForSme) && rows.some((o) => o.suitableForVcse) && rows.some((o) => o.socialValueOther));

  const { rows: unknownCodes } = await database.pool.query('select distinct code from opportunities, unnest(cpv_codes) code where code not in (select code from cpv_codes)');
  t.same(unknownCodes, [], 'every CPV code exists');
});

t.test('real notices keep their provenance', async (t) => {
  const database = await createTestDatabase(t);
  await loadDemoData(database, testConfig(t), { log: silent, now: NOW });
  const sample = JSON.parse(readFileSync(path.join(referenceDataDir, 'real-notices', 'contracts-finder-2025-sample.json'), 'utf8')) as {
    releases: { ocid: string; date: string; tender: { title: string } }[];
  };
  const titles = new Map<string, string>();
  for (const r of [...sample.releases].sort((a, b) => a.date.localeCompare(b.date))) titles.set(r.ocid, r.tender.title);

  const real = await database.db.select().from(opportunities).where(eq(opportunities.source, 'contracts_finder'));
  t.ok(real.length >= 50, `${real.length} from real notices`);
  for (const o of real) {
    const title = titles.get(o.sourceId ?? '');
    if (title === undefined) t.fail(`${o.sourceId} is not an ocid of the sample`);
    else if (repairText(title).replace(/\n/g, ' ') !== o.title) t.fail(`${o.sourceId}: title "${o.title}" is not the notice's`);
  }
  t.equal(new Set(real.map((o) => o.sourceId)).size, real.length, 'each notice used once');
  const [release] = await database.db.select().from(releases).where(eq(releases.opportunityId, real[0]!.id)).limit(1);
  t.same((release!.snapshot as PublicOpportunity).source, { name: 'contracts_finder', id: real[0]!.sourceId }, 'the public snapshot shows the source');
  t.ok(real.some((o) => o.description.includes('\n\n')), 'line breaks lost in the sample are restored as paragraphs');
  t.notOk(real.some((o) => /\brn[A-Z]|: rn/.test(o.description)), 'no "rn" artefacts left');
});

/** Every row of the demo's tables, in id order, without the times PostgreSQL stamps itself. */
async function canonicalDump(database: Database): Promise<string> {
  const tables: [string, string, string[]][] = [
    ['buyer_organisations', 'id', []],
    ['suppliers', 'id', []],
    ['opportunities', 'id', []],
    ['lots', 'id', []],
    ['awards', 'id', []],
    ['award_suppliers', 'id', []],
    ['releases', 'id', []],
    ['search_documents', 'opportunity_id', ['updated_at']],
    ['audit_log', 'id', ['at']],
  ];
  const hash = createHash('sha256');
  for (const [table, order, excluded] of tables) {
    const { rows } = await database.pool.query<{ dump: unknown }>(`select coalesce(jsonb_agg(to_jsonb(t) - $1::text[] order by ${order}), '[]') as dump from ${table} t`, [excluded]);
    hash.update(`${table}:${JSON.stringify(rows[0]!.dump)}\n`);
  }
  return hash.digest('hex');
}

t.test('the same seed and time give the same data; another seed gives other data', async (t) => {
  const config = testConfig(t);
  const [first, second, other] = await Promise.all([createTestDatabase(t), createTestDatabase(t), createTestDatabase(t)]);
  await loadDemoData(first, config, { log: silent, now: NOW, seed: 42 });
  await loadDemoData(second, config, { log: silent, now: NOW, seed: 42 });
  await loadDemoData(other, config, { log: silent, now: NOW, seed: 43 });
  const [a, b, c] = await Promise.all([canonicalDump(first), canonicalDump(second), canonicalDump(other)]);
  t.equal(a, b, 'identical canonical dumps');
  t.not(a, c, 'a different seed gives different data');

  const titles = async (database: Database) => (await database.db.select({ title: opportunities.title }).from(opportunities).orderBy(asc(opportunities.id))).map((r) => r.title);
  t.notSame(await titles(first), await titles(other), 'not just different in some detail');
});

t.test('the demo follows the configured council and area', async (t) => {
  const database = await createTestDatabase(t);
  const config = testConfig(t, { COUNCIL_NAME: 'Harbourside City Council', LOCAL_POSTCODE_DISTRICTS: 'PL1,PL2,PL3' });
  await loadDemoData(database, config, { log: silent, now: NOW });
  const buyers = await database.db.select().from(buyerOrganisations);
  t.equal(buyers.find((b) => b.kind === 'council')?.name, 'Harbourside City Council');
  t.ok(buyers.some((b) => b.name === 'Harbourside Community Housing Trust'));
  t.ok(buyers.every((b) => /^PL[123] /.test(b.postcode!)), 'addresses in the configured districts');
  const local = await database.db.select().from(suppliers).where(eq(suppliers.local, true));
  t.ok(local.length >= 5 && local.every((s) => /^PL[123] /.test(s.postcode!)), 'local suppliers in the configured districts');
});
