/**
 * Search synonyms, expanded by the app (a managed PostgreSQL cannot take dictionary files, and
 * Meilisearch takes the same groups as its synonyms setting).
 *
 * The file holds one group of equivalent phrases per line, separated by commas; `#` starts a
 * comment (a whole line or the rest of one); blank lines are ignored. A search for any phrase in a
 * group also finds the others. Matching ignores case, accents and a plural ending, so "Youth
 * Services" matches the phrase "youth service". A phrase in several groups is equivalent to every
 * phrase of each. The shipped file is data/search-synonyms.txt; loadSynonyms reads another.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { referenceDataDir } from '../../paths.js';

export const DEFAULT_SYNONYMS_FILE = path.join(referenceDataDir, 'search-synonyms.txt');

export interface SynonymSet {
  /** The groups as written (phrases trimmed, spaces collapsed), for Meilisearch's settings. */
  readonly groups: readonly (readonly string[])[];
  /** The most words in any phrase, so that matching knows how far to look ahead. */
  readonly maxWords: number;
  /**
   * The phrases equivalent to the given words (each phrase as its words, the given one
   * included), or undefined when the words are not a phrase of any group.
   */
  lookup(words: readonly string[]): readonly (readonly string[])[] | undefined;
}

export class SynonymsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SynonymsFileError';
  }
}

/** Letters, combining marks and digits: a phrase's words are the runs of these. */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;

export function phraseWords(phrase: string): string[] {
  return phrase.match(WORD) ?? [];
}

/**
 * The form words are compared in: lower case, accents removed, and a light plural folding
 * ("services" → "service", "activities" → "activity", "glasses" → "glass", "boxes" → "box",
 * "churches" → "church", "buses" → "bus"; not "gas" or "glass").
 */
export function normaliseWord(word: string): string {
  let w = word
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase();
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && /(?:ss|x|ch|sh|zz|bus)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) w = w.slice(0, -1);
  return w;
}

/**
 * The key a phrase is looked up by: its words normalised, without the "s" an apostrophe leaves
 * ("children's services", "childrens services" and "children services" are one key).
 */
export function synonymKey(words: readonly string[]): string {
  const kept = words.length > 1 ? words.filter((w) => w.toLowerCase() !== 's') : words;
  return kept.map(normaliseWord).join(' ');
}

export function parseSynonyms(text: string, source = 'synonyms'): SynonymSet {
  const groups: string[][] = [];
  const byKey = new Map<string, Map<string, string[]>>();
  let maxWords = 0;
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.replace(/#.*$/, '').trim();
    if (!line) return;
    const phrases = line
      .split(',')
      .map((p) => p.trim().replace(/\s+/g, ' '))
      .filter(Boolean);
    const where = `${source}, line ${index + 1}`;
    if (phrases.length < 2) throw new SynonymsFileError(`${where}: a group needs at least two phrases, separated by commas`);
    const parsed = phrases.map((phrase) => {
      const words = phraseWords(phrase);
      if (!words.length) throw new SynonymsFileError(`${where}: "${phrase}" has no letters or digits`);
      return words;
    });
    groups.push(phrases);
    for (const words of parsed) {
      maxWords = Math.max(maxWords, words.length);
      const key = synonymKey(words);
      const equivalents = byKey.get(key) ?? new Map<string, string[]>();
      for (const other of parsed) equivalents.set(synonymKey(other), other);
      byKey.set(key, equivalents);
    }
  });
  return {
    groups,
    maxWords,
    lookup(words) {
      const found = byKey.get(synonymKey(words));
      return found ? [...found.values()] : undefined;
    },
  };
}

/** Reads and parses a synonyms file; throws SynonymsFileError (with the line) when it is malformed. */
export function loadSynonyms(filePath: string): SynonymSet {
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (error) {
    throw new SynonymsFileError(`cannot read the synonyms file ${filePath}: ${(error as Error).message}`);
  }
  return parseSynonyms(text, filePath);
}

let shipped: SynonymSet | undefined;

/** The shipped synonyms (data/search-synonyms.txt), read once. */
export function defaultSynonyms(): SynonymSet {
  shipped ??= loadSynonyms(DEFAULT_SYNONYMS_FILE);
  return shipped;
}

export const NO_SYNONYMS: SynonymSet = parseSynonyms('');
