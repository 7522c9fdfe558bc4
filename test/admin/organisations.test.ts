// Platform administration of buyer organisations: list, add, change, invite a first administrator.
import { eq } from 'drizzle-orm';
import t from 'tap';
import { buyerOrganisations } from '../../src/modules/buyers/buyers.table.js';
import { normaliseUkPostcode } from '../../src/modules/buyers/postcode.js';
import { formErrors, page } from '../accounts/support.js';
import { buildTestApp } from '../helper.js';
import { createBuyer } from '../support/factories.js';
import { auditEntries, get, post, signedIn, snapshot } from './support.js';

const VALID = {
  name: 'Rowley Regis Town Council',
  kind: 'town_council',
  identifierScheme: 'GB-PPON',
  identifierId: 'pabc-1234-defg',
  streetAddress: 'Town Hall, 1 High Street',
  locality: 'Rowley Regis',
  postcode: 'b65 0aa',
  contactEmail: 'Clerk@Rowley.example.org',
  contactPhone: '0121 496 0123',
  website: 'www.rowley.example.org',
};

t.test('UK postcodes are checked and normalised', async (t) => {
  t.equal(normaliseUkPostcode(' b69 3de '), 'B69 3DE');
  t.equal(normaliseUkPostcode('sw1a1aa'), 'SW1A 1AA');
  t.equal(normaliseUkPostcode('WS10 0AB'), 'WS10 0AB');
  t.equal(normaliseUkPostcode('EC1A 1BB'), 'EC1A 1BB');
  t.equal(normaliseUkPostcode('GIR 0AA'), 'GIR 0AA');
  for (const bad of ['', 'B69', '12345', 'B69 3CE', 'QQ1 1AA', 'B69 3DEE', 'not a postcode']) t.equal(normaliseUkPostcode(bad), null, `"${bad}" is refused`);
});

t.test('a platform administrator adds an organisation: normalised values, unique slug, audit entry', async (t) => {
  const { app, database } = await buildTestApp(t);
  const admin = await signedIn(app, database, { platformAdmin: true, name: 'Pat Admin' });

  const home = await get(app, '/admin', admin);
  t.equal(home.statusCode, 303);
  t.equal(home.headers.location, '/admin/organisations');

  const form = await get(app, '/admin/organisations/new', admin);
  t.equal(form.statusCode, 200);
  const $ = page(form);
  t.equal($('label[for="name"]').length, 1, 'the name has a label');
  t.equal($('fieldset legend').first().text().trim(), 'What kind of organisation is it?');
  t.equal($('input[name="kind"]').length, 7, 'every kind of buyer');
  t.match($('label[for="kind"]').text(), /Council/);
  t.equal($('#postcode').attr('autocomplete'), 'postal-code');

  const res = await post(app, '/admin/organisations/new', VALID, admin);
  t.equal(res.statusCode, 303);
  const [buyer] = await database.db.select().from(buyerOrganisations).where(eq(buyerOrganisations.name, VALID.name));
  t.ok(buyer);
  t.equal(res.headers.location, `/admin/organisations/${buyer!.id}`);
  t.match(buyer, {
    slug: 'rowley-regis-town-council',
    kind: 'town_council',
    identifierScheme: 'GB-PPON',
    identifierId: 'PABC-1234-DEFG',
    postcode: 'B65 0AA',
    contactEmail: 'clerk@rowley.example.org',
    contactPhone: '0121 496 0123',
    website: 'https://www.rowley.example.org',
  });
  const audit = await auditEntries(database);
  t.match(audit, [{ action: 'buyer.created', entity_type: 'buyer_organisation', entity_id: String(buyer!.id), buyer_id: buyer!.id, actor_user_id: admin.user.id, after: { name: VALID.name, postcode: 'B65 0AA' } }]);

  const detail = await get(app, res.headers.location as string, admin);
  t.equal(detail.statusCode, 200);
  const d = page(detail);
  t.match(d('.govuk-notification-banner').text(), /Rowley Regis Town Council has been added/);
  t.match(d('.govuk-summary-list').text(), /PABC-1234-DEFG \(Public Procurement Organisation Number \(PPON\)\)/);
  t.match(d('.govuk-inset-text').text(), /no administrator yet/);

  const list = await get(app, '/admin/organisations', admin);
  t.match(page(list)('table').text(), /Rowley Regis Town Council/);

  // A second organisation whose name gives the same slug gets "-2"; the same name is refused.
  const similar = await post(app, '/admin/organisations/new', { ...VALID, name: 'Rowley Regis Town-Council', identifierScheme: '', identifierId: '' }, admin);
  t.equal(similar.statusCode, 303);
  const [second] = await database.db.select().from(buyerOrganisations).where(eq(buyerOrganisations.name, 'Rowley Regis Town-Council'));
  t.equal(second!.slug, 'rowley-regis-town-council-2');
  t.equal(second!.identifierScheme, null);

  const before = await snapshot(database);
  const duplicate = await post(app, '/admin/organisations/new', { ...VALID, name: '  rowley regis   TOWN council ' }, admin);
  t.equal(duplicate.statusCode, 400);
  t.same(formErrors(duplicate).summary, [{ href: '#name', text: 'There is already an organisation with this name' }]);
  t.equal(await snapshot(database), before, 'nothing changed');
});

t.test('the organisation form refuses bad input with the GOV.UK error pattern and changes nothing', async (t) => {
  const { app, database } = await buildTestApp(t);
  const admin = await signedIn(app, database, { platformAdmin: true });
  const before = await snapshot(database);

  const empty = await post(app, '/admin/organisations/new', {}, admin);
  t.equal(empty.statusCode, 400);
  const errors = formErrors(empty);
  t.match(errors.title, /^Error: Add an organisation/);
  t.same(errors.summary, [
    { href: '#name', text: 'Enter the name of the organisation' },
    { href: '#kind', text: 'Select what kind of organisation it is' },
  ]);
  t.equal(errors.fields.name, 'Enter the name of the organisation');
  t.equal(errors.fields.kind, 'Select what kind of organisation it is');

  const bad = await post(
    app,
    '/admin/organisations/new',
    {
      name: 'Tipton Academy',
      kind: 'school',
      identifierScheme: 'GB-PPON',
      identifierId: '12345',
      streetAddress: 'School Lane',
      locality: 'Tipton',
      postcode: 'DY4 XYZ',
      contactEmail: 'office@',
      contactPhone: '12345',
      website: 'javascript:alert(1)',
    },
    admin,
  );
  t.equal(bad.statusCode, 400);
  const badErrors = formErrors(bad);
  t.same(
    badErrors.summary.map((e) => e.href),
    ['#identifierId', '#postcode', '#contactEmail', '#contactPhone', '#website'],
  );
  t.equal(badErrors.fields.identifierId, 'Enter the Public Procurement Organisation Number (PPON) in the correct format, like PABC-1234-DEFG');
  t.equal(badErrors.fields.postcode, 'Enter a real UK postcode, like B69 3DE');
  t.equal(badErrors.fields.contactEmail, 'Enter an email address in the correct format, like name@example.com');
  t.equal(badErrors.fields.contactPhone, 'Enter a UK telephone number, like 0121 496 0000');
  t.equal(badErrors.fields.website, 'Enter a website address in the correct format, like www.example.gov.uk');
  const $ = page(bad);
  t.equal($('#name').val(), 'Tipton Academy', 'values are kept');
  t.equal($('#postcode').val(), 'DY4 XYZ');
  t.equal($('#website').val(), 'javascript:alert(1)');
  t.equal($('input[name="kind"][value="school"]').attr('checked'), 'checked');
  t.equal($('#identifierScheme option[selected]').attr('value'), 'GB-PPON');

  const idWithoutScheme = await post(app, '/admin/organisations/new', { name: 'X Council', kind: 'council', identifierId: '01234567' }, admin);
  t.same(formErrors(idWithoutScheme).summary, [{ href: '#identifierScheme', text: 'Select which kind of identifier this is' }]);
  const schemeWithoutId = await post(app, '/admin/organisations/new', { name: 'X Council', kind: 'council', identifierScheme: 'GB-COH' }, admin);
  t.same(formErrors(schemeWithoutId).summary, [{ href: '#identifierId', text: 'Enter the Companies House number, or choose “No identifier”' }]);
  const unknownScheme = await post(app, '/admin/organisations/new', { name: 'X Council', kind: 'nonsense', identifierScheme: 'XX-FAKE', identifierId: '1' }, admin);
  t.same(
    formErrors(unknownScheme).summary.map((e) => e.href),
    ['#kind', '#identifierScheme'],
  );
  const long = await post(app, '/admin/organisations/new', { name: 'x'.repeat(201), kind: 'council' }, admin);
  t.equal(long.statusCode, 400);
  t.equal(formErrors(long).fields.name, 'Name must be 200 characters or fewer');

  const tooLongForSchema = await post(app, '/admin/organisations/new', { name: 'x'.repeat(1001), kind: 'council' }, admin);
  t.equal(tooLongForSchema.statusCode, 400, 'over the schema limit: a 400, not a 500');

  t.equal(await snapshot(database), before, 'nothing changed');
});

t.test('a platform administrator changes an organisation: before and after are audited, the slug follows the name', async (t) => {
  const { app, database } = await buildTestApp(t);
  const admin = await signedIn(app, database, { platformAdmin: true });
  const buyer = await createBuyer(database, { name: 'Oldbury Homes', slug: 'oldbury-homes', kind: 'housing', contactPhone: null });

  const form = await get(app, `/admin/organisations/${buyer.id}/edit`, admin);
  t.equal(form.statusCode, 200);
  const $ = page(form);
  t.equal($('#name').val(), 'Oldbury Homes', 'filled from the record');
  t.equal($('input[name="kind"][value="housing"]').attr('checked'), 'checked');
  t.equal($('#postcode').val(), 'B69 3DE');

  const before = await snapshot(database);
  const bad = await post(app, `/admin/organisations/${buyer.id}/edit`, { name: '', kind: 'housing', postcode: 'nowhere' }, admin);
  t.equal(bad.statusCode, 400);
  t.same(
    formErrors(bad).summary.map((e) => e.href),
    ['#name', '#postcode'],
  );
  t.equal(await snapshot(database), before, 'nothing changed');

  const res = await post(app, `/admin/organisations/${buyer.id}/edit`, { name: 'Oldbury and Tipton Homes', kind: 'housing', postcode: 'dy4 7aa', website: 'https://homes.example.org/about' }, admin);
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, `/admin/organisations/${buyer.id}`);
  const [after] = await database.db.select().from(buyerOrganisations).where(eq(buyerOrganisations.id, buyer.id));
  t.match(after, { name: 'Oldbury and Tipton Homes', slug: 'oldbury-and-tipton-homes', postcode: 'DY4 7AA', website: 'https://homes.example.org/about', identifierScheme: null, streetAddress: null });
  const audit = await auditEntries(database);
  t.match(audit.at(-1), { action: 'buyer.updated', buyer_id: buyer.id, before: { name: 'Oldbury Homes', slug: 'oldbury-homes' }, after: { name: 'Oldbury and Tipton Homes', slug: 'oldbury-and-tipton-homes' } });

  const other = await createBuyer(database, { name: 'Wednesbury Town Council' });
  const clash = await post(app, `/admin/organisations/${buyer.id}/edit`, { name: 'Wednesbury Town Council', kind: 'housing' }, admin);
  t.equal(clash.statusCode, 400);
  t.equal(formErrors(clash).fields.name, 'There is already an organisation with this name');
  const keep = await post(app, `/admin/organisations/${other.id}/edit`, { name: 'Wednesbury Town Council', kind: 'town_council' }, admin);
  t.equal(keep.statusCode, 303, 'an organisation keeps its own name');
});

t.test('unknown organisations are a 404, and only platform administrators get in', async (t) => {
  const { app, database } = await buildTestApp(t);
  const admin = await signedIn(app, database, { platformAdmin: true });
  for (const url of ['/admin/organisations/999999', '/admin/organisations/abc', '/admin/organisations/0/edit', '/admin/organisations/99999999999/invite']) {
    const res = await get(app, url, admin);
    t.equal(res.statusCode, 404, url);
  }
  const missing = await post(app, '/admin/organisations/999999/edit', { name: 'X', kind: 'council' }, admin);
  t.equal(missing.statusCode, 404);

  const buyer = await createBuyer(database);
  const orgAdmin = await signedIn(app, database, { buyer: { buyerId: buyer.id, role: 'admin' } });
  const before = await snapshot(database);
  t.equal((await get(app, '/admin/organisations', orgAdmin)).statusCode, 403, 'an organisation admin is not a platform administrator');
  t.equal((await post(app, '/admin/organisations/new', VALID, orgAdmin)).statusCode, 403);
  t.equal((await post(app, `/admin/organisations/${buyer.id}/edit`, VALID, orgAdmin)).statusCode, 403);
  t.equal(await snapshot(database), before, 'nothing changed');
});
