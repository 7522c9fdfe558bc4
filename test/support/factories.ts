/**
 * Test data built through the real tables and the real release writer, so tests see exactly
 * what the public would. Every factory takes overrides for the fields a test cares about.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';
import { buyerOrganisations } from '../../src/modules/buyers/buyers.table.js';
import { awards, awardSuppliers, lots, opportunities } from '../../src/modules/opportunities/opportunities.table.js';
import { tagsForStage, writeRelease } from '../../src/modules/opportunities/releases.js';

export const TEST_OCID_PREFIX = 'ocds-op0rtl';

type BuyerInsert = typeof buyerOrganisations.$inferInsert;
type OpportunityInsert = typeof opportunities.$inferInsert;

export async function createBuyer(database: Database, overrides: Partial<BuyerInsert> = {}) {
  const suffix = randomBytes(3).toString('hex');
  const [buyer] = await database.db
    .insert(buyerOrganisations)
    .values({
      slug: `test-council-${suffix}`,
      name: `Test Borough Council ${suffix}`,
      kind: 'council',
      identifierScheme: 'GB-PPON',
      identifierId: `PPON-${suffix.toUpperCase()}`,
      streetAddress: '1 Council House',
      locality: 'Oldbury',
      postcode: 'B69 3DE',
      contactEmail: 'procurement@example.gov.uk',
      website: 'https://www.example.gov.uk',
      ...overrides,
    })
    .returning();
  return buyer!;
}

/** A draft opportunity (the working copy only; nothing public yet). */
export async function createOpportunity(database: Database, buyerId: number, overrides: Partial<OpportunityInsert> = {}) {
  const [row] = await database.db
    .insert(opportunities)
    .values({
      buyerId,
      title: 'Grounds maintenance for parks and open spaces',
      summary: 'Grass cutting, hedge trimming and litter picking across the borough’s parks.',
      description: 'The council wants a contractor to look after **parks**.\n\n- grass cutting\n- hedges',
      mainCategory: 'services',
      cpvCodes: ['77310000', '77314000'],
      valueMinPence: 10_000_000,
      valueMaxPence: 25_000_000,
      tenderDeadline: new Date(Date.now() + 14 * 86_400_000),
      contactName: 'Procurement team',
      contactEmail: 'procurement@example.gov.uk',
      ...overrides,
    })
    .returning();
  return row!;
}

export async function addLot(database: Database, opportunityId: number, position: number, title: string, valuePence: number | null = null) {
  const [lot] = await database.db.insert(lots).values({ opportunityId, position, title, description: `${title}: what the lot covers.`, valuePence }).returning();
  return lot!;
}

export async function addAward(
  database: Database,
  opportunityId: number,
  lotId: number | null,
  suppliers: { name: string; local?: boolean; vcse?: boolean; size?: string; valuePence?: number }[],
) {
  const [award] = await database.db
    .insert(awards)
    .values({ opportunityId, lotId, awardedOn: '2026-10-01', valuePence: suppliers.reduce((sum, s) => sum + (s.valuePence ?? 0), 0) || null })
    .returning();
  for (const s of suppliers) {
    await database.db.insert(awardSuppliers).values({ awardId: award!.id, name: s.name, local: s.local ?? false, vcse: s.vcse ?? false, size: s.size ?? 'small', valuePence: s.valuePence ?? null });
  }
  return award!;
}

/**
 * Marks the opportunity published (or cancelled) with the working copy as it is, and writes a
 * release exactly as the lifecycle does. Returns the release id.
 */
export async function publish(database: Database, opportunityId: number, options: { at?: Date; changeNote?: string; cancelled?: boolean } = {}) {
  const at = options.at ?? new Date();
  return database.db.transaction(async (tx) => {
    const [row] = await tx.select().from(opportunities).where(eqId(opportunityId));
    await tx
      .update(opportunities)
      .set({ status: options.cancelled ? 'cancelled' : 'published', firstPublishedAt: row!.firstPublishedAt ?? at })
      .where(eqId(opportunityId));
    const result = await writeRelease(tx, {
      ocidPrefix: TEST_OCID_PREFIX,
      opportunityId,
      tags: tagsForStage(row!.stage, options.cancelled ?? false),
      changeNote: options.changeNote ?? null,
      publishedAt: at,
      actor: { label: 'test' },
      action: 'opportunity.published',
    });
    return result.releaseId;
  });
}

/** Changes the working copy directly (as an officer's unsaved edit would). */
export async function editWorkingCopy(database: Database, opportunityId: number, changes: Partial<OpportunityInsert>) {
  await database.db.update(opportunities).set(changes).where(eqId(opportunityId));
}

function eqId(id: number) {
  return eq(opportunities.id, id);
}
