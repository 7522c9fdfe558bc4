/**
 * What suppliers' people do: register their organisation, keep its profile and categories up to
 * date, invite colleagues and remove them. Each change is one transaction with its audit entry
 * (and, for invitations, the queued mail), so a failure leaves nothing half done.
 *
 * Callers pass the supplier id of the signed-in member (routes take it from the session's user,
 * never from the request), so one supplier's people cannot reach another's.
 */
import type { Config } from '../../config.js';
import type { Db, DbOrTx } from '../../db/client.js';
import { findUserByEmail, insertUserIfNew, updateUser } from '../accounts/accounts.repository.js';
import { hashPassword } from '../accounts/passwords.js';
import { checkToken, consumeToken, issueToken, TOKEN_LIFETIME_HOURS, type TokenCheck } from '../accounts/tokens.js';
import { recordAudit } from '../audit/audit.repository.js';
import { findCpvCode } from '../cpv/cpv.repository.js';
import { queueMail, type JobSender } from '../mail/mail.service.js';
import { consume } from '../security/rate-limit.js';
import { isLocalPostcode } from './identifiers.js';
import {
  addMember,
  countMembers,
  findSupplier,
  insertSupplier,
  isMember,
  listMembers,
  lockSupplier,
  removeMember,
  supplierIdsOf,
  updateSupplier,
  withdrawInvitation,
  type Supplier,
  type SupplierValues,
} from './suppliers.repository.js';

declare module '../mail/mail.templates.js' {
  interface MailTemplates {
    /** An invitation to join a supplier's account on the portal. */
    'supplier-invite': { inviterName: string; supplierName: string; link: string; expiresInHours: number };
  }
}

export interface SupplierContext {
  db: Db;
  jobs: JobSender;
  config: Config;
  /** The request's id, kept in the audit log. */
  requestId?: string;
}

/** Who is acting: the signed-in user. */
export interface Actor {
  id: number;
  name: string;
}

/** The profile as the form gives it: everything but the derived `local` flag and the categories. */
export type ProfileInput = Omit<SupplierValues, 'local'>;

/** How many categories a supplier may choose: enough for a varied business, few enough to mean something. */
export const MAX_CATEGORIES = 30;

function auditEntry(actor: Actor, ctx: SupplierContext, supplierId: number, action: string, details: { before?: unknown; after?: unknown } = {}) {
  return {
    actorUserId: actor.id,
    actorLabel: actor.name,
    entityType: 'supplier',
    entityId: supplierId,
    action,
    before: details.before ?? null,
    after: details.after ?? null,
    requestId: ctx.requestId ?? null,
  };
}

/** The fields that differ between two versions of a supplier, for the audit log. */
function changes(before: Supplier, after: Supplier): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const key of Object.keys(after) as (keyof Supplier)[]) {
    if (key === 'updatedAt' || key === 'createdAt') continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      b[key] = before[key];
      a[key] = after[key];
    }
  }
  return { before: b, after: a };
}

function withLocal(input: ProfileInput, config: Config): SupplierValues {
  return { ...input, local: isLocalPostcode(input.postcode, config.localPostcodeDistricts) };
}

// ---- Profile -----------------------------------------------------------------------------------

/** Registers a supplier and makes the actor its first member. */
export async function createSupplier(ctx: SupplierContext, actor: Actor, input: ProfileInput): Promise<Supplier> {
  return ctx.db.transaction(async (tx) => {
    const supplier = await insertSupplier(tx, withLocal(input, ctx.config));
    await addMember(tx, supplier.id, actor.id);
    await recordAudit(tx, auditEntry(actor, ctx, supplier.id, 'supplier.created', { after: supplier }));
    return supplier;
  });
}

export async function updateProfile(ctx: SupplierContext, actor: Actor, supplierId: number, input: ProfileInput): Promise<Supplier> {
  return ctx.db.transaction(async (tx) => {
    const before = await lockSupplier(tx, supplierId);
    if (!before) throw new Error(`supplier ${supplierId} not found`);
    const after = await updateSupplier(tx, supplierId, withLocal(input, ctx.config));
    const diff = changes(before, after);
    if (Object.keys(diff.after).length > 0) await recordAudit(tx, auditEntry(actor, ctx, supplierId, 'supplier.updated', diff));
    return after;
  });
}

// ---- Categories --------------------------------------------------------------------------------

export type CategoryChange =
  | { status: 'added' | 'removed' | 'unchanged'; description: string }
  | { status: 'unknown' }
  | { status: 'full' };

export async function addCategory(ctx: SupplierContext, actor: Actor, supplierId: number, code: string): Promise<CategoryChange> {
  const cpv = await findCpvCode(ctx.db, code);
  if (!cpv) return { status: 'unknown' };
  return ctx.db.transaction(async (tx) => {
    const supplier = await lockSupplier(tx, supplierId);
    if (!supplier) throw new Error(`supplier ${supplierId} not found`);
    if (supplier.cpvCodes.includes(cpv.code)) return { status: 'unchanged', description: cpv.description };
    if (supplier.cpvCodes.length >= MAX_CATEGORIES) return { status: 'full' };
    const cpvCodes = [...supplier.cpvCodes, cpv.code].sort();
    await updateSupplier(tx, supplierId, { cpvCodes });
    await recordAudit(tx, auditEntry(actor, ctx, supplierId, 'supplier.category_added', { before: { cpvCodes: supplier.cpvCodes }, after: { cpvCodes } }));
    return { status: 'added', description: cpv.description };
  });
}

export async function removeCategory(ctx: SupplierContext, actor: Actor, supplierId: number, code: string): Promise<CategoryChange> {
  return ctx.db.transaction(async (tx) => {
    const supplier = await lockSupplier(tx, supplierId);
    if (!supplier) throw new Error(`supplier ${supplierId} not found`);
    const description = (await findCpvCode(tx, code))?.description ?? code;
    if (!supplier.cpvCodes.includes(code)) return { status: 'unchanged', description };
    const cpvCodes = supplier.cpvCodes.filter((c) => c !== code);
    await updateSupplier(tx, supplierId, { cpvCodes });
    await recordAudit(tx, auditEntry(actor, ctx, supplierId, 'supplier.category_removed', { before: { cpvCodes: supplier.cpvCodes }, after: { cpvCodes } }));
    return { status: 'removed', description };
  });
}

// ---- Colleagues --------------------------------------------------------------------------------

/** Invitations one supplier may send per hour: enough for a team, too few to spam with. */
export const INVITE_LIMIT = { name: 'supplier-invite:supplier', limit: 20, windowSeconds: 3600 };

export type InviteResult = { status: 'sent' } | { status: 'already_member' } | { status: 'too_many'; retryAfterSeconds: number };

export const invitationLink = (config: Config, token: string) => `${config.publicUrl}/supplier-invitations/${token}`;

export async function inviteColleague(ctx: SupplierContext, actor: Actor, supplierId: number, email: string): Promise<InviteResult> {
  const supplier = await findSupplier(ctx.db, supplierId);
  if (!supplier) throw new Error(`supplier ${supplierId} not found`);
  const existing = await findUserByEmail(ctx.db, email);
  if (existing && (await isMember(ctx.db, supplierId, existing.id))) return { status: 'already_member' };
  const limit = await consume(ctx.db, INVITE_LIMIT, String(supplierId));
  if (!limit.allowed) return { status: 'too_many', retryAfterSeconds: limit.retryAfterSeconds };
  await ctx.db.transaction(async (tx) => {
    const token = await issueToken(tx, { purpose: 'supplier_invite', email, userId: existing?.id ?? null, data: { supplierId, invitedBy: actor.id } });
    await recordAudit(tx, auditEntry(actor, ctx, supplierId, 'supplier.colleague_invited', { after: { email } }));
    await queueMail(
      ctx.jobs,
      {
        to: email,
        template: 'supplier-invite',
        data: { inviterName: actor.name, supplierName: supplier.name, link: invitationLink(ctx.config, token), expiresInHours: TOKEN_LIFETIME_HOURS.supplier_invite },
      },
      { tx },
    );
  });
  return { status: 'sent' };
}

export async function cancelInvitation(ctx: SupplierContext, actor: Actor, supplierId: number, invitationId: number): Promise<boolean> {
  return ctx.db.transaction(async (tx) => {
    const withdrawn = await withdrawInvitation(tx, supplierId, invitationId);
    if (!withdrawn) return false;
    await recordAudit(tx, auditEntry(actor, ctx, supplierId, 'supplier.invitation_withdrawn', { before: { email: withdrawn.email } }));
    return true;
  });
}

export interface Invitation {
  email: string;
  supplier: Supplier;
}

export type InvitationCheck = { status: 'valid'; invitation: Invitation } | { status: 'expired' | 'used' | 'unknown' };

function invitationOf(check: TokenCheck): { email: string; supplierId: number } | undefined {
  if (check.status !== 'valid') return undefined;
  const supplierId = (check.token.data as { supplierId?: unknown }).supplierId;
  return typeof supplierId === 'number' ? { email: check.token.email, supplierId } : undefined;
}

/** Looks an invitation link up without using it. A deleted supplier makes the link unknown. */
export async function checkInvitation(db: DbOrTx, token: string): Promise<InvitationCheck> {
  const check = await checkToken(db, 'supplier_invite', token);
  if (check.status !== 'valid') return check;
  const found = invitationOf(check);
  const supplier = found ? await findSupplier(db, found.supplierId) : undefined;
  if (!found || !supplier) return { status: 'unknown' };
  return { status: 'valid', invitation: { email: found.email, supplier } };
}

export type AcceptResult =
  | { status: 'joined' | 'already_member'; supplier: Supplier; userId: number }
  | { status: 'expired' | 'used' | 'unknown' }
  | { status: 'wrong_account' }
  | { status: 'other_supplier'; supplierName: string }
  | { status: 'account_exists' };

/**
 * Accepts an invitation. `who` is the signed-in user (whose email must be the invited one), or the
 * details of a new account for the invited email — the link proves the mailbox, so the account
 * is created with its email verified.
 */
export async function acceptInvitation(
  ctx: SupplierContext,
  token: string,
  who: { user: Actor & { email: string } } | { newAccount: { name: string; password: string } },
): Promise<AcceptResult> {
  // Hashing is slow: do it before the transaction holds any lock.
  const passwordHash = 'newAccount' in who ? await hashPassword(who.newAccount.password) : undefined;
  return ctx.db.transaction(async (tx): Promise<AcceptResult> => {
    const check = await checkInvitation(tx, token);
    if (check.status !== 'valid') return check;
    const { email, supplier } = check.invitation;
    let actor: Actor;
    if ('user' in who) {
      if (who.user.email.toLowerCase() !== email.toLowerCase()) return { status: 'wrong_account' };
      actor = who.user;
    } else {
      const created = await insertUserIfNew(tx, { email, name: who.newAccount.name, passwordHash: passwordHash! });
      if (!created) return { status: 'account_exists' };
      actor = created;
      await recordAudit(tx, { actorUserId: created.id, actorLabel: created.name, entityType: 'user', entityId: created.id, action: 'account.registered', after: { name: created.name, email: created.email, via: 'supplier_invite' }, requestId: ctx.requestId ?? null });
    }
    // The link proves the mailbox: an account that had not confirmed its email now has.
    await updateUser(tx, actor.id, { emailVerifiedAt: new Date() });
    if (await isMember(tx, supplier.id, actor.id)) {
      await consumeToken(tx, 'supplier_invite', token);
      return { status: 'already_member', supplier, userId: actor.id };
    }
    // One supplier per account keeps "your organisation" unambiguous on every page.
    const others = (await supplierIdsOf(tx, actor.id)).filter((id) => id !== supplier.id);
    if (others.length > 0) {
      const other = await findSupplier(tx, others[0]!);
      return { status: 'other_supplier', supplierName: other?.name ?? 'another organisation' };
    }
    const used = await consumeToken(tx, 'supplier_invite', token);
    if (used.status !== 'valid') return { status: used.status };
    await addMember(tx, supplier.id, actor.id);
    await recordAudit(tx, auditEntry(actor, ctx, supplier.id, 'supplier.colleague_joined', { after: { userId: actor.id, email } }));
    return { status: 'joined', supplier, userId: actor.id };
  });
}

export type RemoveResult = { status: 'removed'; self: boolean } | { status: 'not_member' } | { status: 'last_member' };

/** Removes a member of the actor's supplier (or the actor, leaving it), never its last member. */
export async function removeColleague(ctx: SupplierContext, actor: Actor, supplierId: number, userId: number): Promise<RemoveResult> {
  return ctx.db.transaction(async (tx): Promise<RemoveResult> => {
    // Locking the supplier serialises removals, so two members cannot remove each other at once and leave none.
    if (!(await lockSupplier(tx, supplierId))) return { status: 'not_member' };
    const members = await listMembers(tx, supplierId);
    const member = members.find((m) => m.userId === userId);
    if (!member) return { status: 'not_member' };
    if ((await countMembers(tx, supplierId)) <= 1) return { status: 'last_member' };
    await removeMember(tx, supplierId, userId);
    await recordAudit(tx, auditEntry(actor, ctx, supplierId, 'supplier.colleague_removed', { before: { userId, email: member.email } }));
    return { status: 'removed', self: userId === actor.id };
  });
}
