/**
 * Platform administration (access 'platform-admin'): the buyer organisations that publish on the
 * portal — list, add, change — and inviting an organisation's first administrator, who then
 * manages its staff from /manage/staff.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../config.js';
import { NotFoundError } from '../../errors.js';
import { findBuyer, listBuyers, type Buyer } from '../buyers/buyers.repository.js';
import { BUYER_KIND_LABELS, identifierScheme } from '../buyers/buyers.words.js';
import { countInvitation, inviteBody, readInviteForm } from './invitation.form.js';
import { inviteStaff } from './invitations.service.js';
import { organisationBody, organisationFormChoices, organisationFormFor, readOrganisationForm } from './organisation.form.js';
import { createOrganisation, updateOrganisation } from './organisations.service.js';
import { ROLE_WORDS } from './roles.js';
import { actorOf, idFrom, idParams, noQuery, renderFormPage } from './route-helpers.js';
import { listPendingInvitations, listStaff } from './staff.repository.js';

const NO_ORGANISATION = 'There is no organisation at this address. Go back to the list of organisations.';
const NAME_TAKEN = 'There is already an organisation with this name';
const access = { access: 'platform-admin' } as const;
const section = '/admin';

/** The organisation's details as summary-list rows (empty fields left out). */
function detailRows(buyer: Buyer) {
  const scheme = identifierScheme(buyer.identifierScheme);
  const rows: [string, string | null][] = [
    ['Name', buyer.name],
    ['Kind of organisation', BUYER_KIND_LABELS[buyer.kind].text],
    ['Identifier', buyer.identifierId ? `${buyer.identifierId} (${scheme?.text ?? buyer.identifierScheme})` : null],
    ['Address', [buyer.streetAddress, buyer.locality, buyer.postcode].filter(Boolean).join(', ') || null],
    ['Contact email address', buyer.contactEmail],
    ['Telephone number', buyer.contactPhone],
    ['Website', buyer.website],
    ['Short name used in web addresses', buyer.slug],
  ];
  return rows.map(([key, value]) => ({ key: { text: key }, value: { text: value ?? 'Not given' } }));
}

const organisationRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const db = app.database.db;

  app.get('/admin', { config: access, schema: { querystring: noQuery } }, async (_request, reply) => reply.redirect('/admin/organisations', 303));

  app.get('/admin/organisations', { config: access, schema: { querystring: noQuery } }, async (_request, reply) => {
    const buyers = await listBuyers(db);
    return reply.view('admin/organisations', {
      title: 'Organisations',
      section,
      page: { buyers: buyers.map((b) => ({ id: b.id, name: b.name, kind: BUYER_KIND_LABELS[b.kind].text, staffCount: b.staffCount })) },
    });
  });

  const formPage = (title: string, action: string, backHref: string) => ({ title, section, action, backLink: { href: backHref, text: 'Back' }, choices: organisationFormChoices() });

  app.get('/admin/organisations/new', { config: access, schema: { querystring: noQuery } }, async (_request, reply) =>
    renderFormPage(reply, 'admin/organisation-form', formPage('Add an organisation', '/admin/organisations/new', '/admin/organisations')),
  );

  app.post('/admin/organisations/new', { config: access, schema: { querystring: noQuery, body: organisationBody } }, async (request, reply) => {
    const { form, fields } = readOrganisationForm(request.body);
    const page = formPage('Add an organisation', '/admin/organisations/new', '/admin/organisations');
    if (form.failed) return renderFormPage(reply, 'admin/organisation-form', { ...page, form });
    const result = await createOrganisation(db, fields, actorOf(request));
    if (result.status !== 'saved') {
      form.error('name', NAME_TAKEN);
      return renderFormPage(reply, 'admin/organisation-form', { ...page, form });
    }
    request.session.flash = { heading: `${result.buyer.name} has been added`, body: 'Invite someone to be its administrator, so that they can invite the rest of its staff.' };
    return reply.redirect(`/admin/organisations/${result.buyer.id}`, 303);
  });

  app.get('/admin/organisations/:id', { config: access, schema: { params: idParams, querystring: noQuery } }, async (request, reply) => {
    const buyer = await findBuyer(db, idFrom(request.params.id, NO_ORGANISATION));
    if (!buyer) throw new NotFoundError(NO_ORGANISATION);
    const [staff, invitations] = await Promise.all([listStaff(db, buyer.id), listPendingInvitations(db, buyer.id)]);
    return reply.view('admin/organisation', {
      title: buyer.name,
      section,
      backLink: { href: '/admin/organisations', text: 'All organisations' },
      page: {
        id: buyer.id,
        name: buyer.name,
        rows: detailRows(buyer),
        staff: staff.map((m) => ({ ...m, roleName: ROLE_WORDS[m.role].name })),
        invitations: invitations.map((i) => ({ ...i, roleName: ROLE_WORDS[i.role].name })),
        hasAdmin: staff.some((m) => m.role === 'admin'),
      },
    });
  });

  app.get('/admin/organisations/:id/edit', { config: access, schema: { params: idParams, querystring: noQuery } }, async (request, reply) => {
    const buyer = await findBuyer(db, idFrom(request.params.id, NO_ORGANISATION));
    if (!buyer) throw new NotFoundError(NO_ORGANISATION);
    const page = formPage(`Change ${buyer.name}`, `/admin/organisations/${buyer.id}/edit`, `/admin/organisations/${buyer.id}`);
    return renderFormPage(reply, 'admin/organisation-form', { ...page, form: organisationFormFor(buyer) });
  });

  app.post('/admin/organisations/:id/edit', { config: access, schema: { params: idParams, querystring: noQuery, body: organisationBody } }, async (request, reply) => {
    const buyer = await findBuyer(db, idFrom(request.params.id, NO_ORGANISATION));
    if (!buyer) throw new NotFoundError(NO_ORGANISATION);
    const { form, fields } = readOrganisationForm(request.body);
    const page = formPage(`Change ${buyer.name}`, `/admin/organisations/${buyer.id}/edit`, `/admin/organisations/${buyer.id}`);
    if (form.failed) return renderFormPage(reply, 'admin/organisation-form', { ...page, form });
    const result = await updateOrganisation(db, buyer.id, fields, actorOf(request));
    if (result.status === 'not-found') throw new NotFoundError(NO_ORGANISATION);
    if (result.status === 'name-taken') {
      form.error('name', NAME_TAKEN);
      return renderFormPage(reply, 'admin/organisation-form', { ...page, form });
    }
    request.session.flash = { heading: `${result.buyer.name} has been updated` };
    return reply.redirect(`/admin/organisations/${buyer.id}`, 303);
  });

  const invitePage = (buyer: Buyer) => ({
    title: `Invite an administrator for ${buyer.name}`,
    section,
    backLink: { href: `/admin/organisations/${buyer.id}`, text: 'Back' },
    page: { id: buyer.id, name: buyer.name, roleDescription: ROLE_WORDS.admin.description },
  });

  app.get('/admin/organisations/:id/invite', { config: access, schema: { params: idParams, querystring: noQuery } }, async (request, reply) => {
    const buyer = await findBuyer(db, idFrom(request.params.id, NO_ORGANISATION));
    if (!buyer) throw new NotFoundError(NO_ORGANISATION);
    return renderFormPage(reply, 'admin/invite-admin', invitePage(buyer));
  });

  app.post('/admin/organisations/:id/invite', { config: access, schema: { params: idParams, querystring: noQuery, body: inviteBody } }, async (request, reply) => {
    const buyer = await findBuyer(db, idFrom(request.params.id, NO_ORGANISATION));
    if (!buyer) throw new NotFoundError(NO_ORGANISATION);
    const { form, email } = readInviteForm(request.body, { withRole: false });
    if (form.failed) return renderFormPage(reply, 'admin/invite-admin', { ...invitePage(buyer), form });
    await countInvitation(db, actorOf(request).userId);
    const result = await inviteStaff({ db, jobs: app.jobs, config }, { buyer, email, role: 'admin', actor: actorOf(request) });
    if (result.status === 'already-member') {
      form.error('email', `${result.name} (${email}) is already a member of ${buyer.name}. Their organisation’s administrators can change their role.`);
      return renderFormPage(reply, 'admin/invite-admin', { ...invitePage(buyer), form });
    }
    request.session.flash = { heading: `Invitation sent to ${email}`, body: `When they accept it, they will be an administrator of ${buyer.name}.` };
    return reply.redirect(`/admin/organisations/${buyer.id}`, 303);
  });
};

export default organisationRoutes;
