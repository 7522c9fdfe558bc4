/**
 * What the portal holds about a person, section by section: each registration says what it holds
 * (for the privacy notice), how to export it and how to erase it. See registry.ts.
 *
 * ADDING A MODULE THAT STORES PERSONAL DATA (interest, questions, alerts, bookings, …):
 *   1. In your module, write `export const bookingsPersonalData: PersonalDataRegistration = { name,
 *      describe, tables, exportFor, eraseFor }` (e.g. src/modules/meetings/meetings.privacy.ts).
 *   2. Add one line at the end of the list below: `registerPersonalData(bookingsPersonalData);`
 * Erasure runs the list bottom-up, so your rows go before the suppliers and accounts they refer
 * to. The privacy notice, "Download your data" and "Delete your account" pick it up with no other
 * change, and test/privacy/registry.test.ts fails until every table referring to users or
 * suppliers is covered by a registration's `tables`.
 */
import { and, desc, eq, inArray, isNull, ne, or, sql } from 'drizzle-orm';
import { memberships, users } from '../accounts/accounts.table.js';
import { sessions } from '../accounts/sessions.table.js';
import { userTokens } from '../accounts/tokens.table.js';
import { auditLog } from '../audit/audit.table.js';
import { buyerOrganisations } from '../buyers/buyers.table.js';
import { awards, awardSuppliers, opportunities } from '../opportunities/opportunities.table.js';
import { rateLimitCounters } from '../security/rate-limits.table.js';
import { suppliers } from '../suppliers/suppliers.table.js';
import { registerPersonalData, type PersonalDataRegistration, type PrivacySubject } from './registry.js';
import { CLEAN_UP_EVERY_HOURS, COUNTER_KEEP_HOURS, hours, SESSION_HOURS, TOKEN_HOURS, TOKEN_KEEP_DAYS_AFTER_EXPIRY } from './retention.js';

/** The name an erased user is shown under, in their account row and in the audit log. */
export const ERASED_USER_NAME = 'Deleted user';

/** A unique address that can never receive mail (`.invalid` is reserved by RFC 2606). */
export const erasedEmail = (userId: number) => `deleted-${userId}@invalid`;

// Plain-words lawful bases, shared by several sections.
const PUBLIC_TASK =
  'Running this service is part of the council’s public task of buying goods and services fairly and openly (UK GDPR Article 6(1)(e)).';
const SECURITY =
  'Keeping accounts secure is part of running the service as a public task (UK GDPR Article 6(1)(e)), and the law requires us to protect the data we hold (Article 32).';

// ---- Your account -------------------------------------------------------------------------------

const account: PersonalDataRegistration = {
  name: 'account',
  tables: ['users'],
  describe: {
    title: 'Your account',
    held: 'Your name, email address, when you confirmed your email address, when you created the account, and your password in a scrambled form (a hash) that cannot be turned back into the password.',
    why: 'To let you sign in, to send you the emails you ask for, and to show colleagues who did what.',
    lawfulBasis: PUBLIC_TASK,
    retention: 'Until you delete your account.',
    onDeletion: 'Your name and email address are removed and your password can no longer be used. An empty record with a number stays so that old references (for example in the list of changes) do not break.',
  },
  async exportFor(db, subject) {
    const [row] = await db
      .select({
        id: users.id,
        name: users.name,
        email: users.email,
        emailConfirmedAt: users.emailVerifiedAt,
        isPlatformAdministrator: users.isPlatformAdmin,
        createdAt: users.createdAt,
        updatedAt: users.updatedAt,
      })
      .from(users)
      .where(eq(users.id, subject.userId));
    return { ...row, password: 'Held only as a one-way hash, which is not included.' };
  },
  async eraseFor(tx, subject) {
    const now = new Date();
    await tx
      .update(users)
      .set({ name: ERASED_USER_NAME, email: erasedEmail(subject.userId), passwordHash: null, emailVerifiedAt: null, isPlatformAdmin: false, erasedAt: now, updatedAt: now })
      .where(eq(users.id, subject.userId));
  },
};

// ---- Organisations you belong to ----------------------------------------------------------------

const membershipsData: PersonalDataRegistration = {
  name: 'memberships',
  tables: ['memberships'],
  describe: {
    title: 'Organisations you belong to',
    held: 'Which buyer organisations you work for and your role in each (administrator, editor or viewer), and which suppliers you belong to.',
    why: 'To decide what you may see and change.',
    lawfulBasis: PUBLIC_TASK,
    retention: 'Until you leave the organisation, an administrator removes you, or you delete your account.',
    onDeletion: 'Removed.',
  },
  async exportFor(db, subject) {
    const rows = await db
      .select({ buyer: buyerOrganisations.name, supplier: suppliers.name, role: memberships.role, since: memberships.createdAt })
      .from(memberships)
      .leftJoin(buyerOrganisations, eq(buyerOrganisations.id, memberships.buyerId))
      .leftJoin(suppliers, eq(suppliers.id, memberships.supplierId))
      .where(eq(memberships.userId, subject.userId))
      .orderBy(memberships.createdAt);
    return {
      buyerOrganisations: rows.filter((r) => r.buyer !== null).map((r) => ({ organisation: r.buyer, role: r.role, since: r.since })),
      suppliers: rows.filter((r) => r.supplier !== null).map((r) => ({ supplier: r.supplier, since: r.since })),
    };
  },
  async eraseFor(tx, subject) {
    await tx.delete(memberships).where(eq(memberships.userId, subject.userId));
  },
};

// ---- Sign-in sessions ---------------------------------------------------------------------------

const sessionsData: PersonalDataRegistration = {
  name: 'sessions',
  tables: ['sessions'],
  describe: {
    title: 'Times you are signed in',
    held: 'A record for each time you sign in: when it started, when it was last used, and the organisation you chose to act for. The cookie in your browser holds only a random number; we keep a scrambled form of it.',
    why: 'To keep you signed in as you move between pages, and to let you sign out everywhere at once.',
    lawfulBasis: SECURITY,
    retention: `Each sign-in ends ${hours(SESSION_HOURS)} after it starts, or when you sign out; the record is removed within ${hours(CLEAN_UP_EVERY_HOURS)} after that.`,
    onDeletion: 'Removed, and you are signed out everywhere.',
  },
  async exportFor(db, subject) {
    return db
      .select({ signedInAt: sessions.createdAt, lastUsedAt: sessions.updatedAt, endsAt: sessions.expiresAt })
      .from(sessions)
      .where(eq(sessions.userId, subject.userId))
      .orderBy(sessions.createdAt);
  },
  async eraseFor(tx, subject) {
    await tx.delete(sessions).where(eq(sessions.userId, subject.userId));
  },
};

// ---- Links sent by email ------------------------------------------------------------------------

/** Email links for the subject: those tied to their account, and invitations sent to their address. */
const tokensOf = (subject: PrivacySubject) => or(eq(userTokens.userId, subject.userId), sql`lower(${userTokens.email}) = ${subject.email.toLowerCase()}`);

const emailLinks: PersonalDataRegistration = {
  name: 'email_links',
  tables: ['user_tokens'],
  describe: {
    title: 'Links we email you',
    held: 'For each link we email you (to confirm your email address, reset your password, change your email address or accept an invitation): what it was for, the address it went to, when it was sent, when it expires and whether it was used. We keep only a scrambled form of the link’s secret part.',
    why: 'To check that a link you follow is genuine, has not expired and has not been used already.',
    lawfulBasis: SECURITY,
    retention: `A link works for ${hours(TOKEN_HOURS.shortest)} to ${hours(TOKEN_HOURS.longest)}, depending on what it is for. The record is removed ${TOKEN_KEEP_DAYS_AFTER_EXPIRY} days after the link expires.`,
    onDeletion: 'Removed: any link you have not used yet stops working.',
  },
  async exportFor(db, subject) {
    return db
      .select({ purpose: userTokens.purpose, sentTo: userTokens.email, sentAt: userTokens.createdAt, expiresAt: userTokens.expiresAt, usedAt: userTokens.usedAt })
      .from(userTokens)
      .where(tokensOf(subject))
      .orderBy(userTokens.createdAt);
  },
  async eraseFor(tx, subject) {
    await tx.delete(userTokens).where(tokensOf(subject));
  },
};

// ---- Attempt counters ---------------------------------------------------------------------------

// Rate-limit keys end with the subject they count: `<rule>:<lowercased email or IP address>`.
const countersOf = (subject: PrivacySubject) => {
  const suffix = `:${subject.email.toLowerCase()}`;
  return sql`right(${rateLimitCounters.key}, ${suffix.length}) = ${suffix}`;
};

const attemptCounters: PersonalDataRegistration = {
  name: 'attempt_counters',
  tables: ['rate_limit_counters'],
  describe: {
    title: 'Counts of sign-in attempts',
    held: 'How many times in the last few minutes someone tried to sign in, register or reset a password with your email address (or from your internet address), without the passwords tried.',
    why: 'To stop people guessing passwords.',
    lawfulBasis: SECURITY,
    retention: `Removed ${hours(COUNTER_KEEP_HOURS)} after the count started.`,
    onDeletion: 'Counts for your email address are removed.',
  },
  async exportFor(db, subject) {
    const rows = await db
      .select({ key: rateLimitCounters.key, from: rateLimitCounters.windowStart, attempts: rateLimitCounters.count })
      .from(rateLimitCounters)
      .where(countersOf(subject))
      .orderBy(rateLimitCounters.windowStart);
    return rows.map((r) => ({ counting: r.key.slice(0, r.key.length - subject.email.length - 1), from: r.from, attempts: r.attempts }));
  },
  async eraseFor(tx, subject) {
    await tx.delete(rateLimitCounters).where(countersOf(subject));
  },
};

// ---- Supplier profiles --------------------------------------------------------------------------

const supplierProfiles: PersonalDataRegistration = {
  name: 'suppliers',
  tables: ['suppliers'],
  describe: {
    title: 'Your supplier’s profile',
    held: 'The profile of each supplier you belong to: its name, legal form, Companies House or charity number, size, whether it is a voluntary or community organisation, address and postcode, what it offers, its website, whether it agreed to appear in the public directory, and the names of the people who belong to it. For a sole trader or a partnership this is personal data.',
    why: 'To show buyers what local suppliers offer, in the supplier directory if the supplier agreed, and to measure how much council spending reaches local, small and voluntary organisations.',
    lawfulBasis: `${PUBLIC_TASK} Appearing in the public directory is by the supplier’s choice, which it can change at any time.`,
    retention: 'Until the last person who belongs to the supplier deletes their account.',
    onDeletion: 'If you are the only person who belongs to a supplier, its profile is deleted. If others belong to it, the profile stays with them.',
  },
  async exportFor(db, subject) {
    if (subject.supplierIds.length === 0) return [];
    const profiles = await db.select().from(suppliers).where(inArray(suppliers.id, subject.supplierIds)).orderBy(suppliers.name);
    // Colleagues: names only, as a member sees them; never their email addresses.
    const colleagues = await db
      .select({ supplierId: memberships.supplierId, name: users.name })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(inArray(memberships.supplierId, subject.supplierIds), ne(memberships.userId, subject.userId), isNull(users.erasedAt)))
      .orderBy(users.name);
    return profiles.map((profile) => ({
      ...profile,
      otherMembers: colleagues.filter((c) => c.supplierId === profile.id).map((c) => c.name),
    }));
  },
  async eraseFor(tx, subject) {
    // Award snapshots keep their own copy of the supplier; their supplier_id is set null by the FK.
    if (subject.soleMemberSupplierIds.length === 0) return;
    // Invitations to join a deleted supplier could no longer be accepted, and hold the invitees' addresses.
    await tx
      .delete(userTokens)
      .where(and(eq(userTokens.purpose, 'supplier_invite'), inArray(sql`${userTokens.data} ->> 'supplierId'`, subject.soleMemberSupplierIds.map(String))));
    await tx.delete(suppliers).where(inArray(suppliers.id, subject.soleMemberSupplierIds));
  },
};

// ---- Changes you made (audit log) ---------------------------------------------------------------

/** Replaces the user's email address (anywhere in a string) and name (as a whole value) inside audit data. */
function scrub(value: unknown, subject: PrivacySubject, replaceName: boolean): unknown {
  if (typeof value === 'string') {
    if (replaceName && value === subject.name) return ERASED_USER_NAME;
    return value.replace(new RegExp(escapeRegExp(subject.email), 'gi'), erasedEmail(subject.userId));
  }
  if (Array.isArray(value)) return value.map((item) => scrub(item, subject, replaceName));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, subject, replaceName)]));
  return value;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const auditData: PersonalDataRegistration = {
  name: 'audit_log',
  tables: ['audit_log'],
  describe: {
    title: 'Changes you made',
    held: 'A record of each change you make as a member of staff (for example publishing or amending an opportunity, or inviting a colleague): what changed, when, and that you made it.',
    why: 'Public bodies must be able to show who did what and when in a procurement, to be accountable and to investigate mistakes or fraud.',
    lawfulBasis: `${PUBLIC_TASK} Keeping an accurate record of procurement decisions is also a legal obligation (UK GDPR Article 6(1)(c)).`,
    retention: 'Kept as part of the council’s public records.',
    onDeletion: `The record of each change is kept, because the council must be able to account for it, but it no longer says who you were: it shows “${ERASED_USER_NAME}”, and your email address is removed from it.`,
    keptOnDeletion: true,
  },
  async exportFor(db, subject) {
    // The before/after data is left out: it is the organisation's record, and may name other people.
    return db
      .select({ at: auditLog.at, action: auditLog.action, about: auditLog.entityType, aboutId: auditLog.entityId, organisation: buyerOrganisations.name })
      .from(auditLog)
      .leftJoin(buyerOrganisations, eq(buyerOrganisations.id, auditLog.buyerId))
      .where(eq(auditLog.actorUserId, subject.userId))
      .orderBy(desc(auditLog.at));
  },
  async eraseFor(tx, subject) {
    await tx.update(auditLog).set({ actorLabel: ERASED_USER_NAME }).where(eq(auditLog.actorUserId, subject.userId));
    // Entries that carry the user's name or address in their data: those they made, those about
    // their account, and any that mention their email address. Erasure is rare, so a scan is fine.
    const email = subject.email.toLowerCase();
    const mentioned = await tx
      .select({ id: auditLog.id, actorUserId: auditLog.actorUserId, entityType: auditLog.entityType, entityId: auditLog.entityId, before: auditLog.before, after: auditLog.after })
      .from(auditLog)
      .where(
        or(
          eq(auditLog.actorUserId, subject.userId),
          and(eq(auditLog.entityType, 'user'), eq(auditLog.entityId, String(subject.userId))),
          sql`position(${email} in lower(${auditLog.before}::text)) > 0`,
          sql`position(${email} in lower(${auditLog.after}::text)) > 0`,
        ),
      );
    for (const entry of mentioned) {
      const aboutThem = entry.actorUserId === subject.userId || (entry.entityType === 'user' && entry.entityId === String(subject.userId));
      const before = scrub(entry.before, subject, aboutThem);
      const after = scrub(entry.after, subject, aboutThem);
      if (JSON.stringify(before) !== JSON.stringify(entry.before) || JSON.stringify(after) !== JSON.stringify(entry.after)) {
        await tx.update(auditLog).set({ before, after }).where(eq(auditLog.id, entry.id));
      }
    }
  },
};

// ---- Published award records --------------------------------------------------------------------

const publishedAwards: PersonalDataRegistration = {
  name: 'published_awards',
  tables: ['award_suppliers'],
  describe: {
    title: 'Published contract awards',
    held: 'When a supplier you belong to wins a contract, the published award records the supplier as it was then: its name, Companies House or charity number, postcode, size, whether it is local or a voluntary or community organisation, and the value awarded to it.',
    why: 'The law requires public bodies to publish who they award contracts to and for how much.',
    lawfulBasis: 'Publishing contract awards is a legal obligation (the Procurement Act 2023 and the Local Government Transparency Code; UK GDPR Article 6(1)(c)).',
    retention: 'Kept permanently as public records.',
    onDeletion: 'Kept unchanged, as the law requires: published records about your organisation stay public even if the supplier’s profile is deleted.',
    keptOnDeletion: true,
  },
  async exportFor(db, subject) {
    if (subject.supplierIds.length === 0) return { note: PUBLISHED_NOTE, records: [] };
    const records = await db
      .select({
        opportunityId: opportunities.id,
        opportunity: opportunities.title,
        awardedOn: awards.awardedOn,
        supplierName: awardSuppliers.name,
        companiesHouseNumber: awardSuppliers.companiesHouseNumber,
        charityNumber: awardSuppliers.charityNumber,
        postcode: awardSuppliers.postcode,
        size: awardSuppliers.size,
        local: awardSuppliers.local,
        vcse: awardSuppliers.vcse,
        valuePence: awardSuppliers.valuePence,
      })
      .from(awardSuppliers)
      .innerJoin(awards, eq(awards.id, awardSuppliers.awardId))
      .innerJoin(opportunities, eq(opportunities.id, awards.opportunityId))
      .where(inArray(awardSuppliers.supplierId, subject.supplierIds))
      .orderBy(desc(awards.awardedOn));
    return { note: PUBLISHED_NOTE, records };
  },
  // Never erased: published award records are kept as the law requires (see describe).
  async eraseFor() {},
};

const PUBLISHED_NOTE = 'Published records about your organisation, kept as the law requires. Deleting your account does not remove them.';

// ---- The list ---------------------------------------------------------------------------------
// Order matters: it is the order of the export and the privacy notice, and erasure runs it
// bottom-up. Add new modules' registrations at the end, one line each.
registerPersonalData(account);
registerPersonalData(membershipsData);
registerPersonalData(sessionsData);
registerPersonalData(emailLinks);
registerPersonalData(attemptCounters);
registerPersonalData(supplierProfiles);
registerPersonalData(auditData);
registerPersonalData(publishedAwards);

