// The worker end to end: real kube-apiservers (test/harness: cluster1 is the
// server's own cluster and a member, cluster2 and cluster3 are members; cluster2
// also serves route.openshift.io/v1), the Avi simulator over HTTPS, and the
// real Avi client.
import assert from 'node:assert/strict';
import { AviClient } from '../../src/avi/client.js';
import { createLogger } from '../../src/log.js';
import { registry } from '../../src/metrics.js';
import { createReconcileWorker, type StandaloneWorker, type StandaloneWorkerOptions } from '../../src/controllers.js';
import { GC_STATE } from '../../src/reconcile/gslb-config.js';
import { computePlan, formatPlan } from '../../src/reconcile/dry-run.js';
import { nonPathHmName, pathHmName } from '../../src/reconcile/desired/healthmonitors.js';
import type { GslbService } from '../../src/avi/types.js';
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
  installRouteCrd,
  k,
  kTry,
  mergePatch,
  replaceSpec,
  simReader,
  simWorkerOptions,
  waitFor,
} from './e2e-helpers.js';

const NS = 'avi-system';
const UUID = '6f1c7a52-3b0e-4c1d-9e8f-0a1b2c3d4e5f';
const CB = `amko-${UUID}`;
const APP = 'rw-e2e';
const GDP_PATH = `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`;
const GC_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbconfigs`;
const GHR_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbhostrules`;
const log = createLogger({ level: process.env.AMKO_TEST_VERBOSE ? 'debug' : 'silent' });

describe('reconcile worker end to end (real kube-apiservers + Avi simulator)', function () {
  this.timeout(60_000);
  let cp: ControlPlanes;
  let c1: ClusterHandle;
  let c2: ClusterHandle;
  let c3: ClusterHandle;
  let sim: AviSimulator;
  let reader: AviClient;
  let worker: StandaloneWorker;
  let worker2: StandaloneWorker | undefined;
  const testNs = `rw-${Date.now().toString(36)}`;

  const ingPath = (ns = testNs) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`;
  const svcPath = (ns = testNs) => `/api/v1/namespaces/${ns}/services`;
  const routePath = (ns = testNs) => `/apis/route.openshift.io/v1/namespaces/${ns}/routes`;

  function ingress(name: string, host: string, ip: string, opts: { paths?: string[]; tls?: boolean; labels?: Record<string, string> } = {}) {
    return {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, labels: opts.labels ?? { app: APP }, annotations: akoAnnotations([host]) },
      spec: {
        rules: [
          {
            host,
            http: {
              paths: (opts.paths ?? ['/']).map((p) => ({ path: p, pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } })),
            },
          },
        ],
        ...(opts.tls ? { tls: [{ hosts: [host], secretName: 'tls' }] } : {}),
      },
      status: { loadBalancer: { ingress: [{ ip, hostname: host }] } },
    };
  }

  function service(name: string, host: string, ip: string, port = 8080, protocol = 'TCP') {
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels: { app: APP }, annotations: akoAnnotations([host]) },
      spec: { type: 'LoadBalancer', ports: [{ port, protocol }] },
      status: { loadBalancer: { ingress: [{ ip, hostname: host }] } },
    };
  }

  const gsList = () => reader.listGslbServices(CB, '*');
  const gsByName = async (name: string) => (await gsList()).find((g) => g.name === name);
  const hmNames = async () => (await reader.listHealthMonitors('*')).filter((h) => h.name.startsWith('amko--')).map((h) => h.name).sort();
  const members = (gs: GslbService | undefined) =>
    (gs?.groups ?? [])
      .map((g) => `${g.priority}:` + g.members.map((m) => `${m.ip.addr}/${m.ratio}`).sort().join(','))
      .sort();
  const writes = () => sim.requestLog.entries.filter((e) => e.method !== 'GET' && !['/login', '/logout'].includes(e.path));

  async function setGdp(spec: Record<string, unknown>) {
    const cur = await kTry(c1, 'GET', `${GDP_PATH}/global-gdp`);
    if (cur.status === 404) {
      await k(c1, 'POST', GDP_PATH, { apiVersion: 'amko.vmware.com/v1alpha2', kind: 'GlobalDeploymentPolicy', metadata: { name: 'global-gdp' }, spec });
    } else {
      await replaceSpec(c1, `${GDP_PATH}/global-gdp`, spec);
    }
  }
  /**
   * A worker replica; all replicas compete for one Lease. A released Lease is taken at the next retry (0.5 s); the
   * 6 s renew deadline keeps a leader through the event-loop stalls of a loaded 2-core machine.
   */
  const replica = (identity: string, overrides: Partial<StandaloneWorkerOptions> = {}) =>
    createReconcileWorker({
      kubeConfig: c1.kubeConfig,
      memberKubeconfig: cp.kubeconfigPath,
      log,
      leaderElection: { identity, leaseName: 'rw-e2e-lease', leaseDurationMs: 8000, renewDeadlineMs: 6000, retryPeriodMs: 500 },
      ...simWorkerOptions(sim, log),
      ...overrides,
    });
  const gdpStatus = async () => (await kTry(c1, 'GET', `${GDP_PATH}/global-gdp`)).json?.status?.errorStatus;
  const baseGdp = {
    matchRules: { appSelector: { label: { app: APP } } },
    matchClusters: [{ cluster: 'cluster1' }, { cluster: 'cluster2' }],
    trafficSplit: [
      { cluster: 'cluster1', weight: 8, priority: 20 },
      { cluster: 'cluster2', weight: 2, priority: 10 },
    ],
  };

  before(async function () {
    this.timeout(900_000);
    cp = await sharedControlPlanes();
    [c1, c2, c3] = [cp.cluster('cluster1'), cp.cluster('cluster2'), cp.cluster('cluster3')];
    await installAmkoCrds(c1);
    await installRouteCrd(c2);
    for (const c of [c1, c2, c3]) await ensureNamespace(c, testNs);
    sim = await startAviSimulator();
    reader = simReader(sim, log);
    // Clean slate in avi-system.
    for (const p of [GDP_PATH, GHR_PATH, GC_PATH]) {
      const list = await k(c1, 'GET', p);
      for (const o of list.items ?? []) await kTry(c1, 'DELETE', `${p}/${o.metadata.name}`);
    }
    await kTry(c1, 'DELETE', `/api/v1/namespaces/${NS}/secrets/gslb-avi-secret`);
    await createAviSecret(c1, NS);
    await createGslbConfig(c1, GC_PATH, { uuid: UUID, controller: sim.host, members: ['cluster1', 'cluster2', 'cluster3'] });
    await setGdp(baseGdp);
    worker = replica('replica-a');
    await worker.start();
  });

  after(async function () {
    this.timeout(60_000);
    await worker2?.stop();
    await worker?.stop();
    for (const c of [c1, c2, c3]) await kTry(c, 'DELETE', `/api/v1/namespaces/${testNs}`);
    for (const p of [GDP_PATH, GHR_PATH, GC_PATH]) {
      const list = await kTry(c1, 'GET', p);
      for (const o of list.json?.items ?? []) await kTry(c1, 'DELETE', `${p}/${o.metadata.name}`);
    }
    await reader?.close();
    await sim?.close();
  });

  it('accepts the GSLBConfig and GDP, and builds one GslbService per FQDN with weights and priorities across clusters', async () => {
    await createWithStatus(c1, ingPath(), ingress('web', 'web.rw.example.com', '10.10.1.1', { paths: ['/', '/api'] }));
    await createWithStatus(c2, ingPath(), ingress('web', 'web.rw.example.com', '10.10.2.1', { paths: ['/'] }));
    const gs = await waitFor('GS with two members', async () => {
      const g = await gsByName('web.rw.example.com');
      return g && members(g).length === 2 ? g : undefined;
    });
    assert.deepEqual(members(gs), ['10:10.10.2.1/2', '20:10.10.1.1/8']);
    assert.equal(gs.created_by, CB);
    assert.equal(gs.description, `INGRESS/cluster1/${testNs}/web/web.rw.example.com,INGRESS/cluster2/${testNs}/web/web.rw.example.com`);
    assert.deepEqual(await hmNames(), [pathHmName('http', 'web.rw.example.com', '/'), pathHmName('http', 'web.rw.example.com', '/api')].sort());
    // The state walks syncing -> synced -> accepted; under load the GslbService can be seen first.
    await waitFor('GSLBConfig accepted', async () => {
      const gc = await k(c1, 'GET', `${GC_PATH}/gc-1`);
      return gc.status?.state === GC_STATE.accepted ? true : undefined;
    });
    assert.equal(await gdpStatus(), 'success');
    // Monitors were created before the GslbService that uses them.
    const order = writes().map((e) => `${e.method} ${e.path}`);
    const gsPost = order.indexOf('POST /api/gslbservice/');
    assert.ok(gsPost > 0 && order.slice(0, gsPost).every((l) => l === 'POST /api/healthmonitor/'), order.join('\n'));
  });

  it('writes nothing on a resync when nothing changed', async () => {
    await worker.idle();
    sim.requestLog.clear();
    await worker.fullResync();
    await worker.idle();
    assert.deepEqual(writes(), []);
    assert.ok(sim.requestLog.find('GET', '/api/gslbservice').length >= 1);
  });

  it('LoadBalancer services: only counted in matchClusters; removing the cluster removes its members and the GS', async () => {
    await createWithStatus(c3, svcPath(), service('dns', 'dns.rw.example.com', '10.10.3.53', 53, 'UDP'));
    await new Promise((r) => setTimeout(r, 500));
    await worker.idle();
    assert.equal(await gsByName('dns.rw.example.com'), undefined);
    await setGdp({ ...baseGdp, matchClusters: [...baseGdp.matchClusters, { cluster: 'cluster3' }] });
    const gs = await waitFor('svc GS', () => gsByName('dns.rw.example.com'));
    assert.deepEqual(members(gs), ['10:10.10.3.53/1']);
    const hm = (await reader.listHealthMonitors('*')).find((h) => h.name === nonPathHmName('dns.rw.example.com'));
    assert.equal(hm?.type, 'HEALTH_MONITOR_UDP');
    assert.equal(hm?.monitor_port, 53);
    await setGdp(baseGdp);
    await waitFor('svc GS deleted', async () => (await gsByName('dns.rw.example.com')) === undefined);
    await waitFor('svc HM deleted', async () => !(await hmNames()).includes(nonPathHmName('dns.rw.example.com')));
  });

  it('routes: a Route in the OpenShift cluster becomes a member', async () => {
    await createWithStatus(c2, routePath(), {
      apiVersion: 'route.openshift.io/v1',
      kind: 'Route',
      metadata: { name: 'shop', labels: { app: APP } },
      spec: { host: 'shop.rw.example.com', path: '/cart', tls: { termination: 'edge' }, to: { kind: 'Service', name: 'shop' } },
      status: {
        ingress: [
          {
            host: 'shop.rw.example.com',
            routerName: 'ako-cluster2',
            conditions: [{ type: 'Admitted', status: 'True', reason: JSON.stringify(akoAnnotations(['shop.rw.example.com'])), message: '10.10.2.80' }],
          },
        ],
      },
    });
    const gs = await waitFor('route GS', () => gsByName('shop.rw.example.com'));
    assert.deepEqual(members(gs), ['10:10.10.2.80/2']);
    assert.ok((await hmNames()).includes(pathHmName('https', 'shop.rw.example.com', '/cart')));
  });

  it('GSLBHostRule overrides apply live and are reported Accepted; a bad ref is Rejected', async () => {
    await k(c1, 'POST', GHR_PATH, {
      apiVersion: 'amko.vmware.com/v1alpha1',
      kind: 'GSLBHostRule',
      metadata: { name: 'web-rule' },
      spec: {
        fqdn: 'web.rw.example.com',
        ttl: 42,
        healthMonitorRefs: ['System-GSLB-HTTP'],
        trafficSplit: [{ cluster: 'cluster2', weight: 5, priority: 20 }, { cluster: 'partner-dc-1', weight: 3, priority: 5 }],
        thirdPartyMembers: [{ site: 'partner-dc-1', vip: '192.0.2.7' }],
        downResponse: { type: 'GSLB_SERVICE_DOWN_RESPONSE_EMPTY' },
      },
    });
    const gs = await waitFor('rule applied', async () => {
      const g = await gsByName('web.rw.example.com');
      return g?.ttl === 42 ? g : undefined;
    });
    assert.deepEqual(members(gs), ['20:10.10.1.1/8,10.10.2.1/5', '5:192.0.2.7/3']);
    assert.equal(gs.down_response?.type, 'GSLB_SERVICE_DOWN_RESPONSE_EMPTY');
    assert.deepEqual((gs.health_monitor_refs ?? []).map((r) => r.split('#')[1]), ['System-GSLB-HTTP']);
    // Our path monitors for the GS are gone; the user's ref is untouched.
    await waitFor('path HMs cleaned', async () => !(await hmNames()).includes(pathHmName('http', 'web.rw.example.com', '/api')));
    assert.ok((await reader.listHealthMonitors('*')).some((h) => h.name === 'System-GSLB-HTTP'));
    const ghr = await waitFor('GHR status', async () => (await k(c1, 'GET', `${GHR_PATH}/web-rule`)).status);
    assert.deepEqual(ghr, { status: 'Accepted', error: '' });

    await k(c1, 'POST', GHR_PATH, {
      apiVersion: 'amko.vmware.com/v1alpha1',
      kind: 'GSLBHostRule',
      metadata: { name: 'bad-rule' },
      spec: { fqdn: 'shop.rw.example.com', healthMonitorRefs: ['my-hm3'] },
    });
    const bad = await waitFor('bad GHR status', async () => (await k(c1, 'GET', `${GHR_PATH}/bad-rule`)).status);
    assert.deepEqual(bad, { status: 'Rejected', error: 'Health Monitor Ref my-hm3 error for bad-rule GSLBHostRule' });

    // Deleting the rule falls back to the GDP.
    await k(c1, 'DELETE', `${GHR_PATH}/web-rule`);
    const back = await waitFor('rule removed', async () => {
      const g = await gsByName('web.rw.example.com');
      return g && g.ttl === undefined ? g : undefined;
    });
    assert.deepEqual(members(back), ['10:10.10.2.1/2', '20:10.10.1.1/8']);
  });

  it('recovers from Avi 5xx and timeouts without losing the update', async () => {
    const f1 = sim.faults.add({ method: 'PUT', path: '/api/gslbservice', status: 503, times: 2 });
    const f2 = sim.faults.add({ method: 'PUT', path: '/api/gslbservice', latencyMs: 2500, times: 1 });
    await setGdp({ ...baseGdp, trafficSplit: [{ cluster: 'cluster1', weight: 3, priority: 20 }, baseGdp.trafficSplit[1]] });
    await waitFor('weight applied', async () => members(await gsByName('web.rw.example.com')).includes('20:10.10.1.1/3'), 30_000);
    assert.equal(f1.hits, 2);
    assert.equal(f2.hits, 1);
    f1.remove();
    f2.remove();
  });

  it('a restarted member API server (dropped watches) loses no update', async () => {
    await cp.restartApiServer('cluster2');
    await mergePatch(c2, `${ingPath()}/web/status`, { status: { loadBalancer: { ingress: [{ ip: '10.10.2.9', hostname: 'web.rw.example.com' }] } } });
    await waitFor('new IP after watch drop', async () => members(await gsByName('web.rw.example.com')).includes('10:10.10.2.9/2'), 45_000);
  });

  it('an object that loses its IP or label leaves its GS; the last member gone deletes the GS and its monitors', async () => {
    await mergePatch(c2, `${ingPath()}/web/status`, { status: { loadBalancer: { ingress: [] } } });
    await waitFor('c2 member removed', async () => members(await gsByName('web.rw.example.com')).join() === '20:10.10.1.1/3');
    await mergePatch(c1, `${ingPath()}/web`, { metadata: { labels: { app: 'other' } } });
    await waitFor('GS deleted', async () => (await gsByName('web.rw.example.com')) === undefined);
    await waitFor('HMs deleted', async () => !(await hmNames()).some((n) => n === pathHmName('http', 'web.rw.example.com', '/')));
  });

  it('namespaceSelector: deselecting the namespace removes its objects', async () => {
    await mergePatch(c1, `${ingPath()}/web`, { metadata: { labels: { app: APP } } });
    await setGdp({ ...baseGdp, matchRules: { namespaceSelector: { label: { 'rw-sel': 'yes' } } } });
    await ensureNamespace(c1, testNs, { 'rw-sel': 'yes' });
    await waitFor('selected by namespace', () => gsByName('web.rw.example.com'));
    await ensureNamespace(c1, testNs, { 'rw-sel': 'no' });
    await waitFor('deselected', async () => (await gsByName('web.rw.example.com')) === undefined);
  });

  it('exposes worker metrics', async () => {
    const text = await registry.metrics();
    for (const m of [
      'amko_worker_queue_depth',
      'amko_sync_latency_seconds_bucket',
      'amko_worker_avi_calls_total{verb="createGslbService",result="ok"}',
      'amko_worker_informer_last_event_age_seconds{cluster="cluster2",resource="routes"}',
      'amko_worker_members{cluster="cluster1"}',
    ]) {
      assert.ok(text.includes(m), `missing ${m}`);
    }
  });

  it('leader failover: a standby replica takes over within the lease duration', async () => {
    await setGdp(baseGdp);
    await waitFor('route GS present', () => gsByName('shop.rw.example.com'));
    // The standby has always run with the default member backoff.
    worker2 = replica('replica-b', { memberBackoff: undefined });
    await worker2.start();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(worker.isLeader(), true);
    assert.equal(worker2.isLeader(), false);
    await worker.stop();
    // Protocol bound, counted from the moment the old leader is gone: the standby must not wait
    // out a lease that was released (it would take >= 8 s), it takes it on its next retry.
    const t0 = Date.now();
    await waitFor('replica-b leads', () => worker2!.isLeader(), 5000, 50);
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    await mergePatch(c2, `${routePath()}/shop/status`, {
      status: {
        ingress: [
          {
            host: 'shop.rw.example.com',
            routerName: 'ako-cluster2',
            conditions: [{ type: 'Admitted', status: 'True', reason: JSON.stringify(akoAnnotations(['shop.rw.example.com'])), message: '10.10.2.81' }],
          },
        ],
      },
    });
    await waitFor('replica-b syncs', async () => members(await gsByName('shop.rw.example.com')).join() === '10:10.10.2.81/2', 20_000);
  });

  it('a GSLBConfig controller change applies live: a new client, a full resync, and the state on the new controller', async () => {
    const sim2 = await startAviSimulator();
    const reader2 = AviClient.create({ controller: sim2.host, username: 'admin', password: 'sim-Secret-pw#1', caPem: sim2.caPem, log });
    try {
      await mergePatch(c1, `${GC_PATH}/gc-1`, { spec: { gslbLeader: { controllerIP: sim2.host } } });
      const gs = await waitFor('GS on the new controller', async () => (await reader2.listGslbServices(CB, '*')).find((g) => g.name === 'shop.rw.example.com'), 20_000);
      assert.deepEqual(members(gs), ['10:10.10.2.81/2']);
      await mergePatch(c1, `${GC_PATH}/gc-1`, { spec: { gslbLeader: { controllerIP: sim.host } } });
      await waitFor('back on the first controller', async () => sim.requestLog.find('GET', '/api/gslbservice').length > 0 && worker2!.ready(), 20_000);
    } finally {
      await reader2.close();
      await sim2.close();
    }
  });

  it('deleting the GDP deletes every GslbService this instance owns', async () => {
    await k(c1, 'DELETE', `${GDP_PATH}/global-gdp`);
    await waitFor('all GS deleted', async () => (await gsList()).length === 0, 20_000);
    await waitFor('all owned HMs deleted', async () => (await hmNames()).filter((n) => !n.includes('passthrough')).length === 0);
  });

  it('amko plan prints what the worker would do and writes nothing', async () => {
    await worker2?.stop();
    await setGdp(baseGdp);
    sim.requestLog.clear();
    const plan = await computePlan({
      kubeConfig: c1.kubeConfig,
      memberKubeconfig: cp.kubeconfigPath,
      log,
      aviFactory: (c) => AviClient.create({ ...c, caPem: sim.caPem, log }),
    });
    assert.deepEqual(writes(), []);
    assert.deepEqual(
      plan.operations.map((o) => `${o.op} ${o.tenant}/${o.name}`),
      [
        `create-hm admin/${pathHmName('https', 'shop.rw.example.com', '/cart')}`,
        'create-gs admin/shop.rw.example.com',
        `create-hm admin/${pathHmName('http', 'web.rw.example.com', '/')}`,
        `create-hm admin/${pathHmName('http', 'web.rw.example.com', '/api')}`,
        'create-gs admin/web.rw.example.com',
      ],
    );
    const text = formatPlan(plan);
    assert.match(text, /^\+ gslbservice admin\/shop\.rw\.example\.com\n {4}group amko-gs-group-10 priority 10 GSLB_ALGORITHM_ROUND_ROBIN\n {6}member 10\.10\.2\.81 ratio 2$/m);
    assert.match(text, /Plan \(amko-6f1c7a52-3b0e-4c1d-9e8f-0a1b2c3d4e5f\): gslbservices 2 to create, 0 to update, 0 to delete; health monitors 3 to create/);
  });
});
