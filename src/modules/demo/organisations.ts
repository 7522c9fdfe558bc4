/**
 * The demo buyer organisations and suppliers, placed in the configured local area
 * (LOCAL_POSTCODE_DISTRICTS). Names, numbers and addresses are invented; web and email addresses
 * use example.org so that nothing points at a real organisation.
 */
import type { Config } from '../../config.js';
import type { buyerOrganisations } from '../buyers/buyers.table.js';
import type { LegalForm, SupplierSize, suppliers } from '../suppliers/suppliers.table.js';
import type { Random } from './random.js';
import { slugify } from '../../lib/slug.js';

/** Towns of the default (Sandwell) postcode districts; other districts fall back to the area name. */
const SANDWELL_LOCALITIES: Record<string, string> = {
  B64: 'Cradley Heath',
  B65: 'Rowley Regis',
  B66: 'Smethwick',
  B67: 'Smethwick',
  B68: 'Oldbury',
  B69: 'Oldbury',
  B70: 'West Bromwich',
  B71: 'West Bromwich',
  DY4: 'Tipton',
  WS10: 'Wednesbury',
};

const STREETS = ['High Street', 'Church Street', 'Victoria Road', 'Station Road', 'Market Place', 'Park Lane', 'New Street', 'Albion Road', 'Canal Side', 'Hill Top', 'Queen Street', 'Lodge Road'];

/** The inward code's letters never include C, I, K, M, O or V. */
const INWARD_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';

export interface Place {
  district: string;
  locality: string;
}

export interface AreaContext {
  /** The council's area, e.g. "Sandwell" from "Sandwell Metropolitan Borough Council". */
  area: string;
  places: Place[];
  localDistricts: Set<string>;
}

export function areaContext(config: Config): AreaContext {
  const area = areaName(config.brand.councilName);
  const places = config.localPostcodeDistricts.map((district, i) => ({
    district,
    locality: SANDWELL_LOCALITIES[district] ?? (config.localPostcodeDistricts.length > 1 ? `${area} ${['North', 'East', 'South', 'West', 'Central'][i % 5]}` : area),
  }));
  return { area, places, localDistricts: new Set(config.localPostcodeDistricts) };
}

export function areaName(councilName: string): string {
  const stripped = councilName.replace(/\s+(Metropolitan\s+)?(Borough|City|District|County|Town|Parish)?\s*Council$/i, '').trim();
  return stripped || councilName;
}

/** A postcode in the given outward district, e.g. "B69 3DE". */
export function postcodeIn(rng: Random, district: string): string {
  return `${district} ${rng.int(1, 9)}${rng.chars(INWARD_LETTERS, 2)}`;
}

export function postcodeDistrict(postcode: string | null | undefined): string | null {
  const outward = postcode?.trim().toUpperCase().split(/\s+/)[0];
  return outward || null;
}

export function isLocal(ctx: AreaContext, postcode: string | null | undefined): boolean {
  const district = postcodeDistrict(postcode);
  return district !== null && ctx.localDistricts.has(district);
}

export function streetAddress(rng: Random, building?: string): string {
  const street = `${rng.int(1, 180)} ${rng.pick(STREETS)}`;
  return building ? `${building}, ${street}` : street;
}

/** A Public Procurement Organisation Number in the PXXX-0000-XXXX shape. */
export function ppon(rng: Random): string {
  const letters = 'ABCDEFGHJKLMNPQRSTVWXYZ';
  return `P${rng.chars(letters, 3)}-${rng.chars('0123456789', 4)}-${rng.chars(letters, 4)}`;
}

export function companyNumber(rng: Random): string {
  return rng.chars('0123456789', 8).replace(/^0/, '1');
}

type BuyerInsert = typeof buyerOrganisations.$inferInsert;

export interface DemoBuyer extends BuyerInsert {
  /** Prefix of the buyer's own references, e.g. "DBC". */
  referencePrefix: string;
  /** Email domain of its staff. */
  domain: string;
}

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter((w) => /^[A-Z]/.test(w))
    .map((w) => w[0])
    .join('')
    .slice(0, 4);
}

function buyer(rng: Random, ctx: AreaContext, now: Date, fields: { name: string; kind: BuyerInsert['kind']; building: string; place: Place; scheme?: string }): DemoBuyer {
  const slug = slugify(fields.name);
  const domain = `${slug}.example.org`;
  const scheme = fields.scheme ?? 'GB-PPON';
  return {
    slug,
    name: fields.name,
    kind: fields.kind,
    identifierScheme: scheme,
    identifierId: scheme === 'GB-COH' ? companyNumber(rng) : ppon(rng),
    streetAddress: streetAddress(rng, fields.building),
    locality: fields.place.locality,
    postcode: postcodeIn(rng, fields.place.district),
    contactEmail: `procurement@${domain}`,
    // Ofcom reserves 0121 496 0000–0999 for drama: these numbers never ring anyone.
    contactPhone: `0121 496 0${rng.chars('0123456789', 3)}`,
    website: `https://www.${domain}`,
    createdAt: now,
    updatedAt: now,
    referencePrefix: initials(fields.name) || 'REF',
    domain,
  };
}

/**
 * The demo buyers: the council (first), a housing trust, a town council and an academy trust.
 * The benchmark mode adds `extra` more partner bodies.
 */
export function demoBuyers(rng: Random, config: Config, ctx: AreaContext, now: Date, extra = 0): DemoBuyer[] {
  const places = ctx.places;
  const first = places[0]!;
  const last = places[places.length - 1]!;
  const middle = places[Math.floor(places.length / 2)]!;
  const list = [
    buyer(rng, ctx, now, { name: config.brand.councilName, kind: 'council', building: 'Council House', place: first }),
    buyer(rng, ctx, now, { name: `${ctx.area} Community Housing Trust`, kind: 'housing', building: 'Trust House', place: middle }),
    buyer(rng, ctx, now, { name: `${last.locality} Town Council`, kind: 'town_council', building: 'Town Hall', place: last }),
    buyer(rng, ctx, now, { name: `${ctx.area} Learning Trust`, kind: 'school', building: 'Learning Centre', place: rng.pick(places), scheme: 'GB-COH' }),
  ];
  const partnerKinds: { suffix: string; kind: BuyerInsert['kind']; building: string }[] = [
    { suffix: 'Town Council', kind: 'town_council', building: 'Town Hall' },
    { suffix: 'Academy', kind: 'school', building: 'School Office' },
    { suffix: 'Homes', kind: 'housing', building: 'Housing Office' },
    { suffix: 'Health Partnership', kind: 'health', building: 'Health Centre' },
    { suffix: 'Leisure Trust', kind: 'other', building: 'Leisure Centre' },
  ];
  const used = new Set(list.map((b) => b.slug));
  for (let i = 0; list.length < 4 + extra; i++) {
    const place = places[i % places.length]!;
    const partner = partnerKinds[i % partnerKinds.length]!;
    const round = Math.floor(i / (places.length * partnerKinds.length));
    const name = `${place.locality}${round ? ` ${['North', 'South', 'East', 'West'][round % 4]}` : ''} ${partner.suffix}`;
    const candidate = buyer(rng, ctx, now, { name, kind: partner.kind, building: partner.building, place, scheme: partner.kind === 'school' ? 'GB-COH' : 'GB-PPON' });
    if (used.has(candidate.slug)) continue;
    used.add(candidate.slug);
    list.push(candidate);
  }
  return list;
}

type SupplierInsert = typeof suppliers.$inferInsert;

export interface DemoSupplier extends SupplierInsert {
  key: string;
}

interface SupplierDefinition {
  key: string;
  name: (ctx: AreaContext, locality: string) => string;
  legalForm: LegalForm;
  size: SupplierSize;
  vcse: boolean;
  /** Where it is based: a local district (index into the configured list), or a fixed postcode elsewhere. */
  base: { localIndex: number } | { postcode: string; locality: string };
  number: 'company' | 'charity' | 'both' | 'society' | 'none';
  offer: string;
  cpv: string[];
}

const SUPPLIERS: SupplierDefinition[] = [
  {
    key: 'greenways',
    name: (ctx) => `Greenways ${ctx.area} CIC`,
    legalForm: 'community_interest_company',
    size: 'micro',
    vcse: true,
    base: { localIndex: 1 },
    number: 'company',
    offer: 'Grounds maintenance, wildflower planting and community gardening, employing local people returning to work.',
    cpv: ['77314000', '77310000', '45112700'],
  },
  {
    key: 'family-support',
    name: (_ctx, locality) => `${locality} Family Support`,
    legalForm: 'charity_cio',
    size: 'small',
    vcse: true,
    base: { localIndex: 0 },
    number: 'charity',
    offer: 'Youth work, family support, holiday activities and adult learning in community venues.',
    cpv: ['85312000', '85311300', '80400000'],
  },
  {
    key: 'cleaning-coop',
    name: () => 'Canalside Cleaning Co-operative Ltd',
    legalForm: 'cooperative',
    size: 'small',
    vcse: true,
    base: { localIndex: 2 },
    number: 'society',
    offer: 'Worker-owned cleaning co-operative: offices, schools, community buildings and window cleaning.',
    cpv: ['90910000', '90911200', '90911300'],
  },
  {
    key: 'community-transport',
    name: (ctx) => `${ctx.area} Community Transport`,
    legalForm: 'charitable_company',
    size: 'small',
    vcse: true,
    base: { localIndex: 3 },
    number: 'both',
    offer: 'Accessible minibuses and volunteer drivers for older and disabled people and community groups.',
    cpv: ['60130000', '60140000'],
  },
  {
    key: 'hilltop-it',
    name: () => 'Hilltop IT Services Ltd',
    legalForm: 'private_limited_company',
    size: 'micro',
    vcse: false,
    base: { localIndex: 4 },
    number: 'company',
    offer: 'IT support, Microsoft 365, networks and cyber security for small organisations and schools.',
    cpv: ['72253000', '72611000'],
  },
  {
    key: 'brightwater',
    name: () => 'Brightwater Building Services Ltd',
    legalForm: 'private_limited_company',
    size: 'medium',
    vcse: false,
    base: { localIndex: 5 },
    number: 'company',
    offer: 'Responsive repairs, voids, roofing and heating for social landlords and public buildings.',
    cpv: ['50700000', '45453000', '45261900', '50720000'],
  },
  {
    key: 'westfield-care',
    name: () => 'Westfield Home Care Ltd',
    legalForm: 'private_limited_company',
    size: 'medium',
    vcse: false,
    base: { postcode: 'B15 2TT', locality: 'Birmingham' },
    number: 'company',
    offer: 'CQC-registered home care and reablement across the West Midlands.',
    cpv: ['85312000', '85311100'],
  },
  {
    key: 'meridian',
    name: () => 'Meridian Public Services plc',
    legalForm: 'other',
    size: 'large',
    vcse: false,
    base: { postcode: 'M1 1AE', locality: 'Manchester' },
    number: 'company',
    offer: 'National facilities management, highways and environmental services provider.',
    cpv: ['79993100', '90511000', '45233141', '90910000'],
  },
  {
    key: 'hartley-mistry',
    name: () => 'Hartley & Mistry Solicitors LLP',
    legalForm: 'partnership',
    size: 'small',
    vcse: false,
    base: { localIndex: 6 },
    number: 'none',
    offer: 'Public law, employment and procurement law for councils, housing associations and charities.',
    cpv: ['79100000', '79110000'],
  },
  {
    key: 'oak-tree',
    name: () => 'Oak Tree Community Benefit Society',
    legalForm: 'community_benefit_society',
    size: 'micro',
    vcse: true,
    base: { localIndex: 7 },
    number: 'society',
    offer: 'Community café, events catering and training kitchen for people with learning disabilities.',
    cpv: ['55520000', '55330000'],
  },
];

export function demoSuppliers(rng: Random, ctx: AreaContext, now: Date): DemoSupplier[] {
  return SUPPLIERS.map((def) => {
    const place = 'localIndex' in def.base ? ctx.places[def.base.localIndex % ctx.places.length]! : undefined;
    const postcode = place ? postcodeIn(rng, place.district) : (def.base as { postcode: string }).postcode;
    const locality = place ? place.locality : (def.base as { locality: string }).locality;
    const name = def.name(ctx, locality);
    const charity = def.number === 'charity' || def.number === 'both';
    const company = def.number === 'company' || def.number === 'both';
    return {
      key: def.key,
      name,
      legalForm: def.legalForm,
      // Registered societies (co-operatives, community benefit societies) have RS numbers at Companies House.
      companiesHouseNumber: company ? companyNumber(rng) : def.number === 'society' ? `RS${rng.chars('0123456789', 6)}` : null,
      charityNumber: charity ? `11${rng.chars('0123456789', 5)}` : null,
      charityRegister: charity ? 'england_wales' : null,
      size: def.size,
      vcse: def.vcse,
      streetAddress: streetAddress(rng),
      locality,
      postcode,
      local: isLocal(ctx, postcode),
      offer: def.offer,
      cpvCodes: def.cpv,
      website: `https://www.${slugify(name)}.example.org`,
      directoryConsent: true,
      createdAt: now,
      updatedAt: now,
    };
  });
}

const OFFICER_FIRST = ['Priya', 'James', 'Aisha', 'Tom', 'Gurpreet', 'Sarah', 'Daniel', 'Fatima', 'Mark', 'Helen', 'Imran', 'Joanne', 'Kwame', 'Rachel'];
const OFFICER_LAST = ['Shah', 'Walker', 'Begum', 'Hughes', 'Sandhu', 'Evans', 'Okafor', 'Hussain', 'Price', 'Taylor', 'Khan', 'Morris', 'Mensah', 'Clarke'];

export interface Contact {
  name: string;
  email: string;
  phone: string;
}

/** An invented procurement officer of the buyer. */
export function officer(rng: Random, buyerRow: Pick<DemoBuyer, 'domain'>): Contact {
  const first = rng.pick(OFFICER_FIRST);
  const last = rng.pick(OFFICER_LAST);
  return {
    name: `${first} ${last}`,
    email: `${first}.${last}@${buyerRow.domain}`.toLowerCase(),
    phone: `0121 496 0${rng.chars('0123456789', 3)}`,
  };
}

const SUPPLIER_PREFIXES = ['Midland', 'Heartland', 'Canalside', 'Beacon', 'Oakfield', 'Northgate', 'Riverside', 'Summit', 'Brindley', 'Foundry', 'Castle', 'Lime Kiln', 'Ironbridge', 'Willow'];
const SUPPLIER_SUFFIXES = ['Ltd', 'Limited', 'Group Ltd', 'CIC', 'plc', 'LLP', 'Co-operative Ltd'];

export interface NamedSupplier {
  name: string;
  companiesHouseNumber: string | null;
  charityNumber: string | null;
  postcode: string | null;
  size: SupplierSize;
  local: boolean;
  vcse: boolean;
}

/** An invented supplier known only by name on an award (no profile on the portal). */
export function namedSupplier(rng: Random, ctx: AreaContext, tradeNames: string[]): NamedSupplier {
  const suffix = rng.pick(SUPPLIER_SUFFIXES);
  const vcse = suffix === 'CIC' || suffix === 'Co-operative Ltd';
  const size: SupplierSize = suffix === 'plc' ? 'large' : rng.weighted({ micro: 3, small: 4, medium: 2, large: 1 });
  const local = rng.chance(0.35);
  const postcode = local ? postcodeIn(rng, rng.pick(ctx.places).district) : postcodeIn(rng, rng.pick(['B1', 'B12', 'WV1', 'WS1', 'DY1', 'CV1', 'LE1', 'M3', 'LS1', 'NG1']));
  return {
    name: `${rng.pick(SUPPLIER_PREFIXES)} ${rng.pick(tradeNames)} ${suffix}`,
    companiesHouseNumber: suffix === 'Co-operative Ltd' ? `RS${rng.chars('0123456789', 6)}` : companyNumber(rng),
    charityNumber: null,
    postcode,
    size,
    local: isLocal(ctx, postcode),
    vcse,
  };
}
