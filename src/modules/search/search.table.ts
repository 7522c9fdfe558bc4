import { sql } from 'drizzle-orm';
import { bigint, boolean, customType, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { buyerOrganisations } from '../buyers/buyers.table.js';
import { opportunities, releases } from '../opportunities/opportunities.table.js';

const tsvector = customType<{ data: string }>({
  dataType() {
    return 'tsvector';
  },
});

/**
 * One search document per published opportunity, built from its latest release (title, summary,
 * description, CPV descriptions, lot titles, buyer name) and written in the same transaction as
 * the release. PostgreSQL search reads it directly; the Meilisearch index is rebuilt from it.
 */
export const searchDocuments = pgTable(
  'search_documents',
  {
    opportunityId: integer('opportunity_id').primaryKey().references(() => opportunities.id, { onDelete: 'cascade' }),
    releaseId: integer('release_id').notNull().references(() => releases.id, { onDelete: 'cascade' }),
    buyerId: integer('buyer_id').notNull().references(() => buyerOrganisations.id),
    title: text('title').notNull(),
    summary: text('summary').notNull(),
    description: text('description').notNull(),
    cpvText: text('cpv_text').notNull(),
    lotText: text('lot_text').notNull(),
    buyerName: text('buyer_name').notNull(),
    /** Weighted: title A, summary and lot titles B, CPV descriptions and buyer C, description D. */
    document: tsvector('document').notNull(),
    stage: text('stage').notNull(),
    cancelled: boolean('cancelled').notNull().default(false),
    mainCategory: text('main_category').notNull(),
    cpvDivisions: text('cpv_divisions').array().notNull(),
    valueMaxPence: bigint('value_max_pence', { mode: 'number' }),
    suitableForSme: boolean('suitable_for_sme').notNull(),
    suitableForVcse: boolean('suitable_for_vcse').notNull(),
    reservation: text('reservation').notNull(),
    tenderDeadline: timestamp('tender_deadline', { withTimezone: true }),
    firstPublishedAt: timestamp('first_published_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('search_documents_document_idx').using('gin', t.document),
    index('search_documents_title_trgm_idx').using('gin', sql`${t.title} gin_trgm_ops`),
    index('search_documents_stage_idx').on(t.stage, t.firstPublishedAt),
    // Relevance prefers title matches: a title-only vector finds them without ranking every match
    // of a broad word (postgres.backend.ts detects this index at run time).
    index('search_documents_title_tsv_idx').using('gin', sql`to_tsvector('portal_english', ${t.title})`),
    // The non-relevance sorts read these in order and stop at the page, instead of sorting every match.
    index('search_documents_newest_idx').on(t.firstPublishedAt, t.opportunityId),
    index('search_documents_value_idx').on(t.valueMaxPence.desc().nullsLast(), t.opportunityId.desc()),
    index('search_documents_closing_idx').on(sql`(${t.cancelled} or ${t.stage} <> 'open')`, t.tenderDeadline, t.opportunityId),
    index('search_documents_buyer_idx').on(t.buyerId),
  ],
);
