import type { LoggerOptions } from 'pino';
import type { Config } from '../config.js';

/** pino options shared by the server, the worker and the scripts. */
export function loggerOptions(config: Config): LoggerOptions {
  return {
    level: config.logLevel,
    // Never log credentials: cookies, authorisation headers, or passwords and tokens in bodies.
    redact: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]', '*.password', '*.token'],
  };
}
