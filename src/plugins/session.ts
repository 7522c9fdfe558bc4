/**
 * Cookies, sessions, CSRF and the current user.
 * - Sessions live in PostgreSQL and are created at sign-in only: anonymous visitors get no row
 *   (saveUninitialized: false). Cookies are HttpOnly, SameSite=Lax, Secure on https.
 * - CSRF: every unsafe request (POST, PUT, PATCH, DELETE) outside /api/ must carry a token bound
 *   to a signed `_csrf` cookie, so anonymous forms are protected without a session. Templates
 *   call `it.csrfToken()`; the cookie is only set on pages that render a form.
 * - `request.user` is loaded from the session's user id on each request that has a session.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import session from '@fastify/session';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { findCurrentUser, type CurrentUser } from '../modules/accounts/accounts.repository.js';
import { PgSessionStore } from '../modules/accounts/session-store.js';

declare module 'fastify' {
  interface Session {
    userId?: number;
    /** The buyer organisation a multi-organisation officer is acting for. */
    actingBuyerId?: number;
    /** A one-off message shown on the next page (GOV.UK notification banner). */
    flash?: { heading: string; body?: string };
  }
  interface FastifyRequest {
    user: CurrentUser | null;
  }
  interface FastifyReply {
    /** Merged into every template's data by @fastify/view. */
    locals: Record<string, unknown>;
  }
}

export const SESSION_MAX_AGE_MS = 8 * 60 * 60 * 1000;
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** SESSION_SECRET, or one generated once and kept (mode 600) under DATA_DIR. */
export function resolveSessionSecret(config: Config): string {
  if (config.sessionSecret) return config.sessionSecret;
  const file = path.join(config.dataDir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export default fp<{ config: Config }>(
  async (app, { config }) => {
    const secret = resolveSessionSecret(config);
    const secure = config.publicUrl.startsWith('https:');
    await app.register(cookie, { secret });
    await app.register(session, {
      secret,
      cookieName: 'portal_session',
      store: new PgSessionStore(app.database.db, SESSION_MAX_AGE_MS),
      saveUninitialized: false,
      rolling: false,
      cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: SESSION_MAX_AGE_MS },
    });
    await app.register(csrf, {
      sessionPlugin: '@fastify/cookie',
      cookieKey: 'portal_csrf',
      cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure, signed: true },
      getToken: (request: FastifyRequest) => (request.body as { _csrf?: string } | undefined)?._csrf ?? (request.headers['x-csrf-token'] as string | undefined),
    });

    app.decorateRequest('user', null);

    app.addHook('preHandler', async (request, reply) => {
      const userId = request.session.userId;
      if (userId !== undefined) {
        request.user = (await findCurrentUser(app.database.db, userId)) ?? null;
        // The account was erased or deleted: the session is worthless.
        if (!request.user) await request.session.destroy();
      }
      let token: string | undefined;
      reply.locals = {
        ...reply.locals,
        user: request.user,
        csrfToken: () => (token ??= reply.generateCsrf()),
        // Read by the layout: taking it lazily means only a rendered page consumes the message.
        takeFlash: () => takeFlash(request),
      };
    });

    // After the body is parsed (so a form's _csrf field is readable), before any handler.
    app.addHook('preHandler', (request, reply, done) => {
      if (!UNSAFE_METHODS.has(request.method) || request.url.startsWith('/api/')) return done();
      app.csrfProtection(request, reply, done);
    });
  },
  { name: 'session', dependencies: ['database'] },
);

function takeFlash(request: FastifyRequest) {
  const flash = request.session.flash;
  if (flash) request.session.flash = undefined;
  return flash;
}

/** Starts a fresh session for a user who has just proved who they are (rotates the id). */
export async function signIn(request: FastifyRequest, userId: number): Promise<void> {
  await request.session.regenerate();
  request.session.userId = userId;
  await request.session.save();
}

export async function signOut(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  await request.session.destroy();
  reply.clearCookie('portal_session', { path: '/' });
}
