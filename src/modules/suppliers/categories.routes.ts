/**
 * Choosing the supplier's CPV categories with the picker (views/partials/cpv-picker.eta):
 *   GET  /supplier/categories?q=words   the chosen categories, a search box and its results
 *   POST /supplier/categories           add=<code> or remove=<code>, then back to the same search
 * An unknown or malformed code is refused with the GOV.UK error pattern and changes nothing.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.js';
import { Form } from '../../lib/forms.js';
import { isCpvCodeFormat } from '../cpv/cpv.repository.js';
import { cpvPicker } from '../cpv/cpv.picker.js';
import { actorOf, contextOf, currentSupplierId, flash, formBody, renderSupplierForm, text } from './suppliers.pages.js';
import { findSupplier } from './suppliers.repository.js';
import { addCategory, MAX_CATEGORIES, removeCategory } from './suppliers.service.js';

const ACTION = '/supplier/categories';
const searchQuery = Type.Object({ q: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false });
const changeBody = formBody({ q: text(200), add: text(20), remove: text(20) });

const backTo = (q: string) => (q.trim() ? `${ACTION}?${new URLSearchParams({ q: q.trim() }).toString()}` : ACTION);

const categoryRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  async function render(reply: FastifyReply, supplierId: number, query: string, form?: Form) {
    const supplier = (await findSupplier(app.database.db, supplierId))!;
    const picker = await cpvPicker(app.database.db, {
      action: ACTION,
      query,
      chosenCodes: supplier.cpvCodes,
      max: MAX_CATEGORIES,
      errorMessage: form?.messageFor('q'),
      chosenHeading: 'Categories you have chosen',
    });
    return renderSupplierForm(reply, 'supplier/categories', {
      title: 'Choose the kinds of work you do',
      section: '/account',
      supplierName: supplier.name,
      picker,
      values: { q: query },
      ...(form ? { form } : {}),
    });
  }

  app.get(ACTION, { config: { access: 'supplier' }, schema: { querystring: searchQuery } }, async (request, reply) =>
    render(reply, currentSupplierId(request), request.query.q ?? ''),
  );

  app.post(ACTION, { config: { access: 'supplier' }, schema: { body: changeBody } }, async (request, reply) => {
    const supplierId = currentSupplierId(request);
    const form = new Form(request.body);
    const q = form.string('q');
    const add = form.string('add').trim();
    const remove = form.string('remove').trim();
    const ctx = contextOf(app, request, config);

    if (add) {
      const result = isCpvCodeFormat(add) ? await addCategory(ctx, actorOf(request), supplierId, add) : { status: 'unknown' as const };
      if (result.status === 'unknown') form.error('q', 'Choose a category from the search results: the one sent is not in the list of categories');
      if (result.status === 'full') form.error('q', `You can choose up to ${MAX_CATEGORIES} categories. Remove one before you add another`);
      if (form.failed) return render(reply, supplierId, q, form);
      if (result.status === 'added') flash(request, 'Category added', result.description);
    } else if (remove) {
      const result = isCpvCodeFormat(remove) ? await removeCategory(ctx, actorOf(request), supplierId, remove) : null;
      if (result?.status === 'removed') flash(request, 'Category removed', result.description);
    }
    return reply.redirect(backTo(q), 303);
  });
};

export default categoryRoutes;
