/**
 * What people do with their accounts: register, verify their email, sign in, reset a forgotten
 * password, change their email or password, end their sessions. Each change happens in one
 * transaction with its audit entry and the mail it sends (queued in the same transaction, so a
 * rolled-back change sends nothing and a committed one cannot lose its message).
 *
 * No user enumeration: the anonymous flows (register, sign in, forgotten password, resend a
 * verification link) return nothing that depends on whether the email has an account; only the
 * mailbox learns the truth. They also do the same expensive work either way (an argon2 hash or
 * verification), so response times do not tell either.
 */
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import { recordAudit } from '../audit/audit.repository.js';
import { queueMail, type JobSender } from '../mail/mail.service.js';
import { accountLinks } from './accounts.mail.js';
import { LIMITS, limitOrThrow, mayMail, resetLimit } from './accounts.limits.js';
import { emailTakenByAnother, findUserByEmail, findUserById, insertUserIfNew, updateUser, type UserRow } from './accounts.repository.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { destroyUserSessions } from './session-store.js';
import { checkToken, consumeToken, issueToken, revokeTokens, TOKEN_LIFETIME_HOURS, type TokenCheck } from './tokens.js';

export interface AccountsContext {
  db: Db;
  jobs: JobSender;
  config: Config;
  /** The request's id, kept in the audit log. */
  requestId?: string;
}

/** A token link that cannot be used, and why (each gets its own page with a way forward). */
export type TokenProblem = 'expired' | 'used' | 'unknown';

function audit(user: Pick<UserRow, 'id' | 'name'>, action: string, ctx: AccountsContext, details: { before?: unknown; after?: unknown } = {}) {
  return {
    actorUserId: user.id,
    actorLabel: user.name,
    entityType: 'user',
    entityId: user.id,
    action,
    before: details.before,
    after: details.after,
    requestId: ctx.requestId ?? null,
  };
}

// ---- Registration and verification ------------------------------------------------------------

/**
 * Creates an unverified account and mails a verification link; for an address that already has
 * an account, creates nothing and tells that mailbox instead (with sign-in and reset links).
 */
export async function register(ctx: AccountsContext, input: { name: string; email: string; password: string }): Promise<void> {
  // Hashed whether or not the account exists: the hash is most of the time this takes.
  const passwordHash = await hashPassword(input.password);
  const mailAllowed = await mayMail(ctx.db, input.email);
  await ctx.db.transaction(async (tx) => {
    const user = await insertUserIfNew(tx, { email: input.email, name: input.name, passwordHash });
    if (user) {
      const token = await issueToken(tx, { purpose: 'verify_email', email: user.email, userId: user.id });
      await recordAudit(tx, audit(user, 'account.registered', ctx, { after: { name: user.name, email: user.email } }));
      // A new account always gets its link, whatever the per-address mail limit says.
      await queueMail(ctx.jobs, { to: user.email, template: 'verify-email', data: { name: user.name, link: accountLinks.verifyEmail(ctx.config, token), expiresInHours: TOKEN_LIFETIME_HOURS.verify_email } }, { tx });
      return;
    }
    // Taken: by a live account (tell its mailbox) or by an erased one (say nothing).
    const existing = await findUserByEmail(tx, input.email);
    if (existing && mailAllowed) {
      await queueMail(
        ctx.jobs,
        {
          to: existing.email,
          template: 'account-exists',
          data: { name: existing.name, signInLink: accountLinks.signIn(ctx.config), resetLink: accountLinks.forgottenPassword(ctx.config) },
        },
        { tx },
      );
    }
  });
}

/** Uses a verification link: marks the email verified and returns the user to sign in. */
export async function verifyEmail(ctx: AccountsContext, token: string): Promise<{ status: 'verified'; user: UserRow } | { status: TokenProblem }> {
  return ctx.db.transaction(async (tx) => {
    const check = await consumeToken(tx, 'verify_email', token);
    if (check.status !== 'valid') return { status: check.status };
    const user = check.token.userId === null ? undefined : await findUserById(tx, check.token.userId);
    // The account has gone, or its email has changed since the link was sent.
    if (!user || user.email.toLowerCase() !== check.token.email.toLowerCase()) return { status: 'unknown' };
    if (user.emailVerifiedAt === null) {
      const verifiedAt = new Date();
      await updateUser(tx, user.id, { emailVerifiedAt: verifiedAt });
      await recordAudit(tx, audit(user, 'account.email_verified', ctx, { after: { email: user.email } }));
      return { status: 'verified', user: { ...user, emailVerifiedAt: verifiedAt } };
    }
    return { status: 'verified', user };
  });
}

/** Sends a fresh verification link to an unverified account (anonymous form: silent otherwise). */
export async function resendVerification(ctx: AccountsContext, email: string): Promise<void> {
  const mailAllowed = await mayMail(ctx.db, email);
  const user = await findUserByEmail(ctx.db, email);
  if (!user || user.emailVerifiedAt !== null || !mailAllowed) return;
  await sendVerification(ctx, user);
}

/** Sends a fresh verification link to a signed-in, unverified user. */
export async function resendVerificationFor(ctx: AccountsContext, userId: number): Promise<void> {
  const user = await findUserById(ctx.db, userId);
  if (!user || user.emailVerifiedAt !== null) return;
  if (!(await mayMail(ctx.db, user.email))) return;
  await sendVerification(ctx, user);
}

async function sendVerification(ctx: AccountsContext, user: UserRow): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const token = await issueToken(tx, { purpose: 'verify_email', email: user.email, userId: user.id });
    await queueMail(ctx.jobs, { to: user.email, template: 'verify-email', data: { name: user.name, link: accountLinks.verifyEmail(ctx.config, token), expiresInHours: TOKEN_LIFETIME_HOURS.verify_email } }, { tx });
  });
}

// ---- Signing in ---------------------------------------------------------------------------------

/**
 * Checks an email and password, counting the attempt against the IP address and the account
 * (throws TooManyAttemptsError past a limit). Returns the user, or undefined whatever went wrong.
 */
export async function authenticate(ctx: AccountsContext, input: { email: string; password: string; ip: string }): Promise<UserRow | undefined> {
  await limitOrThrow(ctx.db, LIMITS.signInIp, input.ip, 'sign-in');
  await limitOrThrow(ctx.db, LIMITS.signInAccount, input.email, 'sign-in');
  const user = await findUserByEmail(ctx.db, input.email);
  // verifyPassword spends the same work on a missing hash (no account, or no password yet).
  const ok = await verifyPassword(user?.passwordHash, input.password);
  if (!ok || !user) return undefined;
  await resetLimit(ctx.db, LIMITS.signInAccount, input.email);
  return user;
}

/** A signed-in user proving it is them (current password), limited per account. */
export async function reauthenticate(ctx: AccountsContext, userId: number, password: string): Promise<boolean> {
  await limitOrThrow(ctx.db, LIMITS.reauthenticate, String(userId), 'reauthenticate');
  const user = await findUserById(ctx.db, userId);
  const ok = await verifyPassword(user?.passwordHash, password);
  if (ok) await resetLimit(ctx.db, LIMITS.reauthenticate, String(userId));
  return ok;
}

// ---- Forgotten password -------------------------------------------------------------------------

/** Mails a reset link (1 hour, single use; older links stop working) if the email has an account. */
export async function requestPasswordReset(ctx: AccountsContext, input: { email: string; ip: string }): Promise<void> {
  await limitOrThrow(ctx.db, LIMITS.resetIp, input.ip, 'reset');
  const mailAllowed = await mayMail(ctx.db, input.email);
  const user = await findUserByEmail(ctx.db, input.email);
  if (!user || !mailAllowed) return;
  await ctx.db.transaction(async (tx) => {
    await revokeTokens(tx, user.id, 'reset_password');
    const token = await issueToken(tx, { purpose: 'reset_password', email: user.email, userId: user.id });
    await recordAudit(tx, audit(user, 'account.password_reset_requested', ctx));
    await queueMail(ctx.jobs, { to: user.email, template: 'reset-password', data: { name: user.name, link: accountLinks.resetPassword(ctx.config, token), expiresInHours: TOKEN_LIFETIME_HOURS.reset_password } }, { tx });
  });
}

/** The account a reset link is for, without using the link (to show the form). */
export async function checkResetLink(ctx: AccountsContext, token: string): Promise<{ status: 'valid'; user: UserRow } | { status: TokenProblem }> {
  return userForToken(ctx, await checkToken(ctx.db, 'reset_password', token));
}

async function userForToken(ctx: AccountsContext, check: TokenCheck): Promise<{ status: 'valid'; user: UserRow } | { status: TokenProblem }> {
  if (check.status !== 'valid') return { status: check.status };
  const user = check.token.userId === null ? undefined : await findUserById(ctx.db, check.token.userId);
  if (!user || user.email.toLowerCase() !== check.token.email.toLowerCase()) return { status: 'unknown' };
  return { status: 'valid', user };
}

/**
 * Sets a new password from a reset link: uses the link, ends every session of the account and
 * mails a notice. The caller signs the user in afresh.
 */
export async function resetPassword(ctx: AccountsContext, token: string, newPassword: string): Promise<{ status: 'changed'; user: UserRow } | { status: TokenProblem }> {
  const passwordHash = await hashPassword(newPassword);
  const result = await ctx.db.transaction(async (tx) => {
    const check = await consumeToken(tx, 'reset_password', token);
    if (check.status !== 'valid') return { status: check.status };
    const user = check.token.userId === null ? undefined : await findUserById(tx, check.token.userId);
    if (!user || user.email.toLowerCase() !== check.token.email.toLowerCase()) return { status: 'unknown' as const };
    // The link reached this mailbox, which proves the address as well as a verification link would.
    const emailVerifiedAt = user.emailVerifiedAt ?? new Date();
    await updateUser(tx, user.id, { passwordHash, emailVerifiedAt });
    await revokeTokens(tx, user.id, 'reset_password');
    await recordAudit(tx, audit(user, 'account.password_reset', ctx));
    await queueMail(ctx.jobs, { to: user.email, template: 'password-changed', data: { name: user.name, resetLink: accountLinks.forgottenPassword(ctx.config) } }, { tx });
    return { status: 'changed' as const, user: { ...user, passwordHash, emailVerifiedAt } };
  });
  if (result.status === 'changed') await destroyUserSessions(ctx.db, result.user.id);
  return result;
}

// ---- Changing email and password ---------------------------------------------------------------

/**
 * Mails a confirmation link to the new address and a heads-up to the old one. Whether the new
 * address belongs to another account is not checked here (that would tell this user): the
 * confirmation, which only the new mailbox's owner can make, finds out.
 */
export async function requestEmailChange(ctx: AccountsContext, userId: number, newEmail: string): Promise<void> {
  const user = await findUserById(ctx.db, userId);
  if (!user) return;
  await ctx.db.transaction(async (tx) => {
    await revokeTokens(tx, user.id, 'change_email');
    const token = await issueToken(tx, { purpose: 'change_email', email: newEmail, userId: user.id, data: { oldEmail: user.email } });
    await recordAudit(tx, audit(user, 'account.email_change_requested', ctx, { before: { email: user.email }, after: { email: newEmail } }));
    await queueMail(ctx.jobs, { to: newEmail, template: 'confirm-new-email', data: { name: user.name, link: accountLinks.confirmEmail(ctx.config, token), expiresInHours: TOKEN_LIFETIME_HOURS.change_email } }, { tx });
    await queueMail(ctx.jobs, { to: user.email, template: 'email-change', data: { name: user.name, newEmail, resetLink: accountLinks.forgottenPassword(ctx.config) } }, { tx });
  });
}

export type EmailChangeResult = { status: 'changed'; user: UserRow; oldEmail: string } | { status: TokenProblem | 'taken' };

/** Uses a confirmation link: the account's email becomes the new (verified) address. */
export async function confirmEmailChange(ctx: AccountsContext, token: string): Promise<EmailChangeResult> {
  try {
    return await ctx.db.transaction(async (tx): Promise<EmailChangeResult> => {
      const check = await consumeToken(tx, 'change_email', token);
      if (check.status !== 'valid') return { status: check.status };
      const user = check.token.userId === null ? undefined : await findUserById(tx, check.token.userId);
      const oldEmail = (check.token.data as { oldEmail?: string }).oldEmail;
      // The account has gone, or changed its email again since.
      if (!user || !oldEmail || user.email.toLowerCase() !== oldEmail.toLowerCase()) return { status: 'unknown' };
      const newEmail = check.token.email;
      if (await emailTakenByAnother(tx, newEmail, user.id)) return { status: 'taken' };
      const verifiedAt = new Date();
      await updateUser(tx, user.id, { email: newEmail, emailVerifiedAt: verifiedAt });
      await revokeTokens(tx, user.id, 'change_email');
      // Links sent to the old address are for the old address.
      await revokeTokens(tx, user.id, 'verify_email');
      await recordAudit(tx, audit(user, 'account.email_changed', ctx, { before: { email: user.email }, after: { email: newEmail } }));
      await queueMail(ctx.jobs, { to: user.email, template: 'email-changed', data: { name: user.name, newEmail, resetLink: accountLinks.forgottenPassword(ctx.config) } }, { tx });
      return { status: 'changed', user: { ...user, email: newEmail, emailVerifiedAt: verifiedAt }, oldEmail: user.email };
    });
  } catch (error) {
    // Another account took the address between our check and the update (the unique index).
    if (isUniqueViolation(error)) return { status: 'taken' };
    throw error;
  }
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}

/** Sets a new password and ends every session of the account (the caller starts a new one). */
export async function changePassword(ctx: AccountsContext, userId: number, newPassword: string): Promise<void> {
  const user = await findUserById(ctx.db, userId);
  if (!user) return;
  const passwordHash = await hashPassword(newPassword);
  await ctx.db.transaction(async (tx) => {
    await updateUser(tx, user.id, { passwordHash });
    // Reset links asked for before the change must not undo it.
    await revokeTokens(tx, user.id, 'reset_password');
    await recordAudit(tx, audit(user, 'account.password_changed', ctx));
    await queueMail(ctx.jobs, { to: user.email, template: 'password-changed', data: { name: user.name, resetLink: accountLinks.forgottenPassword(ctx.config) } }, { tx });
  });
  await destroyUserSessions(ctx.db, user.id);
}

/** Ends every session of the account, on every device. */
export async function signOutEverywhere(ctx: AccountsContext, userId: number): Promise<void> {
  const user = await findUserById(ctx.db, userId);
  if (!user) return;
  const ended = await destroyUserSessions(ctx.db, user.id);
  await recordAudit(ctx.db, audit(user, 'account.signed_out_everywhere', ctx, { after: { sessionsEnded: ended } }));
}
