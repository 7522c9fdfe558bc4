/**
 * Plain words for the buyer organisation fields, shown to platform administrators and, later, to
 * the public: what each kind of body is, and which identifier schemes we accept (the OCDS
 * org-id.guide codes used in `parties[].identifier.scheme`) with the format of their ids.
 */
import type { BUYER_KINDS } from './buyers.table.js';

export type BuyerKind = (typeof BUYER_KINDS)[number];

export const BUYER_KIND_LABELS: Record<BuyerKind, { text: string; hint: string }> = {
  council: { text: 'Council', hint: 'A county, district, borough, city or unitary council' },
  housing: { text: 'Housing association or trust', hint: 'A provider of social housing' },
  town_council: { text: 'Town or parish council', hint: 'A local council below the district or borough' },
  school: { text: 'School or academy trust', hint: 'A maintained school, academy or multi-academy trust' },
  health: { text: 'Health body', hint: 'An NHS trust, integrated care board or GP partnership' },
  police_fire: { text: 'Police or fire service', hint: 'A police force, fire and rescue service or their commissioner' },
  other: { text: 'Other public body', hint: 'Any other body that buys with public money' },
};

export interface IdentifierScheme {
  code: string;
  text: string;
  /** The id's shape, checked after upper-casing and removing spaces. */
  pattern: RegExp;
  example: string;
}

export const IDENTIFIER_SCHEMES: IdentifierScheme[] = [
  { code: 'GB-PPON', text: 'Public Procurement Organisation Number (PPON)', pattern: /^P[A-Z]{3}-\d{4}-[A-Z]{4}$/, example: 'PABC-1234-DEFG' },
  { code: 'GB-COH', text: 'Companies House number', pattern: /^([0-9]{8}|[A-Z]{2}[0-9]{6})$/, example: '01234567' },
  { code: 'GB-CHC', text: 'Charity Commission for England and Wales number', pattern: /^[0-9]{6,7}$/, example: '1123456' },
  { code: 'GB-SC', text: 'Scottish Charity Regulator number', pattern: /^SC[0-9]{6}$/, example: 'SC012345' },
  { code: 'GB-NIC', text: 'Charity Commission for Northern Ireland number', pattern: /^(NIC)?[0-9]{6}$/, example: '100123' },
  { code: 'GB-LAE', text: 'Local authority code (England)', pattern: /^[A-Z]{3,4}$/, example: 'SAW' },
  { code: 'GB-EDU', text: 'School unique reference number (URN)', pattern: /^[0-9]{6}$/, example: '103456' },
];

export function identifierScheme(code: string | null | undefined): IdentifierScheme | undefined {
  return IDENTIFIER_SCHEMES.find((s) => s.code === code);
}
