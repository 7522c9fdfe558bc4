/**
 * The demo data: what a fresh portal shows. Loaded by `npm start` into an empty embedded database
 * and by `npm run seed`. About 180 opportunities from a council and three partners, in every
 * status and notice stage, with dates around `now`: open ones closing soon, a couple scheduled to
 * publish within the hour, awards with local, SME and VCSE suppliers. Half the text comes from
 * real Contracts Finder notices (source `contracts_finder`, source_id = their ocid); the rest is
 * generated from templates.ts. Every release goes through the real release writer.
 *
 * Deterministic: the same seed and `now` give the same rows (apart from the times PostgreSQL
 * stamps itself: audit_log.at and search_documents.updated_at).
 */
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Config } from '../../config.js';
import type { Database, Tx } from '../../db/client.js';
import * as schema from '../../db/schema.js';
import { awards, awardSuppliers, lots, opportunities } from '../opportunities/opportunities.table.js';
import { writeRelease } from '../opportunities/releases.js';
import {
  actionForStep,
  actorForStep,
  chooseBuyer,
  columnsAt,
  contentFromNotice,
  contentFromTemplate,
  planOpportunity,
  tagsForStep,
  type ComposeContext,
  type PlannedOpportunity,
  type Scenario,
} from './compose.js';
import { insertDemoAccounts } from './demo-accounts.js';
import type { RealNotice } from './real-notices.js';
import { checkOut, DEFAULT_SEED, giveBack, hasAnyBuyer, insertOrganisations, prepareSeed } from './seeding.js';
import { TEMPLATES, type OpportunityTemplate } from './templates.js';

export interface LoadDemoOptions {
  log: (message: string) => void;
  now?: Date;
  seed?: number;
}

/** True when the database holds any buyer organisation (so it is not a fresh one). */
export async function hasAnyData(database: Database): Promise<boolean> {
  return hasAnyBuyer(database.db);
}

export async function loadDemoData(database: Database, config: Config, options: LoadDemoOptions): Promise<{ opportunities: number }> {
  const started = performance.now();
  const now = options.now ?? new Date();
  const { ctx, notices } = await prepareSeed(database.db, config, { seed: options.seed ?? DEFAULT_SEED, now });
  const plans = planDemo(ctx, notices);

  let releaseCount = 0;
  // One transaction: the demo appears whole or not at all.
  const client = await checkOut(database);
  try {
    await drizzle(client, { schema }).transaction(async (tx) => {
      const organisations = await insertOrganisations(tx, ctx.buyers, ctx.suppliers);
      const buyerIds = organisations.buyers.map((b) => b.id);
      await insertDemoAccounts(tx, { buyerIds, supplierIds: organisations.supplierIds }, now);
      for (const plan of plans) releaseCount += await writePlan(tx, config.ocidPrefix, plan, buyerIds, organisations.supplierIds);
    });
  } finally {
    giveBack(client);
  }

  const real = plans.filter((p) => p.final.source !== 'portal').length;
  options.log(
    `demo data: ${ctx.buyers.length} buyers, ${ctx.suppliers.length} suppliers, ${plans.length} opportunities (${real} from real Contracts Finder notices), ${releaseCount} releases in ${Math.round(performance.now() - started)} ms`,
  );
  return { opportunities: plans.length };
}

/** How many demo opportunities of each kind, and how many of them reuse a real notice. */
interface DemoGroup {
  count: number;
  scenario: Omit<Scenario, 'history'>;
  /** Real notices of this kind are used first, up to `real`. */
  realKind?: RealNotice['kind'];
  real?: number;
  amended?: number;
  closingSoon?: number;
  publishInMinutes?: number[];
}

const DEMO_GROUPS: DemoGroup[] = [
  { count: 18, scenario: { status: 'published', stage: 'pipeline' }, realKind: 'planning', real: 3, amended: 2 },
  { count: 16, scenario: { status: 'published', stage: 'planned' }, realKind: 'planning', real: 4, amended: 3 },
  { count: 46, scenario: { status: 'published', stage: 'open' }, realKind: 'tender', real: 24, amended: 6, closingSoon: 6 },
  { count: 16, scenario: { status: 'published', stage: 'closed' }, realKind: 'tender', real: 8, amended: 2 },
  { count: 55, scenario: { status: 'published', stage: 'awarded' }, realKind: 'award', real: 40 },
  { count: 4, scenario: { status: 'cancelled', stage: 'open' }, realKind: 'tender', real: 2 },
  { count: 2, scenario: { status: 'cancelled', stage: 'planned' } },
  { count: 2, scenario: { status: 'cancelled', stage: 'closed' } },
  { count: 6, scenario: { status: 'draft', stage: 'open' } },
  { count: 2, scenario: { status: 'draft', stage: 'planned' } },
  { count: 2, scenario: { status: 'draft', stage: 'pipeline' } },
  // Two due within the hour, so that a demo shows the queue publishing them.
  { count: 6, scenario: { status: 'scheduled', stage: 'open' }, publishInMinutes: [12, 45] },
  { count: 2, scenario: { status: 'scheduled', stage: 'planned' } },
];

function planDemo(ctx: ComposeContext, notices: RealNotice[]): PlannedOpportunity[] {
  const { rng } = ctx;
  // Notices with a few words of description make a better demo than "Form C".
  const usable = notices.filter((n) => n.description.length >= 60);
  const byKind = (kind: RealNotice['kind']) => rng.shuffle(usable.filter((n) => n.kind === kind));
  const pools: Record<RealNotice['kind'], RealNotice[]> = {
    planning: byKind('planning'),
    tender: byKind('tender'),
    // Frameworks awarded to several suppliers first, so the demo always shows some.
    award: byKind('award').sort((a, b) => Number((b.award?.suppliers.length ?? 0) > 1) - Number((a.award?.suppliers.length ?? 0) > 1)),
  };

  // Templates are used in turn (shuffled), so every kind of contract appears.
  let templateQueue: OpportunityTemplate[] = [];
  const nextTemplate = () => {
    if (templateQueue.length === 0) templateQueue = rng.shuffle(TEMPLATES);
    return templateQueue.shift()!;
  };

  const plans: PlannedOpportunity[] = [];
  for (const group of DEMO_GROUPS) {
    for (let i = 0; i < group.count; i++) {
      const notice = group.realKind && i < (group.real ?? 0) ? pools[group.realKind].shift() : undefined;
      const scenario: Scenario = {
        ...group.scenario,
        history: 'full',
        // The sample itself holds amendments of some notices.
        amended: i < (group.amended ?? 0) || (notice?.amended ?? false),
        closingSoon: i >= group.count - (group.closingSoon ?? 0),
        ...(group.publishInMinutes?.[i] !== undefined ? { publishInMinutes: group.publishInMinutes[i] } : {}),
      };
      if (notice) {
        plans.push(planOpportunity(ctx, contentFromNotice(notice), scenario, chooseBuyer(ctx, null)));
      } else {
        const template = nextTemplate();
        plans.push(planOpportunity(ctx, contentFromTemplate(ctx, template), scenario, chooseBuyer(ctx, template.key)));
      }
    }
  }
  // Mixed order, so that ids do not group by status.
  return rng.shuffle(plans);
}

/** Writes one plan: the working copy, lots, then each step as an officer would (awards at the award). Returns the releases written. */
async function writePlan(tx: Tx, ocidPrefix: string, plan: PlannedOpportunity, buyerIds: number[], supplierIds: Map<string, number>): Promise<number> {
  const buyerId = buyerIds[plan.buyerIndex]!;
  const initial = plan.steps.length ? columnsAt(plan, 0) : plan.final;
  const [row] = await tx
    .insert(opportunities)
    .values({ ...initial, buyerId })
    .returning({ id: opportunities.id });
  const opportunityId = row!.id;

  const lotIds = new Map<number, number>();
  for (const lot of plan.lots) {
    const [lotRow] = await tx.insert(lots).values({ opportunityId, ...lot }).returning({ id: lots.id });
    lotIds.set(lot.position, lotRow!.id);
  }

  let awarded = false;
  for (const [index, step] of plan.steps.entries()) {
    if (index > 0) await tx.update(opportunities).set(columnsAt(plan, index)).where(eq(opportunities.id, opportunityId));
    if (step.stage === 'awarded' && !awarded) {
      awarded = true;
      for (const award of plan.awards) {
        const { suppliers, lotPosition, ...values } = award;
        const [awardRow] = await tx
          .insert(awards)
          .values({ opportunityId, lotId: lotPosition === null ? null : lotIds.get(lotPosition)!, ...values, createdAt: step.at })
          .returning({ id: awards.id });
        await tx.insert(awardSuppliers).values(
          suppliers.map(({ supplierKey, ...s }) => ({ awardId: awardRow!.id, supplierId: supplierKey ? (supplierIds.get(supplierKey) ?? null) : null, ...s })),
        );
      }
    }
    await writeRelease(tx, {
      ocidPrefix,
      opportunityId,
      tags: tagsForStep(step),
      changeNote: step.changeNote,
      publishedAt: step.at,
      actor: { label: actorForStep(step, plan) },
      action: actionForStep(step),
    });
  }
  return plan.steps.length;
}
