/**
 * The search port: what the portal asks of a search backend (PostgreSQL full-text search by
 * default, Meilisearch when configured), and the backend-independent pieces every backend shares —
 * the filter vocabulary (stages, categories, value bands…), the limits, the clean-up of a query
 * before it reaches a backend, and the highlight markers that become <mark> in HTML.
 *
 * A backend never throws for anything a user typed or picked: bad text, unknown filter values and
 * absurd page numbers are tidied by prepareSearchQuery, and what changed is said in `notices`.
 */
import { MAIN_CATEGORIES, NOTICE_STAGES, type MainCategory, type NoticeStage } from '../opportunities/opportunities.table.js';

/** The stages a search can filter on: the notice stages, plus `cancelled` (hidden unless asked for). */
export const SEARCH_STAGES = [...NOTICE_STAGES, 'cancelled'] as const;
export type SearchStage = NoticeStage | 'cancelled';

export const SEARCH_CATEGORIES = MAIN_CATEGORIES;
export type SearchCategory = MainCategory;

export const SEARCH_SORTS = ['relevance', 'closing', 'newest', 'value'] as const;
/**
 * relevance: title matches first, then the full-text rank (with no words typed: as `newest`);
 * closing: open opportunities first, soonest tender deadline first, no deadline last;
 * newest: first published, newest first; value: highest value first, value unknown last.
 */
export type SearchSort = (typeof SEARCH_SORTS)[number];

export const CLOSING_WITHIN_DAYS = [7, 30] as const;
export type ClosingWithinDays = (typeof CLOSING_WITHIN_DAYS)[number];

/**
 * Value bands over the opportunity's maximum value (its minimum when no maximum is given), in
 * pence, each from `minPence` (inclusive) to `maxPence` (exclusive): exactly £25,000 is in
 * `25k-100k`. `unknown` is the opportunities that give no value at all.
 */
export const VALUE_BANDS = [
  { id: 'under-25k', label: 'Under £25,000', minPence: null, maxPence: 2_500_000 },
  { id: '25k-100k', label: '£25,000 to £100,000', minPence: 2_500_000, maxPence: 10_000_000 },
  { id: '100k-500k', label: '£100,000 to £500,000', minPence: 10_000_000, maxPence: 50_000_000 },
  { id: '500k-2m', label: '£500,000 to £2 million', minPence: 50_000_000, maxPence: 200_000_000 },
  { id: 'over-2m', label: 'Over £2 million', minPence: 200_000_000, maxPence: null },
  { id: 'unknown', label: 'Value not given', minPence: null, maxPence: null },
] as const satisfies readonly { id: string; label: string; minPence: number | null; maxPence: number | null }[];
export type ValueBandId = (typeof VALUE_BANDS)[number]['id'];
export const VALUE_BAND_IDS: readonly ValueBandId[] = VALUE_BANDS.map((b) => b.id);

/** The band a value (in pence, or null when not given) falls in. */
export function valueBandOf(valuePence: number | null): ValueBandId {
  if (valuePence === null) return 'unknown';
  for (const band of VALUE_BANDS) {
    if (band.id === 'unknown') continue;
    if ((band.minPence === null || valuePence >= band.minPence) && (band.maxPence === null || valuePence < band.maxPence)) return band.id;
  }
  return 'unknown';
}

/** Longest search text a backend is given; longer text is cut, with a notice. */
export const MAX_QUERY_LENGTH = 200;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/**
 * The deepest result a search can page to (page × pageSize). Ranking, like counting, works on a
 * bounded set of matches (see the backends); a page beyond this is moved back, with a notice.
 */
export const RESULT_WINDOW = 1000;
/** Totals and facet counts are exact up to this many matches, and marked as estimates beyond. */
export const EXACT_COUNT_THRESHOLD = 1000;

export interface SearchFilters {
  /** Any of these stages; `cancelled` opportunities are shown only when asked for here. */
  stages?: SearchStage[];
  categories?: SearchCategory[];
  /** CPV divisions: the first two digits of a CPV code, e.g. "45" (construction work). */
  cpvDivisions?: string[];
  valueBands?: ValueBandId[];
  /** true: only those suitable for small and medium-sized enterprises (false: no filter). */
  sme?: boolean;
  /** true: only those suitable for voluntary, community and social enterprise organisations. */
  vcse?: boolean;
  /** true: only those reserved for local suppliers (reservation = 'local'). */
  localReserved?: boolean;
  buyerIds?: number[];
  /** Tender deadline from now to this many days ahead. */
  closingWithinDays?: ClosingWithinDays;
}

export interface SearchQuery {
  /** What the user typed: words, "quoted phrases", -exclusions and OR (see query.ts). */
  text: string;
  filters: SearchFilters;
  sort: SearchSort;
  /** 1-based. */
  page: number;
  pageSize: number;
}

export interface SearchResultItem {
  opportunityId: number;
  title: string;
  buyerId: number;
  buyerName: string;
  /** The notice stage; a cancelled opportunity keeps the stage it was cancelled in. */
  stage: NoticeStage;
  cancelled: boolean;
  mainCategory: MainCategory;
  valueMaxPence: number | null;
  suitableForSme: boolean;
  suitableForVcse: boolean;
  reservation: string;
  tenderDeadline: Date | null;
  firstPublishedAt: Date;
  /** The title as HTML: escaped, with <mark> around the words that matched. */
  titleHtml: string;
  /** A short extract of the summary and description as HTML: escaped, with <mark> around matches. */
  snippetHtml: string;
}

export const FACET_NAMES = ['stage', 'category', 'cpvDivision', 'valueBand', 'sme', 'vcse', 'localReserved', 'buyer', 'closingWithin'] as const;
/**
 * Facet values: stage → a SearchStage; category → a main category; cpvDivision → two digits;
 * valueBand → a ValueBandId; sme, vcse, localReserved → "true" (how many would match when ticked);
 * buyer → the buyer's id; closingWithin → "7" or "30".
 */
export type FacetName = (typeof FACET_NAMES)[number];

export interface FacetValue {
  value: string;
  /** For buyers their name, for CPV divisions the division's description. */
  label?: string;
  count: number;
  /** The count was worked out from a sample of the matches (more than EXACT_COUNT_THRESHOLD). */
  countIsEstimate: boolean;
}

/**
 * Each facet's counts reflect the text and all the OTHER active filters (the facet's own filter
 * is left out, so that its other values show what choosing them instead would give). A value
 * the user chose is always listed, with a count of 0 if nothing matches.
 */
export type SearchFacets = Record<FacetName, FacetValue[]>;

export interface SearchResult {
  total: number;
  /** The total is an estimate: more than EXACT_COUNT_THRESHOLD opportunities match. */
  totalIsEstimate: boolean;
  /** The page and page size actually used (after prepareSearchQuery). */
  page: number;
  pageSize: number;
  items: SearchResultItem[];
  facets: SearchFacets;
  /** "Did you mean …": the text with likely typos corrected, or null. */
  suggestion: string | null;
  /** Plain-text messages for the user, e.g. that the text was cut or a page moved. */
  notices: string[];
}

export interface SearchBackend {
  readonly name: 'postgres' | 'meilisearch';
  search(query: SearchQuery): Promise<SearchResult>;
  /** For /health/ready: whether the backend can answer searches, and why not. */
  ready(): Promise<{ ok: boolean; detail: string }>;
}

export function emptyFacets(): SearchFacets {
  return { stage: [], category: [], cpvDivision: [], valueBand: [], sme: [], vcse: [], localReserved: [], buyer: [], closingWithin: [] };
}

export const NOTICE_TEXT_CUT = `Your search was longer than ${MAX_QUERY_LENGTH} characters, so only the first ${MAX_QUERY_LENGTH} were used.`;

/**
 * A query tidied for a backend: text cut to MAX_QUERY_LENGTH (never inside a surrogate pair) with
 * control characters removed; page and page size made whole numbers within their limits (a page
 * beyond RESULT_WINDOW moves back to the last reachable one); filter values outside the
 * vocabulary dropped and duplicates removed. Never throws, whatever it is given.
 */
export function prepareSearchQuery(input: Partial<SearchQuery> | undefined): { query: SearchQuery; notices: string[] } {
  const notices: string[] = [];
  let text = typeof input?.text === 'string' ? input.text : '';
  // Control characters (NUL would even be refused by PostgreSQL) become spaces.
  text = text.replace(/[\p{Cc}\u2028\u2029]/gu, ' ');
  if ([...text].length > MAX_QUERY_LENGTH) {
    text = [...text].slice(0, MAX_QUERY_LENGTH).join('');
    notices.push(NOTICE_TEXT_CUT);
  }
  const sort: SearchSort = (SEARCH_SORTS as readonly string[]).includes(input?.sort as string) ? (input!.sort as SearchSort) : 'relevance';
  const pageSize = clampInt(input?.pageSize, DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
  const maxPage = Math.max(1, Math.floor(RESULT_WINDOW / pageSize));
  let page = clampInt(input?.page, 1, 1, Number.MAX_SAFE_INTEGER);
  if (page > maxPage) {
    page = maxPage;
    notices.push(`Only the first ${RESULT_WINDOW.toLocaleString('en-GB')} results can be shown: this is page ${maxPage}. Add words or filters to narrow the search.`);
  }
  return { query: { text, sort, page, pageSize, filters: cleanFilters(input?.filters) }, notices };
}

function clampInt(value: unknown, fallback: number, min: number, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(n)));
}

function pick<T extends string>(values: unknown, allowed: readonly T[]): T[] | undefined {
  if (!Array.isArray(values)) return undefined;
  const kept = [...new Set(values.filter((v): v is T => typeof v === 'string' && (allowed as readonly string[]).includes(v)))];
  return kept.length ? kept : undefined;
}

function cleanFilters(filters: SearchFilters | undefined): SearchFilters {
  const f: SearchFilters = {};
  if (!filters || typeof filters !== 'object') return f;
  const stages = pick(filters.stages, SEARCH_STAGES);
  if (stages) f.stages = stages;
  const categories = pick(filters.categories, SEARCH_CATEGORIES);
  if (categories) f.categories = categories;
  if (Array.isArray(filters.cpvDivisions)) {
    const divisions = [...new Set(filters.cpvDivisions.filter((d) => typeof d === 'string' && /^\d{2}$/.test(d)))];
    if (divisions.length) f.cpvDivisions = divisions;
  }
  const bands = pick(filters.valueBands, VALUE_BAND_IDS);
  if (bands) f.valueBands = bands;
  if (filters.sme === true) f.sme = true;
  if (filters.vcse === true) f.vcse = true;
  if (filters.localReserved === true) f.localReserved = true;
  if (Array.isArray(filters.buyerIds)) {
    const ids = [...new Set(filters.buyerIds.filter((id) => Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647))];
    if (ids.length) f.buyerIds = ids;
  }
  if ((CLOSING_WITHIN_DAYS as readonly unknown[]).includes(filters.closingWithinDays)) f.closingWithinDays = filters.closingWithinDays!;
  return f;
}

/** Which facets have an active filter (the facet whose counts leave that filter out). */
export function activeFacetFilters(filters: SearchFilters): FacetName[] {
  const active: FacetName[] = [];
  if (filters.stages?.length) active.push('stage');
  if (filters.categories?.length) active.push('category');
  if (filters.cpvDivisions?.length) active.push('cpvDivision');
  if (filters.valueBands?.length) active.push('valueBand');
  if (filters.sme) active.push('sme');
  if (filters.vcse) active.push('vcse');
  if (filters.localReserved) active.push('localReserved');
  if (filters.buyerIds?.length) active.push('buyer');
  if (filters.closingWithinDays) active.push('closingWithin');
  return active;
}

/** The values chosen for a facet, as facet values (strings). */
export function chosenFacetValues(filters: SearchFilters, facet: FacetName): string[] {
  switch (facet) {
    case 'stage':
      return filters.stages ?? [];
    case 'category':
      return filters.categories ?? [];
    case 'cpvDivision':
      return filters.cpvDivisions ?? [];
    case 'valueBand':
      return filters.valueBands ?? [];
    case 'sme':
      return filters.sme ? ['true'] : [];
    case 'vcse':
      return filters.vcse ? ['true'] : [];
    case 'localReserved':
      return filters.localReserved ? ['true'] : [];
    case 'buyer':
      return (filters.buyerIds ?? []).map(String);
    case 'closingWithin':
      return filters.closingWithinDays ? [String(filters.closingWithinDays)] : [];
  }
}

/**
 * Highlight markers: a backend asks its engine to put these around matched words (they are
 * private-use characters, removed from the indexed text first, so they cannot occur in it), and
 * markedToHtml turns them into <mark> elements.
 */
export const HIGHLIGHT_START = '\uE000';
export const HIGHLIGHT_END = '\uE001';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * HTML from text carrying highlight markers. With `escaped` the text is already HTML-escaped
 * (the PostgreSQL backend escapes before ts_headline, which would otherwise drop tag-like text);
 * otherwise it is escaped here. Markers always come out balanced, never nested.
 */
export function markedToHtml(text: string, options: { escaped?: boolean } = {}): string {
  let html = '';
  let open = false;
  for (const part of text.split(/([\uE000\uE001])/)) {
    if (part === HIGHLIGHT_START) {
      if (!open) html += '<mark>';
      open = true;
    } else if (part === HIGHLIGHT_END) {
      if (open) html += '</mark>';
      open = false;
    } else {
      html += options.escaped ? part : escapeHtml(part);
    }
  }
  if (open) html += '</mark>';
  return html.replace(/<mark><\/mark>/g, '');
}

/**
 * A facet's values in the order the page lists them: stages, types, value bands and closing
 * periods in their natural order; buyers and CPV divisions by count, then by name.
 */
export function orderFacetValues(facet: FacetName, values: FacetValue[]): FacetValue[] {
  const byList = (list: readonly string[]) => [...values].sort((a, b) => list.indexOf(a.value) - list.indexOf(b.value));
  switch (facet) {
    case 'stage':
      return byList(SEARCH_STAGES);
    case 'category':
      return byList(SEARCH_CATEGORIES);
    case 'valueBand':
      return byList(VALUE_BANDS.map((b) => b.id));
    case 'closingWithin':
      return byList(CLOSING_WITHIN_DAYS.map(String));
    case 'buyer':
    case 'cpvDivision':
      return [...values].sort((a, b) => b.count - a.count || (a.label ?? a.value).localeCompare(b.label ?? b.value));
    default:
      return values;
  }
}
