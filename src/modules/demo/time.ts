/**
 * Dates for demo data, relative to a fixed `now`. Deadlines and events fall at a London wall-clock
 * time (e.g. noon), stored in UTC; date-only columns hold the London calendar date.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;

/*
 * UK clock rule (Summer Time Order 2002): British Summer Time runs from 01:00 UTC on the last
 * Sunday of March to 01:00 UTC on the last Sunday of October. Computed rather than asked of Intl,
 * which is far slower, because the benchmark loader dates every opportunity several times over.
 * test/demo checks it against Intl's Europe/London.
 */
const changes = new Map<number, [number, number]>();

function lastSundayAtOneUtc(year: number, month: number): number {
  const lastDay = Date.UTC(year, month + 1, 0);
  return lastDay - new Date(lastDay).getUTCDay() * DAY + HOUR;
}

function londonOffset(utc: number): number {
  const year = new Date(utc).getUTCFullYear();
  let range = changes.get(year);
  if (!range) {
    range = [lastSundayAtOneUtc(year, 2), lastSundayAtOneUtc(year, 9)];
    changes.set(year, range);
  }
  return utc >= range[0] && utc < range[1] ? HOUR : 0;
}

/** London wall-clock fields of an instant. */
function parts(date: Date): { year: number; month: number; day: number } {
  const local = new Date(date.getTime() + londonOffset(date.getTime()));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
}

/** The instant that is `hour:minute` in London on the London day `days` after `base`. */
export function londonAt(base: Date, days: number, hour: number, minute = 0): Date {
  const day = parts(new Date(base.getTime() + days * DAY));
  const wallClock = Date.UTC(day.year, day.month - 1, day.day, hour, minute);
  return new Date(wallClock - londonOffset(wallClock - londonOffset(wallClock)));
}

/** The London calendar date of an instant, as YYYY-MM-DD. */
export function londonDate(date: Date): string {
  const p = parts(date);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY);
}

export function addMinutes(date: Date, minutes: number): Date {
  return new Date(date.getTime() + minutes * 60_000);
}

/** A date-only string plus whole months (clamped to the month's last day). */
export function addMonthsToDate(isoDate: string, months: number): string {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.toISOString().slice(0, 10);
}

/** The day before a date-only string (a contract "ends the day before" its anniversary). */
export function dayBefore(isoDate: string): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) - DAY).toISOString().slice(0, 10);
}

export { DAY, HOUR };
