// CRD-only additions to the TypeBox schemas: CEL rules (x-kubernetes-validations),
// schema defaults, list types and the size bounds CEL cost estimation needs.
//
// The rules mirror the single-object checks in src/rules (same conditions, same
// detail texts) so that the API server enforces them even when the webhook is
// down; test/crds/parity.e2e.test.ts applies one table of manifests to both.
// Rules that need other objects (namespace, singletons, member clusters,
// duplicate fqdn) stay in the webhook.
//
// Keyed by kind and by a path into the resource schema:
//   "spec.poolAlgorithmSettings"           a property
//   "spec.trafficSplit[]"                  the items of an array
//   "spec.matchRules.appSelector.label{}"  the values of a string map
// src/api/crd.ts merges this overlay and fails when a path matches nothing.
import { DOWN_RESPONSE_TYPES, GEO_FALLBACK_ALGORITHMS, LB_ALGORITHMS } from './common.js';
import type { KindName } from './kinds.js';

/** One CEL rule, as the API server takes it (apiextensions.k8s.io/v1 ValidationRule). */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  /** Relative to the node the rule sits on, e.g. ".hashMask". */
  fieldPath?: string;
}

/** What the overlay may add to a schema node. */
export interface SchemaOverlay {
  'x-kubernetes-validations'?: CelRule[];
  default?: unknown;
  maxItems?: number;
  maxLength?: number;
  maxProperties?: number;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  description?: string;
}

export type KindOverlay = Record<string, SchemaOverlay>;

// Bounds for CEL cost estimation. They only cut off what src/rules rejects anyway
// (over-long names, labels and addresses) or sizes no GSLB deployment comes near.
export const MAX_LIST = 256;
export const MAX_LABELS = 64;
/** A DNS name / Kubernetes object name. */
export const MAX_NAME = 253;
/** host[:port] or [IPv6]:port. */
export const MAX_HOST_PORT = 261;
/** Longest textual IP address (IPv6 with an embedded IPv4 tail). */
export const MAX_IP = 45;
export const MAX_LABEL_VALUE = 63;

const RR = 'GSLB_ALGORITHM_ROUND_ROBIN';
const CH = 'GSLB_ALGORITHM_CONSISTENT_HASH';
const GEO = 'GSLB_ALGORITHM_GEO';
const FALLBACK_IP = DOWN_RESPONSE_TYPES[2];

const supported = (values: readonly string[]) => `supported values: ${values.map((v) => JSON.stringify(v)).join(', ')}`;

/** Regular expressions (RE2) equal to the ones in src/rules/checks.ts. */
export const RE = {
  dns1123Subdomain: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  hostLabel: '[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?',
  qualifiedName: '^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$',
  version: '^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z][0-9A-Za-z.-]*)?$',
  ipv4: '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$',
} as const;

const HOST_NAME = `^${RE.hostLabel}(\\.${RE.hostLabel})*$`;
/** A GSLB FQDN: ≥2 labels, or `*.` + ≥1 label. */
const FQDN = `^(\\*\\.${RE.hostLabel}(\\.${RE.hostLabel})*|${RE.hostLabel}(\\.${RE.hostLabel})+)$`;

const IP_DETAIL = 'must be a valid IPv4 or IPv6 address';
const HOST_PORT_DETAIL = "must be a host name, an IPv4 address or a bracketed IPv6 address, with an optional ':port' (1-65535)";
const LABEL_KEY_DETAIL =
  "must be '[prefix/]name': name 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with " +
  'a letter or digit; prefix a lowercase DNS subdomain';
const LABEL_VALUE_DETAIL =
  "must be 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

/** `x` is an IP address as Go's net.ParseIP / Node's net.isIP accept it (no zone). */
const isIp = (x: string) => `isIP(${x})`;

/** spec.poolAlgorithmSettings (GDP and GSLBHostRule): the algorithm matrix. */
export const POOL_ALGORITHM_RULES: CelRule[] = [
  { rule: 'has(self.lbAlgorithm)', message: supported(LB_ALGORITHMS), reason: 'FieldValueRequired', fieldPath: '.lbAlgorithm' },
  {
    rule: `!has(self.lbAlgorithm) || self.lbAlgorithm != '${CH}' || has(self.hashMask)`,
    message: `required when lbAlgorithm is ${CH}`,
    reason: 'FieldValueRequired',
    fieldPath: '.hashMask',
  },
  {
    rule: `!has(self.lbAlgorithm) || self.lbAlgorithm == '${CH}' || !has(self.hashMask)`,
    message: `only allowed when lbAlgorithm is ${CH}`,
    reason: 'FieldValueForbidden',
    fieldPath: '.hashMask',
  },
  {
    rule: `!has(self.lbAlgorithm) || self.lbAlgorithm != '${GEO}' || has(self.geoFallback)`,
    message: `required when lbAlgorithm is ${GEO}`,
    reason: 'FieldValueRequired',
    fieldPath: '.geoFallback',
  },
  {
    rule: `!has(self.lbAlgorithm) || self.lbAlgorithm == '${GEO}' || !has(self.geoFallback)`,
    message: `only allowed when lbAlgorithm is ${GEO}`,
    reason: 'FieldValueForbidden',
    fieldPath: '.geoFallback',
  },
];

/** spec.poolAlgorithmSettings.geoFallback (checked by src/rules only under GEO; otherwise geoFallback is forbidden anyway). */
export const GEO_FALLBACK_RULES: CelRule[] = [
  {
    rule: 'has(self.lbAlgorithm)',
    message: supported(GEO_FALLBACK_ALGORITHMS),
    reason: 'FieldValueRequired',
    fieldPath: '.lbAlgorithm',
  },
  {
    rule: `!has(self.lbAlgorithm) || self.lbAlgorithm != '${CH}' || has(self.hashMask)`,
    message: `required when geoFallback.lbAlgorithm is ${CH}`,
    reason: 'FieldValueRequired',
    fieldPath: '.hashMask',
  },
  {
    rule: `!has(self.lbAlgorithm) || self.lbAlgorithm != '${RR}' || !has(self.hashMask)`,
    message: `not allowed when geoFallback.lbAlgorithm is ${RR}`,
    reason: 'FieldValueForbidden',
    fieldPath: '.hashMask',
  },
];

/** spec.downResponse. An empty fallbackIP counts as missing for FALLBACK_IP and as set for the other types. */
export const DOWN_RESPONSE_RULES: CelRule[] = [
  {
    rule: `self.type != '${FALLBACK_IP}' || (has(self.fallbackIP) && self.fallbackIP != '')`,
    message: `required when type is ${FALLBACK_IP}`,
    reason: 'FieldValueRequired',
    fieldPath: '.fallbackIP',
  },
  {
    rule: `self.type != '${FALLBACK_IP}' || !has(self.fallbackIP) || self.fallbackIP == '' || ${isIp('self.fallbackIP')}`,
    message: IP_DETAIL,
    reason: 'FieldValueInvalid',
    fieldPath: '.fallbackIP',
  },
  {
    rule: `self.type == '${FALLBACK_IP}' || !has(self.fallbackIP)`,
    message: `only allowed when type is ${FALLBACK_IP}`,
    reason: 'FieldValueForbidden',
    fieldPath: '.fallbackIP',
  },
];

/** On spec: a template and a non-empty refs list are mutually exclusive. */
export const HEALTH_MONITOR_EXCLUSIVE: CelRule = {
  rule: '!has(self.healthMonitorTemplate) || !has(self.healthMonitorRefs) || size(self.healthMonitorRefs) == 0',
  message: 'may not be set together with healthMonitorRefs',
  reason: 'FieldValueForbidden',
  fieldPath: '.healthMonitorTemplate',
};

/** On a selector's label map: keys are label keys, values non-empty label values. */
export const LABEL_RULES: CelRule[] = [
  {
    rule:
      `self.all(k, size(k) <= 317 && (k.contains('/') ? ` +
      `(k.indexOf('/') <= 253 && k.substring(0, k.indexOf('/')).matches(r'${RE.dns1123Subdomain}') && ` +
      `size(k) - k.indexOf('/') - 1 <= 63 && k.substring(k.indexOf('/') + 1).matches(r'${RE.qualifiedName}')) : ` +
      `(size(k) <= 63 && k.matches(r'${RE.qualifiedName}'))))`,
    message: LABEL_KEY_DETAIL,
    reason: 'FieldValueInvalid',
  },
];
const LABEL_VALUE_RULES: CelRule[] = [
  { rule: `self.matches(r'${RE.qualifiedName}')`, message: LABEL_VALUE_DETAIL, reason: 'FieldValueInvalid' },
];

const IP_RULE: CelRule[] = [{ rule: isIp('self'), message: IP_DETAIL, reason: 'FieldValueInvalid' }];

/** host, IPv4, [IPv6], each with an optional :port (1-65535). Later rules assume the shape of the first. */
const HOST_PORT_SHAPE = `(self.startsWith('[') ? self.matches(r'^\\[[^\\]]+\\](:[0-9]{1,5})?$') : self.matches(r'^[^:]+(:[0-9]{1,5})?$'))`;
const HOST = `(self.contains(':') ? self.substring(0, self.indexOf(':')) : self)`;
const PORT = `int(self.substring(self.lastIndexOf(':') + 1))`;
const BRACKETED = `self.substring(1, self.indexOf(']'))`;
export const HOST_PORT_RULES: CelRule[] = [
  { rule: HOST_PORT_SHAPE, message: HOST_PORT_DETAIL, reason: 'FieldValueInvalid' },
  {
    rule: `!${HOST_PORT_SHAPE} || !self.startsWith('[') || (${isIp(BRACKETED)} && ip(${BRACKETED}).family() == 6)`,
    message: HOST_PORT_DETAIL,
    reason: 'FieldValueInvalid',
  },
  {
    rule: `!${HOST_PORT_SHAPE} || self.startsWith('[') || !${HOST}.matches(r'^[0-9.]+$') || ${HOST}.matches(r'${RE.ipv4}')`,
    message: HOST_PORT_DETAIL,
    reason: 'FieldValueInvalid',
  },
  {
    rule: `!${HOST_PORT_SHAPE} || self.startsWith('[') || ${HOST}.matches(r'^[0-9.]+$') || (size(${HOST}) <= 253 && ${HOST}.matches(r'${HOST_NAME}'))`,
    message: HOST_PORT_DETAIL,
    reason: 'FieldValueInvalid',
  },
  {
    rule: `!${HOST_PORT_SHAPE} || !self.matches(r'(^[^:\\[]+|\\]):[0-9]{1,5}$') || (${PORT} >= 1 && ${PORT} <= 65535)`,
    message: HOST_PORT_DETAIL,
    reason: 'FieldValueInvalid',
  },
];

/** A list keyed by one required string field: the API server rejects duplicate keys. */
function keyedList(key: string): SchemaOverlay {
  return { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [key] };
}
/** A list of unique strings. */
const SET: SchemaOverlay = { 'x-kubernetes-list-type': 'set' };

const POOL_AND_DOWN_RESPONSE: KindOverlay = {
  'spec.poolAlgorithmSettings': { 'x-kubernetes-validations': POOL_ALGORITHM_RULES },
  'spec.poolAlgorithmSettings.geoFallback': { 'x-kubernetes-validations': GEO_FALLBACK_RULES },
  'spec.downResponse': { 'x-kubernetes-validations': DOWN_RESPONSE_RULES },
  'spec.downResponse.fallbackIP': { maxLength: MAX_IP + 1 },
};

/** Defaults: the same values as src/rules/defaults.ts (checked by test/crds/crd.test.ts). */
export const CRD_OVERLAY: Record<KindName, KindOverlay> = {
  GSLBConfig: {
    'spec.gslbLeader.credentials': {
      maxLength: MAX_NAME + 1,
      'x-kubernetes-validations': [
        {
          rule: `size(self) <= 253 && self.matches(r'${RE.dns1123Subdomain}')`,
          message: "must be a Secret name: must be a lowercase RFC 1123 subdomain: labels of a-z, 0-9 and '-', separated by '.' (e.g. 'example.com')",
          reason: 'FieldValueInvalid',
        },
      ],
    },
    'spec.gslbLeader.controllerVersion': {
      'x-kubernetes-validations': [
        { rule: `self.matches(r'${RE.version}')`, message: "must have the form N.N.N or N.N.N-suffix (e.g. '22.1.3')", reason: 'FieldValueInvalid' },
      ],
    },
    'spec.gslbLeader.controllerIP': { maxLength: MAX_HOST_PORT, 'x-kubernetes-validations': HOST_PORT_RULES },
    'spec.gslbLeader.tenant': { default: 'admin' },
    'spec.memberClusters': keyedList('clusterContext'),
    'spec.refreshInterval': { default: 1800 },
    'spec.logLevel': { default: 'INFO' },
    'spec.useCustomGlobalFqdn': { default: false },
  },

  GlobalDeploymentPolicy: {
    spec: { 'x-kubernetes-validations': [HEALTH_MONITOR_EXCLUSIVE] },
    'spec.matchRules.appSelector.label': { maxProperties: MAX_LABELS, 'x-kubernetes-validations': LABEL_RULES },
    'spec.matchRules.appSelector.label{}': { maxLength: MAX_LABEL_VALUE, 'x-kubernetes-validations': LABEL_VALUE_RULES },
    'spec.matchRules.namespaceSelector.label': { maxProperties: MAX_LABELS, 'x-kubernetes-validations': LABEL_RULES },
    'spec.matchRules.namespaceSelector.label{}': { maxLength: MAX_LABEL_VALUE, 'x-kubernetes-validations': LABEL_VALUE_RULES },
    'spec.matchClusters': keyedList('cluster'),
    'spec.matchClusters[].syncVipOnly': { default: false },
    'spec.trafficSplit': keyedList('cluster'),
    'spec.trafficSplit[].weight': { default: 1 },
    'spec.trafficSplit[].priority': { default: 10 },
    'spec.healthMonitorRefs': SET,
    ...POOL_AND_DOWN_RESPONSE,
    'spec.poolAlgorithmSettings': {
      default: { lbAlgorithm: RR },
      'x-kubernetes-validations': POOL_ALGORITHM_RULES,
    },
    'spec.poolAlgorithmSettings.lbAlgorithm': { default: RR },
    'spec.defaultDomain': {
      maxLength: MAX_NAME + 1,
      'x-kubernetes-validations': [
        {
          rule: `(self.startsWith('.') ? self.substring(1) : self).matches(r'${RE.dns1123Subdomain}') && size(self.startsWith('.') ? self.substring(1) : self) <= 253`,
          message: "must be a lowercase RFC 1123 subdomain: labels of a-z, 0-9 and '-', separated by '.' (e.g. 'example.com')",
          reason: 'FieldValueInvalid',
        },
      ],
    },
  },

  GSLBHostRule: {
    spec: {
      'x-kubernetes-validations': [
        HEALTH_MONITOR_EXCLUSIVE,
        {
          rule: '!has(self.sitePersistence) || !self.sitePersistence.enabled || !has(self.thirdPartyMembers) || size(self.thirdPartyMembers) == 0',
          message: 'may not be set while sitePersistence.enabled is true',
          reason: 'FieldValueForbidden',
          fieldPath: '.thirdPartyMembers',
        },
      ],
    },
    'spec.fqdn': {
      maxLength: MAX_NAME,
      'x-kubernetes-validations': [
        {
          rule: `self.matches(r'${FQDN}')`,
          message: "must be a DNS name: labels of letters, digits and '-' (at most 63 each), separated by '.' (e.g. 'app.example.com')",
          reason: 'FieldValueInvalid',
        },
      ],
    },
    'spec.sitePersistence': {
      'x-kubernetes-validations': [
        { rule: '!self.enabled || has(self.profileRef)', message: 'required when enabled is true', reason: 'FieldValueRequired', fieldPath: '.profileRef' },
      ],
    },
    'spec.thirdPartyMembers': { maxItems: MAX_LIST },
    'spec.thirdPartyMembers[].vip': { maxLength: MAX_IP + 1, 'x-kubernetes-validations': IP_RULE },
    'spec.thirdPartyMembers[].publicIP': { maxLength: MAX_IP + 1, 'x-kubernetes-validations': IP_RULE },
    'spec.healthMonitorRefs': SET,
    'spec.trafficSplit': keyedList('cluster'),
    'spec.trafficSplit[].weight': { default: 1 },
    'spec.trafficSplit[].priority': { default: 10 },
    'spec.publicIP': { ...keyedList('cluster'), maxItems: MAX_LIST },
    'spec.publicIP[].ip': { maxLength: MAX_IP + 1, 'x-kubernetes-validations': IP_RULE },
    ...POOL_AND_DOWN_RESPONSE,
  },

  AMKOCluster: {
    spec: {
      'x-kubernetes-validations': [
        {
          rule: "self.clusterContext == '' || (has(self.clusters) && self.clusterContext in self.clusters)",
          message: 'must be listed in spec.clusters',
          reason: 'FieldValueInvalid',
          fieldPath: '.clusterContext',
        },
      ],
    },
    'spec.clusters': SET,
    'spec.isLeader': { default: false },
  },
};
