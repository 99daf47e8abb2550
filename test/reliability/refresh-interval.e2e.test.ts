// The worker's periodic resync with an interval past Node's 32-bit timer (real kube-apiserver,
// Avi simulator, real worker). Before boundedDelay a refreshInterval of 3,000,000 s (3e9 ms,
// accepted then) became a 1 ms timer: the worker resynced continuously, about 40 Avi calls a
// second. The CRD refuses such a GSLBConfig now, so the interval is given the way a stored
// pre-upgrade object would reach the timer, through the worker's refreshIntervalMs override.
import assert from 'node:assert/strict';
import type { AviClient } from '../../src/avi/client.js';
import { createLogger } from '../../src/log.js';
import { createReconcileWorker, type StandaloneWorker } from '../../src/controllers.js';
import { GC_STATE } from '../../src/reconcile/gslb-config.js';
import { startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import { sharedControlPlanes } from '../harness/shared.js';
import type { ClusterHandle, ControlPlanes } from '../harness/control-plane.js';
import { createAviSecret, createGslbConfig, installAmkoCrds, k, kTry, simReader, simWorkerOptions, waitFor } from '../reconcile/e2e-helpers.js';

const NS = 'avi-system';
const UUID = '3c9a1f4e-7b2d-4e6a-9f1c-5d8e2b7a4c10';
const GC_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbconfigs`;
const GDP_PATH = `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`;
const GHR_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbhostrules`;
const WINDOW_MS = 3_000;
const log = createLogger({ level: process.env.AMKO_TEST_VERBOSE ? 'debug' : 'silent' });

describe('reliability: a refresh interval past 2^31-1 ms (real kube-apiserver + Avi simulator)', function () {
  this.timeout(120_000);
  let cp: ControlPlanes;
  let c1: ClusterHandle;
  let sim: AviSimulator;
  let reader: AviClient;
  let worker: StandaloneWorker | undefined;

  before(async function () {
    this.timeout(900_000);
    cp = await sharedControlPlanes();
    c1 = cp.cluster('cluster1');
    await installAmkoCrds(c1);
    for (const p of [GDP_PATH, GHR_PATH, GC_PATH]) {
      const list = await k(c1, 'GET', p);
      for (const o of list.items ?? []) await kTry(c1, 'DELETE', `${p}/${o.metadata.name}`);
    }
    await kTry(c1, 'DELETE', `/api/v1/namespaces/${NS}/secrets/gslb-avi-secret`);
    await createAviSecret(c1, NS);
    sim = await startAviSimulator();
    reader = simReader(sim, log);
    await createGslbConfig(c1, GC_PATH, { uuid: UUID, controller: sim.host, members: ['cluster1'] });
  });

  after(async function () {
    this.timeout(60_000);
    await worker?.stop();
    const list = await kTry(c1, 'GET', GC_PATH);
    for (const o of list.json?.items ?? []) await kTry(c1, 'DELETE', `${GC_PATH}/${o.metadata.name}`);
    await reader?.close();
    await sim?.close();
  });

  it(`makes no Avi call in the ${WINDOW_MS / 1000} s after the initial sync with refreshIntervalMs 3e9`, async () => {
    worker = createReconcileWorker({
      kubeConfig: c1.kubeConfig,
      memberKubeconfig: cp.kubeconfigPath,
      log,
      leaderElection: false,
      ...simWorkerOptions(sim, log),
      refreshIntervalMs: 3_000_000 * 1000,
    });
    await worker.start();
    await waitFor('GSLBConfig accepted', async () => ((await k(c1, 'GET', `${GC_PATH}/gc-1`)).status?.state === GC_STATE.accepted ? true : undefined), 60_000);
    await worker.idle();
    sim.requestLog.clear();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const calls = sim.requestLog.entries.map((e) => `${e.method} ${e.path}`);
    assert.deepEqual(calls, [], `${calls.length} Avi calls in ${WINDOW_MS} ms`);
  });
});
