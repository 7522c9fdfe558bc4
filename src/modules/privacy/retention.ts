/**
 * How long short-lived personal data is kept. The privacy notice quotes these numbers and the
 * clean-up job (privacy.jobs.ts) enforces them, so the notice says what the code does.
 */
import { SESSION_MAX_AGE_MS } from '../../plugins/session.js';
import { TOKEN_LIFETIME_HOURS } from '../accounts/tokens.js';

export const SESSION_HOURS = SESSION_MAX_AGE_MS / 3_600_000;

/** Email links stay on record this long after they expire, so "this link has expired" can still be told apart from a wrong link. */
export const TOKEN_KEEP_DAYS_AFTER_EXPIRY = 7;

/** Shortest and longest life of an email link, in hours. */
export const TOKEN_HOURS = {
  shortest: Math.min(...Object.values(TOKEN_LIFETIME_HOURS)),
  longest: Math.max(...Object.values(TOKEN_LIFETIME_HOURS)),
};

/** Attempt counters (sign-in, registration, password reset) are removed a day after their window. */
export const COUNTER_KEEP_HOURS = 24;

/** The clean-up job runs every hour, so a record outlives its limit by at most this much. */
export const CLEAN_UP_EVERY_HOURS = 1;

export const hours = (n: number) => (n === 1 ? '1 hour' : `${n} hours`);
