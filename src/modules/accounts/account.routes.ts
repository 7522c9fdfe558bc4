/**
 * The signed-in user's own account: the account page, a new confirmation email, changing the
 * email address (confirmed from the new mailbox) and the password, and signing out everywhere.
 * Changes that need the current password are rate-limited per account.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { Form, renderForm } from '../../lib/forms.js';
import { signIn, signOut } from '../../plugins/session.js';
import type { CurrentUser } from './accounts.repository.js';
import { renderMessage } from './accounts.pages.js';
import { changeEmailBody, changePasswordBody, emptyBody, noQuery, tokenParams } from './accounts.schemas.js';
import * as accounts from './accounts.service.js';
import { linkProblem, passwordHint, readNewPassword } from './auth.routes.js';

const WRONG_PASSWORD = 'Your current password is not correct';

const accountRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const ctx = (request: FastifyRequest): accounts.AccountsContext => ({ db: app.database.db, jobs: app.jobs, config, requestId: request.id });
  /** Routes with access 'user' always have a user. */
  const me = (request: FastifyRequest): CurrentUser => request.user!;

  app.get('/account', { config: { access: 'user' }, schema: { querystring: noQuery } }, async (request, reply) =>
    reply.view('accounts/account', { title: 'Your account', currentPath: '/account', account: me(request) }),
  );

  app.post('/account/verify-email', { config: { access: 'user' }, schema: { body: emptyBody } }, async (request, reply) => {
    await accounts.resendVerificationFor(ctx(request), me(request).id);
    request.session.flash = { heading: 'We have sent you a new confirmation email', body: `Open the link in the email sent to ${me(request).email}. It works for 24 hours.` };
    return reply.redirect('/account', 303);
  });

  // ---- Change email ----------------------------------------------------------------------------

  app.get('/account/email', { config: { access: 'user' }, schema: { querystring: noQuery } }, async (request, reply) =>
    renderForm(reply, 'accounts/change-email', { title: 'Change your email address', section: '/account', account: me(request) }),
  );

  app.post('/account/email', { config: { access: 'user' }, schema: { body: changeEmailBody } }, async (request, reply) => {
    const user = me(request);
    const form = new Form(request.body);
    const email = form.email('email', { required: 'Enter your new email address', label: 'New email address' });
    if (email && email === user.email.toLowerCase()) form.error('email', 'Enter a different email address from the one you use now');
    const password = form.string('currentPassword');
    if (password === '') form.error('currentPassword', 'Enter your current password');
    const page = () => renderForm(reply, 'accounts/change-email', { title: 'Change your email address', section: '/account', form, account: user });
    if (form.failed) return page();
    if (!(await accounts.reauthenticate(ctx(request), user.id, password))) {
      form.error('currentPassword', WRONG_PASSWORD);
      return page();
    }
    await accounts.requestEmailChange(ctx(request), user.id, email);
    request.session.flash = {
      heading: 'Check your new email address',
      body: `We have sent a link to ${email}. Open it within 24 hours to start using that address. Until then, keep using ${user.email}.`,
    };
    return reply.redirect('/account', 303);
  });

  // The link arrives in the new mailbox, perhaps opened on another device: it works signed in or not.
  app.get('/confirm-email/:token', { config: { access: 'public' }, schema: { params: tokenParams, querystring: noQuery } }, async (request, reply) => {
    const result = await accounts.confirmEmailChange(ctx(request), request.params.token);
    if (result.status === 'taken') {
      // Only the owner of the new mailbox (who opened this link) learns the address is in use.
      return renderMessage(reply, {
        status: 409,
        title: 'This email address is already used by another account',
        paragraphs: [
          'Your email address has not been changed. Another account on this service already uses the new address.',
          'Sign in to that account instead, or ask to change to a different address.',
        ],
        links: [
          { href: '/sign-in', text: 'Sign in' },
          { href: '/account/email', text: 'Change to a different email address' },
        ],
      });
    }
    if (result.status !== 'changed') return linkProblem(reply, 'confirm-email', result.status);
    if (request.user?.id === result.user.id) {
      request.session.flash = { heading: 'Your email address has been changed', body: `You now sign in with ${result.user.email}.` };
      return reply.redirect('/account', 303);
    }
    return renderMessage(reply, {
      title: 'Your email address has been changed',
      paragraphs: [`You now sign in with ${result.user.email}.`],
      links: [{ href: '/sign-in', text: 'Sign in' }],
    });
  });

  // ---- Change password -------------------------------------------------------------------------

  app.get('/account/password', { config: { access: 'user' }, schema: { querystring: noQuery } }, async (_request, reply) =>
    renderForm(reply, 'accounts/change-password', { title: 'Change your password', section: '/account', passwordHint }),
  );

  app.post('/account/password', { config: { access: 'user' }, schema: { body: changePasswordBody } }, async (request, reply) => {
    const user = me(request);
    const form = new Form(request.body);
    const current = form.string('currentPassword');
    if (current === '') form.error('currentPassword', 'Enter your current password');
    const password = readNewPassword(form, { email: user.email, name: user.name });
    if (!form.messageFor('newPassword') && current !== '' && password === current) form.error('newPassword', 'Your new password must be different from your current password');
    const page = () => renderForm(reply, 'accounts/change-password', { title: 'Change your password', section: '/account', form, passwordHint });
    if (form.failed) return page();
    if (!(await accounts.reauthenticate(ctx(request), user.id, current))) {
      form.error('currentPassword', WRONG_PASSWORD);
      return page();
    }
    await accounts.changePassword(ctx(request), user.id, password);
    // Every session ended with the change; this device carries on in a new one.
    await signIn(request, user.id);
    request.session.flash = { heading: 'Your password has been changed', body: 'You have been signed out on every other device.' };
    return reply.redirect('/account', 303);
  });

  // ---- Sign out everywhere ---------------------------------------------------------------------

  app.post('/account/sign-out-everywhere', { config: { access: 'user' }, schema: { body: emptyBody } }, async (request, reply) => {
    await accounts.signOutEverywhere(ctx(request), me(request).id);
    await signOut(request, reply);
    return reply.redirect('/signed-out?everywhere=1', 303);
  });
};

export default accountRoutes;
