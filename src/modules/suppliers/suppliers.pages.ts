/**
 * Shared by the supplier pages: the signed-in member's supplier, the service context of a
 * request, form rendering (the GOV.UK pattern with an `errorFor(field)` helper for templates),
 * message pages and route schema helpers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TObject, type TProperties } from 'typebox';
import type { Config } from '../../config.js';
import { errorLookup, renderForm, type Form } from '../../lib/forms.js';
import type { Actor, SupplierContext } from './suppliers.service.js';

/** Generous bounds: the Form gives friendly messages well before these. */
export const text = (maxLength = 2000) => Type.Optional(Type.String({ maxLength }));

/** A form body: string fields, the CSRF token, and nothing else (unknown fields are dropped). */
export function formBody<P extends TProperties>(properties: P): TObject<P & { _csrf: ReturnType<typeof text> }> {
  return Type.Object({ ...properties, _csrf: text(200) }, { additionalProperties: false }) as TObject<P & { _csrf: ReturnType<typeof text> }>;
}

export const noQuery = Type.Object({}, { additionalProperties: false });

/**
 * The supplier the signed-in user acts for: the one they belong to (the lowest id, should an
 * account ever belong to several). Only called on routes with access 'supplier'.
 */
export function currentSupplierId(request: FastifyRequest): number {
  const ids = (request.user?.suppliers ?? []).map((s) => s.supplierId);
  if (ids.length === 0) throw new Error('currentSupplierId called without a supplier membership');
  return Math.min(...ids);
}

export function actorOf(request: FastifyRequest): Actor {
  const user = request.user;
  if (!user) throw new Error('actorOf called without a signed-in user');
  return { id: user.id, name: user.name };
}

export function contextOf(app: FastifyInstance, request: FastifyRequest, config: Config): SupplierContext {
  return { db: app.database.db, jobs: app.jobs, config, requestId: request.id };
}

/**
 * A form page in the GOV.UK pattern of lib/forms.ts (400, `errors` for the summary, what was typed
 * in `values`) with `errorFor(field)` → `{ text }` for the components. `values` fills a form that
 * has not been sent yet (e.g. from the saved record); `status` overrides the code (e.g. 429).
 */
export function renderSupplierForm(
  reply: FastifyReply,
  template: string,
  data: { title: string; form?: Form; values?: Record<string, string | string[]>; status?: number; [key: string]: unknown },
) {
  const { form, values, status, ...rest } = data;
  const page = { currentPath: reply.request.url.split('?')[0], ...rest, errorFor: errorLookup(form) };
  if (status === undefined && form) return renderForm(reply, template, { ...page, form });
  return reply.code(status ?? 200).view(template, { ...page, errors: form?.errors ?? [], values: form && form.failed ? form.values : (values ?? form?.values ?? {}) });
}

export interface MessagePage {
  title: string;
  paragraphs: string[];
  links?: { href: string; text: string }[];
  status?: number;
}

/** A page with a heading, a few paragraphs and ways forward (expired links, refusals). */
export function renderMessage(reply: FastifyReply, page: MessagePage) {
  return reply.code(page.status ?? 200).view('supplier/message', { links: [], ...page });
}

/** Sets the one-off banner of the next page, for signed-in users only (anonymous visitors get no session). */
export function flash(request: FastifyRequest, heading: string, body?: string): void {
  if (request.user) request.session.flash = body ? { heading, body } : { heading };
}
