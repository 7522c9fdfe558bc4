/**
 * The suppliers module's pages: the supplier's own profile, categories and colleagues (for its
 * members), invitation links, and the public directory with its CSV export for staff.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../config.js';
import categoryRoutes from './categories.routes.js';
import colleagueRoutes from './colleagues.routes.js';
import directoryRoutes from './directory.routes.js';
import profileRoutes from './profile.routes.js';

const supplierRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  await app.register(profileRoutes, { config });
  await app.register(categoryRoutes, { config });
  await app.register(colleagueRoutes, { config });
  await app.register(directoryRoutes, { config });
};

export default supplierRoutes;
