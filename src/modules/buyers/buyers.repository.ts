/**
 * Buyer organisations: reading them, and writing them with a unique slug derived from the name.
 * Writers take the caller's transaction (the admin service records an audit entry in the same one).
 */
import { and, asc, eq, ne, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../db/client.js';
import { memberships } from '../accounts/accounts.table.js';
import { slugify } from '../../lib/slug.js';
import { buyerOrganisations } from './buyers.table.js';

export type Buyer = typeof buyerOrganisations.$inferSelect;

/** The fields an administrator edits (the slug and timestamps are the repository's). */
export type BuyerFields = Omit<typeof buyerOrganisations.$inferInsert, 'id' | 'slug' | 'createdAt' | 'updatedAt'>;

export interface BuyerListItem extends Buyer {
  staffCount: number;
}

export async function listBuyers(db: DbOrTx): Promise<BuyerListItem[]> {
  const rows = await db
    .select({ buyer: buyerOrganisations, staffCount: sql<number>`count(${memberships.id})::int` })
    .from(buyerOrganisations)
    .leftJoin(memberships, eq(memberships.buyerId, buyerOrganisations.id))
    .groupBy(buyerOrganisations.id)
    .orderBy(asc(buyerOrganisations.name));
  return rows.map((r) => ({ ...r.buyer, staffCount: r.staffCount }));
}

export async function findBuyer(db: DbOrTx, id: number): Promise<Buyer | undefined> {
  const [row] = await db.select().from(buyerOrganisations).where(eq(buyerOrganisations.id, id));
  return row;
}

/** Another organisation with this name, ignoring case and spacing (`exceptId`: the one being edited). */
export async function findBuyerByName(db: DbOrTx, name: string, exceptId?: number): Promise<Buyer | undefined> {
  const sameName = sql`lower(regexp_replace(${buyerOrganisations.name}, '\\s+', ' ', 'g')) = lower(regexp_replace(${name}, '\\s+', ' ', 'g'))`;
  const [row] = await db
    .select()
    .from(buyerOrganisations)
    .where(exceptId === undefined ? sameName : and(sameName, ne(buyerOrganisations.id, exceptId)))
    .limit(1);
  return row;
}

/**
 * The name's slug, with "-2", "-3"… when another organisation has it. Call inside the transaction
 * that writes it: an advisory lock makes concurrent writers take turns, so two organisations
 * created at once cannot both choose the same free slug.
 */
async function uniqueSlug(tx: Tx, name: string, exceptId?: number): Promise<string> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('buyer_organisations.slug'))`);
  const base = slugify(name) || 'organisation';
  const taken = new Set(
    (
      await tx
        .select({ slug: buyerOrganisations.slug, id: buyerOrganisations.id })
        .from(buyerOrganisations)
        .where(sql`${buyerOrganisations.slug} = ${base} or ${buyerOrganisations.slug} like ${`${base}-%`}`)
    )
      .filter((r) => r.id !== exceptId)
      .map((r) => r.slug),
  );
  let slug = base;
  for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`;
  return slug;
}

export async function insertBuyer(tx: Tx, fields: BuyerFields): Promise<Buyer> {
  const slug = await uniqueSlug(tx, fields.name);
  const [row] = await tx
    .insert(buyerOrganisations)
    .values({ ...fields, slug })
    .returning();
  return row!;
}

/** Updates the fields; a new name gives a new slug. Returns the row before and after. */
export async function updateBuyer(tx: Tx, id: number, fields: BuyerFields): Promise<{ before: Buyer; after: Buyer } | undefined> {
  const [before] = await tx.select().from(buyerOrganisations).where(eq(buyerOrganisations.id, id)).for('update');
  if (!before) return undefined;
  const slug = before.name === fields.name ? before.slug : await uniqueSlug(tx, fields.name, id);
  const [after] = await tx
    .update(buyerOrganisations)
    .set({ ...fields, slug, updatedAt: new Date() })
    .where(eq(buyerOrganisations.id, id))
    .returning();
  return { before, after: after! };
}
