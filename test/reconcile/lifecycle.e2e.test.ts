// Worker lifecycle end to end (real kube-apiservers + the Avi simulator), in
// its own namespace of cluster1: a member cluster that is down at start, the
// GSLBConfig progress states and Events, the default PKI profile for site
// persistence, a controller that stops being the GSLB leader, a lease holder
// that crashes without releasing, and a stalled member watch.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { AviClient } from '../../src/avi/client.js';
import type { GslbService } from '../../src/avi/types.js';
import { kubeClient } from '../../src/kube/client.js';
import { makeResilientInformer, type ResilientInformer } from '../../src/kube/informer.js';
import { createLogger } from '../../src/log.js';
import { listSlim } from '../../src/reconcile/cluster.js';
import { createReconcileWorker, type StandaloneWorker } from '../../src/controllers.js';
import { GC_STATE } from '../../src/reconcile/gslb-config.js';
import { sharedControlPlanes } from '../harness/shared.js';
import type { ClusterHandle, ControlPlanes } from '../harness/control-plane.js';
import { startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import { akoAnnotations } from './fixtures.js';
import {
  createAviSecret,
  createGslbConfig,
  createWithStatus,
  ensureNamespace,
  installAmkoCrds,
  k,
  kTry,
  mergePatch,
  simReader,
  simWorkerOptions,
  waitFor,
} from './e2e-helpers.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const ID = randomBytes(3).toString('hex');
const NS = `lc-${ID}`;
const APP_NS = `lc-app-${ID}`;
const UUID = `1c0ffee0-0000-4000-8000-${ID}000000`;
const CB = `amko-${UUID}`;
const GC_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbconfigs`;
const GDP_PATH = `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`;
const log = createLogger({ level: process.env.AMKO_TEST_VERBOSE ? 'debug' : 'silent' });

describe('reconcile worker lifecycle (member down at start, status progress, default PKI, leadership, lease takeover, stalled watch)', function () {
  this.timeout(90_000);
  let cp: ControlPlanes;
  let c1: ClusterHandle;
  let c2: ClusterHandle;
  let c3: ClusterHandle;
  let sim: AviSimulator;
  let reader: AviClient;
  let worker: StandaloneWorker | undefined;
  const others: StandaloneWorker[] = [];
  const proxies: TcpProxy[] = [];
  let gcStates: string[] = [];
  let gcInf: ResilientInformer<KubernetesObject & { status?: { state?: string } }>;

  const ingPath = `/apis/networking.k8s.io/v1/namespaces/${APP_NS}/ingresses`;
  const ingress = (name: string, host: string, ip: string) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, labels: { app: 'lc' }, annotations: akoAnnotations([host]) },
    spec: {
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      tls: [{ hosts: [host], secretName: 'tls' }],
    },
    status: { loadBalancer: { ingress: [{ ip, hostname: host }] } },
  });
  const gsByName = async (name: string) => (await reader.listGslbServices(CB, '*')).find((g) => g.name === name);
  const ips = (gs: GslbService | undefined) => (gs?.groups ?? []).flatMap((g) => g.members.map((m) => m.ip.addr)).sort();
  const writes = () => sim.requestLog.entries.filter((e) => e.method !== 'GET' && !['/login', '/logout'].includes(e.path));
  const gcState = async () => (await k(c1, 'GET', `${GC_PATH}/gc-1`)).status?.state as string | undefined;
  const eventReasons = async (name: string) =>
    ((await k(c1, 'GET', `/api/v1/namespaces/${NS}/events`)).items as Array<{ reason: string; involvedObject: { name: string } }>)
      .filter((e) => e.involvedObject.name === name)
      .map((e) => e.reason);

  const newWorker = (overrides: Partial<Parameters<typeof createReconcileWorker>[0]> = {}) =>
    createReconcileWorker({
      kubeConfig: c1.kubeConfig,
      namespace: NS,
      memberKubeconfig: cp.kubeconfigPath,
      log,
      leaderElection: false,
      ...simWorkerOptions(sim, log),
      ...overrides,
    });

  before(async function () {
    this.timeout(30 * 60_000);
    cp = await sharedControlPlanes();
    [c1, c2, c3] = [cp.cluster('cluster1'), cp.cluster('cluster2'), cp.cluster('cluster3')];
    await installAmkoCrds(c1);
    await ensureNamespace(c1, NS);
    for (const c of [c2, c3]) await ensureNamespace(c, APP_NS);
    sim = await startAviSimulator();
    reader = simReader(sim, log);
    await createAviSecret(c1, NS);
    await createGslbConfig(c1, GC_PATH, { uuid: UUID, controller: sim.host, members: ['cluster2', 'cluster3'] });
    // Site persistence without a PKI profile: the first federated PKI profile is used.
    await k(c1, 'POST', GDP_PATH, {
      apiVersion: 'amko.vmware.com/v1alpha2',
      kind: 'GlobalDeploymentPolicy',
      metadata: { name: 'gdp' },
      spec: { matchRules: { appSelector: { label: { app: 'lc' } } }, matchClusters: [{ cluster: 'cluster2' }, { cluster: 'cluster3' }], sitePersistenceRef: 'gap-1' },
    });
    await createWithStatus(c2, ingPath, ingress('web', 'web.lc.example.com', '10.20.2.1'));
    await createWithStatus(c3, ingPath, ingress('web', 'web.lc.example.com', '10.20.3.1'));
    // Every GSLBConfig state as written (each status patch is one watch event).
    gcInf = makeResilientInformer(kubeClient(c1.kubeConfig), GC_PATH, { name: 'test/gc' });
    gcInf.onEvent((_e, o) => {
      const s = o.status?.state;
      if (s && gcStates[gcStates.length - 1] !== s) gcStates.push(s);
    });
    await gcInf.start();
  });

  after(async function () {
    this.timeout(60_000);
    if (!cp.isApiServerRunning('cluster3')) await cp.startApiServer('cluster3');
    await worker?.stop();
    for (const w of others) await w.stop();
    for (const p of proxies) await p.cut().catch(() => undefined);
    await gcInf?.stop();
    for (const c of [c2, c3]) await kTry(c, 'DELETE', `/api/v1/namespaces/${APP_NS}`);
    await kTry(c1, 'DELETE', `/api/v1/namespaces/${NS}`);
    await reader?.close();
    await sim?.close();
  });

  it('a member cluster down at start: the others sync, it joins when back; the GSLBConfig goes syncing -> synced -> accepted, with Events', async function () {
    await cp.stopApiServer('cluster3');
    try {
      gcStates = [];
      worker = newWorker();
      await worker.start();
      const gs = await waitFor('GS with the reachable member', async () => {
        const g = await gsByName('web.lc.example.com');
        return g && ips(g).length === 1 ? g : undefined;
      });
      assert.deepEqual(ips(gs), ['10.20.2.1']);
      const snap = worker.snapshot();
      assert.deepEqual(
        snap.clusters.map((c) => [c.name, c.ready]),
        [
          ['cluster2', true],
          ['cluster3', false],
        ],
      );
      await worker.idle();
      await waitFor('accepted', async () => (await gcState()) === GC_STATE.accepted);
      await waitFor('states observed', () => gcStates[gcStates.length - 1] === GC_STATE.accepted);
      assert.deepEqual(gcStates, [GC_STATE.syncing, GC_STATE.synced, GC_STATE.accepted]);
    } finally {
      await cp.startApiServer('cluster3');
    }
    const both = await waitFor('cluster3 joins', async () => {
      const g = await gsByName('web.lc.example.com');
      return g && ips(g).length === 2 ? g : undefined;
    }, 30_000);
    assert.deepEqual(ips(both), ['10.20.2.1', '10.20.3.1']);
    const reasons = await waitFor('events', async () => {
      const r = await eventReasons('gc-1');
      return r.includes('GSLBConfigAccepted') && r.includes('GSLBConfigSynced') ? r : undefined;
    });
    assert.equal(reasons.filter((r) => r === 'GSLBConfigError').length, 0);
    assert.ok((await eventReasons('gdp')).includes('GDPAccepted'));
  });

  it('site persistence without a PKI ref uses the first federated PKI profile', async () => {
    const gs = (await gsByName('web.lc.example.com'))!;
    const pki = (await reader.getPkiProfile('pki'))!;
    assert.equal(gs.site_persistence_enabled, true);
    assert.ok(gs.pki_profile_ref?.includes(pki.uuid!) || gs.pki_profile_ref?.endsWith('#pki'), String(gs.pki_profile_ref));
  });

  it('a controller that is no longer the GSLB leader is checked on the full resync and not written to; writes resume when it leads again', async () => {
    await worker!.idle();
    sim.store.setLeader(false);
    sim.requestLog.clear();
    await worker!.fullResync();
    assert.equal(await gcState(), GC_STATE.notLeader);
    // Only the leadership check (the config step keeps re-checking it); nothing listed.
    const gets = new Set(sim.requestLog.entries.filter((e) => e.method === 'GET' && !['/login', '/logout'].includes(e.path)).map((e) => e.path));
    assert.deepEqual([...gets].sort(), ['/api/cluster', '/api/gslb']);
    assert.equal(worker!.ready(), false);
    await mergePatch(c2, `${ingPath}/web/status`, { status: { loadBalancer: { ingress: [{ ip: '10.20.2.2', hostname: 'web.lc.example.com' }] } } });
    await waitFor('the change is held in the queue', () => worker!.queue.depth() > 0);
    assert.deepEqual(writes(), [], 'nothing written to a non-leader');
    assert.ok((await eventReasons('gc-1')).includes('ControllerNotLeader'));

    sim.store.setLeader(true);
    await waitFor('synced on the leader again', async () => ips(await gsByName('web.lc.example.com')).join() === '10.20.2.2,10.20.3.1', 20_000);
    await waitFor('accepted again', async () => (await gcState()) === GC_STATE.accepted);
    assert.equal(worker!.ready(), true);
  });

  it('lease takeover after a crash without release: the standby takes over once the lease expires and syncs', async () => {
    await worker!.stop();
    worker = undefined;
    const proxy = await startTcpProxy(c1.url);
    proxies.push(proxy);
    const le = { leaseName: `lc-lease-${ID}`, leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 300 };
    const a = newWorker({ kubeConfig: proxy.kubeConfigFor(c1.kubeConfig), leaderElection: { ...le, identity: 'replica-a' } });
    others.push(a);
    await a.start();
    await waitFor('replica-a leads', () => a.isLeader());
    const b = newWorker({ leaderElection: { ...le, identity: 'replica-b' } });
    others.push(b);
    await b.start();
    await a.idle();
    assert.equal(b.holdsLease(), false);
    // Crash: replica-a's connections to its own cluster die; its renewals stop and it never releases the lease.
    await proxy.cut();
    const lease = () => k(c1, 'GET', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${le.leaseName}`);
    const before = (await lease()).spec;
    assert.equal(before.holderIdentity, 'replica-a');
    await waitFor('replica-b takes over', () => b.isLeader(), 15_000, 50);
    await waitFor('replica-a steps down', () => !a.isLeader(), 15_000, 50);
    const after = (await lease()).spec;
    assert.equal(after.holderIdentity, 'replica-b');
    assert.equal(after.leaseTransitions, (before.leaseTransitions ?? 0) + 1);
    await mergePatch(c2, `${ingPath}/web/status`, { status: { loadBalancer: { ingress: [{ ip: '10.20.2.3', hostname: 'web.lc.example.com' }] } } });
    await waitFor('replica-b syncs', async () => ips(await gsByName('web.lc.example.com')).join() === '10.20.2.3,10.20.3.1', 20_000);
  });

  it('stall detection: a relist of a quiet watch is idle; a watch that stopped delivering is found stalled and restarted, and the missed change arrives; the transform applies to listed and watched objects', async () => {
    const proxy = await startTcpProxy(c2.url);
    proxies.push(proxy);
    const kc = proxy.kubeConfigFor(c2.kubeConfig);
    const path = `/api/v1/namespaces/${APP_NS}/configmaps`;
    // The watch goes through the proxy; lists go direct (a pooled connection through the proxy could be frozen too).
    // The transform applies to listed and watched objects alike, before they are cached and handed out.
    const transform = (o: KubernetesObject): KubernetesObject => ({ ...o, metadata: { ...o.metadata, managedFields: undefined, labels: { slim: 'yes' } } });
    const slim = (name: string) => {
      const o = inf.get(name, APP_NS);
      assert.equal(o?.metadata?.labels?.slim, 'yes', `${name} transformed in the cache`);
      assert.equal(o?.metadata?.managedFields, undefined);
    };
    await k(c2, 'POST', path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-0' } });
    const direct = kubeClient(c2.kubeConfig);
    const list = () => direct.request<KubernetesListObject<KubernetesObject>>('GET', path);
    const inf = makeResilientInformer<KubernetesObject>(kubeClient(kc), path, { name: 'test/cm', transform, list });
    const seen: string[] = [];
    inf.onEvent((e, o) => {
      seen.push(`${e} ${o.metadata?.name}`);
      assert.equal(o.metadata?.labels?.slim, 'yes');
    });
    await inf.start();
    try {
      await inf.waitForSync();
      slim('cm-0');
      await k(c2, 'POST', path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-1' } });
      await waitFor('cm-1 seen', () => seen.includes('add cm-1'));
      slim('cm-1');
      const verifiedBefore = inf.lastVerifiedAt();
      assert.equal(await inf.relist(), 'idle');
      assert.equal(inf.restarts(), 0);
      assert.ok(inf.lastVerifiedAt() >= verifiedBefore);

      proxy.freezeExisting();
      await k(c2, 'POST', path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-2' } });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(seen.includes('add cm-2'), false, 'the frozen watch delivers nothing');
      assert.equal(await inf.relist(), 'stalled');
      assert.equal(inf.restarts(), 1);
      await waitFor('missed change delivered after the restart', () => seen.includes('add cm-2'));
      slim('cm-2');
      assert.equal(await inf.relist(), 'idle');
    } finally {
      await inf.stop();
    }
  });
  it('member lists are paged and slimmed page by page, with the snapshot resourceVersion', async () => {
    const path = `/api/v1/namespaces/${APP_NS}/services`;
    for (const name of ['pg-1', 'pg-2', 'pg-3']) {
      await k(c2, 'POST', path, { apiVersion: 'v1', kind: 'Service', metadata: { name, labels: { pg: 'x' } }, spec: { ports: [{ port: 80 }] } });
    }
    const full = (await k(c2, 'GET', path)) as KubernetesListObject<KubernetesObject>;
    const paged = await listSlim(kubeClient(c2.kubeConfig), path, 'services', 2);
    assert.deepEqual(paged.items.map((o) => o.metadata?.name).sort(), full.items.map((o) => o.metadata?.name).sort());
    assert.ok(paged.items.length >= 3);
    assert.ok(paged.metadata?.resourceVersion);
    for (const o of paged.items) assert.equal(o.metadata?.managedFields, undefined);
  });
});
