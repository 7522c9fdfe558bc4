/**
 * What the demo loader and the benchmark loader share: the compose context (area, buyers,
 * suppliers, thresholds, real notices), inserting the organisations, and emptying the app's tables.
 */
import { sql } from 'drizzle-orm';
import type { Config } from '../../config.js';
import type pg from 'pg';
import type { Database, DbOrTx } from '../../db/client.js';
import { buyerOrganisations } from '../buyers/buyers.table.js';
import { cpvCodes } from '../cpv/cpv.table.js';
import { suppliers } from '../suppliers/suppliers.table.js';
import type { ComposeContext } from './compose.js';
import { areaContext, demoBuyers, demoSuppliers, type DemoBuyer, type DemoSupplier } from './organisations.js';
import { Random } from './random.js';
import { loadRealNotices, type RealNotice } from './real-notices.js';
import { Thresholds } from '../opportunities/thresholds.js';

/** The seed used when none is given: `npm start` and `npm run seed` load the same demo. */
export const DEFAULT_SEED = 2026;

/**
 * Reference data that --reset keeps: it is loaded by the migrations, not by the seeder. A table
 * of reference data added later (loaded by runMigrations) belongs here too.
 */
export const REFERENCE_TABLES = ['cpv_codes'] as const;

export interface SeedInputs {
  ctx: ComposeContext;
  cpvDescriptions: Map<string, string>;
  notices: RealNotice[];
}

export async function prepareSeed(db: DbOrTx, config: Config, options: { seed: number; now: Date; extraBuyers?: number }): Promise<SeedInputs> {
  const rows = await db.select({ code: cpvCodes.code, description: cpvCodes.description }).from(cpvCodes);
  if (rows.length === 0) throw new Error('cpv_codes is empty: run the migrations first (they load data/cpv-2008.csv)');
  const cpvDescriptions = new Map(rows.map((r) => [r.code, r.description]));
  const rng = new Random(options.seed);
  const area = areaContext(config);
  // Separate streams for organisations and opportunities: adding a buyer does not reshuffle every opportunity.
  const orgRng = rng.fork();
  const ctx: ComposeContext = {
    rng: rng.fork(),
    now: options.now,
    area,
    buyers: demoBuyers(orgRng, config, area, options.now, options.extraBuyers ?? 0),
    suppliers: demoSuppliers(orgRng, area, options.now),
    thresholds: Thresholds.load(),
    references: new Map(),
  };
  return { ctx, cpvDescriptions, notices: loadRealNotices(new Set(cpvDescriptions.keys())) };
}

export interface InsertedOrganisations {
  buyers: (typeof buyerOrganisations.$inferSelect)[];
  supplierIds: Map<string, number>;
}

/** Inserts the buyers and suppliers in order; returns their rows and ids. */
export async function insertOrganisations(db: DbOrTx, buyers: DemoBuyer[], demo: DemoSupplier[]): Promise<InsertedOrganisations> {
  const buyerRows = [];
  for (const { referencePrefix: _prefix, domain: _domain, ...values } of buyers) {
    const [row] = await db.insert(buyerOrganisations).values(values).returning();
    buyerRows.push(row!);
  }
  const supplierIds = new Map<string, number>();
  for (const { key, ...values } of demo) {
    const [row] = await db.insert(suppliers).values(values).returning({ id: suppliers.id });
    supplierIds.set(key, row!.id);
  }
  return { buyers: buyerRows, supplierIds };
}

export async function hasAnyBuyer(db: DbOrTx): Promise<boolean> {
  const rows = await db.select({ id: buyerOrganisations.id }).from(buyerOrganisations).limit(1);
  return rows.length > 0;
}

/**
 * Empties every table of the app (all of the public schema except the reference tables) and
 * restarts their identities. The migrations' own table lives in the `drizzle` schema and is kept.
 */
export async function resetAppTables(database: Database): Promise<string[]> {
  const { rows } = await database.pool.query<{ name: string }>(
    `select quote_ident(tablename) as name from pg_tables where schemaname = 'public' and tablename <> all($1::text[]) order by tablename`,
    [REFERENCE_TABLES],
  );
  if (rows.length) await database.db.execute(sql.raw(`truncate table ${rows.map((r) => r.name).join(', ')} restart identity cascade`));
  return rows.map((r) => r.name);
}

/**
 * A client taken from the pool for a whole load. While checked out it has no error listener of
 * the pool's, and an 'error' event without a listener (the server going away, e.g. Ctrl-C in a
 * terminal also stops an embedded PostgreSQL) would crash the process instead of failing the
 * query in hand.
 */
export async function checkOut(database: Database): Promise<pg.PoolClient> {
  const client = await database.pool.connect();
  client.on('error', ignoreClientError);
  return client;
}

export function giveBack(client: pg.PoolClient): void {
  client.removeListener('error', ignoreClientError);
  client.release();
}

function ignoreClientError(): void {
  // The query in progress fails with the same error, and that failure is handled.
}
