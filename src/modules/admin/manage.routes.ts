/**
 * The staff area's home (/manage, access 'staff:viewer'): which organisation you are working for,
 * a switcher for officers who work for several, the organisation's opportunities by status and
 * what needs attention (opportunitiesPanel in opportunities/manage/list.routes.ts), and the
 * sections of the staff area. Later issues add their sections (meetings…) to STAFF_SECTIONS.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DbOrTx } from '../../db/client.js';
import { Form } from '../../lib/forms.js';
import { ForbiddenError, ROLE_RANK } from '../../plugins/access.js';
import type { BuyerRole } from '../accounts/accounts.table.js';
import { opportunitiesPanel } from '../opportunities/manage/list.routes.js';
import { ROLE_WORDS } from './roles.js';
import { actingBuyerOf, formBody, noQuery, renderFormPage, safeReturnTo, userOf } from './route-helpers.js';

export interface StaffSection {
  href: string;
  title: string;
  description: string;
  /** The least role that sees the link (the page itself enforces its own rule). */
  role: BuyerRole;
}

/** The staff area's sections, in the order shown on /manage. */
export const STAFF_SECTIONS: StaffSection[] = [
  { href: '/manage/opportunities', title: 'Opportunities', description: 'Every opportunity your organisation has drafted, scheduled or published. Search them, filter them by status and see what needs attention.', role: 'viewer' },
  { href: '/manage/staff', title: 'Your team', description: 'Who works for your organisation on this service, and what each person can do. Administrators invite people and change their roles.', role: 'viewer' },
];

const switchBody = formBody({ buyerId: 20, returnTo: 2000 });

async function renderHome(db: DbOrTx, request: FastifyRequest, reply: FastifyReply, form?: Form) {
  const user = userOf(request);
  const acting = actingBuyerOf(request);
  const opportunities = await opportunitiesPanel(db, acting);
  return renderFormPage(reply, 'manage/index', {
    title: 'Staff area',
    currentPath: '/manage',
    ...(form ? { form } : {}),
    page: {
      acting: { ...acting, roleName: ROLE_WORDS[acting.role].name, roleDescription: ROLE_WORDS[acting.role].description },
      organisations: user.buyers.map((b) => ({ value: String(b.buyerId), text: b.buyerName, hint: { text: ROLE_WORDS[b.role].name } })),
      opportunities,
      sections: STAFF_SECTIONS.filter((s) => ROLE_RANK[acting.role] >= ROLE_RANK[s.role]),
    },
  });
}

const manageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.database.db;
  app.get('/manage', { config: { access: 'staff:viewer' }, schema: { querystring: noQuery } }, async (request, reply) => renderHome(db, request, reply));

  // Chooses the organisation to act for: only one the user is a member of. Staff routes read it
  // through the access rule (request.actingBuyer), so every staff page follows the choice.
  app.post('/manage/acting-organisation', { config: { access: 'staff:viewer' }, schema: { querystring: noQuery, body: switchBody } }, async (request, reply) => {
    const user = userOf(request);
    const form = new Form(request.body);
    const chosen = form.string('buyerId').trim();
    if (!chosen) {
      form.error('buyerId', 'Select the organisation you want to work for');
      return renderHome(db, request, reply, form);
    }
    const buyer = user.buyers.find((b) => String(b.buyerId) === chosen);
    if (!buyer) throw new ForbiddenError('You can only work for an organisation you are a member of.');
    request.session.actingBuyerId = buyer.buyerId;
    request.session.flash = { heading: `You are now working for ${buyer.buyerName}` };
    return reply.redirect(safeReturnTo(form.string('returnTo')) ?? '/manage', 303);
  });
};

export default manageRoutes;
