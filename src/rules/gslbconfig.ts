// GSLBConfig: the GSLB leader's address and credentials, the member clusters.
import { UUID_ANNOTATION } from '../api/common.js';
import { arr, checkDns1123Subdomain, checkHostPort, checkUuid, checkVersion, obj, str, warning } from './checks.js';
import { invalid, type FieldError } from './field-error.js';
import { checkUnique } from './shared.js';
import type { KindRules } from './types.js';

/** Fields the running worker reads once at start: a change needs a restart of amko. */
const RESTART_FIELDS: Array<[string, (spec: Record<string, unknown>) => unknown]> = [
  ['spec.gslbLeader.controllerIP', (s) => obj(s.gslbLeader)?.controllerIP],
  ['spec.gslbLeader.controllerVersion', (s) => obj(s.gslbLeader)?.controllerVersion],
  ['spec.gslbLeader.credentials', (s) => obj(s.gslbLeader)?.credentials],
  ['spec.gslbLeader.tenant', (s) => obj(s.gslbLeader)?.tenant],
  [
    'spec.memberClusters',
    (s) =>
      arr(s.memberClusters)
        .map((m) => str(obj(m)?.clusterContext) ?? '')
        .sort(),
  ],
  ['spec.refreshInterval', (s) => s.refreshInterval],
  ['spec.useCustomGlobalFqdn', (s) => s.useCustomGlobalFqdn],
];

export const gslbConfigRules: KindRules = {
  singleton: true,
  validate(o, ctx, errors, warnings) {
    const spec = obj(o.spec);
    const annotations = obj(obj(o.metadata)?.annotations);
    const uuid = annotations?.[UUID_ANNOTATION];
    if (typeof uuid === 'string') {
      const d = checkUuid(uuid);
      if (d) errors.push(invalid(`metadata.annotations[${UUID_ANNOTATION}]`, uuid, d, 'gslbconfig.uuid'));
    }
    if (!spec) return;
    const leader = obj(spec.gslbLeader);
    if (leader) {
      const ip = str(leader.controllerIP);
      if (ip) {
        const d = checkHostPort(ip);
        if (d) errors.push(invalid('spec.gslbLeader.controllerIP', ip, d, 'gslbconfig.controller-ip'));
      }
      const cred = str(leader.credentials);
      if (cred) {
        const d = checkDns1123Subdomain(cred);
        if (d) errors.push(invalid('spec.gslbLeader.credentials', cred, `must be a Secret name: ${d}`, 'gslbconfig.credentials'));
      }
      const ver = str(leader.controllerVersion);
      if (ver !== undefined) {
        const d = checkVersion(ver);
        if (d) errors.push(invalid('spec.gslbLeader.controllerVersion', ver, d, 'gslbconfig.controller-version'));
      }
    }
    checkUnique(spec.memberClusters, 'spec.memberClusters', 'clusterContext', 'gslbconfig.member-clusters-unique', errors);

    if (ctx.operation === 'UPDATE') {
      const old = obj(obj(ctx.oldObject)?.spec);
      if (old) {
        for (const [field, get] of RESTART_FIELDS) {
          if (JSON.stringify(get(old)) !== JSON.stringify(get(spec))) warnings.push(warning(field, 'takes effect after restart'));
        }
        const oldUuid = obj(obj(obj(ctx.oldObject)?.metadata)?.annotations)?.[UUID_ANNOTATION];
        if (oldUuid !== undefined && uuid !== undefined && oldUuid !== uuid) {
          warnings.push(warning(`metadata.annotations[${UUID_ANNOTATION}]`, 'takes effect after restart'));
        }
      }
    }
  },
};

export type { FieldError };
