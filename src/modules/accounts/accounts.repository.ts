import { and, eq, isNull } from 'drizzle-orm';
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
