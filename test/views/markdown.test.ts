// The Markdown subset for descriptions: what it renders, and what it refuses to.
import * as cheerio from 'cheerio';
import t from 'tap';
import { renderMarkdown } from '../../src/lib/markdown.js';

t.test('paragraphs, lists, emphasis and safe links, with GOV.UK classes', async (t) => {
  const $ = cheerio.load(renderMarkdown('We need *two* **crews**.\n\n- grass\n- hedges\n\n1. first\n2. second\n\n[Plan](https://example.com/plan), [mail](mailto:a@example.com), https://www.gov.uk'), null, false);
  t.equal($('p.govuk-body').length, 2);
  t.equal($('em').text(), 'two');
  t.equal($('strong').text(), 'crews');
  t.same($('ul.govuk-list.govuk-list--bullet li').map((_, el) => $(el).text()).get(), ['grass', 'hedges']);
  t.same($('ol.govuk-list.govuk-list--number li').map((_, el) => $(el).text()).get(), ['first', 'second']);
  t.same($('a.govuk-link').map((_, el) => $(el).attr('href')).get(), ['https://example.com/plan', 'mailto:a@example.com', 'https://www.gov.uk']);
  t.same($('a').map((_, el) => $(el).attr('rel')).get(), ['nofollow', 'nofollow', 'nofollow']);
  t.equal(renderMarkdown(''), '');
  t.equal(renderMarkdown(null), '');
});

t.test('raw HTML is text and script links are not links', async (t) => {
  const source = [
    '<script>alert(1)</script>',
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '[a](javascript:alert(1)) [b](JavaScript:alert(1)) [c](java\tscript:alert(1)) [d](data:text/html;base64,PHNjcmlwdD4=) [e](vbscript:msgbox) [f](/relative) <javascript:alert(1)>',
    '![image](https://example.com/x.png)',
  ].join('\n\n');
  const html = renderMarkdown(source);
  const $ = cheerio.load(html, null, false);
  t.equal($('script, img, iframe, style').length, 0, 'no element from raw HTML');
  t.equal($('[onerror], [onclick]').length, 0);
  t.same($('a').map((_, el) => $(el).attr('href')).get(), ['https://example.com/x.png'], 'only the http(s) target becomes a link');
  t.match($.text(), '<script>alert(1)</script>', 'the HTML is shown as typed');
  t.match($.text(), '[a](javascript:alert(1))');
});

t.test('everything outside the subset stays plain text', async (t) => {
  const $ = cheerio.load(renderMarkdown('# Heading\n\n> quote\n\n```\ncode\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---'), null, false);
  t.equal($('h1, h2, blockquote, pre, code, table, hr').length, 0);
  t.match($.text(), '# Heading');
});
