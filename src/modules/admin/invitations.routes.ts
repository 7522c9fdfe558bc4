/**
 * Accepting a staff invitation: /invitations/<token> (access 'public', the token is the key).
 *
 *   signed in as the invited address   → "Join <organisation>" button → member, off to /manage
 *   signed in as someone else          → 403 page: sign out, then open the link again
 *   an account exists, not signed in   → "sign in to accept" (back to this page afterwards)
 *   no account (or one with no password yet) → name and password → a verified account, joined
 *                                        and signed in (opening the link proved the address)
 *   expired, used, withdrawn or unknown → a page saying to ask their administrator for a new one
 *
 * Opening the link (GET) changes nothing, so mail scanners that follow links cannot use it up.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Form } from '../../lib/forms.js';
import { signIn } from '../../plugins/session.js';
import { hashPassword, passwordProblem } from '../accounts/passwords.js';
import { passwordHint } from '../accounts/auth.routes.js';
import { acceptInvitation, checkInvitation, invitationPath, type AcceptResult, type Invitation } from './invitations.service.js';
import { ROLE_WORDS } from './roles.js';
import { formBody, noQuery, renderFormPage, renderMessage } from './route-helpers.js';

const tokenParams = Type.Object({ token: Type.String({ maxLength: 200 }) }, { additionalProperties: false });
const acceptBody = formBody({ name: 1000, password: 1000 });
const NAME_MAX = 200;

function unusable(reply: FastifyReply, status: 'expired' | 'used' | 'unknown') {
  const askAgain = 'Ask the person who invited you, or another administrator of the organisation, to send you a new invitation.';
  const pages = {
    expired: { status: 410, title: 'This invitation has expired', paragraphs: ['Invitation links work for 72 hours, and this one is older than that.', askAgain] },
    used: {
      status: 410,
      title: 'This invitation has already been used',
      paragraphs: ['Each invitation link works once. If you have accepted it already, sign in to use the staff area.', `If you have not, it may have been withdrawn or replaced by a newer invitation. ${askAgain}`],
    },
    unknown: { status: 404, title: 'This invitation link is not valid', paragraphs: ['Check that you copied the entire link from the email.', `If it still does not work, ${askAgain.charAt(0).toLowerCase()}${askAgain.slice(1)}`] },
  } as const;
  const page = pages[status];
  return renderMessage(reply, { ...page, paragraphs: [...page.paragraphs], links: status === 'used' ? [{ href: '/sign-in?returnTo=%2Fmanage', text: 'Sign in' }] : [] });
}

function describe(invitation: Invitation) {
  return { ...invitation, roleName: ROLE_WORDS[invitation.role].name, roleDescription: ROLE_WORDS[invitation.role].description };
}

function wrongAccount(request: FastifyRequest, reply: FastifyReply, invitation: Invitation) {
  return reply.code(403).view('manage/invitation-wrong-account', {
    title: 'This invitation is for someone else',
    page: { invitation: describe(invitation), signedInAs: request.user?.email ?? '' },
  });
}

function registerPage(reply: FastifyReply, token: string, invitation: Invitation, form?: Form) {
  return renderFormPage(reply, 'manage/invitation-register', {
    title: `Join ${invitation.buyerName}`,
    passwordHint,
    ...(form ? { form } : {}),
    page: { invitation: describe(invitation), action: invitationPath(token), accountName: invitation.account?.name ?? '' },
  });
}

const invitationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.database.db;

  /** After joining: work for the new organisation straight away. */
  function joined(request: FastifyRequest, reply: FastifyReply, result: Extract<AcceptResult, { userId: number }>) {
    request.session.actingBuyerId = result.invitation.buyerId;
    request.session.flash =
      result.status === 'joined'
        ? { heading: `You have joined ${result.invitation.buyerName}`, body: `You are ${ROLE_WORDS[result.invitation.role].name.toLowerCase()}. ${ROLE_WORDS[result.invitation.role].description}` }
        : { heading: `You are already a member of ${result.invitation.buyerName}`, body: 'Your role has not changed.' };
    return reply.redirect('/manage', 303);
  }

  app.get('/invitations/:token', { config: { access: 'public' }, schema: { params: tokenParams, querystring: noQuery } }, async (request, reply) => {
    const token = request.params.token;
    const check = await checkInvitation(db, token);
    if (check.status !== 'valid') return unusable(reply, check.status);
    const invitation = check.invitation;
    const user = request.user;
    if (user) {
      if (user.email.toLowerCase() !== invitation.email.toLowerCase()) return wrongAccount(request, reply, invitation);
      return renderFormPage(reply, 'manage/invitation-accept', {
        title: `Join ${invitation.buyerName}`,
        page: { invitation: describe(invitation), action: invitationPath(token), alreadyMember: user.buyers.some((b) => b.buyerId === invitation.buyerId) },
      });
    }
    if (invitation.account?.hasPassword) {
      return renderMessage(reply, {
        title: `Sign in to join ${invitation.buyerName}`,
        paragraphs: [
          `${invitation.invitedByName} has invited you to join ${invitation.buyerName} as ${ROLE_WORDS[invitation.role].name.toLowerCase()}.`,
          `You already have an account for ${invitation.email}. Sign in with it, and you will come back here to accept the invitation.`,
        ],
        links: [
          { href: `/sign-in?returnTo=${encodeURIComponent(invitationPath(token))}`, text: 'Sign in' },
          { href: '/forgotten-password', text: 'I have forgotten my password' },
        ],
      });
    }
    return registerPage(reply, token, invitation);
  });

  app.post('/invitations/:token', { config: { access: 'public' }, schema: { params: tokenParams, querystring: noQuery, body: acceptBody } }, async (request, reply) => {
    const token = request.params.token;
    const user = request.user;
    if (user) {
      const result = await acceptInvitation(db, token, { user }, request.id);
      if (result.status === 'wrong-account') return wrongAccount(request, reply, result.invitation);
      if (result.status === 'joined' || result.status === 'already-member') return joined(request, reply, result);
      if (result.status === 'sign-in-needed') return reply.redirect(invitationPath(token), 303);
      return unusable(reply, result.status);
    }

    const check = await checkInvitation(db, token);
    if (check.status !== 'valid') return unusable(reply, check.status);
    if (check.invitation.account?.hasPassword) return reply.redirect(invitationPath(token), 303);
    const form = new Form(request.body);
    const name = form.text('name', { required: 'Enter your full name', maxLength: NAME_MAX, label: 'Full name' });
    const password = form.string('password');
    const problem = passwordProblem(password, { email: check.invitation.email, name });
    if (problem) form.error('password', problem);
    if (form.failed) return registerPage(reply, token, check.invitation, form);

    const result = await acceptInvitation(db, token, { newAccount: { name, passwordHash: await hashPassword(password) } }, request.id);
    if (result.status === 'joined' || result.status === 'already-member') {
      await signIn(request, result.userId);
      return joined(request, reply, result);
    }
    if (result.status === 'sign-in-needed' || result.status === 'wrong-account') return reply.redirect(invitationPath(token), 303);
    return unusable(reply, result.status);
  });
};

export default invitationRoutes;
