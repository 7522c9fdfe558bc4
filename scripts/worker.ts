/**
 * `npm run worker`: the job worker on its own, for deployments that run the web app with
 * WORKER_IN_PROCESS=false (or that want more workers). Configuration → database (DATABASE_URL, or
 * the embedded one under DATA_DIR, shared with a running `npm start`) → migrations → jobs.
 * SIGINT/SIGTERM finish the job in hand, stop the jobs and close the database.
 */
import { pino } from 'pino';
import { loggerOptions } from '../src/lib/logger.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { startJobs } from '../src/modules/jobs/jobs.js';
import { closeMail } from '../src/modules/mail/mail.service.js';
import { handleShutdownSignals, readConfigOrExit } from '../src/lib/process.js';

const config = readConfigOrExit();
const logger = pino(loggerOptions(config));
const lifecycle = handleShutdownSignals(logger);

try {
  const database = await openDatabase(config, { log: (message) => logger.debug({ component: 'postgres' }, message), poolSize: 5 });
  lifecycle.onShutdown(() => database.close());
  logger.info(database.embedded ? 'using the embedded PostgreSQL under DATA_DIR' : 'using the PostgreSQL server at DATABASE_URL');

  await runMigrations(database);
  const jobs = await startJobs({ database, config, logger });
  // Steps run in reverse: the jobs stop first, then the SMTP pool closes.
  lifecycle.onShutdown(async () => closeMail());
  lifecycle.onShutdown(() => jobs.stop());
  logger.info({ queues: jobs.queues }, 'Opportunity Portal worker is running');
} catch (error) {
  logger.fatal({ err: error }, `start-up failed: ${(error as Error).message}`);
  await lifecycle.shutdown('start-up failure', 1);
}
