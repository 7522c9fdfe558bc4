/**
 * `npm run bench -- <name> [options]`: runs one benchmark. Each prints a table and ends with a
 * line `BENCH {json}`; a run with errors or non-2xx responses exits non-zero without that line.
 */
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
process.exit(await main(args));
