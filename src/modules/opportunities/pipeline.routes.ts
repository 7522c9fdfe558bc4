/**
 * GET /pipeline (public): forthcoming opportunities (the latest releases in the `pipeline` or
 * `planned` stage, not cancelled), grouped by the quarter of the UK financial year (April to
 * March) in which they are expected to go out to tender or start, so that suppliers can get ready.
 *
 * Each entry is grouped on its tender deadline (its day in London) if known, else its expected
 * award date, else its contract start; entries with none of these come last, under "Date not yet
 * known". Quarters are in date order and entries by date within them.
 *
 * Past quarters are shown, not hidden: an entry whose expected date has passed is still in the
 * pipeline (the buyer has neither opened it for bids nor cancelled it, and plans slip), so hiding
 * it would hide real forthcoming work. Such quarters come first and say that their dates have
 * passed, so no one takes them for the buyer's current plan.
 *
 * Optional filters (a GET form, so a filtered page is a link): `buyer` (an organisation's slug)
 * and `category` (goods, services or works). Values the form cannot produce get a 400 page saying
 * which; unknown parameters are ignored. The page lists at most PIPELINE_LIMIT entries and says
 * so when there are more.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { Type } from 'typebox';
import type { Config } from '../../config.js';
import { AppError, BadRequestError } from '../../errors.js';
import * as format from '../../lib/format.js';
import { londonDate } from '../../lib/london-time.js';
import { MAIN_CATEGORIES as MAIN_CATEGORY_WORDS, stageTags, valueText, type Tag } from './opportunities.routes.js';
import { listPipeline, pipelineBuyers, type PipelineEntry, type PipelineFilters } from './pipeline.repository.js';
import { MAIN_CATEGORIES } from './opportunities.table.js';

/** The most entries one page lists (soonest first); the filters narrow a longer pipeline. */
export const PIPELINE_LIMIT = 500;
const MAX_URL_LENGTH = 2048;
const CATEGORIES_SHOWN = 3;

// ---- Financial-year quarters ---------------------------------------------------------------------

export interface FinancialQuarter {
  /** Anchor id, e.g. "q-2027-1". */
  id: string;
  /** "April to June 2027". */
  label: string;
  /** "Quarter 1 of the 2027 to 2028 financial year". */
  caption: string;
  /** "Q1 2027/28". */
  short: string;
  /** First and last calendar days, YYYY-MM-DD. */
  start: string;
  end: string;
}

const QUARTER_MONTHS = ['April to June', 'July to September', 'October to December', 'January to March'] as const;
const QUARTER_BOUNDS = [
  ['04-01', '06-30'],
  ['07-01', '09-30'],
  ['10-01', '12-31'],
  ['01-01', '03-31'],
] as const;

/**
 * The UK financial-year quarter of a calendar date (YYYY-MM-DD, already in London time): the year
 * runs from 1 April, so April to June is quarter 1 and January to March quarter 4 of the year
 * that began the April before.
 */
export function financialQuarter(day: string): FinancialQuarter {
  const year = Number(day.slice(0, 4));
  const month = Number(day.slice(5, 7));
  const startYear = month >= 4 ? year : year - 1;
  const index = Math.floor(((month + 8) % 12) / 3); // April → 0, … , March → 3
  const calendarYear = index === 3 ? startYear + 1 : startYear;
  const [from, to] = QUARTER_BOUNDS[index]!;
  return {
    id: `q-${startYear}-${index + 1}`,
    label: `${QUARTER_MONTHS[index]} ${calendarYear}`,
    caption: `Quarter ${index + 1} of the ${startYear} to ${startYear + 1} financial year`,
    short: `Q${index + 1} ${startYear}/${String(startYear + 1).slice(-2)}`,
    start: `${calendarYear}-${from}`,
    end: `${calendarYear}-${to}`,
  };
}

// ---- View models ---------------------------------------------------------------------------------

interface EntryDate {
  label: string;
  iso: string;
  text: string;
}

export interface PipelineItem {
  id: number;
  href: string;
  title: string;
  buyerName: string;
  summary: string;
  tags: Tag[];
  value: string;
  dates: EntryDate[];
  categories: string[];
  moreCategories: number;
}

export interface PipelineGroup {
  id: string;
  heading: string;
  caption: string | null;
  /** Every day of the quarter is before today (London). */
  past: boolean;
  current: boolean;
  items: PipelineItem[];
}

function toItem(entry: PipelineEntry): PipelineItem {
  const dates: EntryDate[] = [];
  if (entry.tenderDeadline) dates.push({ label: 'Expected deadline for bids', iso: format.iso(entry.tenderDeadline), text: format.dateTime(entry.tenderDeadline) });
  if (entry.expectedAwardDate) dates.push({ label: 'Contract expected to be awarded', iso: format.iso(entry.expectedAwardDate), text: format.date(entry.expectedAwardDate) });
  if (entry.contractStart) dates.push({ label: 'Contract expected to start', iso: format.iso(entry.contractStart), text: format.date(entry.contractStart) });
  const categories = entry.cpv.map((c) => c.description || c.code);
  return {
    id: entry.id,
    href: `/opportunities/${entry.id}`,
    title: entry.title,
    buyerName: entry.buyerName,
    summary: entry.summary,
    tags: stageTags(entry.stage, false),
    value: valueText(entry.value),
    dates,
    categories: categories.slice(0, CATEGORIES_SHOWN),
    moreCategories: Math.max(0, categories.length - CATEGORIES_SHOWN),
  };
}

/**
 * Groups entries already sorted by keyDate (undated last) into quarters, in that order. `today`
 * is the London calendar date, to mark past and current quarters.
 */
export function groupByQuarter(entries: PipelineEntry[], today: string): PipelineGroup[] {
  const groups: PipelineGroup[] = [];
  const byId = new Map<string, PipelineGroup>();
  for (const entry of entries) {
    let group: PipelineGroup | undefined;
    if (entry.keyDate) {
      const quarter = financialQuarter(entry.keyDate);
      group = byId.get(quarter.id);
      if (!group) {
        group = {
          id: quarter.id,
          heading: quarter.label,
          caption: `${quarter.caption} (${quarter.short})`,
          past: quarter.end < today,
          current: quarter.start <= today && today <= quarter.end,
          items: [],
        };
      }
    } else {
      group = byId.get('undated') ?? { id: 'undated', heading: 'Date not yet known', caption: null, past: false, current: false, items: [] };
    }
    if (!byId.has(group.id)) {
      byId.set(group.id, group);
      groups.push(group);
    }
    group.items.push(toItem(entry));
  }
  // The query sorts undated entries last; keep their group last whatever the input order.
  const undated = byId.get('undated');
  return undated ? [...groups.filter((g) => g !== undated), undated] : groups;
}

// ---- Validation ----------------------------------------------------------------------------------

const pipelineQuery = Type.Object(
  {
    // The form's "any" choice sends an empty value.
    buyer: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{0,100}$' })),
    category: Type.Optional(Type.Enum(['', ...MAIN_CATEGORIES])),
  },
  { additionalProperties: false },
);

const PARAMETER_PROBLEMS: Record<string, string> = {
  buyer: 'The organisation must be one of those in the list, given by its short name in lower case, like “demo-borough-council”.',
  category: `The type of contract must be one of: ${MAIN_CATEGORIES.join(', ')}.`,
};

/** One sentence per parameter the form could not have sent, on the 400 page. */
function describeQueryErrors(errors: FastifySchemaValidationError[]): Error {
  const names = [...new Set(errors.map((e) => e.instancePath.replace(/^\//, '').split('/')[0] ?? ''))];
  const sentences = names.map((name) => PARAMETER_PROBLEMS[name] ?? 'Part of the address is not valid.');
  return new BadRequestError(`${sentences.join(' ')} Check the address, or start again from the pipeline.`, 'invalid_query');
}

function pipelineHref(filters: PipelineFilters): string {
  const query = new URLSearchParams();
  if (filters.buyer) query.set('buyer', filters.buyer);
  if (filters.mainCategory) query.set('category', filters.mainCategory);
  const qs = query.toString();
  return qs ? `/pipeline?${qs}` : '/pipeline';
}

// ---- Route ---------------------------------------------------------------------------------------

const pipelineRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app) => {
  app.addHook('onRequest', async (request) => {
    if (request.url.length > MAX_URL_LENGTH) throw new AppError('uri_too_long', 414, 'The address you followed is too long. Check it, or start again from the home page.');
  });

  app.get('/pipeline', { config: { access: 'public' }, schema: { querystring: pipelineQuery }, schemaErrorFormatter: describeQueryErrors }, async (request, reply) => {
    const filters: PipelineFilters = {
      buyer: request.query.buyer || undefined,
      mainCategory: request.query.category || undefined,
    };
    const db = app.database.db;
    const [{ entries, total }, buyers] = await Promise.all([listPipeline(db, filters, PIPELINE_LIMIT), pipelineBuyers(db)]);
    const groups = groupByQuarter(entries, londonDate(new Date()));
    const buyer = filters.buyer ? buyers.find((b) => b.slug === filters.buyer) : undefined;
    const filtered = filters.buyer !== undefined || filters.mainCategory !== undefined;

    return reply.view('opportunities/pipeline', {
      title: 'Pipeline of contracts coming up',
      currentPath: '/pipeline',
      page: {
        groups,
        total,
        shown: entries.length,
        limit: PIPELINE_LIMIT,
        filtered,
        clearHref: pipelineHref({}),
        buyerName: buyer?.name ?? null,
        unknownBuyer: filters.buyer !== undefined && !buyer,
        categoryText: filters.mainCategory ? MAIN_CATEGORY_WORDS[filters.mainCategory] : null,
        buyerItems: [{ value: '', text: 'Any organisation' }, ...buyers.map((b) => ({ value: b.slug, text: `${b.name} (${format.count(b.count)})` }))],
        categoryItems: [{ value: '', text: 'Any type' }, ...MAIN_CATEGORIES.map((c) => ({ value: c, text: MAIN_CATEGORY_WORDS[c] }))],
        values: { buyer: filters.buyer ?? '', category: filters.mainCategory ?? '' },
      },
    });
  });
};

export default pipelineRoutes;
