// Run by tap before the test files: start the suite's PostgreSQL and migrate the template once.
import pg from 'pg';
import { pino } from 'pino';
import { buildAssets } from '../scripts/build-assets.js';
import { loadConfig } from '../src/config.js';
import { startJobSender } from '../src/modules/jobs/jobs.js';
import { connect } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { databaseUrl, startTestCluster, TEMPLATE_DATABASE } from './support/test-cluster.js';

// Build the stylesheet and scripts once, before test files that serve them run in parallel.
await buildAssets(loadConfig({ NODE_ENV: 'test' }), { ifMissing: true });

const info = await startTestCluster();
const admin = new pg.Client({ connectionString: info.adminUrl });
await admin.connect();
await admin.query(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
await admin.query(`create database ${TEMPLATE_DATABASE}`);
// Drop databases left by an interrupted earlier run.
const { rows } = await admin.query<{ datname: string }>("select datname from pg_database where datname like 'portal_test_%' and datname <> $1", [TEMPLATE_DATABASE]);
for (const row of rows) await admin.query(`drop database if exists ${admin.escapeIdentifier(row.datname)} with (force)`);
await admin.end();

const template = connect(databaseUrl(info.adminUrl, TEMPLATE_DATABASE));
await runMigrations(template);
// Install pg-boss's schema and queues in the template too, so each test's copy starts its job runner quickly.
const jobs = await startJobSender({ database: template, config: loadConfig({ NODE_ENV: 'test' }), logger: pino({ level: 'silent' }) });
await jobs.stop();
await template.close();
