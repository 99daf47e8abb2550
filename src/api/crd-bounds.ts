// CRD-only additions to the TypeBox schemas that are no rule of their own: list
// types (the API server rejects duplicate keys) and the size bounds CEL cost
// estimation needs. They only cut off what the rules reject anyway (over-long
// names, labels and addresses) or sizes no GSLB deployment comes near. The CEL
// rules and the schema defaults come from src/rules (the rule catalogue and the
// defaults table); src/rules/crd-overlay.ts merges all three.
//
// Keyed by kind and by a path into the resource schema:
//   "spec.poolAlgorithmSettings"           a property
//   "spec.trafficSplit[]"                  the items of an array
//   "spec.matchRules.appSelector.label{}"  the values of a string map
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

/** What an overlay may add to a schema node. */
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

export const MAX_LIST = 256;
export const MAX_LABELS = 64;
/** A DNS name / Kubernetes object name. */
export const MAX_NAME = 253;
/** host[:port] or [IPv6]:port. */
export const MAX_HOST_PORT = 261;
/** Longest textual IP address (IPv6 with an embedded IPv4 tail). */
export const MAX_IP = 45;
export const MAX_LABEL_VALUE = 63;

/** A list keyed by one required string field: the API server rejects duplicate keys. */
function keyedList(key: string): SchemaOverlay {
  return { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [key] };
}
/** A list of unique strings. */
const SET: SchemaOverlay = { 'x-kubernetes-list-type': 'set' };

const LABELS: SchemaOverlay = { maxProperties: MAX_LABELS };
const LABEL_VALUE: SchemaOverlay = { maxLength: MAX_LABEL_VALUE };
const IP: SchemaOverlay = { maxLength: MAX_IP + 1 };

export const CRD_BOUNDS: Record<KindName, KindOverlay> = {
  GSLBConfig: {
    'spec.gslbLeader.credentials': { maxLength: MAX_NAME + 1 },
    'spec.gslbLeader.controllerIP': { maxLength: MAX_HOST_PORT },
    'spec.memberClusters': keyedList('clusterContext'),
  },
  GlobalDeploymentPolicy: {
    'spec.matchRules.appSelector.label': LABELS,
    'spec.matchRules.appSelector.label{}': LABEL_VALUE,
    'spec.matchRules.namespaceSelector.label': LABELS,
    'spec.matchRules.namespaceSelector.label{}': LABEL_VALUE,
    'spec.matchClusters': keyedList('cluster'),
    'spec.trafficSplit': keyedList('cluster'),
    'spec.healthMonitorRefs': SET,
    'spec.downResponse.fallbackIP': IP,
    'spec.defaultDomain': { maxLength: MAX_NAME + 1 },
  },
  GSLBHostRule: {
    'spec.fqdn': { maxLength: MAX_NAME },
    'spec.thirdPartyMembers': { maxItems: MAX_LIST },
    'spec.thirdPartyMembers[].vip': IP,
    'spec.thirdPartyMembers[].publicIP': IP,
    'spec.healthMonitorRefs': SET,
    'spec.trafficSplit': keyedList('cluster'),
    'spec.publicIP': { ...keyedList('cluster'), maxItems: MAX_LIST },
    'spec.publicIP[].ip': IP,
    'spec.downResponse.fallbackIP': IP,
  },
  AMKOCluster: {
    'spec.clusters': SET,
  },
};
