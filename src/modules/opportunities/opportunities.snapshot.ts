/**
 * PublicOpportunity: what the public sees of an opportunity, frozen into each release.
 * Built by a pure function from the working copy and its related rows, so that the release
 * service and the bulk seeder produce exactly the same shape.
 */
import type { MainCategory, NoticeStage, Procedure, Reservation } from './opportunities.table.js';

export interface PublicBuyer {
  id: number;
  slug: string;
  name: string;
  kind: string;
  identifier: { scheme: string; id: string } | null;
  streetAddress: string | null;
  locality: string | null;
  postcode: string | null;
  contactEmail: string | null;
  website: string | null;
}

export interface PublicLot {
  id: number;
  number: number;
  title: string;
  description: string;
  valuePence: number | null;
}

export interface PublicAwardSupplier {
  supplierId: number | null;
  name: string;
  companiesHouseNumber: string | null;
  charityNumber: string | null;
  postcode: string | null;
  size: string | null;
  local: boolean;
  vcse: boolean;
  valuePence: number | null;
}

export interface PublicAward {
  id: number;
  lotId: number | null;
  lotNumber: number | null;
  lotTitle: string | null;
  awardedOn: string;
  valuePence: number | null;
  contractStart: string | null;
  contractEnd: string | null;
  socialValueCommitments: string | null;
  suppliers: PublicAwardSupplier[];
}

export interface PublicOpportunity {
  id: number;
  ocid: string;
  reference: string | null;
  cancelled: boolean;
  stage: NoticeStage;
  title: string;
  summary: string;
  /** Markdown subset source; rendered (and sanitised) when shown. */
  description: string;
  procedure: Procedure;
  mainCategory: MainCategory;
  cpv: { code: string; description: string }[];
  value: { minPence: number | null; maxPence: number | null; includesVat: boolean; currency: string };
  deliveryLocation: string | null;
  suitableForSme: boolean;
  suitableForVcse: boolean;
  reservation: Reservation;
  socialValue: { localJobs: boolean; apprenticeships: boolean; other: string | null };
  dates: {
    engagementEventAt: string | null;
    engagementEventDetails: string | null;
    questionsDeadline: string | null;
    tenderDeadline: string | null;
    expectedAwardDate: string | null;
    contractStart: string | null;
    contractEnd: string | null;
    extensions: string | null;
  };
  contact: { name: string | null; email: string | null; phone: string | null };
  response: { method: 'portal' | 'external'; url: string | null; reference: string | null };
  officialNotice: { id: string | null; url: string | null };
  source: { name: string; id: string | null };
  buyer: PublicBuyer;
  lots: PublicLot[];
  awards: PublicAward[];
  cancellationReason: string | null;
  firstPublishedAt: string;
}

/** The working-copy columns the snapshot needs (a row of `opportunities`). */
export interface OpportunityRow {
  id: number;
  status: string;
  stage: NoticeStage;
  reference: string | null;
  title: string;
  summary: string;
  description: string;
  procedure: Procedure;
  mainCategory: MainCategory;
  cpvCodes: string[];
  valueMinPence: number | null;
  valueMaxPence: number | null;
  valueIncludesVat: boolean;
  currency: string;
  deliveryLocation: string | null;
  suitableForSme: boolean;
  suitableForVcse: boolean;
  reservation: Reservation;
  socialValueLocalJobs: boolean;
  socialValueApprenticeships: boolean;
  socialValueOther: string | null;
  engagementEventAt: Date | null;
  engagementEventDetails: string | null;
  questionsDeadline: Date | null;
  tenderDeadline: Date | null;
  expectedAwardDate: string | null;
  contractStart: string | null;
  contractEnd: string | null;
  extensions: string | null;
  contactName: string | null;
  contactEmail: string | null;
  contactPhone: string | null;
  responseMethod: 'portal' | 'external';
  externalResponseUrl: string | null;
  externalResponseReference: string | null;
  officialNoticeId: string | null;
  officialNoticeUrl: string | null;
  source: string;
  sourceId: string | null;
  cancellationReason: string | null;
  firstPublishedAt: Date | null;
}

export interface SnapshotInputs {
  ocidPrefix: string;
  opportunity: OpportunityRow;
  buyer: PublicBuyer;
  cpvDescriptions: Map<string, string>;
  lots: PublicLot[];
  awards: PublicAward[];
  /** Used as firstPublishedAt when the opportunity is being published for the first time. */
  publishedAt: Date;
}

export function ocidFor(prefix: string, opportunityId: number): string {
  return `${prefix}-${opportunityId}`;
}

const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export function buildSnapshot(inputs: SnapshotInputs): PublicOpportunity {
  const o = inputs.opportunity;
  return {
    id: o.id,
    ocid: ocidFor(inputs.ocidPrefix, o.id),
    reference: o.reference,
    cancelled: o.status === 'cancelled',
    stage: o.stage,
    title: o.title,
    summary: o.summary,
    description: o.description,
    procedure: o.procedure,
    mainCategory: o.mainCategory,
    cpv: o.cpvCodes.map((code) => ({ code, description: inputs.cpvDescriptions.get(code) ?? '' })),
    value: { minPence: o.valueMinPence, maxPence: o.valueMaxPence, includesVat: o.valueIncludesVat, currency: o.currency },
    deliveryLocation: o.deliveryLocation,
    suitableForSme: o.suitableForSme,
    suitableForVcse: o.suitableForVcse,
    reservation: o.reservation,
    socialValue: { localJobs: o.socialValueLocalJobs, apprenticeships: o.socialValueApprenticeships, other: o.socialValueOther },
    dates: {
      engagementEventAt: isoOrNull(o.engagementEventAt),
      engagementEventDetails: o.engagementEventDetails,
      questionsDeadline: isoOrNull(o.questionsDeadline),
      tenderDeadline: isoOrNull(o.tenderDeadline),
      expectedAwardDate: o.expectedAwardDate,
      contractStart: o.contractStart,
      contractEnd: o.contractEnd,
      extensions: o.extensions,
    },
    contact: { name: o.contactName, email: o.contactEmail, phone: o.contactPhone },
    response: { method: o.responseMethod, url: o.externalResponseUrl, reference: o.externalResponseReference },
    officialNotice: { id: o.officialNoticeId, url: o.officialNoticeUrl },
    source: { name: o.source, id: o.sourceId },
    buyer: inputs.buyer,
    lots: inputs.lots,
    awards: inputs.awards,
    cancellationReason: o.cancellationReason,
    firstPublishedAt: (o.firstPublishedAt ?? inputs.publishedAt).toISOString(),
  };
}

/** The text fields of a search document, derived from a snapshot (see search.table.ts). */
export function searchText(snapshot: PublicOpportunity) {
  return {
    title: snapshot.title,
    summary: snapshot.summary,
    description: snapshot.description,
    cpvText: snapshot.cpv.map((c) => c.description).join(' · '),
    lotText: snapshot.lots.map((l) => l.title).join(' · '),
    buyerName: snapshot.buyer.name,
    cpvDivisions: [...new Set(snapshot.cpv.map((c) => c.code.slice(0, 2)))],
  };
}

/**
 * Every search_documents column derived from a snapshot (all but the ids, the vector and
 * updated_at), in the table's column order: the release writer and the bulk seeder share it.
 */
export function searchDocumentFields(snapshot: PublicOpportunity) {
  const text = searchText(snapshot);
  return {
    buyerId: snapshot.buyer.id,
    title: text.title,
    summary: text.summary,
    description: text.description,
    cpvText: text.cpvText,
    lotText: text.lotText,
    buyerName: text.buyerName,
    stage: snapshot.stage,
    cancelled: snapshot.cancelled,
    mainCategory: snapshot.mainCategory,
    cpvDivisions: text.cpvDivisions,
    valueMaxPence: snapshot.value.maxPence ?? snapshot.value.minPence,
    suitableForSme: snapshot.suitableForSme,
    suitableForVcse: snapshot.suitableForVcse,
    reservation: snapshot.reservation,
    tenderDeadline: snapshot.dates.tenderDeadline,
    firstPublishedAt: snapshot.firstPublishedAt,
  };
}

/**
 * The weighted tsvector, as SQL over the search_documents columns: title A, summary and lot
 * titles B, CPV descriptions and buyer C, description D. Used by the release service and the
 * bulk seeder alike.
 */
export const SEARCH_VECTOR_SQL = `
  setweight(to_tsvector('portal_english', coalesce(title, '')), 'A') ||
  setweight(to_tsvector('portal_english', coalesce(summary, '') || ' ' || coalesce(lot_text, '')), 'B') ||
  setweight(to_tsvector('portal_english', coalesce(cpv_text, '') || ' ' || coalesce(buyer_name, '')), 'C') ||
  setweight(to_tsvector('portal_english', coalesce(description, '')), 'D')`;
