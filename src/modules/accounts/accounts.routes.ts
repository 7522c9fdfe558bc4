import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../config.js';

// Work in progress (issue 3): this module's routes are being written.
const accountRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async () => {};
export default accountRoutes;
