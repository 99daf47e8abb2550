// The four kinds this product serves: names, versions and schemas, in one table
// that the admission server, the CLI, the CRD generator and the worker all read.
import type { TSchema } from '@sinclair/typebox';
import { GROUP } from './common.js';
import { GSLBConfigSchema } from './gslbconfig.js';
import { GDPSchema } from './gdp.js';
import { GSLBHostRuleSchema } from './gslbhostrule.js';
import { AMKOClusterSchema } from './amkocluster.js';

export type KindName = 'GSLBConfig' | 'GlobalDeploymentPolicy' | 'GSLBHostRule' | 'AMKOCluster';

export interface KindInfo {
  kind: KindName;
  version: string;
  plural: string;
  singular: string;
  shortNames: string[];
  listKind: string;
  schema: TSchema;
}

export const KINDS: Record<KindName, KindInfo> = {
  GSLBConfig: {
    kind: 'GSLBConfig',
    version: 'v1alpha1',
    plural: 'gslbconfigs',
    singular: 'gslbconfig',
    shortNames: ['gc'],
    listKind: 'GSLBConfigList',
    schema: GSLBConfigSchema,
  },
  GlobalDeploymentPolicy: {
    kind: 'GlobalDeploymentPolicy',
    version: 'v1alpha2',
    plural: 'globaldeploymentpolicies',
    singular: 'globaldeploymentpolicy',
    shortNames: ['gdp'],
    listKind: 'GlobalDeploymentPolicyList',
    schema: GDPSchema,
  },
  GSLBHostRule: {
    kind: 'GSLBHostRule',
    version: 'v1alpha1',
    plural: 'gslbhostrules',
    singular: 'gslbhostrule',
    shortNames: ['ghr'],
    listKind: 'GSLBHostRuleList',
    schema: GSLBHostRuleSchema,
  },
  AMKOCluster: {
    kind: 'AMKOCluster',
    version: 'v1alpha1',
    plural: 'amkoclusters',
    singular: 'amkocluster',
    shortNames: [],
    listKind: 'AMKOClusterList',
    schema: AMKOClusterSchema,
  },
};

export const KIND_NAMES = Object.keys(KINDS) as KindName[];

export function apiVersionOf(kind: KindName): string {
  return `${GROUP}/${KINDS[kind].version}`;
}

export function isKindName(kind: unknown): kind is KindName {
  return typeof kind === 'string' && Object.hasOwn(KINDS, kind);
}
