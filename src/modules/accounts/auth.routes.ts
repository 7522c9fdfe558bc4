/**
 * The pages anyone can use: register, confirm an email address, sign in and out, reset a
 * forgotten password. Whatever is typed, the pages and statuses never say whether an email
 * address has an account (see accounts.service.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { Form, renderForm } from '../../lib/forms.js';
import { signIn, signOut } from '../../plugins/session.js';
import { LIMITS, limitOrThrow } from './accounts.limits.js';
import { renderMessage, safeReturnTo, SIGN_IN_FAILED } from './accounts.pages.js';
import { emailOnlyBody, emptyBody, noQuery, registerBody, resetPasswordBody, signedOutQuery, signInBody, signInQuery, tokenParams } from './accounts.schemas.js';
import * as accounts from './accounts.service.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem } from './passwords.js';

const NAME_MAX = 200;

/** Reads and checks a new password and its confirmation into `form`; returns the password. */
export function readNewPassword(form: Form, about: { email?: string; name?: string }, fields = { password: 'newPassword', confirm: 'confirmPassword' }): string {
  const password = form.string(fields.password);
  const problem = passwordProblem(password, about);
  if (problem) form.error(fields.password, problem);
  else if (form.string(fields.confirm) === '') form.error(fields.confirm, 'Enter your new password again');
  else if (form.string(fields.confirm) !== password) form.error(fields.confirm, 'The passwords do not match: enter the same password twice');
  return password;
}

export const passwordHint = `Use ${PASSWORD_MIN_LENGTH} characters or more (up to ${PASSWORD_MAX_LENGTH}). A few random words make a strong password that is easy to remember.`;

const authRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const ctx = (request: FastifyRequest): accounts.AccountsContext => ({ db: app.database.db, jobs: app.jobs, config, requestId: request.id });

  const checkEmailPage = (email: string) => ({
    title: 'Check your email',
    paragraphs: [
      `We have sent an email to ${email}.`,
      'Open the link in it to confirm your email address. The link works for 24 hours.',
      'If you already have an account with this address, the email tells you how to sign in instead.',
      'If the email has not arrived after a few minutes, check your spam or junk folder.',
    ],
    links: [{ href: '/verify-email/resend', text: 'Send the email again' }],
  });

  // ---- Register --------------------------------------------------------------------------------

  app.get('/register', { config: { access: 'public' }, schema: { querystring: noQuery } }, async (_request, reply) =>
    renderForm(reply, 'accounts/register', { title: 'Create an account', passwordHint }),
  );

  app.post('/register', { config: { access: 'public' }, schema: { body: registerBody } }, async (request, reply) => {
    const form = new Form(request.body);
    const name = form.text('name', { required: 'Enter your full name', maxLength: NAME_MAX, label: 'Full name' });
    const email = form.email('email', { required: 'Enter your email address' });
    const password = form.string('password');
    const problem = passwordProblem(password, { email, name });
    if (problem) form.error('password', problem);
    if (form.failed) return renderForm(reply, 'accounts/register', { title: 'Create an account', form, passwordHint });
    await limit(request, 'registerIp');
    await accounts.register(ctx(request), { name, email, password });
    return renderMessage(reply, checkEmailPage(email));
  });

  // ---- Email verification ----------------------------------------------------------------------

  app.get('/verify-email/resend', { config: { access: 'public' }, schema: { querystring: noQuery } }, async (_request, reply) =>
    renderForm(reply, 'accounts/resend-verification', { title: 'Send the confirmation email again' }),
  );

  app.post('/verify-email/resend', { config: { access: 'public' }, schema: { body: emailOnlyBody } }, async (request, reply) => {
    const form = new Form(request.body);
    const email = form.email('email', { required: 'Enter your email address' });
    if (form.failed) return renderForm(reply, 'accounts/resend-verification', { title: 'Send the confirmation email again', form });
    await limit(request, 'resendIp');
    await accounts.resendVerification(ctx(request), email);
    return renderMessage(reply, {
      title: 'Check your email',
      paragraphs: [
        `If ${email} has an account that is not yet confirmed, we have sent a new link to it. The link works for 24 hours.`,
        'If the email has not arrived after a few minutes, check your spam or junk folder.',
      ],
      links: [{ href: '/sign-in', text: 'Sign in' }],
    });
  });

  app.get('/verify-email/:token', { config: { access: 'public' }, schema: { params: tokenParams, querystring: noQuery } }, async (request, reply) => {
    const result = await accounts.verifyEmail(ctx(request), request.params.token);
    if (result.status !== 'verified') return linkProblem(reply, 'verify', result.status);
    await signIn(request, result.user.id);
    request.session.flash = { heading: 'Your email address is confirmed', body: 'Your account is ready to use.' };
    return reply.redirect('/account', 303);
  });

  // ---- Sign in and out -------------------------------------------------------------------------

  app.get('/sign-in', { config: { access: 'public' }, schema: { querystring: signInQuery } }, async (request, reply) =>
    renderForm(reply, 'accounts/sign-in', { title: 'Sign in', returnTo: safeReturnTo(request.query.returnTo) ?? '' }),
  );

  app.post('/sign-in', { config: { access: 'public' }, schema: { body: signInBody } }, async (request, reply) => {
    const form = new Form(request.body);
    const email = form.email('email', { required: 'Enter your email address' });
    const password = form.string('password');
    if (password === '') form.error('password', 'Enter your password');
    const returnTo = safeReturnTo(request.body.returnTo);
    const page = () => renderForm(reply, 'accounts/sign-in', { title: 'Sign in', form, returnTo: returnTo ?? '' });
    if (form.failed) return page();
    const user = await accounts.authenticate(ctx(request), { email, password, ip: request.ip });
    if (!user) {
      form.error('email', SIGN_IN_FAILED);
      return page();
    }
    await signIn(request, user.id);
    return reply.redirect(returnTo ?? '/account', 303);
  });

  // Public, so that a sign-out from a page whose session has already ended still ends cleanly.
  app.post('/sign-out', { config: { access: 'public' }, schema: { body: emptyBody } }, async (request, reply) => {
    if (request.session) await signOut(request, reply);
    return reply.redirect('/signed-out', 303);
  });

  app.get('/signed-out', { config: { access: 'public' }, schema: { querystring: signedOutQuery } }, async (request, reply) =>
    renderMessage(reply, {
      title: 'You have signed out',
      paragraphs: [request.query.everywhere ? 'You are no longer signed in on any device, including this one.' : 'You are no longer signed in on this device.'],
      links: [
        { href: '/sign-in', text: 'Sign in again' },
        { href: '/', text: 'Go to the home page' },
      ],
    }),
  );

  // ---- Forgotten password ----------------------------------------------------------------------

  app.get('/forgotten-password', { config: { access: 'public' }, schema: { querystring: noQuery } }, async (_request, reply) =>
    renderForm(reply, 'accounts/forgotten-password', { title: 'Reset your password' }),
  );

  app.post('/forgotten-password', { config: { access: 'public' }, schema: { body: emailOnlyBody } }, async (request, reply) => {
    const form = new Form(request.body);
    const email = form.email('email', { required: 'Enter your email address' });
    if (form.failed) return renderForm(reply, 'accounts/forgotten-password', { title: 'Reset your password', form });
    await accounts.requestPasswordReset(ctx(request), { email, ip: request.ip });
    return renderMessage(reply, {
      title: 'Check your email',
      paragraphs: [
        `If ${email} has an account, we have sent it a link to reset the password.`,
        'The link works for 1 hour and only once. If you ask for another link, only the newest one works.',
        'If the email has not arrived after a few minutes, check your spam or junk folder, or check you typed the address you registered with.',
      ],
      links: [{ href: '/sign-in', text: 'Back to sign in' }],
    });
  });

  app.get('/reset-password/:token', { config: { access: 'public' }, schema: { params: tokenParams, querystring: noQuery } }, async (request, reply) => {
    // The token is in the address: do not let it travel in a Referer header.
    reply.header('referrer-policy', 'no-referrer');
    const result = await accounts.checkResetLink(ctx(request), request.params.token);
    if (result.status !== 'valid') return linkProblem(reply, 'reset', result.status);
    return renderForm(reply, 'accounts/reset-password', { title: 'Choose a new password', action: request.url, passwordHint });
  });

  app.post('/reset-password/:token', { config: { access: 'public' }, schema: { params: tokenParams, body: resetPasswordBody } }, async (request, reply) => {
    reply.header('referrer-policy', 'no-referrer');
    const { token } = request.params;
    const check = await accounts.checkResetLink(ctx(request), token);
    if (check.status !== 'valid') return linkProblem(reply, 'reset', check.status);
    const form = new Form(request.body);
    const password = readNewPassword(form, { email: check.user.email, name: check.user.name });
    if (form.failed) return renderForm(reply, 'accounts/reset-password', { title: 'Choose a new password', form, action: request.url, passwordHint });
    const result = await accounts.resetPassword(ctx(request), token, password);
    if (result.status !== 'changed') return linkProblem(reply, 'reset', result.status);
    await signIn(request, result.user.id);
    request.session.flash = { heading: 'Your password has been changed', body: 'You have been signed out on every other device.' };
    return reply.redirect('/account', 303);
  });

  async function limit(request: FastifyRequest, rule: 'registerIp' | 'resendIp') {
    await limitOrThrow(app.database.db, LIMITS[rule], request.ip, rule === 'registerIp' ? 'register' : 'resend');
  }
};

export type LinkKind = 'verify' | 'reset' | 'confirm-email';

const LINK_PROBLEMS: Record<LinkKind, { what: string; forward: { href: string; text: string } }> = {
  verify: { what: 'confirm your email address', forward: { href: '/verify-email/resend', text: 'Get a new confirmation link' } },
  reset: { what: 'reset your password', forward: { href: '/forgotten-password', text: 'Ask for a new reset link' } },
  'confirm-email': { what: 'change your email address', forward: { href: '/account/email', text: 'Ask to change your email address again' } },
};

/** A link from an email that cannot be used: say why, and how to carry on (400: the link is bad). */
export function linkProblem(reply: FastifyReply, kind: LinkKind, status: accounts.TokenProblem) {
  const { what, forward } = LINK_PROBLEMS[kind];
  const reason = {
    expired: { title: 'This link has expired', text: `Links to ${what} only work for a limited time.` },
    used: { title: 'This link has already been used', text: `Each link to ${what} works only once${kind === 'verify' ? ': if you opened it before, your address is already confirmed and you can sign in' : ''}.` },
    unknown: { title: 'This link does not work', text: `Check you copied the whole link from the email. If you asked for more than one email, only the newest link may work.` },
  }[status];
  return renderMessage(reply, {
    status: 400,
    title: reason.title,
    paragraphs: [reason.text],
    // A new confirmation link can be asked for right here; the others have their own page.
    resendForm: kind === 'verify',
    links: kind === 'verify' ? [{ href: '/sign-in', text: 'Sign in' }] : [forward, { href: '/sign-in', text: 'Sign in' }],
  });
}

export default authRoutes;
