/**
 * The one error handler: domain errors and 4xx render with their message; validation errors say
 * which parameter is wrong; anything else is logged in full and shown as a 500 that leaks nothing.
 * Routes under /api/ and /health/ answer JSON, every other route an HTML page.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';

const TITLES: Record<number, string> = {
  400: 'There is a problem with the link you followed',
  403: 'You do not have permission to see this page',
  404: 'Page not found',
  405: 'Page not found',
  413: 'The file or form you sent is too large',
  414: 'The address you followed is too long',
  415: 'We cannot read what you sent',
  429: 'Too many requests',
  431: 'The address you followed is too long',
};

function wantsJson(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/') || request.url.startsWith('/health/');
}

function describeValidation(error: FastifyError): string {
  const problems = (error.validation ?? []).map((issue) => {
    const name = issue.instancePath.replace(/^\//, '') || String((issue.params as { missingProperty?: string }).missingProperty ?? '');
    return `${name ? `"${name}" ` : ''}${issue.message ?? 'is not valid'}`;
  });
  return problems.length ? `Check the address: ${problems.join('; ')}.` : 'Check the address and try again.';
}

async function send(request: FastifyRequest, reply: FastifyReply, status: number, message: string, code: string) {
  reply.code(status);
  if (wantsJson(request)) return reply.send({ error: { code, message, requestId: request.id } });
  const template = status === 404 ? 'errors/not-found' : status >= 500 ? 'errors/server-error' : 'errors/client-error';
  return reply.view(template, { title: TITLES[status] ?? 'Sorry, there is a problem', status, message, requestId: request.id });
}

export default fp(
  async (app) => {
    // Unknown addresses count against the global rate limit too (it only hooks real routes).
    app.setNotFoundHandler({ preHandler: app.rateLimit() }, async (request, reply) => send(request, reply, 404, 'If you typed the web address, check it is correct. If you pasted it, check you copied the entire address.', 'not_found'));

    app.setErrorHandler(async (error: FastifyError, request, reply) => {
      if (error instanceof AppError) return send(request, reply, error.statusCode, error.message, error.code);
      if (error.validation) return send(request, reply, 400, describeValidation(error), 'invalid_request');
      if (error.code?.startsWith('FST_CSRF_')) {
        return send(request, reply, 403, 'Your form could not be sent because the page had expired or was opened in another window. Go back, reload the page and try again: nothing has been changed.', 'csrf');
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        if (status === 429) {
          reply.header('retry-after', reply.getHeader('retry-after') ?? '60');
          return send(request, reply, status, error.message, 'rate_limited');
        }
        return send(request, reply, status, error.message, error.code ?? 'bad_request');
      }
      request.log.error({ err: error }, 'unhandled error');
      return send(request, reply, 500, 'Try again later. If the problem continues, contact us quoting the reference below.', 'internal_error');
    });
  },
  { name: 'errors', dependencies: ['view', 'security'] },
);
