// GlobalDeploymentPolicy: which objects of which member clusters become GSLB
// services, and the GSLB properties applied to them.
import { arr, checkDns1123Subdomain, checkLabelKey, checkLabelValue, obj, quoteList, str, warning } from './checks.js';
import { invalid, notFound, type FieldError } from './field-error.js';
import { checkDownResponse, checkHealthMonitors, checkPoolAlgorithm, checkUnique, memberClusters } from './shared.js';
import type { KindContext, KindRules } from './types.js';
import type { Obj } from './checks.js';

export function checkSelectorLabels(selector: unknown, path: string, errors: FieldError[], warnings: string[]): void {
  const labels = obj(obj(selector)?.label);
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
}

/** Checks that each `list[i].cluster` is a member cluster; warns once if there is no GSLBConfig to check against. */
export function checkMemberClusters(
  list: unknown,
  path: string,
  ctx: KindContext,
  errors: FieldError[],
  warnings: string[],
  rule: string,
  extraAllowed: readonly string[] = [],
): void {
  const entries = arr(list);
  if (!ctx.view || entries.length === 0) return;
  const members = memberClusters(ctx.view);
  entries.forEach((e, i) => {
    const c = str(obj(e)?.cluster);
    if (!c || extraAllowed.includes(c)) return;
    if (!members) return;
    if (!members.clusters.includes(c)) {
      const allowed = [...members.clusters, ...extraAllowed];
      const what = extraAllowed.length ? 'a member cluster or a thirdPartyMembers site' : 'a member cluster';
      errors.push(notFound(`${path}[${i}].cluster`, c, `must be ${what} of GSLBConfig ${members.gslbConfig}: ${quoteList(allowed)}`, rule));
    }
  });
  if (!members && entries.some((e) => !extraAllowed.includes(str(obj(e)?.cluster) ?? ''))) {
    const w = warning(path, 'no GSLBConfig in avi-system yet; member clusters not checked');
    if (!warnings.includes(w)) warnings.push(w);
  }
}

export const gdpRules: KindRules = {
  singleton: true,
  validate(o: Obj, ctx, errors, warnings) {
    const spec = obj(o.spec);
    if (!spec) return;
    const rules = obj(spec.matchRules);
    checkSelectorLabels(rules?.appSelector, 'spec.matchRules.appSelector.label', errors, warnings);
    checkSelectorLabels(rules?.namespaceSelector, 'spec.matchRules.namespaceSelector.label', errors, warnings);

    checkUnique(spec.matchClusters, 'spec.matchClusters', 'cluster', 'gdp.match-clusters-unique', errors);
    checkMemberClusters(spec.matchClusters, 'spec.matchClusters', ctx, errors, warnings, 'gdp.match-clusters-member');
    checkUnique(spec.trafficSplit, 'spec.trafficSplit', 'cluster', 'gdp.traffic-split-unique', errors);
    checkMemberClusters(spec.trafficSplit, 'spec.trafficSplit', ctx, errors, warnings, 'gdp.traffic-split-member');

    checkHealthMonitors(spec, 'spec', errors);
    checkPoolAlgorithm(spec.poolAlgorithmSettings, 'spec.poolAlgorithmSettings', errors);
    checkDownResponse(spec.downResponse, 'spec.downResponse', errors);

    const domain = str(spec.defaultDomain);
    if (domain !== undefined) {
      // AMKO joins `<subdomain>.<defaultDomain>` and accepts a leading dot on the domain.
      const d = domain === '' ? 'must be a DNS subdomain' : checkDns1123Subdomain(domain.startsWith('.') ? domain.slice(1) : domain);
      if (d) errors.push(invalid('spec.defaultDomain', domain, d, 'gdp.default-domain'));
    }

    if (spec.pkiProfileRef !== undefined && spec.sitePersistenceRef === undefined) {
      warnings.push(warning('spec.pkiProfileRef', 'has no effect without spec.sitePersistenceRef'));
    }
    if (!obj(rules?.appSelector)?.label && !obj(rules?.namespaceSelector)?.label) {
      warnings.push(warning('spec.matchRules', 'no appSelector or namespaceSelector label; the policy selects no objects'));
    }
  },
};
