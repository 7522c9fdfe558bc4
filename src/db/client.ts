/**
 * The database connection: a pg pool wrapped by drizzle, on DATABASE_URL or on the embedded
 * cluster under DATA_DIR. `close()` ends the pool and, when this process started the embedded
 * cluster, stops it.
 */
import path from 'node:path';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Config } from '../config.js';
import { startEmbeddedCluster, type EmbeddedCluster } from './embedded.js';
import * as schema from './schema.js';

export type Db = NodePgDatabase<typeof schema>;
/** A transaction handed to repositories; they accept either a Db or a Tx. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  pool: pg.Pool;
  connectionString: string;
  /** Present when the database is the embedded one. */
  embedded: EmbeddedCluster | undefined;
  close(): Promise<void>;
}

export const EMBEDDED_DATABASE_NAME = 'portal';

export interface OpenDatabaseOptions {
  log: (message: string) => void;
  poolSize?: number;
}

export async function openDatabase(config: Config, options: OpenDatabaseOptions): Promise<Database> {
  let embedded: EmbeddedCluster | undefined;
  let connectionString = config.databaseUrl;
  if (!connectionString) {
    embedded = await startEmbeddedCluster({ dir: path.join(config.dataDir, 'db'), port: config.embeddedDbPort, log: options.log });
    await ensureDatabaseExists(embedded.connectionString(), EMBEDDED_DATABASE_NAME);
    connectionString = embedded.connectionString(EMBEDDED_DATABASE_NAME);
  }
  return connect(connectionString, embedded, options.poolSize);
}

export function connect(connectionString: string, embedded?: EmbeddedCluster, poolSize = 10): Database {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  // An idle client's error (e.g. the server restarting) must not crash the process.
  pool.on('error', () => {});
  // Only idle clients have the pool's listener: a checked-out client whose connection the server
  // drops would emit an unhandled 'error' and crash the process; its next statement fails instead.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = drizzle(pool, { schema });
  let closed = false;
  return {
    db,
    pool,
    connectionString,
    embedded,
    async close() {
      if (closed) return;
      closed = true;
      // pool.end() waits for every checked-out client; drizzle-orm 0.45 never releases one whose
      // BEGIN failed (drizzle-team/drizzle-orm#6023). Wait a bounded time, then stop the database.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([pool.end(), new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
      clearTimeout(timer);
      await embedded?.stop();
    },
  };
}

export async function ensureDatabaseExists(adminConnectionString: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminConnectionString });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
