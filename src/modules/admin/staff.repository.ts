/**
 * An organisation's staff (buyer memberships) and its pending invitations (staff_invite tokens).
 * Every read and write takes the organisation's id, so that one organisation's staff can never
 * reach another's: a membership id from elsewhere is simply not found.
 */
import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { memberships, users, type BuyerRole } from '../accounts/accounts.table.js';
import { userTokens } from '../accounts/tokens.table.js';

export interface StaffMember {
  membershipId: number;
  userId: number;
  name: string;
  email: string;
  role: BuyerRole;
  joinedAt: Date;
}

/** What a staff invitation token carries in its `data`. */
export interface InvitationData {
  buyerId: number;
  role: BuyerRole;
  invitedByUserId: number | null;
  invitedByName: string;
}

export interface PendingInvitation {
  id: number;
  email: string;
  role: BuyerRole;
  invitedByName: string;
  sentAt: Date;
  expiresAt: Date;
}

const ROLE_ORDER = sql`case ${memberships.role} when 'admin' then 1 when 'editor' then 2 else 3 end`;

const staffColumns = {
  membershipId: memberships.id,
  userId: users.id,
  name: users.name,
  email: users.email,
  role: memberships.role,
  joinedAt: memberships.createdAt,
};

export async function listStaff(db: DbOrTx, buyerId: number): Promise<StaffMember[]> {
  const rows = await db
    .select(staffColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.buyerId, buyerId), isNull(users.erasedAt)))
    .orderBy(ROLE_ORDER, asc(users.name), asc(memberships.id));
  return rows as StaffMember[];
}

/** One member of this organisation; `forUpdate` locks the row for a change in the same transaction. */
export async function findStaffMember(db: DbOrTx, buyerId: number, membershipId: number, { forUpdate = false } = {}): Promise<StaffMember | undefined> {
  const query = db
    .select(staffColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.id, membershipId), eq(memberships.buyerId, buyerId), isNull(users.erasedAt)));
  const [row] = forUpdate ? await query.for('update', { of: memberships }) : await query;
  return row as StaffMember | undefined;
}

/** The member of this organisation with this email address, if any. */
export async function findStaffMemberByEmail(db: DbOrTx, buyerId: number, email: string): Promise<StaffMember | undefined> {
  const [row] = await db
    .select(staffColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.buyerId, buyerId), sql`lower(${users.email}) = lower(${email})`, isNull(users.erasedAt)));
  return row as StaffMember | undefined;
}

/**
 * Locks the organisation's administrator memberships and counts them. Changes that could remove
 * an administrator take this lock first, so two admins demoting each other at once cannot leave
 * the organisation with none.
 */
export async function lockAdministrators(db: DbOrTx, buyerId: number): Promise<number> {
  const rows = await db
    .select({ id: memberships.id })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.buyerId, buyerId), eq(memberships.role, 'admin'), isNull(users.erasedAt)))
    .orderBy(asc(memberships.id))
    .for('update', { of: memberships });
  return rows.length;
}

const pendingFor = (buyerId: number, now: Date) =>
  and(eq(userTokens.purpose, 'staff_invite'), isNull(userTokens.usedAt), gt(userTokens.expiresAt, now), sql`(${userTokens.data}->>'buyerId')::int = ${buyerId}`);

export async function listPendingInvitations(db: DbOrTx, buyerId: number, now = new Date()): Promise<PendingInvitation[]> {
  const rows = await db
    .select({ id: userTokens.id, email: userTokens.email, data: userTokens.data, sentAt: userTokens.createdAt, expiresAt: userTokens.expiresAt })
    .from(userTokens)
    .where(pendingFor(buyerId, now))
    .orderBy(asc(userTokens.email), asc(userTokens.id));
  return rows.map(({ data, ...row }) => {
    const invitation = data as InvitationData;
    return { ...row, role: invitation.role, invitedByName: invitation.invitedByName };
  });
}

/** Marks outstanding invitations of this organisation as used: all for one email, or the one with `id`. Returns those withdrawn. */
export async function withdrawInvitations(db: DbOrTx, buyerId: number, which: { email: string } | { id: number }, now = new Date()): Promise<{ id: number; email: string; data: unknown }[]> {
  const target = 'email' in which ? sql`lower(${userTokens.email}) = lower(${which.email})` : eq(userTokens.id, which.id);
  return db
    .update(userTokens)
    .set({ usedAt: now })
    .where(and(pendingFor(buyerId, now), target))
    .returning({ id: userTokens.id, email: userTokens.email, data: userTokens.data });
}
