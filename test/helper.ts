/**
 * Test helper: the app is built by the same buildApp(options) as production, on a database of
 * its own cloned from the migrated template (see test/support/test-cluster.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { buildApp, type App } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { connect, type Database } from '../src/db/client.js';
import { startJobSender, type JobRunner } from '../src/modules/jobs/jobs.js';
import { databaseUrl, readTestClusterInfo, TEMPLATE_DATABASE, uniqueDatabaseName } from './support/test-cluster.js';

/** The slice of a tap test the helpers need (keeps them usable from any tap version). */
export interface TestContext {
  teardown(fn: () => unknown): void;
}

/** A fresh database for this test, cloned from the migrated template and dropped afterwards. */
export async function createTestDatabase(t: TestContext): Promise<Database> {
  const { adminUrl } = readTestClusterInfo();
  const name = uniqueDatabaseName();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const database = connect(databaseUrl(adminUrl, name), undefined, 5);
  t.teardown(async () => {
    await database.close();
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    await cleanup.query(`drop database if exists ${name} with (force)`);
    await cleanup.end();
  });
  return database;
}

/** Configuration as production reads it, from test defaults plus the given variables. */
export function testConfig(t: TestContext, env: Record<string, string> = {}): Config {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-test-data-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  return loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '100000', ...env });
}

export interface TestApp {
  app: App;
  jobs: JobRunner;
  database: Database;
  config: Config;
}

export async function buildTestApp(t: TestContext, options: { env?: Record<string, string>; database?: Database; clock?: () => Date } = {}): Promise<TestApp> {
  const config = testConfig(t, options.env);
  const database = options.database ?? (await createTestDatabase(t));
  const jobs = await startJobSender({ database, config, logger: pino({ level: 'silent' }) });
  const app = await buildApp({ config, database, jobs, ...(options.clock ? { clock: options.clock } : {}) });
  t.teardown(async () => {
    await app.close();
    await jobs.stop();
  });
  await app.ready();
  return { app, jobs, database, config };
}
