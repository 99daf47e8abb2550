// The tenant a GslbService goes to, and objects the GDP selects but that are
// skipped: real kube-apiservers (cluster1 holds the CRs, cluster2 the member
// objects) and the Avi simulator, with a `tenant1` tenant on the controller so
// that a GslbService created in the wrong tenant would succeed and be seen.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AviClient } from '../../src/avi/client.js';
import { createLogger } from '../../src/log.js';
import { registry } from '../../src/metrics.js';
import { MEMBER_SKIPPED_REASON } from '../../src/reconcile/member-events.js';
import { createReconcileWorker, type StandaloneWorker } from '../../src/controllers.js';
import { GC_STATE } from '../../src/reconcile/gslb-config.js';
import { defaultSeed, startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import type { ClusterHandle, ControlPlanes } from '../harness/control-plane.js';
import { sharedControlPlanes } from '../harness/shared.js';
import { akoAnnotations } from './fixtures.js';
import { createAviSecret, createGslbConfig, createWithStatus, ensureNamespace, installAmkoCrds, k, kTry, mergePatch, simReader, simWorkerOptions, waitFor } from './e2e-helpers.js';

const ID = randomBytes(3).toString('hex');
const NS = `vis-${ID}`;
const PLAIN_NS = `vis-plain-${ID}`;
const TEAM_NS = `vis-team-${ID}`;
const UUID = `7e7a0000-0000-4000-8000-${ID}000000`;
const CB = `amko-${UUID}`;
const GC_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbconfigs`;
const GDP_PATH = `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`;
const TENANT = 'ako.vmware.com/tenant-name';
const log = createLogger({ level: process.env.AMKO_TEST_VERBOSE ? 'debug' : 'silent' });

describe('reconcile: the tenant of a GslbService, and selected objects that are skipped (real kube-apiservers + Avi simulator)', function () {
  this.timeout(120_000);
  let cp: ControlPlanes;
  let c1: ClusterHandle;
  let c2: ClusterHandle;
  let sim: AviSimulator;
  let reader: AviClient;
  let worker: StandaloneWorker;

  const ingPath = (ns: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`;
  const ingress = (name: string, host: string, ip: string, annotations: Record<string, string>) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, labels: { app: 'vis' }, annotations },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    status: { loadBalancer: { ingress: [{ ip, hostname: host }] } },
  });
  /** GslbService name -> tenant name (from its tenant_ref). */
  const gsTenants = async () => new Map((await reader.listGslbServices(CB, '*')).map((g) => [g.name, String(g.tenant_ref).split('#')[1]]));
  const skippedEvents = async (ns: string, name: string) =>
    ((await k(c2, 'GET', `/api/v1/namespaces/${ns}/events`)).items as Array<{ reason: string; type: string; message: string; involvedObject: { name: string; kind: string; uid?: string } }>).filter(
      (e) => e.involvedObject.name === name && e.reason === MEMBER_SKIPPED_REASON,
    );
  const skippedGauge = async (reason: string) =>
    (await registry.getSingleMetric('amko_worker_members_skipped')!.get()).values.find((v) => v.labels.cluster === 'cluster2' && v.labels.reason === reason)?.value ?? 0;
  const gdpSkipped = async () => (await k(c1, 'GET', `${GDP_PATH}/gdp`)).status?.skippedMembers as number | undefined;

  before(async function () {
    this.timeout(30 * 60_000);
    cp = await sharedControlPlanes();
    [c1, c2] = [cp.cluster('cluster1'), cp.cluster('cluster2')];
    await installAmkoCrds(c1);
    await ensureNamespace(c1, NS);
    await ensureNamespace(c2, PLAIN_NS);
    await ensureNamespace(c2, TEAM_NS, {}, { [TENANT]: 'team-a' });
    const seed = defaultSeed();
    seed.tenants.push({ uuid: 'tenant-1f0e0000-0000-4000-8000-000000000001', name: 'tenant1' });
    sim = await startAviSimulator({ seed });
    reader = simReader(sim, log);
    await createAviSecret(c1, NS);
    await createGslbConfig(c1, GC_PATH, { uuid: UUID, controller: sim.host, members: ['cluster2'] });
    await k(c1, 'POST', GDP_PATH, {
      apiVersion: 'amko.vmware.com/v1alpha2',
      kind: 'GlobalDeploymentPolicy',
      metadata: { name: 'gdp' },
      spec: { matchRules: { appSelector: { label: { app: 'vis' } } }, matchClusters: [{ cluster: 'cluster2' }] },
    });
    // Namespace without a tenant, object annotated tenant1: the GSLBConfig tenant (admin).
    await createWithStatus(c2, ingPath(PLAIN_NS), ingress('plain', 'plain.vis.example.com', '10.40.2.1', akoAnnotations(['plain.vis.example.com'], { [TENANT]: 'tenant1' })));
    // Namespace annotated team-a: team-a, whether the object says so or not.
    await createWithStatus(c2, ingPath(TEAM_NS), ingress('team', 'team.vis.example.com', '10.40.2.2', akoAnnotations(['team.vis.example.com'])));
    await createWithStatus(c2, ingPath(TEAM_NS), ingress('team2', 'team2.vis.example.com', '10.40.2.3', akoAnnotations(['team2.vis.example.com'], { [TENANT]: 'team-a' })));
    // Selected but skipped: no AKO annotations; a tenant that disagrees with its namespace's.
    await createWithStatus(c2, ingPath(PLAIN_NS), ingress('no-ako', 'no-ako.vis.example.com', '10.40.2.4', {}));
    await createWithStatus(c2, ingPath(TEAM_NS), ingress('other-tenant', 'other.vis.example.com', '10.40.2.5', akoAnnotations(['other.vis.example.com'], { [TENANT]: 'tenant1' })));
    // Not selected at all: never reported.
    await createWithStatus(c2, ingPath(PLAIN_NS), { ...ingress('unselected', 'unselected.vis.example.com', '10.40.2.6', {}), metadata: { name: 'unselected', labels: { app: 'other' } } });
    worker = createReconcileWorker({
      kubeConfig: c1.kubeConfig,
      namespace: NS,
      memberKubeconfig: cp.kubeconfigPath,
      log,
      leaderElection: false,
      role: false,
      ...simWorkerOptions(sim, log),
    });
    await worker.start();
    await waitFor('accepted', async () => (await k(c1, 'GET', `${GC_PATH}/gc-1`)).status?.state === GC_STATE.accepted, 30_000);
    await worker.idle();
  });

  after(async () => {
    await worker?.stop();
    for (const ns of [PLAIN_NS, TEAM_NS]) await kTry(c2, 'DELETE', `/api/v1/namespaces/${ns}`);
    await kTry(c1, 'DELETE', `/api/v1/namespaces/${NS}`);
    await reader?.close();
    await sim?.close();
  });

  it("tenant: the namespace's tenant annotation, else the GSLBConfig tenant; an object's own tenant annotation does not choose it", async () => {
    const tenants = await waitFor('GslbServices', async () => {
      const t = await gsTenants();
      return t.size === 3 ? t : undefined;
    });
    assert.deepEqual(
      [...tenants].sort(),
      [
        ['plain.vis.example.com', 'admin'],
        ['team.vis.example.com', 'team-a'],
        ['team2.vis.example.com', 'team-a'],
      ],
    );
    assert.equal(sim.requestLog.entries.filter((e) => e.tenant === 'tenant1' && e.method !== 'GET').length, 0, 'nothing written in tenant1');
  });

  it('a selected Ingress without AKO annotations: one Warning Event on it across resyncs and re-derivations, a metric by reason, a count in the GDP status; fixed, it syncs and the count drops', async () => {
    const first = await waitFor('Event on no-ako', async () => ((await skippedEvents(PLAIN_NS, 'no-ako')).length > 0 ? skippedEvents(PLAIN_NS, 'no-ako') : undefined));
    assert.equal(first.length, 1);
    assert.equal(first[0]!.type, 'Warning');
    assert.equal(first[0]!.involvedObject.kind, 'Ingress');
    assert.match(first[0]!.message, /^Ingress .*\/no-ako is selected by the GlobalDeploymentPolicy but not synced to GSLB \(missing-ako-uuids\): missing AKO virtual service or controller UUID for no-ako\.vis\.example\.com/);
    const mismatch = await waitFor('Event on other-tenant', async () => ((await skippedEvents(TEAM_NS, 'other-tenant')).length > 0 ? skippedEvents(TEAM_NS, 'other-tenant') : undefined));
    assert.match(mismatch[0]!.message, /\(tenant-mismatch\): tenant tenant1 differs from the namespace tenant team-a/);
    assert.deepEqual(await skippedEvents(PLAIN_NS, 'unselected'), [], 'an unselected object is not reported');
    await waitFor('gauge', async () => (await skippedGauge('missing-ako-uuids')) === 1 && (await skippedGauge('tenant-mismatch')) === 1);
    await waitFor('GDP status count 2', async () => (await gdpSkipped()) === 2);

    // Two full resyncs, two GDP edits (every object re-derived), an edit of the skipped Ingress itself.
    for (const ttl of [31, 32]) {
      await worker.fullResync();
      await mergePatch(c1, `${GDP_PATH}/gdp`, { spec: { ttl } });
      await waitFor(`ttl ${ttl} applied`, async () => (await reader.listGslbServices(CB, '*')).every((g) => g.ttl === ttl));
    }
    await mergePatch(c2, `${ingPath(PLAIN_NS)}/no-ako`, { metadata: { labels: { app: 'vis', touched: 'yes' } } });
    await worker.idle();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await skippedEvents(PLAIN_NS, 'no-ako')).length, 1, 'exactly one Event across resyncs');
    assert.equal((await skippedEvents(TEAM_NS, 'other-tenant')).length, 1);
    assert.equal(await gdpSkipped(), 2);

    await mergePatch(c2, `${ingPath(PLAIN_NS)}/no-ako`, { metadata: { annotations: akoAnnotations(['no-ako.vis.example.com']) } });
    await waitFor('synced once fixed', async () => (await gsTenants()).get('no-ako.vis.example.com') === 'admin');
    await waitFor('GDP status count 1', async () => (await gdpSkipped()) === 1);
    await waitFor('gauge cleared', async () => (await skippedGauge('missing-ako-uuids')) === 0);
    assert.equal((await skippedEvents(PLAIN_NS, 'no-ako')).length, 1);
  });
});
