import { eq } from 'drizzle-orm';
import t from 'tap';
import { releases } from '../../src/modules/opportunities/opportunities.table.js';
import { searchDocuments } from '../../src/modules/search/search.table.js';
import { auditLog } from '../../src/modules/audit/audit.table.js';
import type { PublicOpportunity } from '../../src/modules/opportunities/opportunities.snapshot.js';
import { createTestDatabase } from '../helper.js';
import { addLot, createBuyer, createOpportunity, editWorkingCopy, publish } from '../support/factories.js';

t.test('a release freezes what the public sees; later edits to the working copy do not leak', async (t) => {
  const database = await createTestDatabase(t);
  const buyer = await createBuyer(database);
  const opportunity = await createOpportunity(database, buyer.id, { stage: 'open' });
  await addLot(database, opportunity.id, 1, 'North parks', 5_000_000);
  const releaseId = await publish(database, opportunity.id);
  t.equal(releaseId, `ocds-op0rtl-${opportunity.id}-1`);

  await editWorkingCopy(database, opportunity.id, { title: 'An unpublished draft title' });
  const [latest] = await database.db.select().from(releases).where(eq(releases.opportunityId, opportunity.id));
  const snapshot = latest!.snapshot as PublicOpportunity;
  t.equal(snapshot.title, 'Grounds maintenance for parks and open spaces');
  t.equal(snapshot.cpv[0]?.description, 'Planting and maintenance services of green areas', 'CPV descriptions come from the reference table');
  t.equal(snapshot.lots[0]?.title, 'North parks');
  t.equal(snapshot.buyer.name, buyer.name);

  const [doc] = await database.db.select().from(searchDocuments).where(eq(searchDocuments.opportunityId, opportunity.id));
  t.equal(doc?.title, 'Grounds maintenance for parks and open spaces');
  t.match(doc?.document, /'ground':1A/, 'the title is indexed with weight A');
  const audits = await database.db.select().from(auditLog).where(eq(auditLog.entityId, String(opportunity.id)));
  t.equal(audits.length, 1);
});

t.test('each release supersedes the previous one, which is kept', async (t) => {
  const database = await createTestDatabase(t);
  const buyer = await createBuyer(database);
  const opportunity = await createOpportunity(database, buyer.id);
  await publish(database, opportunity.id);
  await editWorkingCopy(database, opportunity.id, { title: 'Grounds maintenance (amended)' });
  const second = await publish(database, opportunity.id, { changeNote: 'Title corrected' });
  t.equal(second, `ocds-op0rtl-${opportunity.id}-2`);
  const rows = await database.db.select().from(releases).where(eq(releases.opportunityId, opportunity.id)).orderBy(releases.sequence);
  t.same(rows.map((r) => r.isLatest), [false, true]);
  t.equal((rows[0]!.snapshot as PublicOpportunity).title, 'Grounds maintenance for parks and open spaces');
  t.equal((rows[1]!.snapshot as PublicOpportunity).title, 'Grounds maintenance (amended)');
  t.equal(rows[1]!.firstPublishedAt.getTime(), rows[0]!.firstPublishedAt.getTime(), 'first publication date survives amendments');
});
