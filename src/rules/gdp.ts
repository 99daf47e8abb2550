// GlobalDeploymentPolicy: which objects of which member clusters become GSLB
// services, and the GSLB properties applied to them.
import { checkDns1123Subdomain, checkLabelKey, checkLabelValue, DETAIL, obj, str, warning } from './checks.js';
import { RE, type CelRule } from './cel.js';
import { invalid } from './field-error.js';
import { DOWN_RESPONSE, HEALTH_MONITOR_EXCLUSIVE, HEALTH_MONITOR_REFS_UNIQUE, memberClustersOnly, POOL_ALGORITHM, uniqueKeys } from './shared.js';
import type { Rule } from './types.js';

/** CEL on a label map: keys are label keys ([prefix/]name). */
const LABEL_KEYS_CEL: CelRule[] = [
  {
    rule:
      `self.all(k, size(k) <= 317 && (k.contains('/') ? ` +
      `(k.indexOf('/') <= 253 && k.substring(0, k.indexOf('/')).matches(r'${RE.dns1123Subdomain}') && ` +
      `size(k) - k.indexOf('/') - 1 <= 63 && k.substring(k.indexOf('/') + 1).matches(r'${RE.qualifiedName}')) : ` +
      `(size(k) <= 63 && k.matches(r'${RE.qualifiedName}'))))`,
    message: DETAIL.labelKey,
    reason: 'FieldValueInvalid',
  },
];
/** CEL on a label map's values: non-empty label values. */
const LABEL_VALUES_CEL: CelRule[] = [{ rule: `self.matches(r'${RE.qualifiedName}')`, message: DETAIL.labelValue, reason: 'FieldValueInvalid' }];

/** `spec.matchRules.<selector>.label`: valid label keys and values; more than one label is a warning. */
function selectorLabels(selector: 'appSelector' | 'namespaceSelector'): Rule {
  const path = `spec.matchRules.${selector}.label`;
  return {
    id: `gdp.${selector === 'appSelector' ? 'app' : 'namespace'}-selector-label`,
    check(o, _ctx, errors, warnings) {
      const labels = obj(obj(obj(obj(o.spec)?.matchRules)?.[selector])?.label);
      if (!labels) return;
      const entries = Object.entries(labels);
      for (const [k, v] of entries) {
        const kd = checkLabelKey(k);
        if (kd) errors.push(invalid(path, k, kd, 'gdp.selector-label-key'));
        if (typeof v === 'string') {
          const vd = checkLabelValue(v);
          if (vd) errors.push(invalid(`${path}[${k}]`, v, vd, 'gdp.selector-label-value'));
        }
      }
      if (entries.length > 1) warnings.push(warning(path, `${entries.length} labels given; an object must carry all of them`));
    },
    cel: { [path]: LABEL_KEYS_CEL, [`${path}{}`]: LABEL_VALUES_CEL },
  };
}

/** `<subdomain>.<defaultDomain>` is a DNS name; AMKO accepts a leading dot on the domain. */
const DEFAULT_DOMAIN: Rule = {
  id: 'gdp.default-domain',
  check(o, _ctx, errors) {
    const domain = str(obj(o.spec)?.defaultDomain);
    if (domain === undefined) return;
    const d = domain === '' ? 'must be a DNS subdomain' : checkDns1123Subdomain(domain.startsWith('.') ? domain.slice(1) : domain);
    if (d) errors.push(invalid('spec.defaultDomain', domain, d, this.id));
  },
  cel: {
    'spec.defaultDomain': [
      {
        rule: `(self.startsWith('.') ? self.substring(1) : self).matches(r'${RE.dns1123Subdomain}') && size(self.startsWith('.') ? self.substring(1) : self) <= 253`,
        message: DETAIL.dns1123Subdomain,
        reason: 'FieldValueInvalid',
      },
    ],
  },
};

/** Warnings about settings that do nothing. */
const NO_EFFECT: Rule = {
  id: 'gdp.no-effect',
  check(o, _ctx, _errors, warnings) {
    const spec = obj(o.spec);
    if (!spec) return;
    if (spec.pkiProfileRef !== undefined && spec.sitePersistenceRef === undefined) {
      warnings.push(warning('spec.pkiProfileRef', 'has no effect without spec.sitePersistenceRef'));
    }
    const rules = obj(spec.matchRules);
    if (!obj(rules?.appSelector)?.label && !obj(rules?.namespaceSelector)?.label) {
      warnings.push(warning('spec.matchRules', 'no appSelector or namespaceSelector label; the policy selects no objects'));
    }
  },
};

export const GDP_RULES: readonly Rule[] = [
  selectorLabels('appSelector'),
  selectorLabels('namespaceSelector'),
  uniqueKeys('gdp.match-clusters-unique', 'matchClusters', 'cluster'),
  memberClustersOnly('gdp.match-clusters-member', 'matchClusters'),
  uniqueKeys('gdp.traffic-split-unique', 'trafficSplit', 'cluster'),
  memberClustersOnly('gdp.traffic-split-member', 'trafficSplit'),
  HEALTH_MONITOR_REFS_UNIQUE,
  HEALTH_MONITOR_EXCLUSIVE,
  POOL_ALGORITHM,
  DOWN_RESPONSE,
  DEFAULT_DOMAIN,
  NO_EFFECT,
];
