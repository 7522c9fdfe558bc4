/**
 * Shared by the page tests: fetch a page through the app and parse it with cheerio, and the
 * layout checks every public page must pass.
 */
import * as cheerio from 'cheerio';
import type { AnyNode } from 'domhandler';
import type { App } from '../../src/app.js';

export async function getPage(app: App, url: string) {
  const response = await app.inject({ method: 'GET', url });
  return { response, $: cheerio.load(response.body) };
}

/** Text as a reader sees it: line breaks and block elements separate words; whitespace collapsed. */
export function readable($: cheerio.CheerioAPI, element: cheerio.Cheerio<AnyNode>): string {
  return element
    .toArray()
    .map((node) => {
      const copy = $(node).clone();
      copy.find('br').replaceWith(' ');
      copy.find('p, li, div, dt, dd').before(' ').after(' ');
      return copy.text();
    })
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Readable text of the first match. */
export function text($: cheerio.CheerioAPI, selector: string): string {
  return readable($, $(selector).first());
}

/** Each row of a table as "cell | cell | cell". */
export function tableRows($: cheerio.CheerioAPI, table: cheerio.Cheerio<AnyNode>): string[] {
  return table
    .find('tbody tr')
    .map((_, row) => $(row).find('th, td').map((__, cell) => readable($, $(cell))).get().join(' | '))
    .get();
}

/** The value cell of the summary-list row whose key is `key` (first match on the page). */
export function summaryValue($: cheerio.CheerioAPI, key: string): string {
  const row = $('.govuk-summary-list__row').filter((_, el) => $(el).find('.govuk-summary-list__key').text().trim() === key).first();
  return readable($, row.find('.govuk-summary-list__value'));
}
