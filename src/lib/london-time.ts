/**
 * Wall-clock times in Europe/London, where officers type them. Stored times are UTC; a time typed
 * as "1 April 2027, 12:00" means midday in London on that day, whether BST or GMT applies.
 */
const TIME_ZONE = 'Europe/London';

const partsFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

function wallClockOf(at: Date): WallClock {
  const parts = Object.fromEntries(partsFormat.formatToParts(at).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute) };
}

/**
 * The instant of a London wall-clock time: `date` is YYYY-MM-DD, `time` HH:MM. London is UTC or
 * UTC+1, so the instant is one of two candidates: the one whose London time reads back as typed.
 * In the hour the clocks go back both do, and the earlier is chosen; a time skipped when they go
 * forward matches neither, and is read as GMT (01:30 on that day becomes 02:30 BST).
 */
export function londonToUtc(date: string, time: string): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  const naive = Date.UTC(year, month - 1, day, hour, minute);
  const candidates = [naive - 3_600_000, naive].map((ms) => new Date(ms));
  const matching = candidates.find((c) => {
    const w = wallClockOf(c);
    return w.year === year && w.month === month && w.day === day && w.hour === hour && w.minute === minute;
  });
  return matching ?? new Date(naive);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The London calendar date of an instant, YYYY-MM-DD. */
export function londonDate(at: Date): string {
  const w = wallClockOf(at);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
}

/** The London wall-clock time of an instant, HH:MM (24-hour). */
export function londonTime(at: Date): string {
  const w = wallClockOf(at);
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

/** Whole days from one calendar date (YYYY-MM-DD) to another; negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
