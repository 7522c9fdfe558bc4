/**
 * Writing releases: the immutable snapshots the public reads. Every publish, stage change,
 * amendment, closing, award and cancellation calls writeRelease inside its own transaction, which
 * (1) freezes the PublicOpportunity, (2) makes it the latest release, (3) rewrites the search
 * document in the same transaction (the outbox for search indexing) and (4) audits it.
 */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { recordAudit } from '../audit/audit.repository.js';
import { buyerOrganisations } from '../buyers/buyers.table.js';
import { cpvCodes } from '../cpv/cpv.table.js';
import { enqueueSearchIndex } from '../search/indexing.js';
import { searchDocuments } from '../search/search.table.js';
import { buildSnapshot, ocidFor, SEARCH_VECTOR_SQL, searchDocumentFields, type PublicAward, type PublicBuyer, type PublicOpportunity } from './opportunities.snapshot.js';
import { awards, awardSuppliers, lots, opportunities, releases, type NoticeStage, type ReleaseTag } from './opportunities.table.js';

export interface Actor {
  userId?: number | null;
  label: string;
}

export interface WriteReleaseParams {
  ocidPrefix: string;
  opportunityId: number;
  tags: ReleaseTag[];
  changeNote?: string | null;
  publishedAt: Date;
  actor: Actor;
  /** Audit action, e.g. "opportunity.published", "opportunity.closed". */
  action: string;
  requestId?: string | null;
}

/** The OCDS release tag for a change that leaves the opportunity in `stage`. */
export function tagsForStage(stage: NoticeStage, cancelled: boolean): ReleaseTag[] {
  if (cancelled) return ['tenderCancellation'];
  switch (stage) {
    case 'pipeline':
    case 'planned':
      return ['planning'];
    case 'open':
      return ['tender'];
    case 'closed':
      return ['tenderUpdate'];
    case 'awarded':
      return ['award', 'contract'];
  }
}

export function toPublicBuyer(row: typeof buyerOrganisations.$inferSelect): PublicBuyer {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    kind: row.kind,
    identifier: row.identifierScheme && row.identifierId ? { scheme: row.identifierScheme, id: row.identifierId } : null,
    streetAddress: row.streetAddress,
    locality: row.locality,
    postcode: row.postcode,
    contactEmail: row.contactEmail,
    website: row.website,
  };
}

export async function buildCurrentSnapshot(db: DbOrTx, ocidPrefix: string, opportunityId: number, publishedAt: Date): Promise<PublicOpportunity> {
  const [opportunity] = await db.select().from(opportunities).where(eq(opportunities.id, opportunityId));
  if (!opportunity) throw new Error(`opportunity ${opportunityId} does not exist`);
  const [buyer] = await db.select().from(buyerOrganisations).where(eq(buyerOrganisations.id, opportunity.buyerId));
  if (!buyer) throw new Error(`buyer ${opportunity.buyerId} does not exist`);

  const lotRows = await db.select().from(lots).where(eq(lots.opportunityId, opportunityId)).orderBy(asc(lots.position));
  const awardRows = await db.select().from(awards).where(eq(awards.opportunityId, opportunityId)).orderBy(asc(awards.id));
  const supplierRows = awardRows.length
    ? await db.select().from(awardSuppliers).where(inArray(awardSuppliers.awardId, awardRows.map((a) => a.id))).orderBy(asc(awardSuppliers.id))
    : [];
  const cpvRows = opportunity.cpvCodes.length
    ? await db.select().from(cpvCodes).where(inArray(cpvCodes.code, opportunity.cpvCodes))
    : [];

  const lotById = new Map(lotRows.map((l) => [l.id, l]));
  const publicAwards: PublicAward[] = awardRows.map((a) => {
    const lot = a.lotId ? lotById.get(a.lotId) : undefined;
    return {
      id: a.id,
      lotId: a.lotId,
      lotNumber: lot?.position ?? null,
      lotTitle: lot?.title ?? null,
      awardedOn: a.awardedOn,
      valuePence: a.valuePence,
      contractStart: a.contractStart,
      contractEnd: a.contractEnd,
      socialValueCommitments: a.socialValueCommitments,
      suppliers: supplierRows
        .filter((s) => s.awardId === a.id)
        .map((s) => ({
          supplierId: s.supplierId,
          name: s.name,
          companiesHouseNumber: s.companiesHouseNumber,
          charityNumber: s.charityNumber,
          postcode: s.postcode,
          size: s.size,
          local: s.local,
          vcse: s.vcse,
          valuePence: s.valuePence,
        })),
    };
  });

  return buildSnapshot({
    ocidPrefix,
    opportunity,
    buyer: toPublicBuyer(buyer),
    cpvDescriptions: new Map(cpvRows.map((c) => [c.code, c.description])),
    lots: lotRows.map((l) => ({ id: l.id, number: l.position, title: l.title, description: l.description, valuePence: l.valuePence })),
    awards: publicAwards,
    publishedAt,
  });
}

/** Writes the next release of an opportunity and its search document. Call inside a transaction. */
export async function writeRelease(tx: DbOrTx, params: WriteReleaseParams): Promise<{ releaseId: string; sequence: number; snapshot: PublicOpportunity }> {
  const snapshot = await buildCurrentSnapshot(tx, params.ocidPrefix, params.opportunityId, params.publishedAt);
  const [previous] = await tx
    .select({ id: releases.id, sequence: releases.sequence, snapshot: releases.snapshot })
    .from(releases)
    .where(eq(releases.opportunityId, params.opportunityId))
    .orderBy(desc(releases.sequence))
    .limit(1);
  const sequence = (previous?.sequence ?? 0) + 1;
  const ocid = ocidFor(params.ocidPrefix, params.opportunityId);
  const releaseId = `${ocid}-${sequence}`;

  await tx.update(releases).set({ isLatest: false }).where(and(eq(releases.opportunityId, params.opportunityId), eq(releases.isLatest, true)));
  const [release] = await tx
    .insert(releases)
    .values({
      opportunityId: params.opportunityId,
      releaseId,
      ocid,
      sequence,
      tags: params.tags,
      stage: snapshot.stage,
      cancelled: snapshot.cancelled,
      buyerId: snapshot.buyer.id,
      publishedAt: params.publishedAt,
      firstPublishedAt: new Date(snapshot.firstPublishedAt),
      changeNote: params.changeNote ?? null,
      isLatest: true,
      snapshot,
    })
    .returning({ id: releases.id });
  if (!release) throw new Error('release insert returned nothing');

  await upsertSearchDocument(tx, release.id, snapshot);
  // Meilisearch (when configured) is updated by a job enqueued in this same transaction.
  await enqueueSearchIndex(tx, [snapshot.id]);
  await recordAudit(tx, {
    actorUserId: params.actor.userId ?? null,
    actorLabel: params.actor.label,
    buyerId: snapshot.buyer.id,
    entityType: 'opportunity',
    entityId: params.opportunityId,
    action: params.action,
    ...auditChanges(previous?.snapshot as PublicOpportunity | undefined, snapshot, { releaseId, tags: params.tags, changeNote: params.changeNote ?? null }),
    requestId: params.requestId ?? null,
  });
  return { releaseId, sequence, snapshot };
}

/**
 * Before and after for the audit entry: the parts of the public record this release changed
 * (top-level snapshot fields), with the release's id, tags and note beside the new values.
 */
function auditChanges(previous: PublicOpportunity | undefined, next: PublicOpportunity, release: Record<string, unknown>): { before: unknown; after: unknown } {
  if (!previous) return { before: null, after: { ...release, stage: next.stage, cancelled: next.cancelled } };
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = { ...release };
  for (const key of Object.keys(next) as (keyof PublicOpportunity)[]) {
    if (sortedJson(previous[key]) !== sortedJson(next[key])) {
      before[key] = previous[key] ?? null;
      after[key] = next[key];
    }
  }
  return { before, after };
}

/**
 * JSON with object keys sorted, so that values compare by content: the previous snapshot comes
 * back from jsonb, which stores object keys in its own order (shortest first), not in the order
 * they were written.
 */
function sortedJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

async function upsertSearchDocument(tx: DbOrTx, releaseRowId: number, snapshot: PublicOpportunity): Promise<void> {
  const fields = searchDocumentFields(snapshot);
  const updates = {
    ...fields,
    releaseId: releaseRowId,
    tenderDeadline: fields.tenderDeadline ? new Date(fields.tenderDeadline) : null,
    firstPublishedAt: new Date(fields.firstPublishedAt),
    updatedAt: new Date(),
  };
  await tx
    .insert(searchDocuments)
    .values({ opportunityId: snapshot.id, ...updates, document: sql.raw(`''::tsvector`) })
    .onConflictDoUpdate({ target: searchDocuments.opportunityId, set: updates });
  // The vector is computed by PostgreSQL from the columns just written, with the shared expression.
  await tx.execute(sql`update search_documents set document = ${sql.raw(SEARCH_VECTOR_SQL)} where opportunity_id = ${snapshot.id}`);
}
