/**
 * What officers do to an opportunity, each in one transaction that locks the working copy, checks
 * the version the officer saw (optimistic concurrency: a stale version is an EditConflictError and
 * changes nothing), checks the transition is legal, writes the change, and records an audit entry
 * with before and after. Changes the public sees also write a release (releases.ts), which
 * rewrites the search document in the same transaction.
 *
 *   draft ──schedule──> scheduled ──(queue at publish time)──> published
 *     │  <──unschedule──┘                                        │
 *     └────────────publish now───────────────────────────────────┘
 *   published: pipeline → planned → open → closed (deadline, or close early) → awarded
 *              any stage but awarded → cancelled (with a public reason)
 *              amend: publish the working copy's changes with a public change note
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import { londonDate } from '../../lib/london-time.js';
import { recordAudit } from '../audit/audit.repository.js';
import { normaliseUkPostcode } from '../buyers/postcode.js';
import { isLocalPostcode } from '../suppliers/identifiers.js';
import { suppliers } from '../suppliers/suppliers.table.js';
import { EditConflictError, IllegalTransitionError, NotReadyError, OpportunityNotFoundError } from './opportunities.errors.js';
import { PUBLISHABLE_STAGES, readinessProblems, type LotRecord, type OpportunityRecord } from './opportunities.rules.js';
import { buildCurrentSnapshot, tagsForStage, writeRelease } from './releases.js';
import { awards, awardSuppliers, lots, opportunities, releases, type NoticeStage, type ReleaseTag } from './opportunities.table.js';
import { shippedThresholds, type Thresholds } from './thresholds.js';
import type { PublicAwardSupplier, PublicOpportunity } from './opportunities.snapshot.js';

export interface PublishingContext {
  db: Db;
  ocidPrefix: string;
  thresholds: Thresholds;
  localPostcodeDistricts: readonly string[];
  /** The clock; tests move it. */
  now?: () => Date;
}

export interface StaffActor {
  userId: number;
  name: string;
  requestId?: string | null;
}

/** A supplier on an award as stored: the public snapshot, with its row id. */
export interface StaffAwardSupplier extends PublicAwardSupplier {
  id: number;
}

export interface StaffAward {
  id: number;
  lotId: number | null;
  awardedOn: string;
  valuePence: number | null;
  contractStart: string | null;
  contractEnd: string | null;
  socialValueCommitments: string | null;
  suppliers: StaffAwardSupplier[];
}

/** The working copy as staff see it, with its lots and awards. */
export interface StaffOpportunity {
  opportunity: OpportunityRecord;
  lots: LotRecord[];
  awards: StaffAward[];
}

/** The fields the drafting steps change (never status, stage after publishing, buyer or version). */
export type DraftFields = Partial<
  Omit<typeof opportunities.$inferInsert, 'id' | 'buyerId' | 'version' | 'status' | 'firstPublishedAt' | 'createdBy' | 'createdAt' | 'updatedAt' | 'source' | 'sourceId' | 'cancellationReason'>
>;

export interface LotInput {
  title: string;
  description: string;
  valuePence: number | null;
}

/** A supplier on an award: one registered on the portal, or one named by the officer. */
export type AwardSupplierInput =
  | { kind: 'registered'; supplierId: number; valuePence: number | null }
  | { kind: 'named'; name: string; companiesHouseNumber: string | null; charityNumber: string | null; postcode: string | null; size: string | null; vcse: boolean; valuePence: number | null };

export interface AwardInput {
  /** The lot awarded; null for an opportunity without lots. */
  lotId: number | null;
  awardedOn: string;
  valuePence: number | null;
  contractStart: string | null;
  contractEnd: string | null;
  socialValueCommitments: string | null;
  suppliers: AwardSupplierInput[];
}

const STAGE_WORDS: Record<NoticeStage, string> = {
  pipeline: 'in the pipeline',
  planned: 'planned',
  open: 'open for bids',
  closed: 'closed for bids',
  awarded: 'awarded',
};

const now = (ctx: PublishingContext) => (ctx.now ? ctx.now() : new Date());

// ---- Reading -----------------------------------------------------------------------------------

/** The opportunity with its lots and awards, only if it belongs to `buyerId`. */
export async function findStaffOpportunity(db: DbOrTx, buyerId: number, id: number, options: { forUpdate?: boolean } = {}): Promise<StaffOpportunity | null> {
  const query = db.select().from(opportunities).where(and(eq(opportunities.id, id), eq(opportunities.buyerId, buyerId)));
  const [opportunity] = options.forUpdate ? await query.for('update') : await query;
  if (!opportunity) return null;
  const lotRows = await db
    .select({ id: lots.id, position: lots.position, title: lots.title, description: lots.description, valuePence: lots.valuePence })
    .from(lots)
    .where(eq(lots.opportunityId, id))
    .orderBy(asc(lots.position));
  const awardRows = await db.select().from(awards).where(eq(awards.opportunityId, id)).orderBy(asc(awards.id));
  const supplierRows = awardRows.length
    ? await db.select().from(awardSuppliers).where(inArray(awardSuppliers.awardId, awardRows.map((a) => a.id))).orderBy(asc(awardSuppliers.id))
    : [];
  return {
    opportunity,
    lots: lotRows,
    awards: awardRows.map((a) => ({
      id: a.id,
      lotId: a.lotId,
      awardedOn: a.awardedOn,
      valuePence: a.valuePence,
      contractStart: a.contractStart,
      contractEnd: a.contractEnd,
      socialValueCommitments: a.socialValueCommitments,
      suppliers: supplierRows
        .filter((s) => s.awardId === a.id)
        .map(({ awardId: _awardId, ...s }) => s),
    })),
  };
}

/** When the opportunity was first published in the planned stage (a planned procurement notice), if ever. */
export async function plannedNoticeDate(db: DbOrTx, opportunityId: number): Promise<Date | null> {
  const [row] = await db
    .select({ at: sql<Date | null>`min(${releases.publishedAt})` })
    .from(releases)
    .where(and(eq(releases.opportunityId, opportunityId), eq(releases.stage, 'planned'), eq(releases.cancelled, false)));
  return row?.at ? new Date(row.at) : null;
}

/**
 * Whether the working copy differs from what the public sees: the snapshot it would publish now
 * against the latest release's, ignoring the publication time. Null when nothing is published.
 */
export async function hasUnpublishedChanges(db: DbOrTx, ocidPrefix: string, opportunityId: number): Promise<boolean | null> {
  const [latest] = await db.select({ snapshot: releases.snapshot, publishedAt: releases.publishedAt }).from(releases).where(and(eq(releases.opportunityId, opportunityId), eq(releases.isLatest, true)));
  if (!latest) return null;
  const current = await buildCurrentSnapshot(db, ocidPrefix, opportunityId, latest.publishedAt);
  return comparable(current) !== comparable(latest.snapshot as PublicOpportunity);
}

/** A snapshot as JSON with keys sorted, so that two snapshots compare by content alone. */
function comparable(snapshot: PublicOpportunity): string {
  return JSON.stringify(snapshot, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))) : value,
  );
}

// ---- The transaction every change runs in -------------------------------------------------------

interface Locked {
  tx: DbOrTx;
  current: StaffOpportunity;
  at: Date;
}

/**
 * Locks the opportunity (only within `buyerId`), checks the version the officer saw, runs `change`,
 * then bumps the version. A missing or foreign opportunity is not found; a stale version is a
 * conflict and nothing is written.
 */
async function withOpportunity<T>(ctx: PublishingContext, buyerId: number, id: number, version: number, change: (locked: Locked) => Promise<T>): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    const current = await findStaffOpportunity(tx, buyerId, id, { forUpdate: true });
    if (!current) throw new OpportunityNotFoundError();
    if (current.opportunity.version !== version) throw new EditConflictError(current, version);
    const result = await change({ tx, current, at: now(ctx) });
    await tx
      .update(opportunities)
      .set({ version: sql`${opportunities.version} + 1`, updatedAt: now(ctx) })
      .where(eq(opportunities.id, id));
    return result;
  });
}

function audit(tx: DbOrTx, actor: StaffActor, buyerId: number, id: number, action: string, before: unknown, after: unknown) {
  return recordAudit(tx, {
    actorUserId: actor.userId,
    actorLabel: actor.name,
    buyerId,
    entityType: 'opportunity',
    entityId: id,
    action,
    before,
    after,
    requestId: actor.requestId ?? null,
  });
}

/** Writes the next release of opportunity `id` as published by `actor` at `at` (see releases.ts). */
function release(tx: DbOrTx, ctx: PublishingContext, actor: StaffActor, id: number, at: Date, what: { tags: ReleaseTag[]; changeNote?: string; action: string }) {
  return writeRelease(tx, { ocidPrefix: ctx.ocidPrefix, opportunityId: id, ...what, publishedAt: at, actor: { userId: actor.userId, label: actor.name }, requestId: actor.requestId ?? null });
}

function refuse(message: string): never {
  throw new IllegalTransitionError(message);
}

function notPublishedRefusal(o: OpportunityRecord, doing: string): string | null {
  if (o.status === 'cancelled') return `This opportunity has been cancelled, so you cannot ${doing}.`;
  if (o.status !== 'published') return `This opportunity has not been published yet, so you cannot ${doing}. Publish it first.`;
  return null;
}

function refuseIf(refusal: string | null): void {
  if (refusal) refuse(refusal);
}

/*
 * Why each action cannot be taken from the opportunity's current state, or null when it can.
 * The actions below refuse with these messages, and the pages use them to offer only the actions
 * that make sense (and to explain a refusal before anything is typed).
 */

export function publishRefusal(o: OpportunityRecord): string | null {
  if (o.status === 'draft' || o.status === 'scheduled') return null;
  return o.status === 'cancelled' ? 'This opportunity has been cancelled: it can no longer be published.' : 'This opportunity has already been published.';
}

export function unscheduleRefusal(o: OpportunityRecord): string | null {
  return o.status === 'scheduled' ? null : 'This opportunity is not scheduled.';
}

export function stageRefusal(o: OpportunityRecord, to?: NoticeStage): string | null {
  const notPublished = notPublishedRefusal(o, 'move it to another stage');
  if (notPublished) return notPublished;
  const allowed = nextStages(o.stage);
  if (allowed.length > 0 && (to === undefined || allowed.includes(to))) return null;
  const closing = o.stage === 'open' ? ' It closes at the deadline for bids, or when you close it early.' : '';
  return to === undefined || allowed.length === 0
    ? `An opportunity that is ${STAGE_WORDS[o.stage]} cannot be moved to another stage.${closing}`
    : `An opportunity that is ${STAGE_WORDS[o.stage]} cannot be moved to “${to}”.${closing}`;
}

export function amendRefusal(o: OpportunityRecord): string | null {
  return notPublishedRefusal(o, 'publish changes to it');
}

export function closeRefusal(o: OpportunityRecord): string | null {
  return notPublishedRefusal(o, 'close it') ?? (o.stage === 'open' ? null : `Only an opportunity that is open for bids can be closed: this one is ${STAGE_WORDS[o.stage]}.`);
}

export function cancelRefusal(o: OpportunityRecord): string | null {
  return notPublishedRefusal(o, 'cancel it') ?? (o.stage === 'awarded' ? 'This contract has been awarded, so the opportunity cannot be cancelled.' : null);
}

function requirePublishableStage(stage: NoticeStage | undefined): void {
  if (stage !== undefined && !(PUBLISHABLE_STAGES as readonly string[]).includes(stage)) refuse('A new opportunity can be published in the pipeline, planned or open stage only.');
}

function requireReady(current: StaffOpportunity, stage: NoticeStage, ctx: PublishingContext, at: Date): void {
  const problems = readinessProblems(current.opportunity, current.lots, stage, ctx.thresholds, at);
  if (problems.length) throw new NotReadyError(problems);
}

// ---- Drafting ----------------------------------------------------------------------------------

/** Starts a draft with the first step's fields. */
export async function createDraft(ctx: PublishingContext, actor: StaffActor, buyerId: number, fields: DraftFields & { title: string; mainCategory: OpportunityRecord['mainCategory'] }): Promise<OpportunityRecord> {
  requirePublishableStage(fields.stage);
  return ctx.db.transaction(async (tx) => {
    const [created] = await tx
      .insert(opportunities)
      .values({ ...fields, buyerId, status: 'draft', createdBy: actor.userId, createdAt: now(ctx), updatedAt: now(ctx) })
      .returning();
    if (!created) throw new Error('insert returned nothing');
    await audit(tx, actor, buyerId, created.id, 'opportunity.created', null, fields);
    return created;
  });
}

/**
 * Saves some fields of the working copy. Allowed until the opportunity is cancelled; once
 * published, the public sees the change only when it is published as an amendment. The stage can
 * be chosen here only before publishing.
 */
export async function saveDraft(ctx: PublishingContext, actor: StaffActor, buyerId: number, id: number, version: number, fields: DraftFields): Promise<OpportunityRecord> {
  return withOpportunity(ctx, buyerId, id, version, async ({ tx, current, at }) => {
    const o = current.opportunity;
    if (o.status === 'cancelled') refuse('This opportunity has been cancelled: it can no longer be changed.');
    if (fields.stage !== undefined && fields.stage !== o.stage) {
      if (o.status === 'published') refuse('The stage of a published opportunity changes through “Move to the next stage”, not by editing.');
      requirePublishableStage(fields.stage);
    }
    // A field given as undefined is not being changed (the update leaves it alone too).
    const given = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as DraftFields;
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(given)) {
      const old = (o as Record<string, unknown>)[key];
      if (JSON.stringify(old) !== JSON.stringify(value instanceof Date ? value.toISOString() : value)) {
        before[key] = old;
        after[key] = value;
      }
    }
    // An update needs at least one column: with nothing given, only the version moves on.
    const [saved] = await tx.update(opportunities).set({ ...given, updatedAt: at }).where(eq(opportunities.id, id)).returning();
    if (Object.keys(after).length) await audit(tx, actor, buyerId, id, 'opportunity.edited', before, after);
    return { ...saved!, version: saved!.version + 1 };
  });
}

/** Replaces the lots with `input` in order; a lot that has been awarded cannot be removed or renumbered. */
export async function saveLots(ctx: PublishingContext, actor: StaffActor, buyerId: number, id: number, version: number, input: (LotInput & { id?: number | null })[]): Promise<LotRecord[]> {
  return withOpportunity(ctx, buyerId, id, version, async ({ tx, current }) => {
    if (current.opportunity.status === 'cancelled') refuse('This opportunity has been cancelled: it can no longer be changed.');
    const awardedLots = new Set(current.awards.map((a) => a.lotId).filter((l): l is number => l !== null));
    const keptIds = new Set(input.map((l) => l.id).filter((l): l is number => typeof l === 'number'));
    for (const lot of current.lots) {
      const newPosition = input.findIndex((l) => l.id === lot.id) + 1;
      if (awardedLots.has(lot.id) && (!keptIds.has(lot.id) || newPosition !== lot.position)) refuse(`Lot ${lot.position} has been awarded: it cannot be removed or moved.`);
    }
    for (const l of input) if (l.id && !current.lots.some((c) => c.id === l.id)) refuse('One of the lots sent does not belong to this opportunity.');
    if (keptIds.size !== input.filter((l) => typeof l.id === 'number').length) refuse('The same lot was sent more than once. Reload the page and try again.');
    if (current.awards.some((a) => a.lotId === null) && input.length > 0) refuse('The whole contract has been awarded: lots cannot be added now.');

    const removed = current.lots.filter((l) => !keptIds.has(l.id));
    if (removed.length) await tx.delete(lots).where(inArray(lots.id, removed.map((l) => l.id)));
    // Positions are unique per opportunity: move the kept ones out of the way before renumbering.
    await tx.update(lots).set({ position: sql`-${lots.position}` }).where(eq(lots.opportunityId, id));
    const saved: LotRecord[] = [];
    for (const [index, lot] of input.entries()) {
      const values = { position: index + 1, title: lot.title, description: lot.description, valuePence: lot.valuePence };
      const [row] = lot.id
        ? await tx.update(lots).set(values).where(and(eq(lots.id, lot.id), eq(lots.opportunityId, id))).returning()
        : await tx.insert(lots).values({ ...values, opportunityId: id }).returning();
      saved.push({ id: row!.id, position: row!.position, title: row!.title, description: row!.description, valuePence: row!.valuePence });
    }
    await audit(tx, actor, buyerId, id, 'opportunity.lots_changed', current.lots, saved);
    return saved;
  });
}

// ---- Publishing --------------------------------------------------------------------------------

/** Publishes a draft or scheduled opportunity now, in its chosen stage. */
export async function publishNow(ctx: PublishingContext, actor: StaffActor, buyerId: number, id: number, version: number): Promise<{ releaseId: string }> {
  return withOpportunity(ctx, buyerId, id, version, async ({ tx, current, at }) => {
    const o = current.opportunity;
    refuseIf(publishRefusal(o));
    requirePublishableStage(o.stage);
    requireReady(current, o.stage, ctx, at);
    await tx.update(opportunities).set({ status: 'published', publishAt: null, firstPublishedAt: o.firstPublishedAt ?? at }).where(eq(opportunities.id, id));
    const { releaseId } = await release(tx, ctx, actor, id, at, { tags: tagsForStage(o.stage, false), action: 'opportunity.published' });
    return { releaseId };
  });
}

/** Schedules a draft (or moves a scheduled one) to be published by the queue at `publishAt`. */
export async function schedule(ctx: PublishingContext, actor: StaffActor, buyerId: number, id: number, version: number, publishAt: Date): Promise<void> {
  await withOpportunity(ctx, buyerId, id, version, async ({ tx, current, at }) => {
    const o = current.opportunity;
    refuseIf(publishRefusal(o));
    if (publishAt <= at) refuse('The time to publish must be in the future. To publish straight away, choose “Publish now”.');
    requirePublishableStage(o.stage);
    requireReady(current, o.stage, ctx, publishAt);
    await tx.update(opportunities).set({ status: 'scheduled', publishAt }).where(eq(opportunities.id, id));
    await audit(tx, actor, buyerId, id, 'opportunity.scheduled', { status: o.status, publishAt: o.publishAt }, { status: 'scheduled', publishAt });
  });
}

/** Takes a scheduled opportunity back to draft: nothing will be published. */
export async function unschedule(ctx: PublishingContext, actor: StaffActor, buyerId: number, id: number, version: number): Promise<void> {
  await withOpportunity(ctx, buyerId, id, version, async ({ tx, current }) => {
    const o = current.opportunity;
    refuseIf(unscheduleRefusal(o));
    await tx.update(opportunities).set({ status: 'draft', publishAt: null }).where(eq(opportunities.id, id));
    await audit(tx, actor, buyerId, id, 'opportunity.unscheduled', { status: 'scheduled', publishAt: o.publishAt }, { status: 'draft' });
  });
}

/** The stages a published opportunity may move to from `stage` by an officer (closing and awarding have their own actions). */
export function nextStages(stage: NoticeStage): NoticeStage[] {
  if (stage === 'pipeline') return ['planned', 'open'];
  if (stage === 'planned') return ['open'];
  return [];
}

/** Moves a published opportunity forward: pipeline → planned → open. Publishes the working copy as it is. */
export async function moveStage(ctx: PublishingContext, actor: StaffActor, buyerId: number, id: number, version: number, to: NoticeStage, changeNote: string | null): Promise<{ releaseId: string }> {
  return withOpportunity(ctx, buyerId, id, version, async ({ tx, current, at }) => {
    const o = current.opportunity;
    refuseIf(stageRefusal(o, to));
    await tx.update(opportunities).set({ stage: to }).where(eq(opportunities.id, id));
    requireReady({ ...current, opportunity: { ...o, stage: to } }, to, ctx, at);
    const { releaseId } = await release(tx, ctx, actor, id, at, { tags: tagsForStage(to, false), changeNote: changeNote?.trim() || (to === 'open' ? 'Now open for bids.' : 'Moved to planned: the buyer wants to hear from suppliers.'), action: 'opportunity.stage_changed' });
    return { releaseId };
  });
}

function amendmentTags(stage: NoticeStage): ReleaseTag[] {
  if (stage === 'pipeline' || stage === 'planned') return ['planningUpdate'];
  if (stage === 'awarded') return ['awardUpdate'];
  return ['tenderAmendment'];
}

/** Publishes the working copy's changes to a published opportunity, with a public note of what changed. */
export async function publishAmendment(ctx: PublishingContext, actor: StaffActor, buyerId: number, id: number, version: number, changeNote: string): Promise<{ releaseId: string }> {
  return withOpportunity(ctx, buyerId, id, version, async ({ tx, current, at }) => {
    const o = current.opportunity;
    refuseIf(amendRefusal(o));
    if (!changeNote.trim()) refuse('Say what has changed: the note is shown to the public.');
    if (!(await hasUnpublishedChanges(tx, ctx.ocidPrefix, id))) refuse('Nothing has changed since this opportunity was last published. Edit it first, then publish the changes.');
    // An open one must still make sense to bid on; later stages keep the dates that applied then.
    const problems = readinessProblems(o, current.lots, o.stage, ctx.thresholds, at).filter((p) => o.stage === 'open' || p.field !== 'tenderDeadline');
    if (problems.length) throw new NotReadyError(problems);
    const { releaseId } = await release(tx, ctx, actor, id, at, { tags: amendmentTags(o.stage), changeNote: changeNote.trim(), action: 'opportunity.amended' });
    return { releaseId };
  });
}

/** Closes an open opportunity before its deadline, with a public reason. */
export async function closeEarly(ctx: PublishingContext, actor: StaffActor, buyerId: number, id: number, version: number, changeNote: string): Promise<{ releaseId: string }> {
  return withOpportunity(ctx, buyerId, id, version, async ({ tx, current, at }) => {
    const o = current.opportunity;
    refuseIf(closeRefusal(o));
    await tx.update(opportunities).set({ stage: 'closed' }).where(eq(opportunities.id, id));
    const { releaseId } = await release(tx, ctx, actor, id, at, { tags: tagsForStage('closed', false), changeNote: changeNote.trim() || 'Closed early: the buyer is no longer accepting bids.', action: 'opportunity.closed_early' });
    return { releaseId };
  });
}

/**
 * Cancels a published opportunity (a procurement termination notice), with a public reason. An
 * awarded one cannot be: the contract has been entered into.
 */
export async function cancel(ctx: PublishingContext, actor: StaffActor, buyerId: number, id: number, version: number, reason: string): Promise<{ releaseId: string }> {
  return withOpportunity(ctx, buyerId, id, version, async ({ tx, current, at }) => {
    const o = current.opportunity;
    refuseIf(cancelRefusal(o));
    if (!reason.trim()) refuse('Give the reason for cancelling: it is shown to the public.');
    await tx.update(opportunities).set({ status: 'cancelled', cancellationReason: reason.trim() }).where(eq(opportunities.id, id));
    const { releaseId } = await release(tx, ctx, actor, id, at, { tags: tagsForStage(o.stage, true), changeNote: `Cancelled: ${reason.trim()}`, action: 'opportunity.cancelled' });
    return { releaseId };
  });
}

// ---- Awards ------------------------------------------------------------------------------------

/** Why an award cannot be made now, or null when it can. */
export function awardRefusal(current: StaffOpportunity, lotId: number | null, at: Date): string | null {
  const o = current.opportunity;
  if (o.status === 'cancelled') return 'This opportunity has been cancelled, so it cannot be awarded.';
  if (o.status !== 'published') return 'This opportunity has not been published yet, so it cannot be awarded.';
  const deadlinePassed = o.tenderDeadline !== null && o.tenderDeadline <= at;
  const direct = o.procedure === 'direct_award';
  if (!(o.stage === 'closed' || o.stage === 'awarded' || (o.stage === 'open' && deadlinePassed) || direct)) {
    return o.stage === 'open'
      ? 'Bids are still open. Award the contract after the deadline for bids, or close the opportunity early first.'
      : `An opportunity that is ${STAGE_WORDS[o.stage]} cannot be awarded yet: it must be open for bids first, unless it is a direct award.`;
  }
  if (current.lots.length > 0) {
    const lot = current.lots.find((l) => l.id === lotId);
    if (!lot) return 'Choose which lot you are awarding.';
    if (current.awards.some((a) => a.lotId === lot.id)) return `Lot ${lot.position} has already been awarded.`;
  } else {
    if (lotId !== null) return 'This opportunity has no lots.';
    if (current.awards.length > 0) return 'This contract has already been awarded.';
  }
  return null;
}

/**
 * Awards one lot (or the whole contract) to one or more suppliers. Each supplier is snapshotted
 * as it is now (name, identifiers, postcode, size, local and VCSE status), so the published award
 * survives later changes to the supplier's profile. The opportunity moves to `awarded`.
 */
export async function award(ctx: PublishingContext, actor: StaffActor, buyerId: number, id: number, version: number, input: AwardInput): Promise<{ releaseId: string; awardId: number }> {
  return withOpportunity(ctx, buyerId, id, version, async ({ tx, current, at }) => {
    const refusal = awardRefusal(current, input.lotId, at);
    if (refusal) refuse(refusal);
    if (input.suppliers.length === 0) refuse('Add at least one supplier.');
    if (input.awardedOn > londonDate(at)) refuse('The award date cannot be in the future.');
    if (input.contractStart && input.contractEnd && input.contractEnd <= input.contractStart) refuse('The contract end date must be after the contract start date.');

    const registeredIds = input.suppliers.flatMap((s) => (s.kind === 'registered' ? [s.supplierId] : []));
    if (new Set(registeredIds).size !== registeredIds.length) refuse('The same supplier has been added twice.');
    const registered = registeredIds.length ? await tx.select().from(suppliers).where(inArray(suppliers.id, registeredIds)) : [];
    const snapshots = input.suppliers.map((s) => {
      if (s.kind === 'registered') {
        const row = registered.find((r) => r.id === s.supplierId);
        if (!row) refuse('One of the registered suppliers chosen no longer exists. Choose it again.');
        return { supplierId: row.id, name: row.name, companiesHouseNumber: row.companiesHouseNumber, charityNumber: row.charityNumber, postcode: row.postcode, size: row.size, local: row.local, vcse: row.vcse, valuePence: s.valuePence };
      }
      // Districts are matched on the normalised form ("b661aa" is B66 1AA, in B66).
      const postcode = s.postcode ? (normaliseUkPostcode(s.postcode) ?? s.postcode.trim()) : null;
      return {
        supplierId: null,
        name: s.name,
        companiesHouseNumber: s.companiesHouseNumber,
        charityNumber: s.charityNumber,
        postcode,
        size: s.size,
        local: isLocalPostcode(postcode, ctx.localPostcodeDistricts),
        vcse: s.vcse,
        valuePence: s.valuePence,
      };
    });

    const [created] = await tx
      .insert(awards)
      .values({
        opportunityId: id,
        lotId: input.lotId,
        awardedOn: input.awardedOn,
        valuePence: input.valuePence,
        contractStart: input.contractStart,
        contractEnd: input.contractEnd,
        socialValueCommitments: input.socialValueCommitments,
      })
      .returning({ id: awards.id });
    await tx.insert(awardSuppliers).values(snapshots.map((s) => ({ ...s, awardId: created!.id })));
    const wasStage = current.opportunity.stage;
    if (wasStage !== 'awarded') await tx.update(opportunities).set({ stage: 'awarded' }).where(eq(opportunities.id, id));
    const lot = current.lots.find((l) => l.id === input.lotId);
    const { releaseId } = await release(tx, ctx, actor, id, at, { tags: tagsForStage('awarded', false), changeNote: lot ? `Lot ${lot.position} awarded to ${listNames(snapshots.map((s) => s.name))}.` : `Awarded to ${listNames(snapshots.map((s) => s.name))}.`, action: 'opportunity.awarded' });
    await audit(tx, actor, buyerId, id, 'opportunity.award_added', { stage: wasStage }, { stage: 'awarded', awardId: created!.id, lotId: input.lotId, suppliers: snapshots });
    return { releaseId, awardId: created!.id };
  });
}

function listNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

// ---- Context -----------------------------------------------------------------------------------

/** The context routes and jobs use: the app's database and configuration, the shipped thresholds. */
export function publishingContext(db: Db, config: { ocidPrefix: string; localPostcodeDistricts: readonly string[] }, clock?: () => Date): PublishingContext {
  return { db, ocidPrefix: config.ocidPrefix, thresholds: shippedThresholds(), localPostcodeDistricts: config.localPostcodeDistricts, ...(clock ? { now: clock } : {}) };
}
