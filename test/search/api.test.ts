// GET /api/opportunities: the same parameters as /opportunities, the same results for the same
// querystring, a documented JSON shape, and 400 JSON errors naming each bad parameter.
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { getPage } from '../pages/page-helpers.js';
import { seedUiCorpus, STATIONERY } from './ui-seed.js';

const { app, database } = await buildTestApp(t, { env: { PUBLIC_URL: 'https://portal.example.gov.uk' } });
const corpus = await seedUiCorpus(database);

interface ApiResult {
  id: number;
  url: string;
  title: string;
  titleHtml?: string;
  snippetHtml: string;
  buyerName: string;
  stage: string;
  cancelled: boolean;
  mainCategory: string;
  value: { minPence: number | null; maxPence: number | null; includesVat: boolean; currency: string };
  tenderDeadline: string | null;
  firstPublishedAt: string;
}
interface FacetValue {
  value: string;
  label: string;
  count: number;
  countIsEstimate: boolean;
  selected: boolean;
}
interface ApiBody {
  total: number;
  totalIsEstimate: boolean;
  page: number;
  pageSize: number;
  results: ApiResult[];
  facets: Record<string, FacetValue[]>;
  suggestion: string | null;
  notices: string[];
}

async function api(query: string) {
  const response = await app.inject(`/api/opportunities${query}`);
  return { response, body: response.json() as ApiBody & { error?: { code: string; message: string; requestId: string } } };
}

t.test('the shape of an answer', async (t) => {
  const { response, body } = await api('?q=plumbing&stage=open&stage=planned');
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], 'application/json');
  t.equal(response.headers['access-control-allow-origin'], '*', 'any web page may read it');
  t.same(Object.keys(body).sort(), ['facets', 'notices', 'page', 'pageSize', 'results', 'suggestion', 'total', 'totalIsEstimate']);
  t.equal(body.total, 2);
  t.equal(body.totalIsEstimate, false);
  t.equal(body.page, 1);
  t.equal(body.pageSize, 20);
  t.same(body.notices, []);
  t.equal(body.suggestion, null);
  const homes = body.results.find((r) => r.id === corpus.ids.plumbingHomes)!;
  t.match(homes, {
    id: corpus.ids.plumbingHomes,
    url: `https://portal.example.gov.uk/opportunities/${corpus.ids.plumbingHomes}`,
    title: 'Plumbing repairs in council homes',
    titleHtml: '<mark>Plumbing</mark> repairs in council homes',
    buyerName: 'Tipton Homes',
    stage: 'open',
    cancelled: false,
    mainCategory: 'works',
    value: { minPence: null, maxPence: 5_000_000, includesVat: false, currency: 'GBP' },
  });
  t.match(homes.snippetHtml, '<mark>plumbing</mark>');
  t.ok(!Number.isNaN(Date.parse(homes.tenderDeadline!)) && homes.tenderDeadline!.endsWith('Z'), 'dates are ISO 8601 in UTC');
  t.ok(homes.firstPublishedAt.endsWith('Z'));
  t.same(Object.keys(body.facets), ['stage', 'category', 'cpv', 'value', 'sme', 'vcse', 'local', 'buyer', 'closing'], 'facets are keyed by parameter');
  t.same(body.facets.stage, [
    { value: 'planned', label: 'Planned', count: 1, countIsEstimate: false, selected: true },
    { value: 'open', label: 'Open', count: 1, countIsEstimate: false, selected: true },
    { value: 'cancelled', label: 'Cancelled', count: 1, countIsEstimate: false, selected: false },
  ]);
  t.same(body.facets.buyer!.map((b) => b.value).sort(), ['sandwell-test-council', 'tipton-homes'], 'buyers by slug, as the parameter takes them');
  t.same(body.facets.sme, [{ value: 'yes', label: 'Suitable for small and medium-sized businesses', count: 1, countIsEstimate: false, selected: false }]);
  t.same(body.facets.cpv!.map((c) => `${c.value} ${c.label}`), ['45 Construction work']);

  const plain = await api('?stage=pipeline');
  t.equal(plain.body.results[0]!.titleHtml, undefined, 'no titleHtml without words to highlight');
  t.equal(plain.body.results[0]!.title, 'Widgets <b>bold</b> & "quoted" <script>alert(1)</script>', 'titles are plain text');
  t.match(plain.body.results[0]!.snippetHtml, 'Supply of widgets for &lt;i&gt;offices&lt;/i&gt; &amp; depots', 'snippets are escaped HTML');
});

t.test('the same results as the page for the same querystring', async (t) => {
  const buyer = corpus.buyers.homes.slug;
  for (const qs of [
    '',
    '?q=plumbing',
    '?q=stationery&sort=value',
    '?q=stationery&page=2',
    '?stage=open&sort=closing',
    `?buyer=${buyer}&category=goods&value=under-25k`,
    '?sme=yes&vcse=yes',
    '?q=plumbng',
    '?q=%22school%20meals%22%20-secondary',
    '?q=catering%20OR%20grounds&closing=30',
  ]) {
    const { body } = await api(qs);
    const { response, $ } = await getPage(app, `/opportunities${qs}`);
    t.equal(response.statusCode, 200, `page ${qs}`);
    const pageIds = $('.app-opportunity-list__title a').map((_, el) => Number($(el).attr('href')!.split('/').pop())).get();
    t.same(body.results.map((r) => r.id), pageIds, `same results in the same order: ${qs || '(none)'}`);
    const count = $('#result-count').text();
    if (body.total > 0) t.match(count, body.total.toLocaleString('en-GB'), `same total: ${qs}`);
  }
  const { body } = await api('?q=stationery&stage=awarded');
  t.equal(body.total, STATIONERY);
});

t.test('bad input: 400 JSON naming each bad parameter; over-long text is cut with a notice', async (t) => {
  let { response, body } = await api('?stage=secret&buyer=nobody&page=0&sort=random');
  t.equal(response.statusCode, 400);
  t.match(response.headers['content-type'], 'application/json');
  t.equal(body.error!.code, 'invalid_query');
  t.equal(response.headers['access-control-allow-origin'], '*', 'errors can be read by other sites too');
  t.ok(body.error!.requestId);
  for (const sentence of ['The stage must be one of', 'No organisation called “nobody”.', 'The order (sort) must be one of', 'The page number must be a whole number from 1 to 10,000.']) {
    t.match(body.error!.message, sentence);
  }
  for (const qs of ['?page=abc', '?page=1&page=2', '?q=a&q=b', '?cpv=999', '?cpv=00', '?closing=never', '?local=true', `?${'value=over-2m&'.repeat(60)}`]) {
    ({ response, body } = await api(qs));
    t.equal(response.statusCode, 400, qs);
    t.ok(body.error!.message.length > 20, `${qs}: ${body.error!.message}`);
  }

  ({ response, body } = await api(`?q=${'plumbing '.repeat(40)}`));
  t.equal(response.statusCode, 200);
  t.match(body.notices, [/only the first 200 were used/]);

  ({ response, body } = await api('?q=stationery&page=7'));
  t.equal(response.statusCode, 200, 'a page past the last is an empty page…');
  t.same(body.results, []);
  t.match(body.notices, [/There is no page 7 of these results: there are 2 pages\./], '…that says so');

  ({ response, body } = await api('?utm_source=newsletter'));
  t.equal(response.statusCode, 200, 'unknown parameters are ignored');

  response = await app.inject(`/api/opportunities?q=${'a'.repeat(3000)}`);
  t.equal(response.statusCode, 414);
  t.match(response.json(), { error: { code: 'uri_too_long' } });
});
