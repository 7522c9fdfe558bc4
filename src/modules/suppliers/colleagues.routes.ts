/**
 * Several people per supplier:
 *   GET  /supplier/colleagues                          the supplier's people, pending invitations, the invite form
 *   POST /supplier/colleagues                          invite by email (a 72-hour link by mail)
 *   POST /supplier/colleagues/invitations/:id/cancel   withdraw a pending invitation
 *   GET  /supplier/colleagues/:userId/remove           "are you sure?"
 *   POST /supplier/colleagues/:userId/remove           remove a colleague (or leave), never the last one
 *   GET  /supplier-invitations/:token                  the invitation: accept, sign in first, or create an account
 *   POST /supplier-invitations/:token                  accept (signed in as the invited email), or create the account and accept
 * Everything is scoped to the signed-in member's own supplier: a user id or invitation of another
 * supplier is "not found".
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.js';
import { NotFoundError } from '../../errors.js';
import * as format from '../../lib/format.js';
import { Form } from '../../lib/forms.js';
import { findUserByEmail } from '../accounts/accounts.repository.js';
import { PASSWORD_MIN_LENGTH, passwordProblem } from '../accounts/passwords.js';
import { signIn } from '../../plugins/session.js';
import { actorOf, contextOf, currentSupplierId, flash, formBody, noQuery, renderMessage, renderSupplierForm, text, type MessagePage } from './suppliers.pages.js';
import { findSupplier, listMembers, listPendingInvitations } from './suppliers.repository.js';
import { acceptInvitation, cancelInvitation, checkInvitation, inviteColleague, removeColleague, type Invitation } from './suppliers.service.js';

const MAX_ID = 2_147_483_647;
const invitationParams = Type.Object({ id: Type.String({ maxLength: 20 }) });
const userParams = Type.Object({ userId: Type.String({ maxLength: 20 }) });
const tokenParams = Type.Object({ token: Type.String({ maxLength: 200 }) });
const inviteBody = formBody({ email: text(500) });
const emptyBody = formBody({});
const acceptBody = formBody({ name: text(), password: text(1024) });

function parseId(raw: string): number | null {
  if (!/^[1-9]\d{0,9}$/.test(raw)) return null;
  const id = Number(raw);
  return id <= MAX_ID ? id : null;
}

const NOT_A_COLLEAGUE = 'There is no colleague at this address. They may have been removed already.';

const INVITATION_PROBLEMS: Record<'expired' | 'used' | 'unknown', MessagePage> = {
  expired: {
    title: 'This invitation has expired',
    paragraphs: ['Invitations work for 72 hours. Ask your colleague to invite you again from their “Colleagues” page.'],
    status: 410,
  },
  used: {
    title: 'This invitation has already been used',
    paragraphs: ['Each invitation works once. If you accepted it, sign in to see your organisation. Otherwise ask your colleague to invite you again.'],
    status: 410,
  },
  unknown: {
    title: 'This invitation link does not work',
    paragraphs: ['Check you copied the whole link from the email. If it still does not work, ask your colleague to invite you again.'],
    status: 404,
  },
};

const colleagueRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const db = app.database.db;

  async function renderColleagues(request: FastifyRequest, reply: FastifyReply, form?: Form, status?: number) {
    const supplierId = currentSupplierId(request);
    const [supplier, members, invitations] = await Promise.all([findSupplier(db, supplierId), listMembers(db, supplierId), listPendingInvitations(db, supplierId)]);
    return renderSupplierForm(reply, 'supplier/colleagues', {
      title: 'Colleagues',
      section: '/account',
      page: {
        supplierName: supplier!.name,
        members: members.map((m) => ({ ...m, isYou: m.userId === request.user!.id, joined: format.date(m.joinedAt) })),
        canRemove: members.length > 1,
        invitations: invitations.map((i) => ({ ...i, expires: format.dateTime(i.expiresAt) })),
        expiresInHours: 72,
      },
      ...(form ? { form } : { values: {} }),
      ...(status ? { status } : {}),
    });
  }

  app.get('/supplier/colleagues', { config: { access: 'supplier' }, schema: { querystring: noQuery } }, async (request, reply) => renderColleagues(request, reply));

  app.post('/supplier/colleagues', { config: { access: 'supplier' }, schema: { body: inviteBody } }, async (request, reply) => {
    const form = new Form(request.body);
    const email = form.email('email', { required: 'Enter your colleague’s email address' });
    if (form.failed) return renderColleagues(request, reply, form);
    const result = await inviteColleague(contextOf(app, request, config), actorOf(request), currentSupplierId(request), email);
    if (result.status === 'already_member') {
      form.error('email', `${email} is already one of your colleagues here`);
      return renderColleagues(request, reply, form);
    }
    if (result.status === 'too_many') {
      const minutes = Math.max(1, Math.ceil(result.retryAfterSeconds / 60));
      reply.header('retry-after', String(result.retryAfterSeconds));
      form.error('email', `You have sent a lot of invitations in the last hour. Wait ${minutes === 1 ? '1 minute' : `${minutes} minutes`} and try again`);
      return renderColleagues(request, reply, form, 429);
    }
    flash(request, `Invitation sent to ${email}`, 'The link in it works for 72 hours.');
    return reply.redirect('/supplier/colleagues', 303);
  });

  app.post('/supplier/colleagues/invitations/:id/cancel', { config: { access: 'supplier' }, schema: { params: invitationParams, body: emptyBody } }, async (request, reply) => {
    const id = parseId(request.params.id);
    const cancelled = id !== null && (await cancelInvitation(contextOf(app, request, config), actorOf(request), currentSupplierId(request), id));
    if (!cancelled) throw new NotFoundError('There is no pending invitation at this address. It may have been accepted, cancelled or expired.');
    flash(request, 'Invitation cancelled');
    return reply.redirect('/supplier/colleagues', 303);
  });

  app.get('/supplier/colleagues/:userId/remove', { config: { access: 'supplier' }, schema: { params: userParams, querystring: noQuery } }, async (request, reply) => {
    const userId = parseId(request.params.userId);
    const supplierId = currentSupplierId(request);
    const members = await listMembers(db, supplierId);
    const member = members.find((m) => m.userId === userId);
    if (!member) throw new NotFoundError(NOT_A_COLLEAGUE);
    const isYou = member.userId === request.user!.id;
    return reply.view('supplier/remove-colleague', {
      title: isYou ? 'Leave this organisation' : `Remove ${member.name}`,
      section: '/account',
      page: { member, isYou, last: members.length <= 1, supplierName: (await findSupplier(db, supplierId))!.name },
    });
  });

  app.post('/supplier/colleagues/:userId/remove', { config: { access: 'supplier' }, schema: { params: userParams, body: emptyBody } }, async (request, reply) => {
    const userId = parseId(request.params.userId);
    if (userId === null) throw new NotFoundError(NOT_A_COLLEAGUE);
    const result = await removeColleague(contextOf(app, request, config), actorOf(request), currentSupplierId(request), userId);
    if (result.status === 'not_member') throw new NotFoundError(NOT_A_COLLEAGUE);
    if (result.status === 'last_member') {
      return renderMessage(reply, {
        status: 409,
        title: 'You cannot remove the last person',
        paragraphs: ['An organisation needs at least one person who can sign in and keep its details up to date. Invite a colleague first, or delete your account from your account page.'],
        links: [{ href: '/supplier/colleagues', text: 'Back to colleagues' }],
      });
    }
    if (result.self) {
      flash(request, 'You have left the organisation');
      return reply.redirect('/account', 303);
    }
    flash(request, 'Colleague removed');
    return reply.redirect('/supplier/colleagues', 303);
  });

  // ---- Accepting an invitation -------------------------------------------------------------------

  type InvitationView = 'accept' | 'wrong_account' | 'sign_in' | 'create_account';

  async function invitationView(request: FastifyRequest, invitation: Invitation): Promise<InvitationView> {
    const user = request.user;
    if (user) return user.email.toLowerCase() === invitation.email.toLowerCase() ? 'accept' : 'wrong_account';
    return (await findUserByEmail(db, invitation.email)) ? 'sign_in' : 'create_account';
  }

  async function renderInvitation(request: FastifyRequest, reply: FastifyReply, token: string, invitation: Invitation, form?: Form, status?: number) {
    const view = await invitationView(request, invitation);
    const path = `/supplier-invitations/${token}`;
    return renderSupplierForm(reply, 'supplier/invitation', {
      title: `Join ${invitation.supplier.name}`,
      page: {
        view,
        path,
        email: invitation.email,
        supplierName: invitation.supplier.name,
        signInHref: `/sign-in?returnTo=${encodeURIComponent(path)}`,
        passwordHint: `Use ${PASSWORD_MIN_LENGTH} characters or more. Three or four random words are easy to remember and hard to guess.`,
      },
      ...(form ? { form } : { values: {} }),
      ...(status ? { status } : {}),
    });
  }

  app.get('/supplier-invitations/:token', { config: { access: 'public' }, schema: { params: tokenParams, querystring: noQuery } }, async (request, reply) => {
    // The token is a secret: do not let the page's address leak to other sites.
    reply.header('referrer-policy', 'no-referrer');
    const check = await checkInvitation(db, request.params.token);
    if (check.status !== 'valid') return renderMessage(reply, { ...INVITATION_PROBLEMS[check.status], links: [{ href: '/', text: 'Go to the home page' }] });
    return renderInvitation(request, reply, request.params.token, check.invitation);
  });

  app.post('/supplier-invitations/:token', { config: { access: 'public' }, schema: { params: tokenParams, body: acceptBody } }, async (request, reply) => {
    reply.header('referrer-policy', 'no-referrer');
    const token = request.params.token;
    const check = await checkInvitation(db, token);
    if (check.status !== 'valid') return renderMessage(reply, { ...INVITATION_PROBLEMS[check.status], links: [{ href: '/', text: 'Go to the home page' }] });
    const invitation = check.invitation;
    const view = await invitationView(request, invitation);
    const ctx = contextOf(app, request, config);

    let result;
    if (view === 'accept') {
      result = await acceptInvitation(ctx, token, { user: { ...actorOf(request), email: request.user!.email } });
    } else if (view === 'create_account') {
      const form = new Form(request.body);
      const name = form.text('name', { required: 'Enter your full name', maxLength: 200, label: 'Full name' });
      const password = form.string('password');
      const problem = passwordProblem(password, { email: invitation.email, name });
      if (problem) form.error('password', problem);
      if (form.failed) return renderInvitation(request, reply, token, invitation, form);
      result = await acceptInvitation(ctx, token, { newAccount: { name, password } });
    } else {
      // Signed in as someone else, or not signed in with an account to sign in to: the page says what to do.
      return renderInvitation(request, reply, token, invitation, undefined, 403);
    }

    switch (result.status) {
      case 'joined':
      case 'already_member':
        // A new account is signed in straight away: the link proved the mailbox, and it chose a password.
        if (!request.user) await signIn(request, result.userId);
        request.session.flash = { heading: result.status === 'joined' ? `You have joined ${result.supplier.name}` : `You are already a member of ${result.supplier.name}` };
        await request.session.save();
        return reply.redirect('/supplier', 303);
      case 'other_supplier':
        return renderMessage(reply, {
          status: 409,
          title: 'Your account already belongs to another organisation',
          paragraphs: [`Your account is linked to ${result.supplierName}. An account can belong to one supplier only. To join ${invitation.supplier.name}, leave ${result.supplierName} first, or use another email address.`],
          links: [{ href: '/supplier/colleagues', text: 'Go to your colleagues page' }],
        });
      // Someone created the account between the page and the form: the page now says to sign in.
      case 'account_exists':
      case 'wrong_account':
        return renderInvitation(request, reply, token, invitation, undefined, 409);
      default:
        return renderMessage(reply, { ...INVITATION_PROBLEMS[result.status], links: [{ href: '/', text: 'Go to the home page' }] });
    }
  });
};

export default colleagueRoutes;
