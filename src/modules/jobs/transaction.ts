import type { PreparedQueryConfig } from 'drizzle-orm/pg-core';
import type PgBoss from 'pg-boss';
import type { Tx } from '../../db/client.js';

/**
 * Runs pg-boss's SQL on a drizzle transaction's own connection (pg-boss's `db` send option), so
 * a job is enqueued if, and only if, the transaction commits: `send(name, data, { db:
 * queueSqlInTransaction(tx) })`. Uses drizzle's public session API: prepareQuery() with raw text
 * and positional values, executed on the transaction's client.
 */
export function queueSqlInTransaction(tx: Tx): PgBoss.Db {
  return {
    executeSql(text, values) {
      return tx._.session
        .prepareQuery<PreparedQueryConfig & { execute: { rows: unknown[] } }>({ sql: text, params: values }, undefined, undefined, false)
        .execute();
    },
  };
}
