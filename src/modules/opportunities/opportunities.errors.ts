/**
 * The publishing domain's errors. Each carries a code and an HTTP status; routes catch the ones a
 * page explains better (a conflict shows both versions, a refusal names what to fix) and let the
 * error handler render the rest.
 */
import { AppError, NotFoundError } from '../../errors.js';
import type { StaffOpportunity } from './opportunities.service.js';

/** No opportunity with this id in the acting organisation: another organisation's is "not found" too. */
export class OpportunityNotFoundError extends NotFoundError {
  constructor() {
    super('There is no opportunity at this address in the organisation you are working for. If you work for several organisations, check which one you have chosen in the staff area.');
  }
}

/** The change is not allowed from where the opportunity is now (e.g. cancelling an awarded one). */
export class IllegalTransitionError extends AppError {
  constructor(message: string) {
    super('illegal_transition', 409, message);
  }
}

/**
 * Someone saved the opportunity after this officer opened the page (the version they sent is not
 * the current one). Nothing was written; `current` is what is saved now, for the conflict page.
 */
export class EditConflictError extends AppError {
  constructor(
    readonly current: StaffOpportunity,
    readonly sentVersion: number,
  ) {
    super('edit_conflict', 409, 'Someone else saved changes to this opportunity after you opened the page. Nothing you sent has been saved yet.');
  }
}

export interface ReadinessProblem {
  /** The drafting step to fix it in (see DRAFT_STEPS). */
  step: string;
  field: string;
  message: string;
}

/** Publishing (or scheduling, or moving stage) needs these fixed first. */
export class NotReadyError extends AppError {
  constructor(readonly problems: ReadinessProblem[]) {
    super('not_ready', 400, `Before this can be published: ${problems.map((p) => p.message).join('; ')}.`);
  }
}
