import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';
import type { Config } from '../config.js';

// Paths that carry a one-time token (email links): the token is masked in request logs.
const TOKEN_IN_PATH = /^(\/(?:verify-email|reset-password|confirm-email|invitations|supplier-invitations)\/)[^/?#]+/;

export function maskTokens(url: string): string {
  return url.replace(TOKEN_IN_PATH, '$1[token]');
}

/** pino options shared by the server, the worker and the scripts. */
export function loggerOptions(config: Config): LoggerOptions {
  return {
    level: config.logLevel,
    // Never log credentials: cookies, authorisation headers, or passwords and tokens in bodies.
    redact: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]', '*.password', '*.token'],
    serializers: {
      req: (request: FastifyRequest) => ({ method: request.method, url: maskTokens(request.url), host: request.headers?.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort }),
    },
  };
}
