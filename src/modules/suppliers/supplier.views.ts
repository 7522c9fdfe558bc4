/**
 * Summary-list rows (the GOV.UK summary list's `rows`) for a supplier: on its own profile page,
 * with "Change" links, and on its directory page, with links to the public registers. Values
 * that need markup (line breaks, hints, links) are escaped here, once.
 */
import { supplierFacts } from './profile.form.js';
import type { Supplier } from './suppliers.repository.js';

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

interface Row {
  key: { text: string };
  value: { text: string } | { html: string };
  actions?: { items: { href: string; text: string; visuallyHiddenText: string }[] };
}

const NOT_GIVEN = '<span class="govuk-hint govuk-!-margin-bottom-0">Not given</span>';
const withHint = (text: string, hint: string) => `${escapeHtml(text)}<br><span class="govuk-hint govuk-!-margin-bottom-0">${escapeHtml(hint)}</span>`;
const lines = (items: readonly string[]) => items.map(escapeHtml).join('<br>');
const link = (href: string, text: string, hidden?: string) =>
  `<a class="govuk-link" href="${escapeHtml(href)}" rel="noopener noreferrer">${escapeHtml(text)}${hidden ? `<span class="govuk-visually-hidden"> ${escapeHtml(hidden)}</span>` : ''}</a>`;

/** The supplier's own profile: every answer, each with a "Change" link to the form. */
export function profileRows(supplier: Supplier): Row[] {
  const f = supplierFacts(supplier);
  const change = (what: string, field: string) => ({ items: [{ href: `/supplier/edit#${field}`, text: 'Change', visuallyHiddenText: what }] });
  const address = [supplier.streetAddress, supplier.locality, supplier.postcode].filter((x): x is string => Boolean(x));
  return [
    { key: { text: 'Name' }, value: { text: supplier.name }, actions: change('name', 'name') },
    { key: { text: 'Legal form' }, value: { text: f.legalForm }, actions: change('legal form', 'legalForm') },
    { key: { text: 'Companies House number' }, value: { html: f.companiesHouse ? escapeHtml(f.companiesHouse.number) : NOT_GIVEN }, actions: change('Companies House number', 'companiesHouseNumber') },
    { key: { text: 'Charity number' }, value: { html: f.charity ? lines([f.charity.number, f.charity.register]) : NOT_GIVEN }, actions: change('charity number', 'charityNumber') },
    { key: { text: 'Size' }, value: { html: withHint(f.size, f.sizeHint) }, actions: change('size', 'size') },
    { key: { text: 'Voluntary, community or social enterprise (VCSE)' }, value: { text: f.vcse }, actions: change('VCSE status', 'vcse') },
    { key: { text: 'Address' }, value: { html: address.length ? lines(address) : NOT_GIVEN }, actions: change('address', 'streetAddress') },
    { key: { text: 'What you offer' }, value: { html: lines(supplier.offer.split(/\r?\n/)) }, actions: change('description of what you offer', 'offer') },
    { key: { text: 'Website' }, value: { html: supplier.website ? escapeHtml(supplier.website) : NOT_GIVEN }, actions: change('website', 'website') },
  ];
}

/** A supplier in the directory: its public facts, numbers linked to the public registers. */
export function directoryRows(supplier: Supplier, councilName: string): Row[] {
  const f = supplierFacts(supplier);
  const rows: Row[] = [
    { key: { text: 'Legal form' }, value: { text: f.legalForm } },
    { key: { text: 'Size' }, value: { html: withHint(f.size, f.sizeHint) } },
    { key: { text: 'Voluntary, community or social enterprise (VCSE)' }, value: { text: f.vcse } },
    { key: { text: `Local to ${councilName}` }, value: { text: supplier.local ? 'Yes' : 'No' } },
  ];
  // Stored websites were checked on the way in; checked again here before becoming a link.
  if (supplier.website && /^https?:\/\//i.test(supplier.website)) rows.push({ key: { text: 'Website' }, value: { html: link(supplier.website, supplier.website) } });
  if (f.companiesHouse) rows.push({ key: { text: 'Companies House number' }, value: { html: link(f.companiesHouse.url, f.companiesHouse.number, 'on the Companies House register') } });
  if (f.charity) {
    rows.push({ key: { text: 'Registered charity number' }, value: { html: `${link(f.charity.url, f.charity.number, `on the register of the ${f.charity.register}`)}<br>${escapeHtml(f.charity.register)}` } });
  }
  return rows;
}
