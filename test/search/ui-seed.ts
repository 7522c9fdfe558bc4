/**
 * A small published corpus for the search page, API and fuzz tests (test/search/page.test.ts,
 * api.test.ts, fuzz.test.ts), written through the real release writer so the search documents
 * are what publishing writes.
 */
import type { Database } from '../../src/db/client.js';
import { createBuyer, createOpportunity, publish } from '../support/factories.js';

const DAY = 86_400_000;

export interface UiCorpus {
  ids: Record<string, number>;
  buyers: { council: { id: number; slug: string }; homes: { id: number; slug: string } };
}

/** Stationery orders (25 of them, for pagination), besides the named documents. */
export const STATIONERY = 25;

export async function seedUiCorpus(database: Database): Promise<UiCorpus> {
  const council = await createBuyer(database, { name: 'Sandwell Test Council', slug: 'sandwell-test-council' });
  const homes = await createBuyer(database, { name: 'Tipton Homes', slug: 'tipton-homes' });
  const now = Date.now();
  const ids: Record<string, number> = {};
  let minutes = 0;
  const add = async (key: string, buyerId: number, fields: Parameters<typeof createOpportunity>[2], cancelled = false) => {
    const row = await createOpportunity(database, buyerId, { valueMinPence: null, ...fields });
    await publish(database, row.id, { at: new Date(now - 60_000 * ++minutes) });
    if (cancelled) await publish(database, row.id, { cancelled: true });
    ids[key] = row.id;
  };
  await add('plumbingHomes', homes.id, {
    title: 'Plumbing repairs in council homes',
    summary: 'Reactive plumbing and heating repairs in 2,000 homes.',
    description: 'Responsive repairs within 24 hours.',
    stage: 'open', mainCategory: 'works', cpvCodes: ['45330000'], valueMaxPence: 5_000_000, suitableForSme: true,
    tenderDeadline: new Date(now + 5 * DAY),
  });
  await add('plumbingLibrary', council.id, {
    title: 'Plumbing for the central library',
    summary: 'New toilets and pipework.',
    description: 'A planned refurbishment.',
    stage: 'planned', mainCategory: 'works', cpvCodes: ['45330000'], valueMaxPence: 30_000_000,
    tenderDeadline: new Date(now + 60 * DAY),
  });
  await add('plumbingDepot', council.id, {
    title: 'Plumbing at the depot',
    summary: 'Stopped before award.',
    description: 'Replaced by a wider contract.',
    stage: 'open', mainCategory: 'works', cpvCodes: ['45330000'], valueMaxPence: 9_000_000,
    tenderDeadline: new Date(now + 10 * DAY),
  }, true);
  await add('catering', council.id, {
    title: 'Catering for primary schools',
    summary: 'Hot lunches every school day.',
    description: 'Menus follow the school food standards.',
    stage: 'open', mainCategory: 'services', cpvCodes: ['55520000'], valueMaxPence: 2_000_000,
    suitableForSme: true, suitableForVcse: true, reservation: 'local',
    tenderDeadline: new Date(now + 20 * DAY),
  });
  await add('widgets', homes.id, {
    title: 'Widgets <b>bold</b> & "quoted" <script>alert(1)</script>',
    summary: 'Supply of widgets for <i>offices</i> & depots.',
    description: 'Plain <img src=x onerror=alert(1)> text.',
    stage: 'pipeline', mainCategory: 'goods', cpvCodes: ['30192000'], valueMaxPence: 1_000_000, tenderDeadline: null,
  });
  await add('grounds', council.id, {
    title: 'Grounds maintenance for parks and open spaces',
    summary: 'Grass cutting and hedge trimming across the borough parks.',
    description: 'Seasonal work in parks and cemeteries.',
    stage: 'open', mainCategory: 'services', cpvCodes: ['77310000'], valueMaxPence: 300_000_000, suitableForVcse: true,
    tenderDeadline: new Date(now + 40 * DAY),
  });
  for (let n = 1; n <= STATIONERY; n++) {
    await add(`stationery${n}`, homes.id, {
      title: `Stationery order ${n}`,
      summary: `Paper, pens and toner, batch ${n}.`,
      description: 'Delivery to council buildings.',
      stage: 'awarded', mainCategory: 'goods', cpvCodes: ['30192000'], valueMaxPence: 100_000 * n,
      tenderDeadline: new Date(now - (100 + n) * DAY),
    });
  }
  return { ids, buyers: { council: { id: council.id, slug: council.slug }, homes: { id: homes.id, slug: homes.slug } } };
}
