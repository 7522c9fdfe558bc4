/**
 * The admin module's routes: platform administration of buyer organisations (/admin), the staff
 * area's home and team page (/manage, /manage/staff) and accepting staff invitations
 * (/invitations/<token>). Each file declares its own access rules.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../config.js';
import invitationRoutes from './invitations.routes.js';
import manageRoutes from './manage.routes.js';
import organisationRoutes from './organisations.routes.js';
import staffRoutes from './staff.routes.js';

const adminRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  await app.register(organisationRoutes, { config });
  await app.register(manageRoutes);
  await app.register(staffRoutes, { config });
  await app.register(invitationRoutes);
};

export default adminRoutes;
