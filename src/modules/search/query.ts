/**
 * The search box's little language, parsed into a structure every backend can use, and the
 * PostgreSQL tsquery built from it.
 *
 * Grammar (forgiving: any input parses, nothing throws):
 *   query   := item*
 *   item    := "OR" | "AND" | "NOT" | ["-"] term          (OR, AND, NOT only in capitals)
 *   term    := '"' any-text ['"'] | word-ish
 * - Terms next to each other must all match (AND); `a OR b` makes them alternatives, and binds
 *   tighter than AND: `youth OR young people` is (youth | young) & people.
 * - "quoted phrases" match those words next to each other; a missing closing quote ends the
 *   phrase at the end of the text. Straight and curly quotes both count.
 * - `-word` and `-"a phrase"` (or NOT before a term) exclude; a lone "-" is ignored.
 * - Words are runs of letters, marks and digits; everything else (punctuation, symbols, tsquery
 *   operators, SQL or HTML) separates words and is dropped. A token with inner punctuation
 *   ("e-learning", "co-operative", "children's") becomes the phrase of its parts, as
 *   PostgreSQL's parser splits it the same way.
 * - Stray operators (leading or trailing OR, "OR OR", OR next to an exclusion, AND) are ignored.
 * - Unquoted words are expanded with synonyms: the longest run of consecutive words that is a
 *   phrase of a synonym group matches as typed (words ANDed, so "grounds maintenance" still finds
 *   "maintenance of the grounds") or as any other phrase of the group (as a phrase). Within such
 *   a run an abbreviation typed in capitals ("IT") is expanded too, since "it" alone is a stop
 *   word. Alternatives that imply another are dropped ("cleaning services | cleaning" is
 *   "cleaning"). Quoted phrases and exclusions are taken literally.
 * - A typed word that is only a stop word but has synonyms ("IT", "it") ranks rather than
 *   restricts: PostgreSQL indexes neither the query's nor the documents' "it", so a document
 *   saying "IT support" is indexed as "support". `IT support` is therefore
 *   ((information <-> technology | ict) & support) | support: every "support", those about
 *   information technology first. Alone (`IT`, `IT OR ICT`) it stands for its synonyms.
 * - An unquoted typed word with an American -ize spelling also matches the British -ise one
 *   ("organization" | "organisation"); other spelling pairs are synonym groups in the file.
 * - Limits: MAX_TERMS terms, MAX_WORDS_PER_TERM words each, MAX_WORD_LENGTH characters a word.
 *
 * The tsquery: built here as text and given to PostgreSQL's to_tsquery (bound as a parameter)
 * rather than websearch_to_tsquery, because synonyms need grouping — ((grounds & maintenance) |
 * landscaping) & contract — which websearch syntax cannot express. It is safe by construction:
 * operands contain only letters, marks and digits, so to_tsquery cannot meet a syntax error;
 * to_tsquery then stems and accent-folds each operand with the `portal_english` configuration and
 * drops stop words (an operand that is only stop words is removed from the tree, so "the OR x"
 * is just x).
 */
import { NO_SYNONYMS, normaliseWord, phraseWords, type SynonymSet } from './synonyms.js';

export interface QueryTerm {
  /** The words (letters, marks and digits only), in order; never empty. */
  words: string[];
  /** Typed in quotes: an exact phrase, not expanded with synonyms. */
  quoted: boolean;
  /** One word typed in capitals, 2 to 5 letters ("IT", "PPE", "CCTV"): an abbreviation. */
  acronym?: boolean;
  /**
   * Only PostgreSQL stop words ("IT", "it"), which neither the query nor the documents index:
   * when it has synonyms it ranks the matches rather than restricting them (see the grammar).
   */
  stopWords?: boolean;
}

export interface QueryClause {
  /**
   * What was typed, all of which must match: one term, or the consecutive terms whose words
   * together are a synonym phrase (still matched as typed — `grounds maintenance` finds
   * "maintenance of the grounds" — with the group's other phrases as alternatives).
   */
  typed: QueryTerm[];
  /**
   * For each typed term, the other phrases of its own synonym group when it is an abbreviation
   * inside a multi-word synonym match (so that "IT helpdesk" also means "information technology
   * helpdesk": "it" alone is a stop word, which PostgreSQL drops); otherwise empty lists.
   */
  typedSynonyms: string[][][];
  /** The other phrases of its synonym groups (each as words, matched as phrases); may be empty. */
  synonyms: string[][];
}

export interface ParsedQuery {
  /** All of these must match (AND); one matches when any of its clauses does (the user's OR). */
  required: QueryClause[][];
  /** None of these may match. */
  excluded: QueryTerm[];
}

/** Limits that keep a query (and so its tsquery) small whatever is typed. */
export const MAX_TERMS = 24;
export const MAX_WORDS_PER_TERM = 12;
export const MAX_WORD_LENGTH = 60;

/**
 * PostgreSQL's English stop words (share/tsearch_data/english.stop, used by portal_english),
 * which to_tsquery and to_tsvector drop. A test checks this list against PostgreSQL.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its itself they them ' +
    'their theirs themselves what which who whom this that these those am is are was were be been being have has had having do does did doing ' +
    'a an the and but if or because as until while of at by for with about against between into through during before after above below to ' +
    'from up down in out on off over under again further then once here there when where why how all any both each few more most other some ' +
    'such no nor not only own same so than too very s t can will just don should now'
  ).split(' '),
);

/** Whether all the words are stop words (so PostgreSQL searches for none of them). */
export function onlyStopWords(words: readonly string[]): boolean {
  return words.every((w) => STOP_WORDS.has(w.toLowerCase()));
}

/** The British spelling of an American -ize word ("organization" → "organisation"), or undefined. */
export function britishSpelling(word: string): string | undefined {
  const m = /^(\p{L}{3,})iz(e|ed|es|er|ers|ing|ation|ations)$/u.exec(word);
  return m ? `${m[1]}is${m[2]}` : undefined;
}

const QUOTES = new Set(['"', '\u201c', '\u201d', '\u201e', '\u00ab', '\u00bb']);
const DASHES = new Set(['-', '\u2212']);
const isSpace = (c: string) => /\s/u.test(c);
const isWordChar = (c: string) => /[\p{L}\p{M}\p{N}]/u.test(c);

type Token = { kind: 'term'; term: QueryTerm; negated: boolean } | { kind: 'or' };

function wordsOf(text: string): string[] {
  return phraseWords(text)
    .map((w) => w.slice(0, MAX_WORD_LENGTH).toLowerCase())
    .slice(0, MAX_WORDS_PER_TERM);
}

/** Splits the text into terms and OR markers (step one of parseQuery). */
export function tokenize(text: string): Token[] {
  const chars = [...text];
  const tokens: Token[] = [];
  let negateNext = false;
  let i = 0;
  let terms = 0;
  const push = (words: string[], quoted: boolean, negated: boolean, raw = '') => {
    if (!words.length || terms >= MAX_TERMS) return;
    terms++;
    const term: QueryTerm = { words, quoted };
    if (!quoted && /^\p{Lu}{2,5}$/u.test(raw)) term.acronym = true;
    if (onlyStopWords(words)) term.stopWords = true;
    tokens.push({ kind: 'term', term, negated });
  };
  while (i < chars.length) {
    const c = chars[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    let negated = negateNext;
    negateNext = false;
    let start = i;
    if (DASHES.has(c)) {
      const next = chars[i + 1];
      // "-word" or -"phrase" excludes; a dash before a space (or at the end) is a stray one.
      if (next !== undefined && (isWordChar(next) || QUOTES.has(next))) {
        negated = true;
        start = i + 1;
      } else {
        i++;
        continue;
      }
    }
    if (QUOTES.has(chars[start]!)) {
      let end = start + 1;
      while (end < chars.length && !QUOTES.has(chars[end]!)) end++;
      push(wordsOf(chars.slice(start + 1, end).join('')), true, negated);
      i = end + 1;
      continue;
    }
    let end = start;
    while (end < chars.length && !isSpace(chars[end]!) && !QUOTES.has(chars[end]!)) end++;
    const raw = chars.slice(start, end).join('');
    i = end;
    if (!negated && (raw === 'OR' || raw === '|' || raw === '||')) {
      tokens.push({ kind: 'or' });
      continue;
    }
    if (!negated && (raw === 'AND' || raw === '&' || raw === '&&' || raw === '+')) continue;
    if (!negated && raw === 'NOT') {
      negateNext = true;
      continue;
    }
    push(wordsOf(raw), false, negated, raw);
  }
  return tokens;
}

/**
 * Merges runs of consecutive unquoted, positive terms that form a synonym phrase into one
 * clause (longest match first), and makes every other positive term a clause of its own.
 */
function expandSynonyms(tokens: Token[], synonyms: SynonymSet): (QueryClause | Token)[] {
  const out: (QueryClause | Token)[] = [];
  const expandable = (t: Token | undefined): boolean => t?.kind === 'term' && !t.negated && !t.term.quoted;
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!;
    if (token.kind !== 'term' || !expandable(token)) {
      out.push(token.kind === 'term' && !token.negated ? { typed: [token.term], typedSynonyms: [[]], synonyms: [] } : token);
      i++;
      continue;
    }
    let matched: { terms: QueryTerm[]; words: string[]; phrases: readonly (readonly string[])[] } | undefined;
    const run: QueryTerm[] = [];
    for (let j = i; j < tokens.length && expandable(tokens[j]) && run.flatMap((t) => t.words).length < synonyms.maxWords; j++) {
      run.push((tokens[j] as Extract<Token, { kind: 'term' }>).term);
      const words = run.flatMap((t) => t.words);
      const phrases = synonyms.lookup(words);
      if (phrases) matched = { terms: [...run], words, phrases };
    }
    if (matched) {
      const others = (words: string[], phrases: readonly (readonly string[])[] | undefined) => {
        const key = words.map(normaliseWord).join(' ');
        return (phrases ?? []).filter((p) => p.map(normaliseWord).join(' ') !== key).map((p) => p.map((w) => w.toLowerCase()));
      };
      // An abbreviation or a stop word ("IT", "it") inside a longer phrase stands for its own group too.
      const typedSynonyms =
        matched.terms.length > 1 ? matched.terms.map((term) => (term.acronym || term.stopWords ? others(term.words, synonyms.lookup(term.words)) : [])) : [[]];
      out.push({ typed: matched.terms, typedSynonyms, synonyms: others(matched.words, matched.phrases) });
      i += matched.terms.length;
    } else {
      out.push({ typed: [token.term], typedSynonyms: [[]], synonyms: [] });
      i++;
    }
  }
  return out;
}

/** Parses what the user typed. Never throws; an empty structure means "no text". */
export function parseQuery(text: string, synonyms: SynonymSet = NO_SYNONYMS): ParsedQuery {
  const items = expandSynonyms(tokenize(typeof text === 'string' ? text : ''), synonyms);
  const required: QueryClause[][] = [];
  const excluded: QueryTerm[] = [];
  let orPending = false;
  let lastWasPositive = false;
  for (const item of items) {
    if ('typed' in item) {
      if (orPending && lastWasPositive) required[required.length - 1]!.push(item);
      else required.push([item]);
      lastWasPositive = true;
      orPending = false;
    } else if (item.kind === 'or') {
      orPending = lastWasPositive;
    } else {
      // An exclusion (negated term): OR next to it means nothing.
      excluded.push(item.term);
      lastWasPositive = false;
      orPending = false;
    }
  }
  return { required, excluded };
}

export function hasText(parsed: ParsedQuery): boolean {
  return parsed.required.length > 0 || parsed.excluded.length > 0;
}

/** The words typed as positive terms, in order (synonyms not included). */
export function positiveWords(parsed: ParsedQuery): string[] {
  return parsed.required.flatMap((group) => group.flatMap((clause) => clause.typed.flatMap((term) => term.words)));
}

type Weight = 'A' | 'B' | 'C' | 'D';

interface TsOptions {
  /** Restrict every operand to this weight (`A`: the title). */
  weight?: Weight;
  /** Phrases as plain AND (a superset of the matches, which a GIN index answers without rechecking rows). */
  relaxPhrases?: boolean;
}

/**
 * How stop-word terms with synonyms ("IT") are built: `full` as their synonyms (required),
 * `strict` left out (they match anything, as PostgreSQL cannot search for them).
 */
type Mode = 'full' | 'strict';

/** A word as a tsquery operand; with `variants`, an -ize word also matches its -ise spelling. */
function wordTs(word: string, options: TsOptions, variants: boolean): string {
  const op = (w: string) => (options.weight ? `${w}:${options.weight}` : w);
  const british = variants ? britishSpelling(word) : undefined;
  return british ? `(${op(word)} | ${op(british)})` : op(word);
}

function phraseTs(words: readonly string[], options: TsOptions, variants = false): string {
  const ops = words.map((w) => wordTs(w, options, variants));
  return ops.length === 1 ? ops[0]! : `(${ops.join(options.relaxPhrases ? ' & ' : ' <-> ')})`;
}

/** An alternative of a clause, for finding redundant ones: its words, and whether they must be adjacent. */
interface Alternative {
  words: string[];
  adjacent: boolean;
}

/** Whether matching `a` always means matching `b` (so that `a | b` is just `b`). */
function implies(a: Alternative, b: Alternative): boolean {
  const aw = a.words.map(normaliseWord);
  const bw = b.words.map(normaliseWord);
  if (bw.length === 1) return aw.includes(bw[0]!);
  if (!b.adjacent) return bw.every((w) => aw.includes(w));
  if (!a.adjacent) return false;
  for (let i = 0; i + bw.length <= aw.length; i++) if (bw.every((w, j) => aw[i + j] === w)) return true;
  return false;
}

/** The synonym phrases PostgreSQL can search for (a phrase of stop words only, "IT", it would drop). */
const searchable = (phrases: readonly string[][] | undefined): string[][] => (phrases ?? []).filter((words) => !onlyStopWords(words));

/**
 * Whether the typed term at `index` is a stop-word term that stands for its synonyms ("IT"): in
 * `strict` mode it is left out, in `full` mode replaced by them.
 */
function isWeak(clause: QueryClause, index: number): boolean {
  const term = clause.typed[index]!;
  if (!term.stopWords || term.quoted) return false;
  const own = clause.typed.length === 1 ? clause.synonyms : clause.typedSynonyms[index];
  return searchable(own).length > 0;
}

/** A clause's alternatives as tsquery text; null when, in `strict` mode, it matches anything. */
function clauseAlternatives(clause: QueryClause, options: TsOptions, mode: Mode): { ts: string; alt: Alternative | null }[] | null {
  const synonyms = searchable(clause.synonyms).map((words) => ({ ts: phraseTs(words, options), alt: { words, adjacent: true } as Alternative | null }));
  const kept = clause.typed.map((term, i) => ({ term, i })).filter(({ i }) => !(mode === 'strict' && isWeak(clause, i)));
  if (!kept.length) return null;
  const single = clause.typed.length === 1;
  if (single && isWeak(clause, 0)) return synonyms;
  let withSynonyms = false;
  const typed = kept.map(({ term, i }) => {
    const own = single ? [] : searchable(clause.typedSynonyms[i]);
    if (own.length) withSynonyms = true;
    const alternatives = [...(isWeak(clause, i) ? [] : [phraseTs(term.words, options, !term.quoted)]), ...own.map((s) => phraseTs(s, options))];
    return alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(' | ')})`;
  });
  const typedWords = kept.flatMap(({ term }) => term.words);
  const variants = kept.some(({ term }) => !term.quoted && term.words.some((w) => britishSpelling(w)));
  // The typed terms (ANDed; a single term is a phrase), then each synonym phrase.
  return [
    {
      ts: typed.length === 1 ? typed[0]! : `(${typed.join(' & ')})`,
      alt: withSynonyms || variants ? null : { words: typedWords, adjacent: kept.length === 1 },
    },
    ...synonyms,
  ];
}

/**
 * An OR group's alternatives as tsquery text, less those that imply another (`cleaning services
 * | cleaning` is `cleaning`; of equal ones the first is kept): the same matches, a smaller query.
 * null when, in `strict` mode, one of its clauses matches anything.
 */
function groupTs(group: QueryClause[], options: TsOptions, mode: Mode): string[] | null {
  const candidates: { ts: string; alt: Alternative | null }[] = [];
  for (const clause of group) {
    const alternatives = clauseAlternatives(clause, options, mode);
    if (!alternatives) return null;
    candidates.push(...alternatives);
  }
  const redundant = (c: (typeof candidates)[number], i: number) =>
    c.alt !== null && candidates.some((other, j) => j !== i && other.alt !== null && implies(c.alt!, other.alt) && (!implies(other.alt, c.alt!) || j < i));
  return candidates.filter((c, i) => !redundant(c, i)).map((c) => c.ts);
}

function requiredTs(parsed: ParsedQuery, options: TsOptions, mode: Mode): string[] {
  return parsed.required.flatMap((group) => {
    const alternatives = groupTs(group, options, mode);
    if (!alternatives?.length) return [];
    return [alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(' | ')})`];
  });
}

/**
 * The query as to_tsquery text: AND of the required groups (each an OR of its clauses and their
 * synonyms), AND NOT each exclusion. With `weight`, or `relaxPhrases`, only the required part:
 * with `weight` every operand restricted to that weight (`A`: "all of it is in the title"), with
 * `relaxPhrases` phrases loosened to AND. '' when there is nothing to search for.
 *
 * When a typed stop word stands for its synonyms ("IT"), the required part is `full | strict`:
 * with them required, or else without it (see the grammar); just `full` when it is all there is.
 */
export function toTsqueryText(parsed: ParsedQuery, options: TsOptions = {}): string {
  const full = requiredTs(parsed, options, 'full');
  const strict = requiredTs(parsed, options, 'strict');
  const joined = (parts: string[]) => parts.join(' & ');
  let parts = full;
  if (strict.length && joined(strict) !== joined(full)) {
    const wrap = (p: string[]) => (p.length === 1 ? p[0]! : `(${joined(p)})`);
    parts = [`(${wrap(full)} | ${wrap(strict)})`];
  }
  if (!options.weight && !options.relaxPhrases) parts = [...parts, ...parsed.excluded.map((term) => `!${phraseTs(term.words, {})}`)];
  return joined(parts);
}

/** The exclusions alone, as to_tsquery text matching any of them ('' when none). */
export function exclusionsTsqueryText(parsed: ParsedQuery): string {
  return parsed.excluded.map((term) => phraseTs(term.words, {})).join(' | ');
}

/**
 * The text with some words replaced (whole words, any case), keeping everything else as typed:
 * for "Did you mean …".
 */
export function replaceWords(text: string, replacements: ReadonlyMap<string, string>): string {
  return text.replace(/[\p{L}\p{M}\p{N}]+/gu, (word) => replacements.get(word.toLowerCase()) ?? word);
}

/** pg_trgm's trigrams of a word: lower case, padded with two spaces before and one after. */
export function trigrams(word: string): Set<string> {
  const padded = `  ${word.toLowerCase()} `;
  const chars = [...padded];
  const set = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i++) set.add(chars.slice(i, i + 3).join(''));
  return set;
}

/** pg_trgm's similarity of two words: shared trigrams over all distinct trigrams (0…1). */
export function trigramSimilarity(a: string, b: string): number {
  const ta = trigrams(a);
  const tb = trigrams(b);
  let shared = 0;
  for (const t of ta) if (tb.has(t)) shared++;
  const all = ta.size + tb.size - shared;
  return all === 0 ? 0 : shared / all;
}

/**
 * The candidate most like `word` (trigram similarity at least `minSimilarity`), preferring the
 * more frequent on a tie; undefined when none is close enough or the best is the word itself.
 */
export function closestWord(word: string, candidates: Iterable<string>, minSimilarity = 0.4): string | undefined {
  const lower = word.toLowerCase();
  const counts = new Map<string, number>();
  for (const c of candidates) {
    const w = c.toLowerCase();
    if ([...w].length >= 3 && !/^\d+$/.test(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  let best: { word: string; score: number; count: number } | undefined;
  for (const [candidate, count] of counts) {
    const score = trigramSimilarity(lower, candidate);
    if (score < minSimilarity) continue;
    if (!best || score > best.score || (score === best.score && count > best.count)) best = { word: candidate, score, count };
  }
  if (!best || best.word === lower || normaliseWord(best.word) === normaliseWord(lower)) return undefined;
  return best.word;
}
