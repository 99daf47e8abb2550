// `amko plan` and the worker plan the same operations on the same inputs: the
// same own-cluster objects (two GSLBConfigs, the older in force; a GDP; two
// GSLBHostRules for one FQDN, the older accepted; a rejected one), the same
// member clusters, and the same controller state (the Avi simulator, with what
// an earlier sync wrote). The worker's writes are refused (the controller
// answers 503), so its observed state stays the controller's and its plan can
// be read; `amko plan` (computePlan) reads the same inputs once. Before the
// shared pipeline, `amko plan` threw on an invalid GDP where the worker holds.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AviClient } from '../../src/avi/client.js';
import type { AviApi } from '../../src/avi/types.js';
import { createReconcileWorker, type StandaloneWorker } from '../../src/controllers.js';
import { createLogger } from '../../src/log.js';
import type { AviOperation } from '../../src/reconcile/diff.js';
import { computePlan } from '../../src/reconcile/dry-run.js';
import { startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import type { ClusterHandle, ControlPlanes } from '../harness/control-plane.js';
import { sharedControlPlanes } from '../harness/shared.js';
import { createAviSecret, createGslbConfig, createWithStatus, ensureNamespace, installAmkoCrds, k, simWorkerOptions, waitFor } from './e2e-helpers.js';
import { akoAnnotations } from './fixtures.js';

const ID = randomBytes(3).toString('hex');
const NS = `parity-${ID}`;
const APP_NS = `parity-app-${ID}`;
const UUID = `0a0a0a0a-0000-4000-8000-${ID}000000`;
const APP = `parity-${ID}`;
const log = createLogger({ level: process.env.AMKO_TEST_VERBOSE ? 'debug' : 'silent' });
const GC_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbconfigs`;
const GDP_PATH = `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`;
const GHR_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbhostrules`;
const ING_PATH = `/apis/networking.k8s.io/v1/namespaces/${APP_NS}/ingresses`;
const SVC_PATH = `/api/v1/namespaces/${APP_NS}/services`;

function ingress(name: string, host: string, ip: string) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, labels: { app: APP }, annotations: akoAnnotations([host]) },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    status: { loadBalancer: { ingress: [{ ip, hostname: host }] } },
  };
}

function service(name: string, host: string, ip: string) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: { app: APP }, annotations: akoAnnotations([host]) },
    spec: { type: 'LoadBalancer', ports: [{ port: 8080, protocol: 'TCP' }] },
    status: { loadBalancer: { ingress: [{ ip, hostname: host }] } },
  };
}

/** An Avi client whose writes the controller refuses (503): the worker plans, retries, and writes nothing. */
function refusingWrites(api: AviApi): AviApi {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (/^(create|update|delete)/.test(String(prop))) return async () => Promise.reject(Object.assign(new Error('503 refused by the test'), { retry: 'slow' }));
      return v.bind(target);
    },
  });
}

const byKey = (ops: AviOperation[]) => [...ops].sort((a, b) => a.key.localeCompare(b.key));

describe('amko plan and the worker plan the same operations on the same inputs', function () {
  this.timeout(90_000);
  let cp: ControlPlanes;
  let c1: ClusterHandle;
  let sim: AviSimulator;
  let worker: StandaloneWorker | undefined;

  const options = (aviFactory = simWorkerOptions(sim, log).aviFactory!) => ({
    kubeConfig: c1.kubeConfig,
    namespace: NS,
    memberKubeconfig: cp.kubeconfigPath,
    log,
    leaderElection: false as const,
    role: false as const,
    ...simWorkerOptions(sim, log),
    aviFactory,
  });
  const plan = () => computePlan({ kubeConfig: c1.kubeConfig, namespace: NS, memberKubeconfig: cp.kubeconfigPath, log, aviFactory: (c) => AviClient.create({ ...c, caPem: sim.caPem, log }) });

  /** A worker whose writes are refused, once it has listed the controller and planned every key. */
  async function plannedWorker(): Promise<StandaloneWorker> {
    const w = createReconcileWorker(options(async (c) => refusingWrites(await AviClient.create({ ...c, caPem: sim.caPem, log, timeoutMs: 1500 }))));
    await w.start();
    await waitFor('worker connected and listed', () => w.ready() && w.snapshot().config !== undefined && w.snapshot().clusters.every((x) => x.ready), 30_000);
    return w;
  }

  before(async function () {
    this.timeout(900_000);
    cp = await sharedControlPlanes();
    c1 = cp.cluster('cluster1');
    await installAmkoCrds(c1);
    await ensureNamespace(c1, NS);
    for (const c of ['cluster2', 'cluster3']) await ensureNamespace(cp.cluster(c), APP_NS);
    sim = await startAviSimulator();
    await createAviSecret(c1, NS);
    await createGslbConfig(c1, GC_PATH, { uuid: UUID, controller: sim.host, members: ['cluster2', 'cluster3'] });
    // A second, younger GSLBConfig: refused by both.
    await k(c1, 'POST', GC_PATH, {
      apiVersion: 'amko.vmware.com/v1alpha1',
      kind: 'GSLBConfig',
      metadata: { name: 'gc-2' },
      spec: { gslbLeader: { credentials: 'none', controllerIP: '127.0.0.1:1' }, memberClusters: [{ clusterContext: 'cluster2' }] },
    });
    await k(c1, 'POST', GDP_PATH, {
      apiVersion: 'amko.vmware.com/v1alpha2',
      kind: 'GlobalDeploymentPolicy',
      metadata: { name: 'gdp' },
      spec: {
        matchRules: { appSelector: { label: { app: APP } } },
        matchClusters: [{ cluster: 'cluster2' }, { cluster: 'cluster3' }],
        trafficSplit: [
          { cluster: 'cluster2', weight: 4, priority: 20 },
          { cluster: 'cluster3', weight: 2, priority: 20 },
        ],
      },
    });
    const c2 = cp.cluster('cluster2');
    const c3 = cp.cluster('cluster3');
    await createWithStatus(c2, ING_PATH, ingress('web', 'web.parity.example.com', '10.2.0.1'));
    await createWithStatus(c3, ING_PATH, ingress('web', 'web.parity.example.com', '10.3.0.1'));
    await createWithStatus(c2, ING_PATH, ingress('old', 'old.parity.example.com', '10.2.0.9'));
    await createWithStatus(c3, SVC_PATH, service('dns', 'dns.parity.example.com', '10.3.0.53'));
    // An earlier sync: the controller holds what a worker wrote for these objects.
    const first = createReconcileWorker(options());
    await first.start();
    try {
      await waitFor('first sync', async () => {
        await first.idle();
        return first.snapshot().actualGs.length === 3;
      }, 30_000);
    } finally {
      await first.stop();
    }
    // Then the inputs change: a GslbService to update (weights, a GSLBHostRule), one to delete, one to create.
    await k(c1, 'PUT', `${GDP_PATH}/gdp`, {
      ...(await k(c1, 'GET', `${GDP_PATH}/gdp`)),
      spec: {
        matchRules: { appSelector: { label: { app: APP } } },
        matchClusters: [{ cluster: 'cluster2' }, { cluster: 'cluster3' }],
        trafficSplit: [
          { cluster: 'cluster2', weight: 1, priority: 20 },
          { cluster: 'cluster3', weight: 7, priority: 10 },
        ],
      },
    });
    const rule = (name: string, ttl: number, extra: Record<string, unknown> = {}) =>
      k(c1, 'POST', GHR_PATH, { apiVersion: 'amko.vmware.com/v1alpha1', kind: 'GSLBHostRule', metadata: { name }, spec: { fqdn: 'web.parity.example.com', ttl, ...extra } });
    await rule('ttl-a', 30);
    await rule('ttl-b', 60);
    await k(c1, 'POST', GHR_PATH, {
      apiVersion: 'amko.vmware.com/v1alpha1',
      kind: 'GSLBHostRule',
      metadata: { name: 'bad-ref' },
      spec: { fqdn: 'dns.parity.example.com', healthMonitorRefs: ['no-such-monitor'] },
    });
    await k(c2, 'DELETE', `${ING_PATH}/old`);
    await createWithStatus(c3, ING_PATH, ingress('new', 'new.parity.example.com', '10.3.0.7'));
  });

  after(async () => {
    await worker?.stop();
    await sim?.close();
  });

  it('the same creates, updates and deletes, field for field', async () => {
    worker = await plannedWorker();
    const planned = await plan();
    const fromWorker = worker.worker.plan();
    assert.deepEqual(
      fromWorker.map((o) => `${o.op} ${o.key}`).sort(),
      [
        'create-gs admin/new.parity.example.com',
        'create-hm admin/new.parity.example.com',
        'delete-gs admin/old.parity.example.com',
        'delete-hm admin/old.parity.example.com',
        'update-gs admin/dns.parity.example.com',
        'update-gs admin/web.parity.example.com',
      ],
    );
    assert.deepEqual(byKey(planned.operations), byKey(fromWorker));
    assert.ok(planned.warnings.some((w) => w.includes('2 GSLBConfigs')), planned.warnings.join('\n'));
    assert.ok(planned.warnings.some((w) => w.startsWith('GSLBHostRule ttl-b rejected')), planned.warnings.join('\n'));
    assert.ok(planned.warnings.some((w) => w.startsWith('GSLBHostRule bad-ref rejected')), planned.warnings.join('\n'));
    const update = fromWorker.find((o) => o.op === 'update-gs' && o.key === 'admin/web.parity.example.com')!;
    assert.ok(update.op === 'update-gs' && update.gs.ttl === 30, 'the older GSLBHostRule for the FQDN applies');
    await worker.stop();
    worker = undefined;
  });

  it('an invalid GDP (none accepted yet): both hold, nothing planned', async () => {
    await k(c1, 'PUT', `${GDP_PATH}/gdp`, {
      ...(await k(c1, 'GET', `${GDP_PATH}/gdp`)),
      spec: { matchRules: { appSelector: { label: { app: APP } } }, matchClusters: [{ cluster: 'no-such-cluster' }] },
    });
    sim.requestLog.clear();
    worker = await plannedWorker();
    const planned = await plan();
    assert.deepEqual(worker.worker.plan(), []);
    assert.deepEqual(planned.operations, []);
    assert.ok(planned.warnings.some((w) => w.includes('holds the sync')), planned.warnings.join('\n'));
    assert.deepEqual(sim.requestLog.entries.filter((e) => e.method !== 'GET' && !['/login', '/logout'].includes(e.path)), []);
  });
});
