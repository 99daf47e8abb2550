// The reconcile worker inside `amko serve` (a local process, webhooks
// registered), two member API servers and the Avi simulator, driven only with
// kubectl: Ingresses and LoadBalancer Services with status patched in both
// clusters, GDP weight changes, a deleted object, a cluster removed from the
// GDP, and a forced watch expiry (410 Gone): the worker is frozen (SIGSTOP)
// while an update is written, etcd is compacted and the member API server is
// restarted, so its watch can only resume by relisting.
// (test/reconcile/worker.e2e.test.ts covers the worker's own cases in depth,
// in-process; this file covers the shipped process and the 410 path.)
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AviClient } from '../../src/avi/client.js';
import type { GslbService } from '../../src/avi/types.js';
import { createLogger } from '../../src/log.js';
import { startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import { startControlPlanes, type ControlPlanes } from '../harness/control-plane.js';
import { kubectl, type CliResult } from '../harness/kubectl.js';
import { akoAnnotations } from '../reconcile/fixtures.js';
import { installCrds, registerWebhooks, startAmkoServer, type AmkoServer, type KubeTarget } from './support/amko-server.js';
import { NS, yaml } from './support/manifests.js';

const UUID = '3d1e7a0c-5b2f-4c8e-9a61-7f0e2d4c6b18';
const CB = `amko-${UUID}`;
const APP = 'e2e-worker';
const APPNS = 'e2e-worker';
const WEB = 'web.e2e.example.com';
const API = 'api.e2e.example.com';
const PASSWORD = 'sim-Secret-pw#1';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = createLogger({ level: 'silent' });

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, tail?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (${String(last)})` : ''}${tail ? `\n${tail()}` : ''}`);
    await sleep(250);
  }
}

describe('e2e: the reconcile worker in amko serve, two member API servers, the Avi simulator, kubectl', function () {
  this.timeout(90_000);
  let cp: ControlPlanes;
  let sim: AviSimulator;
  let reader: AviClient;
  let server: AmkoServer;
  const ctx = (c: string): KubeTarget => ({ kubeconfig: cp.kubeconfigPath, context: c });
  const k = async (c: string, args: string[], input?: string): Promise<string> => {
    const r: CliResult = await kubectl(args, { ...ctx(c), input });
    if (r.code !== 0) throw new Error(`kubectl --context ${c} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** What AKO writes: the VIP and the host name in status.loadBalancer.ingress. */
  const setStatus = (c: string, kind: 'ingress' | 'service', name: string, host: string, ip: string) =>
    k(c, ['patch', kind, name, '-n', APPNS, '--subresource=status', '--type', 'merge', '-p',
      JSON.stringify({ status: { loadBalancer: { ingress: [{ ip, hostname: host }] } } })]);
  const gs = async (name: string) => (await reader.listGslbServices(CB, '*')).find((g) => g.name === name);
  /** `priority:ip/ratio,...` per priority group, sorted. */
  const members = (g: GslbService | undefined) =>
    (g?.groups ?? []).map((x) => `${x.priority}:` + x.members.map((m) => `${m.ip.addr}/${m.ratio}`).sort().join(',')).sort();
  const converge = (name: string, want: string[], timeoutMs = 30_000) =>
    waitFor(`${name} members ${want.join(' ')}`, async () => JSON.stringify(members(await gs(name))) === JSON.stringify(want), timeoutMs).catch(async (e: Error) => {
        throw new Error(`${e.message} now: ${members(await gs(name)).join(' ')}\n${server.logTail(20)}`);
      });

  const ingress = (host: string) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: APPNS, labels: { app: APP }, annotations: akoAnnotations([host]) },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  });
  const lbService = (host: string) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'api', namespace: APPNS, labels: { app: APP }, annotations: akoAnnotations([host]) },
    spec: { type: 'LoadBalancer', ports: [{ port: 8080, protocol: 'TCP' }] },
  });
  const gdpSpec = (w1: number, w2: number, clusters = ['cluster1', 'cluster2']) => ({
    apiVersion: 'amko.vmware.com/v1alpha2',
    kind: 'GlobalDeploymentPolicy',
    metadata: { name: 'global-gdp', namespace: NS },
    spec: {
      matchRules: { appSelector: { label: { app: APP } } },
      matchClusters: clusters.map((cluster) => ({ cluster })),
      trafficSplit: [
        { cluster: 'cluster1', weight: w1 },
        { cluster: 'cluster2', weight: w2 },
      ].filter((t) => clusters.includes(t.cluster)),
    },
  });

  before(async function () {
    this.timeout(300_000);
    cp = await startControlPlanes({ clusters: 2, watchCache: false, namespaces: [NS, APPNS] });
    await installCrds(ctx('cluster1'));
    sim = await startAviSimulator();
    reader = AviClient.create({ controller: sim.host, username: 'admin', password: PASSWORD, caPem: sim.caPem, log });
    const caFile = path.join(cp.dir, 'avi-ca.pem');
    writeFileSync(caFile, sim.caPem);
    await k('cluster1', ['create', 'secret', 'generic', 'gslb-avi-secret', '-n', NS, '--from-literal=username=admin', `--from-literal=password=${PASSWORD}`]);
    server = await startAmkoServer({
      kubeconfig: cp.cluster('cluster1').kubeconfigPath,
      worker: true,
      memberKubeconfig: cp.kubeconfigPath,
      env: { AVI_CA_FILE: caFile },
    });
    await registerWebhooks(ctx('cluster1'), server);
    const gc = {
      apiVersion: 'amko.vmware.com/v1alpha1',
      kind: 'GSLBConfig',
      metadata: { name: 'gc-1', namespace: NS, annotations: { 'amko.vmware.com/amko-uuid': UUID } },
      spec: {
        gslbLeader: { credentials: 'gslb-avi-secret', controllerIP: sim.host },
        memberClusters: [{ clusterContext: 'cluster1' }, { clusterContext: 'cluster2' }],
      },
    };
    await k('cluster1', ['apply', '-f', '-'], yaml(gc, gdpSpec(3, 1)));
  });
  after(async function () {
    this.timeout(60_000);
    await server?.stop();
    await reader?.close();
    await sim?.close();
    await cp?.stop();
  });

  it('Ingresses and LoadBalancer Services with patched status in both clusters become GslbServices with the GDP weights', async () => {
    for (const [c, n] of [['cluster1', 1], ['cluster2', 2]] as const) {
      await k(c, ['apply', '-f', '-'], yaml(ingress(WEB), lbService(API)));
      await setStatus(c, 'ingress', 'web', WEB, `10.10.${n}.1`);
      await setStatus(c, 'service', 'api', API, `10.20.${n}.1`);
    }
    await converge(WEB, ['10:10.10.1.1/3,10.10.2.1/1'], 45_000);
    await converge(API, ['10:10.20.1.1/3,10.20.2.1/1']);
  });

  it('a weight change in the GDP (kubectl patch) converges', async () => {
    await k('cluster1', ['patch', 'globaldeploymentpolicy', 'global-gdp', '-n', NS, '--type', 'merge', '-p',
      JSON.stringify({ spec: { trafficSplit: [{ cluster: 'cluster1', weight: 5 }, { cluster: 'cluster2', weight: 7, priority: 10 }] } })]);
    await converge(WEB, ['10:10.10.1.1/5,10.10.2.1/7']);
    await converge(API, ['10:10.20.1.1/5,10.20.2.1/7']);
  });

  it('a forced watch expiry (410 Gone) loses no update: frozen worker, update, etcd compaction, member API server restart', async () => {
    const pid = server.pid;
    process.kill(pid, 'SIGSTOP');
    let resumed = false;
    try {
      await setStatus('cluster2', 'ingress', 'web', WEB, '10.10.2.99');
      const before = await cp.etcdRevision();
      const { revision } = await cp.compactEtcd();
      assert.ok(revision >= before);
      // Drop the (frozen) worker's watches: on resume they reconnect from a compacted resourceVersion -> 410 -> relist.
      await cp.restartApiServer('cluster2');
      process.kill(pid, 'SIGCONT');
      resumed = true;
    } finally {
      if (!resumed) process.kill(pid, 'SIGCONT');
    }
    await converge(WEB, ['10:10.10.1.1/5,10.10.2.99/7'], 60_000);
  });

  it('a deleted object and a cluster removed from the GDP converge', async () => {
    await k('cluster1', ['delete', 'service', 'api', '-n', APPNS]);
    await converge(API, ['10:10.20.2.1/7']);
    await k('cluster1', ['apply', '-f', '-'], yaml(gdpSpec(5, 7, ['cluster1'])));
    await converge(WEB, ['10:10.10.1.1/5']);
    await waitFor(`${API} deleted`, async () => (await gs(API)) === undefined);
  });
});
