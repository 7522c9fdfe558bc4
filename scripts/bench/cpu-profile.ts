/**
 * Where a process's CPU time went, from the V8 profile `node --cpu-prof` writes at exit: self time
 * by package (node_modules/<name>, node: internals, our src/ and views, GC, idle) and the busiest
 * functions. Used by `npm run bench -- pages --cpu-prof`; also runnable on a file:
 *
 *   node --import tsx scripts/bench/cpu-profile.ts .bench/profiles/CPU.….cpuprofile
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../../src/paths.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope, name] = url.slice(modules + '/node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? url);
  }
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  const relative = path.relative(projectRoot, file);
  return relative.startsWith('..') ? file : relative.split(path.sep).slice(0, 2).join('/');
}

interface Loaded {
  file: string;
  profile: CpuProfile;
  byId: Map<number, ProfileNode>;
  selfMicros: Map<number, number>;
  total: number;
  busy: number;
}

function load(file: string): Loaded {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfMicros].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
  return { file, profile, byId, selfMicros, total, busy: total - idle };
}

export function summariseCpuProfileFile(file: string, top = 25): void {
  summarise(load(file), top);
}

/** A function, named with its package, or with its file when it is the project's own. */
function labelOf({ callFrame: { functionName, url, lineNumber } }: ProfileNode): string {
  const file = url.startsWith('file://') ? path.relative(projectRoot, new URL(url).pathname) : '';
  const where = file && !file.startsWith('..') && !file.includes('node_modules') ? file : packageOf(url, functionName);
  return `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`;
}

/**
 * Total time (self and callees) per function, each sample counted once per function even when the
 * function recurses: what a request spends "in" rendering, the driver, a helper…
 */
function inclusiveByFunction({ profile, byId, selfMicros }: Loaded): Map<string, number> {
  const inclusive = new Map<string, number>();
  const root = profile.nodes[0];
  if (!root) return inclusive;
  const walk = (node: ProfileNode, onPath: Set<string>): number => {
    const label = labelOf(node);
    const fresh = !onPath.has(label);
    if (fresh) onPath.add(label);
    let micros = selfMicros.get(node.id) ?? 0;
    for (const child of node.children ?? []) micros += walk(byId.get(child)!, onPath);
    if (fresh) {
      onPath.delete(label);
      inclusive.set(label, (inclusive.get(label) ?? 0) + micros);
    }
    return micros;
  };
  walk(root, new Set());
  return inclusive;
}

function summarise(loaded: Loaded, top: number): void {
  const { file, byId, selfMicros, total, busy } = loaded;
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const node = byId.get(id)!;
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
    byFunction.set(labelOf(node), (byFunction.get(labelOf(node)) ?? 0) + micros);
  }
  const share = (micros: number) => `${((micros / busy) * 100).toFixed(1).padStart(5)} %`;
  const print = (title: string, entries: Map<string, number>, count: number, keep: (label: string) => boolean = () => true) => {
    console.log(`\n${title}:`);
    for (const [label, micros] of [...entries].filter(([label]) => !label.startsWith('(idle)') && !label.startsWith('(root)') && keep(label)).sort((a, b) => b[1] - a[1]).slice(0, count)) {
      console.log(`  ${share(micros)}  ${label}`);
    }
  };
  console.log(`\nCPU profile ${path.basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (shares below are of busy time)`);
  print('self time by package', byPackage, 15);
  print('busiest functions (self time)', byFunction, top);
  // The project's own functions (src/, scripts/) with their callees: which step of a request costs what.
  print("the project's functions, with their callees", inclusiveByFunction(loaded), top, (label) => / {2}(src|scripts)\//.test(label));
}

/**
 * Summarises the busiest profile in `dir`: each thread writes its own (with `--import tsx`, the
 * module-loader thread writes one too), and the server's work is on the main thread.
 */
export function summariseCpuProfile(dir: string): void {
  const profiles = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.cpuprofile')).map((name) => load(path.join(dir, name))) : [];
  const busiest = profiles.sort((a, b) => b.busy - a.busy)[0];
  if (!busiest) {
    console.log(`no CPU profile in ${dir}`);
    return;
  }
  summarise(busiest, 25);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) {
    console.error('Usage: node --import tsx scripts/bench/cpu-profile.ts <file.cpuprofile>');
    process.exit(2);
  }
  summariseCpuProfileFile(file);
}
