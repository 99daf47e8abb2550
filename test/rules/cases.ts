// One table of rule cases, driven through the rule functions (rules.test.ts),
// the HTTPS webhook (test/admission/cases.test.ts) and the CLI
// (test/cli/cases.test.ts). Each case starts from a valid, fully defaulted
// base object and changes one thing; expectations are exact strings.
import type { KindName } from '../../src/api/kinds.js';
import { KINDS } from '../../src/api/kinds.js';
import type { KubeObject } from '../../src/rules/view.js';

export const UUID = '6c1e1c3a-2a8e-4f57-9a51-2d2b8f0a7c11';
export const NEW_UUID = '00000000-0000-4000-8000-000000000001';
export const NO_VIEW = 'metadata.name: cross-object checks skipped: amko has no cluster connection';

export const GC: KubeObject = {
  apiVersion: 'amko.vmware.com/v1alpha1',
  kind: 'GSLBConfig',
  metadata: { name: 'gc-1', namespace: 'avi-system', annotations: { 'amko.vmware.com/amko-uuid': UUID } },
  spec: {
    gslbLeader: { credentials: 'gslb-avi-secret', controllerVersion: '22.1.3', controllerIP: '10.10.10.10', tenant: 'admin' },
    memberClusters: [{ clusterContext: 'cluster1-admin' }, { clusterContext: 'cluster2-admin' }],
    refreshInterval: 1800,
    logLevel: 'INFO',
    useCustomGlobalFqdn: false,
  },
};

export const GDP: KubeObject = {
  apiVersion: 'amko.vmware.com/v1alpha2',
  kind: 'GlobalDeploymentPolicy',
  metadata: { name: 'global-gdp', namespace: 'avi-system' },
  spec: {
    matchRules: { appSelector: { label: { app: 'gslb' } }, namespaceSelector: { label: { ns: 'gslb' } } },
    matchClusters: [
      { cluster: 'cluster1-admin', syncVipOnly: false },
      { cluster: 'cluster2-admin', syncVipOnly: false },
    ],
    trafficSplit: [
      { cluster: 'cluster1-admin', weight: 8, priority: 10 },
      { cluster: 'cluster2-admin', weight: 2, priority: 10 },
    ],
    ttl: 10,
    poolAlgorithmSettings: { lbAlgorithm: 'GSLB_ALGORITHM_ROUND_ROBIN' },
  },
};

export const GHR: KubeObject = {
  apiVersion: 'amko.vmware.com/v1alpha1',
  kind: 'GSLBHostRule',
  metadata: { name: 'ghr-1', namespace: 'avi-system' },
  spec: {
    fqdn: 'app.avi.internal',
    sitePersistence: { enabled: false },
    thirdPartyMembers: [{ site: 'non-avi-site', vip: '10.10.10.10', publicIP: '203.0.113.10' }],
    trafficSplit: [
      { cluster: 'cluster1-admin', weight: 15, priority: 10 },
      { cluster: 'non-avi-site', weight: 5, priority: 10 },
    ],
    publicIP: [{ cluster: 'cluster1-admin', ip: '198.51.100.1' }],
    healthMonitorRefs: ['hm1', 'hm2'],
    ttl: 30,
  },
};

export const AMKO: KubeObject = {
  apiVersion: 'amko.vmware.com/v1alpha1',
  kind: 'AMKOCluster',
  metadata: { name: 'amkocluster-federation', namespace: 'avi-system' },
  spec: { isLeader: true, clusterContext: 'cluster1-admin', version: '1.6.1', clusters: ['cluster1-admin', 'cluster2-admin'] },
};

export const BASES: Record<KindName, KubeObject> = {
  GSLBConfig: GC,
  GlobalDeploymentPolicy: GDP,
  GSLBHostRule: GHR,
  AMKOCluster: AMKO,
};

export interface RuleCase {
  name: string;
  kind: KindName;
  /** Changes the (cloned) base object. */
  change?: (o: any) => void;
  /** Objects the view holds; 'none' = no cluster connection. Default: [GC]. */
  view?: KubeObject[] | 'none';
  operation?: 'CREATE' | 'UPDATE';
  /** For UPDATE: changes the cloned base into the old object. */
  old?: (o: any) => void;
  /** `field: message` in order. */
  errors?: string[];
  /** The reason of a 403. */
  forbidden?: { field: string; message: string };
  warnings?: string[];
}

const RR = 'GSLB_ALGORITHM_ROUND_ROBIN';
const CH = 'GSLB_ALGORITHM_CONSISTENT_HASH';
const GEO = 'GSLB_ALGORITHM_GEO';
const TOPO = 'GSLB_ALGORITHM_TOPOLOGY';
const ALGOS = `"${RR}", "${CH}", "${GEO}", "${TOPO}"`;
const FB = 'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP';
const HOSTPORT = "must be a host name, an IPv4 address or a bracketed IPv6 address, with an optional ':port' (1-65535)";
const SUBDOMAIN = "must be a lowercase RFC 1123 subdomain: labels of a-z, 0-9 and '-', separated by '.' (e.g. 'example.com')";
const LABEL_VALUE = "must be 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
const LABEL_KEY =
  "must be '[prefix/]name': name 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit; prefix a lowercase DNS subdomain";
const IPMSG = 'must be a valid IPv4 or IPv6 address';
const MEMBERS = 'must be a member cluster of GSLBConfig gc-1: "cluster1-admin", "cluster2-admin"';

/** Pool algorithm and down response cases, for both kinds that carry them. */
function sharedCases(kind: 'GlobalDeploymentPolicy' | 'GSLBHostRule'): RuleCase[] {
  const p = 'spec.poolAlgorithmSettings';
  const set = (v: unknown) => (o: any) => void (o.spec.poolAlgorithmSettings = v);
  const down = (v: unknown) => (o: any) => void (o.spec.downResponse = v);
  return [
    { name: 'consistent hash with hashMask', kind, change: set({ lbAlgorithm: CH, hashMask: 31 }) },
    { name: 'geo with round-robin fallback', kind, change: set({ lbAlgorithm: GEO, geoFallback: { lbAlgorithm: RR } }) },
    { name: 'geo with consistent-hash fallback', kind, change: set({ lbAlgorithm: GEO, geoFallback: { lbAlgorithm: CH, hashMask: 1 } }) },
    { name: 'topology', kind, change: set({ lbAlgorithm: TOPO }) },
    {
      name: 'unknown lbAlgorithm',
      kind,
      change: set({ lbAlgorithm: 'GSLB_ALGORITHM_RANDOM' }),
      errors: [`${p}.lbAlgorithm: Unsupported value: "GSLB_ALGORITHM_RANDOM": supported values: ${ALGOS}`],
    },
    {
      name: 'consistent hash without hashMask',
      kind,
      change: set({ lbAlgorithm: CH }),
      errors: [`${p}.hashMask: Required value: required when lbAlgorithm is ${CH}`],
    },
    {
      name: 'hashMask out of range',
      kind,
      change: set({ lbAlgorithm: CH, hashMask: 32 }),
      errors: [`${p}.hashMask: Invalid value: 32: must be between 1 and 31`],
    },
    {
      name: 'hashMask with round robin',
      kind,
      change: set({ lbAlgorithm: RR, hashMask: 4 }),
      errors: [`${p}.hashMask: Forbidden: only allowed when lbAlgorithm is ${CH}`],
    },
    {
      name: 'geo without geoFallback',
      kind,
      change: set({ lbAlgorithm: GEO }),
      errors: [`${p}.geoFallback: Required value: required when lbAlgorithm is ${GEO}`],
    },
    {
      name: 'geoFallback with topology',
      kind,
      change: set({ lbAlgorithm: TOPO, geoFallback: { lbAlgorithm: RR } }),
      errors: [`${p}.geoFallback: Forbidden: only allowed when lbAlgorithm is ${GEO}`],
    },
    {
      name: 'geoFallback without lbAlgorithm',
      kind,
      change: set({ lbAlgorithm: GEO, geoFallback: {} }),
      errors: [`${p}.geoFallback.lbAlgorithm: Required value: supported values: "${RR}", "${CH}"`],
    },
    {
      name: 'geoFallback with geo',
      kind,
      change: set({ lbAlgorithm: GEO, geoFallback: { lbAlgorithm: GEO } }),
      errors: [`${p}.geoFallback.lbAlgorithm: Unsupported value: "${GEO}": supported values: "${RR}", "${CH}"`],
    },
    {
      name: 'consistent-hash geoFallback without hashMask',
      kind,
      change: set({ lbAlgorithm: GEO, geoFallback: { lbAlgorithm: CH } }),
      errors: [`${p}.geoFallback.hashMask: Required value: required when geoFallback.lbAlgorithm is ${CH}`],
    },
    {
      name: 'round-robin geoFallback with hashMask',
      kind,
      change: set({ lbAlgorithm: GEO, geoFallback: { lbAlgorithm: RR, hashMask: 3 } }),
      errors: [`${p}.geoFallback.hashMask: Forbidden: not allowed when geoFallback.lbAlgorithm is ${RR}`],
    },
    { name: 'down response fallback IP', kind, change: down({ type: FB, fallbackIP: '2001:db8::1' }) },
    { name: 'down response all records', kind, change: down({ type: 'GSLB_SERVICE_DOWN_RESPONSE_ALL_RECORDS' }) },
    {
      name: 'down response without type',
      kind,
      change: down({}),
      errors: ['spec.downResponse.type: Required value'],
    },
    {
      name: 'down response unknown type',
      kind,
      change: down({ type: 'NONE' }),
      errors: [
        'spec.downResponse.type: Unsupported value: "NONE": supported values: "GSLB_SERVICE_DOWN_RESPONSE_NONE", "GSLB_SERVICE_DOWN_RESPONSE_ALL_RECORDS", "GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP", "GSLB_SERVICE_DOWN_RESPONSE_EMPTY"',
      ],
    },
    {
      name: 'fallback IP missing',
      kind,
      change: down({ type: FB }),
      errors: [`spec.downResponse.fallbackIP: Required value: required when type is ${FB}`],
    },
    {
      name: 'fallback IP invalid',
      kind,
      change: down({ type: FB, fallbackIP: 'INVALID' }),
      errors: [`spec.downResponse.fallbackIP: Invalid value: "INVALID": ${IPMSG}`],
    },
    {
      name: 'fallback IP with another type',
      kind,
      change: down({ type: 'GSLB_SERVICE_DOWN_RESPONSE_EMPTY', fallbackIP: '10.0.0.1' }),
      errors: [`spec.downResponse.fallbackIP: Forbidden: only allowed when type is ${FB}`],
    },
    {
      name: 'health monitor refs unique and non-empty',
      kind,
      change: (o) => void (o.spec.healthMonitorRefs = ['hm1', 'hm1', '']),
      errors: ['spec.healthMonitorRefs[1]: Duplicate value: "hm1"', 'spec.healthMonitorRefs[2]: Required value'],
    },
    {
      name: 'health monitor refs and template',
      kind,
      change: (o) => {
        o.spec.healthMonitorRefs = ['hm1'];
        o.spec.healthMonitorTemplate = 'tmpl';
      },
      errors: ['spec.healthMonitorTemplate: Forbidden: may not be set together with healthMonitorRefs'],
    },
    { name: 'health monitor template alone', kind, change: (o) => { delete o.spec.healthMonitorRefs; o.spec.healthMonitorTemplate = 'tmpl'; } },
    {
      name: 'weight, priority and ttl ranges',
      kind,
      change: (o) => {
        o.spec.trafficSplit[0].weight = 21;
        o.spec.trafficSplit[1].weight = 0;
        o.spec.trafficSplit[1].priority = 101;
        o.spec.ttl = 86401;
      },
      errors: [
        'spec.trafficSplit[0].weight: Invalid value: 21: must be between 1 and 20',
        'spec.trafficSplit[1].weight: Invalid value: 0: must be between 1 and 20',
        'spec.trafficSplit[1].priority: Invalid value: 101: must be between 0 and 100',
        'spec.ttl: Invalid value: 86401: must be between 1 and 86400',
      ],
    },
    { name: 'ttl 1 and priority 0', kind, change: (o) => { o.spec.ttl = 1; o.spec.trafficSplit[0].priority = 0; } },
    {
      name: 'namespace other than avi-system',
      kind,
      change: (o) => void (o.metadata.namespace = 'default'),
      forbidden: { field: 'metadata.namespace', message: `${kind} objects are only accepted in namespace avi-system` },
    },
  ];
}

export const CASES: RuleCase[] = [
  // ---- GSLBConfig
  { name: 'valid', kind: 'GSLBConfig' },
  { name: 'valid without a cluster connection', kind: 'GSLBConfig', view: 'none', warnings: [NO_VIEW] },
  { name: 'controller host name with port', kind: 'GSLBConfig', change: (o) => void (o.spec.gslbLeader.controllerIP = 'Avi-Ctrl.example.com:8443') },
  { name: 'controller IPv6 with port', kind: 'GSLBConfig', change: (o) => void (o.spec.gslbLeader.controllerIP = '[fd00::10]:443') },
  { name: 'controller IPv4 with port', kind: 'GSLBConfig', change: (o) => void (o.spec.gslbLeader.controllerIP = '10.0.0.1:65535') },
  { name: 'controller version with suffix', kind: 'GSLBConfig', change: (o) => void (o.spec.gslbLeader.controllerVersion = '30.2.1-9000') },
  {
    name: 'controllerIP and credentials missing',
    kind: 'GSLBConfig',
    change: (o) => {
      delete o.spec.gslbLeader.controllerIP;
      o.spec.gslbLeader.credentials = '';
    },
    errors: ['spec.gslbLeader.controllerIP: Required value', 'spec.gslbLeader.credentials: Required value'],
  },
  {
    name: 'bare IPv6 controller address',
    kind: 'GSLBConfig',
    change: (o) => void (o.spec.gslbLeader.controllerIP = 'fd00::10'),
    errors: [`spec.gslbLeader.controllerIP: Invalid value: "fd00::10": ${HOSTPORT}; write an IPv6 address as [address]`],
  },
  {
    name: 'controller port out of range',
    kind: 'GSLBConfig',
    change: (o) => void (o.spec.gslbLeader.controllerIP = '10.0.0.1:0'),
    errors: [`spec.gslbLeader.controllerIP: Invalid value: "10.0.0.1:0": ${HOSTPORT}`],
  },
  {
    name: 'controller IPv4 out of range',
    kind: 'GSLBConfig',
    change: (o) => void (o.spec.gslbLeader.controllerIP = '10.0.0.300'),
    errors: [`spec.gslbLeader.controllerIP: Invalid value: "10.0.0.300": ${HOSTPORT}`],
  },
  {
    name: 'credentials not a Secret name, bad version',
    kind: 'GSLBConfig',
    change: (o) => {
      o.spec.gslbLeader.credentials = 'Avi_Secret';
      o.spec.gslbLeader.controllerVersion = '22.1';
    },
    errors: [
      `spec.gslbLeader.credentials: Invalid value: "Avi_Secret": must be a Secret name: ${SUBDOMAIN}`,
      `spec.gslbLeader.controllerVersion: Invalid value: "22.1": must have the form N.N.N or N.N.N-suffix (e.g. '22.1.3')`,
    ],
  },
  {
    name: 'member clusters required, non-empty, unique',
    kind: 'GSLBConfig',
    change: (o) => void (o.spec.memberClusters = [{ clusterContext: 'a' }, {}, { clusterContext: '' }, { clusterContext: 'a' }]),
    errors: [
      'spec.memberClusters[1].clusterContext: Required value',
      'spec.memberClusters[2].clusterContext: Required value',
      'spec.memberClusters[3].clusterContext: Duplicate value: "a"',
    ],
  },
  {
    name: 'refreshInterval and logLevel',
    kind: 'GSLBConfig',
    change: (o) => {
      o.spec.refreshInterval = 0;
      o.spec.logLevel = 'TRACE';
    },
    errors: [
      'spec.refreshInterval: Invalid value: 0: must be between 1 and 86400',
      'spec.logLevel: Unsupported value: "TRACE": supported values: "INFO", "DEBUG", "WARN", "ERROR"',
    ],
  },
  {
    name: 'refreshInterval above a day',
    kind: 'GSLBConfig',
    change: (o) => void (o.spec.refreshInterval = 3_000_000),
    errors: ['spec.refreshInterval: Invalid value: 3000000: must be between 1 and 86400'],
  },
  {
    name: 'refreshInterval 2^64',
    kind: 'GSLBConfig',
    change: (o) => void (o.spec.refreshInterval = 2 ** 64),
    errors: ['spec.refreshInterval: Invalid value: 18446744073709552000: must be between 1 and 86400'],
  },
  {
    name: 'refreshInterval at the maximum',
    kind: 'GSLBConfig',
    change: (o) => void (o.spec.refreshInterval = 86_400),
  },
  {
    name: 'refreshInterval not an integer',
    kind: 'GSLBConfig',
    change: (o) => void (o.spec.refreshInterval = 1.5),
    errors: ['spec.refreshInterval: Invalid value: 1.5: must be of type integer'],
  },
  {
    name: 'uuid annotation not a UUID',
    kind: 'GSLBConfig',
    change: (o) => void (o.metadata.annotations['amko.vmware.com/amko-uuid'] = 'abc'),
    errors: [
      `metadata.annotations[amko.vmware.com/amko-uuid]: Invalid value: "abc": must be a UUID (e.g. '0b4a8e0c-6f0c-11ee-b962-0242ac120002')`,
    ],
  },
  {
    name: 'namespace other than avi-system',
    kind: 'GSLBConfig',
    change: (o) => void (o.metadata.namespace = 'default'),
    forbidden: { field: 'metadata.namespace', message: 'GSLBConfig objects are only accepted in namespace avi-system' },
  },
  {
    name: 'second GSLBConfig',
    kind: 'GSLBConfig',
    change: (o) => void (o.metadata.name = 'gc-2'),
    forbidden: { field: 'metadata.name', message: 'only one GSLBConfig is allowed, and avi-system/gc-1 already exists' },
  },
  {
    name: 'update of fields the worker applies live',
    kind: 'GSLBConfig',
    operation: 'UPDATE',
    old: (o) => {
      o.spec.refreshInterval = 900;
      o.spec.gslbLeader.controllerIP = '10.10.10.11';
      o.spec.logLevel = 'DEBUG';
      o.spec.useCustomGlobalFqdn = true;
      o.spec.memberClusters.reverse();
    },
  },
  {
    name: 'update of the amko UUID',
    kind: 'GSLBConfig',
    operation: 'UPDATE',
    old: (o) => void (o.metadata.annotations['amko.vmware.com/amko-uuid'] = '11111111-2222-4333-8444-555555555555'),
    warnings: ['metadata.annotations[amko.vmware.com/amko-uuid]: changed; GSLB services owned by the old UUID are left unmanaged'],
  },
  { name: 'update of logLevel only', kind: 'GSLBConfig', operation: 'UPDATE', old: (o) => void (o.spec.logLevel = 'ERROR') },

  // ---- GlobalDeploymentPolicy
  { name: 'valid', kind: 'GlobalDeploymentPolicy' },
  { name: 'valid without a cluster connection', kind: 'GlobalDeploymentPolicy', view: 'none', warnings: [NO_VIEW] },
  {
    name: 'no GSLBConfig yet',
    kind: 'GlobalDeploymentPolicy',
    view: [],
    warnings: [
      'spec.matchClusters: no GSLBConfig in avi-system yet; member clusters not checked',
      'spec.trafficSplit: no GSLBConfig in avi-system yet; member clusters not checked',
    ],
  },
  {
    name: 'selector labels',
    kind: 'GlobalDeploymentPolicy',
    change: (o) => {
      o.spec.matchRules.appSelector.label = { 'app.kubernetes.io/name': 'web', tier: 'front' };
      o.spec.matchRules.namespaceSelector.label = { '-ns': 'gslb', env: '', zone: 'a b' };
    },
    errors: [
      `spec.matchRules.namespaceSelector.label: Invalid value: "-ns": ${LABEL_KEY}`,
      `spec.matchRules.namespaceSelector.label[env]: Invalid value: "": ${LABEL_VALUE}`,
      `spec.matchRules.namespaceSelector.label[zone]: Invalid value: "a b": ${LABEL_VALUE}`,
    ],
    warnings: [
      'spec.matchRules.appSelector.label: 2 labels given; an object must carry all of them',
      'spec.matchRules.namespaceSelector.label: 3 labels given; an object must carry all of them',
    ],
  },
  {
    name: 'no selector',
    kind: 'GlobalDeploymentPolicy',
    change: (o) => delete o.spec.matchRules,
    warnings: ['spec.matchRules: no appSelector or namespaceSelector label; the policy selects no objects'],
  },
  {
    name: 'clusters unique and members of the GSLBConfig',
    kind: 'GlobalDeploymentPolicy',
    change: (o) => {
      o.spec.matchClusters.push({ cluster: 'cluster1-admin', syncVipOnly: true }, { cluster: 'cluster3', syncVipOnly: false });
      o.spec.trafficSplit.push({ cluster: 'cluster2-admin', weight: 1, priority: 10 }, { cluster: 'k8s', weight: 1, priority: 10 });
    },
    errors: [
      'spec.matchClusters[2].cluster: Duplicate value: "cluster1-admin"',
      `spec.matchClusters[3].cluster: Not found: "cluster3": ${MEMBERS}`,
      'spec.trafficSplit[2].cluster: Duplicate value: "cluster2-admin"',
      `spec.trafficSplit[3].cluster: Not found: "k8s": ${MEMBERS}`,
    ],
  },
  {
    name: 'empty cluster names',
    kind: 'GlobalDeploymentPolicy',
    change: (o) => {
      o.spec.matchClusters[0].cluster = '';
      delete o.spec.trafficSplit[1].cluster;
    },
    errors: ['spec.matchClusters[0].cluster: Required value', 'spec.trafficSplit[1].cluster: Required value'],
  },
  {
    name: 'site persistence and PKI refs empty',
    kind: 'GlobalDeploymentPolicy',
    change: (o) => {
      o.spec.sitePersistenceRef = '';
      o.spec.pkiProfileRef = '';
    },
    errors: ['spec.sitePersistenceRef: Required value', 'spec.pkiProfileRef: Required value'],
  },
  {
    name: 'PKI profile without site persistence',
    kind: 'GlobalDeploymentPolicy',
    change: (o) => void (o.spec.pkiProfileRef = 'pki-1'),
    warnings: ['spec.pkiProfileRef: has no effect without spec.sitePersistenceRef'],
  },
  { name: 'site persistence with PKI profile', kind: 'GlobalDeploymentPolicy', change: (o) => Object.assign(o.spec, { sitePersistenceRef: 'gap-1', pkiProfileRef: 'pki-1' }) },
  { name: 'default domain', kind: 'GlobalDeploymentPolicy', change: (o) => void (o.spec.defaultDomain = '.apps.example.com') },
  {
    name: 'default domain invalid',
    kind: 'GlobalDeploymentPolicy',
    change: (o) => void (o.spec.defaultDomain = 'Apps_Example.com'),
    errors: [`spec.defaultDomain: Invalid value: "Apps_Example.com": ${SUBDOMAIN}`],
  },
  {
    name: 'ttl 0',
    kind: 'GlobalDeploymentPolicy',
    change: (o) => void (o.spec.ttl = 0),
    errors: ['spec.ttl: Invalid value: 0: must be between 1 and 86400'],
  },
  {
    name: 'second GDP',
    kind: 'GlobalDeploymentPolicy',
    view: [GC, { ...GDP, metadata: { name: 'gdp-0', namespace: 'avi-system' } }],
    forbidden: { field: 'metadata.name', message: 'only one GlobalDeploymentPolicy is allowed, and avi-system/gdp-0 already exists' },
  },
  {
    name: 'a GDP in another namespace does not count',
    kind: 'GlobalDeploymentPolicy',
    view: [GC, { ...GDP, metadata: { name: 'gdp-0', namespace: 'default' } }],
  },
  ...sharedCases('GlobalDeploymentPolicy'),

  // ---- GSLBHostRule
  { name: 'valid', kind: 'GSLBHostRule' },
  { name: 'valid without a cluster connection', kind: 'GSLBHostRule', view: 'none', warnings: [NO_VIEW] },
  {
    name: 'no GSLBConfig yet',
    kind: 'GSLBHostRule',
    view: [],
    warnings: [
      'spec.trafficSplit: no GSLBConfig in avi-system yet; member clusters not checked',
      'spec.publicIP: no GSLBConfig in avi-system yet; member clusters not checked',
    ],
  },
  {
    name: 'fqdn missing',
    kind: 'GSLBHostRule',
    change: (o) => delete o.spec.fqdn,
    errors: ['spec.fqdn: Required value'],
  },
  {
    name: 'fqdn not a DNS name',
    kind: 'GSLBHostRule',
    change: (o) => void (o.spec.fqdn = 'app_1.example.com'),
    errors: [
      `spec.fqdn: Invalid value: "app_1.example.com": must be a DNS name: labels of letters, digits and '-' (at most 63 each), separated by '.' (e.g. 'app.example.com')`,
    ],
  },
  {
    name: 'fqdn used by another rule',
    kind: 'GSLBHostRule',
    view: [GC, { ...GHR, metadata: { name: 'ghr-0', namespace: 'avi-system' } }],
    errors: ['spec.fqdn: Duplicate value: "app.avi.internal": already used by GSLBHostRule avi-system/ghr-0'],
  },
  {
    name: 'fqdn used by another rule in other letter case (DNS names are case-insensitive)',
    kind: 'GSLBHostRule',
    change: (o) => void (o.spec.fqdn = 'App.AVI.internal'),
    view: [GC, { ...GHR, metadata: { name: 'ghr-0', namespace: 'avi-system' } }],
    errors: ['spec.fqdn: Duplicate value: "App.AVI.internal": already used by GSLBHostRule avi-system/ghr-0'],
  },
  {
    name: 'update keeping an fqdn another rule also has',
    kind: 'GSLBHostRule',
    operation: 'UPDATE',
    old: (o) => void (o.spec.ttl = 60),
    view: [GC, { ...GHR, metadata: { name: 'ghr-0', namespace: 'avi-system' } }],
  },
  {
    name: 'site persistence without enabled',
    kind: 'GSLBHostRule',
    change: (o) => void (o.spec.sitePersistence = { profileRef: 'gap-1' }),
    errors: ['spec.sitePersistence.enabled: Required value'],
  },
  {
    name: 'site persistence enabled without profile, with third-party members',
    kind: 'GSLBHostRule',
    change: (o) => void (o.spec.sitePersistence = { enabled: true }),
    errors: [
      'spec.sitePersistence.profileRef: Required value: required when enabled is true',
      'spec.thirdPartyMembers: Forbidden: may not be set while sitePersistence.enabled is true',
    ],
  },
  {
    name: 'site persistence enabled',
    kind: 'GSLBHostRule',
    change: (o) => {
      o.spec.sitePersistence = { enabled: true, profileRef: 'gap-1', pkiProfileRef: 'pki-1' };
      delete o.spec.thirdPartyMembers;
      o.spec.trafficSplit.pop();
    },
  },
  {
    name: 'site persistence disabled with a profile',
    kind: 'GSLBHostRule',
    change: (o) => void (o.spec.sitePersistence = { enabled: false, profileRef: 'gap-1' }),
    warnings: ['spec.sitePersistence.profileRef: ignored while enabled is false'],
  },
  {
    name: 'third-party members',
    kind: 'GSLBHostRule',
    change: (o) =>
      void (o.spec.thirdPartyMembers = [
        { site: '', vip: '10.0.0.1' },
        { site: 's2', vip: '10.0.0.256', publicIP: 'x' },
      ]),
    errors: [
      'spec.thirdPartyMembers[0].site: Required value',
      `spec.thirdPartyMembers[1].vip: Invalid value: "10.0.0.256": ${IPMSG}`,
      `spec.thirdPartyMembers[1].publicIP: Invalid value: "x": ${IPMSG}`,
      `spec.trafficSplit[1].cluster: Not found: "non-avi-site": must be a member cluster or a thirdPartyMembers site of GSLBConfig gc-1: "cluster1-admin", "cluster2-admin", "s2"`,
    ],
  },
  {
    name: 'traffic split to an unknown cluster, duplicate',
    kind: 'GSLBHostRule',
    change: (o) => o.spec.trafficSplit.push({ cluster: 'oshift', weight: 1, priority: 10 }, { cluster: 'cluster1-admin', weight: 1, priority: 10 }),
    errors: [
      `spec.trafficSplit[2].cluster: Not found: "oshift": must be a member cluster or a thirdPartyMembers site of GSLBConfig gc-1: "cluster1-admin", "cluster2-admin", "non-avi-site"`,
      'spec.trafficSplit[3].cluster: Duplicate value: "cluster1-admin"',
    ],
  },
  {
    name: 'public IPs',
    kind: 'GSLBHostRule',
    change: (o) =>
      void (o.spec.publicIP = [
        { cluster: 'cluster1-admin', ip: '300.1.1.1' },
        { cluster: 'cluster9', ip: '2001:db8::2' },
        { cluster: 'cluster1-admin', ip: '10.1.1.1' },
        { ip: '10.1.1.2' },
      ]),
    errors: [
      `spec.publicIP[0].ip: Invalid value: "300.1.1.1": ${IPMSG}`,
      `spec.publicIP[1].cluster: Not found: "cluster9": ${MEMBERS}`,
      'spec.publicIP[2].cluster: Duplicate value: "cluster1-admin"',
      'spec.publicIP[3].cluster: Required value',
    ],
  },
  ...sharedCases('GSLBHostRule'),

  // ---- AMKOCluster
  { name: 'valid', kind: 'AMKOCluster' },
  { name: 'valid without a cluster connection', kind: 'AMKOCluster', view: 'none', warnings: [NO_VIEW] },
  {
    name: 'clusterContext and version missing',
    kind: 'AMKOCluster',
    change: (o) => {
      delete o.spec.clusterContext;
      o.spec.version = '';
    },
    errors: ['spec.clusterContext: Required value', 'spec.version: Required value'],
  },
  {
    name: 'clusterContext not in clusters, duplicates',
    kind: 'AMKOCluster',
    change: (o) => {
      o.spec.clusterContext = 'cluster3';
      o.spec.clusters = ['cluster1-admin', 'cluster2-admin', 'cluster1-admin'];
    },
    errors: [
      'spec.clusterContext: Invalid value: "cluster3": must be one of spec.clusters: "cluster1-admin", "cluster2-admin"',
      'spec.clusters[2]: Duplicate value: "cluster1-admin"',
    ],
  },
  {
    name: 'no clusters',
    kind: 'AMKOCluster',
    change: (o) => delete o.spec.clusters,
    errors: ['spec.clusterContext: Invalid value: "cluster1-admin": must be listed in spec.clusters'],
  },
  {
    name: 'second AMKOCluster',
    kind: 'AMKOCluster',
    view: [GC, { ...AMKO, metadata: { name: 'amko-0', namespace: 'avi-system' } }],
    forbidden: { field: 'metadata.name', message: 'only one AMKOCluster is allowed, and avi-system/amko-0 already exists' },
  },
  {
    name: 'namespace other than avi-system',
    kind: 'AMKOCluster',
    change: (o) => {
      o.metadata.namespace = 'default';
      o.spec.version = '';
    },
    errors: ['spec.version: Required value'],
    forbidden: { field: 'metadata.namespace', message: 'AMKOCluster objects are only accepted in namespace avi-system' },
  },
];

export function objectOf(c: RuleCase): any {
  const o = structuredClone(BASES[c.kind]);
  c.change?.(o);
  return o;
}

export function oldObjectOf(c: RuleCase): any {
  if (!c.old) return undefined;
  const o = structuredClone(BASES[c.kind]);
  c.old(o);
  return o;
}

export function viewObjectsOf(c: RuleCase): KubeObject[] | undefined {
  return c.view === 'none' ? undefined : (c.view ?? [GC]);
}

export function caseTitle(c: RuleCase): string {
  const what = c.forbidden ? 'forbidden' : c.errors?.length ? 'invalid' : 'valid';
  return `${c.kind}: ${c.name} (${what})`;
}

const REASON: Record<string, string> = {
  'Invalid value': 'FieldValueInvalid',
  'Required value': 'FieldValueRequired',
  Forbidden: 'FieldValueForbidden',
  'Unsupported value': 'FieldValueNotSupported',
  'Duplicate value': 'FieldValueDuplicate',
  'Not found': 'FieldValueNotFound',
};

/** `spec.ttl: Invalid value: 0: ...` -> a details.causes[] entry. */
export function causeOf(error: string) {
  const i = error.indexOf(': ');
  const field = error.slice(0, i);
  const message = error.slice(i + 2);
  const type = Object.keys(REASON).find((t) => message === t || message.startsWith(`${t}:`));
  if (!type) throw new Error(`unknown error type in ${error}`);
  return { reason: REASON[type]!, message, field };
}

/** The exact AdmissionReview `response` the validating webhook must give for a case. */
export function expectedValidateResponse(c: RuleCase, uid: string, name: string): Record<string, unknown> {
  const errors = c.errors ?? [];
  const agg = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
  const response: Record<string, unknown> = { uid, allowed: !c.forbidden && errors.length === 0 };
  if (c.forbidden) {
    const plural = KINDS[c.kind].plural;
    const details: Record<string, unknown> = { name, group: 'amko.vmware.com', kind: plural };
    if (errors.length) details.causes = errors.map(causeOf);
    response.status = {
      status: 'Failure',
      code: 403,
      reason: 'Forbidden',
      message: `${plural}.amko.vmware.com "${name}" is forbidden: ${c.forbidden.message}${errors.length ? `; the object is also invalid: ${agg}` : ''}`,
      details,
    };
  } else if (errors.length) {
    response.status = {
      status: 'Failure',
      code: 422,
      reason: 'Invalid',
      message: `${c.kind}.amko.vmware.com "${name}" is invalid: ${agg}`,
      details: { name, group: 'amko.vmware.com', kind: c.kind, causes: errors.map(causeOf) },
    };
  }
  if (c.warnings?.length) response.warnings = c.warnings;
  return response;
}
