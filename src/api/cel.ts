// CRD-only additions to the TypeBox schemas: CEL rules (x-kubernetes-validations),
// schema defaults, list types and the size bounds CEL cost estimation needs.
// Keyed by kind and by a path into the resource schema:
//   "spec.poolAlgorithmSettings"   a property
//   "spec.trafficSplit[]"          the items of an array
//   "spec.matchRules.appSelector.label{}"  the values of a string map
// Only single-object rules belong here; rules that need other objects
// (namespace, singletons, member clusters, duplicate fqdn) stay in the webhook.
// src/api/crd.ts merges this overlay and fails when a path does not exist.
import { DOWN_RESPONSE_TYPES } from './common.js';
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

// Bounds. CEL cost estimation multiplies per-element costs by these; they are far
// above anything a GSLB deployment uses (clusters, sites, monitors).
export const MAX_CLUSTERS = 64;
export const MAX_REFS = 32;
export const MAX_LABELS = 16;
export const MAX_NAME_LENGTH = 253;
/** Longest textual IP address (IPv6 with an embedded IPv4 tail). */
export const MAX_IP_LENGTH = 45;

const RR = 'GSLB_ALGORITHM_ROUND_ROBIN';
const CH = 'GSLB_ALGORITHM_CONSISTENT_HASH';
const GEO = 'GSLB_ALGORITHM_GEO';
const TOPOLOGY = 'GSLB_ALGORITHM_TOPOLOGY';
const FALLBACK_IP = DOWN_RESPONSE_TYPES[2];

/** spec.poolAlgorithmSettings (GDP and GSLBHostRule): the algorithm matrix (amko-spec §2.5). */
export const POOL_ALGORITHM_RULES: CelRule[] = [
  {
    rule: 'has(self.lbAlgorithm)',
    message: 'lbAlgorithm is required when poolAlgorithmSettings is set',
    reason: 'FieldValueRequired',
    fieldPath: '.lbAlgorithm',
  },
  {
    rule: `!has(self.lbAlgorithm) || !(self.lbAlgorithm in ['${RR}', '${TOPOLOGY}']) || !has(self.geoFallback)`,
    messageExpression: "'geoFallback not allowed for ' + self.lbAlgorithm",
    reason: 'FieldValueForbidden',
    fieldPath: '.geoFallback',
  },
  {
    rule: `!has(self.lbAlgorithm) || !(self.lbAlgorithm in ['${RR}', '${TOPOLOGY}']) || !has(self.hashMask)`,
    messageExpression: "'hashMask not allowed for ' + self.lbAlgorithm",
    reason: 'FieldValueForbidden',
    fieldPath: '.hashMask',
  },
  {
    rule: `!has(self.lbAlgorithm) || self.lbAlgorithm != '${CH}' || !has(self.geoFallback)`,
    message: 'geoFallback is not allowed with ConsistentHash',
    reason: 'FieldValueForbidden',
    fieldPath: '.geoFallback',
  },
  {
    rule: `!has(self.lbAlgorithm) || self.lbAlgorithm != '${CH}' || has(self.hashMask)`,
    message: 'hashMask is required for ConsistentHash',
    reason: 'FieldValueRequired',
    fieldPath: '.hashMask',
  },
  {
    rule: `!has(self.lbAlgorithm) || self.lbAlgorithm != '${GEO}' || has(self.geoFallback)`,
    message: 'geoFallback has to be set for Geo, available choices: RoundRobin, ConsistentHash',
    reason: 'FieldValueRequired',
    fieldPath: '.geoFallback',
  },
];

/** spec.poolAlgorithmSettings.geoFallback. */
export const GEO_FALLBACK_RULES: CelRule[] = [
  {
    rule: 'has(self.lbAlgorithm)',
    message: 'lbAlgorithm is required in geoFallback',
    reason: 'FieldValueRequired',
    fieldPath: '.lbAlgorithm',
  },
  {
    rule: `!has(self.lbAlgorithm) || self.lbAlgorithm != '${RR}' || !has(self.hashMask)`,
    message: `hashMask is not allowed with ${RR} as geoFallback algorithm`,
    reason: 'FieldValueForbidden',
    fieldPath: '.hashMask',
  },
  {
    rule: `!has(self.lbAlgorithm) || self.lbAlgorithm != '${CH}' || has(self.hashMask)`,
    message: `hashMask is required for ${CH} as the geoFallback algorithm`,
    reason: 'FieldValueRequired',
    fieldPath: '.hashMask',
  },
];

/** spec.downResponse (amko-spec §2.6). An empty fallbackIP counts as unset, as in AMKO. */
export const DOWN_RESPONSE_RULES: CelRule[] = [
  {
    rule: `self.type != '${FALLBACK_IP}' || (has(self.fallbackIP) && self.fallbackIP != '')`,
    message: `Fallback IP is required for ${FALLBACK_IP}`,
    reason: 'FieldValueRequired',
    fieldPath: '.fallbackIP',
  },
  {
    rule: `self.type != '${FALLBACK_IP}' || !has(self.fallbackIP) || self.fallbackIP == '' || isIP(self.fallbackIP)`,
    messageExpression: "'Fallback IP ' + self.fallbackIP + ' is not valid'",
    reason: 'FieldValueInvalid',
    fieldPath: '.fallbackIP',
  },
  {
    rule: `self.type == '${FALLBACK_IP}' || !has(self.fallbackIP) || self.fallbackIP == ''`,
    messageExpression: "'Fallback IP is not allowed for ' + self.type",
    reason: 'FieldValueForbidden',
    fieldPath: '.fallbackIP',
  },
];

/** On spec: a template and non-empty refs are mutually exclusive. */
export function healthMonitorExclusiveRule(message: string): CelRule {
  return {
    rule: '!has(self.healthMonitorTemplate) || !has(self.healthMonitorRefs) || size(self.healthMonitorRefs) == 0',
    message,
    reason: 'FieldValueForbidden',
    fieldPath: '.healthMonitorTemplate',
  };
}

function labelRules(selector: 'appSelector' | 'namespaceSelector'): CelRule[] {
  return [
    {
      rule: "self.all(k, self[k] != '')",
      messageExpression: `'label value is missing for key ' + self.filter(k, self[k] == '')[0] + ' for ${selector}'`,
      reason: 'FieldValueRequired',
    },
    {
      rule: "self.all(k, k != '')",
      messageExpression: `'label key is missing for value ' + self[''] + ' for ${selector}'`,
      reason: 'FieldValueRequired',
    },
  ];
}

/** A list keyed by one required string field: the API server rejects duplicate keys. */
function keyedList(key: string, maxItems = MAX_CLUSTERS): SchemaOverlay {
  return { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [key], maxItems };
}

export const CRD_OVERLAY: Record<KindName, KindOverlay> = {
  GSLBConfig: {
    'spec.gslbLeader.tenant': { default: 'admin' },
    'spec.memberClusters': { maxItems: MAX_CLUSTERS },
    'spec.refreshInterval': { default: 1800 },
    'spec.logLevel': { default: 'INFO' },
    'spec.useCustomGlobalFqdn': { default: false },
  },

  GlobalDeploymentPolicy: {
    spec: {
      'x-kubernetes-validations': [
        healthMonitorExclusiveRule('health monitor reference and template cannot be specified together'),
      ],
    },
    'spec.matchRules.appSelector.label': {
      maxProperties: MAX_LABELS,
      'x-kubernetes-validations': labelRules('appSelector'),
    },
    'spec.matchRules.namespaceSelector.label': {
      maxProperties: MAX_LABELS,
      'x-kubernetes-validations': labelRules('namespaceSelector'),
    },
    'spec.matchClusters': keyedList('cluster'),
    'spec.matchClusters[].syncVipOnly': { default: false },
    'spec.trafficSplit': keyedList('cluster'),
    'spec.trafficSplit[].weight': { default: 1 },
    'spec.trafficSplit[].priority': { default: 10 },
    'spec.healthMonitorRefs': { maxItems: MAX_REFS },
    'spec.poolAlgorithmSettings': { 'x-kubernetes-validations': POOL_ALGORITHM_RULES },
    'spec.poolAlgorithmSettings.geoFallback': { 'x-kubernetes-validations': GEO_FALLBACK_RULES },
    'spec.downResponse': { 'x-kubernetes-validations': DOWN_RESPONSE_RULES },
    'spec.downResponse.fallbackIP': { maxLength: MAX_IP_LENGTH },
  },

  GSLBHostRule: {
    spec: {
      'x-kubernetes-validations': [
        healthMonitorExclusiveRule('health monitor reference and template cannot be specified together'),
      ],
    },
    'spec.fqdn': { maxLength: MAX_NAME_LENGTH },
    'spec.thirdPartyMembers': { maxItems: MAX_CLUSTERS },
    'spec.thirdPartyMembers[]': {
      'x-kubernetes-validations': [
        {
          rule: 'isIP(self.vip)',
          messageExpression: "'Invalid VIP for thirdPartyMember site ' + self.site + ' (expecting IP address)'",
          reason: 'FieldValueInvalid',
          fieldPath: '.vip',
        },
      ],
    },
    'spec.thirdPartyMembers[].site': { maxLength: MAX_NAME_LENGTH },
    'spec.thirdPartyMembers[].vip': { maxLength: MAX_IP_LENGTH },
    'spec.healthMonitorRefs': { maxItems: MAX_REFS },
    'spec.trafficSplit': keyedList('cluster'),
    'spec.trafficSplit[].weight': { default: 1 },
    'spec.trafficSplit[].priority': { default: 10 },
    'spec.publicIP': keyedList('cluster'),
    'spec.publicIP[]': {
      'x-kubernetes-validations': [
        {
          rule: 'isIP(self.ip)',
          messageExpression: "'Invalid IP for site ' + self.cluster + ' (expecting IP address)'",
          reason: 'FieldValueInvalid',
          fieldPath: '.ip',
        },
      ],
    },
    'spec.publicIP[].cluster': { maxLength: MAX_NAME_LENGTH },
    'spec.publicIP[].ip': { maxLength: MAX_IP_LENGTH },
    'spec.poolAlgorithmSettings': { 'x-kubernetes-validations': POOL_ALGORITHM_RULES },
    'spec.poolAlgorithmSettings.geoFallback': { 'x-kubernetes-validations': GEO_FALLBACK_RULES },
    'spec.downResponse': { 'x-kubernetes-validations': DOWN_RESPONSE_RULES },
    'spec.downResponse.fallbackIP': { maxLength: MAX_IP_LENGTH },
  },

  AMKOCluster: {
    spec: {
      'x-kubernetes-validations': [
        {
          rule: "has(self.clusters) && self.clusterContext in self.clusters",
          messageExpression: "'current cluster context ' + self.clusterContext + ' not part of member clusters'",
          reason: 'FieldValueInvalid',
          fieldPath: '.clusters',
        },
      ],
    },
    'spec.clusterContext': { maxLength: MAX_NAME_LENGTH },
    'spec.clusters': { maxItems: MAX_CLUSTERS },
    'spec.clusters[]': { maxLength: MAX_NAME_LENGTH },
    'spec.isLeader': { default: false },
  },
};
