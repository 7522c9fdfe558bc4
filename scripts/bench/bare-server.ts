/**
 * The "bare page" baseline of the page benchmarks: a minimal Fastify + @fastify/view + Eta process
 * rendering a static page (a layout, a summary list, paragraphs; fixed data, no database) of
 * about BARE_PAGE_BYTES bytes, so a page of the portal can be compared with the cost of
 * rendering the same amount of HTML with the same stack and nothing else.
 *
 *   BARE_PAGE_BYTES=20000 PORT=3100 node --import tsx scripts/bench/bare-server.ts
 *
 * Prints `listening <url> <bytes>` once ready.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import view from '@fastify/view';
import { Eta } from 'eta';
import Fastify from 'fastify';

const viewsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bare-views');
const targetBytes = Number(process.env.BARE_PAGE_BYTES ?? 20_000);
const port = Number(process.env.PORT ?? 0);

// Same Eta options as the portal (src/plugins/view.ts) in production: cached, escaped.
const eta = new Eta({ views: viewsDir, cache: true, autoEscape: true, autoTrim: false });

function pageData(paragraphCount: number) {
  const rows = [
    ['Reference', 'DBC-2026-0042'],
    ['Stage', 'Open for tenders'],
    ['Procedure', 'Open procedure'],
    ['Main category', 'Services'],
    ['Value', '£100,000 to £250,000 (excluding VAT)'],
    ['Tender deadline', '12 March 2026, 12:00pm'],
    ['Questions deadline', '2 March 2026, 5:00pm'],
    ['Contract period', '1 May 2026 to 30 April 2029'],
    ['Suitable for', 'Small and medium-sized enterprises; voluntary, community and social enterprises'],
    ['Delivery location', 'Sandwell & the Black Country'],
    ['CPV codes', '77310000 Planting and maintenance services of green areas'],
    ['Contact', 'Procurement team <procurement@example.gov.uk>'],
  ].map(([key, value]) => ({ key, value }));
  const paragraph =
    'The council wants a contractor to look after its parks & open spaces: grass cutting, hedge trimming, litter picking and "small repairs" to paths, benches and signs across the borough.';
  return {
    serviceName: 'Opportunity Portal',
    councilName: 'Demo Borough Council',
    navigation: [
      { href: '/', text: 'Home' },
      { href: '/opportunities', text: 'Opportunities' },
    ],
    buyer: 'Demo Borough Council',
    title: 'Grounds maintenance for parks and open spaces',
    summary: 'Grass cutting, hedge trimming and litter picking across the borough’s parks.',
    rows,
    paragraphs: Array.from({ length: paragraphCount }, (_, i) => `${i + 1}. ${paragraph}`),
  };
}

// Choose the number of paragraphs that brings the page nearest the target size.
const base = Buffer.byteLength(eta.render('page.eta', pageData(0)));
const perParagraph = Buffer.byteLength(eta.render('page.eta', pageData(1))) - base;
const data = pageData(Math.max(0, Math.round((targetBytes - base) / perParagraph)));
const bytes = Buffer.byteLength(eta.render('page.eta', data));

const app = Fastify({ logger: false });
await app.register(view, { engine: { eta }, templates: viewsDir, production: true });
app.get('/', (_request, reply) => reply.view('page.eta', data));

const address = await app.listen({ port, host: '127.0.0.1' });
console.log(`listening ${address} ${bytes}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
