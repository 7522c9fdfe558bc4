/**
 * Bootstrapping platform administrators (`npm run create-admin`, scripts/create-admin.ts): create
 * the account, or promote an existing one. A new account has no password: the command prints a
 * one-time set-password link (a reset_password token) instead, so no password is ever typed on a
 * command line, kept in shell history or written to a log.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import { accountLinks } from '../accounts/accounts.mail.js';
import { users } from '../accounts/accounts.table.js';
import { issueToken, revokeTokens, TOKEN_LIFETIME_HOURS } from '../accounts/tokens.js';
import { recordAudit } from '../audit/audit.repository.js';

export const CREATE_ADMIN_USAGE = `Usage: npm run create-admin -- --email someone@council.gov.uk [--name "Full Name"]

Makes the account with this email address a platform administrator (who manages the buyer
organisations on the portal), creating it if there is none. A new account gets a one-time link to
set its password, printed here. Uses the portal's database: DATABASE_URL, or the embedded one
under DATA_DIR.

Options:
  --email ADDRESS  the administrator's email address (required)
  --name "NAME"    their full name, for a new account (default: from the email address)
  --help           show this help`;

export interface CreateAdminArgs {
  help: boolean;
  email: string;
  name: string | undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Parses the command line; an error is one line for the user. */
export function parseCreateAdminArgs(argv: readonly string[]): { ok: true; args: CreateAdminArgs } | { ok: false; error: string } {
  let email: string | undefined;
  let name: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      const next = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      return next === undefined || (eq < 0 && next.startsWith('--')) ? undefined : next;
    };
    switch (flag) {
      case '--help':
      case '-h':
        help = true;
        break;
      case '--email':
        email = value();
        if (email === undefined) return { ok: false, error: '--email needs an email address' };
        break;
      case '--name':
        name = value();
        if (name === undefined) return { ok: false, error: '--name needs a name' };
        break;
      default:
        return { ok: false, error: arg.startsWith('-') ? `unknown option ${flag}` : `unexpected argument "${arg}"` };
    }
  }
  if (help) return { ok: true, args: { help, email: '', name: undefined } };
  if (email === undefined) return { ok: false, error: '--email is required' };
  email = email.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 254) return { ok: false, error: `"${email}" is not an email address` };
  if (name !== undefined) {
    name = name.trim().replace(/\s+/g, ' ');
    if (name === '' || name.length > 200) return { ok: false, error: '--name must be 1 to 200 characters' };
  }
  return { ok: true, args: { help, email, name } };
}

/** "jo.bloggs@…" → "Jo Bloggs": a starting name the person can change in their account. */
export function nameFromEmail(email: string): string {
  const local = email.split('@')[0] ?? email;
  const words = local
    .split(/[._+-]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  return words.join(' ') || local;
}

export interface GrantResult {
  status: 'created' | 'promoted' | 'already';
  userId: number;
  email: string;
  /** A one-time link to set the password, for an account that has none. */
  setPasswordLink?: string;
  linkLifetimeHours: number;
}

const ACTOR = 'system: npm run create-admin';

export async function grantPlatformAdmin(db: Db, config: Config, input: { email: string; name?: string | undefined }): Promise<GrantResult> {
  return db.transaction(async (tx) => {
    const [existing] = await tx
      .select()
      .from(users)
      .where(and(sql`lower(${users.email}) = lower(${input.email})`, isNull(users.erasedAt)))
      .for('update');
    let userId: number;
    let status: GrantResult['status'];
    let hasPassword: boolean;
    if (!existing) {
      const [created] = await tx
        .insert(users)
        .values({ email: input.email, name: input.name ?? nameFromEmail(input.email), isPlatformAdmin: true })
        .returning({ id: users.id });
      userId = created!.id;
      status = 'created';
      hasPassword = false;
    } else {
      userId = existing.id;
      status = existing.isPlatformAdmin ? 'already' : 'promoted';
      hasPassword = existing.passwordHash !== null;
      if (status === 'promoted') await tx.update(users).set({ isPlatformAdmin: true, updatedAt: new Date() }).where(eq(users.id, userId));
    }
    if (status !== 'already') {
      await recordAudit(tx, { actorLabel: ACTOR, entityType: 'user', entityId: userId, action: 'user.platform_admin_granted', before: { isPlatformAdmin: false }, after: { isPlatformAdmin: true } });
    }
    const result: GrantResult = { status, userId, email: existing?.email ?? input.email, linkLifetimeHours: TOKEN_LIFETIME_HOURS.reset_password };
    if (!hasPassword) {
      // Only the newest link works, so running the command again replaces a lost one.
      await revokeTokens(tx, userId, 'reset_password');
      const token = await issueToken(tx, { purpose: 'reset_password', email: result.email, userId });
      result.setPasswordLink = accountLinks.resetPassword(config, token);
    }
    return result;
  });
}
