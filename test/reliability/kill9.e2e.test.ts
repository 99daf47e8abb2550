// Process fault: kill -9. `amko serve` (with the worker) runs as a child process against real
// kube-apiservers (test/harness: own cluster + two member clusters) and the Avi simulator, which
// adds latency to every write so that the initial sync of 30 FQDNs takes seconds. The process is
// SIGKILLed mid-sync (the simulator's log shows some but not all GslbServices written, and
// requests in flight that the simulator still completes after the client is gone), then started
// again. Convergence means: `amko plan` finds nothing to do, every GslbService exists once (no
// duplicate name or domain name), and the owned health monitors are exactly the desired ones,
// each once. The second case kills the process after a GDP weight change was accepted by the API
// server while the worker's PUTs for it are in flight and fail: the restarted process applies it.
// The restart keeps POD_NAME (what a container restart in the same pod does), so the new process
// takes its own Lease at once instead of waiting out the 15 s lease duration.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AviClient } from '../../src/avi/client.js';
import type { GslbService } from '../../src/avi/types.js';
import { createLogger } from '../../src/log.js';
import { isOwnedHm, nonPathHmName, pathHmName } from '../../src/reconcile/desired/healthmonitors.js';
import { startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import type { ClusterHandle, ControlPlanes } from '../harness/control-plane.js';
import { sharedControlPlanes } from '../harness/shared.js';
import { installCrds, startAmkoServer, type AmkoServer } from '../e2e/support/amko-server.js';
import { createWithStatus, ensureNamespace, k, kTry, mergePatch, waitFor } from '../reconcile/e2e-helpers.js';
import { ingress, lbService } from '../reconcile/fixtures.js';
import { aviDrift } from './drift.js';

const NS = 'avi-system';
const UUID = '5e2a9c41-0d7b-4f3e-8a16-c94b2e7d1f03';
const CB = `amko-${UUID}`;
const APP = 'rel-kill9';
const PASSWORD = 'kill9-Avi-Pw#2x8';
const POD_NAME = 'amko-kill9-0';
const GDP_PATH = `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`;
const GC_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbconfigs`;
const GHR_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbhostrules`;
const LEASE_PATH = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;
/** Added to every write the simulator handles, so a sync is in flight long enough to be killed. */
const LATENCY_MS = 150;
const N = 30;
const CONVERGE_BOUND_MS = 20_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Convergence after each restart (printed at the end, copied into RELIABILITY.md). */
const figures: Array<{ what: string; ms: number; listenMs: number; boundMs: number }> = [];

describe('reliability: kill -9 of amko serve mid-sync, then a restart (real kube-apiservers + Avi simulator)', function () {
  this.timeout(60_000);
  let cp: ControlPlanes;
  let c1: ClusterHandle;
  let c2: ClusterHandle;
  let sim: AviSimulator;
  let reader: AviClient;
  let server: AmkoServer | undefined;
  let caFile = '';
  const testNs = `kill9-${Date.now().toString(36)}`;
  // Half Ingresses (one HTTP path monitor each), half LoadBalancer Services (one TCP monitor each).
  const HOSTS = Array.from({ length: N }, (_, i) => `h${String(i).padStart(2, '0')}.kill9.example.com`);
  const isIngress = (i: number) => i % 2 === 0;
  const wantHms = new Set(HOSTS.map((h, i) => (isIngress(i) ? pathHmName('http', h, '/') : nonPathHmName(h))));
  const gdp = (w1: number) => ({
    matchRules: { appSelector: { label: { app: APP } } },
    matchClusters: [{ cluster: 'cluster1' }, { cluster: 'cluster2' }],
    trafficSplit: [
      { cluster: 'cluster1', weight: w1, priority: 10 },
      { cluster: 'cluster2', weight: 1, priority: 10 },
    ],
  });
  const ip = (cluster: 1 | 2, i: number) => `10.30.${cluster}.${i + 1}`;

  const start = () =>
    startAmkoServer({
      kubeconfig: c1.kubeconfigPath,
      worker: true,
      memberKubeconfig: cp.kubeconfigPath,
      env: { AVI_CA_FILE: caFile, POD_NAME },
    });
  /** kill -9, then wait until the process is gone. */
  async function kill9(s: AmkoServer): Promise<void> {
    process.kill(s.pid, 'SIGKILL');
    await s.stop();
    server = undefined;
  }
  const ok = (e: { status: number }) => e.status >= 200 && e.status < 300;
  /** Successful calls in the simulator's request log. */
  const done = (method: string, type: 'gslbservice' | 'healthmonitor') => sim.requestLog.find(method, new RegExp(`^/api/${type}(/|$)`)).filter(ok);

  /** Everything that is not the desired state, on top of aviDrift (plan + duplicate names + count). */
  async function diverged(cluster1Weight: number): Promise<string[]> {
    const out = await aviDrift({ kubeConfig: c1.kubeConfig, memberKubeconfig: cp.kubeconfigPath, sim, reader, createdBy: CB, expectedGs: N });
    const gss: GslbService[] = await reader.listGslbServices(CB, '*');
    const domains = gss.flatMap((g) => g.domain_names ?? []);
    const dupDomains = domains.filter((d, i) => domains.indexOf(d) !== i);
    if (dupDomains.length) out.push(`duplicate domain names: ${dupDomains.join(', ')}`);
    const missing = HOSTS.filter((h) => !domains.includes(h));
    if (missing.length) out.push(`no GslbService for ${missing.join(', ')}`);
    const wrongWeight = gss.filter((g) => (g.groups ?? []).flatMap((x) => x.members).find((m) => m.ip.addr.startsWith('10.30.1.'))?.ratio !== cluster1Weight);
    if (wrongWeight.length) out.push(`${wrongWeight.length} GslbServices without cluster1 weight ${cluster1Weight}`);
    const owned = (await reader.listHealthMonitors('*')).filter((h) => isOwnedHm(h, CB)).map((h) => h.name);
    const stray = owned.filter((n) => !wantHms.has(n));
    if (stray.length) out.push(`stray health monitors: ${stray.join(', ')}`);
    const absent = [...wantHms].filter((n) => !owned.includes(n));
    if (absent.length) out.push(`missing health monitors: ${absent.join(', ')}`);
    if (owned.length !== wantHms.size) out.push(`${owned.length} owned health monitors, expected ${wantHms.size}`);
    return out;
  }

  /** Restarts `amko serve` and waits for the exact desired state; records the time from the spawn. */
  async function restartAndConverge(what: string, cluster1Weight: number): Promise<void> {
    const t0 = Date.now();
    server = await start();
    const listenMs = Date.now() - t0;
    let last: string[] = [];
    await waitFor(
      `${what}: convergence within ${CONVERGE_BOUND_MS} ms of the restart`,
      async () => {
        last = await diverged(cluster1Weight);
        return last.length === 0;
      },
      CONVERGE_BOUND_MS,
      200,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${last.join('\n')}\n${server?.logTail(20) ?? ''}`);
    });
    const ms = Date.now() - t0;
    figures.push({ what, ms, listenMs, boundMs: CONVERGE_BOUND_MS });
    assert.ok(ms <= CONVERGE_BOUND_MS);
  }

  async function cleanup(): Promise<void> {
    for (const p of [GDP_PATH, GHR_PATH, GC_PATH]) {
      const list = await kTry(c1, 'GET', p);
      for (const o of list.json?.items ?? []) await kTry(c1, 'DELETE', `${p}/${o.metadata.name}`);
    }
    const leases = await kTry(c1, 'GET', LEASE_PATH);
    for (const l of leases.json?.items ?? []) if (l.spec?.holderIdentity === POD_NAME) await kTry(c1, 'DELETE', `${LEASE_PATH}/${l.metadata.name}`);
    await kTry(c1, 'DELETE', `/api/v1/namespaces/${NS}/secrets/kill9-avi-secret`);
  }

  before(async function () {
    this.timeout(900_000);
    cp = await sharedControlPlanes();
    [c1, c2] = [cp.cluster('cluster1'), cp.cluster('cluster2')];
    await installCrds({ kubeconfig: cp.kubeconfigPath, context: 'cluster1' });
    await cleanup();
    sim = await startAviSimulator({ users: [{ username: 'admin', password: PASSWORD }] });
    // Writes only: the convergence checks (reads) stay fast, so they do not inflate the figures.
    for (const method of ['POST', 'PUT', 'DELETE']) sim.faults.add({ method, path: /^\/api\/(gslbservice|healthmonitor)/, latencyMs: LATENCY_MS });
    caFile = path.join(cp.dir, `kill9-avi-ca-${process.pid}.pem`);
    writeFileSync(caFile, sim.caPem);
    reader = AviClient.create({ controller: sim.host, username: 'admin', password: PASSWORD, caPem: sim.caPem, log: createLogger({ level: 'silent' }) });
    await k(c1, 'POST', `/api/v1/namespaces/${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'kill9-avi-secret' }, stringData: { username: 'admin', password: PASSWORD } });
    await k(c1, 'POST', GC_PATH, {
      apiVersion: 'amko.vmware.com/v1alpha1',
      kind: 'GSLBConfig',
      metadata: { name: 'gc-kill9', annotations: { 'amko.vmware.com/amko-uuid': UUID } },
      spec: { gslbLeader: { credentials: 'kill9-avi-secret', controllerIP: sim.host, tenant: 'admin' }, memberClusters: [{ clusterContext: 'cluster1' }, { clusterContext: 'cluster2' }], refreshInterval: 3600 },
    });
    await k(c1, 'POST', GDP_PATH, { apiVersion: 'amko.vmware.com/v1alpha2', kind: 'GlobalDeploymentPolicy', metadata: { name: 'global-gdp' }, spec: gdp(3) });
    // 30 FQDNs x 2 member clusters, with the status AKO would write, before the process starts.
    for (const [c, n] of [[c1, 1], [c2, 2]] as const) {
      await ensureNamespace(c, testNs);
      await Promise.all(
        HOSTS.map((host, i) =>
          isIngress(i)
            ? createWithStatus(c, `/apis/networking.k8s.io/v1/namespaces/${testNs}/ingresses`, ingress(`web-${i}`, testNs, { labels: { app: APP }, hosts: [{ host, ip: ip(n, i) }] }))
            : createWithStatus(c, `/api/v1/namespaces/${testNs}/services`, lbService(`svc-${i}`, testNs, { labels: { app: APP }, host, ip: ip(n, i) })),
        ),
      );
    }
  });

  after(async function () {
    this.timeout(60_000);
    if (server) await kill9(server).catch(() => undefined);
    if (c1) {
      await kTry(c1, 'DELETE', `/api/v1/namespaces/${testNs}`);
      await kTry(c2, 'DELETE', `/api/v1/namespaces/${testNs}`);
      await cleanup();
    }
    await reader?.close();
    await sim?.close();
    process.stderr.write(
      `kill -9, time from the restart (spawn) to the exact desired state:\n${figures.map((f) => `  ${f.what.padEnd(50)} ${f.ms} ms (listening after ${f.listenMs} ms, converged ${f.ms - f.listenMs} ms later; bound ${f.boundMs} ms)`).join('\n')}\n`,
    );
  });

  it('kill -9 during the initial sync, restart: every GslbService and health monitor exactly once, nothing stray', async () => {
    // Every 4th GslbService create fails (503), so some monitors wait for their GslbService's retry.
    const hiccup = sim.faults.add({ method: 'POST', path: '/api/gslbservice', status: 503, rate: 0.25 });
    const s = await start();
    server = s;
    // Kill once a few GslbServices are written and a monitor exists whose GslbService is neither
    // written nor in flight, with the rest of the sync still to do.
    const gsPostsLive = () => sim.requestLog.find('POST', /^\/api\/gslbservice(\/|$)/).filter((e) => e.status === 0 || ok(e)).length;
    await waitFor('5 GslbServices written and a monitor without its GslbService', () => done('POST', 'gslbservice').length >= 5 && done('POST', 'healthmonitor').length > gsPostsLive(), 30_000, 5).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${s.logTail(20)}`);
      },
    );
    const inFlight = sim.requestLog.entries.filter((e) => e.status === 0).length;
    await kill9(s);
    hiccup.remove();
    // Requests the dead process had in flight still complete on the controller.
    await sleep(3 * LATENCY_MS);
    const created = done('POST', 'gslbservice').length;
    assert.ok(created > 0 && created < N, `${created} of ${N} GslbService creates in the request log when killed`);
    const written = (await reader.listGslbServices(CB, '*')).length;
    const hms = (await reader.listHealthMonitors('*')).filter((h) => isOwnedHm(h, CB)).length;
    process.stderr.write(`killed with ${inFlight} Avi calls in flight; ${written}/${N} GslbServices and ${hms}/${N} health monitors on Avi\n`);
    assert.ok(written > 0 && written < N, `${written} of ${N} GslbServices written when killed`);
    assert.ok(hms > written && hms < N, `${hms} of ${N} health monitors written when killed (${written} GslbServices)`);
    await restartAndConverge('kill -9 mid initial sync', 3);
    // Across both processes each object was created exactly once and nothing was deleted.
    assert.equal(done('POST', 'gslbservice').length, N, 'GslbService creates');
    assert.equal(done('POST', 'healthmonitor').length, N, 'health monitor creates');
    assert.equal(done('DELETE', 'gslbservice').length + done('DELETE', 'healthmonitor').length, 0, 'deletes');
  });

  it('kill -9 after a GDP weight change is accepted but before the worker writes it: the restarted process applies it', async () => {
    assert.ok(server, 'no running server');
    const s = server;
    // Every GslbService PUT is slowed and then fails: the worker has the change and is writing it when killed.
    const blocked = sim.faults.add({ method: 'PUT', path: '/api/gslbservice', latencyMs: 1000, status: 503 });
    try {
      await mergePatch(c1, `${GDP_PATH}/global-gdp`, { spec: gdp(7) });
      assert.equal((await k(c1, 'GET', `${GDP_PATH}/global-gdp`)).spec.trafficSplit[0].weight, 7, 'the API server has the change');
      await waitFor('a GslbService PUT in flight', () => blocked.seen >= 1, 15_000, 10);
      await kill9(s);
      await sleep(1000 + 3 * LATENCY_MS);
    } finally {
      blocked.remove();
    }
    const applied = (await reader.listGslbServices(CB, '*')).filter((g) => (g.groups ?? []).flatMap((x) => x.members).some((m) => m.ip.addr.startsWith('10.30.1.') && m.ratio === 7));
    assert.equal(applied.length, 0, 'the weight reached Avi before the kill');
    await restartAndConverge('kill -9 with a GDP change not yet written', 7);
  });
});
