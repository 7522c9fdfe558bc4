/**
 * /health/live: the process answers. /health/ready: each dependency, as JSON; 503 when one the
 * portal cannot work without (the database) fails.
 *
 * Search reports `degraded` (not an error, status 200) when Meilisearch is configured but fails:
 * searches are then answered from PostgreSQL, which holds the same search documents, so the
 * instance still serves every page and a load balancer should keep sending it traffic. The
 * message says so ("Meilisearch unreachable: falling back to PostgreSQL …"). Search failing
 * outright while the database answers (a missing text search configuration) is reported the same
 * way, as `degraded` with status 200: every other page still works.
 */
import type { FastifyPluginAsync } from 'fastify';

interface CheckResult {
  status: 'ok' | 'degraded' | 'error';
  latencyMs: number;
  message?: string;
}

interface SearchCheckResult extends CheckResult {
  /** The backend answering searches now: `meilisearch`, or `postgres` (the default, or the fallback). */
  backend?: 'postgres' | 'meilisearch';
}

const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/health/live', { config: { access: 'public' }, schema: { querystring: { type: 'object', additionalProperties: false } } }, async () => ({ status: 'ok' }));

  app.get('/health/ready', { config: { access: 'public' }, schema: { querystring: { type: 'object', additionalProperties: false } } }, async (_request, reply) => {
    const [database, search] = await Promise.all([
      timed(async () => {
        await app.database.pool.query('select 1');
      }),
      searchCheck(),
    ]);
    const healthy = database.status === 'ok';
    reply.code(healthy ? 200 : 503);
    const status = !healthy ? 'error' : search.status === 'ok' ? 'ok' : 'degraded';
    return { status, checks: { database, search } };
  });

  async function searchCheck(): Promise<SearchCheckResult> {
    const started = performance.now();
    try {
      const ready = await app.opportunitySearch.ready();
      return { status: ready.status, latencyMs: Math.round(performance.now() - started), backend: ready.backend, message: ready.detail };
    } catch (error) {
      return { status: 'error', latencyMs: Math.round(performance.now() - started), message: (error as Error).message };
    }
  }
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
