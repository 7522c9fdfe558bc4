// As root, the embedded PostgreSQL runs as the postgres user: a checkout it cannot reach gets a
// one-line explanation with the fix, not "spawn EACCES".
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { assertBinariesReachable } from '../../src/db/embedded.js';

t.test('a checkout inside a folder closed to others is refused with the fix', { skip: process.getuid?.() !== 0 ? 'only root runs PostgreSQL as another user' : false }, async (t) => {
  const outer = mkdtempSync(path.join(os.tmpdir(), 'portal-closed-'));
  t.teardown(() => rmSync(outer, { recursive: true, force: true }));
  const checkout = path.join(outer, 'checkout');
  mkdirSync(checkout, { mode: 0o755 });
  chmodSync(outer, 0o700);
  t.throws(() => assertBinariesReachable(checkout), new RegExp(`cannot enter ${outer}.*chmod o\\+x ${outer}`));
  chmodSync(outer, 0o711);
  t.doesNotThrow(() => assertBinariesReachable(checkout), 'traversable is enough');
});
