/**
 * Privacy pages:
 *   GET  /privacy                    the privacy notice (public), partly generated from the registry
 *   GET  /account/your-data          what is held, with a download button (signed in)
 *   GET  /account/your-data/download everything held about the user and their suppliers, as JSON
 *   GET  /account/delete             what deleting the account deletes and keeps; confirm by typing
 *                                    the account's email address (or why it cannot be deleted yet)
 *   POST /account/delete             erase, sign out, confirm
 *
 * The download is a GET: it reads and changes nothing, and another site cannot read the answer,
 * so it needs no CSRF token. Deleting is confirmed by typing the email address rather than the
 * password: the session already proves who the user is, and the typed address makes the step
 * deliberate without a password guessing surface on this form.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.js';
import { Form, renderForm } from '../../lib/forms.js';
import { signOut } from '../../plugins/session.js';
import type { CurrentUser } from '../accounts/accounts.repository.js';
import { eraseAccount, erasureBlockers, exportPersonalData, loadSubject, supplierFates } from './privacy.service.js';
import { personalDataRegistry } from './registry.js';
import { SESSION_HOURS } from './retention.js';

const noQuery = Type.Object({}, { additionalProperties: false });
const deleteBody = Type.Object(
  { _csrf: Type.Optional(Type.String({ maxLength: 2000 })), email: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);

const ACCOUNT_SECTION = '/account';
const DELETE_TITLE = 'Delete your account';

/** Today's date where the council is, as YYYY-MM-DD (en-CA formats dates that way). */
function localDate(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** The registry's descriptions, split by what deleting the account does to them. */
function sectionsByFate() {
  const sections = personalDataRegistry.list().map((r) => ({ name: r.name, ...r.describe }));
  return { deleted: sections.filter((s) => !s.keptOnDeletion), kept: sections.filter((s) => s.keptOnDeletion) };
}

const privacyRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const db = app.database.db;
  const signedIn = (request: FastifyRequest): CurrentUser => request.user!;

  /** The confirmation page: 400 with the error summary when `form` failed; 409 when refused on submit. */
  async function renderDeletePage(reply: FastifyReply, user: CurrentUser, options: { form?: Form; refused?: boolean } = {}) {
    const subject = await loadSubject(db, user.id);
    const blockers = await erasureBlockers(db, user.id);
    const data = {
      title: blockers.length ? 'You cannot delete your account yet' : DELETE_TITLE,
      section: ACCOUNT_SECTION,
      backLink: { href: '/account', text: 'Back to your account' },
      email: user.email,
      blockers,
      suppliers: subject ? await supplierFates(db, subject) : [],
      sections: sectionsByFate(),
    };
    if (options.refused) return reply.code(409).view('privacy/delete', { ...data, currentPath: '/account/delete', errors: [], values: {}, errorFor: () => undefined });
    return renderForm(reply, 'privacy/delete', { ...data, form: options.form });
  }

  app.get('/privacy', { config: { access: 'public' }, schema: { querystring: noQuery } }, async (_request, reply) =>
    reply.view('privacy/notice', {
      title: 'Privacy notice',
      currentPath: '/privacy',
      sections: personalDataRegistry.list().map((r) => ({ name: r.name, ...r.describe })),
      sessionHours: SESSION_HOURS,
    }),
  );

  app.get('/account/your-data', { config: { access: 'user' }, schema: { querystring: noQuery } }, async (request, reply) =>
    reply.view('privacy/your-data', {
      title: 'Your data',
      currentPath: '/account/your-data',
      section: ACCOUNT_SECTION,
      backLink: { href: '/account', text: 'Back to your account' },
      sections: personalDataRegistry.list().map((r) => ({ name: r.name, ...r.describe })),
      hasSupplier: signedIn(request).suppliers.length > 0,
    }),
  );

  app.get('/account/your-data/download', { config: { access: 'user' }, schema: { querystring: noQuery } }, async (request, reply) => {
    const now = new Date();
    const data = await exportPersonalData(db, signedIn(request).id, now);
    if (!data) throw new Error('signed-in user has no account row');
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="your-data-${localDate(now, config.timeZone)}.json"`)
      .header('cache-control', 'no-store')
      .send(JSON.stringify(data, null, 2));
  });

  app.get('/account/delete', { config: { access: 'user' }, schema: { querystring: noQuery } }, async (request, reply) =>
    renderDeletePage(reply, signedIn(request)),
  );

  app.post('/account/delete', { config: { access: 'user' }, schema: { body: deleteBody } }, async (request, reply) => {
    const user = signedIn(request);
    // A refusal comes before the typed address: the page then has no field to correct.
    if ((await erasureBlockers(db, user.id)).length > 0) return renderDeletePage(reply, user, { refused: true });
    const form = new Form(request.body);
    const typed = form.text('email', { required: 'Enter your email address to confirm', maxLength: 254, label: 'Email address' });
    if (typed && typed.toLowerCase() !== user.email.toLowerCase()) {
      form.error('email', 'Enter the email address you sign in with, exactly as shown');
    }
    if (form.failed) return renderDeletePage(reply, user, { form });

    const result = await eraseAccount(db, user.id, { requestId: request.id });
    // Checked again under lock: a colleague may have been removed a moment ago.
    if (result.status === 'refused') return renderDeletePage(reply, user, { refused: true });
    await signOut(request, reply);
    request.log.info({ userId: user.id, suppliersDeleted: result.status === 'erased' ? result.deletedSupplierIds.length : 0 }, 'account erased');
    // Signed out now: the layout must not offer "Your account", and there is no session to flash into.
    return reply.view('privacy/deleted', {
      title: 'Your account has been deleted',
      user: null,
      takeFlash: () => undefined,
      sections: sectionsByFate(),
      suppliersDeleted: result.status === 'erased' ? result.deletedSupplierIds.length : 0,
    });
  });
};

export default privacyRoutes;
