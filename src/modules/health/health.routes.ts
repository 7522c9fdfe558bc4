/**
 * /health/live: the process answers. /health/ready: each dependency, as JSON; 503 when one the
 * portal cannot work without (the database) fails. Later dependencies (search, mail) add checks.
 */
import type { FastifyPluginAsync } from 'fastify';

interface CheckResult {
  status: 'ok' | 'error';
  latencyMs: number;
  message?: string;
}

const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/health/live', { config: { access: 'public' }, schema: { querystring: { type: 'object', additionalProperties: false } } }, async () => ({ status: 'ok' }));

  app.get('/health/ready', { config: { access: 'public' }, schema: { querystring: { type: 'object', additionalProperties: false } } }, async (_request, reply) => {
    const database = await timed(async () => {
      await app.database.pool.query('select 1');
    });
    const healthy = database.status === 'ok';
    reply.code(healthy ? 200 : 503);
    return { status: healthy ? 'ok' : 'error', checks: { database } };
  });
};

async function timed(check: () => Promise<void>): Promise<CheckResult> {
  const started = performance.now();
  try {
    await check();
    return { status: 'ok', latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: 'error', latencyMs: Math.round(performance.now() - started), message: (error as Error).message };
  }
}

export default healthRoutes;
