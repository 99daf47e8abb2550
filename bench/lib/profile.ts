// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by
// package/module, so a benchmark note can say what bounds the figure.
import { readFileSync } from 'node:fs';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  idleMs: number;
  topFunctions: Array<{ fn: string; where: string; selfMs: number; pct: number }>;
  byModule: Array<{ module: string; selfMs: number; pct: number }>;
}

function moduleOf(url: string): string {
  if (!url) return '(native/v8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const d = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + d);
  }
  let total = 0;
  let idle = 0;
  const fns = new Map<string, { fn: string; where: string; selfMs: number }>();
  const mods = new Map<string, number>();
  for (const [id, ms] of self) {
    const n = byId.get(id);
    if (!n) continue;
    total += ms;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
      if (name === '(idle)') idle += ms;
      const k = name;
      const e = fns.get(k) ?? { fn: name, where: '', selfMs: 0 };
      e.selfMs += ms;
      fns.set(k, e);
      if (name !== '(idle)') mods.set(name, (mods.get(name) ?? 0) + ms);
      continue;
    }
    const where = `${moduleOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    const k = `${name}@${where}`;
    const e = fns.get(k) ?? { fn: name, where, selfMs: 0 };
    e.selfMs += ms;
    fns.set(k, e);
    const m = moduleOf(n.callFrame.url);
    mods.set(m, (mods.get(m) ?? 0) + ms);
  }
  const busy = total - idle || 1;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    file,
    totalMs: r(total),
    idleMs: r(idle),
    topFunctions: [...fns.values()]
      .filter((f) => f.fn !== '(idle)')
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((f) => ({ ...f, selfMs: r(f.selfMs), pct: r((100 * f.selfMs) / busy) })),
    byModule: [...mods.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([module, ms]) => ({ module, selfMs: r(ms), pct: r((100 * ms) / busy) })),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of process.argv.slice(2)) console.log(JSON.stringify(summariseProfile(f), null, 2));
}
