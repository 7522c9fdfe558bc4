/**
 * The Common Procurement Vocabulary for pickers and pages: search the 9,454 codes by words, look
 * codes up with their division, list divisions. Shared by the supplier profile and (later) staff
 * drafting opportunities.
 *
 * Search matches every word somewhere in the description (case-insensitive substring, so "cut"
 * finds "Grass-cutting services"), or a run of digits at the start of the code. A sequential scan
 * of the table with one ILIKE per word takes a few milliseconds, so no index or schema change is
 * needed. Results put descriptions where the words start a word first, then those that begin
 * with the first word, then broader codes (fewer significant digits) before narrower ones, then
 * code order — the vocabulary's own tree order.
 */
import { inArray, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../../db/client.js';
import { cpvCodes } from './cpv.table.js';

export interface CpvCode {
  /** Eight digits, without the check digit. */
  code: string;
  description: string;
  /** The first two digits. */
  division: string;
  divisionDescription: string;
}

export interface CpvSearchResult {
  items: CpvCode[];
  /** How many codes match in all (items are capped at `limit`). */
  total: number;
  /** The words searched for, after tidying; empty when the query had none. */
  words: string[];
}

export const CPV_SEARCH_LIMIT = 50;
const MAX_WORDS = 8;
const MAX_WORD_LENGTH = 40;

export const isCpvCodeFormat = (code: string): boolean => /^\d{8}$/.test(code);

/**
 * The words of a search: letters and digits only (so nothing reaches LIKE or a regular expression
 * as a wildcard), lower-cased, at most 8. A plural "s" is dropped from longer words so that
 * "schools" finds "School", as the vocabulary mostly uses the singular.
 */
export function searchWords(query: string): string[] {
  const words = (query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])
    .filter((w) => w.length >= 2 || /^\d$/.test(w))
    .map((w) => w.slice(0, MAX_WORD_LENGTH))
    .map((w) => (w.length >= 5 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));
  return [...new Set(words)].slice(0, MAX_WORDS);
}

/** The division's own code (e.g. 77000000), joined for its description. */
const divisionCode = alias(cpvCodes, 'division_code');
const withDivision = {
  code: cpvCodes.code,
  description: cpvCodes.description,
  division: cpvCodes.division,
  divisionDescription: sql<string>`coalesce(${divisionCode.description}, '')`,
};
const divisionJoin = sql`${divisionCode.code} = ${cpvCodes.division} || '000000'`;

export async function searchCpvCodes(db: DbOrTx, query: string, { limit = CPV_SEARCH_LIMIT }: { limit?: number } = {}): Promise<CpvSearchResult> {
  const words = searchWords(query);
  if (words.length === 0) return { items: [], total: 0, words };
  const conditions = words.map((word) => {
    const contains = sql`${cpvCodes.description} ilike ${`%${word}%`}`;
    return /^\d+$/.test(word) ? sql`(${contains} or ${cpvCodes.code} like ${`${word}%`})` : contains;
  });
  const where = sql.join(conditions, sql` and `);
  // \m is PostgreSQL's start-of-word: "cut" at a word's start ranks above "cut" inside one.
  const wordStarts: SQL = sql.join(
    words.map((word) => sql`(${cpvCodes.description} ~* ${`\\m${word}`})::int`),
    sql` + `,
  );
  const rows = await db
    .select({ ...withDivision, total: sql<number>`(count(*) over ())::int` })
    .from(cpvCodes)
    .leftJoin(divisionCode, divisionJoin)
    .where(where)
    .orderBy(sql`${wordStarts} desc`, sql`(${cpvCodes.description} ilike ${`${words[0]}%`}) desc`, sql`length(rtrim(${cpvCodes.code}, '0'))`, cpvCodes.code)
    .limit(limit);
  return { items: rows.map(({ total: _total, ...item }) => item), total: rows[0]?.total ?? 0, words };
}

/** The given codes that exist, with descriptions, in code order. Unknown codes are left out. */
export async function findCpvCodes(db: DbOrTx, codes: readonly string[]): Promise<CpvCode[]> {
  const wanted = [...new Set(codes.filter(isCpvCodeFormat))];
  if (wanted.length === 0) return [];
  return db.select(withDivision).from(cpvCodes).leftJoin(divisionCode, divisionJoin).where(inArray(cpvCodes.code, wanted)).orderBy(cpvCodes.code);
}

export async function findCpvCode(db: DbOrTx, code: string): Promise<CpvCode | undefined> {
  return (await findCpvCodes(db, [code]))[0];
}

export interface CpvDivision {
  division: string;
  description: string;
}

/** Descriptions of the given divisions ("45" → "Construction work"), in division order. */
export async function findDivisions(db: DbOrTx, divisions: readonly string[]): Promise<CpvDivision[]> {
  const codes = [...new Set(divisions.filter((d) => /^\d{2}$/.test(d)))].map((d) => `${d}000000`);
  if (codes.length === 0) return [];
  const rows = await db.select({ division: cpvCodes.division, description: cpvCodes.description }).from(cpvCodes).where(inArray(cpvCodes.code, codes)).orderBy(cpvCodes.division);
  return rows;
}
