// GSLBHostRule: per-FQDN overrides of the GDP's GSLB properties, plus
// third-party (non-Avi) members and per-cluster public IPs.
import { AMKO_NAMESPACE } from '../api/common.js';
import { arr, checkFqdn, DETAIL, isIPAddress, obj, str, warning, type Obj } from './checks.js';
import { FQDN_RE, IP_RULES } from './cel.js';
import { duplicate, forbidden, invalid, required } from './field-error.js';
import {
  DOWN_RESPONSE,
  HEALTH_MONITOR_EXCLUSIVE,
  HEALTH_MONITOR_REFS_UNIQUE,
  memberClustersOnly,
  nameOf,
  namespaceOf,
  POOL_ALGORITHM,
  uniqueKeys,
} from './shared.js';
import type { Rule } from './types.js';

const MSG = {
  profileRequired: 'required when enabled is true',
  thirdPartyWithPersistence: 'may not be set while sitePersistence.enabled is true',
} as const;

const FQDN: Rule = {
  id: 'gslbhostrule.fqdn',
  check(o, _ctx, errors) {
    const fqdn = str(obj(o.spec)?.fqdn);
    const d = fqdn && checkFqdn(fqdn);
    if (d) errors.push(invalid('spec.fqdn', fqdn, d, this.id));
  },
  cel: { 'spec.fqdn': [{ rule: `self.matches(r'${FQDN_RE}')`, message: DETAIL.fqdn, reason: 'FieldValueInvalid' }] },
};

/** No other GSLBHostRule in avi-system has the same FQDN (checked on create and when the FQDN changes). */
const FQDN_UNIQUE: Rule = {
  id: 'gslbhostrule.fqdn-unique',
  check(o, ctx, errors) {
    const fqdn = str(obj(o.spec)?.fqdn);
    if (!fqdn || !ctx.view) return;
    const oldFqdn = str(obj(obj(ctx.oldObject)?.spec)?.fqdn);
    if (ctx.operation !== 'CREATE' && oldFqdn === fqdn) return;
    // othersInNamespace(…).find(same fqdn) in one pass, fqdn first: the cache may hold thousands.
    // DNS names compare without regard to letter case (RFC 4343): App.example.com is app.example.com.
    const key = fqdn.toLowerCase();
    const other = ctx.view
      .list('GSLBHostRule')
      .find(
        (r) =>
          str(obj(r.spec)?.fqdn)?.toLowerCase() === key &&
          namespaceOf(r) === AMKO_NAMESPACE &&
          !(nameOf(r) === ctx.name && namespaceOf(r) === ctx.namespace),
      );
    if (other) errors.push(duplicate('spec.fqdn', fqdn, this.id, `already used by GSLBHostRule ${namespaceOf(other)}/${nameOf(other)}`));
  },
};

const SITE_PERSISTENCE_PROFILE: Rule = {
  id: 'gslbhostrule.site-persistence-profile',
  check(o, _ctx, errors, warnings) {
    const sp = obj(obj(o.spec)?.sitePersistence);
    if (sp?.enabled === true && sp.profileRef === undefined) {
      errors.push(required('spec.sitePersistence.profileRef', MSG.profileRequired, this.id));
    }
    if (sp?.enabled === false && sp.profileRef !== undefined) {
      warnings.push(warning('spec.sitePersistence.profileRef', 'ignored while enabled is false'));
    }
  },
  cel: {
    'spec.sitePersistence': [
      { rule: '!self.enabled || has(self.profileRef)', message: MSG.profileRequired, reason: 'FieldValueRequired', fieldPath: '.profileRef' },
    ],
  },
};

const THIRD_PARTY_SITE_PERSISTENCE: Rule = {
  id: 'gslbhostrule.third-party-site-persistence',
  check(o, _ctx, errors) {
    const spec = obj(o.spec);
    if (obj(spec?.sitePersistence)?.enabled === true && arr(spec?.thirdPartyMembers).length > 0) {
      errors.push(forbidden('spec.thirdPartyMembers', MSG.thirdPartyWithPersistence, this.id));
    }
  },
  cel: {
    spec: [
      {
        rule: '!has(self.sitePersistence) || !self.sitePersistence.enabled || !has(self.thirdPartyMembers) || size(self.thirdPartyMembers) == 0',
        message: MSG.thirdPartyWithPersistence,
        reason: 'FieldValueForbidden',
        fieldPath: '.thirdPartyMembers',
      },
    ],
  },
};

/** An IP address in each `spec.<list>[i].<field>` that is set. */
function ipAddresses(id: string, list: string, field: string): Rule {
  return {
    id,
    check(o, _ctx, errors) {
      arr(obj(o.spec)?.[list]).forEach((e, i) => {
        const v = str(obj(e)?.[field]);
        if (v && !isIPAddress(v)) errors.push(invalid(`spec.${list}[${i}].${field}`, v, DETAIL.ip, id));
      });
    },
    cel: { [`spec.${list}[].${field}`]: IP_RULES },
  };
}

/** The thirdPartyMembers sites, which a trafficSplit entry may name besides the member clusters. */
const thirdPartySites = (spec: Obj): string[] => [
  ...new Set(arr(spec.thirdPartyMembers).map((m) => str(obj(m)?.site)).filter((s): s is string => !!s)),
];

export const GSLB_HOST_RULE_RULES: readonly Rule[] = [
  FQDN,
  FQDN_UNIQUE,
  SITE_PERSISTENCE_PROFILE,
  HEALTH_MONITOR_REFS_UNIQUE,
  HEALTH_MONITOR_EXCLUSIVE,
  THIRD_PARTY_SITE_PERSISTENCE,
  ipAddresses('gslbhostrule.third-party-vip', 'thirdPartyMembers', 'vip'),
  ipAddresses('gslbhostrule.third-party-publicip', 'thirdPartyMembers', 'publicIP'),
  uniqueKeys('gslbhostrule.traffic-split-unique', 'trafficSplit', 'cluster'),
  memberClustersOnly('gslbhostrule.traffic-split-member', 'trafficSplit', thirdPartySites),
  uniqueKeys('gslbhostrule.public-ip-unique', 'publicIP', 'cluster'),
  memberClustersOnly('gslbhostrule.public-ip-member', 'publicIP'),
  ipAddresses('gslbhostrule.public-ip', 'publicIP', 'ip'),
  POOL_ALGORITHM,
  DOWN_RESPONSE,
];
