/**
 * Mail templates: each message is three Eta files under views/emails/ —
 * `<template>.subject.eta` (one line), `<template>.txt.eta` and `<template>.html.eta` — rendered
 * inside the shared layouts `layout.txt.eta` and `layout.html.eta` (council and service name from
 * the brand settings). Templates read their data as `it.<field>`, plus `it.brand` and
 * `it.publicUrl`.
 *
 * The HTML is rendered with auto-escaping; the subject and the plain-text part are not (they are
 * not HTML, and "&amp;" in a text part would be wrong).
 *
 * Each template's data is declared in MailTemplates, so that queueMail() checks it at compile
 * time. A domain adds its own templates by augmenting the interface from its module:
 *
 *     declare module '../mail/mail.templates.js' {
 *       interface MailTemplates { 'alert-digest': { name: string; count: number } }
 *     }
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Eta } from 'eta';
import type { Config } from '../../config.js';
import { viewsDir } from '../../paths.js';

export const mailViewsDir = path.join(viewsDir, 'emails');

/** Data of each template, by template name. Types here must be JSON: strings, numbers, booleans, null, arrays, plain objects. */
export interface MailTemplates {
  'verify-email': {
    name: string;
    /** The one-time link, written out in full in the text part. */
    link: string;
    expiresInHours: number;
  };
}

export type MailTemplateName = keyof MailTemplates;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

type Part = 'subject' | 'txt' | 'html';
const PARTS: readonly Part[] = ['subject', 'txt', 'html'];

/** Names the templates themselves may not use for data: the renderer supplies them. */
const RESERVED_KEYS = ['brand', 'publicUrl', 'subject', 'body'];

// Template names become file names: lower-case words joined by hyphens, nothing that could climb out of views/emails.
const TEMPLATE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Throws unless `template` names a complete template (all three files) and `data` is plain JSON
 * without reserved keys. queueMail() calls it so that a mistake fails in the caller's request,
 * not in a job that would retry it for hours.
 */
export function assertMailTemplate(template: string, data: unknown): asserts data is JsonObject {
  if (!TEMPLATE_NAME.test(template)) throw new Error(`invalid mail template name "${template}"`);
  for (const part of PARTS) {
    const file = path.join(mailViewsDir, `${template}.${part}.eta`);
    if (!existsSync(file)) throw new Error(`mail template "${template}" has no ${path.relative(viewsDir, file)}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error(`data of mail template "${template}" must be an object`);
  assertJson(data, 'data');
  for (const key of RESERVED_KEYS) {
    if (Object.hasOwn(data, key)) throw new Error(`data of mail template "${template}" must not use the reserved key "${key}"`);
  }
}

/**
 * The job stores the data as JSON and renders it later, so anything JSON would change (a Date
 * becomes a string, undefined disappears) is refused here rather than rendered differently.
 */
function assertJson(value: unknown, where: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`mail data ${where} is not a finite number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => assertJson(item, `${where}[${index}]`));
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) assertJson(item, `${where}.${key}`);
    return;
  }
  const kind = value instanceof Date ? 'a Date (pass an ISO string)' : typeof value;
  throw new Error(`mail data ${where} must be JSON, not ${kind}`);
}

interface Engines {
  html: Eta;
  plain: Eta;
}

const engines = new Map<boolean, Engines>();

/** Eta instances for HTML (escaping) and plain text (not), caching compiled templates except in development, like the pages. */
function enginesFor(config: Config): Engines {
  const cache = config.nodeEnv !== 'development';
  let pair = engines.get(cache);
  if (!pair) {
    const common = { views: mailViewsDir, cache, autoTrim: false as const };
    pair = { html: new Eta({ ...common, autoEscape: true }), plain: new Eta({ ...common, autoEscape: false }) };
    engines.set(cache, pair);
  }
  return pair;
}

/** Renders a message's subject, text and HTML parts from its template and data. */
export function renderMail(template: string, data: JsonObject, config: Config): RenderedMail {
  assertMailTemplate(template, data);
  const { html, plain } = enginesFor(config);
  const context = { ...data, brand: config.brand, publicUrl: config.publicUrl };
  // One line, however the template is laid out: a line break in a header would start another header.
  const subject = plain.render(`${template}.subject.eta`, context).replace(/\s+/g, ' ').trim();
  if (!subject) throw new Error(`mail template "${template}" rendered an empty subject`);
  const withSubject = { ...context, subject };
  return {
    subject,
    text: tidyText(plain.render('layout.txt.eta', { ...withSubject, body: plain.render(`${template}.txt.eta`, withSubject) })),
    html: html.render('layout.html.eta', { ...withSubject, body: html.render(`${template}.html.eta`, withSubject) }),
  };
}

/** Trailing spaces off each line, at most one blank line in a row, one final newline. */
function tidyText(text: string): string {
  return `${text
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
