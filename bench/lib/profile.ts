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
  byCategory: Array<{ category: string; selfMs: number; pct: number }>;
}

const EXPRESS_STACK = new Set([
  'express', 'router', 'body-parser', 'raw-body', 'type-is', 'on-finished', 'content-type', 'iconv-lite', 'finalhandler',
  'send', 'mime-types', 'mime-db', 'media-typer', 'path-to-regexp', 'parseurl', 'encodeurl', 'escape-html', 'depd', 'debug',
  'http-errors', 'statuses', 'qs', 'merge-descriptors', 'vary', 'accepts', 'negotiator', 'content-disposition', 'cookie',
  'fresh', 'range-parser', 'proxy-addr', 'etag', 'serve-static', 'setprototypeof', 'safe-buffer', 'ee-first', 'unpipe', 'bytes',
  'is-promise', 'call-bound', 'get-intrinsic', 'es-errors', 'math-intrinsics', 'dunder-proto', 'side-channel', 'side-channel-map',
  'side-channel-list', 'side-channel-weakmap', 'object-inspect', 'function-bind', 'hasown', 'gopd', 'has-symbols', 'es-define-property',
  'es-object-atoms', 'get-proto', 'call-bind-apply-helpers', 'inherits', 'once', 'wrappy', 'forwarded', 'ipaddr.js', 'toidentifier',
]);

function categoryOf(module: string): string {
  if (module === '(garbage collector)') return 'GC';
  if (module === '(program)' || module === '(native/v8)') return 'V8/native (incl. TLS writes, JSON.parse)';
  if (module.startsWith('src/rules/') || module.startsWith('src/api/')) return 'amko rules (src/rules, src/api)';
  if (module.startsWith('src/admission/')) return 'amko admission (src/admission)';
  if (module.startsWith('src/')) return 'amko other (src/)';
  if (EXPRESS_STACK.has(module)) return 'express 5 stack (express, router, body-parser, …)';
  if (module === 'pino' || module.startsWith('@pinojs') || module === 'sonic-boom' || module === 'fast-redact' || module === 'quick-format-unescaped' || module === 'atomic-sleep' || module === 'thread-stream') return 'pino logging';
  if (module === 'prom-client' || module === 'tdigest' || module === 'bintrees') return 'prom-client metrics';
  if (module === 'ajv' || module === 'ajv-formats' || module === 'fast-deep-equal' || module === 'fast-uri') return 'ajv';
  if (module === 'fast-json-patch') return 'fast-json-patch';
  if (/^node:(_http|http|https|_tls|tls|net|stream|internal\/(streams|stream_base|http|tls|net))/.test(module)) return 'node http/tls/net/streams';
  if (module.startsWith('node:')) return 'node other';
  return 'other';
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

/** Self time by function, module and category; `skipMs`: leave out the first milliseconds (start-up, warm-up). */
export function summariseProfile(file: string, top = 15, skipMs = 0): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  let at = 0;
  for (let i = 0; i < samples.length; i++) {
    at += (deltas[i] ?? 0) / 1000;
    if (at < skipMs) continue;
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
  const cats = new Map<string, number>();
  for (const [m, ms] of mods) cats.set(categoryOf(m), (cats.get(categoryOf(m)) ?? 0) + ms);
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
    byCategory: [...cats.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([category, ms]) => ({ category, selfMs: r(ms), pct: r((100 * ms) / busy) })),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of process.argv.slice(2)) console.log(JSON.stringify(summariseProfile(f), null, 2));
}
