// GSLBHostRule: per-FQDN overrides of the GDP's GSLB properties, plus
// third-party (non-Avi) members and per-cluster public IPs.
import { AMKO_NAMESPACE } from '../api/common.js';
import { arr, checkFqdn, isIPAddress, obj, str, warning } from './checks.js';
import { duplicate, forbidden, invalid, required } from './field-error.js';
import { checkMemberClusters } from './gdp.js';
import { checkDownResponse, checkHealthMonitors, checkPoolAlgorithm, checkUnique, nameOf, namespaceOf } from './shared.js';
import type { KindRules } from './types.js';

export const gslbHostRuleRules: KindRules = {
  validate(o, ctx, errors, warnings) {
    const spec = obj(o.spec);
    if (!spec) return;
    const fqdn = str(spec.fqdn);
    if (fqdn) {
      const d = checkFqdn(fqdn);
      if (d) errors.push(invalid('spec.fqdn', fqdn, d, 'gslbhostrule.fqdn'));
      const oldFqdn = str(obj(obj(ctx.oldObject)?.spec)?.fqdn);
      if (ctx.view && (ctx.operation === 'CREATE' || oldFqdn !== fqdn)) {
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
        if (other) {
          errors.push(
            duplicate('spec.fqdn', fqdn, 'gslbhostrule.fqdn-unique', `already used by GSLBHostRule ${namespaceOf(other)}/${nameOf(other)}`),
          );
        }
      }
    }

    const sp = obj(spec.sitePersistence);
    const spEnabled = sp?.enabled === true;
    if (sp && spEnabled && sp.profileRef === undefined) {
      errors.push(required('spec.sitePersistence.profileRef', 'required when enabled is true', 'gslbhostrule.site-persistence-profile'));
    }
    if (sp && sp.enabled === false && sp.profileRef !== undefined) {
      warnings.push(warning('spec.sitePersistence.profileRef', 'ignored while enabled is false'));
    }
    const members = arr(spec.thirdPartyMembers);
    if (spEnabled && spec.thirdPartyMembers !== undefined && members.length > 0) {
      errors.push(
        forbidden('spec.thirdPartyMembers', 'may not be set while sitePersistence.enabled is true', 'gslbhostrule.third-party-site-persistence'),
      );
    }
    members.forEach((m, i) => {
      const mo = obj(m);
      if (!mo) return;
      for (const f of ['vip', 'publicIP'] as const) {
        const v = str(mo[f]);
        if (v && !isIPAddress(v)) {
          errors.push(invalid(`spec.thirdPartyMembers[${i}].${f}`, v, 'must be a valid IPv4 or IPv6 address', `gslbhostrule.third-party-${f.toLowerCase()}`));
        }
      }
    });
    const sites = [...new Set(members.map((m) => str(obj(m)?.site)).filter((s): s is string => !!s))];

    checkUnique(spec.trafficSplit, 'spec.trafficSplit', 'cluster', 'gslbhostrule.traffic-split-unique', errors);
    checkMemberClusters(spec.trafficSplit, 'spec.trafficSplit', ctx, errors, warnings, 'gslbhostrule.traffic-split-member', sites);

    checkUnique(spec.publicIP, 'spec.publicIP', 'cluster', 'gslbhostrule.public-ip-unique', errors);
    checkMemberClusters(spec.publicIP, 'spec.publicIP', ctx, errors, warnings, 'gslbhostrule.public-ip-member');
    arr(spec.publicIP).forEach((p, i) => {
      const ip = str(obj(p)?.ip);
      if (ip && !isIPAddress(ip)) {
        errors.push(invalid(`spec.publicIP[${i}].ip`, ip, 'must be a valid IPv4 or IPv6 address', 'gslbhostrule.public-ip'));
      }
    });

    checkHealthMonitors(spec, 'spec', errors);
    checkPoolAlgorithm(spec.poolAlgorithmSettings, 'spec.poolAlgorithmSettings', errors);
    checkDownResponse(spec.downResponse, 'spec.downResponse', errors);
  },
};
