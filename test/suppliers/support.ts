/**
 * Test data for the supplier pages: suppliers written straight to the table, members and staff
 * signed in through the real /sign-in form (test/support/auth.ts), a valid profile form, and a
 * reader for the GOV.UK error pattern.
 */
import { randomBytes } from 'node:crypto';
import * as cheerio from 'cheerio';
import { eq } from 'drizzle-orm';
import type { App } from '../../src/app.js';
import type { Database } from '../../src/db/client.js';
import { auditLog } from '../../src/modules/audit/audit.table.js';
import { suppliers } from '../../src/modules/suppliers/suppliers.table.js';
import { createBuyer } from '../support/factories.js';
import { createUser, signInAs, type TestUser } from '../support/auth.js';

type SupplierInsert = typeof suppliers.$inferInsert;

export async function createSupplier(database: Database, overrides: Partial<SupplierInsert> = {}) {
  const suffix = randomBytes(3).toString('hex');
  const [row] = await database.db
    .insert(suppliers)
    .values({
      name: `Test Supplier ${suffix}`,
      legalForm: 'private_limited_company',
      companiesHouseNumber: '01234567',
      size: 'small',
      postcode: 'B66 1AA',
      local: true,
      offer: 'Grounds maintenance and grass cutting for parks and schools.',
      cpvCodes: ['77314000'],
      directoryConsent: true,
      ...overrides,
    })
    .returning();
  return row!;
}

export async function findSupplierRow(database: Database, id: number) {
  const [row] = await database.db.select().from(suppliers).where(eq(suppliers.id, id));
  return row;
}

export async function auditActions(database: Database, supplierId: number): Promise<string[]> {
  const rows = await database.db.select({ action: auditLog.action, entityType: auditLog.entityType, entityId: auditLog.entityId }).from(auditLog).orderBy(auditLog.id);
  return rows.filter((r) => r.entityType === 'supplier' && r.entityId === String(supplierId)).map((r) => r.action);
}

/** A signed-in user with no supplier yet. */
export async function signedInUser(app: App, database: Database, options: Parameters<typeof createUser>[1] = {}): Promise<{ user: TestUser; cookie: string }> {
  const user = await createUser(database, options);
  return { user, cookie: await signInAs(app, user.email, user.password) };
}

/** A supplier and one of its members, signed in. */
export async function signedInMember(app: App, database: Database, overrides: Partial<SupplierInsert> = {}) {
  const supplier = await createSupplier(database, overrides);
  const { user, cookie } = await signedInUser(app, database, { supplierId: supplier.id });
  return { supplier, user, cookie };
}

/** A buyer organisation's officer with the given role, signed in. */
export async function signedInStaff(app: App, database: Database, role: 'admin' | 'editor' | 'viewer' = 'viewer') {
  const buyer = await createBuyer(database);
  const { user, cookie } = await signedInUser(app, database, { buyer: { buyerId: buyer.id, role } });
  return { buyer, user, cookie };
}

/** A complete, valid profile form (override any field). */
export function profileFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    name: 'Oldbury Community Gardens',
    legalForm: 'community_interest_company',
    companiesHouseNumber: '12345678',
    charityNumber: '',
    charityRegister: '',
    size: 'micro',
    vcse: 'yes',
    streetAddress: '1 High Street',
    locality: 'Oldbury',
    postcode: 'B69 3DE',
    offer: 'We look after green spaces: grass cutting, planting and community gardening sessions.',
    website: 'https://www.example.org',
    directoryConsent: 'yes',
    ...overrides,
  };
}

/** What a GOV.UK form page shows of its errors: the summary's links and each field's own message. */
export function formErrors(html: string) {
  const $ = cheerio.load(html);
  return {
    title: $('title').text().trim(),
    summary: $('.govuk-error-summary__list a')
      .map((_, a) => ({ href: $(a).attr('href') ?? '', text: $(a).text().trim() }))
      .get(),
    /** The text of `#<field>-error`, without the visually hidden "Error:". */
    fieldError: (field: string) => $(`#${field}-error`).text().replace(/^\s*Error:\s*/, '').trim(),
    /** The value of an input or textarea, or the checked value of radios named `name`. */
    value: (name: string) => {
      const checked = $(`input[name="${name}"]:checked`);
      if (checked.length) return checked.attr('value') ?? '';
      const input = $(`input[name="${name}"]`);
      if (input.length) return input.attr('value') ?? '';
      return $(`textarea[name="${name}"]`).text();
    },
    /** Whether the page has an element with this id (the summary's links must land somewhere). */
    has: (id: string) => $(`[id="${id}"]`).length > 0,
    $,
  };
}
