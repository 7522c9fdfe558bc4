/** Command-line arguments of `npm run seed` (scripts/seed.ts), parsed without side effects. */

export interface SeedArgs {
  help: boolean;
  reset: boolean;
  /** Benchmark mode when set. */
  opportunities: number | undefined;
  seed: number | undefined;
}

export type ParsedSeedArgs = { ok: true; args: SeedArgs } | { ok: false; error: string };

export const MAX_BENCHMARK_OPPORTUNITIES = 5_000_000;

export const SEED_USAGE = `Usage: npm run seed -- [options]

Loads the demo data into the portal's database (DATABASE_URL, or the embedded one under DATA_DIR),
or with --opportunities a benchmark-sized database of the same shape.

Options:
  --opportunities N  load N opportunities for benchmarks (1 to ${MAX_BENCHMARK_OPPORTUNITIES.toLocaleString('en-GB')}) instead of the demo
  --seed N           seed of the random generator (a whole number; the same seed gives the same data)
  --reset            empty the app's tables first (everything except the CPV codes); without it,
                     seeding refuses to touch a database that already has data
  --help             show this help`;

function wholeNumber(flag: string, raw: string | undefined, min: number, max: number): number | string {
  if (raw === undefined || raw === '' || raw.startsWith('--')) return `${flag} needs a value`;
  const cleaned = raw.replace(/_/g, '');
  if (!/^\d+$/.test(cleaned)) return `${flag} must be a whole number from ${min} to ${max.toLocaleString('en-GB')} (got "${raw}")`;
  const value = Number(cleaned);
  if (!Number.isSafeInteger(value) || value < min || value > max) return `${flag} must be a whole number from ${min} to ${max.toLocaleString('en-GB')} (got "${raw}")`;
  return value;
}

export function parseSeedArgs(argv: readonly string[]): ParsedSeedArgs {
  const args: SeedArgs = { help: false, reset: false, opportunities: undefined, seed: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const takeValue = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '--help':
      case '-h':
        args.help = true;
        break;
      case '--reset':
        if (inline !== undefined) return { ok: false, error: '--reset takes no value' };
        args.reset = true;
        break;
      case '--opportunities': {
        const value = wholeNumber(flag, takeValue(), 1, MAX_BENCHMARK_OPPORTUNITIES);
        if (typeof value === 'string') return { ok: false, error: value };
        args.opportunities = value;
        break;
      }
      case '--seed': {
        const value = wholeNumber(flag, takeValue(), 0, 4_294_967_295);
        if (typeof value === 'string') return { ok: false, error: value };
        args.seed = value;
        break;
      }
      default:
        return { ok: false, error: arg.startsWith('-') ? `unknown option ${flag}` : `unexpected argument "${arg}"` };
    }
  }
  return { ok: true, args };
}
