// The publishing spine (opportunities.service.ts) driven directly, without HTTP, against a real
// database and a clock the tests move: drafting, publishing, scheduling, stages, amendments,
// closing, cancelling and awarding, with the releases, search documents and audit entries each
// writes, the refusals, and optimistic concurrency.
import { and, asc, eq } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { auditLog } from '../../src/modules/audit/audit.table.js';
import { EditConflictError, IllegalTransitionError, NotReadyError, OpportunityNotFoundError } from '../../src/modules/opportunities/opportunities.errors.js';
import { publishDueOpportunities } from '../../src/modules/opportunities/opportunities.lifecycle.js';
import {
  award,
  cancel,
  closeEarly,
  createDraft,
  findStaffOpportunity,
  hasUnpublishedChanges,
  moveStage,
  nextStages,
  plannedNoticeDate,
  publishAmendment,
  publishingContext,
  publishNow,
  saveDraft,
  saveLots,
  schedule,
  unschedule,
  type AwardInput,
  type DraftFields,
  type PublishingContext,
  type StaffActor,
} from '../../src/modules/opportunities/opportunities.service.js';
import type { PublicOpportunity } from '../../src/modules/opportunities/opportunities.snapshot.js';
import { awards, awardSuppliers, lots, opportunities, releases } from '../../src/modules/opportunities/opportunities.table.js';
import { searchDocuments } from '../../src/modules/search/search.table.js';
import { suppliers } from '../../src/modules/suppliers/suppliers.table.js';
import type { Database } from '../../src/db/client.js';
import { createTestDatabase, type TestContext } from '../helper.js';
import { createUser } from '../support/auth.js';
import { createBuyer, TEST_OCID_PREFIX } from '../support/factories.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** 10:00 GMT on Monday 1 March 2027. */
const START = new Date('2027-03-01T10:00:00Z');

interface Fixture {
  database: Database;
  ctx: PublishingContext;
  clock: { now: Date };
  /** Moves the clock on. */
  advance(ms: number): void;
  buyerId: number;
  otherBuyerId: number;
  actor: StaffActor;
}

async function setup(t: TestContext): Promise<Fixture> {
  const database = await createTestDatabase(t);
  const clock = { now: new Date(START) };
  const ctx = publishingContext(database.db, { ocidPrefix: TEST_OCID_PREFIX, localPostcodeDistricts: ['B66', 'B69'] }, () => clock.now);
  const buyer = await createBuyer(database);
  const other = await createBuyer(database);
  const user = await createUser(database, { name: 'Olu Officer', buyer: { buyerId: buyer.id, role: 'editor' } });
  return {
    database,
    ctx,
    clock,
    advance: (ms) => {
      clock.now = new Date(clock.now.getTime() + ms);
    },
    buyerId: buyer.id,
    otherBuyerId: other.id,
    actor: { userId: user.id, name: user.name, requestId: 'req-1' },
  };
}

/** Everything a ready-to-publish draft needs, in `stage`. */
function readyFields(f: Fixture, stage: 'pipeline' | 'planned' | 'open' = 'open'): DraftFields & { title: string; mainCategory: 'services' } {
  return {
    title: 'Grounds maintenance for parks',
    mainCategory: 'services',
    stage,
    summary: 'Grass cutting and hedge trimming across the borough’s parks.',
    cpvCodes: ['77310000'],
    contactEmail: 'procurement@example.gov.uk',
    valueMaxPence: 5_000_000,
    tenderDeadline: stage === 'open' ? new Date(f.clock.now.getTime() + 30 * DAY) : null,
  };
}

async function readyDraft(f: Fixture, stage: 'pipeline' | 'planned' | 'open' = 'open', extra: DraftFields = {}) {
  return createDraft(f.ctx, f.actor, f.buyerId, { ...readyFields(f, stage), ...extra });
}

/** A published opportunity in `stage`; returns its id. */
async function published(f: Fixture, stage: 'pipeline' | 'planned' | 'open' = 'open', extra: DraftFields = {}) {
  const draft = await readyDraft(f, stage, extra);
  await publishNow(f.ctx, f.actor, f.buyerId, draft.id, draft.version);
  return draft.id;
}

async function staff(f: Fixture, id: number) {
  const found = await findStaffOpportunity(f.database.db, f.buyerId, id);
  if (!found) throw new Error(`opportunity ${id} not found`);
  return found;
}

async function versionOf(f: Fixture, id: number) {
  return (await staff(f, id)).opportunity.version;
}

async function auditsOf(f: Fixture, id: number) {
  return f.database.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityType, 'opportunity'), eq(auditLog.entityId, String(id))))
    .orderBy(asc(auditLog.id));
}

async function releasesOf(f: Fixture, id: number) {
  return f.database.db.select().from(releases).where(eq(releases.opportunityId, id)).orderBy(asc(releases.sequence));
}

/** Everything a refused change must leave as it was. */
async function stateOf(f: Fixture, id: number) {
  const [row] = await f.database.db.select().from(opportunities).where(eq(opportunities.id, id));
  return {
    row,
    lots: await f.database.db.select().from(lots).where(eq(lots.opportunityId, id)).orderBy(asc(lots.id)),
    awards: await f.database.db.select().from(awards).where(eq(awards.opportunityId, id)),
    releases: (await releasesOf(f, id)).length,
    audits: (await auditsOf(f, id)).length,
  };
}

/** The error a promise rejects with (fails the test when it resolves). */
async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

/** Asserts the call is refused with an IllegalTransitionError matching `message`, writing nothing. */
async function refused(t: Test, f: Fixture, id: number, call: () => Promise<unknown>, message: RegExp, what = 'refused') {
  const before = await stateOf(f, id);
  const error = await caught(call());
  t.type(error, IllegalTransitionError, what);
  t.match(error.message, message, what);
  t.same(await stateOf(f, id), before, `${what}: nothing written`);
}

async function createSupplier(f: Fixture, overrides: Partial<typeof suppliers.$inferInsert> = {}) {
  const [row] = await f.database.db
    .insert(suppliers)
    .values({
      name: 'Green Spaces CIC',
      legalForm: 'community_interest_company',
      companiesHouseNumber: '12345678',
      charityNumber: null,
      size: 'small',
      vcse: true,
      postcode: 'B66 1AA',
      local: true,
      ...overrides,
    })
    .returning();
  return row!;
}

function awardInput(overrides: Partial<AwardInput> = {}): AwardInput {
  return {
    lotId: null,
    awardedOn: '2027-03-01',
    valuePence: 4_000_000,
    contractStart: '2027-04-01',
    contractEnd: '2028-03-31',
    socialValueCommitments: 'Two apprenticeships for local young people.',
    suppliers: [{ kind: 'named', name: 'Hedges and Co Ltd', companiesHouseNumber: '07654321', charityNumber: null, postcode: 'B69 3DE', size: 'micro', vcse: false, valuePence: 4_000_000 }],
    ...overrides,
  };
}

// ---- Drafting ------------------------------------------------------------------------------------

t.test('createDraft starts a draft at version 1 and audits it', async (t) => {
  const f = await setup(t);
  const created = await createDraft(f.ctx, f.actor, f.buyerId, { title: 'Grounds maintenance', mainCategory: 'services' });
  t.equal(created.status, 'draft');
  t.equal(created.version, 1);
  t.equal(created.buyerId, f.buyerId);
  t.equal(created.createdBy, f.actor.userId);
  t.same(created.createdAt, START, 'times come from the context’s clock');
  const audits = await auditsOf(f, created.id);
  t.same(
    audits.map((a) => [a.action, a.actorUserId, a.actorLabel, a.buyerId, a.requestId, a.before, a.after]),
    [['opportunity.created', f.actor.userId, 'Olu Officer', f.buyerId, 'req-1', null, { title: 'Grounds maintenance', mainCategory: 'services' }]],
  );
  t.equal(await hasUnpublishedChanges(f.database.db, TEST_OCID_PREFIX, created.id), null, 'nothing published yet');
});

t.test('saveDraft: changes, version, audit of changed fields only, conflicts and other organisations', async (t) => {
  const f = await setup(t);
  const draft = await createDraft(f.ctx, f.actor, f.buyerId, { title: 'Grounds', mainCategory: 'services' });
  const deadline = new Date('2027-04-15T11:00:00Z');

  f.advance(MINUTE);
  const saved = await saveDraft(f.ctx, f.actor, f.buyerId, draft.id, 1, { title: 'Grounds maintenance', mainCategory: 'services', summary: 'Grass cutting', tenderDeadline: deadline, cpvCodes: ['77310000'] });
  t.equal(saved.version, 2, 'the returned record has the new version');
  t.equal(saved.title, 'Grounds maintenance');
  const row = (await staff(f, draft.id)).opportunity;
  t.equal(row.version, 2, 'the version went up by one');
  t.same(row.tenderDeadline, deadline);
  t.same(row.updatedAt, f.clock.now);
  let audits = await auditsOf(f, draft.id);
  t.equal(audits.length, 2);
  t.equal(audits[1]?.action, 'opportunity.edited');
  t.same(audits[1]?.before, { title: 'Grounds', summary: '', tenderDeadline: null, cpvCodes: [] }, 'before: only the changed fields (not the unchanged main category)');
  t.same(audits[1]?.after, { title: 'Grounds maintenance', summary: 'Grass cutting', tenderDeadline: deadline.toISOString(), cpvCodes: ['77310000'] });

  const same = await saveDraft(f.ctx, f.actor, f.buyerId, draft.id, 2, { title: 'Grounds maintenance', tenderDeadline: new Date(deadline.getTime()), cpvCodes: ['77310000'] });
  t.equal(same.version, 3, 'saving again is a new version');
  audits = await auditsOf(f, draft.id);
  t.equal(audits.length, 2, 'nothing changed, nothing audited (an equal date is not a change)');

  const empty = await saveDraft(f.ctx, f.actor, f.buyerId, draft.id, 3, {});
  t.equal(empty.version, 4, 'nothing given: only the version moves on');
  const undefinedField = await saveDraft(f.ctx, f.actor, f.buyerId, draft.id, 4, { summary: undefined, title: 'Grounds maintenance' });
  t.equal(undefinedField.summary, 'Grass cutting', 'a field given as undefined is left alone');
  t.equal((await auditsOf(f, draft.id)).length, 2, 'and is not audited as a change');
  await saveDraft(f.ctx, f.actor, f.buyerId, draft.id, 5, {});

  t.test('a stale version is a conflict and writes nothing', async (t) => {
    const before = await stateOf(f, draft.id);
    const error = await caught(saveDraft(f.ctx, f.actor, f.buyerId, draft.id, 2, { title: 'Someone else’s title' }));
    t.type(error, EditConflictError);
    const conflict = error as EditConflictError;
    t.equal(conflict.statusCode, 409);
    t.equal(conflict.code, 'edit_conflict');
    t.equal(conflict.sentVersion, 2);
    t.equal(conflict.current.opportunity.version, 6, 'the conflict carries what is saved now');
    t.equal(conflict.current.opportunity.title, 'Grounds maintenance');
    t.same(await stateOf(f, draft.id), before);
  });

  t.test('another organisation’s opportunity is not found, and is not changed', async (t) => {
    const before = await stateOf(f, draft.id);
    const error = await caught(saveDraft(f.ctx, f.actor, f.otherBuyerId, draft.id, 6, { title: 'Hijacked' }));
    t.type(error, OpportunityNotFoundError);
    t.equal((error as OpportunityNotFoundError).statusCode, 404);
    t.type(await caught(saveDraft(f.ctx, f.actor, f.buyerId, 987_654, 1, { title: 'Nobody' })), OpportunityNotFoundError, 'nor is a missing one');
    t.same(await stateOf(f, draft.id), before);
    t.equal(await findStaffOpportunity(f.database.db, f.otherBuyerId, draft.id), null);
  });

  t.test('the stage: chosen while a draft, among the publishable ones', async (t) => {
    const v = await versionOf(f, draft.id);
    const planned = await saveDraft(f.ctx, f.actor, f.buyerId, draft.id, v, { stage: 'planned' });
    t.equal(planned.stage, 'planned');
    await refused(t, f, draft.id, () => saveDraft(f.ctx, f.actor, f.buyerId, draft.id, v + 1, { stage: 'closed' }), /pipeline, planned or open stage only/, 'closed');
    await refused(t, f, draft.id, () => saveDraft(f.ctx, f.actor, f.buyerId, draft.id, v + 1, { stage: 'awarded' }), /pipeline, planned or open stage only/, 'awarded');
  });
});

t.test('createDraft cannot start in a stage that is reached through the lifecycle', async (t) => {
  const f = await setup(t);
  const error = await caught(createDraft(f.ctx, f.actor, f.buyerId, { title: 'Already awarded?', mainCategory: 'works', stage: 'awarded' }));
  t.type(error, IllegalTransitionError);
  const rows = await f.database.db.select().from(opportunities).where(eq(opportunities.buyerId, f.buyerId));
  t.equal(rows.length, 0, 'nothing created');
});

t.test('two saves of the same version at once: exactly one wins, the other is a conflict', async (t) => {
  const f = await setup(t);
  const draft = await createDraft(f.ctx, f.actor, f.buyerId, { title: 'Grounds', mainCategory: 'services' });
  const results = await Promise.allSettled([
    saveDraft(f.ctx, f.actor, f.buyerId, draft.id, 1, { title: 'First officer’s title' }),
    saveDraft(f.ctx, f.actor, f.buyerId, draft.id, 1, { title: 'Second officer’s title' }),
  ]);
  const fulfilled = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof saveDraft>>> => r.status === 'fulfilled');
  const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  t.equal(fulfilled.length, 1, 'one succeeds');
  t.equal(rejected.length, 1, 'one is refused');
  t.type(rejected[0]?.reason, EditConflictError, 'with a conflict');
  const row = (await staff(f, draft.id)).opportunity;
  t.equal(row.version, 2, 'the version went up once');
  t.equal(row.title, fulfilled[0]?.value.title, 'the winner’s title is saved');
  t.equal((rejected[0]?.reason as EditConflictError).current.opportunity.title, row.title, 'the loser sees the winner’s save');
  t.equal((await auditsOf(f, draft.id)).filter((a) => a.action === 'opportunity.edited').length, 1, 'one edit audited');

  // Publishing twice at once publishes once.
  const ready = await readyDraft(f);
  const publishes = await Promise.allSettled([publishNow(f.ctx, f.actor, f.buyerId, ready.id, 1), publishNow(f.ctx, f.actor, f.buyerId, ready.id, 1)]);
  t.same(publishes.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  t.equal((await releasesOf(f, ready.id)).length, 1, 'one release');
});

t.test('saveLots: add, reorder, remove; foreign and duplicate lots refused', async (t) => {
  const f = await setup(t);
  const draft = await readyDraft(f);
  const added = await saveLots(f.ctx, f.actor, f.buyerId, draft.id, 1, [
    { title: 'North', description: 'North parks', valuePence: 1_000_000 },
    { title: 'South', description: 'South parks', valuePence: 2_000_000 },
    { title: 'East', description: '', valuePence: null },
  ]);
  t.same(added.map((l) => [l.position, l.title, l.valuePence]), [
    [1, 'North', 1_000_000],
    [2, 'South', 2_000_000],
    [3, 'East', null],
  ]);
  t.equal(await versionOf(f, draft.id), 2);
  const [north, south, east] = added;
  const lotsAudit = (await auditsOf(f, draft.id)).at(-1);
  t.equal(lotsAudit?.action, 'opportunity.lots_changed');
  t.same(lotsAudit?.before, []);
  t.same((lotsAudit?.after as { title: string }[]).map((l) => l.title), ['North', 'South', 'East']);

  const reordered = await saveLots(f.ctx, f.actor, f.buyerId, draft.id, 2, [
    { id: east!.id, title: 'East', description: '', valuePence: null },
    { id: north!.id, title: 'North parks', description: 'North parks', valuePence: 1_500_000 },
    { title: 'West', description: 'New', valuePence: null },
  ]);
  t.same(reordered.map((l) => [l.position, l.title]), [
    [1, 'East'],
    [2, 'North parks'],
    [3, 'West'],
  ]);
  t.equal(reordered[0]?.id, east!.id, 'kept lots keep their ids');
  t.equal(reordered[1]?.id, north!.id);
  const rows = await f.database.db.select().from(lots).where(eq(lots.opportunityId, draft.id)).orderBy(asc(lots.position));
  t.same(rows.map((l) => [l.id, l.position, l.title, l.valuePence]), reordered.map((l) => [l.id, l.position, l.title, l.valuePence]), 'saved as returned');
  t.notOk(rows.some((l) => l.id === south!.id), 'South was removed');

  const v = await versionOf(f, draft.id);
  const other = await readyDraft(f);
  const [foreign] = await saveLots(f.ctx, f.actor, f.buyerId, other.id, other.version, [{ title: 'Somebody else’s lot', description: '', valuePence: null }]);
  await refused(t, f, draft.id, () => saveLots(f.ctx, f.actor, f.buyerId, draft.id, v, [{ id: foreign!.id, title: 'Stolen', description: '', valuePence: null }]), /does not belong to this opportunity/, 'a lot of another opportunity');
  const [foreignAfter] = await f.database.db.select().from(lots).where(eq(lots.id, foreign!.id));
  t.equal(foreignAfter?.title, 'Somebody else’s lot', 'the other opportunity’s lot is untouched');
  await refused(
    t,
    f,
    draft.id,
    () => saveLots(f.ctx, f.actor, f.buyerId, draft.id, v, [
      { id: east!.id, title: 'East', description: '', valuePence: null },
      { id: east!.id, title: 'East again', description: '', valuePence: null },
    ]),
    /more than once/,
    'the same lot twice',
  );
  t.type(await caught(saveLots(f.ctx, f.actor, f.otherBuyerId, draft.id, v, [])), OpportunityNotFoundError, 'another organisation');
  t.type(await caught(saveLots(f.ctx, f.actor, f.buyerId, draft.id, v - 1, [])), EditConflictError, 'a stale version');

  const none = await saveLots(f.ctx, f.actor, f.buyerId, draft.id, v, []);
  t.same(none, [], 'all lots removed');
});

t.test('saveLots: an awarded lot cannot be removed or moved', async (t) => {
  const f = await setup(t);
  const draft = await readyDraft(f, 'open', { procedure: 'direct_award' });
  const [one, two] = await saveLots(f.ctx, f.actor, f.buyerId, draft.id, 1, [
    { title: 'Lot one', description: '', valuePence: null },
    { title: 'Lot two', description: '', valuePence: null },
  ]);
  await publishNow(f.ctx, f.actor, f.buyerId, draft.id, 2);
  await award(f.ctx, f.actor, f.buyerId, draft.id, 3, awardInput({ lotId: one!.id }));
  const v = await versionOf(f, draft.id);
  const lot = (id: number, title: string) => ({ id, title, description: '', valuePence: null });

  await refused(t, f, draft.id, () => saveLots(f.ctx, f.actor, f.buyerId, draft.id, v, [lot(two!.id, 'Lot two')]), /Lot 1 has been awarded: it cannot be removed or moved/, 'removing it');
  await refused(t, f, draft.id, () => saveLots(f.ctx, f.actor, f.buyerId, draft.id, v, [lot(two!.id, 'Lot two'), lot(one!.id, 'Lot one')]), /Lot 1 has been awarded/, 'moving it');
  await refused(t, f, draft.id, () => saveLots(f.ctx, f.actor, f.buyerId, draft.id, v, [{ title: 'New first', description: '', valuePence: null }, lot(one!.id, 'Lot one'), lot(two!.id, 'Lot two')]), /Lot 1 has been awarded/, 'pushing it down');

  const kept = await saveLots(f.ctx, f.actor, f.buyerId, draft.id, v, [lot(one!.id, 'Lot one'), { title: 'Lot three', description: '', valuePence: null }]);
  t.same(kept.map((l) => [l.id === one!.id, l.position, l.title]), [
    [true, 1, 'Lot one'],
    [false, 2, 'Lot three'],
  ], 'an unawarded lot can be removed and one added after the awarded one');
  t.equal((await staff(f, draft.id)).awards[0]?.lotId, one!.id, 'the award still points at its lot');
});

// ---- Publishing ----------------------------------------------------------------------------------

t.test('publishNow: refused until ready, then writes the release, search document and audit', async (t) => {
  const f = await setup(t);
  const draft = await createDraft(f.ctx, f.actor, f.buyerId, { title: 'Grounds', mainCategory: 'services', stage: 'open' });
  const before = await stateOf(f, draft.id);
  const error = await caught(publishNow(f.ctx, f.actor, f.buyerId, draft.id, 1));
  t.type(error, NotReadyError);
  const problems = (error as NotReadyError).problems;
  t.same(problems.map((p) => [p.step, p.field]), [
    ['about', 'summary'],
    ['categories', 'cpvCodes'],
    ['responding', 'contactEmail'],
    ['dates', 'tenderDeadline'],
  ], 'missing summary, category, contact and (open) deadline for bids');
  t.equal((error as NotReadyError).statusCode, 400);
  t.same(await stateOf(f, draft.id), before, 'nothing written');
  const documents = await f.database.db.select().from(searchDocuments).where(eq(searchDocuments.opportunityId, draft.id));
  t.equal(documents.length, 0, 'no search document');

  await saveDraft(f.ctx, f.actor, f.buyerId, draft.id, 1, { ...readyFields(f), tenderDeadline: new Date(START.getTime() - MINUTE) });
  t.same((await caught(publishNow(f.ctx, f.actor, f.buyerId, draft.id, 2)) as NotReadyError).problems.map((p) => p.field), ['tenderDeadline'], 'a deadline in the past');
  await saveDraft(f.ctx, f.actor, f.buyerId, draft.id, 2, { tenderDeadline: new Date(START.getTime() + 30 * DAY) });

  f.advance(5 * MINUTE);
  const { releaseId } = await publishNow(f.ctx, f.actor, f.buyerId, draft.id, 3);
  t.equal(releaseId, `${TEST_OCID_PREFIX}-${draft.id}-1`);
  const row = (await staff(f, draft.id)).opportunity;
  t.same([row.status, row.stage, row.version, row.publishAt], ['published', 'open', 4, null]);
  t.same(row.firstPublishedAt, f.clock.now);

  const [release] = await releasesOf(f, draft.id);
  t.same([release?.releaseId, release?.tags, release?.stage, release?.isLatest, release?.cancelled, release?.changeNote], [releaseId, ['tender'], 'open', true, false, null]);
  t.same(release?.publishedAt, f.clock.now);
  t.equal((release?.snapshot as PublicOpportunity).title, 'Grounds maintenance for parks');

  const [document] = await f.database.db.select().from(searchDocuments).where(eq(searchDocuments.opportunityId, draft.id));
  t.equal(document?.title, 'Grounds maintenance for parks', 'the search document is written');
  t.equal(document?.releaseId, release?.id);

  const audit = (await auditsOf(f, draft.id)).at(-1);
  t.equal(audit?.action, 'opportunity.published');
  t.equal(audit?.actorUserId, f.actor.userId);
  t.equal(audit?.requestId, 'req-1');
  t.same(audit?.before, null);
  t.same(audit?.after, { releaseId, tags: ['tender'], changeNote: null, stage: 'open', cancelled: false });

  await refused(t, f, draft.id, () => publishNow(f.ctx, f.actor, f.buyerId, draft.id, 4), /already been published/, 'publishing twice');
  t.type(await caught(publishNow(f.ctx, f.actor, f.otherBuyerId, draft.id, 4)), OpportunityNotFoundError);
});

t.test('publishNow in the pipeline and planned stages: planning releases, no deadline needed', async (t) => {
  const f = await setup(t);
  for (const stage of ['pipeline', 'planned'] as const) {
    const id = await published(f, stage);
    const [release] = await releasesOf(f, id);
    t.same([release?.tags, release?.stage], [['planning'], stage], stage);
  }
});

t.test('schedule and unschedule; the queue publishes when the time comes', async (t) => {
  const f = await setup(t);
  const draft = await readyDraft(f);
  const lifecycle = (now: Date) => publishDueOpportunities({ db: f.database.db, ocidPrefix: TEST_OCID_PREFIX, now });

  await refused(t, f, draft.id, () => schedule(f.ctx, f.actor, f.buyerId, draft.id, 1, f.clock.now), /must be in the future/, 'now');
  await refused(t, f, draft.id, () => schedule(f.ctx, f.actor, f.buyerId, draft.id, 1, new Date(START.getTime() - DAY)), /must be in the future/, 'the past');
  const afterDeadline = await caught(schedule(f.ctx, f.actor, f.buyerId, draft.id, 1, new Date(START.getTime() + 31 * DAY)));
  t.type(afterDeadline, NotReadyError, 'readiness is checked as of the publish time: the deadline would have passed');

  const publishAt = new Date(START.getTime() + DAY);
  await schedule(f.ctx, f.actor, f.buyerId, draft.id, 1, publishAt);
  let row = (await staff(f, draft.id)).opportunity;
  t.same([row.status, row.publishAt, row.version], ['scheduled', publishAt, 2]);
  const audit = (await auditsOf(f, draft.id)).at(-1);
  t.equal(audit?.action, 'opportunity.scheduled');
  t.same(audit?.before, { status: 'draft', publishAt: null });
  t.same(audit?.after, { status: 'scheduled', publishAt: publishAt.toISOString() });
  t.equal((await releasesOf(f, draft.id)).length, 0, 'nothing public yet');

  const later = new Date(START.getTime() + 2 * DAY);
  await schedule(f.ctx, f.actor, f.buyerId, draft.id, 2, later);
  t.same((await staff(f, draft.id)).opportunity.publishAt, later, 'a scheduled one can be moved');

  t.equal(await lifecycle(new Date(later.getTime() - MINUTE)), 0, 'not before its time');
  t.equal((await staff(f, draft.id)).opportunity.status, 'scheduled');
  f.clock.now = new Date(later.getTime() + MINUTE);
  t.equal(await lifecycle(f.clock.now), 1, 'published when due');
  row = (await staff(f, draft.id)).opportunity;
  t.same([row.status, row.stage, row.firstPublishedAt], ['published', 'open', f.clock.now]);
  const releasesNow = await releasesOf(f, draft.id);
  t.same(releasesNow.map((r) => [r.tags, r.publishedAt.getTime()]), [[['tender'], f.clock.now.getTime()]]);
  t.equal(await hasUnpublishedChanges(f.database.db, TEST_OCID_PREFIX, draft.id), false, 'what was published is the working copy');
  await refused(t, f, draft.id, () => schedule(f.ctx, f.actor, f.buyerId, draft.id, row.version, new Date(f.clock.now.getTime() + DAY)), /already been published/, 'scheduling a published one');
  t.type(await caught(unschedule(f.ctx, f.actor, f.buyerId, draft.id, 3)), EditConflictError, 'an officer who saw it scheduled gets a conflict: the queue moved the version on');

  t.test('unschedule takes it back to draft; the queue then leaves it alone', async (t) => {
    const other = await readyDraft(f);
    await schedule(f.ctx, f.actor, f.buyerId, other.id, 1, new Date(f.clock.now.getTime() + DAY));
    await unschedule(f.ctx, f.actor, f.buyerId, other.id, 2);
    const back = (await staff(f, other.id)).opportunity;
    t.same([back.status, back.publishAt, back.version], ['draft', null, 3]);
    t.equal((await auditsOf(f, other.id)).at(-1)?.action, 'opportunity.unscheduled');
    t.equal(await lifecycle(new Date(f.clock.now.getTime() + 2 * DAY)), 0);
    t.equal((await staff(f, other.id)).opportunity.status, 'draft');
    await refused(t, f, other.id, () => unschedule(f.ctx, f.actor, f.buyerId, other.id, 3), /not scheduled/, 'unscheduling a draft');
  });
});

t.test('moveStage: pipeline → planned → open; never backwards; open needs a future deadline', async (t) => {
  const f = await setup(t);
  t.same(nextStages('pipeline'), ['planned', 'open']);
  t.same(nextStages('planned'), ['open']);
  t.same(nextStages('open'), []);
  t.same(nextStages('closed'), []);

  const draft = await readyDraft(f, 'pipeline');
  await refused(t, f, draft.id, () => moveStage(f.ctx, f.actor, f.buyerId, draft.id, 1, 'planned', null), /not been published yet/, 'a draft');
  await publishNow(f.ctx, f.actor, f.buyerId, draft.id, 1);
  const id = draft.id;

  f.advance(DAY);
  await moveStage(f.ctx, f.actor, f.buyerId, id, 2, 'planned', null);
  let latest = (await releasesOf(f, id)).at(-1);
  t.same([latest?.tags, latest?.stage, latest?.sequence], [['planning'], 'planned', 2]);
  t.match(latest?.changeNote, /Moved to planned/);
  t.same(await plannedNoticeDate(f.database.db, id), f.clock.now, 'the planned notice date is that release’s');
  t.equal((await auditsOf(f, id)).at(-1)?.action, 'opportunity.stage_changed');

  const noDeadline = await caught(moveStage(f.ctx, f.actor, f.buyerId, id, 3, 'open', null));
  t.type(noDeadline, NotReadyError);
  t.same((noDeadline as NotReadyError).problems.map((p) => p.field), ['tenderDeadline']);
  t.equal((await staff(f, id)).opportunity.stage, 'planned', 'the stage did not change');
  t.equal(await versionOf(f, id), 3);

  await saveDraft(f.ctx, f.actor, f.buyerId, id, 3, { tenderDeadline: new Date(f.clock.now.getTime() - MINUTE) });
  t.type(await caught(moveStage(f.ctx, f.actor, f.buyerId, id, 4, 'open', null)), NotReadyError, 'a deadline in the past');
  await saveDraft(f.ctx, f.actor, f.buyerId, id, 4, { tenderDeadline: new Date(f.clock.now.getTime() + 30 * DAY) });

  await moveStage(f.ctx, f.actor, f.buyerId, id, 5, 'open', '  Bids are now welcome. ');
  latest = (await releasesOf(f, id)).at(-1);
  t.same([latest?.tags, latest?.stage, latest?.changeNote], [['tender'], 'open', 'Bids are now welcome.']);
  t.equal((await staff(f, id)).opportunity.stage, 'open');

  await refused(t, f, id, () => moveStage(f.ctx, f.actor, f.buyerId, id, 6, 'planned', null), /open for bids cannot be moved/, 'open → planned');
  await refused(t, f, id, () => moveStage(f.ctx, f.actor, f.buyerId, id, 6, 'closed', null), /cannot be moved/, 'open → closed is closing early');
  await closeEarly(f.ctx, f.actor, f.buyerId, id, 6, 'Enough bids.');
  await refused(t, f, id, () => moveStage(f.ctx, f.actor, f.buyerId, id, 7, 'open', null), /closed for bids cannot be moved/, 'closed → open');

  t.test('pipeline straight to open', async (t) => {
    const other = await published(f, 'pipeline');
    await saveDraft(f.ctx, f.actor, f.buyerId, other, 2, { tenderDeadline: new Date(f.clock.now.getTime() + 30 * DAY) });
    await moveStage(f.ctx, f.actor, f.buyerId, other, 3, 'open', '  ');
    t.equal((await staff(f, other)).opportunity.stage, 'open');
    t.match((await releasesOf(f, other)).at(-1)?.changeNote, /Now open for bids/, 'a blank note gets the default');
  });
});

t.test('publishAmendment: a note, something changed; tags by stage; audit of the changed snapshot fields', async (t) => {
  const f = await setup(t);
  const id = await published(f, 'open');
  t.equal(await hasUnpublishedChanges(f.database.db, TEST_OCID_PREFIX, id), false, 'false right after publishing');

  await refused(t, f, id, () => publishAmendment(f.ctx, f.actor, f.buyerId, id, 2, 'Nothing really'), /Nothing has changed/, 'nothing changed');
  await saveDraft(f.ctx, f.actor, f.buyerId, id, 2, { title: 'Grounds maintenance for parks and cemeteries', valueMaxPence: 6_000_000 });
  t.equal(await hasUnpublishedChanges(f.database.db, TEST_OCID_PREFIX, id), true, 'true after saving a change');
  await refused(t, f, id, () => publishAmendment(f.ctx, f.actor, f.buyerId, id, 3, '   '), /Say what has changed/, 'a blank note');

  f.advance(DAY);
  const { releaseId } = await publishAmendment(f.ctx, f.actor, f.buyerId, id, 3, '  Cemeteries added.  ');
  t.equal(releaseId, `${TEST_OCID_PREFIX}-${id}-2`);
  const [first, second] = await releasesOf(f, id);
  t.same([first?.isLatest, second?.isLatest], [false, true]);
  t.same([second?.tags, second?.stage, second?.changeNote], [['tenderAmendment'], 'open', 'Cemeteries added.']);
  t.same(second?.firstPublishedAt, first?.firstPublishedAt, 'the first publication date is kept');
  t.equal(await hasUnpublishedChanges(f.database.db, TEST_OCID_PREFIX, id), false, 'false after the amendment');

  const audit = (await auditsOf(f, id)).at(-1);
  t.equal(audit?.action, 'opportunity.amended');
  t.same(audit?.before, { title: 'Grounds maintenance for parks', value: { minPence: null, maxPence: 5_000_000, includesVat: false, currency: 'GBP' } }, 'before: the changed snapshot fields only');
  t.same(audit?.after, {
    releaseId,
    tags: ['tenderAmendment'],
    changeNote: 'Cemeteries added.',
    title: 'Grounds maintenance for parks and cemeteries',
    value: { minPence: null, maxPence: 6_000_000, includesVat: false, currency: 'GBP' },
  });
  const [document] = await f.database.db.select().from(searchDocuments).where(eq(searchDocuments.opportunityId, id));
  t.equal(document?.title, 'Grounds maintenance for parks and cemeteries', 'the search document follows');

  t.test('reverting an unpublished change: nothing to publish', async (t) => {
    const v = await versionOf(f, id);
    await saveDraft(f.ctx, f.actor, f.buyerId, id, v, { summary: 'Changed' });
    t.equal(await hasUnpublishedChanges(f.database.db, TEST_OCID_PREFIX, id), true);
    await saveDraft(f.ctx, f.actor, f.buyerId, id, v + 1, { summary: readyFields(f).summary });
    t.equal(await hasUnpublishedChanges(f.database.db, TEST_OCID_PREFIX, id), false);
    await saveLots(f.ctx, f.actor, f.buyerId, id, v + 2, [{ title: 'Only lot', description: '', valuePence: null }]);
    t.equal(await hasUnpublishedChanges(f.database.db, TEST_OCID_PREFIX, id), true, 'lots are part of what the public sees');
  });

  t.test('pipeline and planned amendments are planning updates', async (t) => {
    for (const stage of ['pipeline', 'planned'] as const) {
      const other = await published(f, stage);
      await saveDraft(f.ctx, f.actor, f.buyerId, other, 2, { summary: 'A clearer summary.' });
      await publishAmendment(f.ctx, f.actor, f.buyerId, other, 3, 'Summary reworded.');
      t.same((await releasesOf(f, other)).at(-1)?.tags, ['planningUpdate'], stage);
    }
  });

  t.test('a closed one can still be corrected; a draft cannot be amended', async (t) => {
    const other = await published(f, 'open');
    await closeEarly(f.ctx, f.actor, f.buyerId, other, 2, 'Closed early.');
    await saveDraft(f.ctx, f.actor, f.buyerId, other, 3, { contactPhone: '0121 000 0000' });
    await publishAmendment(f.ctx, f.actor, f.buyerId, other, 4, 'Phone number added.');
    t.same((await releasesOf(f, other)).at(-1)?.tags, ['tenderAmendment']);
    t.equal((await staff(f, other)).opportunity.stage, 'closed', 'still closed');

    const draft = await readyDraft(f);
    await refused(t, f, draft.id, () => publishAmendment(f.ctx, f.actor, f.buyerId, draft.id, 1, 'Early'), /not been published yet/);
  });

  t.test('an amendment that would make the record unfit is refused', async (t) => {
    const other = await published(f, 'open');
    await saveDraft(f.ctx, f.actor, f.buyerId, other, 2, { summary: '' });
    const error = await caught(publishAmendment(f.ctx, f.actor, f.buyerId, other, 3, 'Summary removed.'));
    t.type(error, NotReadyError);
    t.equal((await releasesOf(f, other)).length, 1);
  });
});

t.test('closeEarly: only when open', async (t) => {
  const f = await setup(t);
  const pipeline = await published(f, 'pipeline');
  await refused(t, f, pipeline, () => closeEarly(f.ctx, f.actor, f.buyerId, pipeline, 2, 'No'), /Only an opportunity that is open for bids can be closed/, 'pipeline');
  const draft = await readyDraft(f);
  await refused(t, f, draft.id, () => closeEarly(f.ctx, f.actor, f.buyerId, draft.id, 1, 'No'), /not been published yet/, 'a draft');

  const id = await published(f, 'open');
  f.advance(DAY);
  await closeEarly(f.ctx, f.actor, f.buyerId, id, 2, '  Enough bids received.  ');
  const row = (await staff(f, id)).opportunity;
  t.same([row.status, row.stage], ['published', 'closed']);
  const latest = (await releasesOf(f, id)).at(-1);
  t.same([latest?.tags, latest?.stage, latest?.changeNote], [['tenderUpdate'], 'closed', 'Enough bids received.']);
  t.equal((await auditsOf(f, id)).at(-1)?.action, 'opportunity.closed_early');
  await refused(t, f, id, () => closeEarly(f.ctx, f.actor, f.buyerId, id, 3, 'Again'), /this one is closed for bids/, 'closing twice');

  const blank = await published(f, 'open');
  await closeEarly(f.ctx, f.actor, f.buyerId, blank, 2, '  ');
  t.ok((await releasesOf(f, blank)).at(-1)?.changeNote, 'a blank reason still leaves a public note');
});

t.test('cancel: with a reason, not once awarded; a cancelled one refuses everything', async (t) => {
  const f = await setup(t);
  const draft = await readyDraft(f);
  await refused(t, f, draft.id, () => cancel(f.ctx, f.actor, f.buyerId, draft.id, 1, 'Budget cut'), /not been published yet/, 'a draft');

  const id = await published(f, 'open');
  await refused(t, f, id, () => cancel(f.ctx, f.actor, f.buyerId, id, 2, '  '), /Give the reason/, 'a blank reason');
  f.advance(DAY);
  await cancel(f.ctx, f.actor, f.buyerId, id, 2, '  The budget was withdrawn.  ');
  const row = (await staff(f, id)).opportunity;
  t.same([row.status, row.stage, row.cancellationReason], ['cancelled', 'open', 'The budget was withdrawn.']);
  const latest = (await releasesOf(f, id)).at(-1);
  t.same([latest?.tags, latest?.stage, latest?.cancelled, latest?.changeNote], [['tenderCancellation'], 'open', true, 'Cancelled: The budget was withdrawn.']);
  t.equal((latest?.snapshot as PublicOpportunity).cancellationReason, 'The budget was withdrawn.');
  const [document] = await f.database.db.select().from(searchDocuments).where(eq(searchDocuments.opportunityId, id));
  t.equal(document?.cancelled, true);
  const audit = (await auditsOf(f, id)).at(-1);
  t.equal(audit?.action, 'opportunity.cancelled');
  t.same(audit?.before, { cancelled: false, cancellationReason: null });

  const v = await versionOf(f, id);
  await refused(t, f, id, () => saveDraft(f.ctx, f.actor, f.buyerId, id, v, { title: 'Revived' }), /cancelled/, 'saveDraft');
  await refused(t, f, id, () => saveLots(f.ctx, f.actor, f.buyerId, id, v, []), /cancelled/, 'saveLots');
  await refused(t, f, id, () => publishNow(f.ctx, f.actor, f.buyerId, id, v), /./, 'publishNow');
  await refused(t, f, id, () => schedule(f.ctx, f.actor, f.buyerId, id, v, new Date(f.clock.now.getTime() + DAY)), /./, 'schedule');
  await refused(t, f, id, () => publishAmendment(f.ctx, f.actor, f.buyerId, id, v, 'Back'), /cancelled/, 'publishAmendment');
  await refused(t, f, id, () => closeEarly(f.ctx, f.actor, f.buyerId, id, v, 'Close'), /cancelled/, 'closeEarly');
  await refused(t, f, id, () => moveStage(f.ctx, f.actor, f.buyerId, id, v, 'open', null), /cancelled/, 'moveStage');
  await refused(t, f, id, () => cancel(f.ctx, f.actor, f.buyerId, id, v, 'Again'), /cancelled/, 'cancel');
  await refused(t, f, id, () => award(f.ctx, f.actor, f.buyerId, id, v, awardInput()), /cancelled/, 'award');

  t.test('an awarded one cannot be cancelled', async (t) => {
    const direct = await published(f, 'open', { procedure: 'direct_award' });
    await award(f.ctx, f.actor, f.buyerId, direct, 2, awardInput({ awardedOn: '2027-03-02' }));
    await refused(t, f, direct, () => cancel(f.ctx, f.actor, f.buyerId, direct, 3, 'Changed our minds'), /has been awarded/);
  });
});

// ---- Awards --------------------------------------------------------------------------------------

t.test('award per lot: refusals, supplier snapshots, stage and releases', async (t) => {
  const f = await setup(t);
  const draft = await readyDraft(f, 'open');
  const [lotOne, lotTwo] = await saveLots(f.ctx, f.actor, f.buyerId, draft.id, 1, [
    { title: 'North parks', description: '', valuePence: 2_000_000 },
    { title: 'South parks', description: '', valuePence: 3_000_000 },
  ]);
  await publishNow(f.ctx, f.actor, f.buyerId, draft.id, 2);
  const id = draft.id;
  const registered = await createSupplier(f, { charityNumber: '1234567' });

  await refused(t, f, id, () => award(f.ctx, f.actor, f.buyerId, id, 3, awardInput({ lotId: lotOne!.id })), /Bids are still open/, 'bids open and the deadline in the future');

  // The deadline passes; the closing job has not run yet, so it is still open.
  f.advance(31 * DAY);
  t.equal((await staff(f, id)).opportunity.stage, 'open');
  const today = '2027-04-01';
  await refused(t, f, id, () => award(f.ctx, f.actor, f.buyerId, id, 3, awardInput({ lotId: null, awardedOn: today })), /Choose which lot/, 'a lot is required when there are lots');
  await refused(t, f, id, () => award(f.ctx, f.actor, f.buyerId, id, 3, awardInput({ lotId: 987_654, awardedOn: today })), /Choose which lot/, 'a lot of another opportunity');
  await refused(t, f, id, () => award(f.ctx, f.actor, f.buyerId, id, 3, awardInput({ lotId: lotOne!.id, awardedOn: today, suppliers: [] })), /at least one supplier/, 'no suppliers');
  await refused(
    t,
    f,
    id,
    () => award(f.ctx, f.actor, f.buyerId, id, 3, awardInput({ lotId: lotOne!.id, awardedOn: today, suppliers: [{ kind: 'registered', supplierId: registered.id, valuePence: null }, { kind: 'registered', supplierId: registered.id, valuePence: null }] })),
    /same supplier has been added twice/,
    'the same registered supplier twice',
  );
  await refused(t, f, id, () => award(f.ctx, f.actor, f.buyerId, id, 3, awardInput({ lotId: lotOne!.id, awardedOn: '2027-04-02' })), /cannot be in the future/, 'an award date in the future');
  await refused(
    t,
    f,
    id,
    () => award(f.ctx, f.actor, f.buyerId, id, 3, awardInput({ lotId: lotOne!.id, awardedOn: today, suppliers: [{ kind: 'registered', supplierId: 987_654, valuePence: null }] })),
    /no longer exists/,
    'a supplier that does not exist',
  );
  await refused(t, f, id, () => award(f.ctx, f.actor, f.buyerId, id, 3, awardInput({ lotId: lotOne!.id, awardedOn: today, contractStart: '2027-05-01', contractEnd: '2027-04-30' })), /contract end date must be after/, 'contract end before start');
  t.type(await caught(award(f.ctx, f.actor, f.otherBuyerId, id, 3, awardInput({ lotId: lotOne!.id, awardedOn: today }))), OpportunityNotFoundError, 'another organisation');
  t.type(await caught(award(f.ctx, f.actor, f.buyerId, id, 2, awardInput({ lotId: lotOne!.id, awardedOn: today }))), EditConflictError, 'a stale version');

  const first = await award(f.ctx, f.actor, f.buyerId, id, 3, awardInput({
    lotId: lotOne!.id,
    awardedOn: today,
    valuePence: 2_500_000,
    suppliers: [
      { kind: 'registered', supplierId: registered.id, valuePence: 1_500_000 },
      { kind: 'named', name: 'Hedges and Co Ltd', companiesHouseNumber: '07654321', charityNumber: null, postcode: 'B69 3DE', size: 'micro', vcse: false, valuePence: 1_000_000 },
      { kind: 'named', name: 'Faraway Landscapes', companiesHouseNumber: null, charityNumber: null, postcode: 'WV1 1AA', size: 'large', vcse: false, valuePence: null },
      { kind: 'named', name: 'Typed Lower Case Ltd', companiesHouseNumber: null, charityNumber: null, postcode: 'b66 1aa', size: null, vcse: true, valuePence: null },
    ],
  }));
  t.equal(first.releaseId, `${TEST_OCID_PREFIX}-${id}-2`);
  const snapshots = await f.database.db.select().from(awardSuppliers).where(eq(awardSuppliers.awardId, first.awardId)).orderBy(asc(awardSuppliers.id));
  t.same(
    snapshots.map((s) => [s.supplierId, s.name, s.companiesHouseNumber, s.charityNumber, s.postcode, s.size, s.local, s.vcse, s.valuePence]),
    [
      [registered.id, 'Green Spaces CIC', '12345678', '1234567', 'B66 1AA', 'small', true, true, 1_500_000],
      [null, 'Hedges and Co Ltd', '07654321', null, 'B69 3DE', 'micro', true, false, 1_000_000],
      [null, 'Faraway Landscapes', null, null, 'WV1 1AA', 'large', false, false, null],
      [null, 'Typed Lower Case Ltd', null, null, 'B66 1AA', null, true, true, null],
    ],
    'registered: copied from the profile; named: local from the postcode district',
  );

  let row = await staff(f, id);
  t.equal(row.opportunity.stage, 'awarded');
  t.same(row.awards.map((a) => [a.lotId, a.awardedOn, a.valuePence, a.contractStart, a.contractEnd]), [[lotOne!.id, today, 2_500_000, '2027-04-01', '2028-03-31']]);
  let latest = (await releasesOf(f, id)).at(-1);
  t.same([latest?.tags, latest?.stage], [['award', 'contract'], 'awarded']);
  t.equal(latest?.changeNote, 'Lot 1 awarded to Green Spaces CIC, Hedges and Co Ltd, Faraway Landscapes and Typed Lower Case Ltd.');
  const publicAward = (latest?.snapshot as PublicOpportunity).awards[0];
  t.same([publicAward?.lotNumber, publicAward?.lotTitle, publicAward?.suppliers.length], [1, 'North parks', 4]);
  const actions = (await auditsOf(f, id)).map((a) => a.action).slice(-2);
  t.same(actions, ['opportunity.awarded', 'opportunity.award_added']);

  // The supplier changes later: the award keeps what it was at award.
  await f.database.db.update(suppliers).set({ name: 'Renamed Ltd', local: false, vcse: false, size: 'medium' }).where(eq(suppliers.id, registered.id));
  const [kept] = await f.database.db.select().from(awardSuppliers).where(and(eq(awardSuppliers.awardId, first.awardId), eq(awardSuppliers.supplierId, registered.id)));
  t.same([kept?.name, kept?.local, kept?.vcse, kept?.size], ['Green Spaces CIC', true, true, 'small']);

  const v = await versionOf(f, id);
  await refused(t, f, id, () => award(f.ctx, f.actor, f.buyerId, id, v, awardInput({ lotId: lotOne!.id, awardedOn: today })), /Lot 1 has already been awarded/, 'the same lot twice');

  await award(f.ctx, f.actor, f.buyerId, id, v, awardInput({ lotId: lotTwo!.id, awardedOn: today, suppliers: [{ kind: 'registered', supplierId: registered.id, valuePence: null }] }));
  row = await staff(f, id);
  t.equal(row.opportunity.stage, 'awarded', 'a second lot’s award keeps the stage awarded');
  t.equal(row.awards.length, 2);
  t.equal(row.awards[1]?.suppliers[0]?.name, 'Renamed Ltd', 'the second award snapshots the supplier as it is now');
  latest = (await releasesOf(f, id)).at(-1);
  t.same([latest?.tags, latest?.stage, latest?.changeNote], [['award', 'contract'], 'awarded', 'Lot 2 awarded to Renamed Ltd.']);
  t.equal((latest?.snapshot as PublicOpportunity).awards.length, 2);
});

t.test('award of a whole contract: when it may be made', async (t) => {
  const f = await setup(t);
  const draft = await readyDraft(f, 'pipeline');
  await refused(t, f, draft.id, () => award(f.ctx, f.actor, f.buyerId, draft.id, 1, awardInput()), /not been published yet/, 'a draft');

  const pipeline = await published(f, 'pipeline');
  await refused(t, f, pipeline, () => award(f.ctx, f.actor, f.buyerId, pipeline, 2, awardInput()), /in the pipeline cannot be awarded yet/, 'pipeline, not a direct award');

  const closed = await published(f, 'open');
  await closeEarly(f.ctx, f.actor, f.buyerId, closed, 2, 'Closed.');
  await refused(t, f, closed, () => award(f.ctx, f.actor, f.buyerId, closed, 3, awardInput({ lotId: 1 })), /has no lots/, 'a lot for one without lots');
  await award(f.ctx, f.actor, f.buyerId, closed, 3, awardInput());
  t.equal((await staff(f, closed)).opportunity.stage, 'awarded');
  t.equal((await releasesOf(f, closed)).at(-1)?.changeNote, 'Awarded to Hedges and Co Ltd.');
  await refused(t, f, closed, () => award(f.ctx, f.actor, f.buyerId, closed, 4, awardInput()), /already been awarded/, 'twice');
  t.equal(await hasUnpublishedChanges(f.database.db, TEST_OCID_PREFIX, closed), false, 'the award is published with its release');
  await saveDraft(f.ctx, f.actor, f.buyerId, closed, 4, { contactName: 'Contracts team' });
  await publishAmendment(f.ctx, f.actor, f.buyerId, closed, 5, 'Contact updated.');
  t.same((await releasesOf(f, closed)).at(-1)?.tags, ['awardUpdate'], 'an amendment after award is an award update');
  t.equal((await staff(f, closed)).opportunity.stage, 'awarded');
  await refused(t, f, closed, () => saveLots(f.ctx, f.actor, f.buyerId, closed, 6, [{ title: 'Late lot', description: '', valuePence: null }]), /whole contract has been awarded/, 'lots added after');

  t.test('a direct award may be made from any published stage', async (t) => {
    for (const stage of ['pipeline', 'planned', 'open'] as const) {
      const direct = await published(f, stage, { procedure: 'direct_award' });
      await award(f.ctx, f.actor, f.buyerId, direct, 2, awardInput());
      t.equal((await staff(f, direct)).opportunity.stage, 'awarded', stage);
      t.same((await releasesOf(f, direct)).at(-1)?.tags, ['award', 'contract']);
    }
  });

  t.test('the award date is compared with the London date', async (t) => {
    // 23:30 UTC on 30 June is already 1 July in London (BST).
    const direct = await published(f, 'open', { procedure: 'direct_award' });
    f.clock.now = new Date('2027-06-30T23:30:00Z');
    await award(f.ctx, f.actor, f.buyerId, direct, 2, awardInput({ awardedOn: '2027-07-01' }));
    t.equal((await staff(f, direct)).awards[0]?.awardedOn, '2027-07-01');
  });
});
