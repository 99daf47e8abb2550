// `npm run soak`: the real admission server under a steady fixed-rate load of captured
// AdmissionReviews (autocannon, overallRate) for a long time, while the sync loop churns objects.
//   tsx scripts/soak.ts [--rate 1000] [--duration 600] [--connections 20] [--sample 30]
//                       [--no-churn] [--services 50] [--churn-per-s 3] [--weight-every 10]
//                       [--server-node-options '--max-old-space-size=256']
// Default (churn): two kube-apiservers (test/harness: cluster1 = own + member, cluster2 = member)
// and the Avi simulator; the server under load is `amko serve` WITH the reconcile worker. Before
// the load, --services LoadBalancer Services with status IPs are created (--services / 2 FQDNs,
// each with one Service in cluster1 and one in cluster2). During the load, every
// second --churn-per-s of them are patched (a cluster2 Service's label flipped out of / back into
// the GDP selector, or a status IP changed), and every --weight-every seconds the GDP weight
// changes. Afterwards it waits for convergence (`amko plan` empty, see test/reliability/drift.ts)
// and reports churn ops, converged yes/no and time, and the Avi writes (2xx POST/PUT/PATCH/DELETE).
// --no-churn: the previous webhook-only soak (the fuzzer's server child, no worker).
// --server-node-options: NODE_OPTIONS for the server process only (e.g. the heap limit the
// container entrypoint derives from the chart's memory limit).
// Reports the server's RSS every --sample seconds and its peak (VmHWM), the error count (non-2xx, errors, timeouts,
// and 200s whose body is not an AdmissionReview answer), and latency percentiles. Exits non-zero
// on any error, when the churn did not converge, or when RSS in the second half of the run rises
// more than 10 % above the first half's high-water mark (a leak, not warm-up).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon, { type AutocannonResult } from 'autocannon';
import { AviClient } from '../src/avi/client.js';
import { createLogger } from '../src/log.js';
import { fixtureNames, loadFixture } from '../test/admission/support.js';
import { startAviSimulator, type AviSimulator } from '../test/avi-sim/server.js';
import { installCrds, startAmkoServer, type AmkoServer } from '../test/e2e/support/amko-server.js';
import { startServerProcess } from '../test/fuzz/fuzzer.js';
import { startControlPlanes, type ClusterHandle, type ControlPlanes } from '../test/harness/control-plane.js';
import { createWithStatus, k, mergePatch } from '../test/reconcile/e2e-helpers.js';
import { lbService } from '../test/reconcile/fixtures.js';
import { aviDrift } from '../test/reliability/drift.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const rate = arg('rate', 1000);
const duration = arg('duration', 600);
const connections = arg('connections', 20);
const sampleS = arg('sample', 30);
const churn = !process.argv.includes('--no-churn');
const nServices = arg('services', 50);
const churnPerS = arg('churn-per-s', 3);
const weightEveryS = arg('weight-every', 10);
const convergeTimeoutS = arg('converge-timeout', 120);
const serverNodeOptions = (() => {
  const i = process.argv.indexOf('--server-node-options');
  return i >= 0 ? process.argv[i + 1]! : undefined;
})();
const serverEnv: Record<string, string> = serverNodeOptions === undefined ? {} : { NODE_OPTIONS: serverNodeOptions };

/** A /proc/<pid>/status field in KiB (VmRSS, VmHWM), as MiB with one decimal. */
const statusMiB = (pid: number, field: 'VmRSS' | 'VmHWM'): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
};
const rssOf = (pid: number) => statusMiB(pid, 'VmRSS');
const say = (m: string) => process.stderr.write(`soak: ${m}\n`);

// --- churn environment: control planes, Avi simulator, amko serve with the worker -------------
const NS = 'avi-system';
const APPNS = 'soak';
const APP = 'soak';
const UUID = '8b0d3f5e-2c7a-4e91-b6d4-1a9f0c3e5d72';
const CB = `amko-${UUID}`;
const PASSWORD = 'soak-Avi-Pw#7q';
const GDP_PATH = `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`;
const GC_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbconfigs`;
const SVC_PATH = `/api/v1/namespaces/${APPNS}/services`;
const nHosts = Math.max(1, Math.floor(nServices / 2));
const host = (i: number) => `s${String(i).padStart(3, '0')}.soak.example.com`;
const gdp = (w1: number) => ({
  matchRules: { appSelector: { label: { app: APP } } },
  matchClusters: [{ cluster: 'cluster1' }, { cluster: 'cluster2' }],
  trafficSplit: [
    { cluster: 'cluster1', weight: w1, priority: 10 },
    { cluster: 'cluster2', weight: 1, priority: 10 },
  ],
});

interface ChurnEnv {
  cp: ControlPlanes;
  c: [ClusterHandle, ClusterHandle];
  sim: AviSimulator;
  reader: AviClient;
  amko: AmkoServer;
}

async function startChurnEnv(): Promise<ChurnEnv> {
  const t0 = Date.now();
  const cp = await startControlPlanes({ clusters: 2, namespaces: [NS, APPNS] });
  const c: [ClusterHandle, ClusterHandle] = [cp.cluster('cluster1'), cp.cluster('cluster2')];
  await installCrds({ kubeconfig: cp.kubeconfigPath, context: 'cluster1' });
  const sim = await startAviSimulator({ users: [{ username: 'admin', password: PASSWORD }], requestLogLimit: 5_000_000 });
  const caFile = path.join(cp.dir, 'soak-avi-ca.pem');
  writeFileSync(caFile, sim.caPem);
  const reader = AviClient.create({ controller: sim.host, username: 'admin', password: PASSWORD, caPem: sim.caPem, log: createLogger({ level: 'silent' }) });
  await k(c[0], 'POST', `/api/v1/namespaces/${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'soak-avi-secret' }, stringData: { username: 'admin', password: PASSWORD } });
  await k(c[0], 'POST', GC_PATH, {
    apiVersion: 'amko.vmware.com/v1alpha1',
    kind: 'GSLBConfig',
    metadata: { name: 'gc-soak', annotations: { 'amko.vmware.com/amko-uuid': UUID } },
    spec: { gslbLeader: { credentials: 'soak-avi-secret', controllerIP: sim.host, tenant: 'admin' }, memberClusters: [{ clusterContext: 'cluster1' }, { clusterContext: 'cluster2' }], refreshInterval: 3600 },
  });
  await k(c[0], 'POST', GDP_PATH, { apiVersion: 'amko.vmware.com/v1alpha2', kind: 'GlobalDeploymentPolicy', metadata: { name: 'global-gdp' }, spec: gdp(1) });
  for (const [ci, cl] of c.entries()) {
    await Promise.all(
      Array.from({ length: nHosts }, (_, i) => createWithStatus(cl, SVC_PATH, lbService(`svc-${i}`, APPNS, { labels: { app: APP }, host: host(i), ip: `10.40.${ci + 1}.${i + 1}` }))),
    );
  }
  const amko = await startAmkoServer({ kubeconfig: c[0].kubeconfigPath, worker: true, memberKubeconfig: cp.kubeconfigPath, env: { AVI_CA_FILE: caFile, ...serverEnv } });
  say(`control planes, Avi simulator, ${2 * nHosts} Services and amko serve (with the worker) up in ${Date.now() - t0} ms`);
  return { cp, c, sim, reader, amko };
}

/** Empty when the Avi state is the desired state (the worker's plan is empty, every GslbService once). */
const drift = (e: ChurnEnv) =>
  aviDrift({ kubeConfig: e.c[0].kubeConfig, memberKubeconfig: e.cp.kubeconfigPath, sim: e.sim, reader: e.reader, createdBy: CB, expectedGs: nHosts });

async function waitConverged(e: ChurnEnv, timeoutMs: number): Promise<{ converged: boolean; ms: number; last: string[] }> {
  const t0 = Date.now();
  let last: string[] = [];
  for (;;) {
    try {
      last = await drift(e);
    } catch (err) {
      last = [String(err)];
    }
    if (last.length === 0) return { converged: true, ms: Date.now() - t0, last };
    if (Date.now() - t0 > timeoutMs) return { converged: false, ms: Date.now() - t0, last };
    await new Promise((r) => setTimeout(r, 500));
  }
}

const aviWrites = (sim: AviSimulator) =>
  sim.requestLog.entries.filter((x) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(x.method) && x.path.startsWith('/api/') && x.status >= 200 && x.status < 300).length;

// --- the server under load ---------------------------------------------------------------------
let env: ChurnEnv | undefined;
let server: { url: string; ca: string; pid: number; rssMiB(): number; stop(): Promise<void> };
if (churn) {
  env = await startChurnEnv();
  const initial = await waitConverged(env, convergeTimeoutS * 1000);
  say(`initial sync ${initial.converged ? 'converged' : 'NOT converged'} after ${initial.ms} ms${initial.converged ? '' : `: ${initial.last.join('\n')}`}`);
  if (!initial.converged) {
    await stopChurnEnv(env);
    process.exit(1);
  }
  const a = env.amko;
  server = { url: a.url, ca: a.caPem, pid: a.pid, rssMiB: () => rssOf(a.pid), stop: () => a.stop() };
} else {
  server = await startServerProcess(serverEnv);
}

async function stopChurnEnv(e: ChurnEnv): Promise<void> {
  await e.amko.stop().catch(() => undefined);
  await e.reader.close().catch(() => undefined);
  await e.sim.close().catch(() => undefined);
  await e.cp.stop().catch(() => undefined);
}

const requests = fixtureNames()
  .filter((n) => !n.includes('delete'))
  .map((n) => ({
    method: 'POST' as const,
    path: `/${n.endsWith('.mutate') ? 'mutate' : 'validate'}?timeout=10s`,
    headers: { 'content-type': 'application/json' },
    body: `${JSON.stringify(loadFixture(n))}\n`,
  }));

const rss: Array<{ t: number; MiB: number }> = [{ t: 0, MiB: server.rssMiB() }];
const started = Date.now();
const sampler = setInterval(() => {
  const s = { t: Math.round((Date.now() - started) / 1000), MiB: server.rssMiB() };
  rss.push(s);
  say(`t=${s.t}s RSS ${s.MiB} MiB${env ? `, churn ops ${churnStats.ops}` : ''}`);
}, sampleS * 1000);

// --- churn during the load ---------------------------------------------------------------------
const churnStats = { ops: 0, labelFlips: 0, ipChanges: 0, weightChanges: 0, failed: 0, failures: [] as string[] };
const writesBefore = env ? aviWrites(env.sim) : 0;
let churnTimer: NodeJS.Timeout | undefined;
let churnBusy: Promise<void> = Promise.resolve();
if (env) {
  const e = env;
  const inSelector = Array.from({ length: nHosts }, () => true); // cluster2's Services
  const ipGen = [Array.from({ length: nHosts }, () => 0), Array.from({ length: nHosts }, () => 0)];
  let tick = 0;
  let weight = 1;
  let rnd = 0x2545f491;
  const next = (n: number) => {
    rnd ^= rnd << 13;
    rnd ^= rnd >>> 17;
    rnd ^= rnd << 5;
    return (rnd >>> 0) % n;
  };
  const op = async (what: keyof typeof churnStats, fn: () => Promise<unknown>) => {
    try {
      await fn();
      churnStats.ops++;
      (churnStats[what] as number)++;
    } catch (err) {
      churnStats.failed++;
      if (churnStats.failures.length < 5) churnStats.failures.push(String(err).slice(0, 300));
    }
  };
  const once = async () => {
    tick++;
    // The server's log lines (one per admission) would pile up in this process: keep none.
    e.amko.logs.length = 0;
    e.amko.decisions.length = 0;
    const jobs: Array<Promise<void>> = [];
    const picked = new Set<number>();
    for (let j = 0; j < churnPerS; j++) {
      const i = next(nHosts);
      if (picked.has(i)) continue;
      picked.add(i);
      if (next(2) === 0) {
        // Cluster2's Service leaves or re-enters the GDP selector (cluster1's stays: every FQDN keeps a GslbService).
        inSelector[i] = !inSelector[i];
        const labels = { app: inSelector[i] ? APP : `${APP}-out` };
        jobs.push(op('labelFlips', () => mergePatch(e.c[1], `${SVC_PATH}/svc-${i}`, { metadata: { labels } })));
      } else {
        const ci = next(2);
        const g = ++ipGen[ci]![i]!;
        const ip = `10.${41 + (g % 50)}.${ci + 1}.${i + 1}`;
        jobs.push(op('ipChanges', () => mergePatch(e.c[ci]!, `${SVC_PATH}/svc-${i}/status`, { status: { loadBalancer: { ingress: [{ hostname: host(i), ip }] } } })));
      }
    }
    if (tick % weightEveryS === 0) {
      weight = (weight % 5) + 1;
      jobs.push(op('weightChanges', () => mergePatch(e.c[0], `${GDP_PATH}/global-gdp`, { spec: { trafficSplit: gdp(weight).trafficSplit } })));
    }
    await Promise.all(jobs);
  };
  churnTimer = setInterval(() => {
    churnBusy = churnBusy.then(once);
  }, 1000);
}

let badBodies = 0;
const options = {
  url: server.url,
  connections,
  duration,
  overallRate: rate,
  requests,
  timeout: 10,
  tlsOptions: { ca: server.ca },
  setupClient(client: { on(event: 'body', fn: (body: Buffer) => void): void }) {
    client.on('body', (body: Buffer) => {
      const text = body.toString();
      if (!text.startsWith('{"apiVersion":"admission.k8s.io/') || !text.includes('"response":{"uid":')) badBodies++;
    });
  },
};
const result = await new Promise<AutocannonResult>((resolve, reject) => {
  autocannon(options as Parameters<typeof autocannon>[0], (err, r) => (err ? reject(err) : resolve(r)));
});
clearInterval(sampler);
clearInterval(churnTimer);
await churnBusy;
rss.push({ t: Math.round((Date.now() - started) / 1000), MiB: server.rssMiB() });
const peakRssMiB = statusMiB(server.pid, 'VmHWM');

let churnReport: Record<string, unknown> | undefined;
let converged = true;
if (env) {
  const conv = await waitConverged(env, convergeTimeoutS * 1000);
  converged = conv.converged;
  churnReport = {
    services: 2 * nHosts,
    opsApplied: churnStats.ops,
    labelFlips: churnStats.labelFlips,
    statusIpChanges: churnStats.ipChanges,
    gdpWeightChanges: churnStats.weightChanges,
    opsFailed: churnStats.failed,
    ...(churnStats.failures.length ? { failures: churnStats.failures } : {}),
    converged: conv.converged,
    convergedAfterLoadMs: conv.ms,
    ...(conv.converged ? {} : { drift: conv.last }),
    aviWritesDuringLoad: aviWrites(env.sim) - writesBefore,
    aviWritesTotal: aviWrites(env.sim),
  };
  if (!conv.converged) say(`server log tail:\n${env.amko.logTail(20)}`);
  await stopChurnEnv(env);
} else {
  await server.stop();
}

const errors = result.errors + result.timeouts + result.non2xx + badBodies;
const lat = result.latency;
// A leak shows as a second half above the first half's high-water mark; the first
// samples are the heap and caches warming up, so they are no baseline.
const highWater = (samples: typeof rss) => Math.max(...samples.map((s) => s.MiB));
const firstHalf = rss.filter((s) => s.t > 0 && s.t < duration / 2);
const secondHalf = rss.filter((s) => s.t >= duration / 2);
const growth = highWater(secondHalf) / highWater(firstHalf.length ? firstHalf : rss) - 1;
const report = {
  target: { rate, duration, connections, churn },
  server: churn ? 'amko serve with the reconcile worker' : 'admission server only',
  requests: result.requests.total,
  achievedRate: Math.round(result.requests.total / duration),
  errors: { total: errors, transport: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, badBodies },
  latencyMs: { p50: lat.p50, p90: lat.p90, p99: lat.p99, p99_9: lat.p99_9, max: lat.max },
  ...(churnReport ? { churn: churnReport } : {}),
  serverNodeOptions: serverNodeOptions ?? '',
  rssMiB: rss,
  peakRssMiB,
  rssSecondHalfOverFirstHalfPeak: `${(growth * 100).toFixed(1)} %`,
};
console.log(JSON.stringify(report, null, 2));
process.exit(errors === 0 && converged && churnStats.failed === 0 && growth <= 0.1 ? 0 : 1);
