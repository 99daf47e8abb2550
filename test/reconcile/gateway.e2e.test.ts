// Gateway API HTTPRoutes as GSLB members, end to end: real kube-apiservers with the Gateway API standard-channel
// CRDs (statuses set through /status as AKO sets them), the Avi simulator, the worker. cluster1 and cluster2
// serve the Gateway API from the start; cluster3 gets it while the worker runs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { Writable } from 'node:stream';
import { AviClient } from '../../src/avi/client.js';
import type { GslbService } from '../../src/avi/types.js';
import { createReconcileWorker, type StandaloneWorker } from '../../src/controllers.js';
import { createLogger } from '../../src/log.js';
import { pathHmName } from '../../src/reconcile/desired/healthmonitors.js';
import { computePlan, formatPlan } from '../../src/reconcile/dry-run.js';
import { GC_STATE } from '../../src/reconcile/gslb-config.js';
import { MEMBER_IP_ONLY_REASON } from '../../src/reconcile/member-events.js';
import type { ClusterHandle, ControlPlanes } from '../harness/control-plane.js';
import { sharedControlPlanes } from '../harness/shared.js';
import { REPO_ROOT } from '../harness/tools.js';
import { defaultSeed, startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import { akoAnnotations, CTRL_UUID } from './fixtures.js';
import { gateway, httpRoute, listener, type ParentSpec } from './gateway-fixtures.js';
import {
  createAviSecret,
  createGslbConfig,
  createWithStatus,
  ensureNamespace,
  installAmkoCrds,
  installGatewayApiCrds,
  k,
  kTry,
  mergePatch,
  removeGatewayApiCrds,
  replaceSpec,
  simReader,
  simWorkerOptions,
  waitFor,
} from './e2e-helpers.js';

const ID = Date.now().toString(36);
const NS = `gw-${ID}`;
const APPS = `gw-apps-${ID}`;
const INFRA = `gw-infra-${ID}`;
const UUID = '2b7d4c10-5e6f-4a8b-9c0d-1e2f3a4b5c6d';
const CB = `amko-${UUID}`;
const APP = 'gw-e2e';
// cluster2 and cluster3 get their controller cluster UUIDs from the GSLBConfig (which wins over annotations, so
// other test files' AKO-annotated objects there do not matter); cluster1 from an annotated Ingress (every test
// file annotates CTRL_UUID).
const C2_FIRST_UUID = 'cluster-11111111-3333-4444-5555-666666666666';
const C2_UUID = 'cluster-22222222-3333-4444-5555-666666666666';
const C3_UUID = 'cluster-33333333-3333-4444-5555-666666666666';
const memberClusters = (c2: string) => [{ clusterContext: 'cluster1' }, { clusterContext: 'cluster2', controllerClusterUuid: c2 }, { clusterContext: 'cluster3', controllerClusterUuid: C3_UUID }];
const GC_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbconfigs`;
const GDP_PATH = `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`;
const GW_API = '/apis/gateway.networking.k8s.io/v1';
const gwPath = (ns: string) => `${GW_API}/namespaces/${ns}/gateways`;
const rtPath = (ns: string) => `${GW_API}/namespaces/${ns}/httproutes`;
const ingPath = (ns: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`;

/** Every log line of the worker (JSON), to check what it logged once. */
const logLines: string[] = [];
const log = createLogger({
  level: 'info',
  destination: new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      cb();
    },
  }),
});

describe('Gateway API HTTPRoutes as GSLB members (real kube-apiservers with the Gateway API CRDs + Avi simulator)', function () {
  this.timeout(90_000);
  let cp: ControlPlanes;
  let c1: ClusterHandle;
  let c2: ClusterHandle;
  let c3: ClusterHandle;
  let sim: AviSimulator;
  let reader: AviClient;
  let worker: StandaloneWorker;

  const gsByName = async (name: string) => (await reader.listGslbServices(CB, '*')).find((g) => g.name === name);
  /** `ip cluster_uuid vs_uuid` of every pool member. */
  const poolMembers = (gs: GslbService | undefined) =>
    (gs?.groups ?? []).flatMap((g) => g.members.map((m) => [m.ip.addr, m.cluster_uuid ?? '-', m.vs_uuid ?? '-'].join(' '))).sort();
  const writes = () => sim.requestLog.entries.filter((e) => e.method !== 'GET' && !['/login', '/logout'].includes(e.path));
  const route = (name: string, ns: string, opts: { hostnames?: string[]; parents: ParentSpec[]; labels?: Record<string, string>; paths?: Array<{ type: string; value: string }> }) =>
    httpRoute(name, ns, { labels: { app: APP }, ...opts });
  async function patchStatus(cluster: ClusterHandle, p: string, status: unknown): Promise<void> {
    await mergePatch(cluster, `${p}/status`, { status });
  }
  const plan = () => computePlan({ kubeConfig: c1.kubeConfig, namespace: NS, memberKubeconfig: cp.kubeconfigPath, log, aviFactory: (c) => AviClient.create({ ...c, caPem: sim.caPem, log }) });

  // cluster1: a shared Gateway in INFRA (wildcard HTTP listener and a named HTTPS listener, both open to All).
  const shared = () =>
    gateway('shared', INFRA, {
      ips: ['fd00::10', '10.30.1.10'],
      vsUuid: 'virtualservice-shared',
      listeners: [
        listener('http', 'HTTP', 80, '*.gw.example.com', { namespaces: { from: 'All' } }),
        listener('https', 'HTTPS', 443, 'secure.gw.example.com', { namespaces: { from: 'All' } }),
      ],
    });

  before(async function () {
    this.timeout(900_000);
    cp = await sharedControlPlanes();
    [c1, c2, c3] = [cp.cluster('cluster1'), cp.cluster('cluster2'), cp.cluster('cluster3')];
    await installAmkoCrds(c1);
    await removeGatewayApiCrds(c3); // absent there until the last test installs them
    await installGatewayApiCrds(c1);
    await installGatewayApiCrds(c2);
    await ensureNamespace(c1, NS);
    for (const c of [c1, c2, c3]) {
      await ensureNamespace(c, APPS);
      await ensureNamespace(c, INFRA);
    }
    const seed = defaultSeed();
    seed.tenants.push({ uuid: 'tenant-9a0e0000-0000-4000-8000-000000000016', name: 'team-gw' });
    sim = await startAviSimulator({ seed });
    reader = simReader(sim, log);
    await createAviSecret(c1, NS);
    await createGslbConfig(c1, GC_PATH, { uuid: UUID, controller: sim.host, members: [], spec: { memberClusters: memberClusters(C2_FIRST_UUID) } });
    await k(c1, 'POST', GDP_PATH, {
      apiVersion: 'amko.vmware.com/v1alpha2',
      kind: 'GlobalDeploymentPolicy',
      metadata: { name: 'gdp' },
      spec: { matchRules: { appSelector: { label: { app: APP } } }, matchClusters: [{ cluster: 'cluster1' }, { cluster: 'cluster2' }, { cluster: 'cluster3' }] },
    });
    // cluster1's controller cluster UUID: from an Ingress AKO annotated (not selected: it only tells the UUID).
    await createWithStatus(c1, ingPath(APPS), {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'ako-annotated', labels: { app: 'not-gslb' }, annotations: akoAnnotations(['other.gw.example.com']) },
      spec: { rules: [{ host: 'other.gw.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
      status: { loadBalancer: { ingress: [{ ip: '10.30.1.99', hostname: 'other.gw.example.com' }] } },
    });
    await createWithStatus(c1, gwPath(INFRA), shared());
    worker = createReconcileWorker({
      kubeConfig: c1.kubeConfig,
      namespace: NS,
      memberKubeconfig: cp.kubeconfigPath,
      log,
      leaderElection: false,
      role: false,
      memberRediscoverMs: 300,
      ...simWorkerOptions(sim, log),
    });
    await worker.start();
    await waitFor('accepted', async () => (await k(c1, 'GET', `${GC_PATH}/gc-1`)).status?.state === GC_STATE.accepted, 30_000);
  });

  after(async function () {
    this.timeout(120_000);
    await worker?.stop();
    await kTry(c1, 'DELETE', `${GDP_PATH}/gdp`);
    await kTry(c1, 'DELETE', `${GC_PATH}/gc-1`);
    for (const c of [c1, c2, c3]) {
      for (const ns of [APPS, INFRA]) await kTry(c, 'DELETE', `/api/v1/namespaces/${ns}`);
      await removeGatewayApiCrds(c);
    }
    await kTry(c1, 'DELETE', `/api/v1/namespaces/${NS}`);
    await reader?.close();
    await sim?.close();
  });

  it('the examples/gateway-api Gateway and HTTPRoute are valid against the standard-channel CRDs (server-side dry run)', async () => {
    for (const [file, collection] of [['gateway.yaml', gwPath(INFRA)], ['httproute.yaml', rtPath(APPS)]] as const) {
      const obj = YAML.parse(readFileSync(path.join(REPO_ROOT, 'examples/gateway-api', file), 'utf8'));
      const r = await kTry(c1, 'POST', `${collection}?dryRun=All`, { ...obj, metadata: { ...obj.metadata, name: `example-${obj.metadata.name}`, namespace: undefined } });
      assert.equal(r.status, 201, `${file}: ${JSON.stringify(r.json)}`);
    }
  });

  it('hostname intersection: route name under a listener wildcard, empty route side, route wildcard narrowed, no overlap and wildcard results skipped; amko plan -v says why for each', async () => {
    await createWithStatus(c1, rtPath(APPS), route('named', APPS, { hostnames: ['shop.gw.example.com'], parents: [{ gateway: 'shared', namespace: INFRA, sectionName: 'http' }], paths: [{ type: 'PathPrefix', value: '/cart' }] }));
    await createWithStatus(c1, rtPath(APPS), route('empty', APPS, { parents: [{ gateway: 'shared', namespace: INFRA, sectionName: 'https' }] }));
    await createWithStatus(c1, rtPath(APPS), route('route-wild', APPS, { hostnames: ['*.gw.example.com'], parents: [{ gateway: 'shared', namespace: INFRA, sectionName: 'https' }] }));
    await createWithStatus(c1, rtPath(APPS), route('no-overlap', APPS, { hostnames: ['shop.example.org'], parents: [{ gateway: 'shared', namespace: INFRA }] }));
    await createWithStatus(c1, rtPath(APPS), route('wild', APPS, { parents: [{ gateway: 'shared', namespace: INFRA, sectionName: 'http' }] }));
    await createWithStatus(c1, rtPath(APPS), route('unlabeled', APPS, { labels: { app: 'other' }, hostnames: ['u.gw.example.com'], parents: [{ gateway: 'shared', namespace: INFRA }] }));

    const shop = await waitFor('shop GS', () => gsByName('shop.gw.example.com'));
    assert.deepEqual(poolMembers(shop), [`10.30.1.10 ${CTRL_UUID} virtualservice-shared`], 'IPv4 first, UUIDs from the Programmed message and the annotated Ingress');
    assert.equal(shop.description, `HTTPROUTE/cluster1/${APPS}/named/shop.gw.example.com`);
    const secure = await waitFor('secure GS', () => gsByName('secure.gw.example.com'));
    assert.equal(secure.description, `HTTPROUTE/cluster1/${APPS}/empty/secure.gw.example.com,HTTPROUTE/cluster1/${APPS}/route-wild/secure.gw.example.com`);
    const hms = new Map((await reader.listHealthMonitors('*')).map((h) => [h.name, h]));
    assert.deepEqual([hms.get(pathHmName('http', 'shop.gw.example.com', '/cart'))?.monitor_port, hms.get(pathHmName('https', 'secure.gw.example.com', '/'))?.type], [80, 'HEALTH_MONITOR_HTTPS']);
    await worker.idle();
    assert.deepEqual((await reader.listGslbServices(CB, '*')).map((g) => g.name).sort(), ['secure.gw.example.com', 'shop.gw.example.com']);

    const p = await plan();
    assert.deepEqual(p.operations, [], 'the worker converged: the plan is empty');
    const lines = formatPlan(p, { verbose: true }).split('\n').filter((l) => l.includes('HTTPROUTE'));
    assert.deepEqual(lines, [
      `  skipped (no-matching-listener): HTTPROUTE cluster1/${APPS}/no-overlap: no listener of Gateway ${INFRA}/shared that admits the route has a hostname overlapping the route's`,
      `  not selected: HTTPROUTE cluster1/${APPS}/unlabeled: labels do not match the appSelector`,
      `  skipped (wildcard-hostname): HTTPROUTE cluster1/${APPS}/wild: *.gw.example.com (Gateway ${INFRA}/shared) is a wildcard, not a GSLB FQDN`,
      `  selected: HTTPROUTE cluster1/${APPS}/empty: secure.gw.example.com -> 10.30.1.10 (HTTPS port 443, paths /)`,
      `  selected: HTTPROUTE cluster1/${APPS}/named: shop.gw.example.com -> 10.30.1.10 (HTTP port 80, paths /cart)`,
      `  selected: HTTPROUTE cluster1/${APPS}/route-wild: secure.gw.example.com -> 10.30.1.10 (HTTPS port 443, paths /)`,
    ]);
  });

  it('gating: a route the Gateway has not Accepted, and a Gateway that is not Programmed, give no member; their status turning True does', async () => {
    await createWithStatus(c1, gwPath(INFRA), gateway('late', INFRA, { ips: ['10.30.2.1'], vsUuid: 'vs-late', programmed: false, listeners: [listener('l', 'HTTP', 80, 'late.gw.example.com', { namespaces: { from: 'All' } })] }));
    await createWithStatus(c1, rtPath(APPS), route('pending', APPS, { hostnames: ['pending.gw.example.com'], parents: [{ gateway: 'shared', namespace: INFRA, accepted: false }] }));
    await createWithStatus(c1, rtPath(APPS), route('late', APPS, { parents: [{ gateway: 'late', namespace: INFRA }] }));
    await new Promise((r) => setTimeout(r, 1000));
    await worker.idle();
    assert.equal(await gsByName('pending.gw.example.com'), undefined);
    assert.equal(await gsByName('late.gw.example.com'), undefined);
    const accepted = route('pending', APPS, { hostnames: ['pending.gw.example.com'], parents: [{ gateway: 'shared', namespace: INFRA }] });
    await patchStatus(c1, `${rtPath(APPS)}/pending`, accepted.status);
    await waitFor('pending GS', () => gsByName('pending.gw.example.com'));
    // Only the Gateway's status changes: the routes on it are re-evaluated.
    const programmed = gateway('late', INFRA, { ips: ['10.30.2.1'], vsUuid: 'vs-late', listeners: [] });
    await patchStatus(c1, `${gwPath(INFRA)}/late`, programmed.status);
    const late = await waitFor('late GS', () => gsByName('late.gw.example.com'));
    assert.deepEqual(poolMembers(late), [`10.30.2.1 ${CTRL_UUID} vs-late`]);
  });

  it('allowedRoutes: Same keeps out a route of another namespace; Selector admits it once its namespace gets the label; dedicated Gateways are skipped; multi-parent routes give one member per Gateway', async () => {
    await createWithStatus(c1, gwPath(INFRA), gateway('same', INFRA, { ips: ['10.30.3.1'], vsUuid: 'vs-same', listeners: [listener('l', 'HTTP', 80)] }));
    await createWithStatus(c1, gwPath(INFRA), gateway('selector', INFRA, { ips: ['10.30.3.2'], vsUuid: 'vs-sel', listeners: [listener('l', 'HTTP', 8080, undefined, { namespaces: { from: 'Selector', selector: { matchLabels: { gateway: 'selector' } } } })] }));
    await createWithStatus(c1, gwPath(INFRA), gateway('dedicated', INFRA, { ips: ['10.30.3.3'], vsUuid: 'vs-ded', annotations: { 'ako.vmware.com/dedicated-gateway-mode': 'true' }, listeners: [listener('l', 'HTTP', 80, undefined, { namespaces: { from: 'All' } })] }));
    await createWithStatus(c1, gwPath(INFRA), gateway('second', INFRA, { ips: ['10.30.3.4'], vsUuid: 'vs-second', listeners: [listener('l', 'HTTP', 80, undefined, { namespaces: { from: 'All' } })] }));
    const parents = ['same', 'selector', 'dedicated', 'second'].map((g) => ({ gateway: g, namespace: INFRA }));
    await createWithStatus(c1, rtPath(APPS), route('multi', APPS, { hostnames: ['multi.gw.example.com'], parents: [...parents, { gateway: 'shared', namespace: INFRA, sectionName: 'http' }] }));
    const gs = await waitFor('multi GS', async () => {
      const g = await gsByName('multi.gw.example.com');
      return poolMembers(g).length === 2 ? g : undefined;
    });
    assert.deepEqual(poolMembers(gs), [`10.30.1.10 ${CTRL_UUID} virtualservice-shared`, `10.30.3.4 ${CTRL_UUID} vs-second`]);
    const skipped = (await plan()).rejections.filter((r) => r.name === 'multi').map((r) => `${r.code}: ${r.reason}`);
    assert.deepEqual(skipped, [
      `no-matching-listener: no listener of Gateway ${INFRA}/same that admits the route has a hostname overlapping the route's`,
      `no-matching-listener: no listener of Gateway ${INFRA}/selector that admits the route has a hostname overlapping the route's`,
      `dedicated-gateway: Gateway ${INFRA}/dedicated is in dedicated mode (ako.vmware.com/dedicated-gateway-mode): its virtual service has no host names`,
    ]);
    // The route's namespace gets the label the Selector listener asks for: re-evaluated, a third member.
    await mergePatch(c1, `/api/v1/namespaces/${APPS}`, { metadata: { labels: { gateway: 'selector' } } });
    const three = await waitFor('selector member', async () => {
      const g = await gsByName('multi.gw.example.com');
      return poolMembers(g).length === 3 ? g : undefined;
    });
    assert.ok(poolMembers(three).includes(`10.30.3.2 ${CTRL_UUID} vs-sel`));
  });

  it('a Gateway address change is one PUT of each GslbService on it; a deleted route removes its member (and the GslbService with its last one)', async () => {
    await worker.idle();
    sim.requestLog.clear();
    const moved = shared();
    moved.status!.addresses = [{ type: 'IPAddress', value: '10.30.1.11' }];
    await patchStatus(c1, `${gwPath(INFRA)}/shared`, moved.status);
    await waitFor('shop moved', async () => poolMembers(await gsByName('shop.gw.example.com'))[0]?.startsWith('10.30.1.11 '));
    await waitFor('all moved', async () => !JSON.stringify(await reader.listGslbServices(CB, '*')).includes('10.30.1.10'));
    await worker.idle();
    // shop, secure, pending and multi are on the shared Gateway: one PUT each, nothing else.
    const names = new Map((await reader.listGslbServices(CB, '*')).map((g) => [`/api/gslbservice/${g.uuid}`, g.name]));
    const w = writes().map((e) => `${e.method} ${names.get(e.path) ?? e.path}`);
    assert.deepEqual(w.sort(), ['multi', 'pending', 'secure', 'shop'].map((n) => `PUT ${n}.gw.example.com`));

    await kTry(c1, 'DELETE', `${rtPath(APPS)}/named`);
    await waitFor('shop GS deleted', async () => (await gsByName('shop.gw.example.com')) === undefined);
    await waitFor('shop HM deleted', async () => !(await reader.listHealthMonitors('*')).some((h) => h.name === pathHmName('http', 'shop.gw.example.com', '/cart')));
    await kTry(c1, 'DELETE', `${rtPath(APPS)}/empty`);
    const secure = await waitFor('secure keeps route-wild', async () => {
      const g = await gsByName('secure.gw.example.com');
      return g && !g.description?.includes('/empty/') ? g : undefined;
    });
    assert.equal(secure.description, `HTTPROUTE/cluster1/${APPS}/route-wild/secure.gw.example.com`);
  });

  it("the tenant annotation of the Gateway's namespace moves the GslbServices of its routes to that tenant", async () => {
    const tenants = async () => new Map((await reader.listGslbServices(CB, '*')).map((g) => [g.name, String(g.tenant_ref).split('#')[1]]));
    assert.equal((await tenants()).get('late.gw.example.com'), 'admin');
    await mergePatch(c1, `/api/v1/namespaces/${INFRA}`, { metadata: { annotations: { 'ako.vmware.com/tenant-name': 'team-gw' } } });
    await waitFor('moved to team-gw', async () => {
      const t = await tenants();
      return ['late', 'pending', 'multi', 'secure'].every((n) => t.get(`${n}.gw.example.com`) === 'team-gw') && t.size === 4;
    });
  });

  it('an unknown VS UUID: the HTTPRoute member is synced by IP alone and an Event on the HTTPRoute says why; the VSUUID, then a new GSLBConfig setting, apply live', async () => {
    await createWithStatus(c2, gwPath(INFRA), gateway('edge', INFRA, { ips: ['10.30.4.1'], listeners: [listener('l', 'HTTP', 80, 'mixed.gw.example.com', { namespaces: { from: 'All' } })] }));
    await createWithStatus(c2, rtPath(APPS), route('mixed', APPS, { parents: [{ gateway: 'edge', namespace: INFRA }] }));
    const gs = await waitFor('mixed GS', () => gsByName('mixed.gw.example.com'));
    assert.deepEqual(poolMembers(gs), ['10.30.4.1 - -']);
    const events = await waitFor('IP-only Event', async () => {
      const list = (await k(c2, 'GET', `/api/v1/namespaces/${APPS}/events`)).items as Array<{ reason: string; type: string; message: string; involvedObject: { kind: string; name: string } }>;
      // (Before AKO's status was set, the route was skipped as no-ako-parent: that Event is not this one.)
      const mine = list.filter((e) => e.involvedObject.kind === 'HTTPRoute' && e.involvedObject.name === 'mixed' && e.reason === MEMBER_IP_ONLY_REASON);
      return mine.length > 0 ? mine : undefined;
    });
    assert.deepEqual(
      events.map((e) => [e.type, e.reason, e.message]),
      [
        [
          'Warning',
          MEMBER_IP_ONLY_REASON,
          `HTTPRoute ${APPS}/mixed is synced as IP-only members, without the AKO virtual service and controller cluster UUIDs: mixed.gw.example.com (Gateway ${INFRA}/edge: ` +
            'no {"VSUUID":...} in its Programmed condition message)',
        ],
      ],
    );
    // The object is synced, so it is not counted as skipped.
    assert.equal((await plan()).rejections.filter((r) => r.name === 'mixed').length, 0);

    await patchStatus(c2, `${gwPath(INFRA)}/edge`, gateway('edge', INFRA, { ips: ['10.30.4.1'], vsUuid: 'vs-edge', listeners: [] }).status);
    await waitFor('full member', async () => poolMembers(await gsByName('mixed.gw.example.com'))[0] === `10.30.4.1 ${C2_FIRST_UUID} vs-edge`);
    const gc = await k(c1, 'GET', `${GC_PATH}/gc-1`);
    await replaceSpec(c1, `${GC_PATH}/gc-1`, { ...gc.spec, memberClusters: memberClusters(C2_UUID) });
    await waitFor('new controller UUID', async () => poolMembers(await gsByName('mixed.gw.example.com'))[0] === `10.30.4.1 ${C2_UUID} vs-edge`);
  });

  it('one GslbService with an Ingress member in cluster1 and an HTTPRoute member in cluster2 for the same FQDN', async () => {
    await createWithStatus(c1, ingPath(APPS), {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'mixed', labels: { app: APP }, annotations: akoAnnotations(['mixed.gw.example.com']) },
      spec: { rules: [{ host: 'mixed.gw.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
      status: { loadBalancer: { ingress: [{ ip: '10.30.1.50', hostname: 'mixed.gw.example.com' }] } },
    });
    const gs = await waitFor('two members', async () => {
      const g = await gsByName('mixed.gw.example.com');
      return poolMembers(g).length === 2 ? g : undefined;
    });
    assert.deepEqual(poolMembers(gs), [`10.30.1.50 ${CTRL_UUID} virtualservice-mixedgwexamplecom`, `10.30.4.1 ${C2_UUID} vs-edge`]);
    assert.equal(gs.description, `HTTPROUTE/cluster2/${APPS}/mixed/mixed.gw.example.com,INGRESS/cluster1/${APPS}/mixed/mixed.gw.example.com`);
  });

  it('a cluster without the Gateway API: the source is off there (logged once); installing the CRDs turns it on without a restart', async () => {
    const offLines = () => logLines.filter((l) => l.includes('"cluster":"cluster3"') && l.includes('Gateway API (gateway.networking.k8s.io/v1) is not served'));
    assert.equal(offLines().length, 1);
    assert.equal(offLines().map((l) => JSON.parse(l).level)[0], 30, 'info');
    await installGatewayApiCrds(c3);
    await createWithStatus(c3, gwPath(INFRA), gateway('late-api', INFRA, { ips: ['10.30.5.1'], vsUuid: 'vs-c3', listeners: [listener('l', 'HTTP', 80, 'c3.gw.example.com', { namespaces: { from: 'All' } })] }));
    await createWithStatus(c3, rtPath(APPS), route('c3', APPS, { parents: [{ gateway: 'late-api', namespace: INFRA }] }));
    const gs = await waitFor('cluster3 GS', () => gsByName('c3.gw.example.com'), 30_000);
    assert.deepEqual(poolMembers(gs), [`10.30.5.1 ${C3_UUID} vs-c3`]);
    assert.equal(offLines().length, 1, 'logged once');
  });
});
