// GSLBConfig: the GSLB leader's address and credentials, the member clusters.
import { UUID_ANNOTATION } from '../api/common.js';
import { checkDns1123Subdomain, checkHostPort, checkUuid, checkVersion, obj, str, warning } from './checks.js';
import { invalid, type FieldError } from './field-error.js';
import { checkUnique } from './shared.js';
import type { KindRules } from './types.js';

/**
 * Fields the running worker cannot apply live get an UPDATE warning. The
 * reconcile worker (src/reconcile/worker.ts) applies every spec field live
 * (controller, credentials, version, tenant, member clusters, refreshInterval,
 * useCustomGlobalFqdn, logLevel), so only the UUID annotation is left: a new
 * UUID is used at once, and GSLB services created under the old one are no
 * longer recognised as this instance's. Add a spec path here if the worker ever
 * needs a restart for it.
 */
const RESTART_FIELDS: Array<[string, (spec: Record<string, unknown>) => unknown]> = [];

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
          warnings.push(warning(`metadata.annotations[${UUID_ANNOTATION}]`, 'changed; GSLB services owned by the old UUID are left unmanaged'));
        }
      }
    }
  },
};

export type { FieldError };
