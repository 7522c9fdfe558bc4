/**
 * `npm run build`: compiles assets/application.scss (GOV.UK Frontend's Sass with the council's
 * font stack and brand colour from configuration) into public/application.css, and copies the
 * GOV.UK Frontend JavaScript and our own small scripts and images into public/, which the app
 * serves at /assets/ (src/plugins/static.ts).
 *
 * `--if-missing` (run by `npm start`) does nothing when public/application.css already exists,
 * so a restart does not pay for a Sass compile. Change BRAND_* settings? Run `npm run build`.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Sass from 'sass';
import { loadConfig, loadDotEnv, type Config } from '../src/config.js';
import { projectRoot, publicDir } from '../src/paths.js';

const assetsDir = path.join(projectRoot, 'assets');
const require = createRequire(import.meta.url);
type SassModule = typeof Sass;
const govukDist = path.join(path.dirname(require.resolve('govuk-frontend/package.json')), 'dist', 'govuk');

/**
 * Splits a CSS font-family list into Sass strings: `system-ui, "Segoe UI", Arial` becomes
 * (system-ui, "Segoe UI", Arial). Quoted names stay quoted; bare names (keywords such as
 * sans-serif) stay bare. config.ts has already refused ; { } < >.
 */
export function fontStackToSass(sass: SassModule, fontStack: string): Sass.SassList {
  const families: Sass.SassString[] = [];
  for (const match of fontStack.matchAll(/\s*(?:"([^"]*)"|'([^']*)'|([^,]+?))\s*(?:,|$)/g)) {
    const quoted = match[1] ?? match[2];
    if (quoted !== undefined) families.push(new sass.SassString(quoted, { quotes: true }));
    else if (match[3]) families.push(new sass.SassString(match[3].trim(), { quotes: /\s/.test(match[3].trim()) }));
  }
  if (families.length === 0) throw new Error(`BRAND_FONT_STACK has no font families: "${fontStack}"`);
  return new sass.SassList(families, { separator: ',' });
}

export function colourToSass(sass: SassModule, hex: string): Sass.SassColor {
  const value = Number.parseInt(hex.slice(1), 16);
  return new sass.SassColor({ red: (value >> 16) & 255, green: (value >> 8) & 255, blue: value & 255, space: 'rgb' });
}

/** Compiles the stylesheet; Sass errors (and GOV.UK Frontend's own @error checks) throw. */
export async function compileStylesheet(brand: Config['brand']): Promise<string> {
  // Loaded here rather than at the top so that `--if-missing` skips without loading Sass.
  const sass: SassModule = await import('sass');
  const result = sass.compile(path.join(assetsDir, 'application.scss'), {
    style: 'compressed',
    importers: [new sass.NodePackageImporter(projectRoot)],
    functions: {
      'brand-font-stack()': () => fontStackToSass(sass, brand.fontStack),
      'brand-colour()': () => colourToSass(sass, brand.colour),
    },
    // GOV.UK Frontend's own deprecation notices are for its maintainers, not for this build.
    quietDeps: true,
  });
  return result.css;
}

/** A plain favicon in the brand colour: GOV.UK's icons carry the crown, which is not ours. */
function favicon(brand: Config['brand']): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="${brand.colour}"/><path d="M9 9h14v3H9zm0 5.5h14v3H9zM9 20h9v3H9z" fill="#fff"/></svg>\n`;
}

/** Images the compiled CSS refers to must exist under public/images (url-handlers.scss allows none today). */
function checkImageReferences(css: string, outDir: string): void {
  for (const match of css.matchAll(/url\(["']?\/assets\/([^"')]+)["']?\)/g)) {
    const file = match[1]!;
    if (!existsSync(path.join(outDir, file))) throw new Error(`application.css refers to /assets/${file}, which the build does not provide`);
  }
}

export interface BuildResult {
  skipped: boolean;
  files: string[];
  cssBytes: number;
}

/**
 * Builds into a fresh folder beside public/ and swaps it in, so that a running server never
 * serves half a build and a failed build leaves the previous one in place.
 */
export async function buildAssets(config: Config, options: { ifMissing?: boolean; outDir?: string } = {}): Promise<BuildResult> {
  const outDir = options.outDir ?? publicDir;
  if (options.ifMissing && existsSync(path.join(outDir, 'application.css'))) return { skipped: true, files: [], cssBytes: 0 };

  const staging = `${outDir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(path.join(staging, 'images'), { recursive: true });
  try {
    const css = await compileStylesheet(config.brand);
    writeFileSync(path.join(staging, 'application.css'), css);
    copyFileSync(path.join(govukDist, 'govuk-frontend.min.js'), path.join(staging, 'govuk-frontend.min.js'));
    copyFileSync(path.join(govukDist, 'govuk-frontend.min.js.map'), path.join(staging, 'govuk-frontend.min.js.map'));
    for (const file of readdirSync(path.join(assetsDir, 'js'))) copyFileSync(path.join(assetsDir, 'js', file), path.join(staging, file));
    writeFileSync(path.join(staging, 'images', 'favicon.svg'), favicon(config.brand));
    checkImageReferences(css, staging);

    const previous = `${outDir}.previous-${process.pid}`;
    if (existsSync(outDir)) renameSync(outDir, previous);
    renameSync(staging, outDir);
    rmSync(previous, { recursive: true, force: true });
    return { skipped: false, files: listFiles(outDir), cssBytes: Buffer.byteLength(css) };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

// Run as a script (not when imported by a test).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  loadDotEnv();
  const started = Date.now();
  try {
    const result = await buildAssets(loadConfig(), { ifMissing: process.argv.includes('--if-missing') });
    if (result.skipped) {
      console.log('Assets already built (public/application.css exists): skipped. Run `npm run build` to rebuild.');
    } else {
      console.log(`Built public/: application.css (${Math.round(result.cssBytes / 1024)} KB) and ${result.files.length - 1} other files in ${Date.now() - started} ms.`);
    }
  } catch (error) {
    console.error(`Asset build failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
