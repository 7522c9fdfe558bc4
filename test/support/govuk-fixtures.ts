/**
 * Reading GOV.UK Frontend's component fixtures and comparing HTML canonically: shared by the
 * fixture tests of the ported partials (test/views/).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as cheerio from 'cheerio';
import type { AnyNode } from 'domhandler';

export interface Fixture {
  name: string;
  options: Record<string, unknown>;
  html: string;
}

const require = createRequire(import.meta.url);
const componentsDir = path.join(path.dirname(require.resolve('govuk-frontend/package.json')), 'dist', 'govuk', 'components');

export function fixturesOf(component: string): Fixture[] {
  return (JSON.parse(readFileSync(path.join(componentsDir, component, 'fixtures.json'), 'utf8')) as { fixtures: Fixture[] }).fixtures;
}

/** A canonical text form of an HTML fragment: what a browser would build, not how it was typed. */
export function normaliseHtml(html: string, adjust?: ($: cheerio.CheerioAPI) => void): string {
  const $ = cheerio.load(html, null, false);
  adjust?.($);
  const walk = (nodes: AnyNode[]): string =>
    nodes
      .map((node) => {
        if (node.type === 'text') {
          const text = node.data.replace(/\s+/g, ' ').trim();
          return text ? `${text}\n` : '';
        }
        if (node.type === 'tag' || node.type === 'script' || node.type === 'style') {
          const attributes = Object.entries(node.attribs)
            .map(([name, value]) => [name, name === 'class' ? value.split(/\s+/).filter(Boolean).sort().join(' ') : value.replace(/\s+/g, ' ').trim()] as const)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, value]) => ` ${name}="${value}"`)
            .join('');
          return `<${node.name}${attributes}>\n${walk(node.children)}</${node.name}>\n`;
        }
        return '';
      })
      .join('');
  return walk($.root().contents().toArray());
}
