import { boolean, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const LEGAL_FORMS = [
  'sole_trader',
  'partnership',
  'private_limited_company',
  'company_limited_by_guarantee',
  'community_interest_company',
  'charity_cio',
  'charitable_company',
  'cooperative',
  'community_benefit_society',
  'mutual',
  'unincorporated_association',
  'other',
] as const;
export type LegalForm = (typeof LEGAL_FORMS)[number];

export const SUPPLIER_SIZES = ['micro', 'small', 'medium', 'large'] as const;
export type SupplierSize = (typeof SUPPLIER_SIZES)[number];

/** Which charity register a charity number belongs to. */
export const CHARITY_REGISTERS = ['england_wales', 'scotland', 'northern_ireland'] as const;

export const suppliers = pgTable(
  'suppliers',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    legalForm: text('legal_form', { enum: LEGAL_FORMS }).notNull(),
    companiesHouseNumber: text('companies_house_number'),
    charityNumber: text('charity_number'),
    charityRegister: text('charity_register', { enum: CHARITY_REGISTERS }),
    size: text('size', { enum: SUPPLIER_SIZES }).notNull(),
    /** Declared by the supplier; the legal form pre-fills it. */
    vcse: boolean('vcse').notNull().default(false),
    streetAddress: text('street_address'),
    locality: text('locality'),
    postcode: text('postcode'),
    /** Derived from the postcode and LOCAL_POSTCODE_DISTRICTS when the supplier is saved. */
    local: boolean('local').notNull().default(false),
    offer: text('offer').notNull().default(''),
    cpvCodes: text('cpv_codes').array().notNull().default([]),
    website: text('website'),
    directoryConsent: boolean('directory_consent').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('suppliers_directory_idx').on(t.directoryConsent, t.name)],
);
