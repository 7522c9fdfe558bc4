/**
 * The supplier's own profile:
 *   GET  /supplier        signed-in user: their supplier's profile, or "register your organisation"
 *   GET  /supplier/new    the registration form (one per account; members go to their profile)
 *   POST /supplier/new    registers the organisation and makes the user its member
 *   GET  /supplier/edit   members: the same form, filled in
 *   POST /supplier/edit   saves it
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../config.js';
import { Form } from '../../lib/forms.js';
import { findCpvCodes } from '../cpv/cpv.repository.js';
import { outwardCode } from './identifiers.js';
import { PROFILE_FIELDS, prefillVcse, profileValues, readProfileForm, NAME_MAX, OFFER_MAX } from './profile.form.js';
import { profileRows } from './supplier.views.js';
import { actorOf, contextOf, currentSupplierId, flash, formBody, noQuery, renderSupplierForm, text } from './suppliers.pages.js';
import { findSupplier, listMembers } from './suppliers.repository.js';
import { createSupplier, updateProfile } from './suppliers.service.js';
import { CHARITY_REGISTER_WORDS, CHARITY_REGISTERS, LEGAL_FORM_WORDS, LEGAL_FORMS, SIZE_WORDS, SUPPLIER_SIZES, VCSE_HINT } from './suppliers.words.js';

const profileBody = formBody(Object.fromEntries(PROFILE_FIELDS.map((field) => [field, text(field === 'offer' ? 20_000 : 2000)])));

/** Options for the form's radios, in plain words. */
const choices = {
  legalForms: LEGAL_FORMS.map((value) => ({ value, text: LEGAL_FORM_WORDS[value].label, hint: { text: LEGAL_FORM_WORDS[value].hint } })),
  sizes: SUPPLIER_SIZES.map((value) => ({ value, text: SIZE_WORDS[value].label, hint: { text: SIZE_WORDS[value].hint } })),
  charityRegisters: CHARITY_REGISTERS.map((value) => ({ value, text: CHARITY_REGISTER_WORDS[value].label })),
};

const profileRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const formPage = (mode: 'new' | 'edit', vcseSuggestedBy: string | undefined) => ({
    title: mode === 'new' ? 'Register your organisation as a supplier' : 'Change your organisation’s details',
    mode,
    action: mode === 'new' ? '/supplier/new' : '/supplier/edit',
    choices,
    limits: { name: NAME_MAX, offer: OFFER_MAX },
    vcseHint: VCSE_HINT,
    vcseSuggestedBy,
    localDistricts: config.localPostcodeDistricts,
    councilName: config.brand.councilName,
    section: '/account',
  });

  app.get('/supplier', { config: { access: 'user' }, schema: { querystring: noQuery } }, async (request, reply) => {
    if (request.user!.suppliers.length === 0) {
      return reply.view('supplier/start', { title: 'Register your organisation as a supplier', currentPath: '/supplier', councilName: config.brand.councilName });
    }
    const supplierId = currentSupplierId(request);
    const supplier = (await findSupplier(app.database.db, supplierId))!;
    const [categories, members] = await Promise.all([findCpvCodes(app.database.db, supplier.cpvCodes), listMembers(app.database.db, supplierId)]);
    return reply.view('supplier/show', {
      title: supplier.name,
      currentPath: '/supplier',
      page: {
        supplier,
        rows: profileRows(supplier),
        categories,
        memberCount: members.length,
        outward: supplier.postcode ? outwardCode(supplier.postcode) : null,
        councilName: config.brand.councilName,
      },
    });
  });

  app.get('/supplier/new', { config: { access: 'user' }, schema: { querystring: noQuery } }, async (request, reply) => {
    if (request.user!.suppliers.length > 0) return reply.redirect('/supplier', 303);
    return renderSupplierForm(reply, 'supplier/profile-form', { ...formPage('new', undefined), values: {} });
  });

  app.post('/supplier/new', { config: { access: 'user' }, schema: { body: profileBody } }, async (request, reply) => {
    if (request.user!.suppliers.length > 0) return reply.redirect('/supplier', 303);
    const form = new Form(request.body);
    const input = readProfileForm(form);
    if (!input) return renderSupplierForm(reply, 'supplier/profile-form', { ...formPage('new', prefillVcse(form.values)), form });
    await createSupplier(contextOf(app, request, config), actorOf(request), input);
    flash(request, `${input.name} is registered`, 'Now choose the kinds of work you do, so that buyers can find you.');
    return reply.redirect('/supplier/categories', 303);
  });

  app.get('/supplier/edit', { config: { access: 'supplier' }, schema: { querystring: noQuery } }, async (request, reply) => {
    const supplier = (await findSupplier(app.database.db, currentSupplierId(request)))!;
    return renderSupplierForm(reply, 'supplier/profile-form', { ...formPage('edit', undefined), values: profileValues(supplier) });
  });

  app.post('/supplier/edit', { config: { access: 'supplier' }, schema: { body: profileBody } }, async (request, reply) => {
    const form = new Form(request.body);
    const input = readProfileForm(form);
    if (!input) return renderSupplierForm(reply, 'supplier/profile-form', { ...formPage('edit', prefillVcse(form.values)), form });
    await updateProfile(contextOf(app, request, config), actorOf(request), currentSupplierId(request), input);
    flash(request, 'Your organisation’s details have been saved');
    return reply.redirect('/supplier', 303);
  });
};

export default profileRoutes;
