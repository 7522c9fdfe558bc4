/**
 * The Markdown subset buyers write descriptions in: paragraphs, bulleted and numbered lists,
 * emphasis and links (http, https and mailto only). Raw HTML is never passed through (html:
 * false: it is shown as text), and every other Markdown feature is switched off, so what a buyer
 * types cannot break the page or run script. Output carries GOV.UK Frontend's classes.
 */
import MarkdownIt from 'markdown-it';

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

// The 'zero' preset has every rule off; turn on only the subset.
const md = new MarkdownIt('zero', { html: false, linkify: true, typographer: false, breaks: false });
md.enable(['paragraph', 'list', 'emphasis', 'link', 'autolink', 'linkify', 'escape', 'entity', 'newline']);

// A link whose target is not http(s) or mailto (javascript:, data:, relative paths…) stays as
// the literal Markdown text. markdown-it calls this with the normalised URL.
md.validateLink = (url: string) => SAFE_LINK.test(url.trim());

const CLASSES: Record<string, string> = {
  paragraph_open: 'govuk-body',
  bullet_list_open: 'govuk-list govuk-list--bullet',
  ordered_list_open: 'govuk-list govuk-list--number',
  link_open: 'govuk-link',
};

// Add the classes (and rel="nofollow" on links: the text is written by third parties) once the
// tokens exist, rather than overriding each renderer rule.
md.core.ruler.push('portal_classes', (state) => {
  const visit = (tokens: typeof state.tokens) => {
    for (const token of tokens) {
      const className = CLASSES[token.type];
      if (className) token.attrJoin('class', className);
      if (token.type === 'link_open') token.attrSet('rel', 'nofollow');
      if (token.children) visit(token.children);
    }
  };
  visit(state.tokens);
});

/** Renders the Markdown subset to safe HTML. */
export function renderMarkdown(source: string | null | undefined): string {
  if (!source) return '';
  return md.render(source);
}
