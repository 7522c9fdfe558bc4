/**
 * buildApp(options): the one way to build the portal's Fastify app, used by the server, the
 * worker-less test helper and the benchmarks alike, so tests run with production's options.
 * Plugins load in order: database, security, session (cookies, CSRF, current user), access (who may
 * use each route), view, errors, static, forms; then each module's routes.
 */
import { randomUUID } from 'node:crypto';
import formBody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import { loggerOptions } from './lib/logger.js';
import type { Database } from './db/client.js';
import type { JobRunner } from './modules/jobs/jobs.js';
import accountRoutes from './modules/accounts/accounts.routes.js';
import adminRoutes from './modules/admin/admin.routes.js';
import healthRoutes from './modules/health/health.routes.js';
import manageOpportunityRoutes from './modules/opportunities/manage/manage.routes.js';
import opportunityRoutes from './modules/opportunities/opportunities.routes.js';
import pipelineRoutes from './modules/opportunities/pipeline.routes.js';
import privacyRoutes from './modules/privacy/privacy.routes.js';
import searchRoutes from './modules/search/search.routes.js';
import supplierRoutes from './modules/suppliers/suppliers.routes.js';
import accessPlugin from './plugins/access.js';
import databasePlugin from './plugins/database.js';
import errorsPlugin from './plugins/errors.js';
import searchPlugin from './plugins/search.js';
import securityPlugin from './plugins/security.js';
import sessionPlugin from './plugins/session.js';
import staticPlugin from './plugins/static.js';
import viewPlugin from './plugins/view.js';

export interface BuildAppOptions {
  config: Config;
  database: Database;
  /** Sends jobs (mail, indexing, scheduled publishing); the server's runner, or a sender in tests. */
  jobs: JobRunner;
  /** The server passes its own pino logger so that start-up and request lines share it. */
  loggerInstance?: FastifyBaseLogger;
  /** The clock officers' actions are judged by (deadlines, "in the future"); tests move it. */
  clock?: () => Date;
}

export async function buildApp(options: BuildAppOptions) {
  const { config, database } = options;
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: loggerOptions(config) }),
    genReqId: () => randomUUID(),
    trustProxy: config.trustProxy,
    // Query strings and path parameters are bounded: longer ones get a clear 4xx, not work.
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(databasePlugin, { database, jobs: options.jobs, clock: options.clock ?? (() => new Date()) });
  await app.register(searchPlugin, { config });
  await app.register(securityPlugin, { config });
  await app.register(sessionPlugin, { config });
  await app.register(accessPlugin);
  await app.register(viewPlugin, { config });
  await app.register(errorsPlugin);
  await app.register(staticPlugin);
  await app.register(formBody, { bodyLimit: 64 * 1024 });

  await app.register(healthRoutes);
  await app.register(opportunityRoutes, { config });
  await app.register(pipelineRoutes, { config });
  await app.register(manageOpportunityRoutes, { config });
  await app.register(searchRoutes, { config });
  await app.register(accountRoutes, { config });
  await app.register(adminRoutes, { config });
  await app.register(supplierRoutes, { config });
  await app.register(privacyRoutes, { config });

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
