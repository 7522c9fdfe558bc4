/**
 * The URL of a search, shared by the page (/opportunities) and the API (/api/opportunities):
 *
 *   ?q=<text>&stage=<s>&category=<c>&cpv=<2 digits>&value=<band>&sme=yes&vcse=yes&local=yes
 *    &buyer=<organisation slug>&closing=7|30&sort=relevance|closing|newest|value&page=<n>
 *
 * stage, category, cpv, value and buyer may repeat (any of the values: OR within one filter, AND
 * across filters). This module holds the querystring schema, the checks that turn a querystring
 * into a SearchQuery (via prepareSearchQuery) with one clear sentence per bad parameter, the
 * facets in URL terms (buyer slugs rather than ids, "yes" rather than "true"), and the hrefs that
 * add or remove one filter value while keeping the rest: all of a search's state is in its URL.
 *
 * Choices:
 * - Values of a repeatable parameter are put in a fixed order (the vocabulary's; CPV divisions and
 *   buyer slugs sorted), so one search has one URL whatever order the boxes were ticked in.
 * - Unknown parameters are dropped (tracking tags such as utm_source must not break a link);
 *   unknown VALUES of known parameters are a 400 naming each bad parameter, since a link that
 *   silently shows something else than it says would mislead. Empty values (`stage=`, a form's
 *   "any" choice) count as absent, except `page=`.
 * - `q` longer than MAX_QUERY_LENGTH is cut, with a notice (not an error): people paste whole
 *   paragraphs. Addresses longer than 2,048 characters are refused with a 414 by the routes.
 * - `page` must be a whole number from 1 to MAX_PAGE (10,000), else 400: a page number that is not
 *   a number is a broken link. A page beyond the result window (RESULT_WINDOW / page size = 50)
 *   is moved back to the last reachable page with a notice by prepareSearchQuery, and a page past
 *   the last page of results is a friendly 404 on the page (an empty list, with a notice, in the
 *   API) — so a bookmarked page 60 of a search that has grown still shows something useful.
 */
import { sql } from 'drizzle-orm';
import { Type, type Static } from 'typebox';
import type { DbOrTx } from '../../db/client.js';
import { BadRequestError } from '../../errors.js';
import {
  CLOSING_WITHIN_DAYS,
  prepareSearchQuery,
  SEARCH_CATEGORIES,
  SEARCH_SORTS,
  SEARCH_STAGES,
  VALUE_BAND_IDS,
  VALUE_BANDS,
  type ClosingWithinDays,
  type FacetName,
  type FacetValue,
  type SearchCategory,
  type SearchFacets,
  type SearchQuery,
  type SearchSort,
  type SearchStage,
  type ValueBandId,
} from './search.port.js';

export const SEARCH_PATH = '/opportunities';
export const API_SEARCH_PATH = '/api/opportunities';
/** The highest page number a link may ask for; anything above is a 400. */
export const MAX_PAGE = 10_000;
/** The most values one repeatable parameter may have. */
export const MAX_VALUES = 50;
/** Longest `q` accepted before cutting (the address limit of 2,048 characters comes first). */
const MAX_RAW_QUERY = 4000;

// ---- The querystring schema -------------------------------------------------------------------

/**
 * A repeatable parameter. Fastify's querystring parser gives an array for a repeated key and a
 * string for a single one; its validator (coerceTypes: 'array') turns the single string into a
 * one-element array, so handlers always see arrays.
 */
const many = (description: string) => Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: MAX_VALUES, description }));
const one = (description: string, maxLength = 200) => Type.Optional(Type.String({ maxLength, description }));

/**
 * Shapes only: which parameters repeat and how long values may be. The values themselves are
 * checked by parseSearchParams, which names every bad parameter at once (the schema validator
 * stops at the first problem).
 */
export const searchQuerystring = Type.Object(
  {
    q: one('What to search for: words, "quoted phrases", -exclusions and OR. Cut to 200 characters.', MAX_RAW_QUERY),
    stage: many(`Stage: ${SEARCH_STAGES.join(', ')}. Cancelled opportunities are shown only when asked for.`),
    category: many(`Main category: ${SEARCH_CATEGORIES.join(', ')}.`),
    cpv: many('CPV division: the first two digits of a CPV code, e.g. 45 (construction work).'),
    value: many(`Value band: ${VALUE_BAND_IDS.join(', ')}.`),
    sme: one('"yes": only those suitable for small and medium-sized enterprises.'),
    vcse: one('"yes": only those suitable for voluntary, community and social enterprise organisations.'),
    local: one('"yes": only those reserved for local suppliers.'),
    buyer: many('Buyer organisation, by its slug (e.g. demo-borough-council).'),
    closing: one('7 or 30: tender deadline within that many days.'),
    sort: one(`Order: ${SEARCH_SORTS.join(', ')} (default: relevance when there is text, else newest).`),
    page: one(`Page number, 1 to ${MAX_PAGE}.`, 30),
  },
  { additionalProperties: false },
);
export type SearchQuerystring = Static<typeof searchQuerystring>;

/** The parameters in the order hrefs write them (and messages list them). */
export const PARAMETERS = ['q', 'stage', 'category', 'cpv', 'value', 'sme', 'vcse', 'local', 'buyer', 'closing', 'sort', 'page'] as const;
export type Parameter = (typeof PARAMETERS)[number];
/** The parameters that filter (each a facet). */
export const FILTER_PARAMETERS = ['stage', 'category', 'cpv', 'value', 'sme', 'vcse', 'local', 'buyer', 'closing'] as const;
export type FilterParameter = (typeof FILTER_PARAMETERS)[number];

/** The facet of the search port behind each filter parameter. */
export const FACET_OF: Record<FilterParameter, FacetName> = {
  stage: 'stage',
  category: 'category',
  cpv: 'cpvDivision',
  value: 'valueBand',
  sme: 'sme',
  vcse: 'vcse',
  local: 'localReserved',
  buyer: 'buyer',
  closing: 'closingWithin',
};

// ---- Words ------------------------------------------------------------------------------------

export const STAGE_LABELS: Record<SearchStage, string> = {
  pipeline: 'Pipeline',
  planned: 'Planned',
  open: 'Open',
  closed: 'Closed',
  awarded: 'Awarded',
  cancelled: 'Cancelled',
};
export const CATEGORY_LABELS: Record<SearchCategory, string> = { goods: 'Goods', services: 'Services', works: 'Works' };
export const SORT_LABELS: Record<SearchSort, string> = {
  relevance: 'Best match',
  newest: 'Newest first',
  closing: 'Closing soonest',
  value: 'Highest value',
};
/** How the result count ends: "…, best match first." */
export const SORT_PHRASES: Record<SearchSort, string> = {
  relevance: 'best match first',
  newest: 'newest first',
  closing: 'closing soonest first',
  value: 'highest value first',
};
const YES_LABELS = {
  sme: 'Suitable for small and medium-sized businesses',
  vcse: 'Suitable for charities and social enterprises',
  local: 'Only local suppliers can bid',
} as const;
const CLOSING_LABELS: Record<ClosingWithinDays, string> = { 7: 'Closing within 7 days', 30: 'Closing within 30 days' };

/** The legend of each filter on the page. */
export const FILTER_LEGENDS: Record<FilterParameter, string> = {
  stage: 'Stage',
  category: 'Type of contract',
  cpv: 'Category',
  value: 'Value',
  sme: 'Suitable for',
  vcse: 'Suitable for',
  local: 'Suitable for',
  buyer: 'Organisation',
  closing: 'Closing date',
};

const list = (values: readonly (string | number)[]) => values.join(', ');

/** One sentence per parameter, for the 400 page and the API's error message. */
export const PARAMETER_PROBLEMS: Record<Parameter, string> = {
  q: 'Give the search words (q) only once.',
  stage: `The stage must be one of: ${list(SEARCH_STAGES)}.`,
  category: `The type of contract (category) must be one of: ${list(SEARCH_CATEGORIES)}.`,
  cpv: 'The category (cpv) must be a CPV division: two digits, such as 45 for construction work.',
  value: `The value (value) must be one of: ${list(VALUE_BAND_IDS)}.`,
  sme: 'The small business filter (sme) can only be “yes”: leave it out to include every opportunity.',
  vcse: 'The charity and social enterprise filter (vcse) can only be “yes”: leave it out to include every opportunity.',
  local: 'The local suppliers filter (local) can only be “yes”: leave it out to include every opportunity.',
  buyer: 'The organisation (buyer) must be given by its short name in lower case, like “demo-borough-council”.',
  closing: `The closing date filter (closing) must be ${CLOSING_WITHIN_DAYS.join(' or ')} (days).`,
  sort: `The order (sort) must be one of: ${list(SEARCH_SORTS)}.`,
  page: `The page number must be a whole number from 1 to ${MAX_PAGE.toLocaleString('en-GB')}.`,
};

const ADVICE = 'Check the address, or start a new search.';

function problemError(problems: Partial<Record<Parameter, string>>): BadRequestError {
  const sentences = PARAMETERS.filter((p) => problems[p]).map((p) => problems[p]!);
  return new BadRequestError(`${sentences.join(' ')} ${ADVICE}`, 'invalid_query');
}

interface SchemaIssue {
  instancePath: string;
  keyword?: string;
}

/**
 * Fastify's schemaErrorFormatter for both routes: the schema's problems (a value given twice
 * where one is allowed, too many values, an over-long value) as the same sentences.
 */
export function describeSchemaErrors(errors: readonly SchemaIssue[]): Error {
  const problems: Partial<Record<Parameter, string>> = {};
  for (const error of errors) {
    const name = error.instancePath.replace(/^\//, '').split('/')[0] ?? '';
    if (!(PARAMETERS as readonly string[]).includes(name)) continue;
    const parameter = name as Parameter;
    problems[parameter] = error.keyword === 'maxItems' ? `Give at most ${MAX_VALUES} values of ${parameter}.` : PARAMETER_PROBLEMS[parameter];
  }
  if (!Object.keys(problems).length) return new BadRequestError(`Part of the address is not valid. ${ADVICE}`, 'invalid_query');
  return problemError(problems);
}

// ---- The state of a search --------------------------------------------------------------------

/** Everything a search URL says, checked: what hrefs are built from. */
export interface SearchState {
  /** The search text as used (cut to MAX_QUERY_LENGTH). */
  q: string;
  stage: SearchStage[];
  category: SearchCategory[];
  cpv: string[];
  value: ValueBandId[];
  sme: boolean;
  vcse: boolean;
  local: boolean;
  /** Buyer slugs. */
  buyer: string[];
  closing: ClosingWithinDays | null;
  /** The order asked for; null for the default (relevance with text, else newest). */
  sort: SearchSort | null;
  /** The page asked for (1-based). */
  page: number;
}

export function emptyState(): SearchState {
  return { q: '', stage: [], category: [], cpv: [], value: [], sme: false, vcse: false, local: false, buyer: [], closing: null, sort: null, page: 1 };
}

/** Whether the text has anything to search for (relevance is offered only then). */
export const hasSearchText = (state: Pick<SearchState, 'q'>) => state.q.trim() !== '';

/** The order used: the one asked for, else relevance with text and newest without. */
export function effectiveSort(state: SearchState): SearchSort {
  if (state.sort && (state.sort !== 'relevance' || hasSearchText(state))) return state.sort;
  return hasSearchText(state) ? 'relevance' : 'newest';
}

/** Whether any filter (not the text) is active. */
export function hasFilters(state: SearchState): boolean {
  return FILTER_PARAMETERS.some((p) => filterValues(state, p).length > 0);
}

/** The values of one filter as URL values. */
export function filterValues(state: SearchState, parameter: FilterParameter): string[] {
  switch (parameter) {
    case 'sme':
    case 'vcse':
    case 'local':
      return state[parameter] ? ['yes'] : [];
    case 'closing':
      return state.closing ? [String(state.closing)] : [];
    default:
      return state[parameter];
  }
}

// ---- Look-ups ---------------------------------------------------------------------------------

// A type rather than an interface: drizzle's execute<T> wants an indexable row type.
export type BuyerRef = {
  id: number;
  slug: string;
  name: string;
};

/** What parsing and facets need from the database. */
export interface SearchLookups {
  /** The buyers with these slugs (unknown ones left out). */
  buyersBySlug(slugs: readonly string[]): Promise<BuyerRef[]>;
  /** The buyers with these ids (unknown ones left out). */
  buyersById(ids: readonly number[]): Promise<BuyerRef[]>;
  /** Every CPV division ("45") with its description. */
  cpvDivisions(): Promise<ReadonlyMap<string, string>>;
}

/** CPV divisions are reference data loaded by a migration: read once per database handle. */
const divisionCache = new WeakMap<object, Promise<ReadonlyMap<string, string>>>();

export function databaseLookups(db: DbOrTx): SearchLookups {
  return {
    async buyersBySlug(slugs) {
      if (!slugs.length) return [];
      const { rows } = await db.execute<BuyerRef>(sql`select id, slug, name from buyer_organisations where slug = any(${sql.param([...slugs])}::text[])`);
      return rows;
    },
    async buyersById(ids) {
      if (!ids.length) return [];
      const { rows } = await db.execute<BuyerRef>(sql`select id, slug, name from buyer_organisations where id = any(${sql.param([...ids])}::int[])`);
      return rows;
    },
    cpvDivisions() {
      let cached = divisionCache.get(db);
      if (!cached) {
        cached = db
          .execute<{ division: string; description: string }>(sql`select division, description from cpv_codes where code = division || '000000' order by division`)
          .then(({ rows }) => new Map(rows.map((r) => [r.division, r.description])));
        // A failed read is not kept: the next search tries again.
        cached.catch(() => divisionCache.delete(db));
        divisionCache.set(db, cached);
      }
      return cached;
    },
  };
}

// ---- Parsing ----------------------------------------------------------------------------------

export interface ParsedSearch {
  state: SearchState;
  /** The query for the search port, already through prepareSearchQuery. */
  query: SearchQuery;
  /** Plain-text notices from parsing (e.g. that the text was cut). */
  notices: string[];
  /** The chosen buyers, in slug order. */
  buyers: BuyerRef[];
}

const nonEmpty = (values: readonly string[] | undefined) => [...new Set((values ?? []).filter((v) => v !== ''))];
const BUYER_SLUG = /^[a-z0-9][a-z0-9-]{0,99}$/;
const quoted = (values: readonly string[]) => values.map((v) => `“${v}”`).join(' or ');

/** The values if all are allowed, in the vocabulary's order (so one search has one URL), else null. */
function pickAll<T extends string>(values: string[], allowed: readonly T[]): T[] | null {
  return values.every((v) => (allowed as readonly string[]).includes(v)) ? allowed.filter((a) => values.includes(a)) : null;
}

/**
 * The checked state and SearchQuery of a querystring (already through the schema). Throws a
 * BadRequestError naming every bad parameter, one sentence each; never anything else for bad input.
 */
export async function parseSearchParams(raw: SearchQuerystring, lookups: SearchLookups): Promise<ParsedSearch> {
  const problems: Partial<Record<Parameter, string>> = {};
  const state = emptyState();

  state.q = typeof raw.q === 'string' ? raw.q : '';

  const stages = pickAll(nonEmpty(raw.stage), SEARCH_STAGES);
  if (stages) state.stage = stages;
  else problems.stage = PARAMETER_PROBLEMS.stage;

  const categories = pickAll(nonEmpty(raw.category), SEARCH_CATEGORIES);
  if (categories) state.category = categories;
  else problems.category = PARAMETER_PROBLEMS.category;

  const bands = pickAll(nonEmpty(raw.value), VALUE_BAND_IDS);
  if (bands) state.value = bands;
  else problems.value = PARAMETER_PROBLEMS.value;

  for (const flag of ['sme', 'vcse', 'local'] as const) {
    const given = raw[flag];
    if (given === undefined || given === '') continue;
    if (given === 'yes') state[flag] = true;
    else problems[flag] = PARAMETER_PROBLEMS[flag];
  }

  if (raw.closing !== undefined && raw.closing !== '') {
    const days = CLOSING_WITHIN_DAYS.find((d) => String(d) === raw.closing);
    if (days) state.closing = days;
    else problems.closing = PARAMETER_PROBLEMS.closing;
  }

  if (raw.sort !== undefined && raw.sort !== '') {
    if ((SEARCH_SORTS as readonly string[]).includes(raw.sort)) state.sort = raw.sort as SearchSort;
    else problems.sort = PARAMETER_PROBLEMS.sort;
  }

  if (raw.page !== undefined) {
    const page = /^[1-9]\d{0,5}$/.test(raw.page) ? Number(raw.page) : NaN;
    if (page >= 1 && page <= MAX_PAGE) state.page = page;
    else problems.page = PARAMETER_PROBLEMS.page;
  }

  // CPV divisions: two digits, and a division the vocabulary has.
  const cpv = nonEmpty(raw.cpv);
  if (cpv.some((d) => !/^\d{2}$/.test(d))) problems.cpv = PARAMETER_PROBLEMS.cpv;
  else if (cpv.length) {
    const divisions = await lookups.cpvDivisions();
    const unknown = cpv.filter((d) => !divisions.has(d));
    if (unknown.length) problems.cpv = `There is no CPV division ${quoted(unknown)}: a division is the first two digits of a CPV code, such as 45 for construction work.`;
    else state.cpv = cpv.sort();
  }

  // Buyers: by slug, each one an organisation that exists.
  const slugs = nonEmpty(raw.buyer);
  let buyers: BuyerRef[] = [];
  if (slugs.some((s) => !BUYER_SLUG.test(s))) problems.buyer = PARAMETER_PROBLEMS.buyer;
  else if (slugs.length) {
    const found = await lookups.buyersBySlug(slugs);
    const unknown = slugs.filter((s) => !found.some((b) => b.slug === s));
    if (unknown.length) problems.buyer = `No organisation called ${quoted(unknown)}.`;
    else {
      state.buyer = slugs.sort();
      buyers = state.buyer.map((s) => found.find((b) => b.slug === s)!);
    }
  }

  if (Object.keys(problems).length) throw problemError(problems);

  const { query, notices } = prepareSearchQuery({
    text: state.q,
    filters: {
      ...(state.stage.length ? { stages: state.stage } : {}),
      ...(state.category.length ? { categories: state.category } : {}),
      ...(state.cpv.length ? { cpvDivisions: state.cpv } : {}),
      ...(state.value.length ? { valueBands: state.value } : {}),
      ...(state.sme ? { sme: true } : {}),
      ...(state.vcse ? { vcse: true } : {}),
      ...(state.local ? { localReserved: true } : {}),
      ...(buyers.length ? { buyerIds: buyers.map((b) => b.id) } : {}),
      ...(state.closing ? { closingWithinDays: state.closing } : {}),
    },
    sort: effectiveSort(state),
    page: state.page,
  });
  // Hrefs and the search box carry the text as used.
  state.q = query.text;
  return { state, query, notices, buyers };
}

// ---- Hrefs ------------------------------------------------------------------------------------

/** The URL of a state: parameters in a fixed order, defaults (page 1, default sort) left out. */
export function searchHref(state: SearchState, path: string = SEARCH_PATH): string {
  const params = new URLSearchParams();
  if (state.q !== '') params.append('q', state.q);
  for (const parameter of FILTER_PARAMETERS) for (const value of filterValues(state, parameter)) params.append(parameter, value);
  if (state.sort) params.append('sort', state.sort);
  if (state.page > 1) params.append('page', String(state.page));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** A copy of the state with changes, back on page 1 (a different search starts at its top). */
export function changed(state: SearchState, changes: Partial<SearchState>): SearchState {
  return { ...state, page: 1, ...changes };
}

/** The state with one more value of a filter (a single-valued filter's value replaced). */
export function withFilter(state: SearchState, parameter: FilterParameter, value: string): SearchState {
  switch (parameter) {
    case 'sme':
    case 'vcse':
    case 'local':
      return changed(state, { [parameter]: true });
    case 'closing':
      return changed(state, { closing: CLOSING_WITHIN_DAYS.find((d) => String(d) === value) ?? null });
    default: {
      const values = state[parameter] as string[];
      return changed(state, { [parameter]: values.includes(value) ? values : [...values, value] });
    }
  }
}

/** The state without one value of a filter, everything else kept. */
export function withoutFilter(state: SearchState, parameter: FilterParameter, value: string): SearchState {
  switch (parameter) {
    case 'sme':
    case 'vcse':
    case 'local':
      return changed(state, { [parameter]: false });
    case 'closing':
      return changed(state, { closing: null });
    default:
      return changed(state, { [parameter]: (state[parameter] as string[]).filter((v) => v !== value) });
  }
}

/** The state with no filters: the text and the order kept. */
export function withoutFilters(state: SearchState): SearchState {
  return { ...emptyState(), q: state.q, sort: state.sort };
}

// ---- Facets in URL terms ----------------------------------------------------------------------

export interface UrlFacetValue {
  /** The parameter's value that chooses it (a buyer's slug, "yes", "7"). */
  value: string;
  label: string;
  count: number;
  /** The count was worked out from a sample (too many matches to count exactly). */
  countIsEstimate: boolean;
  /** Chosen in this search. */
  selected: boolean;
}

export type UrlFacets = Record<FilterParameter, UrlFacetValue[]>;

function labelOf(parameter: FilterParameter, value: FacetValue, buyers: ReadonlyMap<number, BuyerRef>, divisions: ReadonlyMap<string, string>): { value: string; label: string } | null {
  switch (parameter) {
    case 'stage':
      return value.value in STAGE_LABELS ? { value: value.value, label: STAGE_LABELS[value.value as SearchStage] } : null;
    case 'category':
      return value.value in CATEGORY_LABELS ? { value: value.value, label: CATEGORY_LABELS[value.value as SearchCategory] } : null;
    case 'cpv':
      return { value: value.value, label: value.label ?? divisions.get(value.value) ?? `CPV division ${value.value}` };
    case 'value': {
      const band = VALUE_BANDS.find((b) => b.id === value.value);
      return band ? { value: band.id, label: band.label } : null;
    }
    case 'sme':
    case 'vcse':
    case 'local':
      return value.value === 'true' ? { value: 'yes', label: YES_LABELS[parameter] } : null;
    case 'buyer': {
      const buyer = buyers.get(Number(value.value));
      return buyer ? { value: buyer.slug, label: buyer.name } : null;
    }
    case 'closing':
      return value.value === '7' || value.value === '30' ? { value: value.value, label: CLOSING_LABELS[Number(value.value) as ClosingWithinDays] } : null;
  }
}

/** The ids of the buyers a search's facets list (to look up their slugs). */
export function facetBuyerIds(facets: SearchFacets): number[] {
  return [...new Set(facets.buyer.map((v) => Number(v.value)).filter((id) => Number.isSafeInteger(id) && id > 0))];
}

/**
 * The port's facets with URL values and labels. A chosen value is always listed (with a count of
 * 0 if the backend left it out), so a form built from these keeps every chosen filter.
 */
export function facetsForUrl(facets: SearchFacets, state: SearchState, buyers: readonly BuyerRef[], divisions: ReadonlyMap<string, string>): UrlFacets {
  const byId = new Map(buyers.map((b) => [b.id, b]));
  const out = {} as UrlFacets;
  for (const parameter of FILTER_PARAMETERS) {
    const chosen = filterValues(state, parameter);
    const values: UrlFacetValue[] = [];
    for (const value of facets[FACET_OF[parameter]] ?? []) {
      const labelled = labelOf(parameter, value, byId, divisions);
      if (!labelled || values.some((v) => v.value === labelled.value)) continue;
      values.push({ ...labelled, count: value.count, countIsEstimate: value.countIsEstimate, selected: chosen.includes(labelled.value) });
    }
    for (const value of chosen) {
      if (values.some((v) => v.value === value)) continue;
      const buyer = parameter === 'buyer' ? buyers.find((b) => b.slug === value) : undefined;
      const labelled = labelOf(parameter, { value: buyer ? String(buyer.id) : yesToTrue(parameter, value), count: 0, countIsEstimate: false }, byId, divisions);
      values.push({ value, label: labelled?.label ?? value, count: 0, countIsEstimate: false, selected: true });
    }
    out[parameter] = values;
  }
  return out;
}

function yesToTrue(parameter: FilterParameter, value: string): string {
  return (parameter === 'sme' || parameter === 'vcse' || parameter === 'local') && value === 'yes' ? 'true' : value;
}

/** The label of one chosen value (for "Remove filter: …"). */
export function chosenLabel(facets: UrlFacets, parameter: FilterParameter, value: string): string {
  return facets[parameter].find((v) => v.value === value)?.label ?? value;
}

/** "12", or "about 1,200" for an estimate. */
export function countText(count: number, estimate: boolean): string {
  const n = count.toLocaleString('en-GB');
  return estimate ? `about ${n}` : n;
}

