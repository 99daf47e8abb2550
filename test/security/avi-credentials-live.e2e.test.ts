// The chart no longer rolls the pods when the Avi credentials Secret changes (a hash of it on
// the pod template revealed the password to anyone who can read pods). That is safe because
// the worker watches the Secret and logs in with the new credentials at once: here it starts
// with a wrong password, fails, and syncs as soon as the Secret is corrected, without a restart
// (real kube-apiserver, Avi simulator, real worker).
import assert from 'node:assert/strict';
import type { AviClient } from '../../src/avi/client.js';
import { createLogger } from '../../src/log.js';
import { createReconcileWorker, GC_STATE, type ReconcileWorker } from '../../src/reconcile/index.js';
import { startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import { sharedControlPlanes } from '../harness/shared.js';
import type { ClusterHandle, ControlPlanes } from '../harness/control-plane.js';
import { SIM_PASSWORD, createGslbConfig, installAmkoCrds, k, kTry, mergePatch, simReader, simWorkerOptions, waitFor } from '../reconcile/e2e-helpers.js';

const NS = 'avi-system';
const UUID = '9d2e4b61-0c3a-4f7e-8b15-6a2c9e0f3d47';
const GC_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbconfigs`;
const GDP_PATH = `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`;
const GHR_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbhostrules`;
const SECRET_PATH = `/api/v1/namespaces/${NS}/secrets/gslb-avi-secret`;
const log = createLogger({ level: process.env.AMKO_TEST_VERBOSE ? 'debug' : 'silent' });

describe('security: a changed Avi credentials Secret applies without a pod restart (real kube-apiserver + Avi simulator)', function () {
  this.timeout(120_000);
  let cp: ControlPlanes;
  let c1: ClusterHandle;
  let sim: AviSimulator;
  let reader: AviClient;
  let worker: ReconcileWorker | undefined;

  before(async function () {
    this.timeout(900_000);
    cp = await sharedControlPlanes();
    c1 = cp.cluster('cluster1');
    await installAmkoCrds(c1);
    for (const p of [GDP_PATH, GHR_PATH, GC_PATH]) {
      const list = await k(c1, 'GET', p);
      for (const o of list.items ?? []) await kTry(c1, 'DELETE', `${p}/${o.metadata.name}`);
    }
    await kTry(c1, 'DELETE', SECRET_PATH);
    await k(c1, 'POST', `/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'gslb-avi-secret' },
      stringData: { username: 'admin', password: 'not-the-password' },
    });
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

  it('fails to log in with the wrong password, then syncs once the Secret holds the right one', async () => {
    worker = createReconcileWorker({
      kubeConfig: c1.kubeConfig,
      memberKubeconfigPath: cp.kubeconfigPath,
      log,
      leaderElection: { identity: 'credentials-e2e', leaseName: 'credentials-e2e-lease', leaseDurationMs: 3000, renewIntervalMs: 1000, retryIntervalMs: 300 },
      ...simWorkerOptions(sim, log),
    });
    await worker.start();
    const state = async () => (await k(c1, 'GET', `${GC_PATH}/gc-1`)).status?.state as string | undefined;
    await waitFor('a login error in the GSLBConfig status', async () => ((await state())?.startsWith('error') ? true : undefined), 60_000);
    const failed = sim.requestLog.find('POST', '/login');
    assert.ok(failed.length > 0 && failed.every((e) => e.status === 401), failed.map((e) => e.status).join(' '));
    await mergePatch(c1, SECRET_PATH, { stringData: { password: SIM_PASSWORD } });
    await waitFor('GSLBConfig accepted with the corrected Secret', async () => ((await state()) === GC_STATE.accepted ? true : undefined), 60_000);
    assert.ok(sim.requestLog.find('POST', '/login').some((e) => e.status === 200));
  });
});
