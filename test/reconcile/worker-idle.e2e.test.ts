// An idle reconcile worker does nothing: once converged, with no change anywhere, it creates no timer,
// promise, request or any other async resource (it used to run a 1 s metrics timer that also queued the
// GDP status key every second). Its gauges are read when /metrics is scraped, so a scrape shows the
// state of that moment; the GDP's status.skippedMembers follows the count as it changes.
// Real kube-apiservers (cluster1: the CRs, cluster2: the member objects) and the Avi simulator.
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/log.js';
import { registry } from '../../src/metrics.js';
import { createReconcileWorker, type StandaloneWorker } from '../../src/controllers.js';
import { GC_STATE } from '../../src/reconcile/gslb-config.js';
import { startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import type { ClusterHandle } from '../harness/control-plane.js';
import { sharedControlPlanes } from '../harness/shared.js';
import { akoAnnotations } from './fixtures.js';
import { createAviSecret, createGslbConfig, createWithStatus, ensureNamespace, installAmkoCrds, k, kTry, mergePatch, simWorkerOptions, waitFor } from './e2e-helpers.js';

const ID = randomBytes(3).toString('hex');
const NS = `idle-${ID}`;
const MEMBER_NS = `idle-m-${ID}`;
const UUID = `1d1e0000-0000-4000-8000-${ID}000000`;
const GC_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbconfigs`;
const GDP_PATH = `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`;
const ING_PATH = `/apis/networking.k8s.io/v1/namespaces/${MEMBER_NS}/ingresses`;
const log = createLogger({ level: process.env.AMKO_TEST_VERBOSE ? 'debug' : 'silent' });

const ingress = (name: string, ip: string, annotations: Record<string, string>) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, labels: { app: 'idle' }, annotations },
  spec: { rules: [{ host: `${name}.idle.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  status: { loadBalancer: { ingress: [{ ip, hostname: `${name}.idle.example.com` }] } },
});

/** The value of a gauge sample, read as a scrape reads it. */
async function gaugeValue(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values as Array<{ labels: Record<string, string | number>; value: number }> | undefined)?.find((v) =>
    Object.entries(labels).every(([l, x]) => v.labels[l] === x),
  )?.value;
}

/** The product's sources: an async resource is amko's when a frame of its creation stack is in them. */
const SRC_DIR = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * Async resources (timers, promises, sockets, …) that amko's code creates during `ms`, by type and creation
 * site. The whole test process is watched, but only resources created with a frame in src/ count: the
 * test process also carries the shared API servers' log pipes and other files' clients, whose stream
 * ticks are not the worker's doing.
 */
function asyncResourcesDuring(ms: number): Promise<Map<string, number>> {
  const created = new Map<string, number>();
  return new Promise((resolve) => {
    const hook = createHook({
      init: (_id, type) => {
        const stack = new Error().stack ?? '';
        if (!stack.includes(SRC_DIR)) return;
        const site = stack.split('\n').find((l) => l.includes(SRC_DIR))?.trim() ?? '';
        const key = `${type} ${site}`;
        created.set(key, (created.get(key) ?? 0) + 1);
      },
    });
    setTimeout(() => {
      hook.disable();
      resolve(created);
    }, ms);
    // Enabled after the caller's await has begun (that await creates a promise of its own).
    setImmediate(() => hook.enable());
  });
}

describe('reconcile: an idle worker does nothing; its gauges are read on scrape (real kube-apiservers + Avi simulator)', function () {
  this.timeout(120_000);
  let c1: ClusterHandle;
  let c2: ClusterHandle;
  let sim: AviSimulator;
  let worker: StandaloneWorker;

  before(async function () {
    this.timeout(30 * 60_000);
    const cp = await sharedControlPlanes();
    [c1, c2] = [cp.cluster('cluster1'), cp.cluster('cluster2')];
    await installAmkoCrds(c1);
    await ensureNamespace(c1, NS);
    await ensureNamespace(c2, MEMBER_NS);
    sim = await startAviSimulator();
    await createAviSecret(c1, NS);
    await createGslbConfig(c1, GC_PATH, { uuid: UUID, controller: sim.host, members: ['cluster2'] });
    await k(c1, 'POST', GDP_PATH, {
      apiVersion: 'amko.vmware.com/v1alpha2',
      kind: 'GlobalDeploymentPolicy',
      metadata: { name: 'gdp' },
      spec: { matchRules: { appSelector: { label: { app: 'idle' } } }, matchClusters: [{ cluster: 'cluster2' }] },
    });
    await createWithStatus(c2, ING_PATH, ingress('web', '10.50.0.1', akoAnnotations(['web.idle.example.com'])));
    // Selected but skipped: no AKO annotations.
    await createWithStatus(c2, ING_PATH, ingress('no-ako', '10.50.0.2', {}));
    worker = createReconcileWorker({
      kubeConfig: c1.kubeConfig,
      namespace: NS,
      memberKubeconfig: cp.kubeconfigPath,
      log,
      leaderElection: false,
      role: false,
      // The optional-API rediscovery (Routes, Gateway API) is a poll of its own, every 30 s by default; kept out of the window.
      memberRediscoverMs: 10 * 60_000,
      ...simWorkerOptions(sim, log),
    });
    await worker.start();
    await waitFor('accepted', async () => (await k(c1, 'GET', `${GC_PATH}/gc-1`)).status?.state === GC_STATE.accepted, 30_000);
    await waitFor('web synced', () => sim.store.count('gslbservice') === 1);
    await worker.idle();
  });

  after(async () => {
    await worker?.stop();
    await kTry(c2, 'DELETE', `/api/v1/namespaces/${MEMBER_NS}`);
    await kTry(c1, 'DELETE', `/api/v1/namespaces/${NS}`);
    await sim?.close();
  });

  it('the GDP status.skippedMembers is written when the count is known, without a timer', async () => {
    await waitFor('skippedMembers 1', async () => (await k(c1, 'GET', `${GDP_PATH}/gdp`)).status?.skippedMembers === 1, 10_000);
  });

  it('converged and unchanged, the worker creates no async resource at all (no timer, promise or request) in 3 s', async () => {
    await worker.idle();
    await new Promise((r) => setTimeout(r, 500)); // the last status writes' sockets and timers settle
    const created = await asyncResourcesDuring(3000);
    assert.deepEqual([...created], [], `async resources amko created while idle: ${[...created].map(([t, n]) => `${t} ×${n}`).join('; ')}`);
  });

  it('a scrape reads the state of that moment: members, skipped objects, GslbServices, queue', async () => {
    assert.equal(await gaugeValue('amko_worker_members', { cluster: 'cluster2' }), 1);
    assert.equal(await gaugeValue('amko_worker_members_skipped', { cluster: 'cluster2', reason: 'missing-ako-uuids' }), 1);
    assert.equal(await gaugeValue('amko_sync_gslbservices'), 1);
    assert.equal(await gaugeValue('amko_worker_queue_depth'), 0);
    assert.equal(await gaugeValue('amko_worker_member_cluster_up', { cluster: 'cluster2' }), 1);
    // A second member: the next scrape after the worker has it shows it (no update period in between).
    await createWithStatus(c2, ING_PATH, ingress('shop', '10.50.0.3', akoAnnotations(['shop.idle.example.com'])));
    await waitFor('shop synced', () => sim.store.count('gslbservice') === 2);
    assert.equal(await gaugeValue('amko_worker_members', { cluster: 'cluster2' }), 2);
    assert.equal(await gaugeValue('amko_sync_gslbservices'), 2);
    // The skipped object gets its AKO annotations: it becomes a member, and the GDP status follows the count.
    await mergePatch(c2, `${ING_PATH}/no-ako`, { metadata: { annotations: akoAnnotations(['no-ako.idle.example.com']) } });
    await waitFor('no-ako synced', () => sim.store.count('gslbservice') === 3);
    assert.equal(await gaugeValue('amko_worker_members_skipped', { cluster: 'cluster2', reason: 'missing-ako-uuids' }), undefined);
    await waitFor('skippedMembers 0', async () => (await k(c1, 'GET', `${GDP_PATH}/gdp`)).status?.skippedMembers === 0, 10_000);
  });
});
