import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { buyerOrganisations } from '../buyers/buyers.table.js';
import { suppliers } from '../suppliers/suppliers.table.js';
import { memberships, users, type BuyerRole } from './accounts.table.js';

export interface BuyerMembership {
  buyerId: number;
  buyerName: string;
  role: BuyerRole;
}

export interface SupplierMembership {
  supplierId: number;
  supplierName: string;
}

/** The signed-in user as every request sees it. */
export interface CurrentUser {
  id: number;
  name: string;
  email: string;
  emailVerified: boolean;
  isPlatformAdmin: boolean;
  buyers: BuyerMembership[];
  suppliers: SupplierMembership[];
}

export async function findCurrentUser(db: DbOrTx, userId: number): Promise<CurrentUser | undefined> {
  const [user] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.erasedAt)));
  if (!user) return undefined;
  const rows = await db
    .select({
      buyerId: memberships.buyerId,
      buyerName: buyerOrganisations.name,
      supplierId: memberships.supplierId,
      supplierName: suppliers.name,
      role: memberships.role,
    })
    .from(memberships)
    .leftJoin(buyerOrganisations, eq(buyerOrganisations.id, memberships.buyerId))
    .leftJoin(suppliers, eq(suppliers.id, memberships.supplierId))
    .where(eq(memberships.userId, userId));
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    isPlatformAdmin: user.isPlatformAdmin,
    buyers: rows
      .filter((r) => r.buyerId !== null)
      .map((r) => ({ buyerId: r.buyerId!, buyerName: r.buyerName ?? '', role: r.role as BuyerRole }))
      .sort((a, b) => a.buyerName.localeCompare(b.buyerName)),
    suppliers: rows.filter((r) => r.supplierId !== null).map((r) => ({ supplierId: r.supplierId!, supplierName: r.supplierName ?? '' })),
  };
}

export type UserRow = typeof users.$inferSelect;

/** An account that has not been erased, by email (case-insensitively). */
export async function findUserByEmail(db: DbOrTx, email: string): Promise<UserRow | undefined> {
  const [user] = await db
    .select()
    .from(users)
    .where(and(sql`lower(${users.email}) = lower(${email})`, isNull(users.erasedAt)));
  return user;
}

/** An account that has not been erased, by id. */
export async function findUserById(db: DbOrTx, userId: number): Promise<UserRow | undefined> {
  const [user] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.erasedAt)));
  return user;
}

/**
 * Inserts a user unless the email is taken (by any account, erased or not: the unique index
 * decides, so two registrations racing for one address cannot both win). Undefined when taken.
 */
export async function insertUserIfNew(db: DbOrTx, values: { email: string; name: string; passwordHash: string }): Promise<UserRow | undefined> {
  const [user] = await db.insert(users).values(values).onConflictDoNothing().returning();
  return user;
}

export async function updateUser(
  db: DbOrTx,
  userId: number,
  changes: Partial<Pick<UserRow, 'email' | 'name' | 'passwordHash' | 'emailVerifiedAt'>>,
): Promise<void> {
  await db
    .update(users)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(users.id, userId));
}

/** Whether an account other than `userId` already has this email (case-insensitively, erased ones included). */
export async function emailTakenByAnother(db: DbOrTx, email: string, userId: number): Promise<boolean> {
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(sql`lower(${users.email}) = lower(${email})`, ne(users.id, userId)));
  return row !== undefined;
}
