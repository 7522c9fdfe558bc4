/**
 * Time-driven lifecycle steps run by the job queue: publishing scheduled opportunities when their
 * time comes, and closing open ones whose tender deadline has passed. Each opportunity moves in
 * its own transaction, locked with SKIP LOCKED so that several workers never move the same one.
 *
 * A scheduled opportunity is checked again when its time comes (an officer may have edited it
 * since scheduling, or the deadline may have passed while the queue was down): one that is no
 * longer ready goes back to draft, with an audit entry naming the problems, rather than being
 * published broken.
 */
import { and, asc, eq, lte, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { recordAudit } from '../audit/audit.repository.js';
import { readinessProblems } from './opportunities.rules.js';
import { lots, opportunities } from './opportunities.table.js';
import { shippedThresholds } from './thresholds.js';
import { tagsForStage, writeRelease } from './releases.js';

export interface LifecycleContext {
  db: Db;
  ocidPrefix: string;
  now: Date;
}

const BATCH = 100;

/** Publishes every scheduled opportunity whose publish time has come. Returns how many were published. */
export async function publishDueOpportunities({ db, ocidPrefix, now }: LifecycleContext): Promise<number> {
  let published = 0;
  for (;;) {
    const { seen, publishedNow } = await db.transaction(async (tx) => {
      let publishedNow = 0;
      const due = await tx
        .select()
        .from(opportunities)
        .where(and(eq(opportunities.status, 'scheduled'), lte(opportunities.publishAt, now)))
        .orderBy(opportunities.publishAt)
        .limit(BATCH)
        .for('update', { skipLocked: true });
      for (const row of due) {
        const lotRows = await tx.select().from(lots).where(eq(lots.opportunityId, row.id)).orderBy(asc(lots.position));
        const problems = readinessProblems(row, lotRows, row.stage, shippedThresholds(), now);
        if (problems.length) {
          await tx
            .update(opportunities)
            .set({ status: 'draft', publishAt: null, updatedAt: now, version: sql`${opportunities.version} + 1` })
            .where(eq(opportunities.id, row.id));
          await recordAudit(tx, {
            actorLabel: 'system: scheduled publishing',
            buyerId: row.buyerId,
            entityType: 'opportunity',
            entityId: row.id,
            action: 'opportunity.schedule_failed',
            before: { status: 'scheduled', publishAt: row.publishAt },
            after: { status: 'draft', problems: problems.map((p) => p.message) },
          });
          continue;
        }
        await tx
          .update(opportunities)
          .set({ status: 'published', publishAt: null, firstPublishedAt: row.firstPublishedAt ?? now, updatedAt: now, version: sql`${opportunities.version} + 1` })
          .where(eq(opportunities.id, row.id));
        await writeRelease(tx, {
          ocidPrefix,
          opportunityId: row.id,
          tags: tagsForStage(row.stage, false),
          publishedAt: now,
          actor: { label: 'system: scheduled publishing' },
          action: 'opportunity.published',
        });
        publishedNow += 1;
      }
      return { seen: due.length, publishedNow };
    });
    published += publishedNow;
    if (seen < BATCH) return published;
  }
}

/** Moves every open opportunity whose tender deadline has passed to `closed`. Returns how many. */
export async function closeExpiredOpportunities({ db, ocidPrefix, now }: LifecycleContext): Promise<number> {
  let closed = 0;
  for (;;) {
    const moved = await db.transaction(async (tx) => {
      const due = await tx
        .select({ id: opportunities.id })
        .from(opportunities)
        .where(and(eq(opportunities.status, 'published'), eq(opportunities.stage, 'open'), lte(opportunities.tenderDeadline, now)))
        .orderBy(opportunities.tenderDeadline)
        .limit(BATCH)
        .for('update', { skipLocked: true });
      for (const row of due) {
        await tx
          .update(opportunities)
          .set({ stage: 'closed', updatedAt: now, version: sql`${opportunities.version} + 1` })
          .where(eq(opportunities.id, row.id));
        await writeRelease(tx, {
          ocidPrefix,
          opportunityId: row.id,
          tags: tagsForStage('closed', false),
          changeNote: 'The deadline for tenders has passed. Tenders are being evaluated.',
          publishedAt: now,
          actor: { label: 'system: tender deadline' },
          action: 'opportunity.closed',
        });
      }
      return due.length;
    });
    closed += moved;
    if (moved < BATCH) return closed;
  }
}
