/**
 * Creating and changing buyer organisations (platform administrators only), each with its audit
 * entry in the same transaction.
 */
import type { Db } from '../../db/client.js';
import { recordAudit } from '../audit/audit.repository.js';
import { findBuyerByName, insertBuyer, updateBuyer, type Buyer, type BuyerFields } from '../buyers/buyers.repository.js';
import type { Actor } from './staff.service.js';

export type SaveOrganisationResult = { status: 'saved'; buyer: Buyer } | { status: 'name-taken' } | { status: 'not-found' };

/** Audit entries keep the fields without the timestamps (which the entry has itself). */
function auditable({ createdAt: _created, updatedAt: _updated, ...fields }: Buyer) {
  return fields;
}

export async function createOrganisation(db: Db, fields: BuyerFields, actor: Actor): Promise<SaveOrganisationResult> {
  return db.transaction(async (tx) => {
    if (await findBuyerByName(tx, fields.name)) return { status: 'name-taken' };
    const buyer = await insertBuyer(tx, fields);
    await recordAudit(tx, {
      actorUserId: actor.userId,
      actorLabel: actor.name,
      buyerId: buyer.id,
      entityType: 'buyer_organisation',
      entityId: buyer.id,
      action: 'buyer.created',
      after: auditable(buyer),
      requestId: actor.requestId ?? null,
    });
    return { status: 'saved', buyer };
  });
}

export async function updateOrganisation(db: Db, id: number, fields: BuyerFields, actor: Actor): Promise<SaveOrganisationResult> {
  return db.transaction(async (tx) => {
    if (await findBuyerByName(tx, fields.name, id)) return { status: 'name-taken' };
    const result = await updateBuyer(tx, id, fields);
    if (!result) return { status: 'not-found' };
    await recordAudit(tx, {
      actorUserId: actor.userId,
      actorLabel: actor.name,
      buyerId: id,
      entityType: 'buyer_organisation',
      entityId: id,
      action: 'buyer.updated',
      before: auditable(result.before),
      after: auditable(result.after),
      requestId: actor.requestId ?? null,
    });
    return { status: 'saved', buyer: result.after };
  });
}
