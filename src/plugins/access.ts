/**
 * Who may use each route. Every route declares `config.access`; a route registered without one
 * is refused at start-up, so a new page can never be open by accident.
 *
 *   public         anyone
 *   user           any signed-in user
 *   supplier       a signed-in member of a supplier
 *   staff:viewer   a member of the acting buyer organisation with at least this role
 *   staff:editor     (viewer < editor < admin)
 *   staff:admin
 *   platform-admin a platform administrator
 *
 * Anonymous visitors are sent to sign in (and back afterwards); signed-in users without the
 * right get 403. Staff act for one organisation at a time (`session.actingBuyerId`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import type { BuyerMembership } from '../modules/accounts/accounts.repository.js';
import type { BuyerRole } from '../modules/accounts/accounts.table.js';

export const ACCESS_RULES = ['public', 'user', 'supplier', 'staff:viewer', 'staff:editor', 'staff:admin', 'platform-admin'] as const;
export type Access = (typeof ACCESS_RULES)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** For staff routes: the organisation the officer acts for, with their role there. */
    actingBuyer: BuyerMembership | null;
  }
}

/** Roles in increasing power: a role may do whatever the ones below it may. */
export const ROLE_RANK: Record<BuyerRole, number> = { viewer: 1, editor: 2, admin: 3 };

export class ForbiddenError extends AppError {
  constructor(message = 'You do not have permission to see this page.') {
    super('forbidden', 403, message);
  }
}

/** The organisation a staff user acts for: the chosen one, else their first. */
export function actingBuyerFor(request: FastifyRequest): BuyerMembership | null {
  const buyers = request.user?.buyers ?? [];
  const chosen = buyers.find((b) => b.buyerId === request.session.actingBuyerId);
  return chosen ?? buyers[0] ?? null;
}

async function enforce(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const access = request.routeOptions.config.access ?? 'public';
  if (access === 'public') return;
  const user = request.user;
  if (!user) {
    if (request.url.startsWith('/api/')) throw new AppError('unauthorised', 401, 'Sign in to use this.');
    const returnTo = request.method === 'GET' ? request.url : '/';
    return reply.redirect(`/sign-in?returnTo=${encodeURIComponent(returnTo)}`, 303);
  }
  if (access === 'user') return;
  if (access === 'platform-admin') {
    if (!user.isPlatformAdmin) throw new ForbiddenError();
    return;
  }
  if (access === 'supplier') {
    if (user.suppliers.length === 0) throw new ForbiddenError('This page is for suppliers. Your account is not linked to a supplier.');
    return;
  }
  const needed = access.slice('staff:'.length) as BuyerRole;
  const acting = actingBuyerFor(request);
  if (!acting) throw new ForbiddenError('This page is for staff of a buyer organisation.');
  if (ROLE_RANK[acting.role] < ROLE_RANK[needed]) throw new ForbiddenError(`You need the ${needed} role in ${acting.buyerName} to do this.`);
  request.actingBuyer = acting;
}

export default fp(
  async (app) => {
    app.decorateRequest('actingBuyer', null);
    app.addHook('onRoute', (route) => {
      // @fastify/static's file routes and Fastify's automatic HEAD routes are public by nature.
      if (route.url.startsWith('/assets/') || route.method === 'HEAD') return;
      const access = (route.config as { access?: string } | undefined)?.access;
      if (!access || !(ACCESS_RULES as readonly string[]).includes(access)) {
        throw new Error(`Route ${String(route.method)} ${route.url} must declare config.access (one of ${ACCESS_RULES.join(', ')})`);
      }
    });
    app.addHook('preHandler', enforce);
  },
  { name: 'access', dependencies: ['session'] },
);
