/**
 * Small pieces the admin and staff routes share: the signed-in user and acting organisation
 * (which the access rule guarantees), the actor for audit entries, id parameters and bodies.
 */
import type { FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { NotFoundError } from '../../errors.js';
import { ForbiddenError } from '../../plugins/access.js';
import type { BuyerMembership, CurrentUser } from '../accounts/accounts.repository.js';
import { parseId } from '../opportunities/opportunities.routes.js';
import type { Actor } from './staff.service.js';

/** The user on a route whose access rule requires one (never null there). */
export function userOf(request: FastifyRequest): CurrentUser {
  if (!request.user) throw new ForbiddenError();
  return request.user;
}

/** The organisation a staff route acts for (set by the access rule on every staff:* route). */
export function actingBuyerOf(request: FastifyRequest): BuyerMembership {
  if (!request.actingBuyer) throw new ForbiddenError('This page is for staff of a buyer organisation.');
  return request.actingBuyer;
}

export function actorOf(request: FastifyRequest): Actor {
  const user = userOf(request);
  return { userId: user.id, name: user.name, requestId: request.id };
}

/** An `:id` path segment that must be a positive integer id, else the page does not exist. */
export function idFrom(raw: string, notFound: string): number {
  const id = parseId(raw);
  if (id === null) throw new NotFoundError(notFound);
  return id;
}

export const idParams = Type.Object({ id: Type.String({ maxLength: 20 }) }, { additionalProperties: false });
export const noQuery = Type.Object({}, { additionalProperties: false });
const csrf = Type.Optional(Type.String({ maxLength: 200 }));
/** A form with only a button (and its CSRF token). */
export const buttonBody = Type.Object({ _csrf: csrf }, { additionalProperties: false });

/** A form body of these optional, bounded string fields (name → maximum length), plus `_csrf`; unknown fields are dropped. */
export function formBody(fields: Record<string, number>) {
  const properties: Record<string, TSchema> = { _csrf: csrf };
  for (const [name, maxLength] of Object.entries(fields)) properties[name] = Type.Optional(Type.String({ maxLength }));
  return Type.Object(properties, { additionalProperties: false });
}

/**
 * Form pages render as the account pages do: lib/forms.ts's GOV.UK pattern plus `errorFor(field)`
 * for the components and `currentPath`; message pages use the same one-message template.
 */
export { renderForm as renderFormPage } from '../../lib/forms.js';
export { renderMessage, safeReturnTo } from '../accounts/accounts.pages.js';
