// The webhook's admission view over the process's shared cache, against a real
// kube-apiserver behind a TCP proxy: it reports its kinds watch-synced only
// while their watches follow the server (a cut connection turns that off until
// the watch is open again), so an allowed CREATE is answered from it without a
// direct read only while that holds; each kind's kinded list is built once per
// change and every change is announced (what webhook workers replicate); the
// direct read behind `confirm` sees an object the moment it is created.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { admissionView, type CachedAdmissionView } from '../../src/admission/view.js';
import { KIND_NAMES, type KindName } from '../../src/api/kinds.js';
import { createLogger } from '../../src/log.js';
import { OwnClusterCache } from '../../src/manager/cache.js';
import type { ClusterHandle } from '../harness/control-plane.js';
import { sharedControlPlanes } from '../harness/shared.js';
import { installAmkoCrds } from '../federation/support.js';
import { ensureNamespace, k, waitFor } from '../reconcile/e2e-helpers.js';
import { startTcpProxy, type TcpProxy } from '../reconcile/tcp-proxy.js';
import { GDP } from '../rules/cases.js';

const log = createLogger({ level: process.env.AMKO_TEST_VERBOSE ? 'debug' : 'silent' });

describe('admission view over the shared cache (real kube-apiserver)', function () {
  this.timeout(60_000);
  let c1: ClusterHandle;
  let proxy: TcpProxy;
  let cache: OwnClusterCache;
  let view: CachedAdmissionView;
  const ns = `view-${randomBytes(3).toString('hex')}`;
  const changed: KindName[] = [];

  before(async function () {
    this.timeout(900_000);
    const cp = await sharedControlPlanes();
    c1 = cp.cluster('cluster1');
    await installAmkoCrds(cp, ['cluster1']);
    await ensureNamespace(c1, ns);
    proxy = await startTcpProxy(c1.kubeConfig.getCurrentCluster()!.server);
    cache = new OwnClusterCache(proxy.kubeConfigFor(c1.kubeConfig), { namespace: ns, log });
    view = admissionView(cache);
    view.onChange((kind) => changed.push(kind));
    await cache.start();
    await cache.waitForSync(undefined, 30_000);
  });

  after(async () => {
    await cache?.stop();
    await proxy?.cut();
  });

  it('reports every kind watch-synced once synced, and builds each kind list once per change', async () => {
    await waitFor('watches open', () => view.watchSynced([...KIND_NAMES]));
    const empty = view.list('GlobalDeploymentPolicy');
    assert.deepEqual(empty, []);
    assert.equal(view.list('GlobalDeploymentPolicy'), empty, 'the same list while nothing changed');

    const gdp = { ...GDP, metadata: { name: 'gdp-a', namespace: ns } };
    await k(c1, 'POST', `/apis/amko.vmware.com/v1alpha2/namespaces/${ns}/globaldeploymentpolicies`, gdp);
    // The direct read sees it at once; the cache once the watch delivers it.
    const fresh = await view.listNow(['GlobalDeploymentPolicy']);
    assert.deepEqual(fresh.GlobalDeploymentPolicy?.map((o) => [o.kind, o.metadata?.name]), [['GlobalDeploymentPolicy', 'gdp-a']]);
    await waitFor('the watch delivers the GDP', () => view.list('GlobalDeploymentPolicy').length === 1);
    assert.ok(changed.includes('GlobalDeploymentPolicy'));
    const listed = view.list('GlobalDeploymentPolicy');
    assert.equal(listed[0]!.kind, 'GlobalDeploymentPolicy');
    assert.equal(view.list('GlobalDeploymentPolicy'), listed);
  });

  it('is not watch-synced while its watches are cut, and is again once they reopen', async () => {
    const port = proxy.port;
    await proxy.cut();
    await waitFor('watches reported down', () => KIND_NAMES.every((kind) => !view.watchSynced([kind])), 20_000);
    proxy = await startTcpProxy(c1.kubeConfig.getCurrentCluster()!.server, port);
    // The informers retry on a jittered backoff from 0.5 s; a loaded machine gets 30 s.
    await waitFor('watches reopened', () => view.watchSynced([...KIND_NAMES]), 30_000);
    assert.deepEqual(view.list('GlobalDeploymentPolicy').map((o) => o.metadata?.name), ['gdp-a']);
  });
});
