/**
 * GET /api/opportunities (public): the search of /opportunities as JSON for integrations, with
 * exactly the same parameters (src/modules/search/search.params.ts) and the same results for the
 * same querystring. Documented in docs/api.md.
 *
 * Also runSearch(), which both the page and the API call: checks the querystring, runs the search
 * on the configured backend (app.opportunitySearch) and adds what the port does not carry — each
 * result's full value (minimum, maximum, VAT) from its latest release, the buyers' slugs for the
 * buyer facet and the CPV divisions' names.
 *
 * Bad input is a 400 with a JSON body `{ error: { code, message, requestId } }` (the app's error
 * handler answers JSON under /api/); an address over 2,048 characters is a 414.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import type { PublicOpportunity } from '../opportunities/opportunities.snapshot.js';
import {
  API_SEARCH_PATH,
  databaseLookups,
  describeSchemaErrors,
  facetBuyerIds,
  facetsForUrl,
  hasSearchText,
  parseSearchParams,
  searchQuerystring,
  type FilterParameter,
  type ParsedSearch,
  type SearchQuerystring,
  type UrlFacets,
} from './search.params.js';
import { escapeHtml, RESULT_WINDOW, type SearchResult, type SearchResultItem } from './search.port.js';

const MAX_URL_LENGTH = 2048;

export type OpportunityValue = PublicOpportunity['value'];

export interface SearchRun {
  parsed: ParsedSearch;
  result: SearchResult;
  /** The page's results, each with its full value from the latest release. */
  items: (SearchResultItem & { value: OpportunityValue })[];
  facets: UrlFacets;
  /** Notices from parsing and from the backend, without repeats. */
  notices: string[];
  /** Pages that can be reached (at most RESULT_WINDOW / page size). */
  totalPages: number;
  /** A page after the first was asked for and has no results. */
  pastLastPage: boolean;
}

/** The values of the given opportunities as their latest releases state them. */
async function latestValues(app: FastifyInstance, ids: number[]): Promise<Map<number, OpportunityValue>> {
  if (!ids.length) return new Map();
  const { rows } = await app.database.db.execute<{ id: number; value: OpportunityValue | null }>(
    sql`select opportunity_id as id, snapshot->'value' as value from releases where is_latest and opportunity_id = any(${sql.param(ids)}::int[])`,
  );
  return new Map(rows.filter((r) => r.value).map((r) => [r.id, r.value!]));
}

/**
 * The port promises escaped text with <mark> elements; anything else (a backend bug) is shown as
 * text rather than trusted, since the page writes these fields unescaped.
 */
export function onlyMarks(html: string): string {
  const text = html.replace(/<\/?mark>/g, '');
  return /[<>]/.test(text) ? escapeHtml(text) : html;
}

/** Checks the querystring and runs the search (throws a 400 BadRequestError for bad input). */
export async function runSearch(app: FastifyInstance, raw: SearchQuerystring): Promise<SearchRun> {
  const lookups = databaseLookups(app.database.db);
  const parsed = await parseSearchParams(raw, lookups);
  const result = await app.opportunitySearch.search(parsed.query);
  const [buyers, values, divisions] = await Promise.all([
    lookups.buyersById(facetBuyerIds(result.facets)),
    latestValues(app, result.items.map((i) => i.opportunityId)),
    lookups.cpvDivisions(),
  ]);
  const totalPages = Math.max(1, Math.min(Math.ceil(result.total / result.pageSize), Math.floor(RESULT_WINDOW / result.pageSize)));
  const notices = [...new Set([...parsed.notices, ...result.notices])];
  const items = result.items.map((item) => ({
    ...item,
    titleHtml: onlyMarks(item.titleHtml),
    snippetHtml: onlyMarks(item.snippetHtml),
    value: values.get(item.opportunityId) ?? { minPence: null, maxPence: item.valueMaxPence, includesVat: false, currency: 'GBP' },
  }));
  return {
    parsed,
    result,
    items,
    facets: facetsForUrl(result.facets, parsed.state, [...buyers, ...parsed.buyers], divisions),
    notices,
    totalPages,
    pastLastPage: items.length === 0 && parsed.state.page > 1,
  };
}

// ---- The JSON API -----------------------------------------------------------------------------

const money = Type.Union([Type.Integer(), Type.Null()]);
const facetValue = Type.Object({
  value: Type.String({ description: 'The parameter value that chooses it' }),
  label: Type.String(),
  count: Type.Integer(),
  countIsEstimate: Type.Boolean(),
  selected: Type.Boolean(),
});
const facetList = Type.Array(facetValue);

export const apiResponse = Type.Object({
  total: Type.Integer(),
  totalIsEstimate: Type.Boolean(),
  page: Type.Integer(),
  pageSize: Type.Integer(),
  results: Type.Array(
    Type.Object({
      id: Type.Integer(),
      url: Type.String(),
      title: Type.String(),
      titleHtml: Type.Optional(Type.String()),
      snippetHtml: Type.String(),
      buyerName: Type.String(),
      stage: Type.String(),
      cancelled: Type.Boolean(),
      mainCategory: Type.String(),
      value: Type.Object({ minPence: money, maxPence: money, includesVat: Type.Boolean(), currency: Type.String() }),
      tenderDeadline: Type.Union([Type.String(), Type.Null()]),
      firstPublishedAt: Type.String(),
    }),
  ),
  facets: Type.Object({
    stage: facetList,
    category: facetList,
    cpv: facetList,
    value: facetList,
    sme: facetList,
    vcse: facetList,
    local: facetList,
    buyer: facetList,
    closing: facetList,
  } satisfies Record<FilterParameter, typeof facetList>),
  suggestion: Type.Union([Type.String(), Type.Null()]),
  notices: Type.Array(Type.String()),
});

const searchRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  app.addHook('onRequest', async (request) => {
    if (request.url.length > MAX_URL_LENGTH) throw new AppError('uri_too_long', 414, 'The address is too long: shorten the search text or use fewer filters.');
  });
  // Public data, no credentials: any web page may read the answers, errors included.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('access-control-allow-origin', '*');
  });

  app.get(
    API_SEARCH_PATH,
    {
      config: { access: 'public' },
      schema: { querystring: searchQuerystring, response: { 200: apiResponse } },
      schemaErrorFormatter: describeSchemaErrors,
    },
    async (request) => {
      const run = await runSearch(app, request.query);
      const { result } = run;
      const notices = [...run.notices];
      if (run.pastLastPage) {
        notices.push(`There is no page ${run.parsed.state.page.toLocaleString('en-GB')} of these results: there ${run.totalPages === 1 ? 'is 1 page' : `are ${run.totalPages.toLocaleString('en-GB')} pages`}.`);
      }
      const withText = hasSearchText(run.parsed.state);
      return {
        total: result.total,
        totalIsEstimate: result.totalIsEstimate,
        page: result.page,
        pageSize: result.pageSize,
        results: run.items.map((item) => ({
          id: item.opportunityId,
          url: `${config.publicUrl}/opportunities/${item.opportunityId}`,
          title: item.title,
          ...(withText ? { titleHtml: item.titleHtml } : {}),
          snippetHtml: item.snippetHtml,
          buyerName: item.buyerName,
          stage: item.stage,
          cancelled: item.cancelled,
          mainCategory: item.mainCategory,
          value: item.value,
          tenderDeadline: item.tenderDeadline ? item.tenderDeadline.toISOString() : null,
          firstPublishedAt: item.firstPublishedAt.toISOString(),
        })),
        facets: run.facets,
        suggestion: result.suggestion,
        notices,
      };
    },
  );
};

export default searchRoutes;
