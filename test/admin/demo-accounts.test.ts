// The demo's accounts: loaded with the demo data, usable with the demo password, and listed in the
// start-up banner only while they still have it.
import { eq } from 'drizzle-orm';
import t from 'tap';
import { memberships, users } from '../../src/modules/accounts/accounts.table.js';
import { hashPassword } from '../../src/modules/accounts/passwords.js';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, demoAccountsBanner } from '../../src/modules/demo/demo-accounts.js';
import { loadDemoData } from '../../src/modules/demo/demo-data.js';
import { page } from '../accounts/support.js';
import { buildTestApp, createTestDatabase } from '../helper.js';
import { get, signInSession } from './support.js';

t.test('the demo data brings a platform administrator, council staff and a supplier user who can sign in', async (t) => {
  const database = await createTestDatabase(t);
  const { app, config } = await buildTestApp(t, { database });
  await loadDemoData(database, config, { log: () => {}, now: new Date('2026-06-15T08:30:00Z') });

  const rows = await database.db.select().from(users);
  t.same(rows.map((u) => u.email).sort(), DEMO_ACCOUNTS.map((a) => a.email).sort(), 'the demo accounts, and no one else');
  t.ok(rows.every((u) => u.emailVerifiedAt), 'verified');
  t.equal(new Set(rows.map((u) => u.passwordHash)).size, 1);
  t.notMatch(rows[0]!.passwordHash, DEMO_PASSWORD, 'hashed');

  const session = async (email: string) => {
    const user = rows.find((u) => u.email === email)!;
    return signInSession(app, database, { id: user.id, email, name: user.name, password: DEMO_PASSWORD });
  };

  const platform = await session('demo-admin@example.org');
  const organisations = page(await get(app, '/admin/organisations', platform));
  t.match(organisations('table').text(), new RegExp(config.brand.councilName));

  const councilAdmin = await session('demo-council-admin@example.org');
  const team = await get(app, '/manage/staff', councilAdmin);
  t.equal(team.statusCode, 200);
  t.match(page(team)('main').text(), /Demo Council Editor[\s\S]*Editor/);
  t.equal((await get(app, '/manage/staff/invite', councilAdmin)).statusCode, 200, 'the council admin can invite');

  const editor = await session('demo-editor@example.org');
  const home = page(await get(app, '/manage', editor));
  t.equal(home('input[name="buyerId"]').length, 2, 'the editor works for two organisations');
  t.equal((await get(app, '/manage/staff/invite', editor)).statusCode, 403);

  const supplierUser = rows.find((u) => u.email === 'demo-supplier@example.org')!;
  const supplierMemberships = await database.db.select().from(memberships).where(eq(memberships.userId, supplierUser.id));
  t.match(supplierMemberships, [{ role: 'member', buyerId: null }]);
  const supplier = await session('demo-supplier@example.org');
  t.equal((await get(app, '/manage', supplier)).statusCode, 403, 'a supplier is not staff');
});

t.test('the banner lists the demo accounts that still have the demo password', async (t) => {
  const database = await createTestDatabase(t);
  const { config } = await buildTestApp(t, { database });
  t.equal(await demoAccountsBanner(database.db), null, 'no demo accounts, no banner');
  await loadDemoData(database, config, { log: () => {} });

  const banner = await demoAccountsBanner(database.db, 'http://localhost:3000');
  t.ok(banner);
  t.match(banner, /sign in at http:\/\/localhost:3000\/sign-in/);
  t.match(banner, `Password for each: ${DEMO_PASSWORD}`);
  for (const account of DEMO_ACCOUNTS) t.match(banner, account.email);

  await database.db.update(users).set({ passwordHash: await hashPassword('a private password of my own') }).where(eq(users.email, 'demo-admin@example.org'));
  const after = await demoAccountsBanner(database.db);
  t.notMatch(after, 'demo-admin@example.org', 'a changed password is not advertised');
  t.match(after, 'demo-editor@example.org');
});
