/**
 * Eta templates under views/ through @fastify/view, with the brand and helpers every page uses.
 * Templates are cached outside development.
 */
import view from '@fastify/view';
import { Eta } from 'eta';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { viewsDir } from '../paths.js';
import * as format from '../lib/format.js';

export default fp<{ config: Config }>(
  async (app, { config }) => {
    const eta = new Eta({ views: viewsDir, cache: config.nodeEnv !== 'development', autoEscape: true, autoTrim: false });
    await app.register(view, {
      engine: { eta },
      templates: viewsDir,
      production: config.nodeEnv !== 'development',
      defaultContext: {
        brand: config.brand,
        format,
        navigation: [
          { href: '/', text: 'Home' },
          { href: '/opportunities', text: 'Opportunities' },
        ],
      },
    });
  },
  { name: 'view' },
);
