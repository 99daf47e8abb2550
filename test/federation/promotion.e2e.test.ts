// Live promotion end to end, wired as `amko serve` wires it (createControllers):
// per AMKO instance (own clusters cluster1 and cluster2) one process manager
// with one Lease, running the reconcile worker (gated on the AMKOCluster role
// too) and the federator only on the Lease holder; one member cluster
// (cluster3) and the Avi simulator. A follower makes no Avi call; a second
// replica on cluster1 neither syncs nor federates; promoting cluster2 live must
// adopt the GslbService cluster1 created (same amko-uuid via the federated
// GSLBConfig), not recreate it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AviClient } from '../../src/avi/client.js';
import { createLogger } from '../../src/log.js';
import { createControllers, type Controllers } from '../../src/controllers.js';
import { sharedControlPlanes } from '../harness/shared.js';
import type { ClusterHandle, ControlPlanes } from '../harness/control-plane.js';
import { startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import { akoAnnotations } from '../reconcile/fixtures.js';
import { createWithStatus, ensureNamespace, k, kTry, waitFor } from '../reconcile/e2e-helpers.js';
import { installAmkoCrds, Objects } from './support.js';

const ID = randomBytes(3).toString('hex');
const NS = `fed-promo-${ID}`;
const APP_NS = `fed-promo-app-${ID}`;
const UUID = `feed0000-0000-4000-8000-${ID}000000`;
const CB = `amko-${UUID}`;
const log = createLogger({ level: process.env.AMKO_TEST_VERBOSE ? 'debug' : 'silent' });

describe('federation: live promotion adopts the GslbServices of the shared amko-uuid', function () {
  this.timeout(90_000);
  let cp: ControlPlanes;
  let c: Record<string, ClusterHandle>;
  let obj: Record<string, Objects>;
  let sim: AviSimulator;
  let reader: AviClient;
  interface Instance {
    controllers: Controllers;
    /** Avi clients this instance built (a follower builds none). */
    aviClients: number;
  }
  const instances: Instance[] = [];

  /** One AMKO replica: the worker and the federator on one manager (one Lease), as in serve. */
  async function startInstance(cluster: string, identity = cluster) {
    const inst: Instance = { aviClients: 0 } as Instance;
    inst.controllers = createControllers({
      kubeConfig: c[cluster]!.kubeConfig,
      namespace: NS,
      log,
      identity,
      leaderElection: { leaseName: `promo-${ID}`, leaseDurationMs: 8000, renewDeadlineMs: 6000, retryPeriodMs: 500 },
      worker: {
        memberKubeconfig: cp.kubeconfigPath,
        aviFactory: (conn) => {
          inst.aviClients++;
          return AviClient.create({ ...conn, caPem: sim.caPem, log, timeoutMs: 1500 });
        },
        queue: { fastBaseDelayMs: 50, slowBaseDelayMs: 200, maxDelayMs: 1000 },
        memberBackoff: { initialMs: 200, maxMs: 1000 },
        retryDelayMs: 300,
      },
      federation: { memberKubeConfig: cp.kubeconfigPath, debounceMs: 50, retryInitialMs: 300, retryMaxMs: 2000 },
      followLogLevel: false,
    });
    instances.push(inst);
    await inst.controllers.manager.start();
    return inst;
  }
  const worker = (i: Instance) => i.controllers.worker!;
  /** The federator runs (this replica holds the Lease). */
  const federating = (i: Instance) => i.controllers.manager.leaderParts().includes(i.controllers.federator!);

  before(async function () {
    this.timeout(30 * 60_000);
    cp = await sharedControlPlanes();
    c = Object.fromEntries(cp.clusters.map((x) => [x.name, x]));
    await installAmkoCrds(cp, ['cluster1', 'cluster2']);
    obj = {};
    for (const name of ['cluster1', 'cluster2']) {
      await ensureNamespace(c[name]!, NS);
      obj[name] = new Objects(c[name]!.kubeConfig, NS);
    }
    await ensureNamespace(c.cluster3!, APP_NS);
    sim = await startAviSimulator();
    reader = AviClient.create({ controller: sim.host, username: 'admin', password: 'sim-Secret-pw#1', caPem: sim.caPem, log });
    // Each instance has its own credentials Secret (Secrets are not federated).
    for (const name of ['cluster1', 'cluster2']) {
      await k(c[name]!, 'POST', `/api/v1/namespaces/${NS}/secrets`, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'gslb-avi-secret' },
        stringData: { username: 'admin', password: 'sim-Secret-pw#1' },
      });
    }
    const clusters = ['cluster1', 'cluster2'];
    await obj.cluster1!.create('AMKOCluster', { metadata: { name: 'fed' }, spec: { clusterContext: 'cluster1', isLeader: true, version: '1.0', clusters } });
    await obj.cluster2!.create('AMKOCluster', { metadata: { name: 'fed' }, spec: { clusterContext: 'cluster2', isLeader: false, version: '1.0', clusters } });
    await obj.cluster1!.create('GSLBConfig', {
      metadata: { name: 'gc-1', annotations: { 'amko.vmware.com/amko-uuid': UUID } },
      spec: {
        gslbLeader: { credentials: 'gslb-avi-secret', controllerIP: sim.host, tenant: 'admin' },
        memberClusters: [{ clusterContext: 'cluster3' }],
        refreshInterval: 3600,
      },
    });
    await obj.cluster1!.create('GlobalDeploymentPolicy', {
      metadata: { name: 'gdp' },
      spec: { matchRules: { appSelector: { label: { app: 'promo' } } }, matchClusters: [{ cluster: 'cluster3' }] },
    });
    await createWithStatus(c.cluster3!, `/apis/networking.k8s.io/v1/namespaces/${APP_NS}/ingresses`, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', labels: { app: 'promo' }, annotations: akoAnnotations(['promo.example.com']) },
      spec: { rules: [{ host: 'promo.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
      status: { loadBalancer: { ingress: [{ ip: '10.3.3.3', hostname: 'promo.example.com' }] } },
    });
  });

  after(async function () {
    this.timeout(60_000);
    for (const i of instances) {
      await i.controllers.manager.stop();
    }
    for (const name of ['cluster1', 'cluster2']) {
      for (const kind of ['GSLBConfig', 'GlobalDeploymentPolicy', 'AMKOCluster'] as const) await obj?.[name]?.deleteAll(kind);
    }
    await kTry(c.cluster3!, 'DELETE', `/apis/networking.k8s.io/v1/namespaces/${APP_NS}/ingresses/web`);
    await reader?.close();
    await sim?.close();
  });

  it('only the lease-holding leader syncs and federates; after a live promotion the new leader adopts the GslbService without recreating it', async function () {
    const a = await startInstance('cluster1');
    const b = await startInstance('cluster2');
    await waitFor('cluster1 syncs', () => worker(a).isLeader());
    await waitFor('cluster1 federates', () => federating(a));
    // A second replica of the leader instance: no Lease, so no sync and no federation.
    const a2 = await startInstance('cluster1', 'cluster1-replica2');
    // The follower got the federated GSLBConfig with the shared uuid.
    await waitFor('GSLBConfig copy on cluster2', async () => (await obj.cluster2!.get('GSLBConfig', 'gc-1'))?.metadata.annotations?.['amko.vmware.com/amko-uuid'] === UUID);
    const gs = await waitFor('GslbService created by the leader', async () =>
      (await reader.listGslbServices(CB, '*')).find((g) => g.name === 'promo.example.com'),
    );
    await worker(a).idle();
    assert.equal(b.controllers.manager.holdsLease(), true, 'cluster2 holds its own cluster\'s Lease');
    assert.equal(worker(b).roleState().role, 'follower');
    assert.equal(worker(b).isLeader(), false, 'a follower does not sync');
    assert.equal(b.aviClients, 0, 'a follower makes no Avi call');
    assert.equal(worker(b).snapshot().config, undefined);
    assert.equal(a2.controllers.manager.holdsLease(), false);
    assert.equal(worker(a2).isLeader(), false, 'the replica without the Lease does not sync');
    assert.equal(federating(a2), false, 'the replica without the Lease does not federate');
    assert.equal(a2.aviClients, 0);
    sim.requestLog.clear();

    // Switch-over: demote cluster1, promote cluster2 (live, no restart).
    await obj.cluster1!.mutate('AMKOCluster', 'fed', (o) => {
      o.spec.isLeader = false;
    });
    await waitFor('cluster1 stops syncing', () => !worker(a).isLeader());
    await obj.cluster2!.mutate('AMKOCluster', 'fed', (o) => {
      o.spec.isLeader = true;
    });
    await waitFor('cluster2 syncs', () => worker(b).isLeader());
    await waitFor('new leader synced', async () => {
      await worker(b).idle();
      const snap = worker(b).snapshot();
      return snap.config?.createdBy === CB && snap.actualGs.includes('admin/promo.example.com') && snap.clusters.every((x) => x.ready);
    });
    await worker(b).idle();
    assert.equal(b.aviClients, 1);
    const after = (await reader.listGslbServices(CB, '*')).filter((g) => g.name === 'promo.example.com');
    assert.equal(after.length, 1);
    assert.equal(after[0]!.uuid, gs.uuid, 'same GslbService (adopted)');
    const writes = sim.requestLog.entries.filter((e) => e.method !== 'GET' && !['/login', '/logout'].includes(e.path));
    assert.deepEqual(writes.map((e) => `${e.method} ${e.path}`), [], 'no GslbService or monitor recreated');
    assert.equal(a2.aviClients, 0, 'the standby replica of the demoted instance still made no Avi call');

    // The new leader also federates (back to the demoted cluster1).
    await waitFor('new leader federates', async () => {
      const conds = (await obj.cluster2!.get('AMKOCluster', 'fed')).status?.conditions ?? [];
      return conds.find((x: { type: string; status: string }) => x.type === 'GSLBConfigFederated')?.status === 'True';
    });
  });
});
