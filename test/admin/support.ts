/**
 * For the admin and staff tests: people signed in through the real /sign-in form, keeping the
 * CSRF token of that form (it stays valid for the cookie after sign-in), so that any POST can be
 * sent without first fetching a page; and a snapshot of the tables these pages change.
 */
import type { LightMyRequestResponse } from 'fastify';
import type { App } from '../../src/app.js';
import type { Database } from '../../src/db/client.js';
import { suppliers } from '../../src/modules/suppliers/suppliers.table.js';
import { createUser, openForm, postForm, withCookies, type CreateUserOptions, type TestUser } from '../support/auth.js';

export interface Session {
  user: TestUser;
  cookie: string;
  csrf: string;
}

/**
 * Signs in through the real form. Many sign-ins from one test file would trip the per-IP
 * sign-in limit (every injected request comes from 127.0.0.1), so the counters are cleared first.
 */
export async function signInSession(app: App, database: Database, user: TestUser): Promise<Session> {
  await database.pool.query('delete from rate_limit_counters');
  const form = await openForm(app, '/sign-in');
  const response = await postForm(app, '/sign-in', { email: user.email, password: user.password }, form.cookie, { csrf: form.csrf });
  const cookie = withCookies(form.cookie, response);
  if (response.statusCode !== 303 || !/portal_session=/.test(cookie)) throw new Error(`signing in as ${user.email} failed: ${response.statusCode}`);
  return { user, cookie, csrf: form.csrf };
}

/** Creates a user (see test/support/auth.ts) and signs them in. */
export async function signedIn(app: App, database: Database, options: CreateUserOptions = {}): Promise<Session> {
  return signInSession(app, database, await createUser(database, options));
}

/** An anonymous visitor's CSRF cookie and token (from the sign-in page). */
export async function anonymous(app: App): Promise<{ cookie: string; csrf: string }> {
  const form = await openForm(app, '/sign-in');
  return { cookie: form.cookie, csrf: form.csrf };
}

/** POSTs a form as `session` (or anonymously with `{ cookie, csrf }`), with its CSRF token unless `csrf: null`. */
export async function post(
  app: App,
  url: string,
  fields: Record<string, string | string[]>,
  session: { cookie: string; csrf: string },
  options: { csrf?: string | null } = {},
): Promise<LightMyRequestResponse> {
  return postForm(app, url, fields, session.cookie, { csrf: options.csrf === undefined ? session.csrf : options.csrf });
}

export async function get(app: App, url: string, session?: { cookie: string }): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers: session?.cookie ? { cookie: session.cookie } : {} });
}

/** Follows a session through a response: new cookies (e.g. after signing in on the invitation page). */
export function carry<T extends { cookie: string }>(session: T, response: LightMyRequestResponse): T {
  return { ...session, cookie: withCookies(session.cookie, response) };
}

/** A supplier to attach supplier users to. */
export async function createSupplier(database: Database, name = 'Greenways Community Interest Company') {
  const [row] = await database.db.insert(suppliers).values({ name, legalForm: 'community_interest_company', size: 'micro', vcse: true }).returning();
  return row!;
}

/** What the staff and organisation pages can change, to show that a refused request changed nothing. */
export async function snapshot(database: Database): Promise<string> {
  const { rows } = await database.pool.query<{ dump: unknown }>(`
    select jsonb_build_object(
      'buyers', (select coalesce(jsonb_agg(to_jsonb(b) order by id), '[]') from buyer_organisations b),
      'memberships', (select coalesce(jsonb_agg(to_jsonb(m) order by id), '[]') from memberships m),
      'users', (select coalesce(jsonb_agg(jsonb_build_object('id', id, 'email', email, 'name', name, 'admin', is_platform_admin, 'hash', password_hash) order by id), '[]') from users),
      'tokens', (select coalesce(jsonb_agg(to_jsonb(t) order by id), '[]') from user_tokens t),
      'audit', (select count(*) from audit_log),
      'mail', (select count(*) from pgboss.job where name = 'mail.send')
    ) as dump`);
  return JSON.stringify(rows[0]!.dump);
}

/** Audit entries, oldest first. */
export async function auditEntries(database: Database) {
  const { rows } = await database.pool.query<{ action: string; entity_type: string; entity_id: string; buyer_id: number | null; actor_user_id: number | null; before: unknown; after: unknown }>(
    'select action, entity_type, entity_id, buyer_id, actor_user_id, before, after from audit_log order by id',
  );
  return rows;
}
