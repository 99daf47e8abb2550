// The process manager as `amko serve` composes it (createControllers plus the
// admission view), against a real kube-apiserver:
// - each own-cluster kind is listed and watched once per process, however many
//   parts read it (admission view, role watcher, worker, federator). Counted at
//   the API server: apiserver_longrunning_requests{verb="WATCH"} per resource,
//   before and after the process starts. (Before the shared cache, GSLBConfig,
//   GDP and AMKOCluster were each watched three times.)
// - the federator runs on the Lease holder without the worker (`--no-worker`
//   used to switch federation off with it).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { admissionView } from '../../src/admission/view.js';
import { createControllers, type Controllers } from '../../src/controllers.js';
import { createLogger } from '../../src/log.js';
import { clusterRequest, type ClusterHandle } from '../harness/control-plane.js';
import { sharedControlPlanes } from '../harness/shared.js';
import { ensureNamespace, waitFor } from '../reconcile/e2e-helpers.js';
import { installAmkoCrds, Objects } from '../federation/support.js';

const log = createLogger({ level: process.env.AMKO_TEST_VERBOSE ? 'debug' : 'silent' });
const RESOURCES = ['gslbconfigs', 'globaldeploymentpolicies', 'gslbhostrules', 'amkoclusters', 'secrets'];

/** Open WATCH requests per resource at the API server. */
async function watches(c: ClusterHandle): Promise<Record<string, number>> {
  const r = await clusterRequest(c, 'GET', '/metrics');
  assert.equal(r.status, 200);
  const out: Record<string, number> = Object.fromEntries(RESOURCES.map((x) => [x, 0]));
  for (const line of r.body.split('\n')) {
    if (!line.startsWith('apiserver_longrunning_requests{') || !line.includes('verb="WATCH"')) continue;
    const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? '';
    if (resource in out) out[resource]! += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

describe('process manager: one cache, one Lease (real kube-apiserver)', function () {
  this.timeout(60_000);
  let c1: ClusterHandle;
  let running: Controllers | undefined;
  const ns = `mgr-${randomBytes(3).toString('hex')}`;

  before(async function () {
    this.timeout(900_000);
    const cp = await sharedControlPlanes();
    c1 = cp.cluster('cluster1');
    await installAmkoCrds(cp, ['cluster1']);
    await ensureNamespace(c1, ns);
  });

  afterEach(async () => {
    await running?.manager.stop();
    running = undefined;
  });

  it('each own-cluster kind is watched once per process, whatever number of parts read it', async () => {
    const before = await watches(c1);
    running = createControllers({
      kubeConfig: c1.kubeConfig,
      namespace: ns,
      log,
      identity: 'mgr-test',
      leaderElection: { leaseName: `mgr-${ns}` },
      worker: { memberKubeconfig: '' },
      federation: {},
    });
    const view = admissionView(running.cache);
    await running.manager.start();
    const { manager, worker, federator } = running;
    await waitFor('worker and federator running on the Lease holder', () => manager.leaderParts().includes(worker!) && manager.leaderParts().includes(federator!));
    await running.cache.waitForSync();
    assert.deepEqual(view.list('GSLBConfig'), []);
    assert.deepEqual(running.cache.kinds().sort(), ['AMKOCluster', 'GSLBConfig', 'GSLBHostRule', 'GlobalDeploymentPolicy', 'Secret']);
    const after = await waitFor('watches open', async () => {
      const w = await watches(c1);
      return RESOURCES.every((r) => w[r]! > before[r]!) && w;
    });
    for (const r of RESOURCES) assert.equal(after[r]! - before[r]!, 1, `${r}: one watch`);
  });

  it('the federator runs on the Lease holder without the worker (--no-worker)', async () => {
    const obj = new Objects(c1.kubeConfig, ns);
    await obj.create('AMKOCluster', { metadata: { name: 'fed' }, spec: { clusterContext: 'cluster1', isLeader: false, version: '1.0', clusters: ['cluster1', 'cluster2'] } });
    running = createControllers({
      kubeConfig: c1.kubeConfig,
      namespace: ns,
      log,
      identity: 'mgr-test-2',
      leaderElection: { leaseName: `mgr2-${ns}` },
      worker: false,
      federation: { debounceMs: 50 },
    });
    await running.manager.start();
    assert.equal(running.worker, undefined);
    await waitFor('the federator reports on the AMKOCluster', async () => {
      const conds = (await obj.get('AMKOCluster', 'fed'))?.status?.conditions ?? [];
      return conds.some((x: { type: string; reason: string }) => x.type === 'MembersValidated' && x.reason === 'NotLeader');
    });
    // The manager lists a leader part once its start() resolves, which can be after its first status write.
    await waitFor('the federator listed as a leader part', () => running!.manager.leaderParts().includes(running!.federator!));
    await obj.deleteAll('AMKOCluster');
  });
});
