/**
 * The team page of the organisation being worked for (/manage/staff): everyone sees its staff and
 * their roles ('staff:viewer'); administrators ('staff:admin') invite people by email, change
 * roles, remove people and withdraw invitations. Every lookup is scoped to the acting
 * organisation, so an id from another organisation is "not found" and nothing changes.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { NotFoundError } from '../../errors.js';
import { Form } from '../../lib/forms.js';
import type { BuyerMembership } from '../accounts/accounts.repository.js';
import { countInvitation, inviteBody, readInviteForm } from './invitation.form.js';
import { inviteStaff, withdrawInvitation } from './invitations.service.js';
import { BUYER_ROLES, ROLE_REQUIRED, ROLE_WORDS, roleItems } from './roles.js';
import { actingBuyerOf, actorOf, buttonBody, formBody, idFrom, idParams, noQuery, renderFormPage, userOf } from './route-helpers.js';
import { findStaffMember, listPendingInvitations, listStaff, type StaffMember } from './staff.repository.js';
import { changeRole, removeMember } from './staff.service.js';

const NO_MEMBER = 'There is no member of your organisation at this address. They may have been removed already. Go back to your team.';
const NO_INVITATION = 'There is no open invitation at this address. It may have been accepted or withdrawn already. Go back to your team.';
const section = '/manage';
const backToTeam = { href: '/manage/staff', text: 'Back to your team' };

const lastAdminMessage = (member: StaffMember, acting: BuyerMembership) =>
  `${member.name} is the only administrator of ${acting.buyerName}. Make someone else an administrator first, so that someone can always manage your team.`;

const roleBody = formBody({ role: 100 });

/** The acting organisation's member with the `:id` of the path, or 404 (also for another organisation's member). */
async function memberOr404(request: FastifyRequest, id: string, db: Parameters<typeof findStaffMember>[0]) {
  const acting = actingBuyerOf(request);
  const member = await findStaffMember(db, acting.buyerId, idFrom(id, NO_MEMBER));
  if (!member) throw new NotFoundError(NO_MEMBER);
  return { acting, member };
}

const staffRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const db = app.database.db;

  app.get('/manage/staff', { config: { access: 'staff:viewer' }, schema: { querystring: noQuery } }, async (request, reply) => {
    const user = userOf(request);
    const acting = actingBuyerOf(request);
    const [staff, invitations] = await Promise.all([listStaff(db, acting.buyerId), listPendingInvitations(db, acting.buyerId)]);
    return reply.view('manage/staff', {
      title: `Your team at ${acting.buyerName}`,
      section,
      backLink: { href: '/manage', text: 'Staff area' },
      page: {
        acting,
        isAdmin: acting.role === 'admin',
        staff: staff.map((m) => ({ ...m, roleName: ROLE_WORDS[m.role].name, isYou: m.userId === user.id })),
        invitations: invitations.map((i) => ({ ...i, roleName: ROLE_WORDS[i.role].name })),
        roles: BUYER_ROLES.map((role) => ({ ...ROLE_WORDS[role] })),
      },
    });
  });

  // ---- Inviting ----------------------------------------------------------------------------------

  const invitePage = (acting: BuyerMembership, form?: Form) => ({
    title: `Invite someone to ${acting.buyerName}`,
    section,
    backLink: backToTeam,
    roles: roleItems(),
    page: { buyerName: acting.buyerName },
    ...(form ? { form } : {}),
  });

  app.get('/manage/staff/invite', { config: { access: 'staff:admin' }, schema: { querystring: noQuery } }, async (request, reply) =>
    renderFormPage(reply, 'manage/invite', invitePage(actingBuyerOf(request))),
  );

  app.post('/manage/staff/invite', { config: { access: 'staff:admin' }, schema: { querystring: noQuery, body: inviteBody } }, async (request, reply) => {
    const acting = actingBuyerOf(request);
    const { form, email, role } = readInviteForm(request.body, { withRole: true });
    if (form.failed) return renderFormPage(reply, 'manage/invite', invitePage(acting, form));
    const actor = actorOf(request);
    await countInvitation(db, actor.userId);
    const result = await inviteStaff({ db, jobs: app.jobs, config }, { buyer: { id: acting.buyerId, name: acting.buyerName }, email, role, actor });
    if (result.status === 'already-member') {
      form.error('email', `${result.name} (${email}) is already a member of ${acting.buyerName}. To change what they can do, change their role instead.`);
      return renderFormPage(reply, 'manage/invite', invitePage(acting, form));
    }
    request.session.flash = { heading: `Invitation sent to ${email}`, body: `The link in it works for 72 hours. When they accept, they will join ${acting.buyerName} as ${ROLE_WORDS[role].name.toLowerCase()}.` };
    return reply.redirect('/manage/staff', 303);
  });

  app.post(
    '/manage/staff/invitations/:id/withdraw',
    { config: { access: 'staff:admin' }, schema: { params: idParams, querystring: noQuery, body: buttonBody } },
    async (request, reply) => {
      const acting = actingBuyerOf(request);
      const withdrawn = await withdrawInvitation(db, { buyerId: acting.buyerId, invitationId: idFrom(request.params.id, NO_INVITATION), actor: actorOf(request) });
      if (!withdrawn) throw new NotFoundError(NO_INVITATION);
      request.session.flash = { heading: 'Invitation withdrawn', body: 'The link in it no longer works.' };
      return reply.redirect('/manage/staff', 303);
    },
  );

  // ---- Changing a role ---------------------------------------------------------------------------

  const rolePage = (member: StaffMember, form: Form) => ({
    title: `Change ${member.name}’s role`,
    section,
    backLink: backToTeam,
    roles: roleItems(),
    page: { member },
    form,
  });

  app.get('/manage/staff/:id/role', { config: { access: 'staff:admin' }, schema: { params: idParams, querystring: noQuery } }, async (request, reply) => {
    const { member } = await memberOr404(request, request.params.id, db);
    return renderFormPage(reply, 'manage/change-role', rolePage(member, new Form({ role: member.role })));
  });

  app.post('/manage/staff/:id/role', { config: { access: 'staff:admin' }, schema: { params: idParams, querystring: noQuery, body: roleBody } }, async (request, reply) => {
    const { acting, member } = await memberOr404(request, request.params.id, db);
    const form = new Form(request.body);
    const role = form.oneOf('role', BUYER_ROLES, ROLE_REQUIRED);
    if (!role) return renderFormPage(reply, 'manage/change-role', rolePage(member, form));
    const result = await changeRole(db, { buyerId: acting.buyerId, membershipId: member.membershipId, role, actor: actorOf(request) });
    if (result.status === 'not-found') throw new NotFoundError(NO_MEMBER);
    if (result.status === 'last-admin') {
      form.error('role', lastAdminMessage(result.member, acting));
      return renderFormPage(reply, 'manage/change-role', rolePage(result.member, form));
    }
    if (result.status === 'done') request.session.flash = { heading: `${member.name} is now ${ROLE_WORDS[role].name.toLowerCase()}` };
    return reply.redirect('/manage/staff', 303);
  });

  // ---- Removing ----------------------------------------------------------------------------------

  const removePage = (reply: FastifyReply, acting: BuyerMembership, member: StaffMember, lastAdmin: boolean, status = 200) =>
    reply.code(status).view('manage/remove', {
      title: lastAdmin ? `You cannot remove ${member.name}` : `Remove ${member.name} from ${acting.buyerName}?`,
      section,
      backLink: backToTeam,
      errors: status === 400 ? [{ field: 'remove', message: lastAdminMessage(member, acting) }] : [],
      values: {},
      page: { member, buyerName: acting.buyerName, roleName: ROLE_WORDS[member.role].name, lastAdmin, lastAdminMessage: lastAdminMessage(member, acting) },
    });

  app.get('/manage/staff/:id/remove', { config: { access: 'staff:admin' }, schema: { params: idParams, querystring: noQuery } }, async (request, reply) => {
    const { acting, member } = await memberOr404(request, request.params.id, db);
    const admins = (await listStaff(db, acting.buyerId)).filter((m) => m.role === 'admin').length;
    return removePage(reply, acting, member, member.role === 'admin' && admins <= 1);
  });

  app.post('/manage/staff/:id/remove', { config: { access: 'staff:admin' }, schema: { params: idParams, querystring: noQuery, body: buttonBody } }, async (request, reply) => {
    const { acting, member } = await memberOr404(request, request.params.id, db);
    const user = userOf(request);
    const result = await removeMember(db, { buyerId: acting.buyerId, membershipId: member.membershipId, actor: actorOf(request) });
    if (result.status === 'not-found') throw new NotFoundError(NO_MEMBER);
    if (result.status === 'last-admin') return removePage(reply, acting, result.member, true, 400);
    if (member.userId === user.id) {
      // They removed themselves: the team page is no longer theirs to see.
      request.session.flash = { heading: `You have left ${acting.buyerName}` };
      return reply.redirect(user.buyers.length > 1 ? '/manage' : '/', 303);
    }
    request.session.flash = { heading: `${member.name} has been removed from ${acting.buyerName}`, body: 'They can no longer see or change anything of your organisation’s.' };
    return reply.redirect('/manage/staff', 303);
  });
};

export default staffRoutes;
