/**
 * The view model of views/partials/cpv-picker.eta: a CPV category picker that works without
 * JavaScript. A GET form searches the codes by words; each result has its own "Add" button and
 * each chosen category a "Remove" button, both submitting a POST form (name "add" or "remove",
 * value the code) to the page's own handler, which answers with a redirect back to the search.
 * Used by the supplier profile; staff drafting opportunities can use it the same way.
 */
import type { DbOrTx } from '../../db/client.js';
import { CPV_SEARCH_LIMIT, findCpvCodes, searchCpvCodes, type CpvCode } from './cpv.repository.js';

export interface CpvPickerParams {
  /** Where the search form GETs (with `q`) and the add/remove buttons POST. */
  action: string;
  /** The search box's id and the anchor of its error in the error summary (default "q"). */
  searchId?: string;
  query: string;
  /** Null when nothing was searched for. */
  results: { items: (CpvCode & { chosen: boolean })[]; total: number; shown: number; capped: boolean; hadWords: boolean } | null;
  chosen: CpvCode[];
  max: number;
  /** The search box's error (e.g. an unknown code was sent). */
  errorMessage?: string | undefined;
  /** Headings, so the partial reads right wherever it is used. */
  chosenHeading: string;
  searchLabel: string;
  searchHint: string;
  /** Extra hidden fields posted with every button (e.g. a draft's version). */
  hiddenFields?: Record<string, string>;
}

export interface CpvPickerOptions {
  action: string;
  query: string;
  chosenCodes: readonly string[];
  max: number;
  errorMessage?: string | undefined;
  chosenHeading?: string;
  searchLabel?: string;
  searchHint?: string;
  hiddenFields?: Record<string, string>;
}

export async function cpvPicker(db: DbOrTx, options: CpvPickerOptions): Promise<CpvPickerParams> {
  const query = options.query.trim();
  const [chosen, found] = await Promise.all([findCpvCodes(db, options.chosenCodes), query ? searchCpvCodes(db, query, { limit: CPV_SEARCH_LIMIT }) : null]);
  const chosenSet = new Set(options.chosenCodes);
  return {
    action: options.action,
    query,
    results: found
      ? {
          items: found.items.map((item) => ({ ...item, chosen: chosenSet.has(item.code) })),
          total: found.total,
          shown: found.items.length,
          capped: found.total > found.items.length,
          hadWords: found.words.length > 0,
        }
      : null,
    chosen,
    max: options.max,
    errorMessage: options.errorMessage,
    chosenHeading: options.chosenHeading ?? 'Categories you have chosen',
    searchLabel: options.searchLabel ?? 'Search for a category',
    searchHint: options.searchHint ?? 'Type a few words about the work, like “grass cutting”, “catering” or “building repairs”.',
    hiddenFields: options.hiddenFields ?? {},
  };
}
