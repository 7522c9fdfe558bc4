/**
 * One-time tokens sent by email. The token itself goes only into the link; the database keeps
 * its SHA-256. Consuming checks purpose, expiry and single use in one locked read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { userTokens, type TokenPurpose } from './tokens.table.js';

export const TOKEN_LIFETIME_HOURS: Record<TokenPurpose, number> = {
  verify_email: 24,
  reset_password: 1,
  change_email: 24,
  staff_invite: 72,
  supplier_invite: 72,
};

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface IssueTokenParams {
  purpose: TokenPurpose;
  email: string;
  userId?: number | null;
  data?: Record<string, unknown>;
  now?: Date;
}

/** Creates a token and returns the secret to put in the link (never stored). */
export async function issueToken(db: DbOrTx, params: IssueTokenParams): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const now = params.now ?? new Date();
  await db.insert(userTokens).values({
    purpose: params.purpose,
    tokenHash: hashToken(token),
    userId: params.userId ?? null,
    email: params.email,
    data: params.data ?? {},
    expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_HOURS[params.purpose] * 3_600_000),
  });
  return token;
}

export type TokenCheck =
  | { status: 'valid'; token: typeof userTokens.$inferSelect }
  | { status: 'expired' | 'used' | 'unknown' };

/** Looks a token up without using it (to show a form, e.g. "choose a new password"). */
export async function checkToken(db: DbOrTx, purpose: TokenPurpose, token: string, now = new Date()): Promise<TokenCheck> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return { status: 'unknown' };
  const [row] = await db.select().from(userTokens).where(and(eq(userTokens.tokenHash, hashToken(token)), eq(userTokens.purpose, purpose)));
  if (!row) return { status: 'unknown' };
  if (row.usedAt) return { status: 'used' };
  if (row.expiresAt <= now) return { status: 'expired' };
  return { status: 'valid', token: row };
}

/** Uses a token once: call inside the transaction that acts on it. */
export async function consumeToken(tx: DbOrTx, purpose: TokenPurpose, token: string, now = new Date()): Promise<TokenCheck> {
  const check = await checkToken(tx, purpose, token, now);
  if (check.status !== 'valid') return check;
  const updated = await tx
    .update(userTokens)
    .set({ usedAt: now })
    .where(and(eq(userTokens.id, check.token.id), isNull(userTokens.usedAt)))
    .returning({ id: userTokens.id });
  // Another request used it between our read and this update.
  return updated.length === 1 ? check : { status: 'used' };
}

/** Withdraws a user's outstanding tokens of one purpose (e.g. older reset links after a new one). */
export async function revokeTokens(db: DbOrTx, userId: number, purpose: TokenPurpose, now = new Date()): Promise<void> {
  await db
    .update(userTokens)
    .set({ usedAt: now })
    .where(and(eq(userTokens.userId, userId), eq(userTokens.purpose, purpose), isNull(userTokens.usedAt)));
}
