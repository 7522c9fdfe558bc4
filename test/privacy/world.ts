/**
 * A small world for the privacy tests, built through the real tables: a buyer with an admin and an
 * editor, a supplier with one or two members, a published award naming the supplier (with its
 * release), audit entries, email links, attempt counters and sessions — and an unrelated user with
 * data of their own, which must never leak into another person's export or be touched by their
 * erasure.
 */
import { randomBytes } from 'node:crypto';
import { eq, type SQL } from 'drizzle-orm';
import type { App } from '../../src/app.js';
import type { Database } from '../../src/db/client.js';
import { users } from '../../src/modules/accounts/accounts.table.js';
import { issueToken } from '../../src/modules/accounts/tokens.js';
import { recordAudit } from '../../src/modules/audit/audit.repository.js';
import { awards, awardSuppliers } from '../../src/modules/opportunities/opportunities.table.js';
import { consume } from '../../src/modules/security/rate-limit.js';
import { suppliers } from '../../src/modules/suppliers/suppliers.table.js';
import { createUser, signInAs, type CreateUserOptions, type TestUser } from '../support/auth.js';
import { createBuyer, createOpportunity, publish } from '../support/factories.js';

export async function createSupplier(database: Database, name = `Oldbury Community Gardens ${randomBytes(2).toString('hex')}`) {
  const [supplier] = await database.db
    .insert(suppliers)
    .values({
      name,
      legalForm: 'charity_cio',
      charityNumber: '1234567',
      charityRegister: 'england_wales',
      size: 'micro',
      vcse: true,
      streetAddress: '12 Canal Street',
      locality: 'Oldbury',
      postcode: 'B69 4AA',
      local: true,
      offer: 'Garden maintenance and volunteering days',
      cpvCodes: ['77310000'],
      directoryConsent: true,
    })
    .returning();
  return supplier!;
}

/** An awarded, published opportunity whose award names the supplier (with a snapshot of it). */
export async function awardTo(database: Database, buyerId: number, supplier: typeof suppliers.$inferSelect) {
  const opportunity = await createOpportunity(database, buyerId, { stage: 'awarded', title: `Award for ${supplier.name}` });
  const [award] = await database.db.insert(awards).values({ opportunityId: opportunity.id, awardedOn: '2026-03-01', valuePence: 4_500_000 }).returning();
  const [snapshot] = await database.db
    .insert(awardSuppliers)
    .values({
      awardId: award!.id,
      supplierId: supplier.id,
      name: supplier.name,
      charityNumber: supplier.charityNumber,
      postcode: supplier.postcode,
      size: supplier.size,
      local: supplier.local,
      vcse: supplier.vcse,
      valuePence: 4_500_000,
    })
    .returning();
  await publish(database, opportunity.id);
  return { opportunity, award: award!, snapshot: snapshot! };
}

export interface SignedInUser extends TestUser {
  cookie: string;
}

export async function signedIn(app: App, database: Database, options: CreateUserOptions = {}): Promise<SignedInUser> {
  const user = await createUser(database, options);
  return { ...user, cookie: await signInAs(app, user.email, user.password) };
}

/** Gives a user some of everything: email links, attempt counters and an audit entry they made. */
export async function giveHistory(database: Database, user: TestUser, buyerId: number | null) {
  await issueToken(database.db, { purpose: 'reset_password', email: user.email, userId: user.id });
  await issueToken(database.db, { purpose: 'staff_invite', email: user.email, data: { buyerId } });
  await consume(database.db, { name: 'sign-in:account', limit: 5, windowSeconds: 900 }, user.email);
  await recordAudit(database.db, {
    actorUserId: user.id,
    actorLabel: user.name,
    buyerId,
    entityType: 'opportunity',
    entityId: 42,
    action: 'opportunity.updated',
    before: { title: 'Old title' },
    after: { title: 'New title', contact: user.email, editedBy: user.name },
  });
}

/** Every row of the tables the privacy registry covers (and of published records), for "nothing changed" checks. */
export async function snapshotTables(database: Database) {
  const tables = ['users', 'memberships', 'sessions', 'user_tokens', 'rate_limit_counters', 'suppliers', 'audit_log', 'award_suppliers', 'awards', 'releases'];
  const result: Record<string, unknown[]> = {};
  for (const table of tables) {
    const { rows } = await database.pool.query(`select * from ${table} order by 1`);
    result[table] = rows;
  }
  return result;
}

export async function userRow(database: Database, id: number) {
  const [row] = await database.db.select().from(users).where(eq(users.id, id));
  return row!;
}

export async function count(database: Database, query: SQL) {
  const { rows } = await database.db.execute<{ n: number }>(query);
  return Number(rows[0]?.n ?? 0);
}

export { createBuyer };
