/**
 * `npm run bench -- <name> [options]`: runs one benchmark. Each prints a table and ends with a
 * line `BENCH {json}`; a run with errors or non-2xx responses exits non-zero. Whatever happens,
 * every child process it started (server, bare page, seed) is stopped before it exits.
 */
import { stopAll } from './harness.js';

const benchmarks: Record<string, { description: string; load: () => Promise<{ main(args: string[]): Promise<number> }> }> = {
  pages: { description: 'home, list and detail pages against a bare Fastify + Eta page', load: () => import('./pages.js') },
  search: { description: 'the search page replaying the query mix, one client then 50 connections (--size N, default 100,000)', load: () => import('./search.js') },
};

const [name, ...args] = process.argv.slice(2);
const benchmark = name ? benchmarks[name] : undefined;
if (!benchmark) {
  console.error(`Usage: npm run bench -- <name> [options]\n\nBenchmarks:\n${Object.entries(benchmarks)
    .map(([key, b]) => `  ${key.padEnd(10)} ${b.description}`)
    .join('\n')}`);
  process.exit(name ? 2 : 1);
}
const { main } = await benchmark.load();
let code: number;
try {
  code = await main(args);
} catch (error) {
  console.error(`\nbenchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  code = 1;
} finally {
  await stopAll();
}
process.exit(code);
