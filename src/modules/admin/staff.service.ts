/**
 * Changing an organisation's staff: roles and removal, each in one transaction with its audit
 * entry. An organisation always keeps at least one administrator, so someone can always invite
 * and manage its staff.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { memberships, type BuyerRole } from '../accounts/accounts.table.js';
import { recordAudit } from '../audit/audit.repository.js';
import { findStaffMember, lockAdministrators, type StaffMember } from './staff.repository.js';

/** Who is making a change, for the audit log. */
export interface Actor {
  userId: number;
  name: string;
  requestId?: string | null;
}

export type StaffChangeResult =
  | { status: 'done' | 'unchanged'; member: StaffMember }
  | { status: 'last-admin'; member: StaffMember }
  | { status: 'not-found' };

export async function changeRole(db: Db, params: { buyerId: number; membershipId: number; role: BuyerRole; actor: Actor }): Promise<StaffChangeResult> {
  const { buyerId, membershipId, role, actor } = params;
  return db.transaction(async (tx) => {
    // Administrators first, then the member: the same order as removeMember, so the two cannot deadlock.
    const admins = await lockAdministrators(tx, buyerId);
    const member = await findStaffMember(tx, buyerId, membershipId, { forUpdate: true });
    if (!member) return { status: 'not-found' };
    if (member.role === role) return { status: 'unchanged', member };
    if (member.role === 'admin' && admins <= 1) return { status: 'last-admin', member };
    await tx
      .update(memberships)
      .set({ role })
      .where(and(eq(memberships.id, membershipId), eq(memberships.buyerId, buyerId)));
    await recordAudit(tx, {
      actorUserId: actor.userId,
      actorLabel: actor.name,
      buyerId,
      entityType: 'membership',
      entityId: membershipId,
      action: 'staff.role_changed',
      before: { userId: member.userId, role: member.role },
      after: { userId: member.userId, role },
      requestId: actor.requestId ?? null,
    });
    return { status: 'done', member: { ...member, role } };
  });
}

export async function removeMember(db: Db, params: { buyerId: number; membershipId: number; actor: Actor }): Promise<StaffChangeResult> {
  const { buyerId, membershipId, actor } = params;
  return db.transaction(async (tx) => {
    const admins = await lockAdministrators(tx, buyerId);
    const member = await findStaffMember(tx, buyerId, membershipId, { forUpdate: true });
    if (!member) return { status: 'not-found' };
    if (member.role === 'admin' && admins <= 1) return { status: 'last-admin', member };
    await tx.delete(memberships).where(and(eq(memberships.id, membershipId), eq(memberships.buyerId, buyerId)));
    await recordAudit(tx, {
      actorUserId: actor.userId,
      actorLabel: actor.name,
      buyerId,
      entityType: 'membership',
      entityId: membershipId,
      action: 'staff.removed',
      before: { userId: member.userId, role: member.role },
      after: null,
      requestId: actor.requestId ?? null,
    });
    return { status: 'done', member };
  });
}
