// The privacy registry stays complete: every table that refers to a person or a supplier is
// covered by a registration, or listed here with the reason it holds no personal data.
import { is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import t from 'tap';
import * as schema from '../../src/db/schema.js';
import '../../src/modules/privacy/registrations.js';
import { PersonalDataRegistry, personalDataRegistry, type PersonalDataRegistration } from '../../src/modules/privacy/registry.js';

/** Tables that refer to users or suppliers but hold nothing personal beyond what a registration covers. */
const NOT_PERSONAL: Record<string, string> = {
  opportunities:
    'created_by only points at the staff member’s account, which erasure anonymises (the row stays, named "Deleted user"); the audit log, which is exported, records the same fact',
};

/** Tables that hold people's data without a foreign key to users or suppliers. */
const PERSONAL_WITHOUT_KEY = ['users', 'suppliers', 'rate_limit_counters'];

const tables = (Object.values(schema) as unknown[]).filter((value): value is PgTable => is(value, PgTable));

t.test('every table referring to users or suppliers is covered by a registration', async (t) => {
  const covered = new Set(personalDataRegistry.list().flatMap((r) => r.tables));
  const referring = tables
    .map((table) => getTableConfig(table))
    .filter((config) => config.foreignKeys.some((fk) => ['users', 'suppliers'].includes(getTableConfig(fk.reference().foreignTable).name)))
    .map((config) => config.name);
  t.ok(referring.length >= 5, `found the referring tables: ${referring.join(', ')}`);
  for (const name of [...referring, ...PERSONAL_WITHOUT_KEY]) {
    t.ok(covered.has(name) || name in NOT_PERSONAL, `${name} is covered by a privacy registration (src/modules/privacy/registrations.ts)`);
  }
  const names = new Set(tables.map((table) => getTableConfig(table).name));
  for (const name of covered) t.ok(names.has(name), `registered table ${name} exists`);
});

t.test('every registration describes itself fully', async (t) => {
  for (const registration of personalDataRegistry.list()) {
    for (const field of ['title', 'held', 'why', 'lawfulBasis', 'retention', 'onDeletion'] as const) {
      t.ok(registration.describe[field].trim().length > 0, `${registration.name}.${field}`);
    }
  }
});

t.test('names are unique and snake_case; erasure runs bottom-up', async (t) => {
  const registry = new PersonalDataRegistry();
  const make = (name: string): PersonalDataRegistration => ({
    name,
    tables: [],
    describe: { title: name, held: 'h', why: 'w', lawfulBasis: 'l', retention: 'r', onDeletion: 'd' },
    exportFor: async () => null,
    eraseFor: async () => {},
  });
  registry.register(make('first'));
  registry.register(make('second'));
  t.throws(() => registry.register(make('first')), /registered twice/);
  t.throws(() => registry.register(make('Bad-Name')), /snake_case/);
  t.same(registry.list().map((r) => r.name), ['first', 'second']);
  t.same(registry.erasureOrder().map((r) => r.name), ['second', 'first']);
  t.equal(personalDataRegistry.erasureOrder().at(-1)?.name, 'account', 'the account itself is anonymised last');
});
