import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config.js';

const opportunityRoutes: FastifyPluginAsync<{ config: Config }> = async () => {};
export default opportunityRoutes;
