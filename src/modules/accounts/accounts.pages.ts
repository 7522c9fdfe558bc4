/**
 * Rendering shared by the account pages: forms (the GOV.UK pattern of lib/forms.ts, plus an
 * `errorFor(field)` helper for the templates), one-message pages, the "too many attempts" page,
 * and the check on where to send someone after signing in.
 */
import type { FastifyReply } from 'fastify';
import * as format from '../../lib/format.js';
import type { LimitedAction, TooManyAttemptsError } from './accounts.errors.js';

export const SIGN_IN_FAILED = 'Enter a correct email address and password';

/**
 * Where to go after signing in: only a path on this site. `//host` and `/\host` are other sites
 * to a browser, and anything with a scheme is refused, as are control characters.
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2000) return undefined;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return undefined;
  try {
    const base = 'http://portal.invalid';
    const url = new URL(value, base);
    if (url.origin !== base) return undefined;
    return url.pathname + url.search + url.hash;
  } catch {
    return undefined;
  }
}

export interface MessagePage {
  title: string;
  paragraphs: string[];
  links?: { href: string; text: string }[];
  status?: number;
  /** Show the "send the confirmation email again" form (email field) under the text. */
  resendForm?: boolean;
}

/** A page with a heading, a few paragraphs and ways forward. */
export function renderMessage(reply: FastifyReply, page: MessagePage) {
  return reply.code(page.status ?? 200).view('accounts/message', { links: [], ...page });
}

const WHAT: Record<LimitedAction, string> = {
  'sign-in': 'You have tried to sign in too many times.',
  register: 'There have been too many attempts to create an account from your internet connection.',
  reset: 'There have been too many requests to reset a password from your internet connection.',
  resend: 'There have been too many requests for confirmation emails from your internet connection.',
  reauthenticate: 'You have entered your current password incorrectly too many times.',
};

/** 429 with Retry-After, saying when to try again (in minutes and as a London time). */
export function renderTooManyAttempts(reply: FastifyReply, error: TooManyAttemptsError) {
  const minutes = Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
  const at = format.dateTime(new Date(Date.now() + error.retryAfterSeconds * 1000));
  const paragraphs = [WHAT[error.action], `To keep accounts safe, wait ${minutes === 1 ? '1 minute' : `${minutes} minutes`} and try again (from ${at}).`];
  const links = error.action === 'sign-in' || error.action === 'reauthenticate' ? [{ href: '/forgotten-password', text: 'Reset your password if you have forgotten it' }] : [];
  return reply
    .code(429)
    .header('retry-after', String(error.retryAfterSeconds))
    .view('accounts/message', { title: 'Too many attempts', paragraphs, links });
}
