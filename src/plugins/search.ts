import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { createSearchService, type SearchService } from '../modules/search/search.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Opportunity search on the configured backend (src/modules/search/search.service.ts). Not `search`: Fastify uses that name for the SEARCH method. */
    opportunitySearch: SearchService;
  }
}

/** Decorates the app with the search service, built once per app from the configuration. */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    app.decorate('opportunitySearch', createSearchService({ config, database: app.database, logger: app.log, clock: app.clock }));
  },
  { name: 'search', dependencies: ['database'] },
);
