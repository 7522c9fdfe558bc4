/**
 * `npm run seed` (scripts/seed.ts): its arguments, and real runs on a test database — refusing a
 * database with data, then --reset with a small benchmark load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parseSeedArgs } from '../../src/modules/demo/seed-args.js';
import { projectRoot } from '../../src/paths.js';
import { createTestDatabase, type TestContext } from '../helper.js';
import { createBuyer } from '../support/factories.js';
import { NodeProcess, waitUntil } from '../support/process.js';

t.test('arguments', async (t) => {
  t.same(parseSeedArgs([]), { ok: true, args: { help: false, reset: false, opportunities: undefined, seed: undefined } });
  t.same(parseSeedArgs(['--opportunities', '100000', '--reset', '--seed=9']), { ok: true, args: { help: false, reset: true, opportunities: 100_000, seed: 9 } });
  t.same(parseSeedArgs(['--opportunities=100_000']), { ok: true, args: { help: false, reset: false, opportunities: 100_000, seed: undefined } }, 'underscores as in 100_000');
  t.same(parseSeedArgs(['-h']), { ok: true, args: { help: true, reset: false, opportunities: undefined, seed: undefined } });
  const errors: [string[], RegExp][] = [
    [['--bogus'], /^unknown option --bogus$/],
    [['extra'], /^unexpected argument "extra"$/],
    [['--opportunities'], /^--opportunities needs a value$/],
    [['--opportunities', '--reset'], /^--opportunities needs a value$/],
    [['--opportunities', 'lots'], /^--opportunities must be a whole number from 1 to 5,000,000 \(got "lots"\)$/],
    [['--opportunities', '0'], /must be a whole number from 1/],
    [['--opportunities', '-5'], /must be a whole number/],
    [['--opportunities', '1.5'], /must be a whole number/],
    [['--opportunities', '99999999'], /must be a whole number from 1 to 5,000,000/],
    [['--seed', 'x'], /^--seed must be a whole number from 0 to 4,294,967,295 \(got "x"\)$/],
    [['--reset=yes'], /^--reset takes no value$/],
  ];
  for (const [argv, message] of errors) {
    const parsed = parseSeedArgs(argv);
    t.match(parsed.ok ? '' : parsed.error, message, argv.join(' '));
  }
});

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-seed-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function runSeed(t: TestContext, args: string[], env: Record<string, string>) {
  const seed = new NodeProcess(path.join(projectRoot, 'scripts', 'seed.ts'), args, { cwd: tempDir(t), env });
  t.teardown(() => seed.kill());
  const exit = await seed.waitForExit(120_000);
  const text = (stream: 'stdout' | 'stderr') => seed.lines.filter((l) => l.stream === stream && l.text.trim()).map((l) => l.text);
  return { code: exit.code, stdout: text('stdout'), stderr: text('stderr') };
}

t.test('a bad flag: one line and exit code 2, before touching any database', async (t) => {
  const run = await runSeed(t, ['--bogus'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
  t.equal(run.code, 2);
  t.same(run.stderr, ['seed: unknown option --bogus (npm run seed -- --help shows the options)']);
  t.same(run.stdout, []);

  const malformed = await runSeed(t, ['--opportunities', 'many'], {});
  t.equal(malformed.code, 2);
  t.same(malformed.stderr, ['seed: --opportunities must be a whole number from 1 to 5,000,000 (got "many") (npm run seed -- --help shows the options)']);
});

t.test('--help and invalid configuration', async (t) => {
  const help = await runSeed(t, ['--help'], {});
  t.equal(help.code, 0);
  t.match(help.stdout.join('\n'), /Usage: npm run seed -- \[options\][\s\S]*--opportunities N[\s\S]*--reset/);

  const badConfig = await runSeed(t, [], { LOG_LEVEL: 'loud' });
  t.equal(badConfig.code, 1);
  t.same(badConfig.stderr, ['Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")']);
});

t.test('refuses a database with data; --reset empties it and loads', async (t) => {
  const database = await createTestDatabase(t);
  const buyer = await createBuyer(database);
  const env = { DATABASE_URL: database.connectionString, NODE_ENV: 'test' };

  const refused = await runSeed(t, [], env);
  t.equal(refused.code, 1);
  t.match(refused.stderr.join('\n'), /^seed: the database already has data; nothing was changed\. Add --reset/);
  const { rows: before } = await database.pool.query('select id from buyer_organisations');
  t.same(before, [{ id: buyer.id }], 'nothing was changed');

  const seeded = await runSeed(t, ['--opportunities', '60', '--reset', '--seed', '3'], env);
  t.equal(seeded.code, 0, seeded.stderr.join('\n'));
  t.match(seeded.stdout.join('\n'), /^Seeding 127\.0\.0\.1:\d+\/portal_test_\w+$/m, 'names the database without credentials');
  t.match(seeded.stdout.join('\n'), /^emptied \d+ tables \(CPV codes kept\)$/m);
  t.match(seeded.stdout.join('\n'), /^benchmark data: 60 opportunities, \d+ releases/m);
  const { rows } = await database.pool.query<{ buyer: number; opportunities: number; cpv: number; latest: number }>(
    `select (select count(*) from buyer_organisations where slug = $1)::int as buyer, (select count(*) from opportunities)::int as opportunities,
            (select count(*) from cpv_codes)::int as cpv, (select count(*) from releases where is_latest)::int as latest`,
    [buyer.slug],
  );
  t.same(rows[0], { buyer: 0, opportunities: 60, cpv: 9454, latest: 60 }, 'the old data is gone, the reference data kept, the new data loaded');
  const { rows: ids } = await database.pool.query<{ min: number }>('select min(id)::int as min from buyer_organisations');
  t.equal(ids[0]?.min, 1, 'identities restarted');
});

t.test('Ctrl-C during a benchmark load rolls everything back', async (t) => {
  const database = await createTestDatabase(t);
  const seed = new NodeProcess(path.join(projectRoot, 'scripts', 'seed.ts'), ['--opportunities', '50000'], { cwd: tempDir(t), env: { DATABASE_URL: database.connectionString, NODE_ENV: 'test' } });
  t.teardown(() => seed.kill());
  // The buyers are committed first; the opportunities follow in chunks.
  await waitUntil(async () => {
    const { rows } = await database.pool.query<{ n: number }>('select count(*)::int as n from buyer_organisations');
    return rows[0]!.n > 0;
  }, 'the load to start', 60_000);
  seed.child.kill('SIGINT');
  const exit = await seed.waitForExit(60_000);
  t.equal(exit.code, 130, seed.output());
  t.match(seed.output(), /rolling back/);
  t.match(seed.output(), /seed: interrupted; the load was rolled back\./);
  const { rows } = await database.pool.query<{ buyers: number; opportunities: number }>(
    'select (select count(*) from buyer_organisations)::int as buyers, (select count(*) from opportunities)::int as opportunities',
  );
  t.same(rows[0], { buyers: 0, opportunities: 0 }, 'nothing is left');
});
