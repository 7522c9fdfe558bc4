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

export interface FieldError {
  field: string;
  message: string;
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

  error(field: string, message: string): void {
    if (!this.errors.some((e) => e.field === field)) this.errors.push({ field, message });
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
