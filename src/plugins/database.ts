import fp from 'fastify-plugin';
import type { Database } from '../db/client.js';
import type { JobRunner } from '../modules/jobs/jobs.js';

declare module 'fastify' {
  interface FastifyInstance {
    database: Database;
    jobs: JobRunner;
    /** Now, for domain rules (see BuildAppOptions.clock). */
    clock: () => Date;
  }
}

/** Decorates the app with the open database, the job runner and the clock. Opening and closing them is the caller's job. */
export default fp<{ database: Database; jobs: JobRunner; clock: () => Date }>(
  async (app, { database, jobs, clock }) => {
    app.decorate('database', database);
    app.decorate('jobs', jobs);
    app.decorate('clock', clock);
  },
  { name: 'database' },
);
