// The generated CRDs and the webhook's rules agree: one table of manifests is
// (a) created (dry run) on a real kube-apiserver that has ONLY the generated
// CRDs installed (no webhook), and (b) run through what the webhook does
// (defaults, then validate() without a cluster view: schema + single-object
// rules). Both must accept, or both must reject, each manifest.
// Cross-object rules (namespace, singletons, member clusters, duplicate fqdn)
// are not part of the CRDs and not in this table.
import assert from 'node:assert/strict';
import { startControlPlanes, clusterRequest, type ClusterHandle, type ControlPlanes } from '../harness/control-plane.js';
import { GROUP } from '../../src/api/common.js';
import { KINDS, type KindName } from '../../src/api/kinds.js';
import { buildCrds } from '../../src/api/crd.js';
import { defaults, validate } from '../../src/rules/index.js';

type Spec = Record<string, unknown>;
interface Case {
  kind: KindName;
  name: string;
  spec: Spec;
  ok: boolean;
}

const GC: Spec = {
  gslbLeader: { credentials: 'gslb-avi-secret', controllerVersion: '22.1.3', controllerIP: '10.10.10.10' },
  memberClusters: [{ clusterContext: 'cluster1-admin' }, { clusterContext: 'cluster2-admin' }],
  refreshInterval: 1800,
  logLevel: 'INFO',
};
const GDP: Spec = {
  matchRules: { appSelector: { label: { app: 'gslb' } }, namespaceSelector: { label: { ns: 'gslb' } } },
  matchClusters: [{ cluster: 'cluster1-admin' }, { cluster: 'cluster2-admin' }],
  trafficSplit: [
    { cluster: 'cluster1-admin', weight: 8 },
    { cluster: 'cluster2-admin', weight: 2 },
  ],
  ttl: 10,
};
const GHR: Spec = {
  fqdn: 'foo.avi.internal',
  thirdPartyMembers: [{ site: 'non-avi-site', vip: '10.10.10.10' }],
  healthMonitorRefs: ['hm1', 'hm2'],
  trafficSplit: [
    { cluster: 'k8s', weight: 15 },
    { cluster: 'oshift', weight: 5 },
  ],
  ttl: 30,
  poolAlgorithmSettings: {
    lbAlgorithm: 'GSLB_ALGORITHM_GEO',
    geoFallback: { lbAlgorithm: 'GSLB_ALGORITHM_CONSISTENT_HASH', hashMask: 10 },
  },
};
const AC: Spec = { isLeader: true, clusterContext: 'cluster1-admin', version: '1.6.1', clusters: ['cluster1-admin', 'cluster2-admin'] };

const CH = 'GSLB_ALGORITHM_CONSISTENT_HASH';
const GEO = 'GSLB_ALGORITHM_GEO';
const RR = 'GSLB_ALGORITHM_ROUND_ROBIN';
const FIP = 'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP';

const c = (kind: KindName, base: Spec) => (name: string, patch: Spec, ok: boolean): Case => ({ kind, name, spec: { ...structuredClone(base), ...patch }, ok });
const gc = c('GSLBConfig', GC);
const gdp = c('GlobalDeploymentPolicy', GDP);
const ghr = c('GSLBHostRule', GHR);
const ac = c('AMKOCluster', AC);
const leader = (l: Spec) => ({ gslbLeader: { ...(GC.gslbLeader as Spec), ...l } });

export const CASES: Case[] = [
  // GSLBConfig
  gc('the captured gc-1', {}, true),
  gc('controllerIP host:port', leader({ controllerIP: 'avi.example.com:8443' }), true),
  gc('controllerIP [IPv6]:port', leader({ controllerIP: '[fd00::10]:443' }), true),
  gc('controllerIP bare IPv6', leader({ controllerIP: 'fd00::10' }), false),
  gc('controllerIP bad IPv4', leader({ controllerIP: '10.10.10.256' }), false),
  gc('controllerIP port 0', leader({ controllerIP: '10.10.10.10:0' }), false),
  gc('controllerIP port 65536', leader({ controllerIP: '10.10.10.10:65536' }), false),
  gc('controllerIP with a path', leader({ controllerIP: 'https://avi/' }), false),
  gc('controllerIP empty', leader({ controllerIP: '' }), false),
  gc('controllerIP missing', { gslbLeader: { credentials: 'gslb-avi-secret' } }, false),
  gc('credentials not a Secret name', leader({ credentials: 'Gslb_Secret' }), false),
  gc('controllerVersion 30.2.1-9000', leader({ controllerVersion: '30.2.1-9000' }), true),
  gc('controllerVersion 22.1', leader({ controllerVersion: '22.1' }), false),
  gc('logLevel TRACE', { logLevel: 'TRACE' }, false),
  gc('refreshInterval 0', { refreshInterval: 0 }, false),
  gc('refreshInterval 86400 (a day)', { refreshInterval: 86_400 }, true),
  gc('refreshInterval 86401', { refreshInterval: 86_401 }, false),
  gc('refreshInterval 3000000', { refreshInterval: 3_000_000 }, false),
  gc('duplicate member cluster', { memberClusters: [{ clusterContext: 'a' }, { clusterContext: 'a' }] }, false),
  gc('member cluster without clusterContext', { memberClusters: [{}] }, false),
  gc('no memberClusters, defaults only', { memberClusters: undefined, refreshInterval: undefined, logLevel: undefined }, true),

  // GlobalDeploymentPolicy
  gdp('the captured global-gdp', {}, true),
  gdp('trafficSplit weight 25 (the captured bad-gdp)', { trafficSplit: [{ cluster: 'cluster1-admin', weight: 25 }] }, false),
  gdp('trafficSplit weight 0', { trafficSplit: [{ cluster: 'cluster1-admin', weight: 0 }] }, false),
  gdp('trafficSplit priority 101', { trafficSplit: [{ cluster: 'cluster1-admin', priority: 101 }] }, false),
  gdp('trafficSplit priority 0', { trafficSplit: [{ cluster: 'cluster1-admin', priority: 0 }] }, true),
  gdp('trafficSplit duplicate cluster', { trafficSplit: [{ cluster: 'a', weight: 1 }, { cluster: 'a', weight: 2 }] }, false),
  gdp('trafficSplit entry without cluster', { trafficSplit: [{ weight: 2 }] }, false),
  gdp('matchClusters duplicate', { matchClusters: [{ cluster: 'a' }, { cluster: 'a' }] }, false),
  gdp('matchClusters syncVipOnly', { matchClusters: [{ cluster: 'a', syncVipOnly: true }] }, true),
  gdp('ttl 0', { ttl: 0 }, false),
  gdp('ttl 86400', { ttl: 86400 }, true),
  gdp('ttl 86401', { ttl: 86401 }, false),
  gdp('no selectors (selects nothing, allowed)', { matchRules: undefined }, true),
  gdp('label value empty', { matchRules: { appSelector: { label: { app: '' } } } }, false),
  gdp('label value with a space', { matchRules: { appSelector: { label: { app: 'a b' } } } }, false),
  gdp('label value 64 characters', { matchRules: { appSelector: { label: { app: 'a'.repeat(64) } } } }, false),
  gdp('label key with prefix', { matchRules: { namespaceSelector: { label: { 'example.com/tier': 'web' } } } }, true),
  gdp('label key with an uppercase prefix', { matchRules: { namespaceSelector: { label: { 'Example.com/tier': 'web' } } } }, false),
  gdp('label key with two slashes', { matchRules: { namespaceSelector: { label: { 'a/b/c': 'web' } } } }, false),
  gdp('label key empty', { matchRules: { namespaceSelector: { label: { '': 'web' } } } }, false),
  gdp('two labels (warning only)', { matchRules: { appSelector: { label: { app: 'a', tier: 'b' } } } }, true),
  gdp('healthMonitorRefs and template', { healthMonitorRefs: ['hm1'], healthMonitorTemplate: 'tmpl' }, false),
  gdp('empty healthMonitorRefs and template', { healthMonitorRefs: [], healthMonitorTemplate: 'tmpl' }, true),
  gdp('duplicate healthMonitorRefs', { healthMonitorRefs: ['hm1', 'hm1'] }, false),
  gdp('healthMonitorTemplate empty', { healthMonitorTemplate: '' }, false),
  gdp('sitePersistenceRef empty', { sitePersistenceRef: '' }, false),
  gdp('pkiProfileRef with sitePersistenceRef', { sitePersistenceRef: 'sp', pkiProfileRef: 'pki' }, true),
  gdp('pool CONSISTENT_HASH with hashMask', { poolAlgorithmSettings: { lbAlgorithm: CH, hashMask: 8 } }, true),
  gdp('pool CONSISTENT_HASH without hashMask', { poolAlgorithmSettings: { lbAlgorithm: CH } }, false),
  gdp('pool hashMask 32', { poolAlgorithmSettings: { lbAlgorithm: CH, hashMask: 32 } }, false),
  gdp('pool ROUND_ROBIN with hashMask', { poolAlgorithmSettings: { lbAlgorithm: RR, hashMask: 8 } }, false),
  gdp('pool TOPOLOGY with geoFallback', { poolAlgorithmSettings: { lbAlgorithm: 'GSLB_ALGORITHM_TOPOLOGY', geoFallback: { lbAlgorithm: RR } } }, false),
  gdp('pool GEO without geoFallback', { poolAlgorithmSettings: { lbAlgorithm: GEO } }, false),
  gdp('pool GEO with hashMask', { poolAlgorithmSettings: { lbAlgorithm: GEO, hashMask: 4, geoFallback: { lbAlgorithm: RR } } }, false),
  gdp('pool GEO fallback RR', { poolAlgorithmSettings: { lbAlgorithm: GEO, geoFallback: { lbAlgorithm: RR } } }, true),
  gdp('pool GEO fallback RR with hashMask', { poolAlgorithmSettings: { lbAlgorithm: GEO, geoFallback: { lbAlgorithm: RR, hashMask: 3 } } }, false),
  gdp('pool GEO fallback CH without hashMask', { poolAlgorithmSettings: { lbAlgorithm: GEO, geoFallback: { lbAlgorithm: CH } } }, false),
  gdp('pool GEO fallback GEO', { poolAlgorithmSettings: { lbAlgorithm: GEO, geoFallback: { lbAlgorithm: GEO } } }, false),
  gdp('pool without lbAlgorithm (defaulted to ROUND_ROBIN)', { poolAlgorithmSettings: {} }, true),
  gdp('pool unknown algorithm', { poolAlgorithmSettings: { lbAlgorithm: 'GSLB_ALGORITHM_RANDOM' } }, false),
  gdp('downResponse FALLBACK_IP with IP', { downResponse: { type: FIP, fallbackIP: '10.1.1.1' } }, true),
  gdp('downResponse FALLBACK_IP with IPv6', { downResponse: { type: FIP, fallbackIP: '2001:db8::1' } }, true),
  gdp('downResponse FALLBACK_IP without IP', { downResponse: { type: FIP } }, false),
  gdp('downResponse FALLBACK_IP with "INVALID"', { downResponse: { type: FIP, fallbackIP: 'INVALID' } }, false),
  gdp('downResponse NONE with fallbackIP', { downResponse: { type: 'GSLB_SERVICE_DOWN_RESPONSE_NONE', fallbackIP: '10.1.1.1' } }, false),
  gdp('downResponse EMPTY', { downResponse: { type: 'GSLB_SERVICE_DOWN_RESPONSE_EMPTY' } }, true),
  gdp('downResponse without type', { downResponse: { fallbackIP: '10.1.1.1' } }, false),
  gdp('defaultDomain', { defaultDomain: 'apps.example.com' }, true),
  gdp('defaultDomain with a leading dot', { defaultDomain: '.apps.example.com' }, true),
  gdp('defaultDomain uppercase', { defaultDomain: 'Apps.Example.com' }, false),
  gdp('controlPlaneHmOnly', { controlPlaneHmOnly: true }, true),

  // GSLBHostRule
  ghr('the captured gslb-host-rule-1', {}, true),
  ghr('fqdn empty', { fqdn: '' }, false),
  ghr('fqdn one label', { fqdn: 'foo' }, false),
  ghr('fqdn wildcard', { fqdn: '*.avi.internal' }, true),
  ghr('fqdn with underscore', { fqdn: 'foo_bar.avi.internal' }, false),
  ghr('fqdn label of 64 characters', { fqdn: `${'a'.repeat(64)}.avi.internal` }, false),
  ghr('thirdPartyMember vip not an IP', { thirdPartyMembers: [{ site: 's', vip: 'ten' }] }, false),
  ghr('thirdPartyMember vip IPv6', { thirdPartyMembers: [{ site: 's', vip: 'fd00::1' }] }, true),
  ghr('thirdPartyMember vip with zone', { thirdPartyMembers: [{ site: 's', vip: 'fe80::1%eth0' }] }, false),
  ghr('thirdPartyMember publicIP not an IP', { thirdPartyMembers: [{ site: 's', vip: '10.0.0.1', publicIP: 'x' }] }, false),
  ghr('thirdPartyMember without site', { thirdPartyMembers: [{ vip: '10.0.0.1' }] }, false),
  ghr('site persistence with profile', { thirdPartyMembers: undefined, sitePersistence: { enabled: true, profileRef: 'gap-1' } }, true),
  ghr('site persistence enabled without profile', { thirdPartyMembers: undefined, sitePersistence: { enabled: true } }, false),
  ghr('site persistence disabled without profile', { sitePersistence: { enabled: false } }, true),
  ghr('site persistence enabled with thirdPartyMembers', { sitePersistence: { enabled: true, profileRef: 'gap-1' } }, false),
  ghr('trafficSplit weight 21', { trafficSplit: [{ cluster: 'k8s', weight: 21 }] }, false),
  ghr('trafficSplit priority 100', { trafficSplit: [{ cluster: 'k8s', priority: 100 }] }, true),
  ghr('trafficSplit duplicate cluster', { trafficSplit: [{ cluster: 'k8s' }, { cluster: 'k8s' }] }, false),
  ghr('publicIP', { publicIP: [{ cluster: 'k8s', ip: '1.2.3.4' }] }, true),
  ghr('publicIP not an IP', { publicIP: [{ cluster: 'k8s', ip: '1.2.3' }] }, false),
  ghr('publicIP duplicate cluster', { publicIP: [{ cluster: 'k8s', ip: '1.2.3.4' }, { cluster: 'k8s', ip: '1.2.3.5' }] }, false),
  ghr('publicIP without ip', { publicIP: [{ cluster: 'k8s' }] }, false),
  ghr('healthMonitorTemplate with refs', { healthMonitorTemplate: 't' }, false),
  ghr('pool GEO fallback CH without hashMask', { poolAlgorithmSettings: { lbAlgorithm: GEO, geoFallback: { lbAlgorithm: CH } } }, false),
  ghr('pool without lbAlgorithm', { poolAlgorithmSettings: { hashMask: 4 } }, false),
  ghr('downResponse FALLBACK_IP "INVALID"', { downResponse: { type: FIP, fallbackIP: 'INVALID' } }, false),
  ghr('ttl 0', { ttl: 0 }, false),

  // AMKOCluster
  ac('the captured amkocluster-federation', {}, true),
  ac('clusterContext not in clusters', { clusterContext: 'cluster3-admin' }, false),
  ac('no clusters', { clusters: undefined }, false),
  ac('version empty', { version: '' }, false),
  ac('clusterContext missing', { clusterContext: undefined }, false),
  ac('duplicate clusters', { clusters: ['cluster1-admin', 'cluster1-admin'] }, false),
];

/** The object as a client would send it (undefined fields dropped). */
function manifest(cs: Case, i: number): Record<string, unknown> {
  const k = KINDS[cs.kind];
  return JSON.parse(
    JSON.stringify({
      apiVersion: `${GROUP}/${k.version}`,
      kind: cs.kind,
      metadata: { name: `case-${i}`, namespace: 'avi-system' },
      spec: cs.spec,
    }),
  ) as Record<string, unknown>;
}

interface Verdict {
  ok: boolean;
  detail: string;
}

async function apiServerVerdict(cluster: ClusterHandle, cs: Case, i: number): Promise<Verdict> {
  const k = KINDS[cs.kind];
  const r = await clusterRequest(
    cluster,
    'POST',
    `/apis/${GROUP}/${k.version}/namespaces/avi-system/${k.plural}?dryRun=All&fieldValidation=Ignore`,
    manifest(cs, i),
  );
  if (r.status === 201) return { ok: true, detail: '' };
  assert.equal(r.status, 422, `unexpected answer ${r.status}: ${r.body}`);
  return { ok: false, detail: (r.json as { message?: string }).message ?? r.body };
}

function webhookVerdict(cs: Case, i: number): Verdict {
  const m = manifest(cs, i);
  const res = validate(cs.kind, defaults(cs.kind, m, { operation: 'CREATE', newUuid: () => '0b4a8e0c-6f0c-11ee-b962-0242ac120002' }), {
    operation: 'CREATE',
    unknownFields: 'ignore',
  });
  assert.equal(res.forbidden, undefined, 'no policy denial without a cluster view');
  return { ok: res.errors.length === 0, detail: res.errors.map((e) => `${e.field}: ${e.type}`).join('; ') };
}

describe('CRDs vs webhook rules: the same manifests are accepted or rejected by both (real kube-apiserver, CRDs only)', function () {
  this.timeout(120_000);
  let cp: ControlPlanes;
  let cluster: ClusterHandle;

  before(async function () {
    this.timeout(60 * 60_000); // a fresh machine builds the tools first
    // A private API server: other test files register webhooks in the shared ones.
    cp = await startControlPlanes({ clusters: 1 });
    cluster = cp.clusters[0]!;
    for (const crd of buildCrds()) {
      const r = await clusterRequest(cluster, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
      assert.equal(r.status, 201, `creating ${crd.metadata.name}: ${r.body}`);
    }
    // Wait until every CRD is Established and its resource answers.
    for (const crd of buildCrds()) {
      const v = crd.spec.versions[0]!.name;
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = await clusterRequest(cluster, 'GET', `/apis/${GROUP}/${v}/namespaces/avi-system/${crd.spec.names.plural}`);
        if (r.status === 200) break;
        if (Date.now() > deadline) throw new Error(`${crd.metadata.name} not served: ${r.status} ${r.body}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  });

  after(async function () {
    await cp?.stop();
  });

  it(`covers ${CASES.length} manifests of all four kinds, valid and invalid`, () => {
    for (const kind of ['GSLBConfig', 'GlobalDeploymentPolicy', 'GSLBHostRule', 'AMKOCluster'] as const) {
      assert.ok(CASES.some((x) => x.kind === kind && x.ok) && CASES.some((x) => x.kind === kind && !x.ok), kind);
    }
  });

  CASES.forEach((cs, i) => {
    it(`${cs.kind}: ${cs.name} -> ${cs.ok ? 'accepted' : 'rejected'} by both`, async () => {
      const server = await apiServerVerdict(cluster, cs, i);
      const hook = webhookVerdict(cs, i);
      assert.equal(server.ok, cs.ok, `kube-apiserver ${server.ok ? 'accepted' : `rejected: ${server.detail}`}`);
      assert.equal(hook.ok, cs.ok, `webhook rules ${hook.ok ? 'accepted' : `rejected: ${hook.detail}`}`);
    });
  });

  it('reports CEL failures with the field path and message of the rule', async () => {
    const cs = gdp('x', { poolAlgorithmSettings: { lbAlgorithm: CH } }, false);
    const v = await apiServerVerdict(cluster, cs, 9999);
    assert.match(v.detail, /spec\.poolAlgorithmSettings\.hashMask: Required value: required when lbAlgorithm is GSLB_ALGORITHM_CONSISTENT_HASH/);
    const w = await apiServerVerdict(cluster, ghr('y', { thirdPartyMembers: [{ site: 's', vip: 'ten' }] }, false), 9998);
    assert.match(w.detail, /spec\.thirdPartyMembers\[0\]\.vip: Invalid value: "ten": must be a valid IPv4 or IPv6 address/);
  });

  it('applies the schema defaults (weight 1, priority 10, round robin, refreshInterval 1800, logLevel INFO)', async () => {
    const gdpRes = await clusterRequest(
      cluster,
      'POST',
      `/apis/${GROUP}/v1alpha2/namespaces/avi-system/globaldeploymentpolicies?dryRun=All`,
      manifest(gdp('d', { trafficSplit: [{ cluster: 'c1' }] }, true), 9000),
    );
    assert.equal(gdpRes.status, 201, gdpRes.body);
    const spec = (gdpRes.json as { spec: Spec }).spec;
    assert.deepEqual(spec.trafficSplit, [{ cluster: 'c1', weight: 1, priority: 10 }]);
    assert.deepEqual(spec.poolAlgorithmSettings, { lbAlgorithm: RR });
    const gcRes = await clusterRequest(
      cluster,
      'POST',
      `/apis/${GROUP}/v1alpha1/namespaces/avi-system/gslbconfigs?dryRun=All`,
      manifest(gc('d', { refreshInterval: undefined, logLevel: undefined }, true), 9001),
    );
    const gcSpec = (gcRes.json as { spec: Spec }).spec;
    assert.deepEqual(
      [gcSpec.refreshInterval, gcSpec.logLevel, gcSpec.useCustomGlobalFqdn, (gcSpec.gslbLeader as Spec).tenant],
      [1800, 'INFO', false, 'admin'],
    );
  });
});
