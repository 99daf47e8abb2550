// GSLBConfig: the GSLB leader's address and credentials, the member clusters.
import { UUID_ANNOTATION } from '../api/common.js';
import { checkDns1123Subdomain, checkHostPort, checkUuid, checkVersion, DETAIL, obj, str, warning } from './checks.js';
import { HOST_PORT_RULES, RE } from './cel.js';
import { invalid } from './field-error.js';
import { uniqueKeys } from './shared.js';
import type { Rule } from './types.js';

const CREDENTIALS_DETAIL = `must be a Secret name: ${DETAIL.dns1123Subdomain}`;

const uuidOf = (o: unknown): unknown => obj(obj(obj(o)?.metadata)?.annotations)?.[UUID_ANNOTATION];

const UUID: Rule = {
  id: 'gslbconfig.uuid',
  check(o, _ctx, errors) {
    const uuid = uuidOf(o);
    const d = typeof uuid === 'string' && checkUuid(uuid);
    if (d) errors.push(invalid(`metadata.annotations[${UUID_ANNOTATION}]`, uuid, d, this.id));
  },
};

const leaderOf = (o: Record<string, unknown>) => obj(obj(o.spec)?.gslbLeader);

const CONTROLLER_IP: Rule = {
  id: 'gslbconfig.controller-ip',
  check(o, _ctx, errors) {
    const ip = str(leaderOf(o)?.controllerIP);
    const d = ip && checkHostPort(ip);
    if (d) errors.push(invalid('spec.gslbLeader.controllerIP', ip, d, this.id));
  },
  cel: { 'spec.gslbLeader.controllerIP': HOST_PORT_RULES },
};

const CREDENTIALS: Rule = {
  id: 'gslbconfig.credentials',
  check(o, _ctx, errors) {
    const cred = str(leaderOf(o)?.credentials);
    const d = cred && checkDns1123Subdomain(cred);
    if (d) errors.push(invalid('spec.gslbLeader.credentials', cred, `must be a Secret name: ${d}`, this.id));
  },
  cel: {
    'spec.gslbLeader.credentials': [
      { rule: `size(self) <= 253 && self.matches(r'${RE.dns1123Subdomain}')`, message: CREDENTIALS_DETAIL, reason: 'FieldValueInvalid' },
    ],
  },
};

const CONTROLLER_VERSION: Rule = {
  id: 'gslbconfig.controller-version',
  check(o, _ctx, errors) {
    const ver = str(leaderOf(o)?.controllerVersion);
    const d = ver !== undefined && checkVersion(ver);
    if (d) errors.push(invalid('spec.gslbLeader.controllerVersion', ver, d, this.id));
  },
  cel: { 'spec.gslbLeader.controllerVersion': [{ rule: `self.matches(r'${RE.version}')`, message: DETAIL.version, reason: 'FieldValueInvalid' }] },
};

/**
 * A changed UUID annotation warns on UPDATE: the new UUID is used at once, and GSLB services created
 * under the old one are no longer recognised as this instance's. The reconcile worker applies every
 * spec field live (controller, credentials, version, tenant, member clusters, refreshInterval,
 * useCustomGlobalFqdn, logLevel), so no spec field needs a restart warning.
 */
const UUID_CHANGE: Rule = {
  id: 'gslbconfig.uuid-change',
  check(o, ctx, _errors, warnings) {
    if (ctx.operation !== 'UPDATE' || !obj(o.spec) || !obj(obj(ctx.oldObject)?.spec)) return;
    const uuid = uuidOf(o);
    const oldUuid = uuidOf(ctx.oldObject);
    if (oldUuid !== undefined && uuid !== undefined && oldUuid !== uuid) {
      warnings.push(warning(`metadata.annotations[${UUID_ANNOTATION}]`, 'changed; GSLB services owned by the old UUID are left unmanaged'));
    }
  },
};

export const GSLB_CONFIG_RULES: readonly Rule[] = [
  UUID,
  CONTROLLER_IP,
  CREDENTIALS,
  CONTROLLER_VERSION,
  uniqueKeys('gslbconfig.member-clusters-unique', 'memberClusters', 'clusterContext'),
  UUID_CHANGE,
];
