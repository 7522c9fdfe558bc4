/**
 * Rate limits on the account forms, counted in PostgreSQL (security/rate-limit.ts) so they hold
 * across instances. Per IP address they slow down anyone trying many accounts; per account they
 * stop guessing one account's password from many addresses. Counters are keyed by the email as
 * typed (lower-cased), whether or not an account has it, so a limit never hints at an account.
 */
import type { DbOrTx } from '../../db/client.js';
import { consume, reset, type RateLimitRule } from '../security/rate-limit.js';
import { TooManyAttemptsError, type LimitedAction } from './accounts.errors.js';

const MINUTES = 60;
const HOUR = 60 * MINUTES;

export const LIMITS = {
  /** Every sign-in attempt from one address. */
  signInIp: { name: 'sign-in:ip', limit: 20, windowSeconds: 15 * MINUTES },
  /** Attempts at one account; forgotten after a successful sign-in. */
  signInAccount: { name: 'sign-in:account', limit: 5, windowSeconds: 15 * MINUTES },
  /** Wrong current passwords typed by a signed-in user (change email, change password). */
  reauthenticate: { name: 'reauthenticate:user', limit: 5, windowSeconds: 15 * MINUTES },
  registerIp: { name: 'register:ip', limit: 10, windowSeconds: HOUR },
  resetIp: { name: 'reset:ip', limit: 10, windowSeconds: HOUR },
  resendIp: { name: 'resend-verification:ip', limit: 10, windowSeconds: HOUR },
  /**
   * Mail to one address from the anonymous forms (registration, reset, resend). Past the limit
   * the page still says the same thing but nothing more is sent: the person filling in the form
   * need not be the owner of the mailbox, who should not be flooded.
   */
  mailPerAddress: { name: 'account-mail:address', limit: 3, windowSeconds: HOUR },
} satisfies Record<string, RateLimitRule>;

/** Counts one attempt; throws TooManyAttemptsError when over the limit. */
export async function limitOrThrow(db: DbOrTx, rule: RateLimitRule, subject: string, action: LimitedAction): Promise<void> {
  const result = await consume(db, rule, subject);
  if (!result.allowed) throw new TooManyAttemptsError(result.retryAfterSeconds, action);
}

/** Counts one message to an address; false when that address has had enough for now. */
export async function mayMail(db: DbOrTx, email: string): Promise<boolean> {
  return (await consume(db, LIMITS.mailPerAddress, email)).allowed;
}

export { reset as resetLimit };
