/**
 * The buyer organisation form (create and edit): GOV.UK messages for each field, values cleaned
 * (postcode normalised, identifier upper-cased, website given its https://).
 */
import { Form } from '../../lib/forms.js';
import { BUYER_KINDS } from '../buyers/buyers.table.js';
import type { Buyer, BuyerFields } from '../buyers/buyers.repository.js';
import { BUYER_KIND_LABELS, IDENTIFIER_SCHEMES, identifierScheme } from '../buyers/buyers.words.js';
import { normaliseUkPostcode } from '../buyers/postcode.js';
import { formBody } from './route-helpers.js';

/** The route schema: strings only, bounded; meaning is checked by readOrganisationForm. */
export const organisationBody = formBody({
  name: 1000,
  kind: 100,
  identifierScheme: 100,
  identifierId: 1000,
  streetAddress: 1000,
  locality: 1000,
  postcode: 100,
  contactEmail: 1000,
  contactPhone: 100,
  website: 2000,
});

/** UK numbers: 10 or 11 digits starting 0, or +44 and 9 or 10 digits; spaces, brackets and hyphens allowed. */
function normalisePhone(input: string): string | null {
  if (!/^[0-9+()\s-]+$/.test(input)) return null;
  const digits = input.replace(/[^0-9+]/g, '');
  if (/^0\d{9,10}$/.test(digits) || /^\+44\d{9,10}$/.test(digits)) return input.replace(/\s+/g, ' ').trim();
  return null;
}

/** An http(s) address with a dotted host name; "www.example.gov.uk" becomes "https://www.example.gov.uk". */
function normaliseWebsite(input: string): string | null {
  const candidate = /^[a-z][a-z0-9+.-]*:/i.test(input) ? input : `https://${input}`;
  try {
    const url = new URL(candidate);
    if (!['http:', 'https:'].includes(url.protocol) || !/^[^.\s]+(\.[^.\s]+)+$/.test(url.hostname) || url.username || url.password) return null;
    // new URL() adds a "/" after a bare host name; keep the address as people write it.
    return url.pathname === '/' && !url.search && !url.hash ? url.href.slice(0, -1) : url.href;
  } catch {
    return null;
  }
}

export function readOrganisationForm(body: unknown): { form: Form; fields: BuyerFields } {
  const form = new Form(body);
  const name = form.text('name', { required: 'Enter the name of the organisation', maxLength: 200, label: 'Name' });
  const kind = form.oneOf('kind', BUYER_KINDS, 'Select what kind of organisation it is');

  const schemeCode = form.string('identifierScheme').trim();
  const scheme = identifierScheme(schemeCode);
  if (schemeCode && !scheme) form.error('identifierScheme', 'Select a kind of identifier from the list');
  const rawId = form.text('identifierId', { maxLength: 50, label: 'Identifier' });
  let identifierId: string | null = null;
  if (rawId && !schemeCode) form.error('identifierScheme', 'Select which kind of identifier this is');
  if (scheme) {
    const cleaned = rawId.toUpperCase().replace(/\s+/g, '');
    if (!rawId) form.error('identifierId', `Enter the ${scheme.text}, or choose “No identifier”`);
    else if (!scheme.pattern.test(cleaned)) form.error('identifierId', `Enter the ${scheme.text} in the correct format, like ${scheme.example}`);
    else identifierId = cleaned;
  }

  const streetAddress = form.text('streetAddress', { maxLength: 300, label: 'Address' });
  const locality = form.text('locality', { maxLength: 100, label: 'Town or city' });
  const rawPostcode = form.text('postcode', { maxLength: 20, label: 'Postcode' });
  const postcode = rawPostcode ? normaliseUkPostcode(rawPostcode) : null;
  if (rawPostcode && !postcode) form.error('postcode', 'Enter a real UK postcode, like B69 3DE');

  const contactEmail = form.string('contactEmail').trim() ? form.email('contactEmail', { required: '', label: 'Contact email address' }) : '';

  const rawPhone = form.text('contactPhone', { maxLength: 30, label: 'Telephone number' });
  const contactPhone = rawPhone ? normalisePhone(rawPhone) : null;
  if (rawPhone && !contactPhone) form.error('contactPhone', 'Enter a UK telephone number, like 0121 496 0000');

  const rawWebsite = form.text('website', { maxLength: 500, label: 'Website' });
  const website = rawWebsite ? normaliseWebsite(rawWebsite) : null;
  if (rawWebsite && !website) form.error('website', 'Enter a website address in the correct format, like www.example.gov.uk');

  return {
    form,
    fields: {
      name,
      kind: kind ?? 'other',
      identifierScheme: scheme?.code ?? null,
      identifierId,
      streetAddress: streetAddress || null,
      locality: locality || null,
      postcode,
      contactEmail: contactEmail || null,
      contactPhone,
      website,
    },
  };
}

/** A form filled from a stored organisation, for the edit page. */
export function organisationFormFor(buyer: Buyer): Form {
  return new Form({
    name: buyer.name,
    kind: buyer.kind,
    identifierScheme: buyer.identifierScheme ?? '',
    identifierId: buyer.identifierId ?? '',
    streetAddress: buyer.streetAddress ?? '',
    locality: buyer.locality ?? '',
    postcode: buyer.postcode ?? '',
    contactEmail: buyer.contactEmail ?? '',
    contactPhone: buyer.contactPhone ?? '',
    website: buyer.website ?? '',
  });
}

/** What the form template needs besides the values and errors. */
export function organisationFormChoices() {
  return {
    kinds: BUYER_KINDS.map((kind) => ({ value: kind, text: BUYER_KIND_LABELS[kind].text, hint: { text: BUYER_KIND_LABELS[kind].hint } })),
    schemes: [{ value: '', text: 'No identifier' }, ...IDENTIFIER_SCHEMES.map((s) => ({ value: s.code, text: s.text }))],
  };
}
