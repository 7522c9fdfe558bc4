/**
 * Start-up: configuration → database (embedded unless DATABASE_URL) → migrations → demo data on
 * an empty embedded database → job worker (in this process unless WORKER_IN_PROCESS=false, when
 * the app only sends jobs) → app → listen. SIGINT/SIGTERM close the server, the jobs and the
 * database in that order (src/lib/process.ts).
 */
import { pino } from 'pino';
import { buildApp } from './app.js';
import { openDatabase } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { loggerOptions } from './lib/logger.js';
import { handleShutdownSignals, readConfigOrExit } from './lib/process.js';
import { demoAccountsBanner } from './modules/demo/demo-accounts.js';
import { hasAnyData, loadDemoData } from './modules/demo/demo-data.js';
import { startJobs, startJobSender } from './modules/jobs/jobs.js';
import { closeMail } from './modules/mail/mail.service.js';

const config = readConfigOrExit();
const logger = pino(loggerOptions(config));
const lifecycle = handleShutdownSignals(logger);

try {
  const database = await openDatabase(config, { log: (message) => logger.debug({ component: 'postgres' }, message) });
  lifecycle.onShutdown(() => database.close());
  logger.info(database.embedded ? 'using the embedded PostgreSQL under DATA_DIR' : 'using the PostgreSQL server at DATABASE_URL');

  await runMigrations(database);
  if (database.embedded?.owner && config.seedDemoData && !(await hasAnyData(database))) {
    logger.info('first run: loading the demo data');
    const loaded = await loadDemoData(database, config, { log: (message) => logger.info(message) });
    logger.info(`demo data loaded: ${loaded.opportunities} opportunities`);
  }

  const jobs = config.workerInProcess ? await startJobs({ database, config, logger }) : await startJobSender({ database, config, logger });
  // Steps run in reverse: the jobs stop first, then the SMTP pool closes.
  lifecycle.onShutdown(async () => closeMail());
  lifecycle.onShutdown(() => jobs.stop());

  const app = await buildApp({ config, database, jobs, loggerInstance: logger });
  lifecycle.onShutdown(() => app.close());
  const address = await app.listen({ port: config.port, host: config.host });
  const port = new URL(address).port;
  const url = config.port === 0 ? `http://localhost:${port}` : config.publicUrl;
  logger.info(`Opportunity Portal is running at ${url}`);
  // Demo mode only: the demo accounts and their shared password (DESIGN.md, "Logs": the one exception).
  if (database.embedded && config.seedDemoData) {
    const banner = await demoAccountsBanner(database.db, url);
    if (banner) console.log(banner);
  }
} catch (error) {
  logger.fatal({ err: error }, `start-up failed: ${(error as Error).message}`);
  await lifecycle.shutdown('start-up failure', 1);
}
