/**
 * Accounts in tests: create a user straight in the database (with a real argon2id password and any
 * memberships), and sign in through the real /sign-in form — GET the page for its CSRF token and
 * cookie, POST the form — to get a cookie header for later requests.
 *
 *   const user = await createUser(database, { buyer: { buyerId: buyer.id, role: 'editor' } });
 *   const cookie = await signInAs(app, user.email, user.password);
 *   const page = await app.inject({ url: '/manage', headers: { cookie } });
 *   const res = await postForm(app, '/manage/opportunities/new', { title: '…' }, cookie);
 *
 * The cookie header carries both the session and the CSRF cookie, so the tokens of pages fetched
 * with it match, and postForm() can take one from any page.
 */
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { App } from '../../src/app.js';
import type { Database } from '../../src/db/client.js';
import { memberships, users, type BuyerRole } from '../../src/modules/accounts/accounts.table.js';
import { hashPassword } from '../../src/modules/accounts/passwords.js';

export const DEFAULT_TEST_PASSWORD = 'purple kettle marching slowly';

export interface CreateUserOptions {
  email?: string;
  name?: string;
  /** Plain text; hashed with argon2id. Null for an account without a password (e.g. an invitee). */
  password?: string | null;
  /** Email verified (default true). */
  verified?: boolean;
  platformAdmin?: boolean;
  buyer?: { buyerId: number; role: BuyerRole };
  supplierId?: number;
}

export interface TestUser {
  id: number;
  email: string;
  name: string;
  /** The plain-text password ('' when the account has none). */
  password: string;
}

export async function createUser(database: Database, options: CreateUserOptions = {}): Promise<TestUser> {
  const suffix = randomBytes(4).toString('hex');
  const email = options.email ?? `user-${suffix}@example.org`;
  const name = options.name ?? `Test User ${suffix}`;
  const password = options.password === undefined ? DEFAULT_TEST_PASSWORD : options.password;
  const [user] = await database.db
    .insert(users)
    .values({
      email,
      name,
      passwordHash: password === null ? null : await hashPassword(password),
      emailVerifiedAt: options.verified === false ? null : new Date(),
      isPlatformAdmin: options.platformAdmin ?? false,
    })
    .returning({ id: users.id });
  const userId = user!.id;
  if (options.buyer) await database.db.insert(memberships).values({ userId, buyerId: options.buyer.buyerId, role: options.buyer.role });
  if (options.supplierId !== undefined) await database.db.insert(memberships).values({ userId, supplierId: options.supplierId, role: 'member' });
  return { id: userId, email, name, password: password ?? '' };
}

/** name=value pairs of a response's Set-Cookie headers (a cleared cookie has an empty value). */
export function setCookies(response: LightMyRequestResponse): Record<string, string> {
  const header = response.headers['set-cookie'];
  const list = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const result: Record<string, string> = {};
  for (const line of list) {
    const pair = line.split(';')[0] ?? '';
    const at = pair.indexOf('=');
    if (at > 0) result[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return result;
}

/** A cookie header updated with a response's Set-Cookie headers (cleared cookies are dropped). */
export function withCookies(cookieHeader: string, response: LightMyRequestResponse): string {
  const jar = new Map<string, string>();
  for (const part of cookieHeader.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) jar.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  for (const [name, value] of Object.entries(setCookies(response))) {
    if (value === '') jar.delete(name);
    else jar.set(name, value);
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}

/** The `_csrf` hidden field's value in a page (the first form's). */
export function csrfTokenIn(html: string): string {
  const match = /<input[^>]*name="_csrf"[^>]*value="([^"]+)"/.exec(html) ?? /<input[^>]*value="([^"]+)"[^>]*name="_csrf"/.exec(html);
  if (!match) throw new Error('no _csrf field in the page');
  return match[1]!;
}

/** GETs a page with a form: its CSRF token and the cookie header to post it with. */
export async function openForm(app: App, url: string, cookie = ''): Promise<{ csrf: string; cookie: string; response: LightMyRequestResponse }> {
  const response = await app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
  if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}, not a form page`);
  return { csrf: csrfTokenIn(response.body), cookie: withCookies(cookie, response), response };
}

/**
 * POSTs url-encoded fields with the given cookie. The CSRF token is taken from `formUrl` (default:
 * the same URL) fetched with that cookie, unless `csrf` is given; pass `csrf: null` to send none.
 */
export async function postForm(
  app: App,
  url: string,
  fields: Record<string, string | string[]>,
  cookie = '',
  options: { formUrl?: string; csrf?: string | null } = {},
): Promise<LightMyRequestResponse> {
  let csrf = options.csrf;
  let header = cookie;
  if (csrf === undefined) {
    const form = await openForm(app, options.formUrl ?? url, cookie);
    csrf = form.csrf;
    header = form.cookie;
  }
  const body = new URLSearchParams();
  if (csrf !== null) body.append('_csrf', csrf);
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
  }
  return app.inject({
    method: 'POST',
    url,
    payload: body.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(header ? { cookie: header } : {}) },
  });
}

/** Signs in through the real form and returns the cookie header (session + CSRF cookies). */
export async function signInAs(app: App, email: string, password: string): Promise<string> {
  const form = await openForm(app, '/sign-in');
  const response = await postForm(app, '/sign-in', { email, password }, form.cookie, { csrf: form.csrf });
  const cookie = withCookies(form.cookie, response);
  if (response.statusCode !== 303 || !/portal_session=/.test(cookie)) {
    throw new Error(`signing in as ${email} failed: status ${response.statusCode}`);
  }
  return cookie;
}
