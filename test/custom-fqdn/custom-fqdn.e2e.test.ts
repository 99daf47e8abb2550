// Custom global FQDNs through AKO HostRules, end to end: real kube-apiservers
// (cluster1 = AMKO's own cluster, cluster2 and cluster3 = members serving
// ako.vmware.com/v1beta1 hostrules), the reconcile worker, and the Avi simulator.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AviClient } from '../../src/avi/client.js';
import type { GslbService } from '../../src/avi/types.js';
import { createLogger } from '../../src/log.js';
import { createReconcileWorker, type StandaloneWorker } from '../../src/controllers.js';
import { pathHmName } from '../../src/reconcile/desired/healthmonitors.js';
import { sharedControlPlanes } from '../harness/shared.js';
import type { ClusterHandle, ControlPlanes } from '../harness/control-plane.js';
import { startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import { akoAnnotations } from '../reconcile/fixtures.js';
import {
  createAviSecret,
  createGslbConfig,
  createWithStatus,
  ensureNamespace,
  k,
  kTry,
  mergePatch,
  replaceSpec,
  schemalessCrd,
  simReader,
  simWorkerOptions,
  waitFor,
} from '../reconcile/e2e-helpers.js';
import { installAmkoCrds, installCrds } from '../federation/support.js';

const ID = randomBytes(3).toString('hex');
const AMKO_NS = `cf-amko-${ID}`;
const APP_NS = `cf-app-${ID}`;
const UUID = `c0ffee00-0000-4000-8000-${ID}000000`;
const CB = `amko-${UUID}`;
const APP = 'cf-e2e';
const GC_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${AMKO_NS}/gslbconfigs`;
const GDP_PATH = `/apis/amko.vmware.com/v1alpha2/namespaces/${AMKO_NS}/globaldeploymentpolicies`;
const HR_PATH = `/apis/ako.vmware.com/v1beta1/namespaces/${APP_NS}/hostrules`;
const ING_PATH = `/apis/networking.k8s.io/v1/namespaces/${APP_NS}/ingresses`;
const log = createLogger({ level: process.env.AMKO_TEST_VERBOSE ? 'debug' : 'silent' });

const HOSTRULE_CRD = schemalessCrd('ako.vmware.com', 'v1beta1', {
  kind: 'HostRule',
  listKind: 'HostRuleList',
  plural: 'hostrules',
  singular: 'hostrule',
  shortNames: ['hostrule', 'hr'],
});

function ingress(name: string, host: string, ip: string, opts: { tls?: boolean; annotations?: Record<string, string> } = {}) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, labels: { app: APP }, annotations: { ...akoAnnotations([host]), ...opts.annotations } },
    spec: {
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      ...(opts.tls ? { tls: [{ hosts: [host], secretName: 'tls' }] } : {}),
    },
    status: { loadBalancer: { ingress: [{ ip, hostname: host }] } },
  };
}

interface HrSpec {
  fqdn: string;
  gslb?: string;
  includeAliases?: boolean;
  aliases?: string[];
  tlsCert?: string;
}
function hostRuleSpec(s: HrSpec) {
  return {
    virtualhost: {
      fqdn: s.fqdn,
      ...(s.aliases ? { aliases: s.aliases } : {}),
      ...(s.gslb !== undefined ? { gslb: { fqdn: s.gslb, includeAliases: s.includeAliases ?? false } } : {}),
      ...(s.tlsCert ? { tls: { sslKeyCertificate: { name: s.tlsCert, type: 'ref' } } } : {}),
    },
  };
}

describe('custom global FQDNs through AKO HostRules (worker + Avi simulator)', function () {
  this.timeout(60_000);
  let cp: ControlPlanes;
  let c1: ClusterHandle;
  let c2: ClusterHandle;
  let c3: ClusterHandle;
  let sim: AviSimulator;
  let reader: AviClient;
  let worker: StandaloneWorker;

  const gsList = async () => (await reader.listGslbServices(CB, '*')).filter((g) => g.created_by === CB);
  /** name → [sorted domain names, sorted member IPs] of every GslbService this instance owns. */
  async function gsView(): Promise<Record<string, { domains: string[]; ips: string[] }>> {
    const out: Record<string, { domains: string[]; ips: string[] }> = {};
    for (const g of await gsList()) out[g.name] = { domains: [...g.domain_names].sort(), ips: ips(g) };
    return out;
  }
  const ips = (g: GslbService) => (g.groups ?? []).flatMap((x) => x.members.map((m) => m.ip.addr)).sort();
  async function expectView(want: Record<string, { domains: string[]; ips: string[] }>, what: string): Promise<void> {
    await waitFor(what, async () => {
      await worker.idle();
      const got = await gsView();
      assert.deepEqual(got, want);
      return true;
    });
  }
  const hmNames = async () => (await reader.listHealthMonitors('*')).map((h) => h.name).sort();

  async function putHostRule(c: ClusterHandle, name: string, spec: HrSpec, status = 'Accepted'): Promise<void> {
    const cur = await kTry(c, 'GET', `${HR_PATH}/${name}`);
    if (cur.status === 404) {
      await createWithStatus(c, HR_PATH, {
        apiVersion: 'ako.vmware.com/v1beta1',
        kind: 'HostRule',
        metadata: { name },
        spec: hostRuleSpec(spec),
        status: { status },
      });
      return;
    }
    await replaceSpec(c, `${HR_PATH}/${name}`, hostRuleSpec(spec));
    if (cur.json.status?.status !== status) await mergePatch(c, `${HR_PATH}/${name}/status`, { status: { status } });
  }
  const setHrStatus = (c: ClusterHandle, name: string, status: string) => mergePatch(c, `${HR_PATH}/${name}/status`, { status: { status } });

  async function setCustomMode(on: boolean): Promise<void> {
    const gc = await k(c1, 'GET', `${GC_PATH}/gc-1`);
    await replaceSpec(c1, `${GC_PATH}/gc-1`, { ...gc.spec, useCustomGlobalFqdn: on });
  }

  before(async function () {
    this.timeout(30 * 60_000);
    cp = await sharedControlPlanes();
    [c1, c2, c3] = [cp.cluster('cluster1'), cp.cluster('cluster2'), cp.cluster('cluster3')];
    await installAmkoCrds(cp, ['cluster1']);
    await installCrds(cp, [JSON.stringify(HOSTRULE_CRD)], ['hostrules.ako.vmware.com'], ['cluster2', 'cluster3']);
    await ensureNamespace(c1, AMKO_NS);
    for (const c of [c2, c3]) await ensureNamespace(c, APP_NS);
    sim = await startAviSimulator();
    reader = simReader(sim, log);
    await createAviSecret(c1, AMKO_NS);
    await createGslbConfig(c1, GC_PATH, { uuid: UUID, controller: sim.host, members: ['cluster2', 'cluster3'], spec: { useCustomGlobalFqdn: true } });
    await k(c1, 'POST', GDP_PATH, {
      apiVersion: 'amko.vmware.com/v1alpha2',
      kind: 'GlobalDeploymentPolicy',
      metadata: { name: 'gdp' },
      spec: { matchRules: { appSelector: { label: { app: APP } } }, matchClusters: [{ cluster: 'cluster2' }, { cluster: 'cluster3' }] },
    });
    // Objects first, HostRules later: nothing is selected without a mapping.
    await createWithStatus(c2, ING_PATH, ingress('web-a', 'a.c2.local', '10.2.0.1'));
    await createWithStatus(c2, ING_PATH, ingress('web-b', 'b.c2.local', '10.2.0.2'));
    await createWithStatus(c3, ING_PATH, ingress('web-a', 'a.c3.local', '10.3.0.1'));
    await createWithStatus(c3, ING_PATH, ingress('pt', 'pt.c3.local', '10.3.0.9', { annotations: { 'passthrough.ako.vmware.com/enabled': 'true' } }));
    worker = createReconcileWorker({
      kubeConfig: c1.kubeConfig,
      namespace: AMKO_NS,
      memberKubeconfig: cp.kubeconfigPath,
      log,
      leaderElection: false,
      ...simWorkerOptions(sim, log),
    });
    await worker.start();
  });

  after(async function () {
    this.timeout(60_000);
    await worker?.stop();
    for (const c of [c2, c3]) {
      for (const p of [HR_PATH, ING_PATH]) {
        const list = await kTry(c, 'GET', p);
        for (const o of list.json?.items ?? []) await kTry(c, 'DELETE', `${p}/${o.metadata.name}`);
      }
    }
    for (const p of [GDP_PATH, GC_PATH]) await kTry(c1, 'DELETE', `${p}/${p === GC_PATH ? 'gc-1' : 'gdp'}`);
    await reader?.close();
    await sim?.close();
  });

  it('selects nothing without a HostRule mapping', async function () {
    await waitFor('worker connected', async () => {
      await worker.idle();
      return worker.snapshot().clusters.every((c) => c.ready) && worker.snapshot().clusters.length === 2;
    });
    await expectView({}, 'no GslbService');
  });

  it('names the GslbService after the global FQDN of an Accepted HostRule', async function () {
    await putHostRule(c2, 'hr-a', { fqdn: 'a.c2.local', gslb: 'app.global.example.com' });
    await expectView({ 'app.global.example.com': { domains: ['app.global.example.com'], ips: ['10.2.0.1'] } }, 'app.global GS');
    const gs = (await gsList())[0]!;
    assert.equal(gs.description, `INGRESS/cluster2/${APP_NS}/web-a/a.c2.local`);
  });

  it('maps several local FQDNs and clusters to one global FQDN', async function () {
    await putHostRule(c2, 'hr-b', { fqdn: 'b.c2.local', gslb: 'app.global.example.com' });
    await putHostRule(c3, 'hr-a', { fqdn: 'a.c3.local', gslb: 'app.global.example.com' });
    await expectView(
      { 'app.global.example.com': { domains: ['app.global.example.com'], ips: ['10.2.0.1', '10.2.0.2', '10.3.0.1'] } },
      'three members in app.global',
    );
  });

  it('adds HostRule aliases only with includeAliases, and never gives one alias to two GslbServices', async function () {
    await putHostRule(c2, 'hr-a', { fqdn: 'a.c2.local', gslb: 'app.global.example.com', includeAliases: false, aliases: ['www.example.com'] });
    await new Promise((r) => setTimeout(r, 300));
    await expectView(
      { 'app.global.example.com': { domains: ['app.global.example.com'], ips: ['10.2.0.1', '10.2.0.2', '10.3.0.1'] } },
      'aliases ignored without includeAliases',
    );
    await putHostRule(c2, 'hr-a', { fqdn: 'a.c2.local', gslb: 'app.global.example.com', includeAliases: true, aliases: ['www.example.com'] });
    await expectView(
      { 'app.global.example.com': { domains: ['app.global.example.com', 'www.example.com'], ips: ['10.2.0.1', '10.2.0.2', '10.3.0.1'] } },
      'alias added',
    );
    // A newer HostRule mapping b.c2.local elsewhere claims the same alias plus its own: only its own is used.
    await putHostRule(c2, 'hr-b', {
      fqdn: 'b.c2.local',
      gslb: 'shop.global.example.com',
      includeAliases: true,
      aliases: ['www.example.com', 'shop.example.com'],
    });
    await expectView(
      {
        'app.global.example.com': { domains: ['app.global.example.com', 'www.example.com'], ips: ['10.2.0.1', '10.3.0.1'] },
        'shop.global.example.com': { domains: ['shop.example.com', 'shop.global.example.com'], ips: ['10.2.0.2'] },
      },
      'duplicate alias kept by the older HostRule',
    );
    // includeAliases flipped off: app.global drops the alias, and the remaining claimant now gets it.
    await putHostRule(c2, 'hr-a', { fqdn: 'a.c2.local', gslb: 'app.global.example.com', includeAliases: false, aliases: ['www.example.com'] });
    await expectView(
      {
        'app.global.example.com': { domains: ['app.global.example.com'], ips: ['10.2.0.1', '10.3.0.1'] },
        'shop.global.example.com': { domains: ['shop.example.com', 'shop.global.example.com', 'www.example.com'], ips: ['10.2.0.2'] },
      },
      'alias moves on includeAliases=false',
    );
  });

  it('moves members on a global FQDN change and deletes the GslbService left empty', async function () {
    await putHostRule(c2, 'hr-b', { fqdn: 'b.c2.local', gslb: 'moved.global.example.com' });
    await expectView(
      {
        'app.global.example.com': { domains: ['app.global.example.com'], ips: ['10.2.0.1', '10.3.0.1'] },
        'moved.global.example.com': { domains: ['moved.global.example.com'], ips: ['10.2.0.2'] },
      },
      'shop.global gone, moved.global created',
    );
  });

  it('follows HostRule rejection and acceptance', async function () {
    await setHrStatus(c3, 'hr-a', 'Rejected');
    await expectView(
      {
        'app.global.example.com': { domains: ['app.global.example.com'], ips: ['10.2.0.1'] },
        'moved.global.example.com': { domains: ['moved.global.example.com'], ips: ['10.2.0.2'] },
      },
      'cluster3 member removed',
    );
    await setHrStatus(c2, 'hr-b', 'Rejected');
    await expectView({ 'app.global.example.com': { domains: ['app.global.example.com'], ips: ['10.2.0.1'] } }, 'moved.global deleted');
    await setHrStatus(c3, 'hr-a', 'Accepted');
    await setHrStatus(c2, 'hr-b', 'Accepted');
    await expectView(
      {
        'app.global.example.com': { domains: ['app.global.example.com'], ips: ['10.2.0.1', '10.3.0.1'] },
        'moved.global.example.com': { domains: ['moved.global.example.com'], ips: ['10.2.0.2'] },
      },
      'members back',
    );
  });

  it('toggles TLS (HTTPS health monitors) with the HostRule certificate', async function () {
    const httpHm = pathHmName('http', 'moved.global.example.com', '/');
    const httpsHm = pathHmName('https', 'moved.global.example.com', '/');
    await waitFor('http monitor', async () => (await hmNames()).includes(httpHm));
    await putHostRule(c2, 'hr-b', { fqdn: 'b.c2.local', gslb: 'moved.global.example.com', tlsCert: 'moved-cert' });
    await waitFor('https monitor', async () => {
      await worker.idle();
      const n = await hmNames();
      return n.includes(httpsHm) && !n.includes(httpHm);
    });
    const gs = (await gsList()).find((g) => g.name === 'moved.global.example.com')!;
    assert.deepEqual(gs.health_monitor_refs?.map((r) => r.split('name=')[1] ?? r).length, 1);
    await putHostRule(c2, 'hr-b', { fqdn: 'b.c2.local', gslb: 'moved.global.example.com' });
    await waitFor('http monitor back', async () => {
      await worker.idle();
      const n = await hmNames();
      return n.includes(httpHm) && !n.includes(httpsHm);
    });
  });

  it('excludes passthrough objects even when a HostRule maps them', async function () {
    await putHostRule(c3, 'hr-pt', { fqdn: 'pt.c3.local', gslb: 'pt.global.example.com' });
    await new Promise((r) => setTimeout(r, 500));
    await expectView(
      {
        'app.global.example.com': { domains: ['app.global.example.com'], ips: ['10.2.0.1', '10.3.0.1'] },
        'moved.global.example.com': { domains: ['moved.global.example.com'], ips: ['10.2.0.2'] },
      },
      'no passthrough GS',
    );
  });

  it('switches useCustomGlobalFqdn live: the GslbServices of the old naming are replaced', async function () {
    await putHostRule(c2, 'hr-a', { fqdn: 'a.c2.local', gslb: 'app.global.example.com', includeAliases: false, aliases: ['www.example.com'] });
    await setCustomMode(false);
    // Default mode: local names, every selected object (passthrough included), HostRule aliases of the host regardless of includeAliases.
    await expectView(
      {
        'a.c2.local': { domains: ['a.c2.local', 'www.example.com'], ips: ['10.2.0.1'] },
        'b.c2.local': { domains: ['b.c2.local'], ips: ['10.2.0.2'] },
        'a.c3.local': { domains: ['a.c3.local'], ips: ['10.3.0.1'] },
        'pt.c3.local': { domains: ['pt.c3.local'], ips: ['10.3.0.9'] },
      },
      'default naming',
    );
    await setCustomMode(true);
    await expectView(
      {
        'app.global.example.com': { domains: ['app.global.example.com'], ips: ['10.2.0.1', '10.3.0.1'] },
        'moved.global.example.com': { domains: ['moved.global.example.com'], ips: ['10.2.0.2'] },
      },
      'custom naming again',
    );
  });
});
