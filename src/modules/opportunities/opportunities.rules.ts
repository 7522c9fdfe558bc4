/**
 * The publishing rules, as pure functions of the working copy, so that the drafting pages, the
 * lifecycle service and the tests all ask the same questions:
 *   - DRAFT_STEPS: the steps of the drafting form, and which fields each owns;
 *   - dateProblems: dates that contradict each other (always refused when saved);
 *   - readinessProblems: what must be filled in before the public can see it, per stage;
 *   - reservationProblem: reserving for local/SME/VCSE suppliers only below the threshold;
 *   - tenderPeriodWarnings: statutory minimum tender periods (a warning: the officer decides).
 */
import { londonDate, daysBetween } from '../../lib/london-time.js';
import * as format from '../../lib/format.js';
import type { ReadinessProblem } from './opportunities.errors.js';
import { thresholdKindOf, type Thresholds } from './thresholds.js';
import type { opportunities, NoticeStage } from './opportunities.table.js';

export type OpportunityRecord = typeof opportunities.$inferSelect;

export interface LotRecord {
  id: number;
  position: number;
  title: string;
  description: string;
  valuePence: number | null;
}

export const DRAFT_STEPS = [
  { slug: 'about', title: 'About the contract', description: 'Title, summary, description, kind of notice, procedure and type of contract' },
  { slug: 'categories', title: 'Categories', description: 'The CPV codes suppliers search and get alerts by' },
  { slug: 'lots', title: 'Lots', description: 'Whether the contract is split into parts suppliers can bid for separately' },
  { slug: 'value', title: 'Value and who can bid', description: 'Value, where the work is, suitability, reservation and social value' },
  { slug: 'dates', title: 'Key dates', description: 'Events, deadlines and contract dates' },
  { slug: 'responding', title: 'Contact and how to respond', description: 'Who to contact, where suppliers respond, and any official notice' },
] as const;
export type DraftStep = (typeof DRAFT_STEPS)[number]['slug'];

/** Stages a draft may be published in: closed and awarded are reached through the lifecycle. */
export const PUBLISHABLE_STAGES = ['pipeline', 'planned', 'open'] as const satisfies readonly NoticeStage[];

/** Dates that contradict each other. Checked on every save of the dates step, and before publishing. */
export function dateProblems(o: Pick<OpportunityRecord, 'engagementEventAt' | 'questionsDeadline' | 'tenderDeadline' | 'expectedAwardDate' | 'contractStart' | 'contractEnd'>): ReadinessProblem[] {
  const problems: ReadinessProblem[] = [];
  const add = (field: string, message: string) => problems.push({ step: 'dates', field, message });
  if (o.questionsDeadline && o.tenderDeadline && o.questionsDeadline >= o.tenderDeadline) add('questionsDeadline', 'The deadline for questions must be before the deadline for bids');
  if (o.engagementEventAt && o.tenderDeadline && o.engagementEventAt >= o.tenderDeadline) add('engagementEventAt', 'The event for suppliers must be before the deadline for bids');
  if (o.tenderDeadline && o.expectedAwardDate && o.expectedAwardDate < londonDate(o.tenderDeadline)) add('expectedAwardDate', 'The expected award date must be on or after the deadline for bids');
  if (o.expectedAwardDate && o.contractStart && o.contractStart < o.expectedAwardDate) add('contractStart', 'The contract start date must be on or after the expected award date');
  if (o.contractStart && o.contractEnd && o.contractEnd <= o.contractStart) add('contractEnd', 'The contract end date must be after the contract start date');
  return problems;
}

/**
 * A reservation is lawful only below the threshold in force on `onDate` (Procurement Act 2023).
 * The threshold includes VAT; values are compared with VAT added when entered without it.
 */
export function reservationProblem(o: Pick<OpportunityRecord, 'reservation' | 'mainCategory' | 'cpvCodes' | 'valueMinPence' | 'valueMaxPence' | 'valueIncludesVat'>, thresholds: Thresholds, onDate: string): ReadinessProblem | null {
  if (o.reservation === 'none') return null;
  const value = o.valueMaxPence ?? o.valueMinPence;
  const threshold = thresholds.subCentral(thresholdKindOf(o.mainCategory, o.cpvCodes), onDate);
  if (value === null) return { step: 'value', field: 'reservation', message: 'Give the contract’s value to reserve it: a reservation is only allowed below the procurement threshold' };
  const withVat = o.valueIncludesVat ? value : Math.round(value * 1.2);
  if (withVat >= threshold) {
    return { step: 'value', field: 'reservation', message: `A contract can only be reserved when its value is below the threshold of ${format.money(threshold)} including VAT. Choose “No” or lower the value` };
  }
  return null;
}

/**
 * What must be filled in before the public sees the opportunity in `stage`, when published at
 * `at` (the deadline for bids must be after it; the reservation threshold is the one in force on
 * its London date). An empty list means it can be published.
 */
export function readinessProblems(o: OpportunityRecord, lots: LotRecord[], stage: NoticeStage, thresholds: Thresholds, at: Date): ReadinessProblem[] {
  const problems: ReadinessProblem[] = [];
  const add = (step: DraftStep, field: string, message: string) => problems.push({ step, field, message });
  if (!o.title.trim()) add('about', 'title', 'Enter a title');
  if (!o.summary.trim()) add('about', 'summary', 'Enter a short summary');
  if (o.cpvCodes.length === 0) add('categories', 'cpvCodes', 'Choose at least one category');
  if (lots.some((l) => !l.title.trim())) add('lots', 'lots', 'Give every lot a title');
  if (!o.contactEmail) add('responding', 'contactEmail', 'Enter a contact email address');
  if (stage === 'open') {
    if (!o.tenderDeadline) add('dates', 'tenderDeadline', 'Enter the deadline for bids: suppliers must know when to respond by');
    else if (o.tenderDeadline <= at) add('dates', 'tenderDeadline', 'The deadline for bids must be in the future');
    if (o.responseMethod === 'external' && !o.externalResponseUrl) add('responding', 'externalResponseUrl', 'Enter the web address of the e-tendering website where suppliers respond');
  }
  const reservation = reservationProblem(o, thresholds, londonDate(at));
  if (reservation) problems.push(reservation);
  problems.push(...dateProblems(o));
  return problems;
}

export interface TenderPeriodWarning {
  days: number;
  minimumDays: number;
  message: string;
}

/**
 * Statutory minimum tender periods (Procurement Act 2023, section 54) for an open opportunity
 * published at `publishAt`. Above the threshold, open and competitive flexible procedures need 25
 * days with electronic tendering, or 10 after a qualifying planned procurement notice (one
 * published 40 days to a year before). Below it the law sets no minimum; under 10 days is
 * flagged as advice, since short periods shut out small suppliers; so is any light-touch contract
 * (health, social, education… services), for which the law sets no minimum periods. The officer decides: these
 * are warnings, never refusals (urgency and other exceptions exist).
 */
export function tenderPeriodWarnings(
  o: Pick<OpportunityRecord, 'stage' | 'tenderDeadline' | 'procedure' | 'mainCategory' | 'cpvCodes' | 'valueMinPence' | 'valueMaxPence' | 'valueIncludesVat'>,
  publishAt: Date,
  thresholds: Thresholds,
  plannedNoticeAt: Date | null,
): TenderPeriodWarning[] {
  if (o.stage !== 'open' || !o.tenderDeadline) return [];
  const days = daysBetween(londonDate(publishAt), londonDate(o.tenderDeadline));
  const value = o.valueMaxPence ?? o.valueMinPence;
  const withVat = value === null ? null : o.valueIncludesVat ? value : Math.round(value * 1.2);
  const publishDay = londonDate(publishAt);
  const kind = thresholdKindOf(o.mainCategory, o.cpvCodes);
  const aboveThreshold = withVat !== null && withVat >= thresholds.subCentral(kind, publishDay);
  const daysText = format.plural(days, 'day', 'days');
  // Light-touch contracts have no statutory minimum periods, whatever their value.
  if (aboveThreshold && kind !== 'light_touch' && (o.procedure === 'open' || o.procedure === 'competitive_flexible')) {
    const sincePlanned = plannedNoticeAt ? daysBetween(londonDate(plannedNoticeAt), publishDay) : null;
    const qualifying = sincePlanned !== null && sincePlanned >= 40 && sincePlanned <= 365;
    const minimumDays = qualifying ? 10 : 25;
    if (days < minimumDays) {
      return [{ days, minimumDays, message: `The tender period is ${daysText}. Above the procurement threshold the law requires at least ${minimumDays} days${qualifying ? ' after a planned procurement notice' : ' (10 days only after a planned procurement notice published at least 40 days before)'}, unless an exception such as urgency applies` }];
    }
    return [];
  }
  if (days < 10) {
    // Above the threshold other procedures (a framework call-off, say) have rules of their own.
    const law = kind === 'light_touch' ? 'The law sets no minimum for light-touch services, but ' : aboveThreshold ? 'Check the minimum the law sets for this procedure: ' : 'The law sets no minimum below the threshold, but ';
    return [{ days, minimumDays: 10, message: `The tender period is ${daysText}. ${law}fewer than 10 days makes it hard for small businesses and charities to bid` }];
  }
  return [];
}
