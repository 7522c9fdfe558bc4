/** A fresh, empty database on a PostgreSQL server, for the migration tests. */
import pg from 'pg';
import type { TestContext } from '../helper.js';
import { databaseUrl, uniqueDatabaseName } from '../support/test-cluster.js';

/** A fresh, empty database (from template1, as `createdb` makes) on a server; dropped afterwards. */
export async function emptyDatabase(t: TestContext, adminUrl: string): Promise<string> {
  const name = uniqueDatabaseName('portal_test_empty');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  t.teardown(async () => {
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    await cleanup.query(`drop database if exists ${name} with (force)`);
    await cleanup.end();
  });
  return databaseUrl(adminUrl, name);
}

