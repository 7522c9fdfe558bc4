// Folders of the checkout, resolved from this file so that the working directory does not matter.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const migrationsDir = path.join(projectRoot, 'migrations');
export const viewsDir = path.join(projectRoot, 'views');
/** Compiled assets (CSS, JS, fonts, images): written by `npm run build`, git-ignored. */
export const publicDir = path.join(projectRoot, 'public');
/** Reference data shipped with the app (not DATA_DIR, which the running portal writes). */
export const referenceDataDir = path.join(projectRoot, 'data');
