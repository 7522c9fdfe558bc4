import { sql } from 'drizzle-orm';
import { bigint, boolean, check, date, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from '../accounts/accounts.table.js';
import { buyerOrganisations } from '../buyers/buyers.table.js';
import { suppliers } from '../suppliers/suppliers.table.js';

/** Where the opportunity is in its life. Published opportunities also have a notice stage. */
export const OPPORTUNITY_STATUSES = ['draft', 'scheduled', 'published', 'cancelled'] as const;
export type OpportunityStatus = (typeof OPPORTUNITY_STATUSES)[number];

/**
 * The notice stage (UK notices): pipeline (UK1), planned (UK2/UK3), open (UK4), closed (deadline
 * passed, under evaluation), awarded (UK6/UK7). For drafts and scheduled ones it is the stage they
 * will be published in; a cancelled one (UK12) keeps the stage it was cancelled in.
 */
export const NOTICE_STAGES = ['pipeline', 'planned', 'open', 'closed', 'awarded'] as const;
export type NoticeStage = (typeof NOTICE_STAGES)[number];

export const MAIN_CATEGORIES = ['goods', 'services', 'works'] as const;
export type MainCategory = (typeof MAIN_CATEGORIES)[number];

export const PROCEDURES = [
  'open',
  'competitive_flexible',
  'below_threshold_open',
  'request_for_quotation',
  'framework_call_off',
  'direct_award',
  'other',
] as const;
export type Procedure = (typeof PROCEDURES)[number];

export const RESERVATIONS = ['none', 'local', 'sme', 'vcse'] as const;
export type Reservation = (typeof RESERVATIONS)[number];

export const RESPONSE_METHODS = ['portal', 'external'] as const;

/**
 * The working copy staff edit. The public never reads it: pages, feeds and search read the
 * latest release (see releases below). `version` increases on each save for conflict detection.
 */
export const opportunities = pgTable(
  'opportunities',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    buyerId: integer('buyer_id').notNull().references(() => buyerOrganisations.id),
    version: integer('version').notNull().default(1),
    status: text('status', { enum: OPPORTUNITY_STATUSES }).notNull().default('draft'),
    stage: text('stage', { enum: NOTICE_STAGES }).notNull().default('open'),
    reference: text('reference'),
    title: text('title').notNull(),
    summary: text('summary').notNull().default(''),
    /** A sanitised Markdown subset: paragraphs, lists, links. Never raw HTML. */
    description: text('description').notNull().default(''),
    procedure: text('procedure', { enum: PROCEDURES }).notNull().default('open'),
    mainCategory: text('main_category', { enum: MAIN_CATEGORIES }).notNull(),
    /** CPV codes, the main one first. */
    cpvCodes: text('cpv_codes').array().notNull().default([]),
    /** Money in integer pence: bigint, because real notices exceed £21m. */
    valueMinPence: bigint('value_min_pence', { mode: 'number' }),
    valueMaxPence: bigint('value_max_pence', { mode: 'number' }),
    valueIncludesVat: boolean('value_includes_vat').notNull().default(false),
    currency: text('currency').notNull().default('GBP'),
    deliveryLocation: text('delivery_location'),
    suitableForSme: boolean('suitable_for_sme').notNull().default(false),
    suitableForVcse: boolean('suitable_for_vcse').notNull().default(false),
    reservation: text('reservation', { enum: RESERVATIONS }).notNull().default('none'),
    socialValueLocalJobs: boolean('social_value_local_jobs').notNull().default(false),
    socialValueApprenticeships: boolean('social_value_apprenticeships').notNull().default(false),
    socialValueOther: text('social_value_other'),
    publishAt: timestamp('publish_at', { withTimezone: true }),
    engagementEventAt: timestamp('engagement_event_at', { withTimezone: true }),
    engagementEventDetails: text('engagement_event_details'),
    questionsDeadline: timestamp('questions_deadline', { withTimezone: true }),
    tenderDeadline: timestamp('tender_deadline', { withTimezone: true }),
    expectedAwardDate: date('expected_award_date'),
    contractStart: date('contract_start'),
    contractEnd: date('contract_end'),
    /** Options to extend, in plain words, e.g. "up to 2 further periods of 12 months". */
    extensions: text('extensions'),
    contactName: text('contact_name'),
    contactEmail: text('contact_email'),
    contactPhone: text('contact_phone'),
    responseMethod: text('response_method', { enum: RESPONSE_METHODS }).notNull().default('portal'),
    externalResponseUrl: text('external_response_url'),
    externalResponseReference: text('external_response_reference'),
    officialNoticeId: text('official_notice_id'),
    officialNoticeUrl: text('official_notice_url'),
    /** Where the notice came from: this portal, or an import (with the external id). */
    source: text('source').notNull().default('portal'),
    sourceId: text('source_id'),
    cancellationReason: text('cancellation_reason'),
    firstPublishedAt: timestamp('first_published_at', { withTimezone: true }),
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('opportunities_buyer_status_idx').on(t.buyerId, t.status),
    index('opportunities_due_publish_idx').on(t.publishAt).where(sql`${t.status} = 'scheduled'`),
    index('opportunities_due_close_idx').on(t.tenderDeadline).where(sql`${t.status} = 'published' and ${t.stage} = 'open'`),
    uniqueIndex('opportunities_source_key').on(t.source, t.sourceId).where(sql`${t.sourceId} is not null`),
    check('opportunities_value_range', sql`${t.valueMinPence} is null or ${t.valueMaxPence} is null or ${t.valueMinPence} <= ${t.valueMaxPence}`),
    check('opportunities_value_positive', sql`coalesce(${t.valueMinPence}, 0) >= 0 and coalesce(${t.valueMaxPence}, 0) >= 0`),
  ],
);

export const lots = pgTable(
  'lots',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    opportunityId: integer('opportunity_id').notNull().references(() => opportunities.id, { onDelete: 'cascade' }),
    /** 1-based order within the opportunity; also the lot's public number. */
    position: integer('position').notNull(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    valuePence: bigint('value_pence', { mode: 'number' }),
  },
  (t) => [uniqueIndex('lots_opportunity_position_key').on(t.opportunityId, t.position)],
);

/** An award of one lot (or of the whole opportunity when it has no lots). */
export const awards = pgTable(
  'awards',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    opportunityId: integer('opportunity_id').notNull().references(() => opportunities.id, { onDelete: 'cascade' }),
    lotId: integer('lot_id').references(() => lots.id, { onDelete: 'cascade' }),
    awardedOn: date('awarded_on').notNull(),
    valuePence: bigint('value_pence', { mode: 'number' }),
    contractStart: date('contract_start'),
    contractEnd: date('contract_end'),
    socialValueCommitments: text('social_value_commitments'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('awards_opportunity_idx').on(t.opportunityId)],
);

/**
 * A supplier on an award, with a snapshot of the supplier as it was at award so the published
 * record survives later changes to (or deletion of) the supplier's profile.
 */
export const awardSuppliers = pgTable(
  'award_suppliers',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    awardId: integer('award_id').notNull().references(() => awards.id, { onDelete: 'cascade' }),
    supplierId: integer('supplier_id').references(() => suppliers.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    companiesHouseNumber: text('companies_house_number'),
    charityNumber: text('charity_number'),
    postcode: text('postcode'),
    size: text('size'),
    local: boolean('local').notNull().default(false),
    vcse: boolean('vcse').notNull().default(false),
    valuePence: bigint('value_pence', { mode: 'number' }),
  },
  (t) => [index('award_suppliers_award_idx').on(t.awardId), index('award_suppliers_supplier_idx').on(t.supplierId)],
);

export const RELEASE_TAGS = ['planning', 'planningUpdate', 'tender', 'tenderAmendment', 'tenderUpdate', 'award', 'awardUpdate', 'contract', 'tenderCancellation'] as const;
export type ReleaseTag = (typeof RELEASE_TAGS)[number];

/**
 * Immutable snapshots of what the public saw, written at each publish, stage change, amendment,
 * closing, award and cancellation. Exactly one release per opportunity is `is_latest`; public
 * pages read that one. `snapshot` is a PublicOpportunity (opportunities.snapshot.ts).
 */
export const releases = pgTable(
  'releases',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    opportunityId: integer('opportunity_id').notNull().references(() => opportunities.id, { onDelete: 'cascade' }),
    /** OCDS release id: `${ocid}-${sequence}`. */
    releaseId: text('release_id').notNull(),
    ocid: text('ocid').notNull(),
    sequence: integer('sequence').notNull(),
    tags: text('tags').array().notNull(),
    stage: text('stage', { enum: NOTICE_STAGES }).notNull(),
    cancelled: boolean('cancelled').notNull().default(false),
    buyerId: integer('buyer_id').notNull().references(() => buyerOrganisations.id),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull(),
    /** When the opportunity was first published: "newest first" sorts on this, not on amendments. */
    firstPublishedAt: timestamp('first_published_at', { withTimezone: true }).notNull(),
    changeNote: text('change_note'),
    isLatest: boolean('is_latest').notNull().default(true),
    snapshot: jsonb('snapshot').notNull(),
  },
  (t) => [
    uniqueIndex('releases_opportunity_sequence_key').on(t.opportunityId, t.sequence),
    uniqueIndex('releases_latest_key').on(t.opportunityId).where(sql`${t.isLatest}`),
    index('releases_latest_newest_idx').on(t.firstPublishedAt.desc(), t.opportunityId.desc()).where(sql`${t.isLatest}`),
    index('releases_latest_stage_idx').on(t.stage, t.cancelled, t.firstPublishedAt.desc(), t.opportunityId.desc()).where(sql`${t.isLatest}`),
    uniqueIndex('releases_release_id_key').on(t.releaseId),
  ],
);

