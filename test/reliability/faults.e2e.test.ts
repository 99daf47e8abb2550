// Fault tests: the reconcile worker against real kube-apiservers (test/harness) and the
// Avi simulator, through Avi faults, Kubernetes faults and process faults. After each fault
// clears, the Avi state must equal the desired state exactly -- `amko plan` (the worker's own
// computation, read-only) finds nothing to do and no object exists twice -- within the bound
// each test states. The worker logs at DEBUG into a buffer for the whole file; the last test
// scans that buffer and every Event for the Avi password, session cookies, CSRF tokens and the
// kubeconfig credentials.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import YAML from 'yaml';
import { AviClient } from '../../src/avi/client.js';
import type { AviApi } from '../../src/avi/types.js';
import { createLogger } from '../../src/log.js';
import { createReconcileWorker, type StandaloneWorker, type StandaloneWorkerOptions } from '../../src/controllers.js';
import { sharedControlPlanes } from '../harness/shared.js';
import type { ClusterHandle, ControlPlanes } from '../harness/control-plane.js';
import { startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import { akoAnnotations } from '../reconcile/fixtures.js';
import { createWithStatus, ensureNamespace, installAmkoCrds, k, kTry, mergePatch, replaceSpec, waitFor } from '../reconcile/e2e-helpers.js';
import { aviDrift } from './drift.js';

const NS = 'avi-system';
const UUID = '3c0d2e1f-7a6b-4c5d-8e9f-102132435465';
const CB = `amko-${UUID}`;
const APP = 'rel-faults';
const PASSWORD = 'rel-Avi-Pw#7f3k9Q';
const GDP_PATH = `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`;
const GC_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbconfigs`;
const GHR_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbhostrules`;
const LEASE = 'rel-faults-lease';

// Every log line of every worker in this file, at DEBUG.
const logLines: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _enc, cb) {
    logLines.push(chunk.toString('utf8'));
    cb();
  },
});
const log = createLogger({ level: 'debug', destination: capture });

/** Convergence times measured by this file (printed at the end, copied into RELIABILITY.md). */
export const convergence: Array<{ fault: string; ms: number; boundMs: number }> = [];

describe('reliability: faults (real kube-apiservers + Avi simulator)', function () {
  this.timeout(120_000);
  let cp: ControlPlanes;
  let c1: ClusterHandle;
  let c2: ClusterHandle;
  let sim: AviSimulator;
  let reader: AviClient;
  const workers: StandaloneWorker[] = [];
  const writesBy = new Map<string, number>();
  const testNs = `rel-${Date.now().toString(36)}`;
  const ingPath = `/apis/networking.k8s.io/v1/namespaces/${testNs}/ingresses`;
  const HOSTS = ['a.rel.example.com', 'b.rel.example.com', 'c.rel.example.com'];

  function ingress(name: string, host: string, ip: string) {
    return {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, labels: { app: APP }, annotations: akoAnnotations([host]) },
      spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
      status: { loadBalancer: { ingress: [{ ip, hostname: host }] } },
    };
  }
  const baseGdp = {
    matchRules: { appSelector: { label: { app: APP } } },
    matchClusters: [{ cluster: 'cluster1' }, { cluster: 'cluster2' }],
    trafficSplit: [
      { cluster: 'cluster1', weight: 5, priority: 10 },
      { cluster: 'cluster2', weight: 5, priority: 10 },
    ],
  };
  let weight = 5;
  async function bumpWeight(): Promise<number> {
    weight = (weight % 19) + 1;
    await replaceSpec(c1, `${GDP_PATH}/global-gdp`, { ...baseGdp, trafficSplit: [{ cluster: 'cluster1', weight, priority: 10 }, baseGdp.trafficSplit[1]] });
    return weight;
  }

  /** A reader's view: the avi client counts writes per worker identity (double-write detection). */
  function countingAvi(identity: string, api: AviApi): AviApi {
    return new Proxy(api, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv);
        if (typeof v !== 'function') return v;
        if (/^(create|update|delete)/.test(String(prop))) {
          return (...args: unknown[]) => {
            writesBy.set(identity, (writesBy.get(identity) ?? 0) + 1);
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return v.bind(target);
      },
    });
  }

  function newWorker(identity: string, extra: Partial<StandaloneWorkerOptions> = {}): StandaloneWorker {
    const w = createReconcileWorker({
      kubeConfig: c1.kubeConfig,
      memberKubeconfig: cp.kubeconfigPath,
      log: log.child({ replica: identity }),
      aviFactory: (c) => countingAvi(identity, AviClient.create({ ...c, caPem: sim.caPem, log: log.child({ replica: identity }), timeoutMs: 1500 })),
      leaderElection: { identity, leaseName: LEASE, leaseDurationMs: 8000, renewDeadlineMs: 6000, retryPeriodMs: 500 },
      queue: { fastBaseDelayMs: 50, slowBaseDelayMs: 200, maxDelayMs: 1000 },
      memberBackoff: { initialMs: 200, maxMs: 1000 },
      retryDelayMs: 300,
      ...extra,
    });
    workers.push(w);
    return w;
  }

  /** What `amko plan` would still do (empty = Avi equals the desired state), plus duplicate names. */
  const drift = () => aviDrift({ kubeConfig: c1.kubeConfig, memberKubeconfig: cp.kubeconfigPath, sim, reader, createdBy: CB, expectedGs: HOSTS.length });

  const cluster1Weight = async () => {
    const gs = (await reader.listGslbServices(CB, '*')).find((g) => g.name === HOSTS[0]);
    return gs?.groups?.flatMap((g) => g.members).find((m) => m.ip.addr === '10.20.1.1')?.ratio;
  };

  /** Waits until the weight is applied and nothing drifts; records the time from `since`. */
  async function converged(fault: string, since: number, boundMs: number, expectWeight = weight): Promise<void> {
    let last: string[] = [];
    await waitFor(
      `${fault}: convergence within ${boundMs} ms`,
      async () => {
        if ((await cluster1Weight()) !== expectWeight) return false;
        last = await drift();
        return last.length === 0;
      },
      boundMs,
      200,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${last.join('\n')}`);
    });
    const ms = Date.now() - since;
    convergence.push({ fault, ms, boundMs });
    assert.ok(ms <= boundMs);
  }

  before(async function () {
    this.timeout(900_000);
    cp = await sharedControlPlanes();
    [c1, c2] = [cp.cluster('cluster1'), cp.cluster('cluster2')];
    await installAmkoCrds(c1);
    for (const c of [c1, c2]) await ensureNamespace(c, testNs);
    sim = await startAviSimulator({ users: [{ username: 'admin', password: PASSWORD }] });
    reader = AviClient.create({ controller: sim.host, username: 'admin', password: PASSWORD, caPem: sim.caPem, log: createLogger({ level: 'silent' }) });
    for (const p of [GDP_PATH, GHR_PATH, GC_PATH]) {
      const list = await k(c1, 'GET', p);
      for (const o of list.items ?? []) await kTry(c1, 'DELETE', `${p}/${o.metadata.name}`);
    }
    await kTry(c1, 'DELETE', `/api/v1/namespaces/${NS}/secrets/rel-avi-secret`);
    await k(c1, 'POST', `/api/v1/namespaces/${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'rel-avi-secret' }, stringData: { username: 'admin', password: PASSWORD } });
    await k(c1, 'POST', GC_PATH, {
      apiVersion: 'amko.vmware.com/v1alpha1',
      kind: 'GSLBConfig',
      metadata: { name: 'gc-rel', annotations: { 'amko.vmware.com/amko-uuid': UUID } },
      spec: { gslbLeader: { credentials: 'rel-avi-secret', controllerIP: sim.host, tenant: 'admin' }, memberClusters: [{ clusterContext: 'cluster1' }, { clusterContext: 'cluster2' }], refreshInterval: 3600 },
    });
    await k(c1, 'POST', GDP_PATH, { apiVersion: 'amko.vmware.com/v1alpha2', kind: 'GlobalDeploymentPolicy', metadata: { name: 'global-gdp' }, spec: baseGdp });
    for (const [i, host] of HOSTS.entries()) {
      await createWithStatus(c1, ingPath, ingress(`web-${i}`, host, `10.20.1.${i + 1}`));
      await createWithStatus(c2, ingPath, ingress(`web-${i}`, host, `10.20.2.${i + 1}`));
    }
    await newWorker('replica-a').start();
    await converged('initial sync', Date.now(), 30_000);
  });

  after(async function () {
    this.timeout(60_000);
    for (const w of workers) await w.stop().catch(() => undefined);
    await kTry(c1, 'DELETE', `/api/v1/namespaces/${testNs}`);
    await kTry(c2, 'DELETE', `/api/v1/namespaces/${testNs}`);
    for (const p of [GDP_PATH, GC_PATH]) {
      const list = await kTry(c1, 'GET', p);
      for (const o of list.json?.items ?? []) await kTry(c1, 'DELETE', `${p}/${o.metadata.name}`);
    }
    await kTry(c1, 'DELETE', `/api/v1/namespaces/${NS}/secrets/rel-avi-secret`);
    await reader?.close();
    await sim?.close();
    process.stderr.write(`convergence after each fault cleared:\n${convergence.map((c) => `  ${c.fault.padEnd(60)} ${c.ms} ms (bound ${c.boundMs} ms)`).join('\n')}\n`);
  });

  // ---- Avi ---------------------------------------------------------------------------------

  it('Avi: a burst of 5xx on every write (bound 15 s after it clears)', async () => {
    const f = sim.faults.add({ path: /^\/api\/(gslbservice|healthmonitor)/, method: 'PUT', status: 502, times: 8 });
    const g = sim.faults.add({ path: /^\/api\/(gslbservice|healthmonitor)/, method: 'POST', status: 503, times: 8 });
    await bumpWeight();
    await waitFor('5xx served', () => f.hits >= 3, 20_000);
    f.remove();
    g.remove();
    await converged('5xx burst', Date.now(), 15_000);
  });

  it('Avi: latency spikes past the 1.5 s client timeout (bound 15 s)', async () => {
    const f = sim.faults.add({ path: '/api/gslbservice', latencyMs: 4000, times: 3 });
    await bumpWeight();
    await waitFor('timeouts served', () => f.hits >= 2, 20_000);
    f.remove();
    await converged('latency past the client timeout', Date.now(), 15_000);
  });

  it('Avi: connection resets (bound 15 s)', async () => {
    const f = sim.faults.add({ path: '/api/gslbservice', dropConnection: true, rate: 0.5, times: 6 });
    await bumpWeight();
    await waitFor('resets served', () => f.hits >= 2, 20_000);
    f.remove();
    await converged('connection resets', Date.now(), 15_000);
  });

  it('Avi: a controller restart invalidates every session; the worker logs in again (bound 15 s)', async () => {
    const logins = sim.requestLog.find('POST', '/login').length;
    sim.restart();
    await bumpWeight();
    await converged('controller restart (re-login)', Date.now(), 15_000);
    assert.ok(sim.requestLog.find('POST', '/login').length > logins, 'no re-login');
  });

  it('Avi: a leader flip ("Config Operations can be done ONLY on leader") and back (bound 20 s)', async () => {
    sim.store.setLeader(false);
    await bumpWeight();
    await new Promise((r) => setTimeout(r, 2000));
    assert.notEqual(await cluster1Weight(), weight, 'written while not the leader');
    const since = Date.now();
    sim.store.setLeader(true);
    await converged('GSLB leader flip', since, 20_000);
  });

  it('Avi: maintenance mode on and off (bound 20 s)', async () => {
    sim.store.setMaintenance(true);
    await bumpWeight();
    await new Promise((r) => setTimeout(r, 2000));
    assert.notEqual(await cluster1Weight(), weight, 'written in maintenance mode');
    const since = Date.now();
    sim.store.setMaintenance(false);
    await converged('maintenance mode', since, 20_000);
  });

  it('Avi: 409 and 404 races (GS deleted behind our back, stale uuid, name taken) (bound 15 s)', async () => {
    // Someone deletes a GS (the worker's next PUT gets 404) and 409s are injected on creates.
    const gs = (await reader.listGslbServices(CB, '*')).find((g) => g.name === HOSTS[1])!;
    await reader.deleteGslbService(gs.uuid!, 'admin');
    const f = sim.faults.add({ method: 'POST', path: '/api/gslbservice', status: 409, message: 'Gslb service with this Name already exists.', times: 2 });
    const n = sim.faults.add({ method: 'PUT', path: '/api/gslbservice', status: 404, times: 2 });
    await bumpWeight();
    await waitFor('races served', () => f.hits + n.hits >= 2, 20_000);
    f.remove();
    n.remove();
    await converged('409/404 races', Date.now(), 15_000);
  });

  // ---- Kubernetes --------------------------------------------------------------------------

  it('Kubernetes: a member API server down for a while, changed meanwhile, then back (bound 30 s after it is back)', async () => {
    await cp.stopApiServer('cluster2');
    // Desired state changes in the own cluster while the member is down...
    await bumpWeight();
    await new Promise((r) => setTimeout(r, 10_000));
    await cp.startApiServer('cluster2');
    const since = Date.now();
    // ...and in the member right after it is back.
    await mergePatch(c2, `${ingPath}/web-2/status`, { status: { loadBalancer: { ingress: [{ ip: '10.20.2.99', hostname: HOSTS[2] }] } } });
    await converged('member API server down 10 s', since, 30_000);
    const c = (await reader.listGslbServices(CB, '*')).find((g) => g.name === HOSTS[2])!;
    assert.ok(c.groups!.flatMap((g) => g.members).some((m) => m.ip.addr === '10.20.2.99'));
  });

  it('Kubernetes: watch expiry (410 Gone after etcd compaction) then relist (bound 30 s)', async () => {
    await cp.restartApiServer('cluster2', { downMs: 500 });
    await mergePatch(c2, `${ingPath}/web-2/status`, { status: { loadBalancer: { ingress: [{ ip: '10.20.2.3', hostname: HOSTS[2] }] } } });
    await cp.compactEtcd();
    const since = Date.now();
    await bumpWeight();
    await converged('watch expiry (410) and relist', since, 30_000);
  });

  it("Kubernetes: the server's own API server restarts (bound 30 s)", async () => {
    await cp.restartApiServer('cluster1', { downMs: 2000 });
    const since = Date.now();
    await bumpWeight();
    await converged('own API server restart', since, 30_000);
  });

  // ---- process -----------------------------------------------------------------------------

  it('process: SIGTERM during a sync (stop with calls in flight) and the next leader converges (bound 20 s)', async () => {
    const slow = sim.faults.add({ method: 'PUT', path: '/api/gslbservice', latencyMs: 1200 });
    await bumpWeight();
    await waitFor('a PUT in flight', () => slow.seen >= 1, 20_000);
    const t0 = Date.now();
    await workers[0]!.stop(); // what `amko serve` does on SIGTERM
    const stopMs = Date.now() - t0;
    assert.ok(stopMs < 10_000, `stop took ${stopMs} ms`);
    slow.remove();
    const since = Date.now();
    await newWorker('replica-b').start();
    await converged('SIGTERM mid-sync, next leader', since, 20_000);
  });

  it('process: leader hand-over between two live replicas produces no double writes', async () => {
    const c = newWorker('replica-c');
    await c.start();
    await new Promise((r) => setTimeout(r, 1500));
    writesBy.clear();
    sim.requestLog.clear();
    await bumpWeight();
    await converged('change with two replicas running', Date.now(), 15_000);
    // The cluster1 weight is in every GslbService: exactly one PUT per GslbService, none twice.
    const gsPuts = () => sim.requestLog.entries.filter((e) => e.method === 'PUT' && e.path.startsWith('/api/gslbservice')).map((e) => e.path);
    const puts = gsPuts();
    assert.equal(puts.length, HOSTS.length, puts.join('\n'));
    assert.equal(new Set(puts).size, HOSTS.length, puts.join('\n'));
    assert.equal(writesBy.size, 1, `writes from ${[...writesBy.keys()].join(', ')}`);
    // Hand over: the leader stops, the other takes the Lease and converges the next change.
    const leader = [...writesBy.keys()][0]!;
    const idx = leader === 'replica-b' ? 1 : 2;
    await workers[idx]!.stop();
    writesBy.clear();
    sim.requestLog.clear();
    const since = Date.now();
    await bumpWeight();
    await converged('leader hand-over (released lease)', since, 20_000);
    assert.deepEqual([...writesBy.keys()], [leader === 'replica-b' ? 'replica-c' : 'replica-b']);
    assert.equal(new Set(gsPuts()).size, HOSTS.length);
    assert.equal(gsPuts().length, HOSTS.length, gsPuts().join('\n'));
  });

  // ---- secrets -----------------------------------------------------------------------------

  it('no secret in any log line (DEBUG) or Event: Avi password, session cookies, CSRF tokens, kubeconfig credentials', async () => {
    const secrets = new Set<string>([PASSWORD, ...sim.issuedSecrets]);
    const kubeconfig = YAML.parse(readFileSync(cp.kubeconfigPath, 'utf8'));
    for (const u of kubeconfig.users ?? []) {
      for (const key of ['client-key-data', 'token', 'password']) {
        const v = u.user?.[key];
        if (typeof v !== 'string') continue;
        secrets.add(v);
        // The decoded key's base64 body lines, as they would appear if the PEM were logged.
        if (key === 'client-key-data') for (const line of Buffer.from(v, 'base64').toString('utf8').split('\n')) if (line.length >= 40 && !line.startsWith('-----')) secrets.add(line);
      }
    }
    assert.ok(sim.issuedSecrets.length >= 4, 'no sessions were issued');
    const events: string[] = [];
    for (const c of [c1, c2]) {
      const list = await k(c, 'GET', '/api/v1/events');
      for (const e of list.items ?? []) events.push(JSON.stringify(e));
      const list2 = await kTry(c, 'GET', '/apis/events.k8s.io/v1/events');
      for (const e of list2.json?.items ?? []) events.push(JSON.stringify(e));
    }
    const text = logLines.join('');
    assert.ok(logLines.length > 100, `only ${logLines.length} log lines captured`);
    assert.ok(logLines.some((l) => l.includes('"level":20')), 'no DEBUG line captured');
    for (const s of secrets) {
      assert.ok(!text.includes(s), `a secret (${s.slice(0, 4)}…) appears in the logs`);
      assert.ok(!events.some((e) => e.includes(s)), `a secret (${s.slice(0, 4)}…) appears in an Event`);
    }
    process.stderr.write(`log scan: ${logLines.length} log lines and ${events.length} Events, ${secrets.size} secret strings, none found\n`);
  });
});
