// AMKOCluster: the federation set; clusterContext names this cluster in it.
import { arr, obj, quoteList, str } from './checks.js';
import { duplicate, invalid } from './field-error.js';
import type { KindRules } from './types.js';

export const amkoClusterRules: KindRules = {
  singleton: true,
  validate(o, _ctx, errors) {
    const spec = obj(o.spec);
    if (!spec) return;
    const clusters = arr(spec.clusters).filter((c): c is string => typeof c === 'string' && c !== '');
    const seen = new Set<string>();
    arr(spec.clusters).forEach((c, i) => {
      if (typeof c !== 'string' || c === '') return;
      if (seen.has(c)) errors.push(duplicate(`spec.clusters[${i}]`, c, 'amkocluster.clusters-unique'));
      seen.add(c);
    });
    const ctxName = str(spec.clusterContext);
    if (ctxName && !seen.has(ctxName)) {
      errors.push(
        invalid(
          'spec.clusterContext',
          ctxName,
          clusters.length ? `must be one of spec.clusters: ${quoteList([...seen])}` : 'must be listed in spec.clusters',
          'amkocluster.cluster-context-member',
        ),
      );
    }
  },
};
