/**
 * Every route registered in the app, against every kind of person. For each route that is not
 * `access: 'public'`, anonymous visitors, a supplier user, a viewer, an editor and an admin of
 * organisation A, an admin of organisation B only, and a platform administrator request it (GET
 * with a made-up id where the path has parameters; POST and other unsafe methods with a valid CSRF
 * token), and the answer must fit the route's declared rule:
 *
 *   anonymous           → 303 to /sign-in (401 under /api/)
 *   not allowed         → 403 (a supplier user on staff routes, too low a role, non-admins on
 *                         platform-admin routes, staff on supplier routes…)
 *   allowed             → neither of those (and never a 5xx)
 *
 * The test fails when a route's rule is one it does not know how to check, so a new kind of
 * access rule has to be thought about here; and routes under /manage and /admin must be staff and
 * platform-admin routes respectively.
 *
 * The route list comes from Fastify's own printRoutes() tree; every path read from it is checked
 * with app.hasRoute(), so a change in that format fails loudly rather than skipping routes. Each
 * route's declared rule is read from `request.routeOptions.config.access` by a hook.
 */
import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { buildApp, type App } from '../../src/app.js';
import type { Database } from '../../src/db/client.js';
import { ACCESS_RULES, type Access } from '../../src/plugins/access.js';
import { buildTestApp } from '../helper.js';
import { createUser, type CreateUserOptions } from '../support/auth.js';
import { createBuyer } from '../support/factories.js';
import { anonymous, createSupplier, signInSession, type Session } from './support.js';

export interface RouteEntry {
  method: string;
  /** The path as registered, e.g. /manage/staff/:id/role. */
  url: string;
}

const METHODS = /^[A-Z]+(, [A-Z]+)*$/;

/**
 * Reads Fastify's route tree (printRoutes with commonPrefix: false): each line is a leaf whose
 * path continues its parent's, indented four characters per level, with its methods in brackets.
 * Wildcard routes print as a bare "*" without their prefix, so they are returned separately.
 */
export function parseRouteTree(tree: string): { routes: RouteEntry[]; wildcards: string[]; unreadable: string[] } {
  const routes: RouteEntry[] = [];
  const wildcards: string[] = [];
  const unreadable: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    if (line.trim() === '') continue;
    const match = /^((?:[│ ] {3})*)[└├]── (.+?) \(([^)]*)\)$/.exec(line);
    if (!match || !METHODS.test(match[3]!)) {
      unreadable.push(line);
      continue;
    }
    const depth = match[1]!.length / 4;
    const segment = match[2]!;
    const methods = match[3]!.split(', ');
    stack.length = depth;
    if (segment === '*') {
      wildcards.push(...methods);
      stack[depth] = `${stack[depth - 1] ?? ''}*`;
      continue;
    }
    const path = `${stack[depth - 1] ?? ''}${segment}`;
    stack[depth] = path;
    for (const method of methods) routes.push({ method, url: path });
  }
  return { routes, wildcards, unreadable };
}

/** Path parameters, with the alternatives printRoutes shows when two routes name one differently (":id|:userId"). */
const PARAMETER = /:[^/]+/g;
const FAKE_ID = '987654';
const realPath = (url: string) => url.replace(PARAMETER, (p) => p.split('|')[0]!);
const fakePath = (url: string) => url.replace(PARAMETER, FAKE_ID);

type Persona = 'anonymous' | 'supplier' | 'viewerA' | 'editorA' | 'adminA' | 'staffB' | 'platformAdmin';
const PERSONAS: Persona[] = ['anonymous', 'supplier', 'viewerA', 'editorA', 'adminA', 'staffB', 'platformAdmin'];
type Outcome = 'sign-in' | 'forbidden' | 'allowed';

/** What each kind of person must get from a route with each access rule. 'public' routes are not walked. */
const EXPECTED: Partial<Record<Access, Record<Persona, Outcome>>> = {
  user: { anonymous: 'sign-in', supplier: 'allowed', viewerA: 'allowed', editorA: 'allowed', adminA: 'allowed', staffB: 'allowed', platformAdmin: 'allowed' },
  supplier: { anonymous: 'sign-in', supplier: 'allowed', viewerA: 'forbidden', editorA: 'forbidden', adminA: 'forbidden', staffB: 'forbidden', platformAdmin: 'forbidden' },
  'staff:viewer': { anonymous: 'sign-in', supplier: 'forbidden', viewerA: 'allowed', editorA: 'allowed', adminA: 'allowed', staffB: 'allowed', platformAdmin: 'forbidden' },
  'staff:editor': { anonymous: 'sign-in', supplier: 'forbidden', viewerA: 'forbidden', editorA: 'allowed', adminA: 'allowed', staffB: 'allowed', platformAdmin: 'forbidden' },
  'staff:admin': { anonymous: 'sign-in', supplier: 'forbidden', viewerA: 'forbidden', editorA: 'forbidden', adminA: 'allowed', staffB: 'allowed', platformAdmin: 'forbidden' },
  'platform-admin': { anonymous: 'sign-in', supplier: 'forbidden', viewerA: 'forbidden', editorA: 'forbidden', adminA: 'forbidden', staffB: 'forbidden', platformAdmin: 'allowed' },
};

/** Path prefixes whose routes must carry one of these rules. */
const AREAS: [string, Access[]][] = [
  ['/manage', ['staff:viewer', 'staff:editor', 'staff:admin']],
  ['/admin', ['platform-admin']],
];

/** A signed-in persona that can be restored if a route under test ends its session or account. */
class Person {
  session!: Session;
  constructor(
    private readonly app: App,
    private readonly database: Database,
    private readonly options: CreateUserOptions,
    private readonly extraBuyers: { buyerId: number; role: 'admin' | 'editor' | 'viewer' }[] = [],
  ) {}

  async signIn(): Promise<void> {
    const user = await createUser(this.database, this.options);
    for (const extra of this.extraBuyers) await this.database.pool.query('insert into memberships (user_id, buyer_id, role) values ($1, $2, $3)', [user.id, extra.buyerId, extra.role]);
    this.session = await signInSession(this.app, this.database, user);
  }

  /** Signs in afresh when the previous request ended the session (sign out everywhere) or the account (deletion). */
  async ensure(): Promise<void> {
    const { rows } = await this.database.pool.query('select 1 from sessions s join users u on u.id = s.user_id where s.user_id = $1 and u.erased_at is null', [this.session.user.id]);
    if (rows.length === 0) await this.signIn();
  }
}

async function request(app: App, method: string, url: string, auth: { cookie: string; csrf: string }): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = auth.cookie ? { cookie: auth.cookie } : {};
  if (method === 'GET' || method === 'OPTIONS') return app.inject({ method, url, headers });
  if (url.startsWith('/api/')) return app.inject({ method: method as 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: '{}' });
  return app.inject({
    method: method as 'POST',
    url,
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: auth.csrf }).toString(),
  });
}

function outcomeOf(url: string, response: LightMyRequestResponse): Outcome | `other ${number}` {
  if (url.startsWith('/api/') ? response.statusCode === 401 : response.statusCode === 303 && String(response.headers.location).startsWith('/sign-in')) return 'sign-in';
  if (response.statusCode === 403) return 'forbidden';
  if (response.statusCode >= 500) return `other ${response.statusCode}`;
  return 'allowed';
}

t.test('the route tree parser reads nested, parametric and wildcard routes', async (t) => {
  const tree = ['└── / (GET, HEAD)', '    ├── * (HEAD, GET)', '    ├── a (GET)', '    │   └── /:id|:userId/b (POST)', '    └── c (GET, HEAD)', '        └── .csv (GET)', ''].join('\n');
  const parsed = parseRouteTree(tree);
  t.same(parsed.unreadable, []);
  t.same(parsed.wildcards, ['HEAD', 'GET']);
  t.same(parsed.routes, [
    { method: 'GET', url: '/' },
    { method: 'HEAD', url: '/' },
    { method: 'GET', url: '/a' },
    { method: 'POST', url: '/a/:id|:userId/b' },
    { method: 'GET', url: '/c' },
    { method: 'HEAD', url: '/c' },
    { method: 'GET', url: '/c.csv' },
  ]);
  t.equal(fakePath('/a/:id|:userId/b'), `/a/${FAKE_ID}/b`);
  t.equal(realPath('/a/:id|:userId/b'), '/a/:id/b');
});

interface WalkResult {
  failures: string[];
  checked: string[];
}

/**
 * Walks the routes of `app` (built with buildApp, not yet ready) as every persona. `expected` is
 * the table of outcomes by rule; `only` limits the walk to some routes.
 */
async function walkRoutes(app: App, database: Database, options: { expected?: typeof EXPECTED; only?: (route: RouteEntry) => boolean } = {}): Promise<WalkResult> {
  const expectations = options.expected ?? EXPECTED;
  const failures: string[] = [];
  const checked: string[] = [];

  // Which rule each route declared, read from the request as Fastify routed it.
  const declared = new Map<string, string | undefined>();
  app.addHook('onRequest', async (req) => {
    declared.set(`${req.method} ${req.routeOptions.url ?? ''}`, req.routeOptions.config.access);
  });
  await app.ready();

  const { routes, wildcards, unreadable } = parseRouteTree(app.printRoutes({ commonPrefix: false }));
  for (const line of unreadable) failures.push(`could not read this line of the route tree: ${line}`);
  if (routes.length < 20) failures.push(`only ${routes.length} routes found in the route tree`);
  for (const route of routes) {
    if (!app.hasRoute({ method: route.method as 'GET', url: realPath(route.url) })) failures.push(`the parsed route ${route.method} ${route.url} does not exist: the route tree was misread`);
  }
  // The only wildcard routes are @fastify/static's files, which src/plugins/access.ts leaves public.
  if (!wildcards.every((m) => ['GET', 'HEAD'].includes(m)) || !app.hasRoute({ method: 'GET', url: '/assets/*' })) failures.push(`unexpected wildcard routes: ${wildcards.join(', ')}`);

  const a = await createBuyer(database, { name: 'Organisation A' });
  const b = await createBuyer(database, { name: 'Organisation B' });
  const supplier = await createSupplier(database);
  const people: Record<Exclude<Persona, 'anonymous'>, Person> = {
    supplier: new Person(app, database, { supplierId: supplier.id }),
    viewerA: new Person(app, database, { buyer: { buyerId: a.id, role: 'viewer' } }),
    editorA: new Person(app, database, { buyer: { buyerId: a.id, role: 'editor' } }),
    adminA: new Person(app, database, { buyer: { buyerId: a.id, role: 'admin' } }),
    staffB: new Person(app, database, { buyer: { buyerId: b.id, role: 'admin' } }),
    platformAdmin: new Person(app, database, { platformAdmin: true }),
  };
  for (const person of Object.values(people)) await person.signIn();
  const visitor = await anonymous(app);

  // HEAD routes are Fastify's automatic twins of GET routes (and public by src/plugins/access.ts).
  const walked = routes.filter((r) => r.method !== 'HEAD' && (options.only?.(r) ?? true));
  for (const route of walked) {
    const url = fakePath(route.url);
    const key = `${route.method} ${realPath(route.url)}`;
    // The anonymous request first: it also tells us the rule the route declared.
    const anonymousResponse = await request(app, route.method, url, visitor);
    const access = declared.get(key);
    if (access === undefined) {
      failures.push(`${key}: could not read its access rule (answered ${anonymousResponse.statusCode})`);
      continue;
    }
    for (const [prefix, rules] of AREAS) {
      if ((route.url === prefix || route.url.startsWith(`${prefix}/`)) && !rules.includes(access as Access)) failures.push(`${key} is under ${prefix} but has access "${access}" (expected ${rules.join(' or ')})`);
    }
    if (access === 'public') continue;
    const expected = expectations[access as Access];
    if (!expected) {
      failures.push(`${key} has access rule "${access}", which this test does not know how to check: add it to EXPECTED in test/admin/route-authorisation.test.ts`);
      continue;
    }

    const outcomes: Partial<Record<Persona, string>> = { anonymous: outcomeOf(url, anonymousResponse) };
    for (const persona of PERSONAS.slice(1) as Exclude<Persona, 'anonymous'>[]) {
      const person = people[persona];
      await person.ensure();
      outcomes[persona] = outcomeOf(url, await request(app, route.method, url, person.session));
    }
    const wrong = PERSONAS.filter((p) => outcomes[p] !== expected[p]).map((p) => `${p}: expected ${expected[p]}, got ${outcomes[p]}`);
    if (wrong.length) failures.push(`${key} (${access}): ${wrong.join('; ')}`);
    else checked.push(`${key} (${access})`);
  }
  return { failures, checked };
}

/** The app as buildApp makes it, not yet ready, so that the walk can add its hook. */
async function unreadyApp(t: Parameters<typeof buildTestApp>[0]) {
  const built = await buildTestApp(t);
  const app = await buildApp({ config: built.config, database: built.database, jobs: built.jobs });
  t.teardown(() => app.close());
  return { app, database: built.database };
}

t.test('every non-public route answers each kind of person as its access rule says', async (t) => {
  const { app, database } = await unreadyApp(t);
  const { failures, checked } = await walkRoutes(app, database);
  for (const failure of failures) t.fail(failure);
  for (const route of checked) t.pass(route);
  t.ok(
    checked.some((c) => c.endsWith('(staff:admin)')) && checked.some((c) => c.endsWith('(staff:viewer)')) && checked.some((c) => c.endsWith('(platform-admin)')),
    `${checked.length} non-public routes checked, staff and platform-admin ones among them`,
  );
  t.same(
    ACCESS_RULES.filter((rule) => rule !== 'public' && !EXPECTED[rule]),
    [],
    'every access rule of src/plugins/access.ts has expectations here',
  );
});

t.test('the walk fails for a rule it cannot check, a route outside its area’s rule, and a route that refuses the wrong people', async (t) => {
  const { app, database } = await unreadyApp(t);
  app.get('/admin/forgotten', { config: { access: 'user' } }, async () => 'any signed-in user');
  app.get('/manage/open-by-mistake', { config: { access: 'public' } }, async () => 'anyone');
  app.post('/manage/refuses-everyone', { config: { access: 'staff:viewer' } }, async (_request, reply) => reply.code(403).send('no'));
  const { supplier: _unknown, ...withoutSupplier } = EXPECTED;
  const { failures } = await walkRoutes(app, database, {
    expected: withoutSupplier,
    only: (r) => ['/admin/forgotten', '/manage/open-by-mistake', '/manage/refuses-everyone', '/supplier/edit'].includes(r.url),
  });
  const patterns = [
    /^GET \/admin\/forgotten is under \/admin but has access "user"/,
    /^GET \/manage\/open-by-mistake is under \/manage but has access "public"/,
    /^POST \/manage\/refuses-everyone \(staff:viewer\): viewerA: expected allowed, got forbidden; editorA: expected allowed, got forbidden; adminA: expected allowed, got forbidden; staffB: expected allowed, got forbidden$/,
    /^GET \/supplier\/edit has access rule "supplier", which this test does not know how to check/,
    /^POST \/supplier\/edit has access rule "supplier", which this test does not know how to check/,
  ];
  for (const pattern of patterns) t.ok(failures.some((f) => pattern.test(f)), `reported: ${pattern}`);
  t.equal(failures.length, patterns.length, `nothing else reported:\n${failures.join('\n')}`);
});
