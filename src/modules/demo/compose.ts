/**
 * Composes demo and benchmark opportunities as plain data ("plans"), deterministically from a
 * seeded Random and a fixed `now`. A plan holds the final working copy, its lots and awards, and
 * the steps of its public history (publish, amend, close, award, cancel), each of which becomes a
 * release. demo-data.ts writes plans through the real release writer; bulk-data.ts builds the
 * same releases in memory with buildSnapshot and copies them in. Both read the working copy as it
 * stood at each step from `columnsAt`, so the two modes cannot drift apart.
 */
import type { opportunities, MainCategory, NoticeStage, OpportunityStatus, Procedure, Reservation, ReleaseTag } from '../opportunities/opportunities.table.js';
import type { PublicAwardSupplier } from '../opportunities/opportunities.snapshot.js';
import { tagsForStage } from '../opportunities/releases.js';
import { isLocal, namedSupplier, officer, type AreaContext, type DemoBuyer, type DemoSupplier, type Place } from './organisations.js';
import type { Random } from './random.js';
import { REAL_NOTICE_SOURCE, type RealNotice } from './real-notices.js';
import { AMENDMENTS, CANCELLATION_REASONS, ENGAGEMENT_DETAILS, EXTENSIONS, SOCIAL_VALUE_ASKS, type OpportunityTemplate } from './templates.js';
import type { ThresholdKind, Thresholds } from '../opportunities/thresholds.js';
import { addDays, addMinutes, addMonthsToDate, dayBefore, DAY, londonAt, londonDate } from './time.js';

/** Every column of the working copy except the ids. */
export type OpportunityColumns = Omit<typeof opportunities.$inferSelect, 'id' | 'buyerId' | 'createdBy'>;

export interface PlannedLot {
  position: number;
  title: string;
  description: string;
  valuePence: number | null;
}

/** An award supplier as planned: a PublicAwardSupplier whose demo supplier is known by key until inserted. */
export type PlannedAwardSupplier = Omit<PublicAwardSupplier, 'supplierId'> & {
  /** A demo supplier's key (organisations.ts), or null for a supplier known only by name. */
  supplierKey: string | null;
};

export interface PlannedAward {
  lotPosition: number | null;
  awardedOn: string;
  valuePence: number | null;
  contractStart: string | null;
  contractEnd: string | null;
  socialValueCommitments: string | null;
  suppliers: PlannedAwardSupplier[];
}

export type StepKind = 'publish' | 'amend' | 'close' | 'award' | 'cancel';

export interface PlannedStep {
  kind: StepKind;
  at: Date;
  /** The notice stage once the step is done. */
  stage: NoticeStage;
  changeNote: string | null;
}

export interface PlannedOpportunity {
  buyerIndex: number;
  /** The working copy at the end (what the latest release shows, for released ones). */
  final: OpportunityColumns;
  /** Columns as they were before the amendment step, when there is one. */
  beforeAmendment: Partial<OpportunityColumns> | null;
  lots: PlannedLot[];
  awards: PlannedAward[];
  /** Empty for drafts and scheduled ones: they have no release. */
  steps: PlannedStep[];
}

/**
 * full: the history an officer's clicks would leave (an awarded tender: published open, closed,
 * awarded). short: only the latest release, plus the first one when amended or cancelled — the
 * benchmark's shape, which keeps 100,000 opportunities quick to load.
 */
export type HistoryStyle = 'full' | 'short';

export interface Scenario {
  status: OpportunityStatus;
  /** For drafts and scheduled ones the stage they will be published in; for cancelled ones the stage they were cancelled in. */
  stage: NoticeStage;
  amended?: boolean;
  /** An open one whose tender deadline is within 7 days. */
  closingSoon?: boolean;
  /** A scheduled one due this many minutes after `now`. */
  publishInMinutes?: number;
  history: HistoryStyle;
}

export interface ComposeContext {
  rng: Random;
  now: Date;
  area: AreaContext;
  buyers: DemoBuyer[];
  suppliers: DemoSupplier[];
  thresholds: Thresholds;
  /** Next reference number per buyer and year. */
  references: Map<string, number>;
}

/** What an opportunity says, before it is placed in time. */
interface Content {
  title: string;
  summary: string;
  description: string;
  procedure: Procedure | null;
  mainCategory: MainCategory;
  cpvCodes: string[];
  valueMinPence: number | null;
  valueMaxPence: number | null;
  suitableForSme: boolean;
  suitableForVcse: boolean;
  thresholdKind: ThresholdKind;
  reservable: boolean;
  lots: Omit<PlannedLot, 'position'>[];
  contractMonths: number;
  extensions: string | null;
  framework: boolean;
  socialValue: { localJobs: boolean; apprenticeships: boolean; other: string | null };
  deliveryLocation: string | null;
  source: string;
  sourceId: string | null;
  realAward: RealNotice['award'];
  supplierKeys: string[];
  tradeNames: string[];
}

/** How likely a template's opportunity is a multi-supplier framework (others are rarely). */
const FRAMEWORK_LIKELIHOOD: Record<string, number> = {
  legal: 0.8,
  'temporary-staff': 0.7,
  'home-care': 0.6,
  'community-transport': 0.5,
  'building-repairs': 0.3,
  'it-support': 0.2,
};

const GENERIC_TRADE_NAMES = ['Services', 'Solutions', 'Group', 'Partners'];

/** Two significant figures, as buyers write estimates: £184,000 not £183,917. */
function roundEstimate(pounds: number): number {
  const step = 10 ** Math.max(0, Math.floor(Math.log10(pounds)) - 1);
  return Math.round(pounds / step) * step;
}

function logUniform(rng: Random, low: number, high: number): number {
  return Math.exp(Math.log(low) + rng.next() * (Math.log(high) - Math.log(low)));
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function fill(text: string, place: Place, area: string): string {
  return text.replaceAll('{place}', place.locality).replaceAll('{area}', area);
}

export function thresholdKindFor(category: MainCategory, lightTouch: boolean): ThresholdKind {
  if (lightTouch) return 'light_touch';
  return category === 'works' ? 'works' : 'goods_services';
}

export function contentFromTemplate(ctx: ComposeContext, template: OpportunityTemplate): Content {
  const { rng, area } = ctx;
  const place = rng.pick(area.places);
  let title = fill(rng.pick(template.titles), place, area.area);
  if (!title.includes(place.locality) && rng.chance(0.2)) title = `${title}: ${place.locality}`;
  const framework = rng.chance(FRAMEWORK_LIKELIHOOD[template.key] ?? 0.05);
  if (framework && !/framework/i.test(title)) title = `${title} framework`;

  const maxPounds = roundEstimate(logUniform(rng, template.valuePounds[0], template.valuePounds[1]));
  const minPounds = rng.chance(0.4) ? null : roundEstimate(maxPounds * (0.5 + rng.next() * 0.35));

  const lots: Content['lots'] = [];
  if (template.lots.length >= 2 && rng.chance(0.4)) {
    const count = rng.int(2, template.lots.length);
    const weights = Array.from({ length: count }, () => 1 + rng.next());
    const total = weights.reduce((a, b) => a + b, 0);
    template.lots.slice(0, count).forEach((lot, i) => {
      const share = rng.chance(0.85) ? Math.round((maxPounds * weights[i]!) / total / 1000) * 1000 * 100 : null;
      lots.push({ title: fill(lot.title, place, area.area), description: fill(lot.description, place, area.area), valuePence: share || null });
    });
  }

  const years = rng.int(template.years[0], template.years[1]);
  const extensions = rng.pick(EXTENSIONS);
  const socialValue = {
    localJobs: rng.chance(0.5),
    apprenticeships: rng.chance(template.mainCategory === 'works' ? 0.7 : 0.3),
    other: rng.chance(0.7) ? rng.pick(SOCIAL_VALUE_ASKS) : null,
  };

  const scope = template.scope.filter(() => rng.chance(0.7));
  if (scope.length < 3) scope.push(...template.scope.filter((s) => !scope.includes(s)).slice(0, 3 - scope.length));
  const details = template.details.filter(() => rng.chance(0.6));
  const paragraphs = [fill(template.intro, place, area.area), 'The contract covers:', scope.map((s) => `- ${s}`).join('\n')];
  if (lots.length) {
    paragraphs.push(
      `The contract is divided into ${lots.length} lots. You can bid for one lot or several:`,
      lots.map((lot, i) => `- Lot ${i + 1}, ${lot.title}: ${lowerFirst(lot.description)}`).join('\n'),
    );
  }
  if (framework) {
    paragraphs.push(`This will be a framework agreement with up to ${rng.int(3, 6)} suppliers${lots.length ? ' on each lot' : ''}. Work will be called off by direct award or mini-competition.`);
  }
  paragraphs.push(...details.map((d) => fill(d, place, area.area)));
  if (socialValue.other) paragraphs.push(`**Social value** counts for at least 10% of the score. We would particularly like to hear how you will ${lowerFirst(socialValue.other).replace(/\.$/, '')}.`);
  paragraphs.push(`The contract will run for ${years} year${years === 1 ? '' : 's'}${extensions ? `, with options to extend for ${extensions}` : ''}.`);

  return {
    title,
    summary: fill(rng.pick(template.summaries), place, area.area),
    description: paragraphs.join('\n\n'),
    procedure: framework && rng.chance(0.5) ? 'competitive_flexible' : null,
    mainCategory: template.mainCategory,
    cpvCodes: [template.cpv[0]!, ...template.cpv.slice(1).filter(() => rng.chance(0.6))],
    valueMinPence: minPounds === null ? null : minPounds * 100,
    valueMaxPence: maxPounds * 100,
    suitableForSme: rng.chance(template.smeLikelihood),
    suitableForVcse: rng.chance(template.vcseLikelihood),
    thresholdKind: thresholdKindFor(template.mainCategory, template.lightTouch),
    reservable: true,
    lots,
    contractMonths: years * 12,
    extensions,
    framework,
    socialValue,
    deliveryLocation: rng.chance(0.5) ? place.locality : `Across ${area.area}`,
    source: 'portal',
    sourceId: null,
    realAward: null,
    supplierKeys: template.supplierKeys,
    tradeNames: template.tradeNames,
  };
}

export function contentFromNotice(notice: RealNotice): Content {
  return {
    title: notice.title,
    summary: notice.summary,
    description: notice.description,
    procedure: notice.procedure,
    mainCategory: notice.mainCategory,
    cpvCodes: notice.cpvCodes,
    valueMinPence: notice.valueMinPence,
    valueMaxPence: notice.valueMaxPence,
    suitableForSme: notice.suitableForSme,
    suitableForVcse: notice.suitableForVcse,
    thresholdKind: thresholdKindFor(notice.mainCategory, false),
    // A real notice says what it says: no reservation is invented for it.
    reservable: false,
    lots: [],
    contractMonths: notice.contractMonths ?? 12,
    extensions: null,
    framework: (notice.award?.suppliers.length ?? 0) > 1 || notice.procedure === 'framework_call_off',
    socialValue: { localJobs: false, apprenticeships: false, other: null },
    deliveryLocation: null,
    source: REAL_NOTICE_SOURCE,
    sourceId: notice.ocid,
    realAward: notice.award,
    supplierKeys: [],
    tradeNames: GENERIC_TRADE_NAMES,
  };
}

function nextReference(ctx: ComposeContext, buyer: DemoBuyer, at: Date): string {
  const year = londonDate(at).slice(0, 4);
  const key = `${buyer.referencePrefix}-${year}`;
  const n = (ctx.references.get(key) ?? 0) + 1;
  ctx.references.set(key, n);
  return `${key}-${String(n).padStart(4, '0')}`;
}

function between(rng: Random, from: Date, to: Date, low = 0.2, high = 0.8): Date {
  const span = to.getTime() - from.getTime();
  return new Date(from.getTime() + Math.round(span * (low + rng.next() * (high - low))));
}

function contractDates(rng: Random, startAfter: Date, months: number): { start: string; end: string } {
  const start = londonDate(addDays(startAfter, rng.int(14, 60)));
  return { start, end: dayBefore(addMonthsToDate(start, months)) };
}

interface Timeline {
  createdAt: Date;
  publishAt: Date | null;
  firstPublishedAt: Date | null;
  engagementEventAt: Date | null;
  questionsDeadline: Date | null;
  tenderDeadline: Date | null;
  expectedAwardDate: string | null;
  contractStart: string | null;
  contractEnd: string | null;
  awardedAt: Date | null;
  cancelAt: Date | null;
}

/** Places the opportunity in time around `now`, as its scenario needs. */
function timeline(ctx: ComposeContext, scenario: Scenario, content: Content, direct: boolean): Timeline {
  const { rng, now } = ctx;
  const t: Timeline = {
    createdAt: now,
    publishAt: null,
    firstPublishedAt: null,
    engagementEventAt: null,
    questionsDeadline: null,
    tenderDeadline: null,
    expectedAwardDate: null,
    contractStart: null,
    contractEnd: null,
    awardedAt: null,
    cancelAt: null,
  };
  const months = content.contractMonths;
  const tenderDates = (deadline: Date, published: Date) => {
    t.tenderDeadline = deadline;
    const questions = addDays(deadline, -7);
    if (questions.getTime() - published.getTime() > 2 * DAY) t.questionsDeadline = questions;
    if (deadline.getTime() - published.getTime() > 14 * DAY && rng.chance(0.4)) t.engagementEventAt = londonAt(published, 7, 10);
    const award = addDays(deadline, rng.int(28, 70));
    t.expectedAwardDate = londonDate(award);
    const contract = contractDates(rng, award, months);
    t.contractStart = contract.start;
    t.contractEnd = contract.end;
  };
  const forwardDates = (fromDays: number, toDays: number) => {
    const award = addDays(now, rng.int(fromDays, toDays));
    t.expectedAwardDate = londonDate(award);
    const contract = contractDates(rng, award, months);
    t.contractStart = contract.start;
    t.contractEnd = contract.end;
  };

  if (scenario.status === 'draft') {
    t.createdAt = londonAt(now, -rng.int(0, 20), rng.int(9, 16), rng.int(0, 59));
    if (scenario.stage === 'open' && rng.chance(0.6)) tenderDates(londonAt(now, rng.int(30, 70), 12), now);
    else if (scenario.stage !== 'open') forwardDates(120, 400);
    return t;
  }
  if (scenario.status === 'scheduled') {
    t.createdAt = londonAt(now, -rng.int(1, 10), rng.int(9, 16), rng.int(0, 59));
    t.publishAt = scenario.publishInMinutes !== undefined ? addMinutes(now, scenario.publishInMinutes) : londonAt(now, rng.int(1, 14), 9);
    if (scenario.stage === 'open') tenderDates(londonAt(t.publishAt, rng.int(21, 45), 12), t.publishAt);
    else {
      if (scenario.stage === 'planned') t.engagementEventAt = londonAt(t.publishAt, rng.int(10, 30), 10);
      forwardDates(120, 400);
    }
    return t;
  }

  const stage = scenario.stage;
  let published: Date;
  if (stage === 'pipeline') {
    published = londonAt(now, -rng.int(3, 150), rng.int(9, 16), rng.int(0, 59));
    forwardDates(90, 540);
  } else if (stage === 'planned') {
    published = londonAt(now, -rng.int(2, 60), rng.int(9, 16), rng.int(0, 59));
    if (rng.chance(0.7)) t.engagementEventAt = londonAt(now, rng.int(4, 60), 10);
    forwardDates(60, 365);
  } else if (stage === 'open') {
    published = londonAt(now, -rng.int(1, 28), rng.int(9, 16), rng.int(0, 59));
    const deadline = scenario.closingSoon ? londonAt(now, rng.int(1, 6), 12) : londonAt(now, rng.int(8, 50), 12);
    tenderDates(deadline, published);
  } else if (stage === 'closed') {
    const deadline = londonAt(now, -rng.int(1, 40), 12);
    published = londonAt(deadline, -rng.int(21, 50), rng.int(9, 16), rng.int(0, 59));
    tenderDates(deadline, published);
    // Still being evaluated: the award is expected soon.
    t.expectedAwardDate = londonDate(addDays(now, rng.int(7, 60)));
  } else {
    const awardedAt = londonAt(now, -rng.int(3, 330), 11);
    t.awardedAt = awardedAt;
    if (direct) published = awardedAt;
    else {
      const deadline = londonAt(awardedAt, -rng.int(20, 70), 12);
      published = londonAt(deadline, -rng.int(21, 45), rng.int(9, 16), rng.int(0, 59));
      tenderDates(deadline, published);
    }
    t.expectedAwardDate = londonDate(addDays(awardedAt, -rng.int(0, 20)));
    const contract = contractDates(rng, awardedAt, months);
    t.contractStart = contract.start;
    t.contractEnd = contract.end;
  }
  t.firstPublishedAt = published;
  t.createdAt = londonAt(published, -rng.int(1, 20), rng.int(9, 16), rng.int(0, 59));
  if (scenario.status === 'cancelled') {
    // Cancelled after it was published (and, for a closed one, after its deadline), before now.
    const from = stage === 'closed' && t.tenderDeadline ? t.tenderDeadline : published;
    t.cancelAt = between(rng, from, now);
  }
  return t;
}

function demoSupplierSnapshot(supplier: DemoSupplier, valuePence: number | null): PlannedAwardSupplier {
  return {
    supplierKey: supplier.key,
    name: supplier.name,
    companiesHouseNumber: supplier.companiesHouseNumber ?? null,
    charityNumber: supplier.charityNumber ?? null,
    postcode: supplier.postcode ?? null,
    size: supplier.size,
    local: supplier.local ?? false,
    vcse: supplier.vcse ?? false,
    valuePence,
  };
}

function awardSuppliers(ctx: ComposeContext, content: Content, count: number, valuePence: number | null): PlannedAwardSupplier[] {
  const { rng } = ctx;
  const keys = rng.shuffle(content.supplierKeys);
  const each = count === 1 ? valuePence : rng.chance(0.5) || valuePence === null ? null : Math.round(valuePence / count / 100) * 100;
  const out: PlannedAwardSupplier[] = [];
  for (let i = 0; i < count; i++) {
    const key = keys.length && rng.chance(0.55) ? keys.shift() : undefined;
    const demo = key ? ctx.suppliers.find((s) => s.key === key) : undefined;
    if (demo) out.push(demoSupplierSnapshot(demo, each));
    else out.push({ supplierKey: null, ...namedSupplier(rng, ctx.area, content.tradeNames), valuePence: each });
  }
  return out;
}

function socialValueCommitments(rng: Random, area: string): string | null {
  if (!rng.chance(0.7)) return null;
  return `${rng.int(1, 4)} apprenticeships, ${rng.int(40, 400)} hours of volunteering and ${rng.int(15, 60)}% of supply chain spend in ${area}.`;
}

function plannedAwards(ctx: ComposeContext, content: Content, lots: PlannedLot[], awardedAt: Date, contract: { start: string | null; end: string | null }): PlannedAward[] {
  const { rng } = ctx;
  const awardedOn = londonDate(awardedAt);
  const base = { awardedOn, contractStart: contract.start, contractEnd: contract.end };
  if (content.realAward) {
    const real = content.realAward;
    const single = real.suppliers.length === 1;
    return [
      {
        lotPosition: null,
        ...base,
        valuePence: real.valuePence,
        socialValueCommitments: null,
        suppliers: real.suppliers.map((s) => ({
          supplierKey: null,
          name: s.name,
          companiesHouseNumber: null,
          charityNumber: null,
          postcode: s.postcode,
          size: s.size,
          local: isLocal(ctx.area, s.postcode),
          vcse: s.vcse,
          valuePence: single ? real.valuePence : null,
        })),
      },
    ];
  }
  const whole = content.valueMaxPence ?? content.valueMinPence;
  const targets: { lotPosition: number | null; value: number | null }[] = lots.length
    ? lots.map((l) => ({ lotPosition: l.position, value: l.valuePence }))
    : [{ lotPosition: null, value: whole }];
  return targets.map((target) => {
    const value = target.value === null ? null : Math.round((target.value * (0.8 + rng.next() * 0.2)) / 10_000) * 10_000;
    const count = content.framework ? rng.int(2, 5) : 1;
    return { lotPosition: target.lotPosition, ...base, valuePence: value, socialValueCommitments: socialValueCommitments(rng, ctx.area.area), suppliers: awardSuppliers(ctx, content, count, value) };
  });
}

function chooseProcedure(ctx: ComposeContext, content: Content, below: boolean, direct: boolean): Procedure {
  if (content.procedure) return content.procedure;
  if (direct) return 'direct_award';
  const { rng } = ctx;
  if (!below) return rng.chance(0.7) ? 'open' : 'competitive_flexible';
  if ((content.valueMaxPence ?? 0) < 10_000_000 && rng.chance(0.35)) return 'request_for_quotation';
  return 'below_threshold_open';
}

function chooseReservation(ctx: ComposeContext, content: Content, below: boolean): Reservation {
  if (!content.reservable || !below || !ctx.rng.chance(0.3)) return 'none';
  const options: Reservation[] = ['local'];
  if (content.suitableForSme) options.push('sme');
  if (content.suitableForVcse) options.push('vcse');
  return ctx.rng.pick(options);
}

/** Places content in time and status: the plan the writers carry out. */
export function planOpportunity(ctx: ComposeContext, given: Content, scenario: Scenario, buyerIndex: number): PlannedOpportunity {
  const { rng, now } = ctx;
  const buyer = ctx.buyers[buyerIndex]!;
  // A draft is often incomplete: that is what drafts are for.
  const content = scenario.status === 'draft' && rng.chance(0.4) ? { ...given, valueMinPence: null, valueMaxPence: null, summary: '' } : given;
  // A real notice that was a direct award goes straight to the award; generated ones sometimes do.
  const direct = scenario.stage === 'awarded' && scenario.status === 'published' && (content.procedure === 'direct_award' || (!content.framework && !content.realAward && rng.chance(0.1)));
  const t = timeline(ctx, scenario, content, direct);

  const decidedOn = londonDate(t.firstPublishedAt ?? t.publishAt ?? now);
  const below = ctx.thresholds.belowThreshold(content.thresholdKind, content.valueMaxPence ?? content.valueMinPence, decidedOn);
  const reservation = chooseReservation(ctx, content, below);
  const procedure = chooseProcedure(ctx, content, below, direct);
  const contact = officer(rng, buyer);
  const external = content.source === 'portal' && rng.chance(0.25);
  const reference = nextReference(ctx, buyer, t.firstPublishedAt ?? t.createdAt);
  const lots = content.lots.map((lot, i) => ({ ...lot, position: i + 1 }));
  const cancelled = scenario.status === 'cancelled';

  const final: OpportunityColumns = {
    version: 1,
    status: scenario.status,
    stage: scenario.stage,
    reference,
    title: content.title,
    summary: content.summary,
    description: content.description,
    procedure,
    mainCategory: content.mainCategory,
    cpvCodes: content.cpvCodes,
    valueMinPence: content.valueMinPence,
    valueMaxPence: content.valueMaxPence,
    valueIncludesVat: false,
    currency: 'GBP',
    deliveryLocation: content.deliveryLocation,
    suitableForSme: content.suitableForSme || reservation === 'sme',
    suitableForVcse: content.suitableForVcse || reservation === 'vcse',
    reservation,
    socialValueLocalJobs: content.socialValue.localJobs,
    socialValueApprenticeships: content.socialValue.apprenticeships,
    socialValueOther: content.socialValue.other,
    publishAt: t.publishAt,
    engagementEventAt: t.engagementEventAt,
    engagementEventDetails: t.engagementEventAt ? rng.pick(ENGAGEMENT_DETAILS) : null,
    questionsDeadline: t.questionsDeadline,
    tenderDeadline: t.tenderDeadline,
    expectedAwardDate: t.expectedAwardDate,
    contractStart: t.contractStart,
    contractEnd: t.contractEnd,
    extensions: content.extensions,
    contactName: contact.name,
    contactEmail: contact.email,
    contactPhone: rng.chance(0.6) ? contact.phone : null,
    responseMethod: external ? 'external' : 'portal',
    externalResponseUrl: external ? `https://etendering.example.org/${buyer.slug}/opportunities/${reference}` : null,
    externalResponseReference: external ? `DN${rng.chars('0123456789', 6)}` : null,
    officialNoticeId: null,
    officialNoticeUrl: null,
    source: content.source,
    sourceId: content.sourceId,
    cancellationReason: cancelled ? rng.pick(CANCELLATION_REASONS) : null,
    firstPublishedAt: t.firstPublishedAt,
    createdAt: t.createdAt,
    updatedAt: t.createdAt,
  };
  const awards = scenario.stage === 'awarded' && !cancelled && t.awardedAt ? plannedAwards(ctx, content, lots, t.awardedAt, { start: t.contractStart, end: t.contractEnd }) : [];

  const steps = t.firstPublishedAt ? fullHistory(scenario, t, direct) : [];
  const pickAmendment = () => {
    // A real notice's text is kept as published: its amendments only move the deadline.
    // An extension needs a deadline, and the original one must fall well after publication.
    const canExtend = (days: number) => final.tenderDeadline !== null && final.tenderDeadline.getTime() - days * DAY > steps[0]!.at.getTime() + 2 * DAY;
    const options = AMENDMENTS.filter(
      (a) => (a.extendDays === 0 || canExtend(a.extendDays)) && (content.source === 'portal' || a.addition === null) && (!a.needsEngagementEvent || final.engagementEventAt !== null),
    );
    return options.length ? rng.pick(options) : null;
  };
  let beforeAmendment: Partial<OpportunityColumns> | null = null;
  const amendment = scenario.amended && steps.length && !direct && scenario.stage !== 'awarded' ? pickAmendment() : null;
  if (amendment) {
    let until = steps.length > 1 ? steps[1]!.at : final.tenderDeadline && final.tenderDeadline < now ? final.tenderDeadline : now;
    // An extension is made before the original deadline passes.
    if (amendment.extendDays && final.tenderDeadline) until = new Date(Math.min(until.getTime(), final.tenderDeadline.getTime() - amendment.extendDays * DAY));
    const at = between(rng, steps[0]!.at, until);
    beforeAmendment = {};
    if (amendment.extendDays && final.tenderDeadline) {
      beforeAmendment.tenderDeadline = addDays(final.tenderDeadline, -amendment.extendDays);
      beforeAmendment.questionsDeadline = final.questionsDeadline ? addDays(final.questionsDeadline, -amendment.extendDays) : null;
    }
    if (amendment.addition) {
      beforeAmendment.description = final.description;
      final.description = `${final.description}\n\n${amendment.addition}`;
    }
    steps.splice(1, 0, { kind: 'amend', at, stage: steps[0]!.stage, changeNote: amendment.note });
  }

  const kept = scenario.history === 'full' ? steps : shortHistory(steps);
  if (kept.length) {
    final.version = kept.length + 1;
    final.updatedAt = kept[kept.length - 1]!.at;
  }
  return { buyerIndex, final, beforeAmendment: kept.some((s) => s.kind === 'amend') ? beforeAmendment : null, lots, awards, steps: kept };
}

function fullHistory(scenario: Scenario, t: Timeline, direct: boolean): PlannedStep[] {
  const published = t.firstPublishedAt!;
  const stage = scenario.stage;
  const steps: PlannedStep[] = [];
  const tendered = stage === 'closed' || stage === 'awarded';
  steps.push({ kind: 'publish', at: published, stage: tendered && !direct ? 'open' : stage, changeNote: null });
  if (tendered && !direct && t.tenderDeadline) {
    steps.push({ kind: 'close', at: t.tenderDeadline, stage: 'closed', changeNote: 'The deadline for tenders has passed. Tenders are being evaluated.' });
  }
  if (stage === 'awarded' && !direct && t.awardedAt && scenario.status === 'published') {
    steps.push({ kind: 'award', at: t.awardedAt, stage: 'awarded', changeNote: null });
  }
  if (scenario.status === 'cancelled' && t.cancelAt) {
    steps.push({ kind: 'cancel', at: t.cancelAt, stage, changeNote: 'This opportunity has been cancelled.' });
  }
  return steps;
}

/** The latest release alone, plus the first when amended or cancelled (see HistoryStyle). */
function shortHistory(steps: PlannedStep[]): PlannedStep[] {
  if (steps.length <= 1) return steps;
  const last = steps[steps.length - 1]!;
  // Published, then cancelled; or published, then amended (nothing happened in between).
  if (last.kind === 'cancel' || (last.kind === 'amend' && steps.length === 2)) return [steps[0]!, last];
  // Otherwise the latest state alone; an amendment in the middle is folded into it.
  return [{ ...last, kind: last.kind === 'amend' ? 'publish' : last.kind }];
}

/** The working copy as it stood after step `index` (what that release froze). */
export function columnsAt(plan: PlannedOpportunity, index: number): OpportunityColumns {
  const done = plan.steps.slice(0, index + 1);
  const step = plan.steps[index]!;
  const amended = done.some((s) => s.kind === 'amend');
  const cancelled = done.some((s) => s.kind === 'cancel');
  return {
    ...plan.final,
    ...(amended || !plan.beforeAmendment ? {} : plan.beforeAmendment),
    status: cancelled ? 'cancelled' : 'published',
    stage: step.stage,
    cancellationReason: cancelled ? plan.final.cancellationReason : null,
    version: index + 2,
    updatedAt: step.at,
  };
}

/** Awards are public from the award release on. */
export function awardsVisibleAt(plan: PlannedOpportunity, index: number): boolean {
  return plan.steps[index]!.stage === 'awarded';
}

export function tagsForStep(step: PlannedStep): ReleaseTag[] {
  switch (step.kind) {
    case 'amend':
      return step.stage === 'open' ? ['tenderAmendment'] : tagsForStage(step.stage, false);
    case 'cancel':
      return tagsForStage(step.stage, true);
    default:
      return tagsForStage(step.stage, false);
  }
}

export function actionForStep(step: PlannedStep): string {
  return { publish: 'opportunity.published', amend: 'opportunity.amended', close: 'opportunity.closed', award: 'opportunity.awarded', cancel: 'opportunity.cancelled' }[step.kind];
}

/** Who the audit log says made the change: the officer, or the system for the deadline. */
export function actorForStep(step: PlannedStep, plan: PlannedOpportunity): string {
  return step.kind === 'close' ? 'system: tender deadline' : `${plan.final.contactName ?? 'procurement officer'} (demo data)`;
}

/** Which kinds of partner buy what (by template key); the council buys everything. */
const BUYER_AFFINITY: Partial<Record<string, string[]>> = {
  housing: ['building-repairs', 'heating', 'grounds', 'cleaning', 'energy', 'pest-control'],
  school: ['school-meals', 'it-support', 'cleaning', 'furniture', 'printing', 'vehicles'],
  town_council: ['grounds', 'play', 'arts', 'street-cleansing', 'cleaning', 'security'],
  health: ['mental-health', 'home-care', 'cleaning', 'temporary-staff'],
  other: ['cleaning', 'security', 'arts', 'it-support'],
};

/** A buyer index: often a partner whose kind buys this, otherwise mostly the council (index 0). */
export function chooseBuyer(ctx: ComposeContext, templateKey: string | null): number {
  const { rng, buyers } = ctx;
  if (templateKey) {
    const fitting = buyers.map((b, i) => ({ b, i })).filter(({ b }) => b.kind !== 'council' && BUYER_AFFINITY[b.kind]?.includes(templateKey));
    if (fitting.length && rng.chance(0.6)) return rng.pick(fitting).i;
  }
  return rng.chance(0.55) ? 0 : rng.int(0, buyers.length - 1);
}
