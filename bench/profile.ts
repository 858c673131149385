/**
 * `tsx bench/profile.ts <file.cpuprofile> [top]`: the functions with the most self time in a V8
 * CPU profile (from `BENCH_PROFILE=<dir> npm run bench`), and the same grouped by package, so a
 * profile can be read without a browser.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: tsx bench/profile.ts <file.cpuprofile> [top]');
const top = Number(topArg ?? '30');
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);

function where(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0)
    return url
      .slice(modules + 'node_modules/'.length)
      .split('/')
      .slice(0, 1)
      .join('/');
  if (url.includes('/dist/')) return `entitle:${url.slice(url.indexOf('/dist/') + 6)}`;
  if (url.startsWith('node:')) return url;
  return url === '' ? '(native)' : url;
}

const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const node = byId.get(id);
  if (node === undefined) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const name = `${functionName || '(anonymous)'} ${where(url)}:${String(lineNumber + 1)}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  const pkg = where(url).split(':')[0] ?? '';
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
}

const print = (title: string, entries: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, micros] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}\n`);
  }
};
print('self time by package', byPackage);
print('self time by function', byFunction);

// Total time: a sample counts for every distinct function on its stack, so a layer (a hook, a
// serializer, a service call) shows what it costs with everything it calls.
const parentOf = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parentOf.set(child, node.id);
const inclusive = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const node = byId.get(at);
    if (node === undefined) break;
    const { functionName, url, lineNumber } = node.callFrame;
    if (url === '') continue;
    seen.add(`${functionName || '(anonymous)'} ${where(url)}:${String(lineNumber + 1)}`);
  }
  for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
}
print('total time (with callees) by function', inclusive);
