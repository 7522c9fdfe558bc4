/**
 * The GOV.UK form pattern, shared by every form: validate the submitted fields into clean values
 * and per-field messages; on any error re-render the same page with status 400, an error summary
 * linking to each field (`#field`), the field's own message, "Error: " before the page title, and
 * every value the user typed kept.
 *
 *   const form = new Form(request.body);
 *   const name = form.text('name', { required: 'Enter your full name', maxLength: 200 });
 *   if (form.failed) return renderForm(reply, 'accounts/register', { title, form });
 */
import type { FastifyReply } from 'fastify';
import { londonToUtc } from './london-time.js';

export interface FieldError {
  field: string;
  message: string;
  /** Where the error summary links, when not `#field` (a date links to its first input in error). */
  href?: string;
}

/** Pence limit for money fields: £100 billion, far above any contract and well inside 2^53. */
const MAX_PENCE = 10_000_000_000_000;
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** A month typed as a name: the whole name or its start, at least 3 letters ("mar", "Sept", "March"). */
function monthNumber(typed: string): number {
  const name = typed.toLowerCase();
  if (!/^[a-z]{3,}$/.test(name)) return NaN;
  const index = MONTHS.findIndex((month) => month.startsWith(name));
  return index >= 0 ? index + 1 : NaN;
}

export interface TextRule {
  /** The message when the field is empty; omit for optional fields. */
  required?: string;
  maxLength?: number;
  /** Name used in default messages, e.g. "Full name". */
  label?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export class Form {
  readonly errors: FieldError[] = [];
  /** What the user typed, to refill the form (never passwords). */
  readonly values: Record<string, string | string[]>;

  constructor(body: unknown, private readonly secretFields: string[] = ['password', 'newPassword', 'currentPassword', 'confirmPassword']) {
    const raw = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    this.values = {};
    for (const [key, value] of Object.entries(raw)) {
      if (key === '_csrf' || this.secretFields.includes(key)) continue;
      if (typeof value === 'string') this.values[key] = value;
      else if (Array.isArray(value)) this.values[key] = value.filter((v): v is string => typeof v === 'string');
    }
    this.raw = raw;
  }

  private readonly raw: Record<string, unknown>;

  get failed(): boolean {
    return this.errors.length > 0;
  }

  error(field: string, message: string, href?: string): void {
    if (!this.errors.some((e) => e.field === field)) this.errors.push(href ? { field, message, href } : { field, message });
  }

  messageFor(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }

  /** The raw string (untrimmed for passwords), or '' when absent or not a string. */
  string(field: string): string {
    const value = this.raw[field];
    return typeof value === 'string' ? value : '';
  }

  /** Several values of one field (checkboxes); a single value becomes a list of one. */
  list(field: string): string[] {
    const value = this.raw[field];
    if (typeof value === 'string') return value === '' ? [] : [value];
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
  }

  text(field: string, rule: TextRule = {}): string {
    const value = this.string(field).trim();
    if (value === '') {
      if (rule.required) this.error(field, rule.required);
      return '';
    }
    const max = rule.maxLength ?? 1000;
    if (value.length > max) this.error(field, `${rule.label ?? 'This'} must be ${max} characters or fewer`);
    return value;
  }

  email(field: string, rule: { required: string; label?: string }): string {
    const value = this.text(field, { required: rule.required, maxLength: 254, label: rule.label ?? 'Email address' }).toLowerCase();
    if (value && !EMAIL.test(value)) this.error(field, 'Enter an email address in the correct format, like name@example.com');
    return value;
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], message: string): T | undefined {
    const value = this.string(field).trim();
    if (!(allowed as readonly string[]).includes(value)) {
      this.error(field, message);
      return undefined;
    }
    return value as T;
  }

  checkbox(field: string): boolean {
    return ['true', 'yes', 'on', '1'].includes(this.string(field));
  }

  /**
   * A GOV.UK date input: fields `<prefix>-day`, `-month` (a number or a month name) and `-year`.
   * Returns YYYY-MM-DD, or null when all three are empty (an error when `required`). Messages
   * follow the GOV.UK pattern ("… must include a month", "… must be a real date"), and the error
   * summary links to the first part in error.
   */
  date(prefix: string, rule: { label: string; required?: string }): string | null {
    const parts = { day: this.string(`${prefix}-day`).trim(), month: this.string(`${prefix}-month`).trim(), year: this.string(`${prefix}-year`).trim() };
    const missing = (['day', 'month', 'year'] as const).filter((part) => parts[part] === '');
    if (missing.length === 3) {
      if (rule.required) this.error(prefix, rule.required, `#${prefix}-day`);
      return null;
    }
    if (missing.length > 0) {
      this.error(prefix, `${rule.label} must include a ${missing.join(' and ')}`, `#${prefix}-${missing[0]}`);
      return null;
    }
    const day = /^\d{1,2}$/.test(parts.day) ? Number(parts.day) : NaN;
    const month = /^\d{1,2}$/.test(parts.month) ? Number(parts.month) : monthNumber(parts.month);
    const year = /^\d{4}$/.test(parts.year) ? Number(parts.year) : NaN;
    if (Number.isNaN(year)) {
      this.error(prefix, `${rule.label}: the year must have 4 numbers, like 2027`, `#${prefix}-year`);
      return null;
    }
    // Before the real-date check: Date.UTC reads years 0–99 as 1900–1999.
    if (year < 2000 || year > 2100) {
      this.error(prefix, `${rule.label} must be between the years 2000 and 2100`, `#${prefix}-year`);
      return null;
    }
    const dayInRange = day >= 1 && day <= 31;
    const monthInRange = month >= 1 && month <= 12;
    const probe = new Date(Date.UTC(year, month - 1, day));
    if (!dayInRange || !monthInRange || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
      // Link to the part that is wrong: 31 February is a wrong day in a real month.
      this.error(prefix, `${rule.label} must be a real date`, `#${prefix}-${!dayInRange || monthInRange ? 'day' : 'month'}`);
      return null;
    }
    return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  }

  /**
   * A time of day as people write it: "14:30", "2:30pm", "2.30 p.m.", "2pm", "midday", "12 noon",
   * "midnight". Returns HH:MM (24-hour), or null when empty.
   */
  time(field: string, rule: { label: string }): string | null {
    const raw = this.string(field)
      .trim()
      .toLowerCase()
      .replace(/\s+/g, '')
      .replace(/([ap])\.?m\.?$/, '$1m')
      .replace(/\./g, ':');
    if (raw === '') return null;
    if (raw === 'midday' || raw === 'noon' || raw === '12noon' || raw === '12midday') return '12:00';
    if (raw === 'midnight' || raw === '12midnight') return '00:00';
    const match = /^(\d{1,2})(?::(\d{2}))?(am|pm)?$/.exec(raw);
    const hour12 = match?.[3];
    let hour = match ? Number(match[1]) : NaN;
    const minute = match?.[2] ? Number(match[2]) : 0;
    if (match && hour12) {
      if (hour < 1 || hour > 12) hour = NaN;
      else hour = (hour % 12) + (hour12 === 'pm' ? 12 : 0);
    } else if (match && !match[2]) hour = NaN; // "14" alone is ambiguous
    if (Number.isNaN(hour) || hour > 23 || minute > 59) {
      this.error(field, `${rule.label} must be a real time, like 14:30 or 2:30pm`);
      return null;
    }
    return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
  }

  /**
   * A date input plus a time field `<prefix>-time`, read as London time. When the date is given
   * and the time is empty, `defaultTime` is used (say so in the hint). Null when the date is empty.
   */
  dateTime(prefix: string, rule: { label: string; required?: string; defaultTime: string }): Date | null {
    const day = this.date(prefix, rule);
    const time = this.time(`${prefix}-time`, { label: `${rule.label}: the time` });
    if (!day || this.messageFor(`${prefix}-time`)) return null;
    return londonToUtc(day, time ?? rule.defaultTime);
  }

  /** An amount in pounds ("25000", "£25,000", "25,000.50") as integer pence; null when empty. */
  money(field: string, rule: { label: string; required?: string }): number | null {
    const raw = this.string(field).trim().replace(/^£/, '').trim();
    if (raw === '') {
      if (rule.required) this.error(field, rule.required);
      return null;
    }
    // Commas only between groups of three figures: "1,00" may mean £1.00 or £100.
    if (!/^(\d+|\d{1,3}(,\d{3})+)(\.\d{1,2})?$/.test(raw)) {
      this.error(field, `${rule.label} must be an amount in pounds, like 25,000 or 25,000.50`);
      return null;
    }
    const [pounds = '', pence = ''] = raw.replace(/,/g, '').split('.');
    const value = Number(pounds) * 100 + Number(pence.padEnd(2, '0'));
    if (value > MAX_PENCE) {
      this.error(field, `${rule.label} must be £100 billion or less`);
      return null;
    }
    return value;
  }

  /** A whole number between min and max; null when empty. */
  integer(field: string, rule: { label: string; min: number; max: number; required?: string }): number | null {
    const raw = this.string(field).trim();
    if (raw === '') {
      if (rule.required) this.error(field, rule.required);
      return null;
    }
    const value = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
    if (Number.isNaN(value) || value < rule.min || value > rule.max) {
      this.error(field, `${rule.label} must be a whole number from ${rule.min} to ${rule.max}`);
      return null;
    }
    return value;
  }
}

/** `errorFor(field)` for the GOV.UK components' `errorMessage` option: `{ text }` or undefined. */
export function errorLookup(form: Form | undefined) {
  return (field: string) => {
    const message = form?.messageFor(field);
    return message ? { text: message } : undefined;
  };
}

/**
 * Renders a form page: 400 when the form failed, else 200. The layout puts "Error: " before the
 * title when `errors` is not empty; templates show `errors` in the error summary, each field's
 * message with `errorFor(field)`, and refill fields from `values`. `currentPath` marks the page's
 * navigation item.
 */
export function renderForm(reply: FastifyReply, template: string, data: { title: string; form?: Form; [key: string]: unknown }) {
  const failed = data.form?.failed ?? false;
  return reply.code(failed ? 400 : 200).view(template, {
    currentPath: reply.request.url.split('?')[0],
    ...data,
    errorFor: errorLookup(data.form),
    errors: data.form?.errors ?? [],
    values: data.form?.values ?? {},
  });
}
