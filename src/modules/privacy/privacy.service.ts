/**
 * "Download your data" and "Delete your account", both walking the privacy registry.
 *
 * Deleting an account is refused while the user holds a role someone must take over first:
 *  - a platform administrator must have those rights removed by another platform administrator
 *    (or be replaced with `npm run create-admin`), so that running the portal is handed over on
 *    purpose rather than lost by accident;
 *  - the only administrator of a buyer organisation must first make a colleague an administrator,
 *    or the organisation would be left with nobody able to manage its staff.
 * Everything else happens in one transaction: the registrations' eraseFor()s (bottom-up), then an
 * "account.erased" audit entry that holds no personal data. The rows it depends on are locked
 * first, so two colleagues deleting their accounts at once cannot both leave a supplier behind,
 * nor two administrators both leave an organisation without one.
 */
import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import { memberships, users } from '../accounts/accounts.table.js';
import { recordAudit } from '../audit/audit.repository.js';
import { buyerOrganisations } from '../buyers/buyers.table.js';
import { suppliers } from '../suppliers/suppliers.table.js';
import { ERASED_USER_NAME } from './registrations.js';
import { personalDataRegistry, type PrivacySubject } from './registry.js';

interface LoadOptions {
  /** Lock the user's row and the membership rows the decision rests on (inside a transaction). */
  lock?: boolean;
}

/** The user and their suppliers, or undefined when there is no such (unerased) user. */
export async function loadSubject(db: DbOrTx, userId: number, options: LoadOptions = {}): Promise<PrivacySubject | undefined> {
  const userQuery = db
    .select({ id: users.id, name: users.name, email: users.email })
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.erasedAt)));
  const [user] = options.lock ? await userQuery.for('update') : await userQuery;
  if (!user) return undefined;

  const own = await db.select({ supplierId: memberships.supplierId }).from(memberships).where(eq(memberships.userId, userId));
  const supplierIds = own.map((m) => m.supplierId).filter((id): id is number => id !== null);
  let soleMemberSupplierIds: number[] = [];
  if (supplierIds.length > 0) {
    const membersQuery = db
      .select({ supplierId: memberships.supplierId, userId: memberships.userId })
      .from(memberships)
      .where(inArray(memberships.supplierId, supplierIds))
      .orderBy(asc(memberships.id));
    const members = options.lock ? await membersQuery.for('update') : await membersQuery;
    soleMemberSupplierIds = supplierIds.filter((id) => members.every((m) => m.supplierId !== id || m.userId === userId));
  }
  return { userId, name: user.name, email: user.email, supplierIds: supplierIds.sort((a, b) => a - b), soleMemberSupplierIds };
}

export interface ErasureBlocker {
  reason: 'platform_admin' | 'only_buyer_admin';
  message: string;
}

/** Why the user may not delete their account yet; empty when they may. */
export async function erasureBlockers(db: DbOrTx, userId: number, options: LoadOptions = {}): Promise<ErasureBlocker[]> {
  const blockers: ErasureBlocker[] = [];
  const [user] = await db.select({ isPlatformAdmin: users.isPlatformAdmin }).from(users).where(eq(users.id, userId));
  if (user?.isPlatformAdmin) {
    blockers.push({
      reason: 'platform_admin',
      message:
        'You are a platform administrator. Ask another platform administrator to remove your administrator rights first, so that running the portal is handed over on purpose.',
    });
  }
  const adminOf = await db
    .select({ buyerId: memberships.buyerId, name: buyerOrganisations.name })
    .from(memberships)
    .innerJoin(buyerOrganisations, eq(buyerOrganisations.id, memberships.buyerId))
    .where(and(eq(memberships.userId, userId), eq(memberships.role, 'admin')))
    .orderBy(asc(buyerOrganisations.name));
  if (adminOf.length > 0) {
    const adminsQuery = db
      .select({ buyerId: memberships.buyerId, userId: memberships.userId })
      .from(memberships)
      .where(and(inArray(memberships.buyerId, adminOf.map((b) => b.buyerId!)), eq(memberships.role, 'admin')))
      .orderBy(asc(memberships.id));
    const admins = options.lock ? await adminsQuery.for('update') : await adminsQuery;
    for (const buyer of adminOf) {
      if (admins.some((a) => a.buyerId === buyer.buyerId && a.userId !== userId)) continue;
      blockers.push({
        reason: 'only_buyer_admin',
        message: `You are the only administrator of ${buyer.name}. Make a colleague an administrator of ${buyer.name} first, so that someone can still manage its staff.`,
      });
    }
  }
  return blockers;
}

export interface SupplierFate {
  supplierId: number;
  name: string;
  /** True when the user is its only member, so its profile is deleted with the account. */
  deleted: boolean;
}

/** What deleting the account would do to each supplier the user belongs to (for the confirmation page). */
export async function supplierFates(db: DbOrTx, subject: PrivacySubject): Promise<SupplierFate[]> {
  if (subject.supplierIds.length === 0) return [];
  const rows = await db.select({ id: suppliers.id, name: suppliers.name }).from(suppliers).where(inArray(suppliers.id, subject.supplierIds)).orderBy(asc(suppliers.name));
  return rows.map((row) => ({ supplierId: row.id, name: row.name, deleted: subject.soleMemberSupplierIds.includes(row.id) }));
}

/**
 * Everything held about a user, as downloaded from "Your data". The shape is stable:
 *   { generatedAt: ISO time,
 *     user: { id, name, email },
 *     sections: { <registration name>: { title, data } } }   // one per registration, in order
 */
export interface PersonalDataExport {
  generatedAt: string;
  user: { id: number; name: string; email: string };
  sections: Record<string, { title: string; data: unknown }>;
}

export async function exportPersonalData(db: Db, userId: number, now = new Date()): Promise<PersonalDataExport | undefined> {
  // One snapshot of the database, so the sections agree with each other.
  return db.transaction(
    async (tx) => {
      const subject = await loadSubject(tx, userId);
      if (!subject) return undefined;
      const sections: PersonalDataExport['sections'] = {};
      for (const registration of personalDataRegistry.list()) {
        sections[registration.name] = { title: registration.describe.title, data: await registration.exportFor(tx, subject) };
      }
      return { generatedAt: now.toISOString(), user: { id: subject.userId, name: subject.name, email: subject.email }, sections };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

export type ErasureResult =
  | { status: 'erased'; deletedSupplierIds: number[] }
  | { status: 'refused'; blockers: ErasureBlocker[] }
  /** Already erased (e.g. a second tab submitted the form too). */
  | { status: 'gone' };

export async function eraseAccount(db: Db, userId: number, context: { requestId?: string } = {}): Promise<ErasureResult> {
  return db.transaction(async (tx) => {
    const subject = await loadSubject(tx, userId, { lock: true });
    if (!subject) return { status: 'gone' };
    const blockers = await erasureBlockers(tx, userId, { lock: true });
    if (blockers.length > 0) return { status: 'refused', blockers };
    for (const registration of personalDataRegistry.erasureOrder()) await registration.eraseFor(tx, subject);
    // No personal data: the user's number (the row stays, anonymised) and what happened.
    await recordAudit(tx, {
      actorUserId: userId,
      actorLabel: ERASED_USER_NAME,
      entityType: 'user',
      entityId: userId,
      action: 'account.erased',
      after: { suppliersDeleted: subject.soleMemberSupplierIds, sections: personalDataRegistry.list().map((r) => r.name) },
      requestId: context.requestId ?? null,
    });
    return { status: 'erased', deletedSupplierIds: subject.soleMemberSupplierIds };
  });
}
