/**
 * The fixed query mix of the search benchmark: data/search-queries.tsv (222 queries suppliers
 * type, some with abstract filters), read as it is — never filtered, reordered or tuned — and each
 * turned into the portal's search parameters (the URL format shared by `/opportunities` and
 * `/api/opportunities`).
 *
 * File format: `#` lines are comments; every other line is `query<TAB>filters`, where the query is
 * the raw text typed (quotes, `-` and `OR` included) and may be empty (filters only), and the
 * filters are space-separated words. Mapping of the abstract filters:
 *
 * | mix               | portal parameter                                                           |
 * |-------------------|----------------------------------------------------------------------------|
 * | sme               | sme=yes                                                                    |
 * | vcse              | vcse=yes                                                                   |
 * | local             | local=yes (reserved for local suppliers)                                   |
 * | stage:X           | stage=X                                                                    |
 * | category:X        | category=X                                                                 |
 * | value_max:<£>     | value=<band> for every band of VALUE_BANDS (search.port.ts) whose upper    |
 * |                   | bound is ≤ £: value_max:100000 → value=under-25k&value=25k-100k,           |
 * |                   | value_max:25000 → value=under-25k (bands are [min, max): £100,000 itself   |
 * |                   | falls in 100k-500k, so a band is taken only when it lies wholly under the  |
 * |                   | limit). `unknown` (no value given) is never included.                      |
 * | closing_within:<d>| closing=7 or closing=30: the smallest allowed value ≥ d (1–7 → 7, 8–30 →   |
 * |                   | 30); more than 30 days has no equivalent and is refused.                    |
 * | sort:X            | sort=X (closing, newest or value)                                          |
 *
 * The text becomes `q` (left out when empty, as for a filters-only search). A filter word the
 * table does not know is an error: the mix must be mapped whole, not quietly trimmed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/paths.js';
import { CLOSING_WITHIN_DAYS, SEARCH_CATEGORIES, SEARCH_SORTS, SEARCH_STAGES, VALUE_BANDS, type ValueBandId } from '../../src/modules/search/search.port.js';

export const QUERY_MIX_FILE = path.join(projectRoot, 'data', 'search-queries.tsv');

export interface MixQuery {
  /** 1-based line number in the file. */
  line: number;
  /** The text as typed (may be empty). */
  text: string;
  /** The abstract filter words, as in the file. */
  filters: string[];
  /** The portal's query string (without `?`), e.g. `q=catering&stage=open&sme=yes`. */
  queryString: string;
}

/** The value bands lying wholly at or under `pounds` (upper bound ≤ the limit). */
export function valueBandsUpTo(pounds: number): ValueBandId[] {
  const pence = pounds * 100;
  return VALUE_BANDS.filter((band) => band.maxPence !== null && band.maxPence <= pence).map((band) => band.id);
}

/** The smallest allowed "closing within" ≥ `days`, or undefined when there is none. */
export function closingWithinFor(days: number): number | undefined {
  return [...CLOSING_WITHIN_DAYS].sort((a, b) => a - b).find((allowed) => allowed >= days);
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`unknown ${what} "${value}" (expected one of ${allowed.join(', ')})`);
  return value as T;
}

function wholeNumber(value: string, what: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`${what} must be a whole number, not "${value}"`);
  return Number(value);
}

/** The portal's parameters for one query of the mix. Throws on a filter word it cannot map. */
export function toSearchParams(text: string, filters: readonly string[]): URLSearchParams {
  const params = new URLSearchParams();
  if (text) params.append('q', text);
  for (const filter of filters) {
    const [key, value = ''] = filter.split(/:(.*)/s) as [string, string?];
    switch (key) {
      case 'sme':
      case 'vcse':
      case 'local':
        if (filter !== key) throw new Error(`filter "${filter}" takes no value`);
        params.append(key, 'yes');
        break;
      case 'stage':
        params.append('stage', oneOf(value, SEARCH_STAGES, 'stage'));
        break;
      case 'category':
        params.append('category', oneOf(value, SEARCH_CATEGORIES, 'category'));
        break;
      case 'value_max': {
        const pounds = wholeNumber(value, 'value_max');
        const bands = valueBandsUpTo(pounds);
        if (!bands.length) throw new Error(`value_max:${value} is below every value band's upper bound`);
        for (const band of bands) params.append('value', band);
        break;
      }
      case 'closing_within': {
        const days = wholeNumber(value, 'closing_within');
        const closing = closingWithinFor(days);
        if (closing === undefined) throw new Error(`closing_within:${value}: the portal filters on ${CLOSING_WITHIN_DAYS.join(' or ')} days only`);
        params.append('closing', String(closing));
        break;
      }
      case 'sort':
        params.append('sort', oneOf(value, SEARCH_SORTS, 'sort'));
        break;
      default:
        throw new Error(`unknown filter "${filter}"`);
    }
  }
  return params;
}

/** Parses the mix; every non-comment line is one query, in file order. */
export function parseQueryMix(content: string): MixQuery[] {
  const queries: MixQuery[] = [];
  content.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('#') || line.trim() === '') return;
    const tab = line.indexOf('\t');
    const text = tab < 0 ? line : line.slice(0, tab);
    const filters = tab < 0 ? [] : line.slice(tab + 1).split(/\s+/).filter(Boolean);
    try {
      queries.push({ line: index + 1, text, filters, queryString: toSearchParams(text, filters).toString() });
    } catch (error) {
      throw new Error(`search query mix, line ${index + 1}: ${(error as Error).message}`);
    }
  });
  return queries;
}

export function loadQueryMix(file = QUERY_MIX_FILE): MixQuery[] {
  const queries = parseQueryMix(readFileSync(file, 'utf8'));
  if (!queries.length) throw new Error(`no queries in ${file}`);
  return queries;
}

/** How a query reads in a report: the text (or "(no text)") and its filters. */
export function describeQuery(query: MixQuery): string {
  const text = query.text ? query.text : '(no text)';
  return query.filters.length ? `${text}  [${query.filters.join(' ')}]` : text;
}
