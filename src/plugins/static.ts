/** Compiled assets (public/, built by `npm run build`) served by the app itself: no CDN. */
import staticFiles from '@fastify/static';
import fp from 'fastify-plugin';
import { publicDir } from '../paths.js';

export default fp(
  async (app) => {
    await app.register(staticFiles, { root: publicDir, prefix: '/assets/', maxAge: '1d', index: false });
  },
  { name: 'static' },
);
