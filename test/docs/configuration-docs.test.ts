// The configuration docs must match the code: every variable src/config.ts reads is documented
// in .env.example and in the README's table, and neither documents a variable the code ignores.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { projectRoot } from '../../src/paths.js';

const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');

const fromCode = new Set([...read('src/config.ts').matchAll(/\(env, '([A-Z_]+)'/g)].map((m) => m[1]!));
const fromEnvExample = new Set([...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z_]+)=/gm)].map((m) => m[1]!));
const fromReadme = new Set([...read('README.md').matchAll(/^\| `([A-Z][A-Z_]+)` \|/gm)].map((m) => m[1]!));

t.ok(fromCode.size >= 15, `config.ts reads ${fromCode.size} variables`);

t.test('.env.example documents exactly the variables the code reads', async (t) => {
  t.same([...fromCode].filter((v) => !fromEnvExample.has(v)), [], 'undocumented in .env.example');
  t.same([...fromEnvExample].filter((v) => !fromCode.has(v)), [], 'documented but not read');
});

t.test('the README table documents exactly the variables the code reads', async (t) => {
  t.same([...fromCode].filter((v) => !fromReadme.has(v)), [], 'missing from the README');
  t.same([...fromReadme].filter((v) => !fromCode.has(v)), [], 'in the README but not read');
});
