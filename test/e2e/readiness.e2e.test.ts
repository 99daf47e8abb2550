// /readyz of `amko serve` says whether the webhook can answer, not whether the reconcile worker has
// synced: a replica whose worker waits for Avi (here: refused credentials) stays ready, so the
// failurePolicy Fail webhook still admits the GSLBConfig change that would fix it.
import assert from 'node:assert/strict';
import https from 'node:https';
import { startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import { startControlPlanes, type ControlPlanes } from '../harness/control-plane.js';
import { kubectl } from '../harness/kubectl.js';
import { installCrds, registerWebhooks, startAmkoServer, type AmkoServer, type KubeTarget } from './support/amko-server.js';
import { NS, yaml } from './support/manifests.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function getStatus(url: string, caPem: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca: caPem }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('e2e: /readyz of amko serve does not depend on the reconcile worker', function () {
  this.timeout(120_000);
  let cp: ControlPlanes;
  let sim: AviSimulator;
  let server: AmkoServer;
  const target = (): KubeTarget => ({ kubeconfig: cp.kubeconfigPath, context: 'cluster1' });

  before(async function () {
    this.timeout(300_000);
    cp = await startControlPlanes({ clusters: 1, namespaces: [NS] });
    await installCrds(target());
    sim = await startAviSimulator();
  });
  after(async function () {
    this.timeout(60_000);
    await server?.stop();
    await sim?.close();
    await cp?.stop();
  });

  it('stays ready while the worker holds the Lease and its Avi login is refused, and admits the fix', async () => {
    const k = async (args: string[], input?: string) => {
      const r = await kubectl(args, { ...target(), input });
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await k(['create', 'secret', 'generic', 'gslb-avi-secret', '-n', NS, '--from-literal=username=admin', '--from-literal=password=wrong']);
    server = await startAmkoServer({ kubeconfig: cp.cluster('cluster1').kubeconfigPath, worker: true, memberKubeconfig: cp.kubeconfigPath, env: { AVI_INSECURE_SKIP_TLS_VERIFY: 'true' } });
    await registerWebhooks(target(), server);
    const gc = (refreshInterval: number) => ({
      apiVersion: 'amko.vmware.com/v1alpha1',
      kind: 'GSLBConfig',
      metadata: { name: 'gc-1', namespace: NS },
      spec: { gslbLeader: { credentials: 'gslb-avi-secret', controllerIP: sim.host }, memberClusters: [{ clusterContext: 'cluster1' }], refreshInterval },
    });
    await k(['apply', '-f', '-'], yaml(gc(1800)));
    // The worker leads and has been refused by the controller (its status says so).
    const deadline = Date.now() + 60_000;
    let state = '';
    while (Date.now() < deadline) {
      state = (await k(['get', 'gslbconfig', 'gc-1', '-n', NS, '-o', 'jsonpath={.status.state}'])).trim();
      if (/avi login refused/.test(state)) break;
      await sleep(250);
    }
    assert.match(state, /avi login refused/, 'the worker reached the refused-login state');
    // Every probe in a 5 s window is ready (the chart's readiness probe would have failed twice).
    for (let i = 0; i < 10; i++) {
      assert.equal(await getStatus(`${server.url}/readyz`, server.caPem), 200, `probe ${i}: ${server.logTail(5)}`);
      await sleep(500);
    }
    // The webhook (failurePolicy Fail) admits the change to the GSLBConfig.
    await k(['apply', '-f', '-'], yaml(gc(900)));
    assert.equal((await k(['get', 'gslbconfig', 'gc-1', '-n', NS, '-o', 'jsonpath={.spec.refreshInterval}'])).trim(), '900');
  });
});
