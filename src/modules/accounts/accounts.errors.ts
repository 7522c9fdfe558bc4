import { AppError } from '../../errors.js';

export type LimitedAction = 'sign-in' | 'register' | 'reset' | 'resend' | 'reauthenticate';

/**
 * Over a rate limit. The account routes render it as a page saying when to try again (429 with
 * Retry-After); anywhere else the error handler shows it as a plain 429.
 */
export class TooManyAttemptsError extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    readonly action: LimitedAction,
  ) {
    super('too_many_attempts', 429, 'There have been too many attempts. Wait a few minutes and try again.');
    this.name = 'TooManyAttemptsError';
  }
}
