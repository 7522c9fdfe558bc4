/**
 * Applies the SQL migrations in migrations/ and loads reference data (the CPV codes).
 * Safe to run from several instances at once: an advisory lock serialises them.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type pg from 'pg';
import { migrationsDir, referenceDataDir } from '../paths.js';
import type { Database } from './client.js';

const MIGRATION_LOCK = 7_351_001;

export async function runMigrations(database: Database): Promise<void> {
  const client = await database.pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(drizzle(client), { migrationsFolder: migrationsDir });
      await loadCpvCodes(client);
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** Loads data/cpv-2008.csv into cpv_codes when the table is not already complete. */
export async function loadCpvCodes(client: pg.PoolClient): Promise<number> {
  const codes = await readCpvCsv(path.join(referenceDataDir, 'cpv-2008.csv'));
  const { rows } = await client.query<{ n: number }>('select count(*)::int as n from cpv_codes');
  if (rows[0]?.n === codes.length) return 0;
  await client.query('begin');
  try {
    await client.query(
      `insert into cpv_codes (code, description, division)
       select code, description, left(code, 2) from unnest($1::text[], $2::text[]) as t(code, description)
       on conflict (code) do update set description = excluded.description`,
      [codes.map((c) => c.code), codes.map((c) => c.description)],
    );
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
  return codes.length;
}

export interface CpvRow {
  code: string;
  description: string;
}

/** Parses the two-column CSV (code, description) with RFC 4180 quoting. */
export async function readCpvCsv(file: string): Promise<CpvRow[]> {
  let text = '';
  for await (const chunk of createReadStream(file, 'utf8')) text += chunk;
  const rows: CpvRow[] = [];
  for (const record of parseCsv(text).slice(1)) {
    const [code, description] = record;
    if (code && description && /^\d{8}$/.test(code)) rows.push({ code, description });
  }
  return rows;
}

export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}
