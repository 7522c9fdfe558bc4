/**
 * The Meilisearch search backend (used when MEILISEARCH_URL is set), through the official
 * `meilisearch` client, for Meilisearch server v1.x (v1.8 or later: the negative operator).
 *
 * The index holds one document per search_documents row (see toMeilisearchDocument; the indexing
 * job and `npm run search:reindex` write them, src/modules/search/indexing.ts) and the settings of
 * meilisearchSettings(): searchable attributes in weight order (title, summary, lot titles, CPV
 * descriptions, buyer, description), the filter and sort fields, typo tolerance, and the synonyms
 * file as mutual groups.
 *
 * How the search box's language (query.ts) maps onto Meilisearch's:
 * - Words: every word must match (`matchingStrategy: 'all'`), with Meilisearch's typo tolerance
 *   and prefix search on the last word. English stop words ("the", "and", "or", …, PostgreSQL's
 *   list) are dropped from unquoted text, as PostgreSQL does, so that "plumbing or roofing" still
 *   means both words and "the and of" shows everything with a notice.
 * - "Quoted phrases" stay phrases (exact, consecutive words; no typos or synonyms).
 * - Exclusions use Meilisearch's negative operator: `-word` and `-"a phrase"`.
 * - Synonyms: Meilisearch expands them itself from the index settings (multi-word synonyms match
 *   as phrases). A term made only of stop words ("IT") is replaced by its group's other phrases
 *   ("information technology", "ICT"), and stop-word phrases are left out of the settings, so that
 *   the pronoun "it" never matches.
 * - OR: Meilisearch has no boolean OR in `q`. Each OR group is resolved first, in one multi-search
 *   request: one search per alternative (together with the rest of the query), each returning up
 *   to `orCandidates` ids; the main search then filters on `id IN [...]` for the union of each
 *   group. Exact while no alternative matches more than `orCandidates` opportunities (otherwise
 *   the total and counts are flagged as estimates and a notice says results may be missing).
 *   Words matched only through an OR group are highlighted here rather than by Meilisearch.
 * - Not available in Meilisearch: English stemming ("plumbed" does not find "plumbing"; the last
 *   word's prefix search and typo tolerance cover plurals and near spellings instead).
 *
 * Facets: Meilisearch's facet distribution over the matches. Counts reflect the OTHER active
 * filters: one search (hitsPerPage 0) per active facet without its own filter, one for the stage
 * facet (which counts cancelled opportunities too), and one each for "closing within 7/30 days"
 * (relative to now, so not a stored facet) — all in the same multi-search request as the page.
 * Page-based pagination (`page`/`hitsPerPage`) makes Meilisearch count exhaustively, so totals
 * and counts are exact (up to the index's maxTotalHits).
 *
 * "Did you mean": Meilisearch finds "plumbng" by typo tolerance; a typed word that none of the
 * highlighted matches on the page contains is replaced by the closest highlighted word.
 */
import {
  Meilisearch,
  MeilisearchApiError,
  MeilisearchRequestError,
  MeilisearchRequestTimeOutError,
  type Hit,
  type MultiSearchQuery,
  type MultiSearchResult,
  type Settings,
} from 'meilisearch';
import type { MainCategory, NoticeStage } from '../opportunities/opportunities.table.js';
import { closestWord, parseQuery, replaceWords, type ParsedQuery, type QueryClause, type QueryTerm } from './query.js';
import {
  activeFacetFilters,
  chosenFacetValues,
  emptyFacets,
  FACET_NAMES,
  HIGHLIGHT_END,
  HIGHLIGHT_START,
  markedToHtml,
  prepareSearchQuery,
  RESULT_WINDOW,
  valueBandOf,
  type FacetName,
  type FacetValue,
  type SearchBackend,
  type SearchFacets,
  type SearchFilters,
  type SearchQuery,
  type SearchResult,
  type SearchResultItem,
  type SearchSort,
  type SearchStage,
  type ValueBandId,
  orderFacetValues,
} from './search.port.js';
import { defaultSynonyms, normaliseWord, phraseWords, type SynonymSet } from './synonyms.js';

/** A search that takes longer than this fails (and the service answers from PostgreSQL). */
export const MEILISEARCH_SEARCH_TIMEOUT_MS = 1500;
/**
 * The index's pagination.maxTotalHits: totals are exact up to this many matches (Meilisearch
 * counts min(matches, maxTotalHits) in page mode). Paging itself stops at RESULT_WINDOW.
 */
export const MEILISEARCH_MAX_TOTAL_HITS = 1_000_000;

/** One opportunity as the Meilisearch index holds it (built from its search_documents row). */
export interface MeilisearchDocument {
  /** The opportunity id (the primary key). */
  id: number;
  title: string;
  summary: string;
  /** The description as plain text (the Markdown subset's markup removed). */
  description: string;
  cpvText: string;
  lotText: string;
  buyerName: string;
  buyerId: number;
  /** The notice stage (a cancelled opportunity keeps the stage it was cancelled in). */
  stage: NoticeStage;
  /** The stage facet: `cancelled` for cancelled ones, else the stage. */
  stageFacet: SearchStage;
  cancelled: boolean;
  /** 0 for open (not cancelled) opportunities, 1 for the rest: "closing soonest" lists open ones first. */
  closingRank: 0 | 1;
  mainCategory: MainCategory;
  cpvDivisions: string[];
  valueBand: ValueBandId;
  /** Absent when no value is given (Meilisearch sorts documents without it last). */
  valueMaxPence?: number;
  suitableForSme: boolean;
  suitableForVcse: boolean;
  reservation: string;
  localReserved: boolean;
  /** Epoch seconds (with milliseconds as the fraction); absent when there is none. */
  tenderDeadline?: number;
  /** Epoch seconds (with milliseconds as the fraction). */
  firstPublishedAt: number;
}

/** The search_documents columns a Meilisearch document is built from. */
export interface SearchDocumentSource {
  opportunityId: number;
  buyerId: number;
  title: string;
  summary: string;
  description: string;
  cpvText: string;
  lotText: string;
  buyerName: string;
  stage: string;
  cancelled: boolean;
  mainCategory: string;
  cpvDivisions: string[];
  valueMaxPence: number | null;
  suitableForSme: boolean;
  suitableForVcse: boolean;
  reservation: string;
  tenderDeadline: Date | null;
  firstPublishedAt: Date;
}

const MARKERS = new RegExp(`[${HIGHLIGHT_START}${HIGHLIGHT_END}]`, 'g');

/** Removes the highlight markers (private-use characters) from indexed text, so only Meilisearch adds them. */
function clean(text: string): string {
  return text.replace(MARKERS, '');
}

/** The Markdown subset of descriptions as plain text: links' text kept, markup and line breaks gone. */
export function markdownToPlain(text: string): string {
  return text
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__|`|^\s*#{1,6}\s+|^\s*[-*+]\s+|^\s*>\s?|^\s*\d+[.)]\s+)/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const seconds = (date: Date) => date.getTime() / 1000;

export function toMeilisearchDocument(row: SearchDocumentSource): MeilisearchDocument {
  const valueMaxPence = row.valueMaxPence === null ? null : Number(row.valueMaxPence);
  const doc: MeilisearchDocument = {
    id: row.opportunityId,
    title: clean(row.title),
    summary: clean(row.summary),
    description: clean(markdownToPlain(row.description)),
    cpvText: clean(row.cpvText),
    lotText: clean(row.lotText),
    buyerName: clean(row.buyerName),
    buyerId: row.buyerId,
    stage: row.stage as NoticeStage,
    stageFacet: row.cancelled ? 'cancelled' : (row.stage as NoticeStage),
    cancelled: row.cancelled,
    closingRank: row.stage === 'open' && !row.cancelled ? 0 : 1,
    mainCategory: row.mainCategory as MainCategory,
    cpvDivisions: [...row.cpvDivisions],
    valueBand: valueBandOf(valueMaxPence),
    suitableForSme: row.suitableForSme,
    suitableForVcse: row.suitableForVcse,
    reservation: row.reservation,
    localReserved: row.reservation === 'local',
    firstPublishedAt: seconds(row.firstPublishedAt),
  };
  if (valueMaxPence !== null) doc.valueMaxPence = valueMaxPence;
  if (row.tenderDeadline) doc.tenderDeadline = seconds(row.tenderDeadline);
  return doc;
}

/**
 * PostgreSQL's English stop words (share/tsearch_data/english.stop), which PostgreSQL search
 * ignores: the Meilisearch backend drops them from unquoted text too, so both backends agree.
 */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its itself they them ' +
    'their theirs themselves what which who whom this that these those am is are was were be been being have has had having do does did doing ' +
    'a an the and but if or because as until while of at by for with about against between into through during before after above below to ' +
    'from up down in out on off over under again further then once here there when where why how all any both each few more most other some ' +
    'such no nor not only own same so than too very s t can will just don should now'
  ).split(' '),
);

const isStopWord = (word: string) => ENGLISH_STOP_WORDS.has(word.toLowerCase());
const onlyStopWords = (words: readonly string[]) => words.every(isStopWord);

/**
 * The synonyms setting: each phrase of a group maps to every other phrase of its groups (Meilisearch
 * synonyms are one-way, so mutual groups list every direction). Phrases made only of stop words
 * ("IT") are left out: they would make the pronoun match; the query translation expands them instead.
 */
export function meilisearchSynonyms(synonyms: SynonymSet): Record<string, string[]> {
  const map = new Map<string, Set<string>>();
  for (const group of synonyms.groups) {
    const phrases = [...new Set(group.map((p) => phraseWords(p).join(' ').toLowerCase()).filter((p) => p && !onlyStopWords(p.split(' '))))];
    for (const phrase of phrases) {
      const others = map.get(phrase) ?? new Set<string>();
      for (const other of phrases) if (other !== phrase) others.add(other);
      map.set(phrase, others);
    }
  }
  return Object.fromEntries([...map].filter(([, others]) => others.size > 0).map(([phrase, others]) => [phrase, [...others]]));
}

/** The index settings (applied by the indexer when it creates the index, and by `npm run search:reindex`). */
export function meilisearchSettings(synonyms: SynonymSet): Settings {
  return {
    // Weight order: a match in an earlier attribute ranks higher (the `attribute` rule).
    searchableAttributes: ['title', 'summary', 'lotText', 'cpvText', 'buyerName', 'description'],
    displayedAttributes: ['*'],
    filterableAttributes: ['id', 'stageFacet', 'cancelled', 'mainCategory', 'cpvDivisions', 'valueBand', 'suitableForSme', 'suitableForVcse', 'localReserved', 'buyerId', 'tenderDeadline'],
    sortableAttributes: ['id', 'firstPublishedAt', 'valueMaxPence', 'tenderDeadline', 'closingRank'],
    // `sort` right after `words` (a no-op with matchingStrategy "all"): an explicit sort (closing,
    // newest, value) orders all matches strictly; relevance searches send no sort, so the
    // relevance rules decide, the attribute (title first) before typos and proximity.
    rankingRules: ['words', 'sort', 'attribute', 'typo', 'proximity', 'exactness'],
    typoTolerance: { enabled: true, minWordSizeForTypos: { oneTypo: 5, twoTypos: 9 } },
    synonyms: meilisearchSynonyms(synonyms),
    stopWords: [],
    pagination: { maxTotalHits: MEILISEARCH_MAX_TOTAL_HITS },
    faceting: { maxValuesPerFacet: 1000, sortFacetValuesBy: { '*': 'count' } },
  };
}

// ---------------------------------------------------------------------------------------------
// Query translation

/** What the parsed query becomes in Meilisearch's query language. */
export interface MeilisearchText {
  /** The AND part: words, "phrases" and -exclusions, for `q` ('' for none). */
  q: string;
  /** Whether `q` has anything positive (otherwise Meilisearch does a placeholder search). */
  positive: boolean;
  /** The user's OR groups: each is a list of alternatives (each a `q` fragment), one of which must match. */
  orGroups: string[][];
  /** Words to highlight that only an OR group matches (Meilisearch does not see them in `q`). */
  orWords: string[];
  /** Unquoted typed words of the AND part (not stop words), for "Did you mean". */
  typedWords: string[];
  /** The text had words, but only stop words (so nothing is searched for). */
  onlyStopWords: boolean;
}

function quote(words: readonly string[]): string {
  return `"${words.join(' ')}"`;
}

/** A term as a `q` fragment: a phrase when quoted or made of several words (e.g. "e-learning"), '' when only stop words. */
function termQ(term: QueryTerm): string {
  if (term.quoted) return quote(term.words);
  if (term.words.length > 1) return onlyStopWords(term.words) ? '' : quote(term.words);
  return isStopWord(term.words[0]!) ? '' : term.words[0]!;
}

/** The alternatives one clause stands for: its typed text, or (for a stop-word term such as "IT") its synonyms. */
function clauseAlternatives(clause: QueryClause): string[] {
  const typed = clause.typed.map(termQ).filter(Boolean);
  if (typed.length) return [typed.join(' ')];
  const synonyms = [...clause.synonyms, ...clause.typedSynonyms.flat()].filter((words) => !onlyStopWords(words));
  return [...new Set(synonyms.map((words) => (words.length === 1 ? words[0]! : quote(words))))];
}

export function translateQuery(parsed: ParsedQuery): MeilisearchText {
  const and: string[] = [];
  const orGroups: string[][] = [];
  const orWords: string[] = [];
  const typedWords: string[] = [];
  let hadWords = false;
  // A group typed only as stop words ("IT" in "IT support") cannot be required: documents do not
  // index "it", so requiring its synonyms would hide literal "IT support". As in the PostgreSQL
  // backend, it does not restrict the matches when other words do.
  const stopWordsOnly = (group: ParsedQuery['required'][number]) => group.every((clause) => clause.typed.every((t) => t.stopWords && !t.quoted));
  const restricting = parsed.required.some((group) => !stopWordsOnly(group)) ? parsed.required.filter((group) => !stopWordsOnly(group)) : parsed.required;
  for (const group of restricting) {
    hadWords = true;
    const alternatives = [...new Set(group.flatMap(clauseAlternatives))];
    if (alternatives.length === 1) {
      and.push(alternatives[0]!);
      // "Did you mean" looks at the words Meilisearch highlights, which are those of `q`.
      typedWords.push(...group.flatMap((clause) => clause.typed.filter((t) => !t.quoted).flatMap((t) => t.words)).filter((w) => !isStopWord(w)));
    } else if (alternatives.length > 1) {
      orGroups.push(alternatives);
      for (const alternative of alternatives) orWords.push(...phraseWords(alternative));
    }
  }
  const exclusions: string[] = [];
  for (const term of parsed.excluded) {
    hadWords = true;
    const fragment = termQ(term);
    if (fragment) exclusions.push(`-${fragment}`);
  }
  const positive = and.length > 0;
  return {
    q: [...and, ...exclusions].join(' '),
    positive,
    orGroups,
    orWords: [...new Set(orWords.map((w) => w.toLowerCase()))],
    typedWords: [...new Set(typedWords)],
    onlyStopWords: hadWords && !positive && !orGroups.length && !exclusions.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Filters

function str(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function list(values: readonly (string | number)[]): string {
  return `[${values.map((v) => (typeof v === 'number' ? String(v) : str(v))).join(', ')}]`;
}

const DAY_SECONDS = 86_400;

/** The filter expression of one facet's active filter (SearchFilters as cleaned by prepareSearchQuery). */
export function facetFilter(facet: FacetName, f: SearchFilters, now: Date): string {
  switch (facet) {
    case 'stage':
      return `stageFacet IN ${list(f.stages ?? [])}`;
    case 'category':
      return `mainCategory IN ${list(f.categories ?? [])}`;
    case 'cpvDivision':
      return `cpvDivisions IN ${list(f.cpvDivisions ?? [])}`;
    case 'valueBand':
      return `valueBand IN ${list(f.valueBands ?? [])}`;
    case 'sme':
      return 'suitableForSme = true';
    case 'vcse':
      return 'suitableForVcse = true';
    case 'localReserved':
      return 'localReserved = true';
    case 'buyer':
      return `buyerId IN ${list(f.buyerIds ?? [])}`;
    case 'closingWithin': {
      const from = seconds(now);
      return `tenderDeadline > ${from} AND tenderDeadline <= ${from + (f.closingWithinDays ?? 0) * DAY_SECONDS}`;
    }
  }
}

/**
 * The filters of one search, ANDed (Meilisearch's array form): the active filters except `skip`,
 * cancelled ones hidden unless the stage filter (kept) asks for them, and the OR groups' ids.
 * `withVisibility: false` is for the stage facet, which counts cancelled ones too.
 */
export function searchFilters(filters: SearchFilters, now: Date, options: { skip?: FacetName | null; withVisibility?: boolean; idGroups?: number[][]; extra?: string[] } = {}): string[] {
  const active = activeFacetFilters(filters);
  const out: string[] = [];
  const withVisibility = options.withVisibility ?? true;
  if (withVisibility && (!active.includes('stage') || options.skip === 'stage')) out.push('cancelled = false');
  for (const facet of active) if (facet !== options.skip && !(facet === 'stage' && !withVisibility)) out.push(facetFilter(facet, filters, now));
  for (const ids of options.idGroups ?? []) out.push(`id IN ${list(ids)}`);
  out.push(...(options.extra ?? []));
  return out;
}

/** The `sort` parameter: none for relevance with words (the ranking rules decide); newest first when there are none. */
export function meilisearchSort(sort: SearchSort, positive: boolean): string[] | undefined {
  switch (sort) {
    case 'relevance':
      return positive ? undefined : ['firstPublishedAt:desc', 'id:desc'];
    case 'newest':
      return ['firstPublishedAt:desc', 'id:desc'];
    case 'value':
      return ['valueMaxPence:desc', 'id:desc'];
    case 'closing':
      return ['closingRank:asc', 'tenderDeadline:asc', 'id:asc'];
  }
}

/** The facet attribute of each facet (closingWithin is counted by filters, not a stored facet). */
const FACET_ATTRIBUTES: Record<Exclude<FacetName, 'closingWithin'>, string> = {
  stage: 'stageFacet',
  category: 'mainCategory',
  cpvDivision: 'cpvDivisions',
  valueBand: 'valueBand',
  sme: 'suitableForSme',
  vcse: 'suitableForVcse',
  localReserved: 'localReserved',
  buyer: 'buyerId',
};

// ---------------------------------------------------------------------------------------------
// Highlighting

const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const fold = (word: string) => word.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/**
 * Meilisearch highlights only the matched part of a prefix match ("<em>repair</em>s"); the
 * portal marks whole words, as PostgreSQL does.
 */
export function extendMarksToWordEnd(text: string): string {
  return text.replace(new RegExp(`${HIGHLIGHT_END}([\\p{L}\\p{M}\\p{N}]+)`, 'gu'), `$1${HIGHLIGHT_END}`);
}

/** Marks the given words (whole words, or words they begin, ignoring case and accents) outside the existing marks. */
export function markWords(text: string, words: readonly string[]): string {
  const wanted = words.map(fold).filter((w) => w.length >= 2);
  if (!wanted.length) return text;
  const matches = (token: string) => {
    const f = fold(token);
    return wanted.some((w) => f === w || normaliseWord(f) === normaliseWord(w) || (w.length >= 4 && f.startsWith(w)));
  };
  let inside = false;
  return text
    .split(/([\uE000\uE001])/)
    .map((part) => {
      if (part === HIGHLIGHT_START) inside = true;
      else if (part === HIGHLIGHT_END) inside = false;
      else if (!inside) return part.replace(WORD, (token) => (matches(token) ? `${HIGHLIGHT_START}${token}${HIGHLIGHT_END}` : token));
      return part;
    })
    .join('');
}

const hasMark = (text: string | undefined): text is string => typeof text === 'string' && text.includes(HIGHLIGHT_START);

/** The words inside highlight marks. */
function markedWords(text: string | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  for (const match of text.matchAll(/\uE000([^\uE001]*)\uE001/g)) out.push(...(match[1]!.match(WORD) ?? []));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The backend

export interface FacetLabels {
  buyers: ReadonlyMap<number, string>;
  cpvDivisions: ReadonlyMap<string, string>;
}

/** Looks up facet labels (buyer names, CPV division descriptions), which Meilisearch facets do not carry. */
export type FacetLabeller = (wanted: { buyerIds: number[]; cpvDivisions: string[] }) => Promise<FacetLabels>;

export interface MeilisearchLimits {
  /** Ids each OR alternative contributes at most (see the file comment). */
  orCandidates: number;
  /** Values listed for the buyer and CPV division facets (chosen values are always listed). */
  facetValues: number;
  /** Words around the matches in a snippet. */
  snippetWords: number;
}

export const DEFAULT_MEILISEARCH_LIMITS: MeilisearchLimits = { orCandidates: 1000, facetValues: 50, snippetWords: 24 };

export interface MeilisearchSearchOptions {
  url: string;
  apiKey?: string | undefined;
  /** The index uid. */
  index: string;
  /** Defaults to the shipped data/search-synonyms.txt (used here for stop-word terms such as "IT"). */
  synonyms?: SynonymSet;
  /** For "closing within N days"; defaults to the system clock. */
  clock?: () => Date;
  /** Per request (default MEILISEARCH_SEARCH_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Buyer names and CPV division descriptions for the facets; without it facets have no labels. */
  facetLabels?: FacetLabeller;
  limits?: Partial<MeilisearchLimits>;
}

/** The fields a result needs (everything but the long text, which comes back cropped in `_formatted`). */
const RETRIEVE = ['id', 'title', 'buyerId', 'buyerName', 'stage', 'cancelled', 'mainCategory', 'valueMaxPence', 'suitableForSme', 'suitableForVcse', 'reservation', 'tenderDeadline', 'firstPublishedAt'];

type ResultDoc = Pick<MeilisearchDocument, 'id' | 'title' | 'buyerId' | 'buyerName' | 'stage' | 'cancelled' | 'mainCategory' | 'valueMaxPence' | 'suitableForSme' | 'suitableForVcse' | 'reservation' | 'tenderDeadline' | 'firstPublishedAt'> & {
  summary?: string;
  description?: string;
  lotText?: string;
};

/** Why a request failed, in words fit for a log line: never the API key (which only travels in a header). */
export function describeMeilisearchError(error: unknown, apiKey?: string): string {
  let text: string;
  if (error instanceof MeilisearchApiError) {
    const body = error.cause;
    text = body?.code ? `${body.code} (HTTP ${error.response.status}): ${body.message}` : `HTTP ${error.response.status}`;
  } else if (error instanceof MeilisearchRequestError) {
    const cause = error.cause as { code?: string; cause?: { code?: string; message?: string }; message?: string } | undefined;
    if (cause instanceof MeilisearchRequestTimeOutError) text = `no answer within ${cause.cause.timeout} ms`;
    else {
      const code = cause?.cause?.code ?? cause?.code;
      text = code === 'ECONNREFUSED' ? 'connection refused' : code ? `request failed (${code})` : `request failed (${cause?.cause?.message ?? cause?.message ?? 'unknown error'})`;
    }
  } else if (error instanceof Error) {
    text = error.message;
  } else {
    text = String(error);
  }
  return apiKey ? text.split(apiKey).join('[key]') : text;
}

/** True for failures of reaching Meilisearch at all (refused, timed out, DNS), as opposed to an answer with an error. */
export function isUnreachable(error: unknown): boolean {
  return error instanceof MeilisearchRequestError;
}

interface Plan {
  queries: MultiSearchQuery[];
  /** Index in `queries` of each part. */
  main: number;
  stage: number;
  perFacet: Map<FacetName, number>;
  closing: Map<7 | 30, number>;
  /** Facets counted by the main search. */
  mainFacets: FacetName[];
}

export function createMeilisearchSearch(options: MeilisearchSearchOptions): SearchBackend {
  const synonyms = options.synonyms ?? defaultSynonyms();
  const clock = options.clock ?? (() => new Date());
  const limits: MeilisearchLimits = { ...DEFAULT_MEILISEARCH_LIMITS, ...options.limits };
  const client = new Meilisearch({ host: options.url, apiKey: options.apiKey, timeout: options.timeoutMs ?? MEILISEARCH_SEARCH_TIMEOUT_MS });
  const indexUid = options.index;
  const host = (() => {
    try {
      return new URL(options.url).host;
    } catch {
      return 'the configured server';
    }
  })();

  function planQueries(query: SearchQuery, text: MeilisearchText, idGroups: number[][], now: Date): Plan {
    const f = query.filters;
    const active = activeFacetFilters(f);
    // Counting only: no hits, just the total and the facet distribution.
    const facetsOnly = (filter: string[], facets: string[]): MultiSearchQuery => ({
      indexUid,
      q: text.q,
      matchingStrategy: 'all',
      ...(filter.length ? { filter } : {}),
      ...(facets.length ? { facets } : {}),
      page: 1,
      hitsPerPage: 0,
      attributesToRetrieve: ['id'],
    });
    const mainFacets = FACET_NAMES.filter((facet) => facet !== 'stage' && facet !== 'closingWithin' && !active.includes(facet));
    const sort = meilisearchSort(query.sort, text.positive);
    const queries: MultiSearchQuery[] = [
      {
        indexUid,
        q: text.q,
        matchingStrategy: 'all',
        filter: searchFilters(f, now, { idGroups }),
        facets: mainFacets.map((facet) => FACET_ATTRIBUTES[facet as Exclude<FacetName, 'closingWithin'>]),
        page: query.page,
        hitsPerPage: query.pageSize,
        ...(sort ? { sort } : {}),
        attributesToRetrieve: RETRIEVE,
        attributesToHighlight: ['title', 'summary', 'description', 'lotText'],
        attributesToCrop: ['summary', 'description'],
        cropLength: limits.snippetWords,
        cropMarker: '…',
        highlightPreTag: HIGHLIGHT_START,
        highlightPostTag: HIGHLIGHT_END,
      },
    ];
    // The stage facet counts every stage, cancelled included, whatever the stage filter.
    queries.push(facetsOnly(searchFilters(f, now, { skip: 'stage', withVisibility: false, idGroups }), [FACET_ATTRIBUTES.stage]));
    const perFacet = new Map<FacetName, number>();
    for (const facet of active) {
      if (facet === 'stage' || facet === 'closingWithin') continue;
      perFacet.set(facet, queries.length);
      queries.push(facetsOnly(searchFilters(f, now, { skip: facet, idGroups }), [FACET_ATTRIBUTES[facet]]));
    }
    const closing = new Map<7 | 30, number>();
    for (const days of [7, 30] as const) {
      closing.set(days, queries.length);
      const within = facetFilter('closingWithin', { closingWithinDays: days }, now);
      queries.push(facetsOnly(searchFilters(f, now, { skip: 'closingWithin', idGroups, extra: [within] }), []));
    }
    return { queries, main: 0, stage: 1, perFacet, closing, mainFacets };
  }

  /** Resolves the OR groups to ids (one request for all alternatives); `truncated` when an alternative had more matches than it returned. */
  async function resolveOrGroups(text: MeilisearchText): Promise<{ idGroups: number[][]; truncated: boolean }> {
    if (!text.orGroups.length) return { idGroups: [], truncated: false };
    const queries: MultiSearchQuery[] = [];
    for (const group of text.orGroups) {
      for (const alternative of group) {
        queries.push({
          indexUid,
          q: [alternative, text.q].filter(Boolean).join(' '),
          matchingStrategy: 'all',
          page: 1,
          hitsPerPage: limits.orCandidates,
          attributesToRetrieve: ['id'],
          attributesToHighlight: [],
        });
      }
    }
    const { results } = await client.multiSearch<{ queries: MultiSearchQuery[] }, { id: number }>({ queries });
    let i = 0;
    let truncated = false;
    const idGroups = text.orGroups.map((group) => {
      const ids = new Set<number>();
      for (let n = 0; n < group.length; n++) {
        const result = results[i++]!;
        for (const hit of result.hits) ids.add(hit.id);
        if ((result.totalHits ?? 0) > result.hits.length) truncated = true;
      }
      return [...ids];
    });
    return { idGroups, truncated };
  }

  function distribution(result: MultiSearchResult<ResultDoc> | undefined, attribute: string): Record<string, number> {
    return result?.facetDistribution?.[attribute] ?? {};
  }

  async function buildFacets(query: SearchQuery, plan: Plan, results: MultiSearchResult<ResultDoc>[], estimated: boolean): Promise<SearchFacets> {
    const facets = emptyFacets();
    const counts = (facet: FacetName): Record<string, number> => {
      if (facet === 'closingWithin') {
        const out: Record<string, number> = {};
        for (const [days, index] of plan.closing) out[String(days)] = results[index]?.totalHits ?? 0;
        return out;
      }
      const attribute = FACET_ATTRIBUTES[facet];
      if (facet === 'stage') return distribution(results[plan.stage], attribute);
      const index = plan.perFacet.get(facet) ?? plan.main;
      const values = distribution(results[index], attribute);
      // Yes/no facets: how many would match when ticked.
      if (facet === 'sme' || facet === 'vcse' || facet === 'localReserved') return { true: values.true ?? 0 };
      return values;
    };
    for (const facet of FACET_NAMES) {
      const chosen = chosenFacetValues(query.filters, facet);
      let values: FacetValue[] = Object.entries(counts(facet))
        .filter(([, count]) => count > 0)
        .map(([value, count]) => ({ value, count, countIsEstimate: estimated }));
      for (const value of chosen) if (!values.some((v) => v.value === value)) values.push({ value, count: 0, countIsEstimate: estimated });
      values = orderFacetValues(facet, values);
      if (facet === 'buyer' || facet === 'cpvDivision') values = values.filter((v, i) => i < limits.facetValues || chosen.includes(v.value));
      facets[facet] = values;
    }
    if (options.facetLabels && (facets.buyer.length || facets.cpvDivision.length)) {
      try {
        const labels = await options.facetLabels({ buyerIds: facets.buyer.map((v) => Number(v.value)), cpvDivisions: facets.cpvDivision.map((v) => v.value) });
        for (const v of facets.buyer) {
          const label = labels.buyers.get(Number(v.value));
          if (label) v.label = label;
        }
        for (const v of facets.cpvDivision) {
          const label = labels.cpvDivisions.get(v.value);
          if (label) v.label = label;
        }
      } catch {
        // Labels are a nicety: the counts stand without them.
      }
    }
    return facets;
  }

  function toItem(hit: Hit<ResultDoc>, orWords: string[]): SearchResultItem {
    const formatted = hit._formatted ?? {};
    const mark = (text: string) => (orWords.length ? markWords(text, orWords) : text);
    const title = mark(extendMarksToWordEnd(typeof formatted.title === 'string' ? formatted.title : hit.title));
    const summary = typeof formatted.summary === 'string' ? mark(extendMarksToWordEnd(formatted.summary)) : '';
    const description = typeof formatted.description === 'string' ? mark(extendMarksToWordEnd(formatted.description)) : '';
    const marked = [summary, description].filter(hasMark);
    const snippet = marked.length ? marked.join(' … ') : summary.trim() || description.trim();
    return {
      opportunityId: hit.id,
      title: hit.title,
      buyerId: hit.buyerId,
      buyerName: hit.buyerName,
      stage: hit.stage,
      cancelled: hit.cancelled,
      mainCategory: hit.mainCategory,
      valueMaxPence: typeof hit.valueMaxPence === 'number' ? hit.valueMaxPence : null,
      suitableForSme: hit.suitableForSme,
      suitableForVcse: hit.suitableForVcse,
      reservation: hit.reservation,
      tenderDeadline: typeof hit.tenderDeadline === 'number' ? new Date(Math.round(hit.tenderDeadline * 1000)) : null,
      firstPublishedAt: new Date(Math.round(hit.firstPublishedAt * 1000)),
      titleHtml: markedToHtml(title),
      snippetHtml: markedToHtml(snippet),
    };
  }

  /**
   * "Did you mean": each typed word that no highlighted match on the page contains (exactly, in
   * its plural, or as the start of a word) is replaced by the closest highlighted word, which
   * Meilisearch matched through typo tolerance.
   */
  function suggestionFor(typedText: string, typedWords: string[], hits: Hit<ResultDoc>[]): string | null {
    if (!typedWords.length || !hits.length) return null;
    const matched = hits.flatMap((hit) => {
      const f = hit._formatted ?? {};
      return [f.title, f.summary, f.description, f.lotText].flatMap((text) => markedWords(typeof text === 'string' ? text : undefined));
    });
    const folded = matched.map(fold);
    const replacements = new Map<string, string>();
    for (const word of typedWords) {
      const w = fold(word);
      if (folded.some((m) => m === w || normaliseWord(m) === normaliseWord(w) || m.startsWith(w))) continue;
      const closest = closestWord(word, matched, 0.45);
      if (closest) replacements.set(word.toLowerCase(), closest);
    }
    if (!replacements.size) return null;
    const corrected = replaceWords(typedText, replacements).trim();
    return corrected.toLowerCase() === typedText.trim().toLowerCase() ? null : corrected;
  }

  return {
    name: 'meilisearch',

    async search(input: SearchQuery): Promise<SearchResult> {
      const { query, notices } = prepareSearchQuery(input);
      const now = clock();
      const text = translateQuery(parseQuery(query.text, synonyms));
      if (query.text.trim() && !text.q && !text.orGroups.length) {
        notices.push(
          text.onlyStopWords
            ? 'The words you searched for are too common to search on (such as “the” or “and”), so all opportunities are shown.'
            : 'Your search had no letters or numbers to search for, so all opportunities are shown.',
        );
      }
      const { idGroups, truncated } = await resolveOrGroups(text);
      if (truncated) notices.push('Some of the words you joined with OR match so many opportunities that not all of them could be included: add words or filters to narrow the search.');
      if (idGroups.some((ids) => ids.length === 0)) {
        // An OR group that matches nothing: nothing matches (Meilisearch would refuse an empty IN list).
        const facets = emptyFacets();
        for (const facet of FACET_NAMES) facets[facet] = chosenFacetValues(query.filters, facet).map((value) => ({ value, count: 0, countIsEstimate: false }));
        return { total: 0, totalIsEstimate: false, page: query.page, pageSize: query.pageSize, items: [], facets, suggestion: null, notices };
      }
      const plan = planQueries(query, text, idGroups, now);
      const { results } = await client.multiSearch<{ queries: MultiSearchQuery[] }, ResultDoc>({ queries: plan.queries });
      const main = results[plan.main];
      if (!main) throw new Error('Meilisearch answered the multi-search without results');
      const totalHits = main.totalHits ?? main.estimatedTotalHits ?? 0;
      const capped = totalHits >= MEILISEARCH_MAX_TOTAL_HITS;
      const estimated = truncated || capped || main.totalHits === undefined;
      const facets = await buildFacets(query, plan, results, estimated);
      // Only the first RESULT_WINDOW results are reachable (prepareSearchQuery moves the page back).
      const hits = (main.hits ?? []).slice(0, Math.max(0, RESULT_WINDOW - (query.page - 1) * query.pageSize));
      return {
        total: totalHits,
        totalIsEstimate: estimated,
        page: query.page,
        pageSize: query.pageSize,
        items: hits.map((hit) => toItem(hit, text.orWords)),
        facets,
        suggestion: text.positive ? suggestionFor(query.text, text.typedWords, hits) : null,
        notices,
      };
    },

    async ready() {
      try {
        await client.health();
      } catch (error) {
        return { ok: false, detail: `Meilisearch at ${host} is unreachable: ${describeMeilisearchError(error, options.apiKey)}` };
      }
      try {
        const stats = await client.index(indexUid).getStats();
        return { ok: true, detail: `Meilisearch at ${host}, index "${indexUid}" with ${stats.numberOfDocuments.toLocaleString('en-GB')} documents${stats.isIndexing ? ' (indexing)' : ''}` };
      } catch (error) {
        if (error instanceof MeilisearchApiError && error.cause?.code === 'index_not_found') {
          return { ok: false, detail: `Meilisearch at ${host} has no index "${indexUid}": run npm run search:reindex` };
        }
        return { ok: false, detail: `Meilisearch at ${host} cannot answer: ${describeMeilisearchError(error, options.apiKey)}` };
      }
    },
  };
}
