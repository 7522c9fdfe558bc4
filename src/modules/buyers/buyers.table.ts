import { integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const BUYER_KINDS = ['council', 'housing', 'town_council', 'school', 'health', 'police_fire', 'other'] as const;

/** A public body that publishes opportunities: the council and its partners. */
export const buyerOrganisations = pgTable(
  'buyer_organisations',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    kind: text('kind', { enum: BUYER_KINDS }).notNull(),
    /** Organisation identifier: scheme (e.g. GB-PPON, GB-COH, GB-LAE) and id, as OCDS parties. */
    identifierScheme: text('identifier_scheme'),
    identifierId: text('identifier_id'),
    streetAddress: text('street_address'),
    locality: text('locality'),
    postcode: text('postcode'),
    contactEmail: text('contact_email'),
    contactPhone: text('contact_phone'),
    website: text('website'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('buyer_organisations_slug_key').on(t.slug)],
);
