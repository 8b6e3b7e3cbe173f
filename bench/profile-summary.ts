/**
 * Summarises a V8 CPU profile (from `node --cpu-prof`): the functions with the most self time, and the
 * packages/files they belong to. Usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, limitArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: bench/profile-summary.ts FILE.cpuprofile [N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const limit = Number(limitArg ?? 25);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfTime = new Map<number, number>();
profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfTime.values()].reduce((a, b) => a + b, 0);

const where = (url: string) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.includes('/dist/')) return 'service: ' + url.slice(url.indexOf('/dist/') + 6);
  return url.startsWith('node:') ? 'node core' : url || '(native/gc/idle)';
};

const functions = new Map<string, number>();
const places = new Map<string, number>();
for (const [id, time] of selfTime) {
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || '(anonymous)'}  ${where(url)}:${lineNumber + 1}`;
  functions.set(key, (functions.get(key) ?? 0) + time);
  const place = where(url).split(':')[0]!.replace(/^service: (.*)$/, 'service: $1');
  places.set(place, (places.get(place) ?? 0) + time);
}
const pct = (t: number) => ((100 * t) / total).toFixed(1).padStart(5) + '%';
process.stdout.write(`total ${(total / 1e6).toFixed(2)} s sampled\n\nby package/file:\n`);
for (const [place, time] of [...places].sort((a, b) => b[1] - a[1]).slice(0, limit)) process.stdout.write(`${pct(time)}  ${place}\n`);
process.stdout.write('\nby function (self time):\n');
for (const [fn, time] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, limit)) process.stdout.write(`${pct(time)}  ${fn}\n`);
