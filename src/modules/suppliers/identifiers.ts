/**
 * UK identifiers a supplier gives us, checked for format and normalised to the form the public
 * registers print. Each parser returns `{ value }` (normalised) or `{ problem }` (a message for the
 * GOV.UK error pattern); none of them calls a register, so a well-formed number may still not exist.
 *
 * Formats chosen (as each register documents or prints them):
 * - Companies House: 8 characters. Either 8 digits (England and Wales; shorter numbers are padded
 *   with leading zeros, "1234567" → "01234567"), or a 2-character prefix and 6 digits
 *   ("SC12345" → "SC012345"). Prefixes are those Companies House uses: SC Scotland, NI Northern
 *   Ireland, OC/SO/NC limited liability partnerships, R0 older Northern Ireland companies, LP/SL/NL
 *   limited partnerships, FC/SF/NF overseas companies, IP/SP/NP and RS/SR/NR registered societies,
 *   CE/CS charitable incorporated organisations, and the rarer others in COMPANY_PREFIXES. Older
 *   registered-society numbers end in R ("IP28686R") and are accepted as printed.
 * - Charity numbers, by register:
 *   - England and Wales (Charity Commission): 6 or 7 digits, e.g. 1234567; a linked charity has a
 *     subsidiary number after a hyphen, e.g. 1234567-1. No registered charity has 8 digits.
 *   - Scotland (OSCR): "SC" and 6 digits, e.g. SC012345.
 *   - Northern Ireland (Charity Commission for Northern Ireland): "NIC" and 6 digits, e.g.
 *     NIC100002; the register also shows the number alone (100002), which we accept and prefix.
 *     Its numbers run from 100001 upwards.
 * - Postcodes: the shapes of the Royal Mail's Postcode Address File (buyers/postcode.ts), plus
 *   GIR 0AA; upper-cased with one space before the inward code ("b66 1aa" → "B66 1AA").
 */

import { normaliseUkPostcode } from '../buyers/postcode.js';
import type { CharityRegister } from './suppliers.words.js';

export type Parsed = { value: string; problem?: undefined } | { value?: undefined; problem: string };

// ---- Companies House ---------------------------------------------------------------------------

/** Two-character prefixes Companies House puts before 6 digits. */
export const COMPANY_PREFIXES = [
  'AC', 'CE', 'CS', 'EN', 'ES', 'FC', 'GE', 'GN', 'GS', 'IC', 'IP', 'LP', 'NA', 'NC', 'NF', 'NI', 'NL', 'NO', 'NP', 'NR',
  'NV', 'NZ', 'OC', 'PC', 'R0', 'RC', 'RS', 'SA', 'SC', 'SE', 'SF', 'SG', 'SI', 'SL', 'SO', 'SP', 'SR', 'SZ', 'ZC',
] as const;
const PREFIXES = new Set<string>(COMPANY_PREFIXES);

const COMPANY_FORMAT_MESSAGE = 'Enter a Companies House number in the correct format, like 01234567 or SC123456';

/** Removes the spaces, dots and hyphens people type inside numbers, and upper-cases. */
function compact(raw: string): string {
  return raw.replace(/[\s.\u2010-\u2015-]+/g, '').toUpperCase();
}

export function parseCompaniesHouseNumber(raw: string): Parsed {
  const value = compact(raw);
  const tooLong = 'Companies House number must be 8 characters, like 01234567 or SC123456';
  if (/^\d+$/.test(value)) {
    if (value.length > 8) return { problem: tooLong };
    if (/^0+$/.test(value)) return { problem: COMPANY_FORMAT_MESSAGE };
    return { value: value.padStart(8, '0') };
  }
  if (/^(IP|SP|NP)\d{5}R$/.test(value)) return { value };
  // "R0" is a letter and a zero: take the two-character prefix as typed, then pad the digits after it.
  const prefixed = /^([A-Z][A-Z0])(\d+)$/.exec(value);
  if (prefixed) {
    if (!PREFIXES.has(prefixed[1]!)) return { problem: 'Enter a Companies House number that is all numbers or starts with a prefix Companies House uses, like SC, NI or OC' };
    if (prefixed[2]!.length > 6) return { problem: tooLong };
    return { value: prefixed[1]! + prefixed[2]!.padStart(6, '0') };
  }
  return { problem: COMPANY_FORMAT_MESSAGE };
}

export function companiesHouseUrl(number: string): string {
  return `https://find-and-update.company-information.service.gov.uk/company/${encodeURIComponent(number)}`;
}

// ---- Charity numbers ---------------------------------------------------------------------------


const CHARITY_EXAMPLES: Record<CharityRegister, string> = {
  england_wales: 'Enter a charity number for England and Wales in the correct format: 6 or 7 numbers, like 1234567, or with a linked charity number, like 1234567-1',
  scotland: 'Enter a Scottish charity number in the correct format: SC and 6 numbers, like SC012345',
  northern_ireland: 'Enter a Northern Ireland charity number in the correct format: NIC and 6 numbers, like NIC100002',
};

export function parseCharityNumber(register: CharityRegister, raw: string): Parsed {
  const trimmed = raw.trim().toUpperCase();
  if (register === 'england_wales') {
    // Keep the hyphen before a linked charity's number; drop other spaces.
    const value = trimmed.replace(/\s+/g, '').replace(/[\u2010-\u2015]/g, '-');
    const match = /^(\d{6,7})(?:-(\d{1,3}))?$/.exec(value);
    if (!match || /^0/.test(match[1]!)) return { problem: CHARITY_EXAMPLES.england_wales };
    return { value: match[2] !== undefined ? `${match[1]}-${Number(match[2])}` : match[1]! };
  }
  const value = compact(trimmed);
  if (register === 'scotland') {
    return /^SC\d{6}$/.test(value) ? { value } : { problem: CHARITY_EXAMPLES.scotland };
  }
  const match = /^(?:NIC)?(1\d{5})$/.exec(value);
  return match ? { value: `NIC${match[1]}` } : { problem: CHARITY_EXAMPLES.northern_ireland };
}

/** The charity's page on its register. */
export function charityRegisterUrl(register: CharityRegister, number: string): string {
  if (register === 'england_wales') {
    const [main, sub] = number.split('-');
    const base = `https://register-of-charities.charitycommission.gov.uk/en/charity-search/-/charity-details/${encodeURIComponent(main ?? number)}`;
    return sub ? `${base}?subId=${encodeURIComponent(sub)}` : base;
  }
  if (register === 'scotland') return `https://www.oscr.org.uk/about-charities/search-the-register/charity-details?number=${encodeURIComponent(number)}`;
  return `https://www.charitycommissionni.org.uk/charity-details/?regId=${encodeURIComponent(number.replace(/^NIC/, ''))}&subId=0`;
}

// ---- Postcodes ---------------------------------------------------------------------------------

/** The shape check is shared with buyer organisations' addresses (buyers/postcode.ts). */
export function parsePostcode(raw: string): Parsed {
  const value = normaliseUkPostcode(raw);
  return value ? { value } : { problem: 'Enter a real postcode, like B66 1AA' };
}

/** The outward code ("B66" of "B66 1AA") of a normalised postcode. */
export function outwardCode(postcode: string): string {
  return postcode.split(' ')[0] ?? '';
}

/** Whether a normalised postcode is in one of the council's districts (whole outward code: B6 is not B66). */
export function isLocalPostcode(postcode: string | null | undefined, districts: readonly string[]): boolean {
  if (!postcode) return false;
  return districts.includes(outwardCode(postcode));
}

// ---- Websites ----------------------------------------------------------------------------------

/**
 * A web address: http or https with a real-looking host. "www.example.org" is taken to mean
 * https://www.example.org, as people type it.
 */
export function parseWebsite(raw: string): Parsed {
  const trimmed = raw.trim();
  const problem = 'Enter a website address in the correct format, like https://www.example.org';
  if (/\s/.test(trimmed)) return { problem };
  const withScheme = /^[a-z][a-z\d+.-]*:/i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { problem };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: 'Enter a website address that starts with http:// or https://' };
  if (url.username || url.password) return { problem };
  // A public host: at least one dot, letters/digits/hyphens, a top-level part of letters.
  if (!/^([a-z\d-]+\.)+[a-z][a-z\d-]*$/i.test(url.hostname)) return { problem };
  // Keep what the user typed after the host, but without a bare trailing slash on the home page.
  return { value: url.href.replace(/^(https?:\/\/[^/]+)\/$/, '$1') };
}
