/**
 * A connection the server drops in the middle of a transaction fails that transaction; it must not
 * crash the process (pg emits 'error' on a checked-out client that has no listener of its own).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createTestDatabase } from '../helper.js';
import { NodeProcess } from '../support/process.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'terminated-transaction.ts');

t.test('a connection terminated between two statements of a transaction fails it, and the process lives on', async (t) => {
  const database = await createTestDatabase(t);
  const child = new NodeProcess(fixture, [], { env: { TEST_DB_URL: database.connectionString } });
  t.teardown(() => child.kill());
  const exit = await child.waitForExit(60_000);
  t.same(exit, { code: 0, signal: null }, 'the process survives');
  if (exit.code !== 0) t.comment(child.diagnostics());
  t.match(child.output(), /the transaction failed: /, 'the transaction fails with an error');
  t.match(child.output(), 'the pool still works: true', 'and the pool serves the next query');
});
