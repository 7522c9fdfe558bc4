/**
 * `npm run create-admin` (scripts/create-admin.ts): its arguments, and real runs against a test
 * database through DATABASE_URL — a new administrator sets a password through the printed link
 * and gets into platform administration; an existing account is promoted; bad arguments exit 2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import t from 'tap';
import { users } from '../../src/modules/accounts/accounts.table.js';
import { hashToken } from '../../src/modules/accounts/tokens.js';
import { userTokens } from '../../src/modules/accounts/tokens.table.js';
import { nameFromEmail, parseCreateAdminArgs } from '../../src/modules/admin/platform-admins.js';
import { projectRoot } from '../../src/paths.js';
import { buildTestApp, type TestContext } from '../helper.js';
import { createUser, postForm, openForm } from '../support/auth.js';
import { NodeProcess } from '../support/process.js';
import { auditEntries, get, signInSession } from './support.js';

const PUBLIC_URL = 'http://portal.example.gov.uk';

t.test('arguments', async (t) => {
  t.same(parseCreateAdminArgs(['--email', ' Someone@Council.gov.uk ']), { ok: true, args: { help: false, email: 'someone@council.gov.uk', name: undefined } });
  t.same(parseCreateAdminArgs(['--email=a@b.org', '--name', '  Jo   Bloggs ']), { ok: true, args: { help: false, email: 'a@b.org', name: 'Jo Bloggs' } });
  t.same(parseCreateAdminArgs(['--help']), { ok: true, args: { help: true, email: '', name: undefined } });
  t.same(parseCreateAdminArgs(['-h', '--email', 'x']), { ok: true, args: { help: true, email: '', name: undefined } }, 'help wins');
  const errors: [string[], RegExp][] = [
    [[], /^--email is required$/],
    [['--email'], /^--email needs an email address$/],
    [['--email', '--name', 'Jo'], /^--email needs an email address$/],
    [['--email', 'not-an-email'], /^"not-an-email" is not an email address$/],
    [['--email', 'a@b.org', '--name'], /^--name needs a name$/],
    [['--email', 'a@b.org', '--name', '   '], /^--name must be 1 to 200 characters$/],
    [['--email', 'a@b.org', '--admin'], /^unknown option --admin$/],
    [['a@b.org'], /^unexpected argument "a@b\.org"$/],
  ];
  for (const [argv, message] of errors) {
    const parsed = parseCreateAdminArgs(argv);
    t.match(parsed.ok ? '' : parsed.error, message, argv.join(' ') || '(none)');
  }
  t.equal(nameFromEmail('jo.bloggs@council.gov.uk'), 'Jo Bloggs');
  t.equal(nameFromEmail('procurement-team@x.org'), 'Procurement Team');
});

async function runCreateAdmin(t: TestContext, args: string[], env: Record<string, string>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-create-admin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = new NodeProcess(path.join(projectRoot, 'scripts', 'create-admin.ts'), args, { cwd: dir, env: { DATA_DIR: path.join(dir, 'var'), PUBLIC_URL, ...env } });
  t.teardown(() => child.kill());
  const exit = await child.waitForExit(120_000);
  const text = (stream: 'stdout' | 'stderr') => child.lines.filter((l) => l.stream === stream && l.text.trim()).map((l) => l.text);
  return { code: exit.code, stdout: text('stdout'), stderr: text('stderr') };
}

t.test('bad arguments: one line and exit code 2, before touching any database; --help', async (t) => {
  const bad = await runCreateAdmin(t, ['--email', 'nope'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
  t.equal(bad.code, 2);
  t.same(bad.stderr, ['create-admin: "nope" is not an email address (npm run create-admin -- --help shows the options)']);
  t.same(bad.stdout, []);
  const help = await runCreateAdmin(t, ['--help'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
  t.equal(help.code, 0);
  t.match(help.stdout.join('\n'), /^Usage: npm run create-admin -- --email/);
  const unreachable = await runCreateAdmin(t, ['--email', 'a@b.org'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
  t.equal(unreachable.code, 1);
  t.match(unreachable.stderr.at(-1), /^create-admin: failed: /);
});

t.test('a new platform administrator sets a password through the printed link and gets in', async (t) => {
  const { app, database } = await buildTestApp(t, { env: { PUBLIC_URL } });
  const run = await runCreateAdmin(t, ['--email', 'Chief.Admin@Council.gov.uk', '--name', 'Chris Chief'], { DATABASE_URL: database.connectionString });
  t.equal(run.code, 0, run.stderr.join('\n'));
  t.equal(run.stdout[0], 'Created a platform administrator account for chief.admin@council.gov.uk.');
  const link = run.stdout.map((l) => l.trim()).find((l) => l.startsWith(`${PUBLIC_URL}/reset-password/`));
  t.ok(link, 'a set-password link is printed');
  t.match(run.stdout.join('\n'), /within 1 hour/);

  const [user] = await database.db.select().from(users).where(sql`lower(${users.email}) = 'chief.admin@council.gov.uk'`);
  t.match(user, { name: 'Chris Chief', isPlatformAdmin: true, passwordHash: null });
  const token = link!.split('/').pop()!;
  const [stored] = await database.db.select().from(userTokens).where(eq(userTokens.userId, user!.id));
  t.equal(stored!.purpose, 'reset_password');
  t.equal(stored!.tokenHash, hashToken(token), 'only its hash is stored');
  t.match(await auditEntries(database), [{ action: 'user.platform_admin_granted', entity_id: String(user!.id) }]);

  // Following the link: the accounts module's "choose a new password" page.
  const path = link!.slice(PUBLIC_URL.length);
  const form = await openForm(app, path);
  const password = 'granite harbour lights flicker';
  const set = await postForm(app, path, { newPassword: password, confirmPassword: password }, form.cookie, { csrf: form.csrf });
  t.ok([200, 303].includes(set.statusCode), `the password is set (${set.statusCode})`);
  const admin = await signInSession(app, database, { id: user!.id, email: user!.email, name: user!.name, password });
  t.equal((await get(app, '/admin/organisations', admin)).statusCode, 200, 'into platform administration');

  // Again: nothing to do, and no new link now that the account has a password.
  const again = await runCreateAdmin(t, ['--email', 'chief.admin@council.gov.uk'], { DATABASE_URL: database.connectionString });
  t.equal(again.code, 0);
  t.same(again.stdout, ['chief.admin@council.gov.uk is already a platform administrator; nothing changed.']);
});

t.test('an existing account is promoted, keeping its password; no secret is printed', async (t) => {
  const { database } = await buildTestApp(t);
  const existing = await createUser(database, { email: 'officer@council.gov.uk', name: 'Olu Officer' });
  const run = await runCreateAdmin(t, ['--email', 'OFFICER@council.gov.uk', '--name', 'Ignored Name'], { DATABASE_URL: database.connectionString });
  t.equal(run.code, 0, run.stderr.join('\n'));
  t.same(run.stdout, ['officer@council.gov.uk is now a platform administrator.']);
  t.same(run.stderr, []);
  const [user] = await database.db.select().from(users).where(eq(users.id, existing.id));
  t.match(user, { isPlatformAdmin: true, name: 'Olu Officer' });
  t.ok(user!.passwordHash, 'the password is kept');
  t.notMatch([...run.stdout, ...run.stderr].join('\n'), existing.password);
  t.equal((await database.db.select().from(userTokens)).length, 0, 'no link issued');
});
