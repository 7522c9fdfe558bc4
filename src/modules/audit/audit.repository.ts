import type { DbOrTx } from '../../db/client.js';
import { auditLog } from './audit.table.js';

export interface AuditEntry {
  actorUserId?: number | null;
  actorLabel: string;
  buyerId?: number | null;
  entityType: string;
  entityId: string | number;
  action: string;
  before?: unknown;
  after?: unknown;
  requestId?: string | null;
}

/** Writes one audit entry; call it inside the transaction that makes the change. */
export async function recordAudit(db: DbOrTx, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    actorUserId: entry.actorUserId ?? null,
    actorLabel: entry.actorLabel,
    buyerId: entry.buyerId ?? null,
    entityType: entry.entityType,
    entityId: String(entry.entityId),
    action: entry.action,
    before: entry.before ?? null,
    after: entry.after ?? null,
    requestId: entry.requestId ?? null,
  });
}
