/**
 * The accounts module's pages: the anonymous flows (auth.routes.ts) and the signed-in user's own
 * account (account.routes.ts). Over a rate limit, any of them shows a page saying when to try
 * again; every other error goes on to the app's error handler.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../config.js';
import accountPages from './account.routes.js';
import { TooManyAttemptsError } from './accounts.errors.js';
import { renderTooManyAttempts } from './accounts.pages.js';
import authPages from './auth.routes.js';

const accountRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  app.setErrorHandler(async (error, _request, reply) => {
    if (error instanceof TooManyAttemptsError) return renderTooManyAttempts(reply, error);
    // Thrown on, it reaches the app's handler (plugins/errors.ts).
    throw error;
  });
  await app.register(authPages, { config });
  await app.register(accountPages, { config });
};

export default accountRoutes;
