/**
 * The supplier profile form: its fields, the rules each must meet (GOV.UK messages) and the
 * conversion between a supplier row and the strings the form shows. Used by "register your
 * organisation" and "edit your profile" alike.
 */
import type { Form } from '../../lib/forms.js';
import { charityRegisterUrl, companiesHouseUrl, parseCharityNumber, parseCompaniesHouseNumber, parsePostcode, parseWebsite } from './identifiers.js';
import type { Supplier } from './suppliers.repository.js';
import type { ProfileInput } from './suppliers.service.js';
import {
  CHARITY_FORMS,
  CHARITY_REGISTER_WORDS,
  CHARITY_REGISTERS,
  COMPANY_FORMS,
  LEGAL_FORM_WORDS,
  LEGAL_FORMS,
  SIZE_WORDS,
  SUPPLIER_SIZES,
  suggestsVcse,
  type CharityRegister,
  type LegalForm,
} from './suppliers.words.js';

export const NAME_MAX = 200;
export const OFFER_MAX = 2000;
export const ADDRESS_MAX = 200;
export const WEBSITE_MAX = 500;

/** The form's fields in page order: the error summary lists problems in this order. */
export const PROFILE_FIELDS = [
  'name',
  'legalForm',
  'companiesHouseNumber',
  'charityNumber',
  'charityRegister',
  'size',
  'vcse',
  'streetAddress',
  'locality',
  'postcode',
  'offer',
  'website',
  'directoryConsent',
] as const;

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** Reads and checks the submitted profile; undefined when the form has errors (see form.errors). */
export function readProfileForm(form: Form): ProfileInput | undefined {
  const name = form.text('name', { required: 'Enter the name of your organisation', maxLength: NAME_MAX, label: 'Organisation name' });
  const legalForm = form.oneOf('legalForm', LEGAL_FORMS, 'Select the legal form of your organisation');

  let companiesHouseNumber: string | null = null;
  const companyRaw = form.text('companiesHouseNumber', { maxLength: 20, label: 'Companies House number' });
  if (companyRaw) {
    const parsed = parseCompaniesHouseNumber(companyRaw);
    if (parsed.problem !== undefined) form.error('companiesHouseNumber', parsed.problem);
    else companiesHouseNumber = parsed.value;
  } else if (legalForm && COMPANY_FORMS.has(legalForm)) {
    form.error('companiesHouseNumber', `Enter your Companies House number: every ${lowerFirst(LEGAL_FORM_WORDS[legalForm].label)} is registered at Companies House`);
  }

  let charityNumber: string | null = null;
  let charityRegister: CharityRegister | null = null;
  const charityRaw = form.text('charityNumber', { maxLength: 20, label: 'Charity number' });
  const registerRaw = form.string('charityRegister').trim();
  if (charityRaw) {
    const register = form.oneOf('charityRegister', CHARITY_REGISTERS, 'Select the charity register your charity is on');
    if (register) {
      const parsed = parseCharityNumber(register, charityRaw);
      if (parsed.problem !== undefined) form.error('charityNumber', parsed.problem);
      else {
        charityNumber = parsed.value;
        charityRegister = register;
      }
    }
  } else {
    if (legalForm && CHARITY_FORMS.has(legalForm)) form.error('charityNumber', 'Enter your registered charity number');
    // A register chosen without a number is ignored, but a made-up value is still refused.
    if (registerRaw && !(CHARITY_REGISTERS as readonly string[]).includes(registerRaw)) form.error('charityRegister', 'Select the charity register your charity is on');
  }

  const size = form.oneOf('size', SUPPLIER_SIZES, 'Select the size of your organisation');

  // Not answered: the legal form decides (the hint on the page says so).
  const vcseRaw = form.string('vcse').trim();
  let vcse = suggestsVcse(legalForm);
  if (vcseRaw === 'yes' || vcseRaw === 'no') vcse = vcseRaw === 'yes';
  else if (vcseRaw !== '') form.error('vcse', 'Select yes if your organisation is a voluntary, community or social enterprise');

  const streetAddress = form.text('streetAddress', { maxLength: ADDRESS_MAX, label: 'Building and street' });
  const locality = form.text('locality', { maxLength: 100, label: 'Town or city' });
  let postcode = '';
  const postcodeRaw = form.text('postcode', { required: 'Enter your postcode', maxLength: 20, label: 'Postcode' });
  if (postcodeRaw) {
    const parsed = parsePostcode(postcodeRaw);
    if (parsed.problem !== undefined) form.error('postcode', parsed.problem);
    else postcode = parsed.value;
  }

  const offer = form.text('offer', { required: 'Describe what your organisation offers', maxLength: OFFER_MAX, label: 'Description of what you offer' });

  let website: string | null = null;
  const websiteRaw = form.text('website', { maxLength: WEBSITE_MAX, label: 'Website' });
  if (websiteRaw) {
    const parsed = parseWebsite(websiteRaw);
    if (parsed.problem !== undefined) form.error('website', parsed.problem);
    else website = parsed.value;
  }

  const directoryConsent = form.checkbox('directoryConsent');

  sortErrors(form);
  if (form.failed || !legalForm || !size) return undefined;
  return {
    name,
    legalForm,
    companiesHouseNumber,
    charityNumber,
    charityRegister,
    size,
    vcse,
    streetAddress: streetAddress || null,
    locality: locality || null,
    postcode,
    offer,
    website,
    directoryConsent,
  };
}

/** The error summary lists problems in the order of the fields on the page. */
function sortErrors(form: Form): void {
  const order = (field: string) => PROFILE_FIELDS.indexOf(field as (typeof PROFILE_FIELDS)[number]);
  form.errors.sort((a, b) => order(a.field) - order(b.field));
}

/** The form's values for a supplier (the edit page before anything is typed). */
export function profileValues(supplier: Supplier): Record<string, string> {
  return {
    name: supplier.name,
    legalForm: supplier.legalForm,
    companiesHouseNumber: supplier.companiesHouseNumber ?? '',
    charityNumber: supplier.charityNumber ?? '',
    charityRegister: supplier.charityRegister ?? '',
    size: supplier.size,
    vcse: supplier.vcse ? 'yes' : 'no',
    streetAddress: supplier.streetAddress ?? '',
    locality: supplier.locality ?? '',
    postcode: supplier.postcode ?? '',
    offer: supplier.offer,
    website: supplier.website ?? '',
    directoryConsent: supplier.directoryConsent ? 'yes' : '',
  };
}

/**
 * Pre-fills the VCSE answer from the legal form when the person has not answered, so that the
 * page shows the answer we would use. Returns the legal form's label when it did, for the hint.
 */
export function prefillVcse(values: Record<string, string | string[]>): string | undefined {
  const vcse = values.vcse;
  if (vcse === 'yes' || vcse === 'no') return undefined;
  const legalForm = values.legalForm;
  if (typeof legalForm !== 'string' || !(LEGAL_FORMS as readonly string[]).includes(legalForm)) return undefined;
  values.vcse = suggestsVcse(legalForm as LegalForm) ? 'yes' : 'no';
  return LEGAL_FORM_WORDS[legalForm as LegalForm].label;
}

// ---- Plain words for pages ---------------------------------------------------------------------

export interface SupplierFacts {
  legalForm: string;
  size: string;
  sizeHint: string;
  vcse: string;
  companiesHouse: { number: string; url: string } | null;
  charity: { number: string; url: string; register: string } | null;
}

/** How a supplier's legal facts read on its profile and directory pages. */
export function supplierFacts(supplier: Supplier): SupplierFacts {
  return {
    legalForm: LEGAL_FORM_WORDS[supplier.legalForm].label,
    size: SIZE_WORDS[supplier.size].label,
    sizeHint: SIZE_WORDS[supplier.size].hint,
    vcse: supplier.vcse ? 'Yes' : 'No',
    companiesHouse: supplier.companiesHouseNumber ? { number: supplier.companiesHouseNumber, url: companiesHouseUrl(supplier.companiesHouseNumber) } : null,
    charity:
      supplier.charityNumber && supplier.charityRegister
        ? { number: supplier.charityNumber, url: charityRegisterUrl(supplier.charityRegister, supplier.charityNumber), register: CHARITY_REGISTER_WORDS[supplier.charityRegister].short }
        : null,
  };
}
