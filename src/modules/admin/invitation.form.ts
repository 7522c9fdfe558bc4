/**
 * The invitation form (an email address and, for organisation admins, a role), shared by the team
 * page and the platform administrator's "invite an administrator"; and a per-sender limit on how
 * many invitations go out, since each one sends an email to an address typed by the sender.
 */
import { AppError } from '../../errors.js';
import { Form } from '../../lib/forms.js';
import type { DbOrTx } from '../../db/client.js';
import { consume } from '../security/rate-limit.js';
import { BUYER_ROLES, ROLE_REQUIRED, type BuyerRole } from './roles.js';
import { formBody } from './route-helpers.js';

export const inviteBody = formBody({ email: 1000, role: 100 });

export const INVITE_EMAIL_REQUIRED = 'Enter the email address of the person you want to invite';

export function readInviteForm(body: unknown, { withRole }: { withRole: boolean }): { form: Form; email: string; role: BuyerRole } {
  const form = new Form(body);
  const email = form.email('email', { required: INVITE_EMAIL_REQUIRED });
  const role = withRole ? form.oneOf('role', BUYER_ROLES, ROLE_REQUIRED) : 'admin';
  return { form, email, role: role ?? 'viewer' };
}

export const INVITATIONS_PER_HOUR = 50;

/** Counts one invitation by this user; a clear 429 beyond INVITATIONS_PER_HOUR in an hour. */
export async function countInvitation(db: DbOrTx, userId: number): Promise<void> {
  const result = await consume(db, { name: 'staff-invite:user', limit: INVITATIONS_PER_HOUR, windowSeconds: 3600 }, String(userId));
  if (!result.allowed) {
    const minutes = Math.ceil(result.retryAfterSeconds / 60);
    throw new AppError('too_many_invitations', 429, `You have sent ${INVITATIONS_PER_HOUR} invitations in the last hour, which is the most we allow. Try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`);
  }
}
