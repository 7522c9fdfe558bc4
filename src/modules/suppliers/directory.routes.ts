/**
 * The supplier directory:
 *   GET /suppliers            public: suppliers who agreed to be listed, searched and filtered
 *                             (staff: every supplier, those not listed publicly labelled)
 *   GET /suppliers.csv        staff (viewer or above): the same filtered list as CSV
 *   GET /suppliers/:id        public: one listed supplier (staff: any supplier); 404 otherwise
 * Every filter is a query parameter of a GET form, so a page of results is a link. Values the
 * form cannot produce get a 400 page saying which; a page past the last says so (404).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { Type } from 'typebox';
import type { Config } from '../../config.js';
import { BadRequestError, NotFoundError } from '../../errors.js';
import * as format from '../../lib/format.js';
import { actingBuyerFor } from '../../plugins/access.js';
import { findCpvCodes, searchWords, type CpvCode } from '../cpv/cpv.repository.js';
import { paginationParams } from '../../lib/pagination.js';
import { csvDocument } from './csv.js';
import { directoryRows } from './supplier.views.js';
import { allInDirectory, directoryDivisions, DIRECTORY_PAGE_SIZE, findSupplier, listDirectory, type DirectoryFilters, type Supplier } from './suppliers.repository.js';
import { CHARITY_REGISTER_WORDS, LEGAL_FORM_WORDS, SIZE_WORDS, SUPPLIER_SIZES, type SupplierSize } from './suppliers.words.js';

export const MAX_PAGE = 10_000;
const MAX_ID = 2_147_483_647;
const NOT_LISTED = 'There is no supplier in the directory at this address. It may have left the directory. If you typed the web address, check it is correct.';

const directoryQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200 })),
    vcse: Type.Optional(Type.Literal('yes')),
    coop: Type.Optional(Type.Literal('yes')),
    local: Type.Optional(Type.Literal('yes')),
    size: Type.Optional(Type.Array(Type.Enum(SUPPLIER_SIZES), { maxItems: SUPPLIER_SIZES.length * 2 })),
    division: Type.Optional(Type.String({ pattern: '^(\\d{2})?$' })),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
  },
  { additionalProperties: false },
);
type DirectoryQuery = {
  q?: string;
  vcse?: 'yes';
  coop?: 'yes';
  local?: 'yes';
  size?: SupplierSize[];
  division?: string;
  page?: number;
};

const noQuery = Type.Object({}, { additionalProperties: false });
const idParams = Type.Object({ id: Type.String({ maxLength: 200 }) });

const PARAMETER_PROBLEMS: Record<string, string> = {
  q: 'The search words must be 200 characters or fewer.',
  vcse: 'The “charities and social enterprises” filter can only be “yes”.',
  coop: 'The “co-operatives and mutuals” filter can only be “yes”.',
  local: 'The “local” filter can only be “yes”.',
  size: `The size must be one of: ${SUPPLIER_SIZES.join(', ')}.`,
  division: 'The category must be a 2-digit CPV division, like 45.',
  page: `The page number must be a whole number from 1 to ${format.count(MAX_PAGE)}.`,
};

/** One sentence per parameter the form could not have sent, on the 400 page. */
function describeQueryErrors(errors: FastifySchemaValidationError[]): Error {
  const names = [...new Set(errors.map((e) => e.instancePath.replace(/^\//, '').split('/')[0] ?? ''))];
  const sentences = names.map((name) => PARAMETER_PROBLEMS[name] ?? 'Part of the address is not valid.');
  return new BadRequestError(`${sentences.join(' ')} Check the address, or start again from the supplier directory.`, 'invalid_query');
}

interface DirectoryState {
  q: string;
  filters: DirectoryFilters;
  page: number;
}

function stateOf(query: DirectoryQuery): DirectoryState {
  const q = (query.q ?? '').trim();
  return {
    q,
    page: query.page ?? 1,
    filters: {
      words: searchWords(q),
      vcse: query.vcse === 'yes',
      cooperative: query.coop === 'yes',
      local: query.local === 'yes',
      // Each size once, in the usual order, whatever order or repetition the address had.
      sizes: SUPPLIER_SIZES.filter((s) => query.size?.includes(s)),
      division: query.division || undefined,
    },
  };
}

/** The query string of a state (no `page` for the first page): the list, its pages and the CSV share it. */
function queryString(state: DirectoryState, page = 1): string {
  const query = new URLSearchParams();
  if (state.q) query.set('q', state.q);
  if (state.filters.vcse) query.set('vcse', 'yes');
  if (state.filters.cooperative) query.set('coop', 'yes');
  for (const size of state.filters.sizes) query.append('size', size);
  if (state.filters.local) query.set('local', 'yes');
  if (state.filters.division) query.set('division', state.filters.division);
  if (page > 1) query.set('page', String(page));
  const qs = query.toString();
  return qs ? `?${qs}` : '';
}

function parseId(raw: string): number | null {
  if (!/^[1-9]\d{0,9}$/.test(raw)) return null;
  const id = Number(raw);
  return id <= MAX_ID ? id : null;
}

/** Staff of any buyer organisation see every supplier; everyone else the listed ones. */
const isStaff = (request: FastifyRequest) => actingBuyerFor(request) !== null;

function tagsOf(supplier: Supplier, staff: boolean) {
  const tags: { text: string; classes: string }[] = [];
  if (staff && !supplier.directoryConsent) tags.push({ text: 'Not in the public directory', classes: 'govuk-tag--grey' });
  if (supplier.local) tags.push({ text: 'Local', classes: 'govuk-tag--green' });
  if (supplier.vcse) tags.push({ text: 'Charity or social enterprise', classes: 'govuk-tag--purple' });
  if (supplier.size !== 'large') tags.push({ text: `${SIZE_WORDS[supplier.size].label} business`, classes: 'govuk-tag--teal' });
  return tags;
}

/** The first words of a long text, cut at a word. */
function snippet(text: string, max = 280): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max - 40))}…`;
}

const CSV_HEADER = [
  'Name',
  'Legal form',
  'Companies House number',
  'Charity number',
  'Charity register',
  'Size',
  'Charity or social enterprise (VCSE)',
  'Local',
  'Building and street',
  'Town or city',
  'Postcode',
  'What they offer',
  'CPV codes',
  'Website',
  'In the public directory',
  'Profile page',
  'Registered',
  'Last updated',
];

const directoryRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const db = app.database.db;
  const listSchema = { querystring: directoryQuery };

  app.get('/suppliers', { config: { access: 'public' }, schema: listSchema, schemaErrorFormatter: describeQueryErrors }, async (request, reply) => {
    const staff = isStaff(request);
    const state = stateOf(request.query as DirectoryQuery);
    const scope = { includeHidden: staff };
    const [{ items, total }, divisions] = await Promise.all([listDirectory(db, state.filters, scope, state.page), directoryDivisions(db, scope)]);
    const totalPages = Math.max(1, Math.ceil(total / DIRECTORY_PAGE_SIZE));
    const categories = new Map((await findCpvCodes(db, items.flatMap((s) => s.cpvCodes))).map((c) => [c.code, c]));
    const pastTheEnd = items.length === 0 && state.page > 1;
    if (pastTheEnd) reply.code(404);
    const filtered = state.q !== '' || queryString({ ...state, q: '' }) !== '';
    return reply.view('suppliers/list', {
      title: state.page > 1 && !pastTheEnd ? `Supplier directory (page ${state.page} of ${totalPages})` : 'Supplier directory',
      currentPath: '/suppliers',
      page: {
        staff,
        q: state.q,
        filters: state.filters,
        filtered,
        sizes: SUPPLIER_SIZES.map((value) => ({ value, text: SIZE_WORDS[value].label, hint: { text: SIZE_WORDS[value].hint }, checked: state.filters.sizes.includes(value) })),
        divisions: [{ value: '', text: 'Any kind of work' }, ...divisions.map((d) => ({ value: d.division, text: `${d.division}: ${d.description}`, selected: d.division === state.filters.division }))],
        unknownDivision: state.filters.division !== undefined && !divisions.some((d) => d.division === state.filters.division),
        total,
        totalPages,
        pastTheEnd,
        firstPageHref: `/suppliers${queryString(state, 1)}`,
        from: (state.page - 1) * DIRECTORY_PAGE_SIZE + 1,
        to: (state.page - 1) * DIRECTORY_PAGE_SIZE + items.length,
        csvHref: `/suppliers.csv${queryString(state)}`,
        localDistricts: config.localPostcodeDistricts,
        items: items.map((s) => {
          const chosen = s.cpvCodes.map((code) => categories.get(code)).filter((c): c is CpvCode => c !== undefined);
          return {
            href: `/suppliers/${s.id}`,
            name: s.name,
            legalForm: LEGAL_FORM_WORDS[s.legalForm].label,
            offer: snippet(s.offer),
            tags: tagsOf(s, staff),
            categories: chosen.slice(0, 3).map((c) => c.description),
            moreCategories: Math.max(0, chosen.length - 3),
          };
        }),
        pagination: paginationParams(state.page, totalPages, (n) => `/suppliers${queryString(state, n)}`, 'Pages of suppliers'),
      },
    });
  });

  app.get('/suppliers.csv', { config: { access: 'staff:viewer' }, schema: listSchema, schemaErrorFormatter: describeQueryErrors }, async (request, reply) => {
    const state = stateOf(request.query as DirectoryQuery);
    const rows = await allInDirectory(db, state.filters, { includeHidden: true });
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: config.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    const body = csvDocument(
      CSV_HEADER,
      rows.map((s) => [
        s.name,
        LEGAL_FORM_WORDS[s.legalForm].label,
        s.companiesHouseNumber,
        s.charityNumber,
        s.charityRegister ? CHARITY_REGISTER_WORDS[s.charityRegister].short : null,
        SIZE_WORDS[s.size].label,
        s.vcse,
        s.local,
        s.streetAddress,
        s.locality,
        s.postcode,
        s.offer,
        s.cpvCodes.join(' '),
        s.website,
        s.directoryConsent,
        `${config.publicUrl}/suppliers/${s.id}`,
        format.iso(s.createdAt),
        format.iso(s.updatedAt),
      ]),
    );
    return reply
      .header('content-type', 'text/csv; charset=utf-8; header=present')
      .header('content-disposition', `attachment; filename="suppliers-${day}.csv"`)
      .header('cache-control', 'private, no-store')
      .send(body);
  });

  app.get('/suppliers/:id', { config: { access: 'public' }, schema: { params: idParams, querystring: noQuery } }, async (request, reply) => {
    const id = parseId(request.params.id);
    const staff = isStaff(request);
    const supplier = id === null ? undefined : await findSupplier(db, id);
    if (!supplier || (!supplier.directoryConsent && !staff)) throw new NotFoundError(NOT_LISTED);
    const categories = await findCpvCodes(db, supplier.cpvCodes);
    return reply.view('suppliers/show', {
      title: supplier.name,
      currentPath: `/suppliers/${supplier.id}`,
      section: '/suppliers',
      page: {
        supplier,
        staff,
        hidden: !supplier.directoryConsent,
        rows: directoryRows(supplier, config.brand.councilName),
        tags: tagsOf(supplier, staff),
        categories,
      },
    });
  });
};

export default directoryRoutes;
