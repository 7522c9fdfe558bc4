/**
 * Reading and writing suppliers, their members and the public directory. Every function takes a
 * Db or a transaction; the service (suppliers.service.ts) owns transactions and rules.
 */
import { and, asc, count, eq, gt, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { memberships, users } from '../accounts/accounts.table.js';
import { userTokens } from '../accounts/tokens.table.js';
import { findDivisions, type CpvDivision } from '../cpv/cpv.repository.js';
import { COOPERATIVE_FORMS } from './suppliers.words.js';
import { suppliers, type SupplierSize } from './suppliers.table.js';

export type Supplier = typeof suppliers.$inferSelect;
export type SupplierValues = Omit<typeof suppliers.$inferInsert, 'id' | 'createdAt' | 'updatedAt' | 'cpvCodes'>;

export async function findSupplier(db: DbOrTx, id: number): Promise<Supplier | undefined> {
  const [row] = await db.select().from(suppliers).where(eq(suppliers.id, id));
  return row;
}

/** Locks the supplier's row for the rest of the transaction (edits that read, then write). */
export async function lockSupplier(tx: DbOrTx, id: number): Promise<Supplier | undefined> {
  const [row] = await tx.select().from(suppliers).where(eq(suppliers.id, id)).for('update');
  return row;
}

export async function insertSupplier(tx: DbOrTx, values: SupplierValues): Promise<Supplier> {
  const [row] = await tx.insert(suppliers).values(values).returning();
  return row!;
}

export async function updateSupplier(tx: DbOrTx, id: number, values: Partial<SupplierValues> & { cpvCodes?: string[] }): Promise<Supplier> {
  const [row] = await tx
    .update(suppliers)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(suppliers.id, id))
    .returning();
  return row!;
}

// ---- Members -----------------------------------------------------------------------------------

export interface SupplierMember {
  userId: number;
  name: string;
  email: string;
  joinedAt: Date;
}

export async function listMembers(db: DbOrTx, supplierId: number): Promise<SupplierMember[]> {
  return db
    .select({ userId: users.id, name: users.name, email: users.email, joinedAt: memberships.createdAt })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.supplierId, supplierId), isNull(users.erasedAt)))
    .orderBy(asc(memberships.createdAt), asc(users.id));
}

export async function isMember(db: DbOrTx, supplierId: number, userId: number): Promise<boolean> {
  const [row] = await db
    .select({ id: memberships.id })
    .from(memberships)
    .where(and(eq(memberships.supplierId, supplierId), eq(memberships.userId, userId)));
  return row !== undefined;
}

/** The suppliers a user belongs to, lowest id first. */
export async function supplierIdsOf(db: DbOrTx, userId: number): Promise<number[]> {
  const rows = await db
    .select({ supplierId: memberships.supplierId })
    .from(memberships)
    .where(and(eq(memberships.userId, userId), sql`${memberships.supplierId} is not null`))
    .orderBy(asc(memberships.supplierId));
  return rows.map((r) => r.supplierId!);
}

export async function addMember(tx: DbOrTx, supplierId: number, userId: number): Promise<void> {
  await tx.insert(memberships).values({ userId, supplierId, role: 'member' }).onConflictDoNothing();
}

export async function removeMember(tx: DbOrTx, supplierId: number, userId: number): Promise<boolean> {
  const deleted = await tx
    .delete(memberships)
    .where(and(eq(memberships.supplierId, supplierId), eq(memberships.userId, userId)))
    .returning({ id: memberships.id });
  return deleted.length > 0;
}

export async function countMembers(db: DbOrTx, supplierId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.supplierId, supplierId), isNull(users.erasedAt)));
  return row?.n ?? 0;
}

export interface PendingInvitation {
  id: number;
  email: string;
  expiresAt: Date;
  createdAt: Date;
}

/** Invitations to this supplier not yet accepted, withdrawn or expired. */
export async function listPendingInvitations(db: DbOrTx, supplierId: number, now = new Date()): Promise<PendingInvitation[]> {
  return db
    .select({ id: userTokens.id, email: userTokens.email, expiresAt: userTokens.expiresAt, createdAt: userTokens.createdAt })
    .from(userTokens)
    .where(
      and(
        eq(userTokens.purpose, 'supplier_invite'),
        sql`(${userTokens.data} ->> 'supplierId') = ${String(supplierId)}`,
        isNull(userTokens.usedAt),
        gt(userTokens.expiresAt, now),
      ),
    )
    .orderBy(asc(userTokens.createdAt));
}

/** Withdraws one pending invitation of this supplier (marks it used); false when there is none. */
export async function withdrawInvitation(tx: DbOrTx, supplierId: number, invitationId: number, now = new Date()): Promise<PendingInvitation | undefined> {
  const [row] = await tx
    .update(userTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(userTokens.id, invitationId),
        eq(userTokens.purpose, 'supplier_invite'),
        sql`(${userTokens.data} ->> 'supplierId') = ${String(supplierId)}`,
        isNull(userTokens.usedAt),
      ),
    )
    .returning({ id: userTokens.id, email: userTokens.email, expiresAt: userTokens.expiresAt, createdAt: userTokens.createdAt });
  return row;
}

// ---- Directory ---------------------------------------------------------------------------------

export interface DirectoryFilters {
  /** Search words (see searchWords), each found in the name or the offer. */
  words: string[];
  vcse: boolean;
  cooperative: boolean;
  sizes: SupplierSize[];
  local: boolean;
  /** Two digits: suppliers with at least one category in this CPV division. */
  division?: string | undefined;
}

export interface DirectoryScope {
  /** Staff see every supplier; everyone else only those who consented to the directory. */
  includeHidden: boolean;
}

function directoryWhere(filters: DirectoryFilters, scope: DirectoryScope): SQL | undefined {
  const conditions: SQL[] = [];
  if (!scope.includeHidden) conditions.push(eq(suppliers.directoryConsent, true));
  // Words are letters and digits only (searchWords), so they carry no LIKE wildcards.
  for (const word of filters.words) conditions.push(sql`(${suppliers.name} ilike ${`%${word}%`} or ${suppliers.offer} ilike ${`%${word}%`})`);
  if (filters.vcse) conditions.push(eq(suppliers.vcse, true));
  if (filters.cooperative) conditions.push(inArray(suppliers.legalForm, [...COOPERATIVE_FORMS]));
  if (filters.sizes.length > 0) conditions.push(inArray(suppliers.size, filters.sizes));
  if (filters.local) conditions.push(eq(suppliers.local, true));
  if (filters.division) conditions.push(sql`exists (select 1 from unnest(${suppliers.cpvCodes}) as c(code) where left(c.code, 2) = ${filters.division})`);
  return conditions.length ? and(...conditions) : undefined;
}

export const DIRECTORY_PAGE_SIZE = 20;

export async function listDirectory(db: DbOrTx, filters: DirectoryFilters, scope: DirectoryScope, page: number): Promise<{ items: Supplier[]; total: number }> {
  const where = directoryWhere(filters, scope);
  const [items, [totalRow]] = await Promise.all([
    db
      .select()
      .from(suppliers)
      .where(where)
      .orderBy(sql`lower(${suppliers.name})`, asc(suppliers.id))
      .limit(DIRECTORY_PAGE_SIZE)
      .offset((page - 1) * DIRECTORY_PAGE_SIZE),
    db.select({ n: count() }).from(suppliers).where(where),
  ]);
  return { items, total: totalRow?.n ?? 0 };
}

/** Every supplier matching the filters, for the CSV export (no paging). */
export async function allInDirectory(db: DbOrTx, filters: DirectoryFilters, scope: DirectoryScope): Promise<Supplier[]> {
  return db
    .select()
    .from(suppliers)
    .where(directoryWhere(filters, scope))
    .orderBy(sql`lower(${suppliers.name})`, asc(suppliers.id));
}

/** The CPV divisions that occur among the suppliers the viewer can see, for the filter. */
export async function directoryDivisions(db: DbOrTx, scope: DirectoryScope): Promise<CpvDivision[]> {
  const visible = scope.includeHidden ? sql`` : sql`where ${suppliers.directoryConsent}`;
  const { rows } = await db.execute<{ division: string }>(
    sql`select distinct left(c.code, 2) as division from ${suppliers} cross join lateral unnest(${suppliers.cpvCodes}) as c(code) ${visible}`,
  );
  return findDivisions(
    db,
    rows.map((r) => r.division),
  );
}
