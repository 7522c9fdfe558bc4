/**
 * The public pages: the home page, the list of opportunities and one opportunity. They read the
 * latest release of each opportunity (what the public was shown), never the working copy.
 *
 * The list is the search page: `/opportunities?q=…&stage=…` runs app.opportunitySearch with the
 * parameters of src/modules/search/search.params.ts (shared with GET /api/opportunities) and shows
 * the results, the filters with their counts, the order and the pages — every request, with or
 * without words, so that the filters and their counts are always there.
 *
 * Bad input gets a clear 4xx: a bad parameter value is a 400 page naming each bad parameter, a page
 * past the last page of results is a friendly 404, an `:id` that is not a published opportunity is
 * a 404, unknown query parameters are dropped (additionalProperties: false), and an over-long
 * address is a 414.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.js';
import { AppError, NotFoundError } from '../../errors.js';
import * as format from '../../lib/format.js';
import { renderMarkdown } from '../../lib/markdown.js';
import {
  countByStage,
  findLatest,
  latestOpen,
  PUBLIC_STAGES,
  type LatestRelease,
  type OpportunitySummary,
  type PublicStage,
} from './opportunities.repository.js';
import type { PublicAwardSupplier, PublicOpportunity } from './opportunities.snapshot.js';
import type { MainCategory, Procedure, Reservation } from './opportunities.table.js';
import { paginationParams } from '../../lib/pagination.js';
import { searchCpvCodes } from '../cpv/cpv.repository.js';
import { parseQuery, positiveWords } from '../search/query.js';
import {
  changed,
  countText,
  describeSchemaErrors,
  effectiveSort,
  FILTER_LEGENDS,
  filterValues,
  hasFilters,
  hasSearchText,
  searchHref,
  searchQuerystring,
  SORT_LABELS,
  SORT_PHRASES,
  STAGE_LABELS,
  withoutFilter,
  withoutFilters,
  type FilterParameter,
  type SearchState,
  type UrlFacetValue,
} from '../search/search.params.js';
import { runSearch, type SearchRun } from '../search/search.routes.js';

export { MAX_PAGE } from '../search/search.params.js';
/** Postgres `integer` ids: anything larger cannot be an opportunity. */
const MAX_ID = 2_147_483_647;
/** Longer addresses than any page of ours needs are refused before any work is done. */
const MAX_URL_LENGTH = 2048;
const HOME_LATEST = 5;
const NOT_PUBLISHED = 'There is no published opportunity at this address. If you typed the web address, check it is correct. If you pasted it, check you copied the entire address.';

// ---- Plain words -------------------------------------------------------------------------------

export interface Tag {
  text: string;
  classes: string;
}

/** Stage names and tag colours, in the order a contract moves through them. */
export const STAGES: Record<PublicStage, { label: string; description: string; classes: string }> = {
  pipeline: { label: 'Pipeline', description: 'Contracts the buyer expects to tender in future', classes: 'govuk-tag--grey' },
  planned: { label: 'Planned', description: 'Being planned: buyers want to hear from suppliers', classes: 'govuk-tag--purple' },
  open: { label: 'Open', description: 'Open for bids now', classes: 'govuk-tag--green' },
  closed: { label: 'Closed', description: 'Bids are being assessed', classes: 'govuk-tag--orange' },
  awarded: { label: 'Awarded', description: 'The contract has been awarded', classes: 'govuk-tag--teal' },
  cancelled: { label: 'Cancelled', description: 'The buyer stopped the process', classes: 'govuk-tag--red' },
};

export const PROCEDURES: Record<Procedure, string> = {
  open: 'Open procedure: any supplier can bid',
  competitive_flexible: 'Competitive flexible procedure: the buyer sets the stages',
  below_threshold_open: 'Open to any supplier (lower-value contract)',
  request_for_quotation: 'Request for quotes',
  framework_call_off: 'Call-off from a framework: only suppliers on the framework can bid',
  direct_award: 'Direct award to a chosen supplier',
  other: 'Other',
};

export const MAIN_CATEGORIES: Record<MainCategory, string> = {
  goods: 'Goods (buying things)',
  services: 'Services (work done for the buyer)',
  works: 'Works (building or construction)',
};

export const RESERVATIONS: Record<Reservation, string> = {
  none: 'No: any supplier can bid',
  local: 'Yes: only local suppliers can bid',
  sme: 'Yes: only small and medium-sized businesses can bid',
  vcse: 'Yes: only charities, social enterprises and other voluntary or community organisations can bid',
};

const SME_SIZES = new Set(['micro', 'small', 'medium']);

export function stageTags(stage: PublicOpportunity['stage'], cancelled: boolean): Tag[] {
  const tags: Tag[] = [{ text: STAGES[stage].label, classes: STAGES[stage].classes }];
  if (cancelled) tags.push({ text: STAGES.cancelled.label, classes: STAGES.cancelled.classes });
  return tags;
}

/** "£10,000 to £50,000 (excluding VAT)", or "Not given". */
export function valueText(value: PublicOpportunity['value']): string {
  const range = format.moneyRange(value.minPence, value.maxPence);
  if (!range) return 'Not given';
  return `${range.charAt(0).toUpperCase()}${range.slice(1)} (${value.includesVat ? 'including' : 'excluding'} VAT)`;
}

/** Only http(s) and mailto links from stored data become links; anything else is shown as text. */
export function safeUrl(url: string | null | undefined): string | null {
  return url && /^(https?:\/\/|mailto:)/i.test(url.trim()) ? url.trim() : null;
}

export function supplierTags(supplier: PublicAwardSupplier): Tag[] {
  const tags: Tag[] = [];
  if (supplier.local) tags.push({ text: 'Local', classes: 'govuk-tag--green' });
  if (supplier.size && SME_SIZES.has(supplier.size)) tags.push({ text: 'Small or medium business', classes: 'govuk-tag--teal' });
  if (supplier.vcse) tags.push({ text: 'Charity or social enterprise', classes: 'govuk-tag--purple' });
  return tags;
}

// ---- View models -------------------------------------------------------------------------------

export interface ListItem {
  href: string;
  title: string;
  buyerName: string;
  summary: string;
  tags: Tag[];
  value: string;
  closing: { iso: string; text: string; timeLeft: string } | null;
  published: { iso: string; text: string };
}

/** One opportunity in a list (views/partials/opportunity-list.eta). */
export function toListItem(item: OpportunitySummary, now: Date = new Date()): ListItem {
  const showClosing = item.tenderDeadline && item.stage === 'open' && !item.cancelled;
  return {
    href: `/opportunities/${item.id}`,
    title: item.title,
    buyerName: item.buyerName,
    summary: item.summary,
    tags: stageTags(item.stage, item.cancelled),
    value: valueText(item.value),
    closing: showClosing ? { iso: format.iso(item.tenderDeadline), text: format.dateTime(item.tenderDeadline), timeLeft: format.timeLeft(item.tenderDeadline, now) } : null,
    published: { iso: format.iso(item.firstPublishedAt), text: format.date(item.firstPublishedAt) },
  };
}

function listHref(stage: PublicStage | undefined, page: number): string {
  const query = new URLSearchParams();
  if (stage) query.set('stage', stage);
  if (page > 1) query.set('page', String(page));
  const qs = query.toString();
  return qs ? `/opportunities?${qs}` : '/opportunities';
}

/** A date or time for `<time>`: machine-readable and shown in Europe/London. */
export interface When {
  iso: string;
  text: string;
}

function when(value: Date | string | null | undefined, withTime: boolean): When | null {
  if (!value) return null;
  return { iso: format.iso(value), text: withTime ? format.dateTime(value) : format.date(value) };
}

const moneyOrNotGiven = (pence: number | null) => (pence !== null ? format.money(pence) : 'Not given');

/**
 * What the detail page shows that does not depend on the time of the request: Markdown rendered,
 * dates formatted, words chosen. A release never changes, so this is computed once per release
 * and kept (see DetailCache); only "time left" is worked out per request.
 */
export function buildDetail(latest: LatestRelease) {
  const o = latest.snapshot;
  const amended = latest.history.some((r) => r.sequence > 1);
  return {
    o,
    releaseId: latest.release.releaseId,
    tags: stageTags(o.stage, o.cancelled),
    /** What the stage means, in plain words (a cancelled one: that it was stopped). */
    stageDescription: STAGES[o.cancelled ? 'cancelled' : o.stage].description,
    /** Pipeline and planned dates are the buyer's plans, not commitments. */
    datesAreEstimates: !o.cancelled && (o.stage === 'pipeline' || o.stage === 'planned'),
    descriptionHtml: renderMarkdown(o.description),
    value: valueText(o.value),
    procedure: PROCEDURES[o.procedure],
    mainCategory: MAIN_CATEGORIES[o.mainCategory],
    reservation: RESERVATIONS[o.reservation],
    dates: {
      engagementEvent: when(o.dates.engagementEventAt, true),
      questions: when(o.dates.questionsDeadline, true),
      tender: when(o.dates.tenderDeadline, true),
      expectedAward: when(o.dates.expectedAwardDate, false),
      contractStart: when(o.dates.contractStart, false),
      contractEnd: when(o.dates.contractEnd, false),
    },
    lots: o.lots.map((lot) => ({ ...lot, value: moneyOrNotGiven(lot.valuePence) })),
    responseUrl: safeUrl(o.response.url),
    officialNoticeUrl: safeUrl(o.officialNotice.url),
    buyerWebsite: safeUrl(o.buyer.website),
    buyerAddress: [o.buyer.streetAddress, o.buyer.locality, o.buyer.postcode].filter(Boolean) as string[],
    source: o.source.name !== 'portal' ? sourceLine(o.source) : null,
    awards: o.awards.map((award) => ({
      heading: award.lotNumber !== null ? `Lot ${award.lotNumber}${award.lotTitle ? `: ${award.lotTitle}` : ''}` : 'The whole contract',
      awardedOn: when(award.awardedOn, false),
      value: award.valuePence !== null ? format.money(award.valuePence) : null,
      contractStart: when(award.contractStart, false),
      contractEnd: when(award.contractEnd, false),
      socialValueCommitments: award.socialValueCommitments,
      suppliers: award.suppliers.map((supplier) => ({ name: supplier.name, value: moneyOrNotGiven(supplier.valuePence), tags: supplierTags(supplier) })),
    })),
    published: when(o.firstPublishedAt, false)!,
    updated: amended ? when(latest.release.publishedAt, false) : null,
    history: latest.history
      .map((r) => ({
        ...when(r.publishedAt, true)!,
        note: r.changeNote ?? (r.sequence === 1 ? 'First published' : describeTags(r.tags)),
        updated: r.sequence > 1,
      }))
      .reverse(),
  };
}

function describeTags(tags: string[]): string {
  if (tags.includes('tenderCancellation')) return 'Cancelled';
  if (tags.includes('award')) return 'Contract awarded';
  if (tags.includes('tenderUpdate')) return 'Closed for bids';
  if (tags.includes('tender')) return 'Open for bids';
  return 'Updated';
}

const SOURCE_NAMES: Record<string, string> = {
  'contracts-finder': 'Contracts Finder',
  contracts_finder: 'Contracts Finder',
  contractsfinder: 'Contracts Finder',
  'find-a-tender': 'Find a Tender',
};

function sourceLine(source: PublicOpportunity['source']): string {
  const name = SOURCE_NAMES[source.name] ?? source.name;
  return `Imported from ${name}${source.id ? `, notice ${source.id}` : ''}.`;
}

type Detail = ReturnType<typeof buildDetail>;

/** A small least-recently-used cache of detail view models, keyed by release row id. */
class DetailCache {
  private readonly entries = new Map<string, Detail>();
  constructor(private readonly capacity: number) {}
  get(latest: LatestRelease): Detail {
    // The publication time guards against a row id being reused after the database is rebuilt.
    const key = `${latest.release.id}:${latest.release.publishedAt.getTime()}`;
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const built = buildDetail(latest);
    this.entries.set(key, built);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return built;
  }
}

/** Parses an `:id` segment; anything but a canonical positive integer id is not a page. */
export function parseId(raw: string): number | null {
  if (!/^[1-9]\d{0,9}$/.test(raw)) return null;
  const id = Number(raw);
  return id <= MAX_ID ? id : null;
}

// ---- The search page's view model -------------------------------------------------------------

/** One result on the search page: a ListItem with the highlighted title and snippet (HTML). */
export interface SearchListItem extends ListItem {
  /** Escaped text with <mark> around matched words (from the search port, checked by onlyMarks). */
  titleHtml: string;
  snippetHtml: string;
}

export function toSearchListItem(item: SearchRun['items'][number], now: Date): SearchListItem {
  const showClosing = item.tenderDeadline && item.stage === 'open' && !item.cancelled;
  return {
    href: `/opportunities/${item.opportunityId}`,
    title: item.title,
    titleHtml: item.titleHtml,
    buyerName: item.buyerName,
    summary: '',
    snippetHtml: item.snippetHtml,
    tags: stageTags(item.stage, item.cancelled),
    value: valueText(item.value),
    closing: showClosing ? { iso: format.iso(item.tenderDeadline), text: format.dateTime(item.tenderDeadline), timeLeft: format.timeLeft(item.tenderDeadline, now) } : null,
    published: { iso: format.iso(item.firstPublishedAt), text: format.date(item.firstPublishedAt) },
  };
}

/** The one stage chosen when nothing else is (for "There are no open opportunities"), else null. */
function onlyOneStage(state: SearchState): SearchState['stage'][number] | null {
  if (hasSearchText(state) || state.stage.length !== 1) return null;
  const others = (['category', 'cpv', 'value', 'sme', 'vcse', 'local', 'buyer', 'closing'] as const).some((p) => filterValues(state, p).length);
  return others ? null : state.stage[0]!;
}

const RELATED_CATEGORIES = 3;

/**
 * For an empty result: up to three CPV divisions to try instead — those the words and the other
 * filters still find (the CPV facet leaves its own filter out), else those whose names contain
 * the words typed.
 */
async function relatedCategories(app: FastifyInstance, run: SearchRun): Promise<{ text: string; href: string }[]> {
  const { state } = run.parsed;
  // A division the facet counts is tried with the same words and other filters (what its count
  // says); one found by name alone, on its own.
  const fromFacets = run.facets.cpv.filter((v) => !v.selected && v.count > 0).slice(0, RELATED_CATEGORIES);
  if (fromFacets.length) return fromFacets.map((v) => ({ text: `${v.label} (${countText(v.count, v.countIsEstimate)})`, href: searchHref(changed(state, { cpv: [v.value] })) }));
  const href = (division: string) => searchHref(changed(withoutFilters(state), { q: '', sort: null, cpv: [division] }));
  const words = positiveWords(parseQuery(state.q)).slice(0, 4);
  if (!words.length) return [];
  const divisions = new Map<string, string>();
  // All the words first, then each word on its own.
  for (const query of [words.join(' '), ...(words.length > 1 ? words : [])]) {
    const { items } = await searchCpvCodes(app.database.db, query, { limit: 20 });
    for (const code of items) {
      if (!state.cpv.includes(code.division) && code.divisionDescription && !divisions.has(code.division)) divisions.set(code.division, code.divisionDescription);
    }
    if (divisions.size >= RELATED_CATEGORIES) break;
  }
  return [...divisions].slice(0, RELATED_CATEGORIES).map(([division, text]) => ({ text, href: href(division) }));
}

interface FilterItem {
  name?: string;
  value: string;
  text: string;
  checked: boolean;
}

/** Under the legend "Suitable for", the yes/no filters need fewer words. */
const SUITABLE_LABELS = { sme: 'Small and medium-sized businesses', vcse: 'Charities and social enterprises', local: 'Local suppliers only' } as const;

/** A facet value as a checkbox: "Open (12)", "Services (about 1,200)". */
function filterItem(v: UrlFacetValue, name?: keyof typeof SUITABLE_LABELS): FilterItem {
  const label = name ? SUITABLE_LABELS[name] : v.label;
  return { ...(name ? { name } : {}), value: v.value, text: `${label} (${countText(v.count, v.countIsEstimate)})`, checked: v.selected };
}

/** The search page's data for views/opportunities/list.eta. */
export function searchPage(run: SearchRun, related: { text: string; href: string }[], now: Date) {
  const { state } = run.parsed;
  const { result, facets } = run;
  const withText = hasSearchText(state);
  const sort = effectiveSort(state);
  const filtered = hasFilters(state);
  const pageNumber = result.page;

  const checkboxes = (parameter: FilterParameter) => ({ kind: 'checkboxes' as const, name: parameter, legend: FILTER_LEGENDS[parameter], items: facets[parameter].map((v) => filterItem(v)) });
  const suitable = (['sme', 'vcse', 'local'] as const).flatMap((p) => facets[p].map((v) => filterItem(v, p)));
  const closingCounts = new Map(facets.closing.map((v) => [v.value, v]));
  const closingItems = [
    { value: '', text: 'Any time', checked: state.closing === null },
    ...(['7', '30'] as const).map((days) => {
      const v = closingCounts.get(days);
      return { value: days, text: `Within ${days} days (${countText(v?.count ?? 0, v?.countIsEstimate ?? false)})`, checked: String(state.closing) === days };
    }),
  ];
  const groups = [
    checkboxes('stage'),
    { kind: 'radios' as const, name: 'closing', legend: FILTER_LEGENDS.closing, items: closingItems },
    checkboxes('category'),
    checkboxes('cpv'),
    checkboxes('value'),
    { kind: 'checkboxes' as const, name: 'suitable', legend: 'Suitable for', items: suitable },
    checkboxes('buyer'),
  ].filter((g) => g.items.length > 0);

  const selected = (['stage', 'closing', 'category', 'cpv', 'value', 'sme', 'vcse', 'local', 'buyer'] as const).flatMap((parameter) =>
    filterValues(state, parameter).map((value) => ({
      text: facets[parameter].find((v) => v.value === value)?.label ?? value,
      href: searchHref(withoutFilter(state, parameter, value)),
    })),
  );

  // The order: "Best match" (with words) or "Newest first" (without) is the default, sent as "".
  const defaultSort = withText ? 'relevance' : 'newest';
  const sortItems = [
    { value: '', text: SORT_LABELS[defaultSort] },
    ...(['newest', 'closing', 'value'] as const).filter((s) => s !== defaultSort).map((s) => ({ value: s, text: SORT_LABELS[s] })),
  ];

  const from = (pageNumber - 1) * result.pageSize + 1;
  const to = (pageNumber - 1) * result.pageSize + run.items.length;
  const totalText = `${result.totalIsEstimate ? 'About ' : ''}${format.plural(result.total, 'opportunity', 'opportunities')}`;
  const showing = run.totalPages > 1 || result.total > run.items.length ? `, showing ${format.count(from)} to ${format.count(to)}` : '';
  const stageOnly = onlyOneStage(state);

  return {
    q: state.q,
    withText,
    total: result.total,
    totalIsEstimate: result.totalIsEstimate,
    resultCount: `${totalText}${showing}, ${SORT_PHRASES[sort]}.`,
    items: run.items.map((item) => toSearchListItem(item, now)),
    notices: run.notices,
    suggestion: result.suggestion ? { text: result.suggestion, href: searchHref(changed(state, { q: result.suggestion })) } : null,
    groups,
    selected,
    clearHref: filtered ? searchHref(withoutFilters(state)) : null,
    sortItems,
    sortValue: state.sort === defaultSort || state.sort === null || (!withText && state.sort === 'relevance') ? '' : state.sort,
    pagination: paginationParams(pageNumber, run.totalPages, (n) => searchHref(changed(state, { page: n })), 'Pages of opportunities'),
    empty:
      result.total === 0
        ? {
            nothingPublished: !withText && !filtered,
            stageLabel: stageOnly ? STAGE_LABELS[stageOnly].toLowerCase() : null,
            withText,
            filtered,
            withoutFiltersHref: filtered ? searchHref(withoutFilters(state)) : null,
            withoutTextHref: withText && filtered ? searchHref(changed(state, { q: '', sort: state.sort === 'relevance' ? null : state.sort })) : null,
            allHref: '/opportunities',
            related,
          }
        : null,
  };
}

// ---- Routes -------------------------------------------------------------------------------------

const noQuery = Type.Object({}, { additionalProperties: false });
const idParams = Type.Object({ id: Type.String({ maxLength: 200 }) });

const opportunityRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app) => {
  const detailCache = new DetailCache(1000);

  app.addHook('onRequest', async (request) => {
    if (request.url.length > MAX_URL_LENGTH) throw new AppError('uri_too_long', 414, 'The address you followed is too long. Check it, or start again from the home page.');
  });

  app.get('/', { config: { access: 'public' }, schema: { querystring: noQuery } }, async (_request, reply) => {
    const db = app.database.db;
    const [counts, latest] = await Promise.all([countByStage(db), latestOpen(db, HOME_LATEST)]);
    const now = new Date();
    return reply.view('home/index', {
      title: 'Home',
      currentPath: '/',
      page: {
        stages: PUBLIC_STAGES.filter((s) => s !== 'cancelled').map((s) => ({ ...STAGES[s], count: counts[s], href: listHref(s, 1) })),
        cancelled: { count: counts.cancelled, href: listHref('cancelled', 1) },
        latest: latest.map((item) => toListItem(item, now)),
      },
    });
  });

  app.get(
    '/opportunities',
    { config: { access: 'public' }, schema: { querystring: searchQuerystring }, schemaErrorFormatter: describeSchemaErrors },
    async (request, reply) => {
      const run = await runSearch(app, request.query);
      const { state } = run.parsed;
      const stageOnly = onlyOneStage(state);
      if (run.pastLastPage) {
        reply.code(404);
        return reply.view('opportunities/no-more-results', {
          title: 'No more opportunities',
          currentPath: '/opportunities',
          page: {
            pageNumber: state.page,
            totalPages: run.totalPages,
            firstHref: searchHref(changed(state, { page: 1 })),
            lastHref: searchHref(changed(state, { page: run.totalPages })),
            stageLabel: stageOnly ? STAGE_LABELS[stageOnly].toLowerCase() : null,
          },
        });
      }
      const related = run.result.total === 0 ? await relatedCategories(app, run) : [];
      const view = searchPage(run, related, app.clock());
      const pageNumber = run.result.page;
      const titleText = hasSearchText(state) ? `Opportunities matching “${state.q.trim()}”` : 'Opportunities';
      return reply.view('opportunities/list', {
        title: pageNumber > 1 ? `${titleText} (page ${pageNumber} of ${run.totalPages})` : titleText,
        currentPath: '/opportunities',
        page: view,
      });
    },
  );

  app.get('/opportunities/:id', { config: { access: 'public' }, schema: { params: idParams, querystring: noQuery } }, async (request, reply) => {
    const id = parseId(request.params.id);
    const latest = id === null ? null : await findLatest(app.database.db, id);
    if (!latest) throw new NotFoundError(NOT_PUBLISHED);
    const detail = detailCache.get(latest);
    const deadline = detail.o.dates.tenderDeadline;
    // Page data sits under one key: Eta copies the top-level data into every partial it includes.
    return reply.view('opportunities/show', {
      title: detail.o.title,
      currentPath: `/opportunities/${id}`,
      section: '/opportunities',
      page: { ...detail, timeLeft: deadline && detail.o.stage === 'open' && !detail.o.cancelled ? format.timeLeft(deadline) : null },
    });
  });
};

export default opportunityRoutes;
