/**
 * CSV as RFC 4180 writes it (comma-separated, CRLF line ends, fields with a comma, quote or line
 * break wrapped in double quotes with quotes doubled), made safe to open in a spreadsheet: a cell
 * that starts with = + - @ (or a tab or carriage return, which some spreadsheets skip before
 * reading a formula) gets a leading single quote, so it is shown as text, never run as a formula
 * (OWASP "CSV injection").
 */

export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'boolean' ? (value ? 'Yes' : 'No') : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/**
 * A whole document: the header row, then one line per row. It starts with a byte-order mark so
 * that Excel reads it as UTF-8 (names with accents, "£"); other readers skip the mark.
 */
export function csvDocument(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return `\uFEFF${csvLine(header)}${rows.map(csvLine).join('')}`;
}
