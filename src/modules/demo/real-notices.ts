/**
 * Real notices from Contracts Finder (data/real-notices/contracts-finder-2025-sample.json, OCDS
 * releases; Crown copyright, Open Government Licence v3.0) turned into the text, codes, values and
 * award suppliers the demo and benchmark opportunities reuse. Provenance stays visible: each
 * keeps its ocid, stored as the opportunity's `source_id` with source `contracts_finder`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { referenceDataDir } from '../../paths.js';
import type { MainCategory, Procedure } from '../opportunities/opportunities.table.js';
import type { SupplierSize } from '../suppliers/suppliers.table.js';

export const REAL_NOTICES_FILE = path.join(referenceDataDir, 'real-notices', 'contracts-finder-2025-sample.json');
export const REAL_NOTICE_SOURCE = 'contracts_finder';

export interface RealAwardSupplier {
  name: string;
  postcode: string | null;
  size: SupplierSize | null;
  vcse: boolean;
}

export interface RealNotice {
  ocid: string;
  /** What the latest release in the sample says the process reached. */
  kind: 'planning' | 'tender' | 'award';
  /** The sample holds an amendment or update of this process. */
  amended: boolean;
  title: string;
  summary: string;
  /** Markdown-safe description (see toMarkdown). */
  description: string;
  /** CPV codes that exist in cpv_codes, main first. */
  cpvCodes: string[];
  mainCategory: MainCategory;
  procedure: Procedure;
  valueMinPence: number | null;
  valueMaxPence: number | null;
  suitableForSme: boolean;
  suitableForVcse: boolean;
  /** Length of the contract in months, when the notice gave a contract period. */
  contractMonths: number | null;
  award: { valuePence: number | null; suppliers: RealAwardSupplier[] } | null;
}

/* The slice of OCDS the sample uses. */
interface OcdsValue {
  amount?: number;
}
interface OcdsParty {
  id: string;
  name: string;
  address?: { streetAddress?: string; postalCode?: string };
  details?: { scale?: string; vcse?: boolean };
  roles?: string[];
}
interface OcdsRelease {
  ocid: string;
  date: string;
  tag: string[];
  tender: {
    title?: string;
    description?: string;
    classification?: { id?: string };
    additionalClassifications?: { scheme?: string; id?: string }[];
    value?: OcdsValue;
    minValue?: OcdsValue;
    procurementMethod?: string;
    procurementMethodDetails?: string;
    contractPeriod?: { startDate?: string; endDate?: string };
    suitability?: { sme?: boolean; vcse?: boolean };
    mainProcurementCategory?: string;
  };
  parties?: OcdsParty[];
  awards?: { value?: OcdsValue; suppliers?: { id: string; name?: string | null }[] }[];
}

/**
 * Repairs the artefacts the data README mentions: line breaks that were flattened to a literal
 * "rn" (e.g. "information: rnThe Council", "Q&ArnNon Disclosure", ". rnb.tProposals", ": rnhttps://") and tabs
 * flattened to "t" after a bullet, a list mark or a space ("•t12", "2.tReview", "deadline tThursday").
 * A real word ending in "rn" is followed by a space, punctuation or a lower-case letter, so it is
 * left alone; "inrnprocessing" (a break inside a sentence) cannot be told apart and stays.
 * Runs of spaces (some of them no-break spaces) become one.
 */
export function repairText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/(?<![a-z])rn(?=[A-Z0-9•£\-\s]|$)/g, '\n')
    .replace(/(?<=[a-z])rn(?=[A-Z])/g, '\n')
    .replace(/(?<=[:;])rn|(?<![A-Za-z])rn(?=[a-z]\.|https?:\/\/|www\.)/g, '\n')
    .replace(/•t(?=\S)/g, '• ')
    .replace(/(?<=(?:^|\s)(?:\d+|[a-z])\.)t(?=[A-Z])/g, ' ')
    .replace(/(?<=\s)t(?=[A-Z][a-z])/g, '')
    .split('\n')
    .map((line) => line.replace(/[^\S\n]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Escapes Markdown emphasis and inline HTML outside URLs, so real text renders as written. */
function escapeMarkdown(line: string): string {
  return line
    .split(/(\bhttps?:\/\/\S+)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/([\\*`<>[\]])/g, '\\$1').replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')))
    .join('');
}

/**
 * Plain text with line breaks → the Markdown subset: each line a paragraph (the notices use
 * single line breaks between paragraphs), bullet lines ("•", "-", "*") a list.
 */
export function toMarkdown(text: string): string {
  const blocks: string[] = [];
  let list: string[] = [];
  const flush = () => {
    if (list.length) blocks.push(list.join('\n'));
    list = [];
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) {
      flush();
      continue;
    }
    const bullet = /^(?:[•*]|-(?=\s))\s*(.+)$/.exec(line);
    if (bullet) {
      list.push(`- ${escapeMarkdown(bullet[1]!)}`);
      continue;
    }
    flush();
    blocks.push(escapeMarkdown(line));
  }
  flush();
  return blocks.join('\n\n');
}

/**
 * The first sentence or two, at most about 240 characters, cut at a word. Many notices open by
 * repeating the title or with an "Additional information:" label: those lines are skipped, and
 * lines without closing punctuation (headings, list items) end with a full stop when joined.
 */
export function summarise(text: string, max = 240, title = ''): string {
  const skip = (line: string) => line.toLowerCase() === title.trim().toLowerCase() || /^additional information:?$/i.test(line);
  const lines = text
    .split('\n')
    .map((line) => line.replace(/^[•*-]\s*/, '').trim())
    .filter(Boolean);
  const kept = lines.filter((line) => !skip(line));
  const flat = (kept.length ? kept : lines).map((line, i, all) => (i < all.length - 1 && !/[.!?:;,]$/.test(line) ? `${line}.` : line)).join(' ');
  if (flat.length <= max) return flat;
  const sentences = flat.match(/[^.!?]+[.!?]+(\s|$)/g) ?? [];
  let out = '';
  for (const sentence of sentences) {
    if ((out + sentence).length > max) break;
    out += sentence;
  }
  if (out.trim().length >= 60) return out.trim();
  const cut = flat.slice(0, max - 1);
  return `${cut.slice(0, cut.lastIndexOf(' ') > 0 ? cut.lastIndexOf(' ') : cut.length).replace(/[,;:\s]+$/, '')}…`;
}

const POSTCODE = /\b([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})\b/i;

export function findPostcode(text: string | undefined): string | null {
  const match = text ? POSTCODE.exec(text) : null;
  return match ? `${match[1]!.toUpperCase()} ${match[2]!.toUpperCase()}` : null;
}

function pence(value: OcdsValue | undefined): number | null {
  const amount = value?.amount;
  // Contracts Finder uses £0.01 and similar as "not disclosed".
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 1) return null;
  return Math.round(amount * 100);
}

function procedureOf(details: string | undefined, method: string | undefined): Procedure {
  const d = (details ?? '').toLowerCase();
  if (/framework|dynamic purchasing/.test(d)) return 'framework_call_off';
  if (/direct award|single tender/.test(d) || method === 'direct') return 'direct_award';
  if (/quotation/.test(d)) return 'request_for_quotation';
  if (/open.*below threshold|below threshold.*open/.test(d)) return 'below_threshold_open';
  if (/open/.test(d) || method === 'open') return 'open';
  if (/restricted|negotiat|competitive/.test(d) || method === 'selective' || method === 'limited') return 'competitive_flexible';
  return 'other';
}

export function categoryOf(declared: string | undefined, mainCpv: string | undefined): MainCategory {
  if (declared === 'goods' || declared === 'services' || declared === 'works') return declared;
  const division = Number(mainCpv?.slice(0, 2) ?? '79');
  if (division === 45) return 'works';
  return division < 45 || division === 48 ? 'goods' : 'services';
}

function months(start: string | undefined, end: string | undefined): number | null {
  if (!start || !end) return null;
  const ms = Date.parse(end) - Date.parse(start);
  if (!Number.isFinite(ms) || ms <= 0) return null;
  return Math.max(1, Math.round(ms / (30.44 * 86_400_000)));
}

function sizeOf(scale: string | undefined): SupplierSize | null {
  if (scale === 'large') return 'large';
  // Contracts Finder says only "SME"; small is the commonest band.
  if (scale === 'sme') return 'small';
  return null;
}

/**
 * Reads the sample: one RealNotice per contracting process (ocid), from its latest release.
 * `cpvCodes` is the set of codes in cpv_codes; codes outside it (or with a check digit) are dropped.
 */
const NAMED_PUBLIC_BODY = /\b[A-Z][\w'&-]*(?: [A-Z][\w'&-]*)* (?:County|District|Borough|City|Metropolitan|Town|Parish|Combined) (?:Council|Authority)\b|\bNHS\b|\bUniversity\b|\bConstabulary\b|\bFire and Rescue\b/;

export function namesAnotherBody(text: string, buyerName: string | undefined): boolean {
  if (buyerName && buyerName.length > 3 && text.toLowerCase().includes(buyerName.toLowerCase())) return true;
  return NAMED_PUBLIC_BODY.test(text);
}

export function loadRealNotices(cpvCodes: ReadonlySet<string>, file = REAL_NOTICES_FILE): RealNotice[] {
  const { releases } = JSON.parse(readFileSync(file, 'utf8')) as { releases: OcdsRelease[] };
  const byOcid = new Map<string, OcdsRelease[]>();
  for (const release of releases) {
    const group = byOcid.get(release.ocid) ?? [];
    group.push(release);
    byOcid.set(release.ocid, group);
  }

  const notices: RealNotice[] = [];
  for (const [ocid, group] of byOcid) {
    group.sort((a, b) => a.date.localeCompare(b.date));
    const latest = group[group.length - 1]!;
    const tags = new Set(group.flatMap((r) => r.tag));
    const tender = latest.tender;
    const title = repairText(tender.title ?? '').replace(/\n/g, ' ');
    const text = repairText(tender.description ?? '') || title;
    if (!title) continue;
    // The demo shows these notices under the demo's own buyers: leave out those that name the real
    // buyer or another public body, which would read as the wrong organisation's contract.
    const buyerName = (latest.parties ?? []).find((p) => p.roles?.includes('buyer'))?.name;
    if (namesAnotherBody(`${title}\n${text}`, buyerName)) continue;

    const codes = [tender.classification?.id, ...(tender.additionalClassifications ?? []).map((c) => c.id)]
      // OCDS sometimes carries the check digit ("77310000-6"): the first eight digits are the code.
      .map((id) => /^(\d{8})(-\d)?$/.exec(id ?? '')?.[1])
      .filter((code): code is string => code !== undefined && cpvCodes.has(code));
    const cpv = [...new Set(codes)];
    if (cpv.length === 0) continue;

    let min = pence(tender.minValue);
    let max = pence(tender.value);
    if (min !== null && max !== null && min > max) [min, max] = [max, min];

    const kind = tags.has('award') || tags.has('awardUpdate') ? 'award' : tags.has('tender') || tags.has('tenderAmendment') ? 'tender' : 'planning';
    let award: RealNotice['award'] = null;
    if (kind === 'award' && latest.awards?.length) {
      const parties = new Map((latest.parties ?? []).map((p) => [p.id, p]));
      const seen = new Set<string>();
      const suppliers: RealAwardSupplier[] = [];
      for (const s of latest.awards.flatMap((a) => a.suppliers ?? [])) {
        const name = repairText(s.name ?? parties.get(s.id)?.name ?? '').replace(/\n/g, ' ');
        if (!name || seen.has(name.toLowerCase())) continue;
        seen.add(name.toLowerCase());
        const party = parties.get(s.id);
        suppliers.push({
          name,
          postcode: findPostcode(party?.address?.postalCode) ?? findPostcode(party?.address?.streetAddress),
          size: sizeOf(party?.details?.scale),
          vcse: party?.details?.vcse === true,
        });
      }
      const total = latest.awards.reduce((sum, a) => sum + (pence(a.value) ?? 0), 0);
      if (suppliers.length) award = { valuePence: total || null, suppliers };
    }

    notices.push({
      ocid,
      kind,
      amended: group.length > 1 || tags.has('tenderAmendment') || tags.has('awardUpdate'),
      title,
      summary: summarise(text, 240, title),
      description: toMarkdown(text),
      cpvCodes: cpv,
      mainCategory: categoryOf(tender.mainProcurementCategory, cpv[0]),
      procedure: procedureOf(tender.procurementMethodDetails, tender.procurementMethod),
      valueMinPence: min,
      valueMaxPence: max,
      suitableForSme: tender.suitability?.sme === true,
      suitableForVcse: tender.suitability?.vcse === true,
      contractMonths: months(tender.contractPeriod?.startDate, tender.contractPeriod?.endDate),
      award,
    });
  }
  return notices;
}
