// Manifests for the kubectl scenarios: one invalid manifest per class of
// mistake, as YAML a user would write. The expected kubectl output lives in the
// test files (it depends on whether the webhook or the CRD schema answers).
import YAML from 'yaml';

export const NS = 'avi-system';

type Obj = Record<string, unknown>;

export function gslbConfig(name: string, spec: Obj = {}, namespace = NS): Obj {
  return {
    apiVersion: 'amko.vmware.com/v1alpha1',
    kind: 'GSLBConfig',
    metadata: { name, namespace },
    spec: {
      gslbLeader: { credentials: 'gslb-avi-secret', controllerVersion: '20.1.1', controllerIP: '10.10.10.10' },
      memberClusters: [{ clusterContext: 'cluster1-admin' }, { clusterContext: 'cluster2-admin' }],
      ...spec,
    },
  };
}

export function gdp(name: string, spec: Obj = {}, namespace = NS): Obj {
  return {
    apiVersion: 'amko.vmware.com/v1alpha2',
    kind: 'GlobalDeploymentPolicy',
    metadata: { name, namespace },
    spec: {
      matchRules: { appSelector: { label: { app: 'gslb' } } },
      matchClusters: [{ cluster: 'cluster1-admin' }, { cluster: 'cluster2-admin' }],
      trafficSplit: [
        { cluster: 'cluster1-admin', weight: 8 },
        { cluster: 'cluster2-admin', weight: 2 },
      ],
      ...spec,
    },
  };
}

export function hostRule(name: string, fqdn: string, spec: Obj = {}, namespace = NS): Obj {
  return {
    apiVersion: 'amko.vmware.com/v1alpha1',
    kind: 'GSLBHostRule',
    metadata: { name, namespace },
    spec: { fqdn, ...spec },
  };
}

export function amkoCluster(name: string, spec: Obj = {}, namespace = NS): Obj {
  return {
    apiVersion: 'amko.vmware.com/v1alpha1',
    kind: 'AMKOCluster',
    metadata: { name, namespace },
    spec: { isLeader: true, clusterContext: 'cluster1-admin', version: '1.6.1', clusters: ['cluster1-admin', 'cluster2-admin'], ...spec },
  };
}

export const yaml = (...objs: Obj[]): string => objs.map((o) => YAML.stringify(o)).join('---\n');

export const RR = 'GSLB_ALGORITHM_ROUND_ROBIN';
export const CH = 'GSLB_ALGORITHM_CONSISTENT_HASH';
export const GEO = 'GSLB_ALGORITHM_GEO';
export const FIP = 'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP';

/** A class of single-object mistake the CRD schema/CEL rules catch on their own (no webhook). */
export interface SchemaCase {
  title: string;
  object: Obj;
  /** The `field: message` causes of kubectl's 422 output, in order. */
  causes: string[];
}

/** The API server's extra cause when a schema error stops the CEL rules from running. */
export const NOT_CHECKED =
  '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

/** kubectl's rendering of a 422 with details.causes: one cause inline, several as a `* ` list. */
export function invalidOutput(kind: string, name: string, causes: string[]): string {
  if (causes.length === 1) return `The ${kind} "${name}" is invalid: ${causes[0]}\n`;
  return `The ${kind} "${name}" is invalid: \n${causes.map((c) => `* ${c}`).join('\n')}\n`;
}

/** kubectl's rendering of a 403 from the validating webhook. */
export function forbiddenOutput(plural: string, name: string, reason: string, verb = 'creating', file = 'STDIN'): string {
  return `Error from server (Forbidden): error when ${verb} "${file}": admission webhook "validate.amko.vmware.com" denied the request: ${plural}.amko.vmware.com "${name}" is forbidden: ${reason}\n`;
}

export const SCHEMA_CASES: SchemaCase[] = [
  // One schema error per manifest: the API server reports several schema errors in no fixed order.
  {
    title: 'ranges: trafficSplit weight 25',
    object: gdp('range-gdp', {
      trafficSplit: [
        { cluster: 'cluster1-admin', weight: 25 },
        { cluster: 'cluster2-admin', weight: 2 },
      ],
    }),
    causes: ['spec.trafficSplit[0].weight: Invalid value: 25: spec.trafficSplit[0].weight in body should be less than or equal to 20'],
  },
  {
    title: 'ranges: ttl 0',
    object: gdp('ttl-gdp', { ttl: 0 }),
    causes: ['spec.ttl: Invalid value: 0: spec.ttl in body should be greater than or equal to 1'],
  },
  {
    title: 'ranges: hashMask 32',
    object: hostRule('range-ghr', 'range.avi.internal', { poolAlgorithmSettings: { lbAlgorithm: CH, hashMask: 32 } }),
    causes: ['spec.poolAlgorithmSettings.hashMask: Invalid value: 32: spec.poolAlgorithmSettings.hashMask in body should be less than or equal to 31'],
  },
  {
    title: 'enums: logLevel TRACE',
    object: gslbConfig('enum-gc', { logLevel: 'TRACE' }),
    causes: ['spec.logLevel: Unsupported value: "TRACE": supported values: "INFO", "DEBUG", "WARN", "ERROR"', NOT_CHECKED],
  },
  {
    title: 'enums: an unknown lbAlgorithm',
    object: gdp('enum-gdp', { poolAlgorithmSettings: { lbAlgorithm: 'GSLB_ALGORITHM_RANDOM' } }),
    causes: [
      `spec.poolAlgorithmSettings.lbAlgorithm: Unsupported value: "GSLB_ALGORITHM_RANDOM": supported values: "${RR}", "${CH}", "${GEO}", "GSLB_ALGORITHM_TOPOLOGY"`,
      NOT_CHECKED,
    ],
  },
  {
    title: 'conditional fields: CONSISTENT_HASH without hashMask',
    object: gdp('cond-gdp', { poolAlgorithmSettings: { lbAlgorithm: CH } }),
    causes: [`spec.poolAlgorithmSettings.hashMask: Required value: required when lbAlgorithm is ${CH}`],
  },
  {
    title: 'conditional fields: hashMask with ROUND_ROBIN',
    object: hostRule('cond-ghr', 'cond.avi.internal', { poolAlgorithmSettings: { lbAlgorithm: RR, hashMask: 8 } }),
    causes: [`spec.poolAlgorithmSettings.hashMask: Forbidden: only allowed when lbAlgorithm is ${CH}`],
  },
  {
    title: 'conditional fields: FALLBACK_IP down response without fallbackIP',
    object: gdp('cond-down-gdp', { downResponse: { type: FIP } }),
    causes: [`spec.downResponse.fallbackIP: Required value: required when type is ${FIP}`],
  },
  {
    title: 'site persistence together with third-party members',
    object: hostRule('sp-ghr', 'sp.avi.internal', {
      sitePersistence: { enabled: true, profileRef: 'gap-1' },
      thirdPartyMembers: [{ site: 'non-avi-site', vip: '10.10.10.10' }],
    }),
    causes: ['spec.thirdPartyMembers: Forbidden: may not be set while sitePersistence.enabled is true'],
  },
  {
    title: 'GEO without geoFallback',
    object: gdp('geo-gdp', { poolAlgorithmSettings: { lbAlgorithm: GEO } }),
    causes: [`spec.poolAlgorithmSettings.geoFallback: Required value: required when lbAlgorithm is ${GEO}`],
  },
  {
    title: 'GEO fallback: GEO as the fallback algorithm',
    object: hostRule('geo-fb-ghr', 'geo-fb.avi.internal', { poolAlgorithmSettings: { lbAlgorithm: GEO, geoFallback: { lbAlgorithm: GEO } } }),
    causes: [
      `spec.poolAlgorithmSettings.geoFallback.lbAlgorithm: Unsupported value: "${GEO}": supported values: "${RR}", "${CH}"`,
      NOT_CHECKED,
    ],
  },
  {
    title: 'GEO fallback: CONSISTENT_HASH fallback without hashMask',
    object: hostRule('geo-ch-ghr', 'geo-ch.avi.internal', { poolAlgorithmSettings: { lbAlgorithm: GEO, geoFallback: { lbAlgorithm: CH } } }),
    causes: [`spec.poolAlgorithmSettings.geoFallback.hashMask: Required value: required when geoFallback.lbAlgorithm is ${CH}`],
  },
  {
    title: 'GEO fallback: geoFallback with a non-GEO algorithm',
    object: gdp('geo-rr-gdp', { poolAlgorithmSettings: { lbAlgorithm: RR, geoFallback: { lbAlgorithm: RR } } }),
    causes: [`spec.poolAlgorithmSettings.geoFallback: Forbidden: only allowed when lbAlgorithm is ${GEO}`],
  },
];
