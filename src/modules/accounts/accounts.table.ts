import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { buyerOrganisations } from '../buyers/buyers.table.js';
import { suppliers } from '../suppliers/suppliers.table.js';

/** One table for everyone: suppliers' people, buyer staff and platform administrators. */
export const users = pgTable(
  'users',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    /** argon2id hash; null for an invited user who has not yet set a password, or after erasure. */
    passwordHash: text('password_hash'),
    emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true }),
    isPlatformAdmin: boolean('is_platform_admin').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set when the account is erased: personal fields are anonymised, the row stays for references. */
    erasedAt: timestamp('erased_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`)],
);

export const BUYER_ROLES = ['admin', 'editor', 'viewer'] as const;
export type BuyerRole = (typeof BUYER_ROLES)[number];

/** Ties a user to a buyer organisation (with a role) or to a supplier — exactly one of the two. */
export const memberships = pgTable(
  'memberships',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    buyerId: integer('buyer_id').references(() => buyerOrganisations.id, { onDelete: 'cascade' }),
    supplierId: integer('supplier_id').references(() => suppliers.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['admin', 'editor', 'viewer', 'member'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('memberships_one_target', sql`(${t.buyerId} is null) <> (${t.supplierId} is null)`),
    check('memberships_role_fits_target', sql`(${t.buyerId} is null and ${t.role} = 'member') or (${t.buyerId} is not null and ${t.role} in ('admin','editor','viewer'))`),
    uniqueIndex('memberships_user_buyer_key').on(t.userId, t.buyerId).where(sql`${t.buyerId} is not null`),
    uniqueIndex('memberships_user_supplier_key').on(t.userId, t.supplierId).where(sql`${t.supplierId} is not null`),
    index('memberships_buyer_idx').on(t.buyerId),
    index('memberships_supplier_idx').on(t.supplierId),
  ],
);
