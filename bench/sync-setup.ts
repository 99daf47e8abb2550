// The sync benchmarks' shared setup (bench/sync.ts, bench/sync-serve.ts): the own-cluster objects
// (CRDs, Secret, GSLBConfig, GDP) on the harness clusters, the member objects, and the check of
// the simulator's GslbServices against the expectation.
import { performance } from 'node:perf_hooks';
import type { ControlPlanes } from '../test/harness/control-plane.js';
import type { AviSimulator, RequestLogEntry } from '../test/avi-sim/server.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { applyCrd, installAmkoCrds, installRouteCrd, k } from '../test/reconcile/e2e-helpers.js';
import { REPO_ROOT, log } from './lib/common.js';
import { connect, request, type Answer } from './lib/h2.js';
import { APP, CLUSTERS, COLLECTIONS, TRAFFIC, benchObjects, pool, type BenchObject, type Expected } from './sync-objects.js';

export const NS = 'avi-system';
export const UUID = '3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a';
export const CREATED_BY = `amko-${UUID}`;
export const PASSWORD = 'sim-Secret-pw#1';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const isWrite = (e: RequestLogEntry) => e.method !== 'GET' && e.path !== '/login' && e.path !== '/logout';

/** The simulator's calls while `during` runs: how long it took, how many calls and writes, the first writes. */
export async function aviCallsDuring(sim: AviSimulator, during: () => Promise<unknown>): Promise<{ ms: number; aviCalls: number; aviWrites: number; writeLines: string[] }> {
  sim.requestLog.clear();
  const t0 = performance.now();
  await during();
  const ms = performance.now() - t0;
  const entries = sim.requestLog.entries;
  const writes = entries.filter(isWrite);
  return { ms, aviCalls: entries.length, aviWrites: writes.length, writeLines: writes.slice(0, 10).map((e) => `${e.method} ${e.path}`) };
}

/** Mismatches between the simulator's GslbServices and the expectation (empty = converged). */
export function verify(sim: AviSimulator, expected: Expected, limit = 5): { gs: number; hms: number; problems: string[] } {
  const problems: string[] = [];
  const records = sim.store.records('gslbservice');
  const seen = new Set<string>();
  for (const r of records) {
    const d = r.data as { name?: string; created_by?: string; groups?: Array<{ members?: Array<{ ip?: { addr?: string }; ratio?: number }> }>; health_monitor_refs?: string[] };
    if (d.created_by !== CREATED_BY || !d.name) continue;
    const want = expected.get(d.name);
    if (!want) {
      if (problems.length < limit) problems.push(`unexpected GslbService ${d.name}`);
      continue;
    }
    seen.add(d.name);
    const got = new Map<string, number>();
    for (const g of d.groups ?? []) for (const m of g.members ?? []) got.set(m.ip?.addr ?? '', m.ratio ?? 1);
    const ok = got.size === want.size && [...want].every(([a, w]) => got.get(a) === w);
    if (!ok && problems.length < limit) problems.push(`${d.name}: members ${JSON.stringify([...got])}, want ${JSON.stringify([...want])}`);
    if (!ok) problems.push('');
    for (const ref of d.health_monitor_refs ?? []) {
      const uuid = ref.replace(/^.*\//, '').replace(/#.*$/, '');
      if (!sim.store.getRecord('healthmonitor', uuid)) {
        if (problems.length < limit) problems.push(`${d.name}: health monitor ${ref} missing`);
        problems.push('');
      }
    }
  }
  const missing = expected.size - seen.size;
  if (missing > 0) problems.unshift(`${missing} GslbServices missing`);
  return { gs: seen.size, hms: sim.store.count('healthmonitor'), problems: problems.filter(Boolean) };
}

/** Arrival time (performance.now()) of every simulator request; the request log itself has none. */
export function recordArrivals(sim: AviSimulator): WeakMap<RequestLogEntry, number> {
  const arrived = new WeakMap<RequestLogEntry, number>();
  const push = sim.requestLog.push.bind(sim.requestLog);
  sim.requestLog.push = (e: RequestLogEntry) => {
    arrived.set(e, performance.now());
    push(e);
  };
  return arrived;
}

export async function setup(cp: ControlPlanes, sim: AviSimulator): Promise<void> {
  const c1 = cp.cluster('cluster1');
  await installAmkoCrds(c1);
  // The chart installs the AMKOCluster CRD too (`amko serve` watches it for the federation role; there is no
  // AMKOCluster object, so the role is "none": sync without federation).
  await applyCrd(c1, YAML.parse(readFileSync(path.join(REPO_ROOT, 'charts/amko/crds/amko.vmware.com_amkoclusters.yaml'), 'utf8')));
  await installRouteCrd(cp.cluster('cluster2'));
  await k(c1, 'POST', `/api/v1/namespaces/${NS}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'gslb-avi-secret' },
    stringData: { username: 'admin', password: PASSWORD },
  });
  await k(c1, 'POST', `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbconfigs`, {
    apiVersion: 'amko.vmware.com/v1alpha1',
    kind: 'GSLBConfig',
    metadata: { name: 'gc-bench', annotations: { 'amko.vmware.com/amko-uuid': UUID } },
    spec: {
      gslbLeader: { credentials: 'gslb-avi-secret', controllerIP: sim.host, tenant: 'admin' },
      memberClusters: CLUSTERS.map((c) => ({ clusterContext: c })),
      refreshInterval: 3600,
    },
  });
  await k(c1, 'POST', `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`, {
    apiVersion: 'amko.vmware.com/v1alpha2',
    kind: 'GlobalDeploymentPolicy',
    metadata: { name: 'global-gdp' },
    spec: {
      matchRules: { appSelector: { label: { app: APP } } },
      matchClusters: CLUSTERS.map((c) => ({ cluster: c })),
      trafficSplit: CLUSTERS.map((c) => ({ cluster: c, ...TRAFFIC[c] })),
    },
  });
}

/**
 * Creates the member objects and patches their load-balancer status through `/status`, over one HTTP/2
 * connection per cluster (bench/lib/h2.ts) with `concurrency` objects in flight: a TLS handshake per
 * request (the tests' helpers) made loading, not the worker, the bound of a 30k-FQDN run.
 */
export async function createObjects(cp: ControlPlanes, n: number, concurrency = 64): Promise<{ expected: Expected; objects: number; ms: number }> {
  const { objects, expected } = benchObjects(n);
  const sessions = new Map(CLUSTERS.map((c) => [c, connect(cp.cluster(c))]));
  const send = async (o: BenchObject, method: string, p: string, body: unknown, contentType?: string, okIfExists = false) => {
    for (let attempt = 0; ; attempt++) {
      let a: Answer | undefined;
      try {
        a = await request(sessions.get(o.cluster)!, method, p, JSON.stringify(body), contentType);
        if (a.status < 300 || (okIfExists && a.status === 409)) return;
      } catch (err) {
        if (attempt >= 5) throw err;
      }
      if (attempt >= 5) throw new Error(`${method} ${p}: ${a?.status} ${a?.body.slice(0, 300)}`);
      await sleep(200 * (attempt + 1));
    }
  };
  const t0 = performance.now();
  let done = 0;
  try {
    await pool(objects, concurrency, async (o) => {
      const { status, ...rest } = o.obj;
      const spec = (rest as { spec?: Record<string, unknown> }).spec;
      if (o.collection === COLLECTIONS.services && spec) spec.allocateLoadBalancerNodePorts = false;
      await send(o, 'POST', o.collection, rest, undefined, true);
      if (status) await send(o, 'PATCH', `${o.collection}/${o.obj.metadata!.name}/status`, { status }, 'application/merge-patch+json');
      if (++done % 1000 === 0) log(`  ${done}/${objects.length} objects`);
    });
  } finally {
    for (const s of sessions.values()) s.close();
  }
  return { expected, objects: objects.length, ms: performance.now() - t0 };
}
