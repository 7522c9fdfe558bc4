/**
 * The demo's people: a platform administrator, an administrator and an editor of the council (the
 * editor also works for the housing trust, to show the organisation switcher) and a member of a
 * demo supplier, all with one known password. Loaded with the demo data (demo-data.ts); the server
 * prints them in a console banner at start-up, only with the embedded demo database — the one
 * place a password may appear in the output (DESIGN.md, "Logs").
 */
import { and, inArray, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { memberships, users, type BuyerRole } from '../accounts/accounts.table.js';
import { hashPassword, verifyPassword } from '../accounts/passwords.js';

export const DEMO_PASSWORD = 'opportunity portal demo';

export interface DemoAccount {
  email: string;
  name: string;
  /** What the account shows off, for the banner. */
  description: string;
  platformAdmin?: boolean;
  /** Memberships by the demo buyer's position (0: the council, 1: the housing trust). */
  buyers?: { index: number; role: BuyerRole }[];
  /** The demo supplier's key (organisations.ts); the first supplier when it is missing. */
  supplierKey?: string;
}

export const DEMO_ACCOUNTS: DemoAccount[] = [
  { email: 'demo-admin@example.org', name: 'Demo Platform Administrator', description: 'platform administrator: adds and changes buyer organisations', platformAdmin: true },
  { email: 'demo-council-admin@example.org', name: 'Demo Council Administrator', description: 'administrator at the council: invites staff and changes their roles', buyers: [{ index: 0, role: 'admin' }] },
  {
    email: 'demo-editor@example.org',
    name: 'Demo Council Editor',
    description: 'editor at the council and the housing trust',
    buyers: [
      { index: 0, role: 'editor' },
      { index: 1, role: 'editor' },
    ],
  },
  { email: 'demo-supplier@example.org', name: 'Demo Supplier', description: 'runs a local community interest company’s supplier profile', supplierKey: 'greenways' },
];

/** Inserts the demo accounts; call in the demo data's transaction, after the organisations. */
export async function insertDemoAccounts(tx: DbOrTx, organisations: { buyerIds: number[]; supplierIds: Map<string, number> }, now: Date): Promise<number> {
  // One hash for all: they share the password, and argon2id is deliberately slow.
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const firstSupplier = organisations.supplierIds.values().next().value;
  for (const account of DEMO_ACCOUNTS) {
    const [user] = await tx
      .insert(users)
      .values({ email: account.email, name: account.name, passwordHash, emailVerifiedAt: now, isPlatformAdmin: account.platformAdmin ?? false, createdAt: now, updatedAt: now })
      .returning({ id: users.id });
    for (const { index, role } of account.buyers ?? []) {
      const buyerId = organisations.buyerIds[index];
      if (buyerId !== undefined) await tx.insert(memberships).values({ userId: user!.id, buyerId, role, createdAt: now });
    }
    if (account.supplierKey) {
      const supplierId = organisations.supplierIds.get(account.supplierKey) ?? firstSupplier;
      if (supplierId !== undefined) await tx.insert(memberships).values({ userId: user!.id, supplierId, role: 'member', createdAt: now });
    }
  }
  return DEMO_ACCOUNTS.length;
}

/**
 * The console banner listing the demo accounts that still exist with the demo password, or null
 * when there are none (e.g. an administrator has changed them all).
 */
export async function demoAccountsBanner(db: DbOrTx, publicUrl?: string): Promise<string | null> {
  const rows = await db
    .select({ email: users.email, passwordHash: users.passwordHash })
    .from(users)
    .where(
      and(
        inArray(
          users.email,
          DEMO_ACCOUNTS.map((a) => a.email),
        ),
        isNull(users.erasedAt),
      ),
    );
  const usable = [];
  for (const account of DEMO_ACCOUNTS) {
    const row = rows.find((r) => r.email === account.email);
    if (row && (await verifyPassword(row.passwordHash, DEMO_PASSWORD))) usable.push(account);
  }
  if (usable.length === 0) return null;
  const width = Math.max(...usable.map((a) => a.email.length));
  const rule = '─'.repeat(78);
  return [
    rule,
    ` Demo accounts (this demo database only)${publicUrl ? ` — sign in at ${publicUrl}/sign-in` : ''}`,
    ` Password for each: ${DEMO_PASSWORD}`,
    '',
    ...usable.map((a) => `   ${a.email.padEnd(width)}  ${a.description}`),
    rule,
  ].join('\n');
}
