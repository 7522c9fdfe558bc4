/**
 * Plain words for the supplier profile and directory: legal forms, sizes and charity registers as
 * a business owner would recognise them, and the rules the legal form implies (whether a
 * Companies House number is expected, whether we suggest the organisation is a VCSE).
 */
import { CHARITY_REGISTERS, LEGAL_FORMS, SUPPLIER_SIZES, type LegalForm, type SupplierSize } from './suppliers.table.js';

export type CharityRegister = (typeof CHARITY_REGISTERS)[number];

export const LEGAL_FORM_WORDS: Record<LegalForm, { label: string; hint: string }> = {
  sole_trader: { label: 'Sole trader', hint: 'You run the business as yourself, on your own' },
  partnership: { label: 'Partnership', hint: 'Two or more people run the business together, including limited liability partnerships (LLPs)' },
  private_limited_company: { label: 'Private limited company', hint: 'A company with shareholders, with “Limited” or “Ltd” in its name' },
  company_limited_by_guarantee: { label: 'Company limited by guarantee', hint: 'A not-for-profit company with members instead of shareholders' },
  community_interest_company: { label: 'Community interest company (CIC)', hint: 'A company that uses its profits and assets for the community' },
  charity_cio: { label: 'Charity (charitable incorporated organisation, CIO)', hint: 'A charity registered with a charity regulator but not with Companies House' },
  charitable_company: { label: 'Charitable company', hint: 'A registered charity that is also a company limited by guarantee' },
  cooperative: { label: 'Co-operative', hint: 'Owned and run by its members, such as its workers, customers or tenants' },
  community_benefit_society: { label: 'Community benefit society', hint: 'A society run for the benefit of the community, such as a community shop or energy scheme' },
  mutual: { label: 'Mutual', hint: 'Owned by its members, such as a building society, friendly society or public service mutual' },
  unincorporated_association: { label: 'Unincorporated association', hint: 'A group run by its members under a constitution, such as a club or community group' },
  other: { label: 'Other', hint: 'None of these describe your organisation' },
};

export const SIZE_WORDS: Record<SupplierSize, { label: string; hint: string }> = {
  micro: { label: 'Micro', hint: 'Fewer than 10 staff, and a turnover or balance sheet total of £2 million or less' },
  small: { label: 'Small', hint: 'Fewer than 50 staff, and a turnover or balance sheet total of £10 million or less' },
  medium: { label: 'Medium', hint: 'Fewer than 250 staff, and a turnover of £44 million or less or a balance sheet total of £38 million or less' },
  large: { label: 'Large', hint: '250 staff or more, or bigger than a medium-sized organisation in both turnover and balance sheet' },
};

export const CHARITY_REGISTER_WORDS: Record<CharityRegister, { label: string; short: string }> = {
  england_wales: { label: 'England and Wales (Charity Commission)', short: 'Charity Commission for England and Wales' },
  scotland: { label: 'Scotland (OSCR, the Scottish Charity Regulator)', short: 'Scottish Charity Regulator (OSCR)' },
  northern_ireland: { label: 'Northern Ireland (Charity Commission for Northern Ireland)', short: 'Charity Commission for Northern Ireland' },
};

/** Legal forms registered at Companies House: their number is required. */
export const COMPANY_FORMS: ReadonlySet<LegalForm> = new Set(['private_limited_company', 'company_limited_by_guarantee', 'community_interest_company', 'charitable_company']);

/** Legal forms that must be on a charity register: their charity number is required. */
export const CHARITY_FORMS: ReadonlySet<LegalForm> = new Set(['charity_cio']);

/** Legal forms we suggest are voluntary, community or social enterprises (the answer stays the supplier's). */
export const VCSE_FORMS: ReadonlySet<LegalForm> = new Set(['charity_cio', 'charitable_company', 'community_interest_company', 'cooperative', 'community_benefit_society', 'company_limited_by_guarantee']);

/** "Co-operative or mutual" in the directory's filter. */
export const COOPERATIVE_FORMS: readonly LegalForm[] = ['cooperative', 'community_benefit_society', 'mutual'];

export const suggestsVcse = (form: LegalForm | undefined): boolean => form !== undefined && VCSE_FORMS.has(form);

export const VCSE_HINT =
  'Voluntary, community and social enterprises (VCSEs) include charities, social enterprises, community groups, co-operatives and mutuals that put their profits back into their purpose. If you do not answer, we answer from your legal form: yes for charities, community interest companies, co-operatives, community benefit societies and companies limited by guarantee, no for the others.';

export { CHARITY_REGISTERS, LEGAL_FORMS, SUPPLIER_SIZES };
export type { LegalForm, SupplierSize };
