import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../../config.js';

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async () => {};

export default routes;
