/**
 * Start-up: configuration → database (embedded unless DATABASE_URL) → migrations → demo data on
 * an empty embedded database → app → job worker (in this process unless WORKER_IN_PROCESS=false)
 * → listen. SIGINT/SIGTERM close the server, the worker and the database in that order.
 */
import { pino } from 'pino';
import { buildApp, loggerOptions } from './app.js';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.js';
import { openDatabase } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { hasAnyData, loadDemoData } from './modules/demo/demo-data.js';
import { startJobs } from './modules/jobs/jobs.js';

function readConfig(): Config {
  loadDotEnv();
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

const config = readConfig();
const logger = pino(loggerOptions(config));
const shutdownSteps: (() => Promise<unknown>)[] = [];
let shuttingDown = false;

async function shutdown(signal: string, exitCode = 0): Promise<void> {
  if (shuttingDown) {
    logger.warn(`${signal} again: exiting at once`);
    process.exit(1);
  }
  shuttingDown = true;
  logger.info(`${signal} received: shutting down`);
  for (const step of shutdownSteps.reverse()) {
    try {
      await step();
    } catch (error) {
      logger.error({ err: error }, 'error during shutdown');
      exitCode = 1;
    }
  }
  logger.info('stopped');
  process.exit(exitCode);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  const database = await openDatabase(config, { log: (message) => logger.debug({ component: 'postgres' }, message) });
  shutdownSteps.push(() => database.close());
  logger.info(database.embedded ? 'using the embedded PostgreSQL under DATA_DIR' : 'using the PostgreSQL server at DATABASE_URL');

  await runMigrations(database);
  if (database.embedded?.owner && config.seedDemoData && !(await hasAnyData(database))) {
    logger.info('first run: loading the demo data');
    const loaded = await loadDemoData(database, config, { log: (message) => logger.info(message) });
    logger.info(`demo data loaded: ${loaded.opportunities} opportunities`);
  }

  if (config.workerInProcess) {
    const jobs = await startJobs({ database, config, logger });
    shutdownSteps.push(() => jobs.stop());
  }

  const app = await buildApp({ config, database, loggerInstance: logger });
  shutdownSteps.push(() => app.close());
  const address = await app.listen({ port: config.port, host: config.host });
  const port = new URL(address).port;
  logger.info(`Opportunity Portal is running at ${config.port === 0 ? `http://localhost:${port}` : config.publicUrl}`);
} catch (error) {
  logger.fatal({ err: error }, `start-up failed: ${(error as Error).message}`);
  await shutdown('start-up failure', 1);
}
