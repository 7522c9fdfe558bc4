/**
 * What each staff role may do, in the words shown on the team page, the invitation form and the
 * invitation email — kept in one place so that they always agree with src/plugins/access.ts.
 */
import { BUYER_ROLES, type BuyerRole } from '../accounts/accounts.table.js';

export { BUYER_ROLES, type BuyerRole };

export const ROLE_WORDS: Record<BuyerRole, { name: string; description: string }> = {
  admin: {
    name: 'Administrator',
    description: 'Can do everything an editor can, and also invite people, change their roles and remove them.',
  },
  editor: {
    name: 'Editor',
    description: 'Can create, change and publish opportunities, answer suppliers’ questions and run meetings.',
  },
  viewer: {
    name: 'Viewer',
    description: 'Can see everything, including drafts, but cannot change anything.',
  },
};

/** Radio items for choosing a role, most powerful last so that the least is read first. */
export function roleItems(): { value: BuyerRole; text: string; hint: { text: string } }[] {
  return (['viewer', 'editor', 'admin'] as const).map((role) => ({ value: role, text: ROLE_WORDS[role].name, hint: { text: ROLE_WORDS[role].description } }));
}

export const ROLE_REQUIRED = 'Select a role';
