/**
 * The staff side of opportunities, under /manage/opportunities: the organisation's list and what
 * needs attention (list.routes.ts), drafting in steps with preview and edit conflicts
 * (drafting.routes.ts), the opportunity's staff page and its lifecycle actions (lifecycle.routes.ts),
 * and awards (awards.routes.ts). Every route acts for the officer's acting organisation only.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../../config.js';
import awardRoutes from './awards.routes.js';
import draftingRoutes from './drafting.routes.js';
import lifecycleRoutes from './lifecycle.routes.js';
import listRoutes from './list.routes.js';

const manageOpportunityRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  await app.register(listRoutes, { config });
  await app.register(draftingRoutes, { config });
  await app.register(lifecycleRoutes, { config });
  await app.register(awardRoutes, { config });
};

export default manageOpportunityRoutes;
