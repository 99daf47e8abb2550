// HTTPS fuzzer for the admission endpoints. Starts the real server (test/fuzz/server-child.ts)
// as a child process, sends random and mutated AdmissionReviews, wrong types, deep nesting,
// huge strings and arrays, invalid UTF-8, truncated and aborted bodies, wrong content types
// and encodings, and slow senders, and checks that every answer is well formed:
//   - 200 with an AdmissionReview of the version sent, the request's uid, a boolean `allowed`,
//     a Status on denials and a base64 JSON Patch array when patched; or
//   - 400 with a Kubernetes Status (reason BadRequest); or
//   - 404 with a Status for a wrong path/method (that category only).
// Anything else (5xx, reset, timeout, non-JSON, crash) is counted as malformed.
// Memory: the server's RSS (from /proc) before, at the end, and at its peak.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { fixtureNames, loadFixture } from '../admission/support.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');

export const CATEGORIES = [
  'fixture',
  'mutated-review',
  'random-json',
  'wrong-types',
  'deep-nesting',
  'huge-values',
  'oversize-body',
  'invalid-utf8',
  'truncated-body',
  'content-type',
  'content-encoding',
  'slow-sender',
  'aborted-upload',
  'wrong-route',
] as const;
export type Category = (typeof CATEGORIES)[number];

const WEIGHTS: Record<Category, number> = {
  fixture: 10,
  'mutated-review': 30,
  'random-json': 8,
  'wrong-types': 10,
  'deep-nesting': 5,
  'huge-values': 2,
  'oversize-body': 1,
  'invalid-utf8': 8,
  'truncated-body': 8,
  'content-type': 6,
  'content-encoding': 4,
  'slow-sender': 4,
  'aborted-upload': 2,
  'wrong-route': 2,
};

export interface FuzzOptions {
  requests: number;
  seed?: number;
  concurrency?: number;
  /** Called every `progressEvery` requests. */
  onProgress?: (done: number, report: FuzzReport) => void;
  progressEvery?: number;
  /** Extra environment of the server process (e.g. NODE_OPTIONS with a heap limit). */
  serverEnv?: Record<string, string>;
}

export interface FuzzReport {
  requests: number;
  seed: number;
  durationMs: number;
  /** Requests per category. */
  categories: Record<string, number>;
  /** Outcomes: admission-allowed, admission-denied, admission-patched, admission-fail-closed, bad-request-400, not-found-404, client-aborted, malformed:*. */
  outcomes: Record<string, number>;
  /** Well-formed answers by HTTP status. */
  httpStatus: Record<string, number>;
  malformed: number;
  /** Up to 20 examples of malformed answers. */
  malformedExamples: Array<{ category: Category; reason: string; detail: string }>;
  failClosed: number;
  failClosedExamples: string[];
  serverCrashed: boolean;
  healthyAfter: boolean;
  rss: { beforeMiB: number; afterMiB: number; peakMiB: number };
}

// --- deterministic randomness ---------------------------------------------------------------

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  string(max = 12): string {
    const alphabets = ['abcdefghijklmnopqrstuvwxyz-.', '0123456789', '\u0000\u0001\u001f"\\/\u2028\u2029', 'é中\ud83d\ude00', '\ud800\udfff'];
    const a = this.pick(alphabets);
    let s = '';
    for (let i = this.int(max + 1); i > 0; i--) s += a[this.int(a.length)];
    return s;
  }
  key(): string {
    return this.chance(0.6) ? this.pick(KEYS) : this.string(8);
  }
  leaf(): unknown {
    switch (this.int(9)) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.int(1000) - 500;
      case 3:
        return this.pick([0, -1, 1, 21, 86401, 2 ** 53, -(2 ** 63), 1e308, -1e-308, 0.1]);
      case 4:
        return this.pick(VALUES);
      default:
        return this.string();
    }
  }
  value(depth = 0): unknown {
    const k = depth > 4 ? 0 : this.int(4);
    if (k === 0 || k === 1) return this.leaf();
    if (k === 2) return Array.from({ length: this.int(5) }, () => this.value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = this.int(6); i > 0; i--) o[this.key()] = this.value(depth + 1);
    return o;
  }
}

const KEYS = [
  'kind', 'apiVersion', 'request', 'uid', 'operation', 'object', 'oldObject', 'name', 'namespace', 'metadata', 'spec',
  'group', 'version', 'resource', 'subResource', 'dryRun', 'options', 'userInfo', 'annotations', 'labels',
  'gslbLeader', 'credentials', 'controllerIP', 'controllerVersion', 'memberClusters', 'clusterContext', 'trafficSplit',
  'cluster', 'weight', 'priority', 'ttl', 'fqdn', 'matchClusters', 'matchRules', 'thirdPartyMembers', 'publicIP',
  'healthMonitorRefs', 'poolAlgorithmSettings', 'lbAlgorithm', 'downResponse', 'isLeader', 'clusters', '__proto__',
  'constructor', 'prototype', 'toString', 'hasOwnProperty', '',
];
const VALUES = [
  '', 'AdmissionReview', 'admission.k8s.io/v1', 'admission.k8s.io/v1beta1', 'amko.vmware.com', 'GSLBConfig',
  'GlobalDeploymentPolicy', 'GSLBHostRule', 'AMKOCluster', 'CREATE', 'UPDATE', 'DELETE', 'CONNECT', 'status',
  'avi-system', 'default', 'cluster1-admin', '10.10.10.10', '::1', 'app.avi.internal', '*.x', 'GSLB_ALGORITHM_TOPOLOGY',
];

// --- request construction -------------------------------------------------------------------

interface FuzzRequest {
  category: Category;
  method: string;
  path: string;
  headers: Record<string, string | number>;
  chunks: Buffer[];
  /** Pause between chunks (slow sender). */
  chunkDelayMs?: number;
  /** Declared Content-Length larger than what is sent; the client gives up after this many ms. */
  abortAfterMs?: number;
  /** The review as sent, when the body is exactly its JSON. */
  sent?: { apiVersion?: unknown; uid?: unknown };
}

interface Fixture {
  name: string;
  body: any;
}

function loadFixtures(): Fixture[] {
  return fixtureNames().map((name) => ({ name, body: loadFixture(name) }));
}

function endpointOf(name: string): string {
  return name.endsWith('.mutate') ? '/mutate' : '/validate';
}

function jsonRequest(category: Category, p: string, body: unknown, extra: Partial<FuzzRequest> = {}): FuzzRequest {
  const text = JSON.stringify(body);
  const buf = Buffer.from(`${text}\n`);
  const b = body as any;
  const sent = b && typeof b === 'object' && !Array.isArray(b) ? { apiVersion: b.apiVersion, uid: b.request?.uid } : undefined;
  return {
    category,
    method: 'POST',
    path: `${p}?timeout=10s`,
    headers: { 'content-type': 'application/json', 'content-length': buf.length, accept: 'application/json, */*' },
    chunks: [buf],
    sent,
    ...extra,
  };
}

function allPaths(v: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(prefix);
  if (out.length > 5000) return out;
  if (Array.isArray(v)) v.forEach((x, i) => allPaths(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) allPaths(x, [...prefix, k], out);
  return out;
}

function edit(root: any, p: Array<string | number>, g: Gen): any {
  if (p.length === 0) return g.value();
  let cur = root;
  for (const k of p.slice(0, -1)) cur = cur[k];
  const last = p[p.length - 1]!;
  const old = cur[last];
  switch (g.int(6)) {
    case 0:
      if (Array.isArray(cur)) cur.splice(Number(last), 1);
      else delete cur[last];
      break;
    case 1: // same value, other type
      cur[last] = typeof old === 'string' ? (Number(old) || g.int(100)) : typeof old === 'number' ? String(old) : Array.isArray(old) ? { ...old } : old && typeof old === 'object' ? Object.values(old) : [old];
      break;
    case 2:
      cur[last] = null;
      break;
    case 3: // a sibling with a random key
      if (old && typeof old === 'object' && !Array.isArray(old)) old[g.key()] = g.value();
      else cur[last] = g.value();
      break;
    default:
      cur[last] = g.value();
  }
  return root;
}

function nested(depth: number, g: Gen): string {
  const [open, close] = g.pick([
    ['[', ']'],
    ['{"a":', '}'],
    ['{"spec":{"trafficSplit":[', ']}}'],
  ] as const);
  return `${open.repeat(depth)}${g.pick(['1', '"x"', 'null', '{}'])}${close.repeat(depth)}`;
}

function build(category: Category, g: Gen, fixtures: Fixture[]): FuzzRequest {
  const fx = g.pick(fixtures);
  const ep = endpointOf(fx.name);
  const body = structuredClone(fx.body);
  switch (category) {
    case 'fixture':
      return jsonRequest(category, ep, body);
    case 'mutated-review': {
      let root: any = body;
      for (let i = 1 + g.int(4); i > 0; i--) {
        const ps = allPaths(root);
        root = edit(root, g.pick(ps), g);
      }
      return jsonRequest(category, ep, root);
    }
    case 'random-json':
      return jsonRequest(category, g.pick(['/validate', '/mutate']), g.chance(0.5) ? g.value() : { kind: 'AdmissionReview', apiVersion: g.pick(VALUES), request: g.value() });
    case 'wrong-types': {
      const r = body.request;
      const target = g.pick(['uid', 'kind', 'operation', 'object', 'oldObject', 'name', 'namespace', 'request', 'apiVersion', 'dryRun', 'subResource', 'kind.kind', 'kind.group']);
      const wrong = g.pick<unknown>([42, -1, true, null, [], {}, [1, 'a'], '', 'x'.repeat(300), { length: 1 }, 1e308]);
      if (target === 'request') body.request = wrong;
      else if (target === 'apiVersion') body.apiVersion = wrong;
      else if (target === 'kind.kind') r.kind.kind = wrong;
      else if (target === 'kind.group') r.kind.group = wrong;
      else r[target] = wrong;
      return jsonRequest(category, ep, body);
    }
    case 'deep-nesting': {
      const depth = g.pick([100, 1000, 5000, 20_000, 100_000]);
      const head = JSON.stringify({ ...body, request: { ...body.request, object: '@@' } });
      const text = g.chance(0.2) ? nested(depth, g) : head.replace('"@@"', nested(depth, g));
      const buf = Buffer.from(text);
      return {
        category,
        method: 'POST',
        path: ep,
        headers: { 'content-type': 'application/json', 'content-length': buf.length },
        chunks: [buf],
        sent: text.startsWith('{"kind"') ? { apiVersion: body.apiVersion, uid: body.request.uid } : undefined,
      };
    }
    case 'huge-values': {
      const o = body.request.object ?? (body.request.object = { metadata: {} });
      const what = g.int(4);
      if (what === 0) o.metadata = { ...o.metadata, name: 'n'.repeat(1 + g.int(2_500_000)) };
      else if (what === 1) o.spec = { ...(o.spec ?? {}), trafficSplit: Array.from({ length: 1 + g.int(100_000) }, (_, i) => ({ cluster: `c${i}`, weight: i % 30 })) };
      else if (what === 2) o.metadata = { ...o.metadata, annotations: Object.fromEntries(Array.from({ length: 1 + g.int(50_000) }, (_, i) => [`k${i}`, 'v'])) };
      else body.request.uid = 'u'.repeat(1 + g.int(2_000_000));
      return jsonRequest(category, ep, body);
    }
    case 'oversize-body': {
      const o = body.request.object ?? (body.request.object = {});
      o.metadata = { ...(o.metadata ?? {}), annotations: { big: 'x'.repeat(3 * 1024 * 1024 + g.int(4 * 1024 * 1024)) } };
      return jsonRequest(category, ep, body);
    }
    case 'invalid-utf8': {
      const text = Buffer.from(JSON.stringify(body));
      const bad = g.pick([
        Buffer.from([0xff]),
        Buffer.from([0xc3]),
        Buffer.from([0xed, 0xa0, 0x80]), // encoded surrogate
        Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
        Buffer.from([0xc0, 0xaf]), // overlong '/'
        Buffer.from('\\ud800'), // lone surrogate escape (valid JSON)
        Buffer.from([0xef, 0xbb, 0xbf]), // BOM
        Buffer.from([0x00]),
      ]);
      // Insert inside a string literal (after a quote) or anywhere.
      let at = g.int(text.length);
      if (g.chance(0.7)) {
        const q = text.indexOf(0x22, at);
        if (q >= 0) at = q + 1;
      }
      const buf = Buffer.concat([text.subarray(0, at), bad, text.subarray(at)]);
      return { category, method: 'POST', path: ep, headers: { 'content-type': g.pick(['application/json', 'application/json; charset=utf-8']), 'content-length': buf.length }, chunks: [buf] };
    }
    case 'truncated-body': {
      const text = Buffer.from(JSON.stringify(body));
      const buf = text.subarray(0, g.int(text.length));
      return { category, method: 'POST', path: ep, headers: { 'content-type': 'application/json', 'content-length': buf.length }, chunks: [buf] };
    }
    case 'content-type': {
      const ct = g.pick([
        undefined,
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/yaml',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'application/json; charset=nonsense',
        'application/jsonx',
        'APPLICATION/JSON',
        'application/merge-patch+json',
        '*/*',
        ';;;',
        'application/json\u0000',
      ]);
      const buf = Buffer.from(JSON.stringify(body));
      const headers: Record<string, string | number> = { 'content-length': buf.length };
      if (ct !== undefined && !ct.includes('\u0000')) headers['content-type'] = ct;
      return { category, method: 'POST', path: ep, headers, chunks: [buf], sent: { apiVersion: body.apiVersion, uid: body.request.uid } };
    }
    case 'content-encoding': {
      const json = Buffer.from(JSON.stringify(body));
      const kindOf = g.int(4);
      const buf =
        kindOf === 0
          ? gzipSync(json) // well-formed gzip: must be decoded and answered
          : kindOf === 1
            ? gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)) // gzip bomb: 20 MiB of spaces
            : kindOf === 2
              ? Buffer.concat([gzipSync(json).subarray(0, 20), Buffer.from('garbage')])
              : json;
      const enc = kindOf === 3 ? g.pick(['br', 'compress', 'x-unknown', 'gzip, gzip']) : 'gzip';
      return {
        category,
        method: 'POST',
        path: ep,
        headers: { 'content-type': 'application/json', 'content-encoding': enc, 'content-length': buf.length },
        chunks: [buf],
        sent: kindOf === 0 ? { apiVersion: body.apiVersion, uid: body.request.uid } : undefined,
      };
    }
    case 'slow-sender': {
      const buf = Buffer.from(JSON.stringify(body));
      const n = 2 + g.int(8);
      const size = Math.ceil(buf.length / n);
      const chunks = Array.from({ length: n }, (_, i) => buf.subarray(i * size, (i + 1) * size)).filter((c) => c.length);
      const chunked = g.chance(0.5);
      const headers: Record<string, string | number> = { 'content-type': 'application/json' };
      if (chunked) headers['transfer-encoding'] = 'chunked';
      else headers['content-length'] = buf.length;
      return { category, method: 'POST', path: ep, headers, chunks, chunkDelayMs: 20 + g.int(150), sent: { apiVersion: body.apiVersion, uid: body.request.uid } };
    }
    case 'aborted-upload': {
      const buf = Buffer.from(JSON.stringify(body));
      const part = buf.subarray(0, g.int(buf.length));
      return { category, method: 'POST', path: ep, headers: { 'content-type': 'application/json', 'content-length': buf.length }, chunks: [part], abortAfterMs: 20 + g.int(100) };
    }
    case 'wrong-route': {
      const method = g.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'POST', 'OPTIONS']);
      const p = method === 'POST' ? g.pick(['/', '/validate/x', '/mutatex', '/%2e%2e/etc/passwd', '/validate%00', `/${'a'.repeat(4000)}`]) : g.pick(['/validate', '/mutate', '/x']);
      const buf = Buffer.from(JSON.stringify(body));
      return { category, method, path: p, headers: { 'content-type': 'application/json', 'content-length': buf.length }, chunks: [buf] };
    }
  }
}

// --- sending and checking -------------------------------------------------------------------

interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

function send(agent: https.Agent, base: URL, ca: string, r: FuzzRequest): Promise<Answer | 'client-aborted'> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { method: r.method, hostname: base.hostname, port: base.port, path: r.path, headers: r.headers, agent, ca, timeout: 40_000 },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(parts) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 40 s')));
    req.on('error', (e) => {
      if (r.abortAfterMs !== undefined) resolve('client-aborted');
      else reject(e);
    });
    (async () => {
      for (let i = 0; i < r.chunks.length; i++) {
        if (i > 0 && r.chunkDelayMs) await new Promise((res) => setTimeout(res, r.chunkDelayMs));
        if (!req.destroyed) req.write(r.chunks[i]!);
      }
      if (r.abortAfterMs !== undefined) {
        await new Promise((res) => setTimeout(res, r.abortAfterMs));
        req.destroy();
        resolve('client-aborted');
      } else req.end();
    })().catch(reject);
  });
}

/** Returns the outcome name, or throws a string describing why the answer is malformed. */
function check(r: FuzzRequest, a: Answer): string {
  let json: any;
  if (!a.contentType.startsWith('application/json')) throw `content-type ${a.contentType || '(none)'}`;
  try {
    json = JSON.parse(a.body.toString('utf8'));
  } catch {
    throw 'body is not JSON';
  }
  const isStatus = (code: number) =>
    json && json.kind === 'Status' && json.apiVersion === 'v1' && json.status === 'Failure' && json.code === code && typeof json.reason === 'string' && typeof json.message === 'string';
  if (a.status === 400) {
    if (!isStatus(400) || json.reason !== 'BadRequest') throw '400 without a BadRequest Status';
    return 'bad-request-400';
  }
  if (a.status === 404 && r.category === 'wrong-route') {
    if (!isStatus(404)) throw '404 without a Status';
    return 'not-found-404';
  }
  if (a.status !== 200) throw `HTTP ${a.status}`;
  if (r.category === 'wrong-route' && r.method !== 'POST') throw `HTTP 200 for ${r.method} ${r.path}`;
  if (json?.kind !== 'AdmissionReview') throw 'kind is not AdmissionReview';
  if (json.apiVersion !== 'admission.k8s.io/v1' && json.apiVersion !== 'admission.k8s.io/v1beta1') throw `apiVersion ${json.apiVersion}`;
  if (r.sent?.apiVersion !== undefined && json.apiVersion !== r.sent.apiVersion) throw 'apiVersion differs from the request';
  const res = json.response;
  if (!res || typeof res !== 'object') throw 'no response';
  if (typeof res.uid !== 'string' || res.uid === '') throw 'response.uid missing';
  if (typeof r.sent?.uid === 'string' && res.uid !== r.sent.uid) throw 'response.uid differs from request.uid';
  if (typeof res.allowed !== 'boolean') throw 'response.allowed is not a boolean';
  if (res.warnings !== undefined && (!Array.isArray(res.warnings) || res.warnings.some((w: unknown) => typeof w !== 'string'))) throw 'bad warnings';
  if (res.patch !== undefined) {
    if (res.patchType !== 'JSONPatch') throw 'patch without patchType JSONPatch';
    let ops: unknown;
    try {
      ops = JSON.parse(Buffer.from(res.patch, 'base64').toString('utf8'));
    } catch {
      throw 'patch is not base64 JSON';
    }
    if (!Array.isArray(ops) || ops.some((o: any) => typeof o?.op !== 'string' || typeof o?.path !== 'string')) throw 'patch is not a JSON Patch array';
  }
  if (!res.allowed) {
    const s = res.status;
    if (!s || typeof s.code !== 'number' || typeof s.message !== 'string' || typeof s.reason !== 'string') throw 'denial without a Status';
    if (s.code >= 500) return 'admission-fail-closed';
    return 'admission-denied';
  }
  return res.patch !== undefined ? 'admission-patched' : 'admission-allowed';
}

// --- the server under test ------------------------------------------------------------------

export interface ServerProcess {
  url: string;
  ca: string;
  pid: number;
  child: ChildProcess;
  exited: () => boolean;
  rssMiB(): number;
  /** Peak RSS so far (VmHWM). */
  peakRssMiB(): number;
  stop(): Promise<void>;
}

/** A /proc/<pid>/status memory field (VmRSS, VmHWM; KiB there) in MiB with one decimal. */
function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'server-child.ts')], {
    cwd: REPO,
    env: { ...process.env, ...env, KUBERNETES_SERVICE_HOST: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = false;
  let stderr = '';
  child.on('exit', () => (exited = true));
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        child.stdout!.off('data', onData);
        resolve(out.slice(0, nl));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening: ${stderr}`)));
  });
  const info = JSON.parse(line) as { url: string; caFile: string; pid: number };
  return {
    url: info.url,
    ca: readFileSync(info.caFile, 'utf8'),
    pid: child.pid!,
    child,
    exited: () => exited,
    rssMiB: () => statusMiB(child.pid!, 'VmRSS'),
    peakRssMiB: () => statusMiB(child.pid!, 'VmHWM'),
    async stop() {
      if (exited) return;
      const done = new Promise((res) => child.once('exit', res));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await done;
      clearTimeout(t);
    },
  };
}

// --- the run --------------------------------------------------------------------------------

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const seed = opts.seed ?? Date.now() % 2 ** 31;
  const g = new Gen(prng(seed));
  const fixtures = loadFixtures();
  const concurrency = opts.concurrency ?? 8;
  const server = await startServerProcess(opts.serverEnv);
  const base = new URL(server.url);
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca: server.ca });
  const weighted = CATEGORIES.flatMap((c) => Array<Category>(WEIGHTS[c]).fill(c));
  const report: FuzzReport = {
    requests: 0,
    seed,
    durationMs: 0,
    categories: {},
    outcomes: {},
    httpStatus: {},
    malformed: 0,
    malformedExamples: [],
    failClosed: 0,
    failClosedExamples: [],
    serverCrashed: false,
    healthyAfter: false,
    rss: { beforeMiB: server.rssMiB(), afterMiB: 0, peakMiB: 0 },
  };
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  let peak = report.rss.beforeMiB;
  const sampler = setInterval(() => {
    if (!server.exited()) peak = Math.max(peak, server.rssMiB());
  }, 250);
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < opts.requests && !server.exited()) {
      const i = next++;
      const category = weighted[g.int(weighted.length)]!;
      const r = build(category, g, fixtures);
      bump(report.categories, category);
      let outcome: string;
      try {
        const a = await send(agent, base, server.ca, r);
        if (a === 'client-aborted') outcome = 'client-aborted';
        else {
          bump(report.httpStatus, String(a.status));
          try {
            outcome = check(r, a);
          } catch (reason) {
            outcome = `malformed:${String(reason)}`;
            if (report.malformedExamples.length < 20) report.malformedExamples.push({ category, reason: String(reason), detail: a.body.toString('utf8').slice(0, 300) });
          }
          if (outcome === 'admission-fail-closed' && report.failClosedExamples.length < 10) {
            report.failClosedExamples.push(`${category}: ${JSON.parse(a.body.toString()).response.status.message.slice(0, 300)}`);
          }
        }
      } catch (err) {
        outcome = `malformed:transport ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
        if (report.malformedExamples.length < 20) report.malformedExamples.push({ category, reason: outcome, detail: String(err) });
      }
      bump(report.outcomes, outcome);
      if (outcome.startsWith('malformed:')) report.malformed++;
      if (outcome === 'admission-fail-closed') report.failClosed++;
      report.requests++;
      if (opts.onProgress && opts.progressEvery && (i + 1) % opts.progressEvery === 0) {
        report.rss.peakMiB = peak;
        opts.onProgress(i + 1, report);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    report.durationMs = Date.now() - started;
    report.serverCrashed = server.exited();
    if (!report.serverCrashed) {
      // Still serving: health and one real review.
      const h = await send(agent, base, server.ca, { category: 'fixture', method: 'GET', path: '/healthz', headers: {}, chunks: [] }).catch(() => undefined);
      const fx = fixtures.find((f) => f.name === 'gslbconfig-create.mutate') ?? fixtures[0]!;
      const v = await send(agent, base, server.ca, jsonRequest('fixture', endpointOf(fx.name), fx.body)).catch(() => undefined);
      report.healthyAfter = h !== undefined && h !== 'client-aborted' && h.status === 200 && v !== undefined && v !== 'client-aborted' && v.status === 200;
      report.rss.afterMiB = server.rssMiB();
      peak = Math.max(peak, server.peakRssMiB()); // the kernel's high-water mark, between samples too
    }
  } finally {
    clearInterval(sampler);
    report.rss.peakMiB = peak;
    agent.destroy();
    await server.stop();
  }
  return report;
}

export function formatReport(r: FuzzReport): string {
  const rows = (m: Record<string, number>) =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `  ${k.padEnd(34)} ${v}`)
      .join('\n');
  return [
    `fuzz: ${r.requests} requests, seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)} s (${Math.round(r.requests / (r.durationMs / 1000))} req/s)`,
    `inputs by category:\n${rows(r.categories)}`,
    `outcomes:\n${rows(r.outcomes)}`,
    `HTTP status of answers:\n${rows(r.httpStatus)}`,
    `malformed answers: ${r.malformed}${r.malformedExamples.length ? `\n${r.malformedExamples.map((e) => `  [${e.category}] ${e.reason}: ${e.detail}`).join('\n')}` : ''}`,
    `fail-closed (in-body 500): ${r.failClosed}${r.failClosedExamples.length ? `\n  ${r.failClosedExamples.join('\n  ')}` : ''}`,
    `server crashed: ${r.serverCrashed}; healthy after: ${r.healthyAfter}`,
    `server RSS: before ${r.rss.beforeMiB} MiB, after ${r.rss.afterMiB} MiB, peak ${r.rss.peakMiB} MiB`,
  ].join('\n');
}
