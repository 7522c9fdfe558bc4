/**
 * Staff invitations: an organisation admin (or a platform administrator) invites an email address
 * with a role; the invitee gets a `staff-invite` email with a single-use link (a staff_invite token,
 * 72 hours) and, by opening it, joins the organisation — with their existing account, or with a new
 * one whose email address the link itself has proved.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Config } from '../../config.js';
import type { Db, DbOrTx } from '../../db/client.js';
import { memberships, users } from '../accounts/accounts.table.js';
import type { CurrentUser } from '../accounts/accounts.repository.js';
import { checkToken, consumeToken, hashToken, issueToken, TOKEN_LIFETIME_HOURS } from '../accounts/tokens.js';
import { userTokens } from '../accounts/tokens.table.js';
import { recordAudit } from '../audit/audit.repository.js';
import { findBuyer } from '../buyers/buyers.repository.js';
import { queueMail, type JobSender } from '../mail/mail.service.js';
import { ROLE_WORDS, type BuyerRole } from './roles.js';
import { findStaffMemberByEmail, withdrawInvitations, type InvitationData } from './staff.repository.js';
import type { Actor } from './staff.service.js';

declare module '../mail/mail.templates.js' {
  interface MailTemplates {
    'staff-invite': {
      /** The invitee's address (they may have no account, so no name). */
      email: string;
      organisationName: string;
      roleName: string;
      roleDescription: string;
      inviterName: string;
      /** The one-time link, written out in full in the text part. */
      link: string;
      expiresInHours: number;
    };
  }
}

export const invitationPath = (token: string) => `/invitations/${token}`;

export type InviteResult = { status: 'invited' } | { status: 'already-member'; name: string };

/**
 * Invites `email` to the organisation with `role`. An earlier invitation still open for the same
 * address is withdrawn, so only the newest link works. The mail is queued in the transaction.
 */
export async function inviteStaff(
  deps: { db: Db; jobs: JobSender; config: Config },
  params: { buyer: { id: number; name: string }; email: string; role: BuyerRole; actor: Actor },
): Promise<InviteResult> {
  const { buyer, email, role, actor } = params;
  return deps.db.transaction(async (tx) => {
    const member = await findStaffMemberByEmail(tx, buyer.id, email);
    if (member) return { status: 'already-member', name: member.name };
    await withdrawInvitations(tx, buyer.id, { email });
    const [account] = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(sql`lower(${users.email}) = lower(${email})`, isNull(users.erasedAt)));
    const data: InvitationData = { buyerId: buyer.id, role, invitedByUserId: actor.userId, invitedByName: actor.name };
    const token = await issueToken(tx, { purpose: 'staff_invite', email, userId: account?.id ?? null, data: { ...data } });
    const [row] = await tx.select({ id: userTokens.id }).from(userTokens).where(eq(userTokens.tokenHash, hashToken(token)));
    await queueMail(
      deps.jobs,
      {
        to: email,
        template: 'staff-invite',
        data: {
          email,
          organisationName: buyer.name,
          roleName: ROLE_WORDS[role].name,
          roleDescription: ROLE_WORDS[role].description,
          inviterName: actor.name,
          link: `${deps.config.publicUrl}${invitationPath(token)}`,
          expiresInHours: TOKEN_LIFETIME_HOURS.staff_invite,
        },
      },
      { tx },
    );
    await recordAudit(tx, {
      actorUserId: actor.userId,
      actorLabel: actor.name,
      buyerId: buyer.id,
      entityType: 'staff_invitation',
      entityId: row!.id,
      action: 'staff.invited',
      after: { role },
      requestId: actor.requestId ?? null,
    });
    return { status: 'invited' };
  });
}

/** Withdraws one open invitation of this organisation; false when there is none with that id. */
export async function withdrawInvitation(db: Db, params: { buyerId: number; invitationId: number; actor: Actor }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const withdrawn = await withdrawInvitations(tx, params.buyerId, { id: params.invitationId });
    if (withdrawn.length === 0) return false;
    await recordAudit(tx, {
      actorUserId: params.actor.userId,
      actorLabel: params.actor.name,
      buyerId: params.buyerId,
      entityType: 'staff_invitation',
      entityId: params.invitationId,
      action: 'staff.invitation_withdrawn',
      requestId: params.actor.requestId ?? null,
    });
    return true;
  });
}

export interface Invitation {
  email: string;
  buyerId: number;
  buyerName: string;
  role: BuyerRole;
  invitedByName: string;
  expiresAt: Date;
  /** The account that already uses the invited address, if any. */
  account: { id: number; name: string; hasPassword: boolean } | null;
}

export type InvitationCheck = { status: 'valid'; invitation: Invitation } | { status: 'expired' | 'used' | 'unknown' };

async function accountFor(db: DbOrTx, email: string) {
  const [row] = await db
    .select({ id: users.id, name: users.name, passwordHash: users.passwordHash })
    .from(users)
    .where(and(sql`lower(${users.email}) = lower(${email})`, isNull(users.erasedAt)));
  return row ? { id: row.id, name: row.name, hasPassword: row.passwordHash !== null } : null;
}

/** Reads an invitation link without using it. */
export async function checkInvitation(db: DbOrTx, token: string, now = new Date()): Promise<InvitationCheck> {
  const check = await checkToken(db, 'staff_invite', token, now);
  if (check.status !== 'valid') return check;
  const data = check.token.data as InvitationData;
  const buyer = await findBuyer(db, data.buyerId);
  if (!buyer) return { status: 'unknown' };
  return {
    status: 'valid',
    invitation: {
      email: check.token.email,
      buyerId: buyer.id,
      buyerName: buyer.name,
      role: data.role,
      invitedByName: data.invitedByName,
      expiresAt: check.token.expiresAt,
      account: await accountFor(db, check.token.email),
    },
  };
}

export type AcceptResult =
  | { status: 'joined' | 'already-member'; userId: number; invitation: Invitation }
  | { status: 'expired' | 'used' | 'unknown' }
  /** The signed-in user is not the one invited. */
  | { status: 'wrong-account'; invitation: Invitation }
  /** Someone already has an account (with a password) for this address: they must sign in. */
  | { status: 'sign-in-needed'; invitation: Invitation };

/**
 * Uses the invitation: as the signed-in user (who must have the invited address), or by creating
 * the account (`newAccount`: name and an argon2id hash) — or giving a password to an account that
 * has none yet, e.g. one made by `npm run create-admin`. Opening the link proves the address, so
 * the account's email counts as verified. Everything happens in one transaction with the token.
 */
export async function acceptInvitation(
  db: Db,
  token: string,
  as: { user: CurrentUser } | { newAccount: { name: string; passwordHash: string } },
  requestId: string | null = null,
): Promise<AcceptResult> {
  try {
    return await db.transaction(async (tx) => {
      const check = await checkInvitation(tx, token);
      if (check.status !== 'valid') return check;
      const invitation = check.invitation;
      if ('user' in as && as.user.email.toLowerCase() !== invitation.email.toLowerCase()) return { status: 'wrong-account', invitation };
      if ('newAccount' in as && invitation.account?.hasPassword) return { status: 'sign-in-needed', invitation };

      // Used first, in this transaction: a second click, or two at once, wait here and then find it used.
      const now = new Date();
      const consumed = await consumeToken(tx, 'staff_invite', token, now);
      if (consumed.status !== 'valid') return { status: consumed.status };

      let userId: number;
      let actorName: string;
      if ('user' in as) {
        userId = as.user.id;
        actorName = as.user.name;
        await tx.update(users).set({ emailVerifiedAt: now, updatedAt: now }).where(and(eq(users.id, userId), isNull(users.emailVerifiedAt)));
      } else if (invitation.account) {
        userId = invitation.account.id;
        actorName = as.newAccount.name;
        const updated = await tx
          .update(users)
          .set({ name: as.newAccount.name, passwordHash: as.newAccount.passwordHash, emailVerifiedAt: now, updatedAt: now })
          .where(and(eq(users.id, userId), isNull(users.passwordHash)))
          .returning({ id: users.id });
        // The account got a password since the check: undo the token's use, and ask to sign in.
        if (updated.length === 0) throw new Outcome({ status: 'sign-in-needed', invitation });
      } else {
        actorName = as.newAccount.name;
        const created = await tx
          .insert(users)
          .values({ email: invitation.email, name: as.newAccount.name, passwordHash: as.newAccount.passwordHash, emailVerifiedAt: now })
          .onConflictDoNothing()
          .returning({ id: users.id });
        // Someone registered this address since the check.
        if (created.length === 0) throw new Outcome({ status: 'sign-in-needed', invitation });
        userId = created[0]!.id;
        await recordAudit(tx, { actorUserId: userId, actorLabel: actorName, entityType: 'user', entityId: userId, action: 'user.registered_by_invitation', requestId });
      }

      const inserted = await tx
        .insert(memberships)
        .values({ userId, buyerId: invitation.buyerId, role: invitation.role })
        .onConflictDoNothing()
        .returning({ id: memberships.id });
      if (inserted.length === 0) return { status: 'already-member', userId, invitation };
      await recordAudit(tx, {
        actorUserId: userId,
        actorLabel: actorName,
        buyerId: invitation.buyerId,
        entityType: 'membership',
        entityId: inserted[0]!.id,
        action: 'staff.joined',
        after: { userId, role: invitation.role, invitedBy: invitation.invitedByName },
        requestId,
      });
      return { status: 'joined', userId, invitation };
    });
  } catch (error) {
    if (error instanceof Outcome) return error.result;
    throw error;
  }
}

/** Thrown inside the transaction to roll it back (the token stays unused) and answer with `result`. */
class Outcome extends Error {
  constructor(readonly result: AcceptResult) {
    super(result.status);
  }
}
