/**
 * The PostgreSQL search backend (the default): full-text search over search_documents — the
 * weighted `document` tsvector (title A, summary and lot titles B, CPV descriptions and buyer C,
 * description D) with its GIN index, and pg_trgm on `title` for typos.
 *
 * Cost is bounded whatever matches, because a broad word ("services") matches most documents and
 * anything done to every match costs hundreds of milliseconds at 100,000 documents. One SQL
 * statement does the work of a search (plus a small one to normalise the text, and EXPLAIN for
 * estimates):
 * - Scan s0 reads at most countThreshold + 1 matches (text and filters) and serves the total
 *   (exact up to the threshold), the facet counts and the ranking candidates. Beyond the
 *   threshold the total is PostgreSQL's own row estimate for the same condition (EXPLAIN:
 *   planning only), flagged totalIsEstimate, and facet counts are the sample's proportions
 *   scaled to it, flagged countIsEstimate.
 * - Each facet with an active filter needs the matches under the OTHER filters: one more bounded
 *   scan each (none when no filter is active). Without a stage filter, s0 keeps cancelled matches
 *   for the stage facet and leaves them out of everything else.
 * - Relevance ranks a bounded candidate set: the matches s0 read, plus — when s0 was capped and
 *   found few title matches — up to titleCandidates documents with the words in their title
 *   (through an index on the title's own tsvector when there is one, else among a bounded number
 *   of matches), so that a title match is never lost among thousands of description matches.
 *   Order: all the words in the title first, then ts_rank over the weighted vector, then newest.
 * - The other sorts order s0's matches when s0 read them all; otherwise ORDER BY … LIMIT over
 *   the table, which a b-tree on the sort key serves without visiting every match.
 * - Snippets and marked titles (ts_headline over HTML-escaped text) for the shown page only.
 * - Typos: when fewer than fewResults match, the typed words that match nothing on their own (or,
 *   if none, all of them) are looked up in the titles by trigram similarity (pg_trgm's strict
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
  SEARCH_STAGES,
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
  fewResults: 3,
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

interface Scan {
  name: string;
  where: SQL;
  /** Facets computed from this scan. */
  facets: FacetName[];
  /** Rows of this scan's sample that count for the total and the facets other than stage. */
  rowFilter: SQL | null;
  base: boolean;
}

interface FacetRow {
  s: string;
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
  scans: Map<string, { scan: Scan; all: number; rows: number; capped: boolean }>;
  facetRows: FacetRow[];
  items: ItemRow[];
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

  /** The scans one search needs (see the file comment). */
  function planScans(match: SQL, filters: SearchFilters, now: Date): Scan[] {
    const active = activeFacetFilters(filters);
    const inactive = FACET_NAMES.filter((f) => !active.includes(f));
    const filtersExcept = (skip: FacetName | null) => active.filter((f) => f !== skip && f !== 'stage').map((f) => filterSql(f, filters, now));
    const stageActive = active.includes('stage');
    const visibility = stageActive ? filterSql('stage', filters, now) : sql`not cancelled`;
    const scans: Scan[] = [];
    if (stageActive) {
      scans.push({ name: 's0', where: and([match, visibility, ...filtersExcept(null)]), facets: inactive, rowFilter: null, base: true });
      scans.push({ name: 's_stage', where: and([match, ...filtersExcept(null)]), facets: ['stage'], rowFilter: null, base: false });
    } else {
      // One scan serves the total, the other facets (cancelled rows left out) and the stage facet
      // (cancelled included, so that "cancelled" shows how many there are).
      scans.push({ name: 's0', where: and([match, ...filtersExcept(null)]), facets: inactive, rowFilter: sql`not cancelled`, base: true });
    }
    for (const facet of active) {
      if (facet === 'stage') continue;
      scans.push({ name: `s_${facet}`, where: and([match, visibility, ...filtersExcept(facet)]), facets: [facet], rowFilter: null, base: false });
    }
    return scans;
  }

  function baseWhere(scans: Scan[]): SQL {
    const s0 = scans[0]!;
    return s0.rowFilter ? sql`${s0.where} and ${s0.rowFilter}` : s0.where;
  }

  /**
   * The facet counts of one scan's sample, as rows (s, f, v, l, c): the yes/no facets and the
   * sample's size (`#` `all`, and `#` `rows` passing the scan's row filter) from one aggregate with
   * FILTER clauses, each multi-valued facet from a GROUP BY. (Cheaper than giving each sample row
   * a (facet, value) pair per facet and grouping once.)
   */
  function facetSql(scan: Scan, now: Date, filters: SearchFilters): SQL {
    const from = sql.raw(scan.name);
    const name = sql`${scan.name}::text`;
    // The stage facet counts cancelled rows too; the others only the scan's counted rows.
    const keep = scan.rowFilter ?? sql`true`;
    const counts: [string, string, SQL][] = [
      ['#', 'all', sql`true`],
      ['#', 'rows', keep],
    ];
    if (scan.facets.includes('sme')) counts.push(['sme', 'true', sql`${keep} and suitable_for_sme`]);
    if (scan.facets.includes('vcse')) counts.push(['vcse', 'true', sql`${keep} and suitable_for_vcse`]);
    if (scan.facets.includes('localReserved')) counts.push(['localReserved', 'true', sql`${keep} and reservation = 'local'`]);
    if (scan.facets.includes('closingWithin')) {
      for (const days of [7, 30] as const) counts.push(['closingWithin', String(days), sql`${keep} and ${filterSql('closingWithin', { ...filters, closingWithinDays: days }, now)}`]);
    }
    const columns = counts.map(([, , condition], i) => sql`count(*) filter (where ${condition})::int as ${sql.raw(`c${i}`)}`);
    const values = counts.map(([f, v], i) => sql`(${f}::text, ${v}::text, ${sql.raw(`c${i}`)})`);
    const parts = [
      sql`select ${name} s, x.f, x.v, null::text l, x.c from (select ${sql.join(columns, sql`, `)} from ${from}) t cross join lateral (values ${sql.join(values, sql`, `)}) x(f, v, c)`,
    ];
    const grouped = (facet: string, value: SQL, where: SQL, label: SQL = sql`null::text`) =>
      sql`select ${name}, ${facet}::text, ${value}, ${label}, count(*)::int from ${from} where ${where} group by 3`;
    for (const facet of scan.facets) {
      switch (facet) {
        case 'stage':
          parts.push(grouped('stage', sql`case when cancelled then 'cancelled' else stage end`, sql`true`));
          break;
        case 'category':
          parts.push(grouped('category', sql`main_category`, keep));
          break;
        case 'valueBand': {
          const cases = VALUE_BANDS.filter((b) => b.id !== 'unknown').map((b) => {
            const lower = b.minPence === null ? sql`true` : sql`value_max_pence >= ${b.minPence}`;
            const upper = b.maxPence === null ? sql`true` : sql`value_max_pence < ${b.maxPence}`;
            return sql`when ${lower} and ${upper} then ${b.id}::text`;
          });
          parts.push(grouped('valueBand', sql`case when value_max_pence is null then 'unknown' ${sql.join(cases, sql` `)} end`, keep));
          break;
        }
        case 'buyer':
          parts.push(grouped('buyer', sql`buyer_id::text`, keep, sql`max(buyer_name)`));
          break;
        case 'cpvDivision':
          parts.push(
            sql`select ${name}, 'cpvDivision', x.d, c.description, x.n from (select d, count(*)::int n from ${from} cross join unnest(cpv_divisions) d where ${keep} group by d) x left join cpv_codes c on c.code = x.d || '000000'`,
          );
          break;
        default:
          break;
      }
    }
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
    const scans = planScans(match.where, query.filters, now);
    const facetColumns = sql`stage, cancelled, main_category, cpv_divisions, value_max_pence, suitable_for_sme, suitable_for_vcse, reservation, buyer_id, buyer_name, tender_deadline`;
    const relevance = query.sort === 'relevance' && match.relevance ? match.relevance : null;
    const offset = (query.page - 1) * query.pageSize;
    const ctes: SQL[] = [];
    scans.forEach((scan, i) => {
      const extra = i === 0 && relevance ? sql`, ${relevance.fts} as fts, ${relevance.inTitle} as in_title, ${relevance.rank} as rank, ${relevance.sim} as sim` : sql``;
      ctes.push(sql`${sql.raw(scan.name)} as materialized (select ${facetColumns}${i === 0 ? sql`, opportunity_id, first_published_at` : sql``}${extra} from search_documents where ${scan.where} limit ${cap + 1})`);
    });
    const facetParts: SQL[] = [];
    for (const scan of scans) facetParts.push(facetSql(scan, now, query.filters));
    ctes.push(sql`facet_rows as (${sql.join(facetParts, sql` union all `)})`);
    const base = baseWhere(scans);
    const pageColumns = sql`opportunity_id, first_published_at, value_max_pence, tender_deadline, stage, cancelled`;
    if (relevance) {
      const s0 = scans[0]!;
      const titleKeys = sql`opportunity_id, first_published_at, ${relevance.fts} as fts, ${relevance.inTitle} as in_title, ${relevance.rank} as rank, ${relevance.sim} as sim`;
      // Title matches are looked for only when the scan was capped (otherwise every match is a
      // candidate already) and found few of them: when titles with the words are common, the
      // scan's sample has plenty, and finding all of them through the index would cost more (a
      // GIN bitmap is built for every title match). Both are one-time filters, evaluated once.
      const capped = sql`(select count(*) from s0) > ${cap} and (select count(*) from s0 where in_title) < ${limits.titleSampleEnough}`;
      if (match.titleIndexQuery && (await hasTitleVectorIndex())) {
        ctes.push(
          // The index condition has no phrase operator (phrases loosened to AND), so the index
          // never asks to recheck a row, which would parse its title again; the exact test is the
          // weighted one on the stored vector, listed first so that a sequential plan parses only
          // titles that match.
          // `is true` keeps the document index out of this plan: ANDing its bitmap for a common word
          // with the title index's costs more than checking the few title matches row by row.
          sql`titles as (select ${titleKeys} from search_documents where ${capped} and (${relevance.inTitle}) is true and ${sql.raw(TITLE_VECTOR_SQL)} @@ ${match.titleIndexQuery}::tsquery
                         and ${baseWhere(planScans(sql`(${match.where}) is true`, query.filters, now))} limit ${limits.titleCandidates})`,
        );
      } else {
        ctes.push(
          sql`titles as (select ${titleKeys} from (select opportunity_id, first_published_at, document, title from search_documents where ${capped} and ${base} limit ${limits.titleScanWithoutIndex}) m where ${relevance.inTitle} limit ${limits.titleCandidates})`,
        );
      }
      ctes.push(
        sql`candidates as (select opportunity_id, first_published_at, fts, in_title, rank, sim from s0 where ${s0.rowFilter ?? sql`true`} union select opportunity_id, first_published_at, fts, in_title, rank, sim from titles)`,
      );
      ctes.push(sql`page as (select * from candidates order by ${orderSql('relevance')} limit ${query.pageSize} offset ${offset})`);
      ctes.push(sql`numbered as (select opportunity_id, row_number() over (order by ${orderSql('relevance')}) as ord from page)`);
    } else {
      const sort = query.sort === 'relevance' ? 'newest' : query.sort;
      // When the scan read every match, the page is sorted from it; otherwise (many matches) from
      // the table, where a b-tree on the sort key finds the first matches in order quickly. (Not
      // the other way round: walking a sort index for a rare word would visit every row.)
      const s0 = scans[0]!;
      const capped = sql`(select count(*) from s0) > ${cap}`;
      ctes.push(
        sql`page as ((select ${pageColumns} from s0 where not ${capped} and ${s0.rowFilter ?? sql`true`} order by ${orderSql(sort)} limit ${query.pageSize} offset ${offset})
             union all (select ${pageColumns} from search_documents where ${capped} and ${base} order by ${orderSql(sort)} limit ${query.pageSize} offset ${offset}))`,
      );
      ctes.push(sql`numbered as (select opportunity_id, row_number() over (order by ${orderSql(sort)}) as ord from page)`);
    }
    const headlines = match.highlight
      ? sql`ts_headline(${CONFIG}, ${escapedSql(sql`d.title`)}, ${match.highlight}::tsquery, ${TITLE_HEADLINE_OPTIONS}) as title_marked,
            ts_headline(${CONFIG}, ${escapedSql(plainSql(sql`d.summary || ' ' || d.description`))}, ${match.highlight}::tsquery, ${SNIPPET_HEADLINE_OPTIONS}) as snippet_marked`
      : sql`null::text as title_marked, null::text as snippet_marked`;
    const statement = sql`with ${sql.join(ctes, sql`, `)}
      select (select coalesce(json_agg(r), '[]'::json) from facet_rows r) as facets,
             (select coalesce(json_agg(i order by i.ord), '[]'::json) from (
                select n.ord, d.opportunity_id, d.title, d.summary, d.description, d.buyer_id, d.buyer_name, d.stage, d.cancelled, d.main_category,
                       d.value_max_pence, d.suitable_for_sme, d.suitable_for_vcse, d.reservation, d.tender_deadline, d.first_published_at, ${headlines}
                from numbered n join search_documents d using (opportunity_id)) i) as items`;
    const { rows } = await db.execute<{ facets: FacetRow[]; items: ItemRow[] }>(statement);
    const facetRows = rows[0]?.facets ?? [];
    const outcome: MainOutcome = { scans: new Map(), facetRows, items: rows[0]?.items ?? [] };
    for (const scan of scans) {
      const all = facetRows.find((r) => r.s === scan.name && r.f === '#' && r.v === 'all')?.c ?? 0;
      const counted = facetRows.find((r) => r.s === scan.name && r.f === '#' && r.v === 'rows')?.c ?? 0;
      outcome.scans.set(scan.name, { scan, all, rows: counted, capped: all > cap });
    }
    return outcome;
  }

  /** PostgreSQL's estimate of the rows matching a condition (planning only, no execution). */
  async function estimateRows(where: SQL): Promise<number> {
    const { rows } = await db.execute<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }>(sql`explain (format json) select 1 from search_documents where ${where}`);
    return Number(rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0);
  }

  async function facetsAndTotal(query: SearchQuery, outcome: MainOutcome): Promise<{ total: number; totalIsEstimate: boolean; facets: SearchFacets }> {
    // Per scan: how much to scale its sample's counts (1 when the scan read every match).
    const factors = new Map<string, number>();
    let total = 0;
    let totalIsEstimate = false;
    for (const [name, s] of outcome.scans) {
      let factor = 1;
      if (s.capped) {
        const where = s.scan.rowFilter ? sql`${s.scan.where} and ${s.scan.rowFilter}` : s.scan.where;
        const estimate = Math.max(await estimateRows(where), s.rows);
        factor = s.rows > 0 ? estimate / s.rows : 1;
      }
      factors.set(name, factor);
      if (s.scan.base) {
        total = s.capped ? roughly(Math.max(s.rows * factor, s.rows)) : s.rows;
        totalIsEstimate = s.capped;
      }
    }
    const facets = emptyFacets();
    for (const row of outcome.facetRows) {
      if (row.f === '#' || row.v === null) continue;
      const facet = row.f as FacetName;
      const factor = factors.get(row.s) ?? 1;
      const estimated = outcome.scans.get(row.s)?.capped === true;
      const count = estimated ? (row.c > 0 ? Math.max(1, roughly(row.c * factor)) : 0) : row.c;
      const value: FacetValue = { value: row.v, count, countIsEstimate: estimated };
      if (row.l) value.label = row.l;
      facets[facet].push(value);
    }
    for (const facet of FACET_NAMES) {
      let values = facets[facet].filter((v) => v.count > 0);
      const chosen = chosenFacetValues(query.filters, facet);
      const estimate = values.some((v) => v.countIsEstimate);
      for (const value of chosen) if (!values.some((v) => v.value === value)) values.push({ value, count: 0, countIsEstimate: estimate });
      values = orderFacet(facet, values);
      if (facet === 'buyer' || facet === 'cpvDivision') values = values.filter((v, i) => i < limits.facetValues || chosen.includes(v.value));
      facets[facet] = values;
    }
    return { total, totalIsEstimate, facets };
  }

  function orderFacet(facet: FacetName, values: FacetValue[]): FacetValue[] {
    const byList = (list: readonly string[]) => [...values].sort((a, b) => list.indexOf(a.value) - list.indexOf(b.value));
    switch (facet) {
      case 'stage':
        return byList(SEARCH_STAGES);
      case 'category':
        return byList(['goods', 'services', 'works']);
      case 'valueBand':
        return byList(VALUE_BANDS.map((b) => b.id));
      case 'closingWithin':
        return byList(['7', '30']);
      case 'buyer':
      case 'cpvDivision':
        return [...values].sort((a, b) => b.count - a.count || (a.label ?? a.value).localeCompare(b.label ?? b.value));
      default:
        return values;
    }
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
      const s0 = outcome.scans.get('s0')!;
      if (text.q && text.positive && !s0.capped && s0.rows < limits.fewResults) {
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
          if (outcome.scans.get('s0')!.rows > s0.rows) notices.push(`${s0.rows ? 'Few' : 'No'} opportunities contain ${unknown}, so opportunities with a similar word in their title are shown${s0.rows ? ' too' : ''}.`);
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
