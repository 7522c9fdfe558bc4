/**
 * The PostgreSQL search backend (the default): full-text search over search_documents — the
 * weighted `document` tsvector (title A, summary and lot titles B, CPV descriptions and buyer C,
 * description D) with its GIN index, and pg_trgm on `title` for typos.
 *
 * Cost is bounded whatever matches, because a broad word ("services") matches most documents and
 * anything done to every match costs hundreds of milliseconds at 100,000 documents. One SQL
 * statement does the work of a search (plus a small one to normalise the text, and EXPLAIN for
 * an estimate when more than the threshold match):
 * - One scan, the sample, reads at most about countThreshold (+5 %) matches of the text that pass
 *   every condition but at most one — the conditions being the stage filter (or, without one,
 *   "not cancelled") and each other active filter. Every facet's counts leave its own condition
 *   out, so this one scan holds every row any facet counts: all the facets are counted from it in
 *   one pass (count(*) FILTER per facet), however many filters are active. Its rows that pass every
 *   condition are the base set: the total, the ranking candidates, the page.
 * - When the sample read every match, everything is exact. Otherwise the total is a lean capped
 *   count (no rank, no facets; only when the sample's base rows do not already exceed the
 *   threshold), exact up to the threshold and beyond it PostgreSQL's own row estimate (EXPLAIN:
 *   planning only), flagged totalIsEstimate; facet counts are the sample's, scaled by the base
 *   set's size over its rows in the sample, flagged countIsEstimate.
 * - Relevance ranks a bounded candidate set: the sample's base rows, plus — when the sample was
 *   capped and found fewer title matches than the page needs (and than titleSampleEnough) — up
 *   to titleCandidates documents with the words in their title (through an index on the title's
 *   own tsvector when there is one, else among a bounded number of matches), so that a title
 *   match is never lost among thousands of description matches.
 *   Order: all the words in the title first, then ts_rank over the weighted vector, then newest.
 * - The other sorts order the sample's base rows when it read every match; otherwise ORDER BY …
 *   LIMIT over the table, which a b-tree on the sort key serves without visiting every match.
 * - Snippets and marked titles (ts_headline over HTML-escaped text) for the shown page only.
 * - Typos: when fewer than fewResults (by default: none) match, the typed words that match
 *   nothing on their own (or, if none, all of them) are looked up in the titles by trigram similarity (pg_trgm's strict
 *   word similarity, `<<%`, through the title's trigram index, under a statement timeout). The
 *   text with each such word replaced by the closest title word is offered as "Did you mean" —
 *   if it finds something — and its matches are shown after the few exact ones; without a
 *   suggestion, the similar titles themselves are (for words that match nothing).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { exclusionsTsqueryText, closestWord, hasText, parseQuery, positiveWords, replaceWords, toTsqueryText, type ParsedQuery } from './query.js';
import {
  activeFacetFilters,
  chosenFacetValues,
  emptyFacets,
  escapeHtml,
  EXACT_COUNT_THRESHOLD,
  FACET_NAMES,
  HIGHLIGHT_END,
  HIGHLIGHT_START,
  markedToHtml,
  prepareSearchQuery,
  VALUE_BANDS,
  type FacetName,
  type FacetValue,
  type SearchBackend,
  type SearchFacets,
  type SearchFilters,
  type SearchQuery,
  type SearchResult,
  type SearchResultItem,
  type SearchSort,
  orderFacetValues,
} from './search.port.js';
import { defaultSynonyms, phraseWords, type SynonymSet } from './synonyms.js';

export interface PostgresSearchLimits {
  /** Matches read per scan; totals and facet counts are exact up to this many. */
  countThreshold: number;
  /** Title matches added to the ranking candidates when the scan was capped… */
  titleCandidates: number;
  /** …and its sample had fewer title matches than this. */
  titleSampleEnough: number;
  /** Without the title-vector index: matches examined for title matches. */
  titleScanWithoutIndex: number;
  /** Fewer full-text matches than this (and an unknown word) tries the typo fallback. */
  fewResults: number;
  /**
   * Matches read for the facet counts and the relevance candidates of a first page (deeper pages
   * read more, up to countThreshold); beyond it, facet counts are estimates. The total is still
   * counted exactly up to countThreshold.
   */
  sampleSize: number;
  /** Similar titles the typo fallback adds at most. */
  fallbackTitles: number;
  /** Values listed for the buyer and CPV division facets (chosen values are always listed). */
  facetValues: number;
  /** Longest the typo fallback's trigram look-up may take (milliseconds) before it gives up. */
  typoTimeoutMs: number;
}

export const DEFAULT_POSTGRES_SEARCH_LIMITS: PostgresSearchLimits = {
  countThreshold: EXACT_COUNT_THRESHOLD,
  titleCandidates: 200,
  titleSampleEnough: 50,
  titleScanWithoutIndex: 5000,
  fewResults: 1,
  sampleSize: EXACT_COUNT_THRESHOLD,
  fallbackTitles: 50,
  facetValues: 50,
  typoTimeoutMs: 30,
};

export interface PostgresSearchOptions {
  database: Pick<Database, 'db'>;
  /** Defaults to the shipped data/search-synonyms.txt. */
  synonyms?: SynonymSet;
  /** For "closing within N days"; defaults to the system clock. */
  clock?: () => Date;
  limits?: Partial<PostgresSearchLimits>;
}

/** The expression of the title-vector index the relevance ranking uses when it exists (see the report). */
export const TITLE_VECTOR_SQL = "to_tsvector('portal_english', title)";

const CONFIG = sql.raw(`'portal_english'::regconfig`);
/** ts_rank weights for D, C, B, A; normalisation 1 divides by 1 + log(document length). */
const RANK = (q: SQL) => sql`ts_rank('{0.1, 0.2, 0.4, 1.0}', document, ${q}, 1)`;
const TITLE_HEADLINE_OPTIONS = `HighlightAll=true, StartSel=${HIGHLIGHT_START}, StopSel=${HIGHLIGHT_END}`;
const SNIPPET_HEADLINE_OPTIONS = `MaxFragments=2, MaxWords=28, MinWords=12, ShortWord=2, FragmentDelimiter=" … ", StartSel=${HIGHLIGHT_START}, StopSel=${HIGHLIGHT_END}`;
const SNIPPET_CHARS = 240;
const DAY_MS = 86_400_000;

/** Escapes HTML in SQL, after removing the highlight markers (so only ts_headline adds them). */
function escapedSql(expr: SQL): SQL {
  return sql`replace(replace(replace(replace(replace(translate(${expr}, ${HIGHLIGHT_START + HIGHLIGHT_END}, ''), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')`;
}

/** The Markdown subset of descriptions as plain text: links' text kept, markup and line breaks gone. */
function plainSql(expr: SQL): SQL {
  return sql`regexp_replace(regexp_replace(regexp_replace(${expr}, ${'\\[([^\\]]*)\\]\\([^)]*\\)'}, ${'\\1'}, 'g'), ${'(\\*\\*|__|`|^\\s*#{1,6}\\s+|^\\s*[-*+]\\s+|^\\s*>\\s?|^\\s*\\d+[.)]\\s+)'}, '', 'gn'), ${'\\s+'}, ' ', 'g')`;
}

function markdownToPlain(text: string): string {
  return text
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__|`|^\s*#{1,6}\s+|^\s*[-*+]\s+|^\s*>\s?|^\s*\d+[.)]\s+)/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function cutAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()} …`;
}

/** Two significant figures: estimates should not look more exact than they are. */
function roughly(n: number): number {
  if (n < 100) return Math.round(n);
  const magnitude = 10 ** (Math.floor(Math.log10(n)) - 1);
  return Math.round(n / magnitude) * magnitude;
}

/** The normalised tsqueries of the text (PostgreSQL's own text form), null where empty. */
interface TextQueries {
  /** The whole query (required AND NOT excluded). */
  q: string | null;
  /** Required terms only. */
  positive: string | null;
  /** Required terms only, each restricted to the title (weight A). */
  title: string | null;
  /** Required terms only, phrases loosened to AND: for the title-vector index (no row rechecks). */
  relaxed: string | null;
  /** The exclusions, as an OR. */
  excluded: string | null;
}

/** What the scans match: full text, everything (no text), or full text plus some typo matches. */
interface MatchMode {
  where: SQL;
  /** Sort key columns for relevance (fts, in_title, rank, sim), as SQL over search_documents. */
  relevance: { fts: SQL; inTitle: SQL; rank: SQL; sim: SQL } | null;
  /** Highlights: a positive tsquery, or null for none. */
  highlight: string | null;
  /** The required terms as a tsquery with phrases loosened, for the title-vector index; null for none. */
  titleIndexQuery: string | null;
}

/** One condition of the search besides the text: the stage filter (or "not cancelled") and each other active filter. */
interface Condition {
  /** The facet whose counts leave this condition out. */
  facet: FacetName;
  sql: SQL;
  /** Its column in the sample. */
  column: string;
}

interface FacetRow {
  f: string;
  v: string | null;
  l: string | null;
  c: number;
}

interface ItemRow {
  opportunity_id: number;
  title: string;
  summary: string;
  description: string;
  buyer_id: number;
  buyer_name: string;
  stage: SearchResultItem['stage'];
  cancelled: boolean;
  main_category: SearchResultItem['mainCategory'];
  value_max_pence: number | string | null;
  suitable_for_sme: boolean;
  suitable_for_vcse: boolean;
  reservation: string;
  tender_deadline: string | null;
  first_published_at: string;
  title_marked: string | null;
  snippet_marked: string | null;
}

interface TypoHelp {
  /** Typed words that match nothing on their own. */
  unknown: string[];
  /** The unknown words, as given to pg_trgm. */
  probe: string;
  /** Titles with words like the unknown ones, most similar first. */
  titleIds: number[];
  /** The text with the unknown words corrected, when that finds something. */
  suggestion: { text: string; q: string; title: string | null; positive: string | null; relaxed: string | null } | null;
}

interface MainOutcome {
  /** Rows the sample read (all of them when not capped), of which `baseRows` pass every filter. */
  sampleRows: number;
  baseRows: number;
  /** The sample stopped at its limit: there are more matches than it read. */
  capped: boolean;
  /** Matches of the text and every filter: exact up to countThreshold, countThreshold + 1 beyond. */
  counted: number;
  facetRows: FacetRow[];
  items: ItemRow[];
  /** The conditions of the base set and of the sample, for PostgreSQL's row estimates. */
  baseWhere: SQL;
  sampleWhere: SQL;
}

export function createPostgresSearch(options: PostgresSearchOptions): SearchBackend {
  const db = options.database.db;
  const synonyms = options.synonyms ?? defaultSynonyms();
  const clock = options.clock ?? (() => new Date());
  const limits: PostgresSearchLimits = { ...DEFAULT_POSTGRES_SEARCH_LIMITS, ...options.limits };
  const cap = limits.countThreshold;

  let titleIndex: { exists: boolean; checkedAt: number } | undefined;
  async function hasTitleVectorIndex(): Promise<boolean> {
    // Checked now and then, so that an index added by a migration is used without a restart.
    if (titleIndex && Date.now() - titleIndex.checkedAt < 5 * 60_000) return titleIndex.exists;
    const { rows } = await db.execute<{ exists: boolean }>(
      sql`select exists (select 1 from pg_indexes where tablename = 'search_documents' and indexdef like ${'%USING gin (to_tsvector(\'portal_english\'::regconfig, title))%'}) as exists`,
    );
    titleIndex = { exists: rows[0]?.exists === true, checkedAt: Date.now() };
    return titleIndex.exists;
  }

  async function normaliseText(parsed: ParsedQuery): Promise<TextQueries> {
    const texts = [toTsqueryText(parsed), toTsqueryText(parsed, { weight: 'A' }), exclusionsTsqueryText(parsed)];
    const positiveText = parsed.required.length ? toTsqueryText({ required: parsed.required, excluded: [] }) : '';
    const { rows } = await db.execute<{ q: string; qa: string; qp: string; qx: string; qr: string }>(
      sql`select to_tsquery(${CONFIG}, ${texts[0]})::text as q, to_tsquery(${CONFIG}, ${texts[1]})::text as qa, to_tsquery(${CONFIG}, ${positiveText})::text as qp,
                 to_tsquery(${CONFIG}, ${texts[2]})::text as qx, to_tsquery(${CONFIG}, ${toTsqueryText(parsed, { relaxPhrases: true })})::text as qr`,
    );
    const row = rows[0]!;
    const orNull = (s: string) => (s && s.trim() ? s : null);
    return { q: orNull(row.q), title: orNull(row.qa), positive: orNull(row.qp), excluded: orNull(row.qx), relaxed: orNull(row.qr) };
  }

  function filterSql(facet: FacetName, f: SearchFilters, now: Date): SQL {
    switch (facet) {
      case 'stage': {
        const notices = (f.stages ?? []).filter((s) => s !== 'cancelled');
        const parts: SQL[] = [];
        if (notices.length) parts.push(sql`(not cancelled and stage = any(${sql.param(notices)}::text[]))`);
        if (f.stages?.includes('cancelled')) parts.push(sql`cancelled`);
        return parts.length ? sql`(${sql.join(parts, sql` or `)})` : sql`true`;
      }
      case 'category':
        return sql`main_category = any(${sql.param(f.categories ?? [])}::text[])`;
      case 'cpvDivision':
        return sql`cpv_divisions && ${sql.param(f.cpvDivisions ?? [])}::text[]`;
      case 'valueBand': {
        const parts = VALUE_BANDS.filter((b) => f.valueBands?.includes(b.id)).map((band) => {
          if (band.id === 'unknown') return sql`value_max_pence is null`;
          const lower = band.minPence === null ? sql`true` : sql`value_max_pence >= ${band.minPence}`;
          const upper = band.maxPence === null ? sql`true` : sql`value_max_pence < ${band.maxPence}`;
          return sql`(${lower} and ${upper})`;
        });
        return parts.length ? sql`(${sql.join(parts, sql` or `)})` : sql`true`;
      }
      case 'sme':
        return sql`suitable_for_sme`;
      case 'vcse':
        return sql`suitable_for_vcse`;
      case 'localReserved':
        return sql`reservation = 'local'`;
      case 'buyer':
        return sql`buyer_id = any(${sql.param(f.buyerIds ?? [])}::int[])`;
      case 'closingWithin': {
        const until = new Date(now.getTime() + (f.closingWithinDays ?? 0) * DAY_MS);
        return sql`(tender_deadline > ${now.toISOString()}::timestamptz and tender_deadline <= ${until.toISOString()}::timestamptz)`;
      }
    }
  }

  const and = (parts: SQL[]) => (parts.length ? sql.join(parts, sql` and `) : sql`true`);

  /**
   * The conditions besides the text: the stage filter (without one, "not cancelled", which the
   * stage facet leaves out so that it can show how many cancelled opportunities match), then each
   * other active filter. NULL counts as false.
   */
  function conditionsOf(filters: SearchFilters, now: Date): Condition[] {
    const active = activeFacetFilters(filters);
    const conditions: Condition[] = [{ facet: 'stage', sql: active.includes('stage') ? filterSql('stage', filters, now) : sql`not cancelled`, column: 'k_stage' }];
    for (const facet of active) if (facet !== 'stage') conditions.push({ facet, sql: filterSql(facet, filters, now), column: `k_${facet}` });
    return conditions;
  }

  /** Rows of the sample that pass every condition but (optionally) one facet's. */
  function keepSql(conditions: Condition[], except: FacetName | null): SQL {
    return and(conditions.filter((c) => c.facet !== except).map((c) => sql.raw(c.column)));
  }

  /**
   * What the sample reads: the text matches that pass all the conditions but at most one — every
   * row some facet counts (a facet's counts leave its own condition out), and no other.
   */
  function sampleCondition(conditions: Condition[]): SQL {
    const bools = conditions.map((c) => sql`coalesce((${c.sql}), false)`);
    if (bools.length === 1) return sql`true`;
    if (bools.length === 2) return sql`(${bools[0]!} or ${bools[1]!})`;
    return sql`(${sql.join(
      bools.map((b) => sql`${b}::int`),
      sql` + `,
    )}) >= ${bools.length - 1}`;
  }

  /**
   * Every facet's counts from the sample in one pass: rows (f, v, l, c), each facet counting the
   * sample rows that pass the conditions other than its own — the yes/no facets and the sample's
   * size (`#` `all`, and `#` `base`: rows passing every condition) from one aggregate with FILTER
   * clauses, each multi-valued facet from a GROUP BY.
   */
  function facetSql(conditions: Condition[], now: Date, filters: SearchFilters): SQL {
    const keep = (facet: FacetName) => keepSql(conditions, conditions.some((c) => c.facet === facet) ? facet : null);
    const counts: [string, string, SQL][] = [
      ['#', 'all', sql`true`],
      ['#', 'base', keepSql(conditions, null)],
      ['sme', 'true', sql`${keep('sme')} and suitable_for_sme`],
      ['vcse', 'true', sql`${keep('vcse')} and suitable_for_vcse`],
      ['localReserved', 'true', sql`${keep('localReserved')} and reservation = 'local'`],
    ];
    for (const days of [7, 30] as const) counts.push(['closingWithin', String(days), sql`${keep('closingWithin')} and ${filterSql('closingWithin', { ...filters, closingWithinDays: days }, now)}`]);
    const columns = counts.map(([, , condition], i) => sql`count(*) filter (where ${condition})::int as ${sql.raw(`c${i}`)}`);
    const values = counts.map(([f, v], i) => sql`(${f}::text, ${v}::text, ${sql.raw(`c${i}`)})`);
    const parts = [sql`select x.f, x.v, null::text l, x.c from (select ${sql.join(columns, sql`, `)} from sample) t cross join lateral (values ${sql.join(values, sql`, `)}) x(f, v, c)`];
    const grouped = (facet: FacetName, value: SQL, label: SQL = sql`null::text`) =>
      sql`select ${facet}::text, ${value}, ${label}, count(*)::int from sample where ${keep(facet)} group by 2`;
    parts.push(grouped('stage', sql`case when cancelled then 'cancelled' else stage end`));
    parts.push(grouped('category', sql`main_category`));
    const cases = VALUE_BANDS.filter((b) => b.id !== 'unknown').map((b) => {
      const lower = b.minPence === null ? sql`true` : sql`value_max_pence >= ${b.minPence}`;
      const upper = b.maxPence === null ? sql`true` : sql`value_max_pence < ${b.maxPence}`;
      return sql`when ${lower} and ${upper} then ${b.id}::text`;
    });
    parts.push(grouped('valueBand', sql`case when value_max_pence is null then 'unknown' ${sql.join(cases, sql` `)} end`));
    parts.push(grouped('buyer', sql`buyer_id::text`, sql`max(buyer_name)`));
    parts.push(
      sql`select 'cpvDivision', x.d, c.description, x.n from (select d, count(*)::int n from sample cross join unnest(cpv_divisions) d where ${keep('cpvDivision')} group by d) x left join cpv_codes c on c.code = x.d || '000000'`,
    );
    return sql.join(parts, sql` union all `);
  }

  function orderSql(sort: Exclude<SearchSort, 'relevance'> | 'relevance'): SQL {
    switch (sort) {
      case 'relevance':
        return sql`fts desc, in_title desc, rank desc, sim desc, first_published_at desc, opportunity_id desc`;
      case 'newest':
        return sql`first_published_at desc, opportunity_id desc`;
      case 'value':
        return sql`value_max_pence desc nulls last, opportunity_id desc nulls last`;
      case 'closing':
        return sql`(cancelled or stage <> 'open'), tender_deadline asc nulls last, opportunity_id`;
    }
  }

  async function runMain(query: SearchQuery, match: MatchMode, now: Date): Promise<MainOutcome> {
    const conditions = conditionsOf(query.filters, now);
    const allConditions = and(conditions.map((c) => c.sql));
    const baseWhere = sql`${match.where} and ${allConditions}`;
    const sampleWhere = sql`${match.where} and ${sampleCondition(conditions)}`;
    const base = keepSql(conditions, null);
    const relevance = query.sort === 'relevance' && match.relevance ? match.relevance : null;
    const offset = (query.page - 1) * query.pageSize;
    // The sample is small for a first page and grows with the page asked for (up to the threshold).
    // A margin over it, so that when the sample stops, its rows that pass every condition (it also
    // reads those that fail one, for the facets) usually exceed the threshold already: without
    // filters, only the few cancelled ones fail. Otherwise a lean count decides the total.
    const exactUpTo = Math.min(cap, Math.max(limits.sampleSize, offset + query.pageSize));
    const sampleLimit = exactUpTo + Math.ceil(exactUpTo / 20);
    const flags = conditions.map((c) => sql`coalesce((${c.sql}), false) as ${sql.raw(c.column)}`);
    // Relevance keys for the rows that pass every condition only (the others are there for the facets).
    const keys = relevance
      ? sql`, case when ${and(conditions.map((c) => sql`coalesce((${c.sql}), false)`))} then ${relevance.fts} end as fts, ${relevance.inTitle} as in_title,
             case when ${and(conditions.map((c) => sql`coalesce((${c.sql}), false)`))} then ${relevance.rank} end as rank, ${relevance.sim} as sim`
      : sql``;
    const ctes: SQL[] = [
      sql`sample as materialized (select opportunity_id, first_published_at, stage, cancelled, main_category, cpv_divisions, value_max_pence, suitable_for_sme, suitable_for_vcse,
                 reservation, buyer_id, buyer_name, tender_deadline, ${sql.join(flags, sql`, `)}${keys} from search_documents where ${sampleWhere} limit ${sampleLimit + 1})`,
      sql`stats as (select count(*)::int as sample_rows, (count(*) filter (where ${base}))::int as base_rows from sample)`,
      // The exact count up to the threshold, only when the sample did not read every match: a
      // lean capped count (no rank, no facets). Uncorrelated subqueries in CASE run only if reached.
      sql`counted as (select case when (select sample_rows from stats) <= ${sampleLimit} then (select base_rows from stats)
                                  when (select base_rows from stats) > ${cap} then ${cap + 1}
                                  else (select count(*)::int from (select 1 from search_documents where ${baseWhere} limit ${cap + 1}) c) end as n)`,
      sql`facet_rows as (${facetSql(conditions, now, query.filters)})`,
    ];
    const sampleCapped = sql`(select sample_rows from stats) > ${sampleLimit}`;
    const pageColumns = sql`opportunity_id, first_published_at, value_max_pence, tender_deadline, stage, cancelled`;
    if (relevance) {
      const titleKeys = sql`opportunity_id, first_published_at, ${relevance.fts} as fts, ${relevance.inTitle} as in_title, ${relevance.rank} as rank, ${relevance.sim} as sim`;
      // Title matches are looked for only when the sample was capped (otherwise every match is a
      // candidate already) and found few of them: when titles with the words are common, the
      // sample has plenty, and finding all of them through the index would cost more (a GIN
      // bitmap is built for every title match). Both are one-time filters, evaluated once.
      const capped = sql`${sampleCapped} and (select count(*) from sample where ${base} and in_title) < ${Math.max(limits.titleSampleEnough, offset + query.pageSize)}`;
      if (match.titleIndexQuery && (await hasTitleVectorIndex())) {
        ctes.push(
          // The index condition has no phrase operator (phrases loosened to AND), so the index
          // never asks to recheck a row, which would parse its title again; the exact test is the
          // weighted one on the stored vector, listed first so that a sequential plan parses only
          // titles that match.
          // `is true` keeps the document index out of this plan: ANDing its bitmap for a common word
          // with the title index's costs more than checking the few title matches row by row.
          sql`titles as (select ${titleKeys} from search_documents where ${capped} and (${relevance.inTitle}) is true and ${sql.raw(TITLE_VECTOR_SQL)} @@ ${match.titleIndexQuery}::tsquery
                         and (${match.where}) is true and ${allConditions} limit ${limits.titleCandidates})`,
        );
      } else {
        ctes.push(
          sql`titles as (select ${titleKeys} from (select opportunity_id, first_published_at, document, title from search_documents where ${capped} and ${baseWhere} limit ${limits.titleScanWithoutIndex}) m where ${relevance.inTitle} limit ${limits.titleCandidates})`,
        );
      }
      ctes.push(
        sql`candidates as (select opportunity_id, first_published_at, fts, in_title, rank, sim from sample where ${base} union select opportunity_id, first_published_at, fts, in_title, rank, sim from titles)`,
      );
      ctes.push(sql`page as (select * from candidates order by ${orderSql('relevance')} limit ${query.pageSize} offset ${offset})`);
      ctes.push(sql`numbered as (select opportunity_id, row_number() over (order by ${orderSql('relevance')}) as ord from page)`);
    } else {
      const sort = query.sort === 'relevance' ? 'newest' : query.sort;
      // When the sample read every match, the page is sorted from it; otherwise (many matches)
      // from the table, where a b-tree on the sort key finds the first matches in order quickly.
      // (Not the other way round: walking a sort index for a rare word would visit every row.)
      ctes.push(
        sql`page as ((select ${pageColumns} from sample where not ${sampleCapped} and ${base} order by ${orderSql(sort)} limit ${query.pageSize} offset ${offset})
             union all (select ${pageColumns} from search_documents where ${sampleCapped} and ${baseWhere} order by ${orderSql(sort)} limit ${query.pageSize} offset ${offset}))`,
      );
      ctes.push(sql`numbered as (select opportunity_id, row_number() over (order by ${orderSql(sort)}) as ord from page)`);
    }
    const headlines = match.highlight
      ? sql`ts_headline(${CONFIG}, ${escapedSql(sql`d.title`)}, ${match.highlight}::tsquery, ${TITLE_HEADLINE_OPTIONS}) as title_marked,
            ts_headline(${CONFIG}, ${escapedSql(plainSql(sql`d.summary || ' ' || d.description`))}, ${match.highlight}::tsquery, ${SNIPPET_HEADLINE_OPTIONS}) as snippet_marked`
      : sql`null::text as title_marked, null::text as snippet_marked`;
    const statement = sql`with ${sql.join(ctes, sql`, `)}
      select (select sample_rows from stats) as sample_rows, (select base_rows from stats) as base_rows, (select n from counted) as counted,
             (select coalesce(json_agg(r), '[]'::json) from facet_rows r) as facets,
             (select coalesce(json_agg(i order by i.ord), '[]'::json) from (
                select n.ord, d.opportunity_id, d.title, d.summary, d.description, d.buyer_id, d.buyer_name, d.stage, d.cancelled, d.main_category,
                       d.value_max_pence, d.suitable_for_sme, d.suitable_for_vcse, d.reservation, d.tender_deadline, d.first_published_at, ${headlines}
                from numbered n join search_documents d using (opportunity_id)) i) as items`;
    const { rows } = await db.execute<{ sample_rows: number; base_rows: number; counted: number; facets: FacetRow[]; items: ItemRow[] }>(statement);
    const row = rows[0];
    const sampleRows = Number(row?.sample_rows ?? 0);
    return {
      sampleRows,
      baseRows: Number(row?.base_rows ?? 0),
      capped: sampleRows > sampleLimit,
      counted: Number(row?.counted ?? 0),
      facetRows: row?.facets ?? [],
      items: row?.items ?? [],
      baseWhere,
      sampleWhere,
    };
  }

  /** PostgreSQL's estimate of the rows matching a condition (planning only, no execution). */
  async function estimateRows(where: SQL): Promise<number> {
    const { rows } = await db.execute<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }>(sql`explain (format json) select 1 from search_documents where ${where}`);
    return Number(rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0);
  }

  /**
   * The total and the facets. When the sample read every match, all is exact. Otherwise the total
   * is the lean count, exact up to the threshold, and beyond it PostgreSQL's own row estimate
   * (EXPLAIN: planning only), flagged totalIsEstimate; facet counts are the sample's, scaled by
   * the base set's size over its rows in the sample (a ratio estimate), flagged countIsEstimate.
   */
  async function facetsAndTotal(query: SearchQuery, outcome: MainOutcome): Promise<{ total: number; totalIsEstimate: boolean; facets: SearchFacets }> {
    let factor = 1;
    let total = outcome.capped ? outcome.counted : outcome.baseRows;
    const totalIsEstimate = total > cap;
    if (totalIsEstimate) total = roughly(Math.max(await estimateRows(outcome.baseWhere), cap + 1));
    if (outcome.capped) {
      if (outcome.baseRows > 0) factor = total / outcome.baseRows;
      else factor = Math.max(await estimateRows(outcome.sampleWhere), outcome.sampleRows) / Math.max(1, outcome.sampleRows);
    }
    const estimated = outcome.capped;
    const facets = emptyFacets();
    for (const row of outcome.facetRows) {
      if (row.f === '#' || row.v === null) continue;
      const facet = row.f as FacetName;
      const count = estimated ? (row.c > 0 ? Math.max(1, roughly(row.c * factor)) : 0) : row.c;
      const value: FacetValue = { value: row.v, count, countIsEstimate: estimated };
      if (row.l) value.label = row.l;
      facets[facet].push(value);
    }
    for (const facet of FACET_NAMES) {
      let values = facets[facet].filter((v) => v.count > 0);
      const chosen = chosenFacetValues(query.filters, facet);
      for (const value of chosen) if (!values.some((v) => v.value === value)) values.push({ value, count: 0, countIsEstimate: estimated });
      values = orderFacetValues(facet, values);
      if (facet === 'buyer' || facet === 'cpvDivision') values = values.filter((v, i) => i < limits.facetValues || chosen.includes(v.value));
      facets[facet] = values;
    }
    return { total, totalIsEstimate, facets };
  }

  function toItem(row: ItemRow): SearchResultItem {
    const titleHtml = row.title_marked !== null ? markedToHtml(row.title_marked, { escaped: true }) : escapeHtml(row.title);
    let snippetHtml: string;
    if (row.snippet_marked !== null && row.snippet_marked.trim()) snippetHtml = markedToHtml(row.snippet_marked.trim(), { escaped: true });
    else snippetHtml = escapeHtml(cutAtWord(markdownToPlain(row.summary || row.description), SNIPPET_CHARS));
    return {
      opportunityId: row.opportunity_id,
      title: row.title,
      buyerId: row.buyer_id,
      buyerName: row.buyer_name,
      stage: row.stage,
      cancelled: row.cancelled,
      mainCategory: row.main_category,
      valueMaxPence: row.value_max_pence === null ? null : Number(row.value_max_pence),
      suitableForSme: row.suitable_for_sme,
      suitableForVcse: row.suitable_for_vcse,
      reservation: row.reservation,
      tenderDeadline: row.tender_deadline ? new Date(row.tender_deadline) : null,
      firstPublishedAt: new Date(row.first_published_at),
      titleHtml,
      snippetHtml,
    };
  }

  /**
   * Titles with words like the probe's, most similar first. A probe of common trigrams can make
   * the trigram index return thousands of titles to check, so this runs under a statement
   * timeout and gives up (no titles) when it expires: it is only a hint.
   */
  async function similarTitles(probe: string): Promise<{ opportunity_id: number; title: string }[]> {
    const select = sql`select opportunity_id, title from (select opportunity_id, title from search_documents where ${probe} <<% title limit ${limits.fallbackTitles}) t
                       order by strict_word_similarity(${probe}, title) desc, opportunity_id desc`;
    try {
      return await db.transaction(async (tx) => {
        await tx.execute(sql.raw(`set local statement_timeout = ${Math.max(1, Math.round(limits.typoTimeoutMs))}`));
        return (await tx.execute<{ opportunity_id: number; title: string }>(select)).rows;
      });
    } catch (error) {
      if ((error as { code?: string }).code === '57014' || (error as { cause?: { code?: string } }).cause?.code === '57014') return [];
      throw error;
    }
  }

  /**
   * Typo help, when the full text finds (almost) nothing: the typed words that match nothing on
   * their own; titles with words like them (pg_trgm strict word similarity, `<<%`, through the
   * title's trigram index); and the text with each unknown word replaced by the closest word in
   * those titles, offered only if it finds something.
   */
  async function typoHelp(text: string, parsed: ParsedQuery): Promise<TypoHelp | null> {
    const words = [...new Set(positiveWords(parsed))].slice(0, 8);
    if (!words.length) return null;
    // One exists() per word, each over a constant tsquery, so that the GIN index answers it.
    const checks = words.map(
      (w, i) =>
        sql`numnode(to_tsquery(${CONFIG}, ${w})) > 0 as ${sql.raw(`s${i}`)}, exists (select 1 from search_documents where document @@ to_tsquery(${CONFIG}, ${w})) as ${sql.raw(`f${i}`)}`,
    );
    const { rows: known } = await db.execute<Record<string, boolean>>(sql`select ${sql.join(checks, sql`, `)}`);
    const searchable = words.filter((_w, i) => known[0]?.[`s${i}`] === true);
    // Words that match nothing are the likely typos; when every word matches something (only not
    // together: "grounds maintainance" stems to "maintain", which exists), any of them may be.
    let unknown = searchable.filter((w) => known[0]?.[`f${words.indexOf(w)}`] === false);
    const allKnown = !unknown.length;
    if (allKnown) unknown = searchable;
    if (!unknown.length) return null;
    const probe = unknown.join(' ').slice(0, 120);
    const titles = await similarTitles(probe);
    // Similar titles are shown only for words that match nothing: correctly spelt words that
    // just do not occur together are not a typo (a corrected spelling may still be suggested).
    const help: TypoHelp = { unknown, probe, titleIds: allKnown ? [] : titles.map((t) => t.opportunity_id), suggestion: null };
    const vocabulary = titles.flatMap((t) => phraseWords(t.title));
    const replacements = new Map<string, string>();
    for (const word of unknown) {
      const closest = closestWord(word, vocabulary, 0.45);
      if (closest) replacements.set(word, closest);
    }
    if (!replacements.size) return help;
    const corrected = replaceWords(text, replacements).trim();
    if (corrected.toLowerCase() === text.trim().toLowerCase()) return help;
    const correctedParsed = parseQuery(corrected, synonyms);
    const q = toTsqueryText(correctedParsed);
    const { rows } = await db.execute<{ q: string; qa: string; qp: string; qr: string; found: boolean }>(
      sql`select to_tsquery(${CONFIG}, ${q})::text as q, to_tsquery(${CONFIG}, ${toTsqueryText(correctedParsed, { weight: 'A' })})::text as qa,
                 to_tsquery(${CONFIG}, ${toTsqueryText({ required: correctedParsed.required, excluded: [] })})::text as qp,
                 to_tsquery(${CONFIG}, ${toTsqueryText(correctedParsed, { relaxPhrases: true })})::text as qr,
                 exists (select 1 from search_documents where document @@ to_tsquery(${CONFIG}, ${q}) and not cancelled) as found`,
    );
    const row = rows[0];
    if (row?.found && row.q) help.suggestion = { text: corrected, q: row.q, title: row.qa || null, positive: row.qp || null, relaxed: row.qr || null };
    return help;
  }

  return {
    name: 'postgres',

    async search(input: SearchQuery): Promise<SearchResult> {
      const { query, notices } = prepareSearchQuery(input);
      const now = clock();
      const parsed = parseQuery(query.text, synonyms);
      let text: TextQueries = { q: null, positive: null, title: null, excluded: null, relaxed: null };
      if (hasText(parsed)) text = await normaliseText(parsed);
      if (query.text.trim() && !text.q) {
        notices.push(
          hasText(parsed)
            ? 'The words you searched for are too common to search on (such as “the” or “and”), so all opportunities are shown.'
            : 'Your search had no letters or numbers to search for, so all opportunities are shown.',
        );
      }
      const fullText = text.q ? sql`document @@ ${text.q}::tsquery` : null;
      const relevanceFor = (q: string, title: string | null) => ({
        fts: sql`true`,
        inTitle: title ? sql`(document @@ ${title}::tsquery)` : sql`false`,
        rank: RANK(sql`${q}::tsquery`),
        sim: sql`0::real`,
      });
      let match: MatchMode = fullText
        ? { where: fullText, relevance: relevanceFor(text.q!, text.title), highlight: text.positive, titleIndexQuery: text.relaxed }
        : { where: sql`true`, relevance: null, highlight: null, titleIndexQuery: null };
      let outcome = await runMain(query, match, now);
      let suggestion: string | null = null;
      const s0 = { rows: outcome.capped ? outcome.counted : outcome.baseRows };
      if (text.q && text.positive && s0.rows < limits.fewResults) {
        const help = await typoHelp(query.text, parsed);
        const unknown = help?.unknown.map((w) => `“${w}”`).join(' or ');
        if (help?.suggestion) {
          // The corrected text's matches follow the (few) matches of what was typed.
          const corrected = help.suggestion;
          suggestion = corrected.text;
          match = {
            where: sql`(${fullText!} or document @@ ${corrected.q}::tsquery)`,
            relevance: { ...relevanceFor(corrected.q, corrected.title), fts: sql`(${fullText!})` },
            highlight: corrected.positive,
            titleIndexQuery: corrected.relaxed,
          };
          outcome = await runMain(query, match, now);
          notices.push(`${s0.rows ? 'Few' : 'No'} opportunities contain ${unknown}, so results for “${corrected.text}” are shown${s0.rows ? ' too' : ''}.`);
        } else if (help?.titleIds.length) {
          const typoMatch = sql`(opportunity_id = any(${sql.param(help.titleIds)}::int[])${text.excluded ? sql` and not document @@ ${text.excluded}::tsquery` : sql``})`;
          match = {
            where: sql`(${fullText!} or ${typoMatch})`,
            relevance: { ...relevanceFor(text.q, text.title), fts: sql`(${fullText!})`, sim: sql`strict_word_similarity(${help.probe}, title)` },
            highlight: text.positive,
            titleIndexQuery: text.relaxed,
          };
          outcome = await runMain(query, match, now);
          if ((outcome.capped ? outcome.counted : outcome.baseRows) > s0.rows) notices.push(`${s0.rows ? 'Few' : 'No'} opportunities contain ${unknown}, so opportunities with a similar word in their title are shown${s0.rows ? ' too' : ''}.`);
        }
      }
      const { total, totalIsEstimate, facets } = await facetsAndTotal(query, outcome);
      return { total, totalIsEstimate, page: query.page, pageSize: query.pageSize, items: outcome.items.map(toItem), facets, suggestion, notices };
    },

    async ready() {
      try {
        const { rows } = await db.execute<{ documents: number; config: boolean }>(
          sql`select greatest(c.reltuples, 0)::bigint as documents, exists (select 1 from pg_ts_config where cfgname = 'portal_english') as config
              from pg_class c where c.oid = 'search_documents'::regclass`,
        );
        const row = rows[0];
        if (!row?.config) return { ok: false, detail: 'PostgreSQL search: the portal_english text search configuration is missing (run the migrations)' };
        const titleIndexed = await hasTitleVectorIndex();
        return {
          ok: true,
          detail: `PostgreSQL full-text search, about ${Number(row.documents).toLocaleString('en-GB')} documents${titleIndexed ? '' : '; no title index, so relevance ranking is slower'}`,
        };
      } catch (error) {
        return { ok: false, detail: `PostgreSQL search unavailable: ${(error as Error).message}` };
      }
    },
  };
}
