import fp from 'fastify-plugin';
import type { Database } from '../db/client.js';
import type { JobRunner } from '../modules/jobs/jobs.js';

declare module 'fastify' {
  interface FastifyInstance {
    database: Database;
    jobs: JobRunner;
  }
}

/** Decorates the app with the open database and the job runner. Opening and closing them is the caller's job. */
export default fp<{ database: Database; jobs: JobRunner }>(
  async (app, { database, jobs }) => {
    app.decorate('database', database);
    app.decorate('jobs', jobs);
  },
  { name: 'database' },
);
