/**
 * Formatting for pages and emails: times are stored in UTC and shown in Europe/London; money is
 * integer pence shown in pounds.
 */
const TIME_ZONE = 'Europe/London';

const dateFormat = new Intl.DateTimeFormat('en-GB', { timeZone: TIME_ZONE, day: 'numeric', month: 'long', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat('en-GB', { timeZone: TIME_ZONE, hour: 'numeric', minute: '2-digit', hourCycle: 'h12' });
const poundsFormat = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP', maximumFractionDigits: 0 });
const poundsPenceFormat = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP', minimumFractionDigits: 2 });
const countFormat = new Intl.NumberFormat('en-GB');

function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/** "5 March 2027". A plain date (YYYY-MM-DD) is shown as that calendar day. */
export function date(value: Date | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return dateFormat.format(new Date(`${value}T12:00:00Z`));
  return dateFormat.format(toDate(value));
}

/** "5 March 2027 at 12pm" (GOV.UK style: midday and midnight in words). */
export function dateTime(value: Date | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  const d = toDate(value);
  let time = timeFormat.format(d).replace(/\s/g, '').replace(':00', '');
  if (time === '12pm') time = 'midday';
  if (time === '12am') time = 'midnight';
  return `${dateFormat.format(d)} at ${time}`;
}

/** ISO 8601 for `<time datetime>`. */
export function iso(value: Date | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return toDate(value).toISOString();
}

/** "£12,500", or "£12,500.50" when there are pence. */
export function money(pence: number | null | undefined): string {
  if (pence === null || pence === undefined) return '';
  return pence % 100 === 0 ? poundsFormat.format(pence / 100) : poundsPenceFormat.format(pence / 100);
}

/** "£10,000 to £50,000", "up to £50,000", "from £10,000" or "" when unknown. */
export function moneyRange(minPence: number | null | undefined, maxPence: number | null | undefined): string {
  const hasMin = minPence !== null && minPence !== undefined;
  const hasMax = maxPence !== null && maxPence !== undefined;
  if (hasMin && hasMax) return minPence === maxPence ? money(maxPence) : `${money(minPence)} to ${money(maxPence)}`;
  if (hasMax) return `up to ${money(maxPence)}`;
  if (hasMin) return `from ${money(minPence)}`;
  return '';
}

export function count(n: number): string {
  return countFormat.format(n);
}

/** "3 days left", "closes today", "closed" — relative to `now`, counted in whole London days. */
export function timeLeft(deadline: Date | string | null | undefined, now: Date = new Date()): string {
  if (deadline === null || deadline === undefined) return '';
  const d = toDate(deadline);
  if (d.getTime() <= now.getTime()) return 'closed';
  const days = Math.floor((londonDayNumber(d) - londonDayNumber(now)));
  if (days === 0) return 'closes today';
  if (days === 1) return '1 day left';
  return `${days} days left`;
}

// en-CA formats as YYYY-MM-DD. Built once: constructing an Intl formatter costs ~0.4 ms.
const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

function londonDayNumber(d: Date): number {
  const parts = dayFormat.format(d);
  return Math.round(Date.parse(`${parts}T00:00:00Z`) / 86_400_000);
}

export function plural(n: number, one: string, many: string): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
