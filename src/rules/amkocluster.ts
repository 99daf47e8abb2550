// AMKOCluster: the federation set; clusterContext names this cluster in it.
import { arr, obj, quoteList, str } from './checks.js';
import { duplicate, invalid } from './field-error.js';
import type { Rule } from './types.js';

/** spec.clusters (anything that is not a list reads as empty; the schema reports it). */
const clustersOf = (o: Record<string, unknown>) => arr(obj(o.spec)?.clusters);

const CLUSTERS_UNIQUE: Rule = {
  id: 'amkocluster.clusters-unique',
  check(o, _ctx, errors) {
    const seen = new Set<string>();
    clustersOf(o).forEach((c, i) => {
      if (typeof c !== 'string' || c === '') return;
      if (seen.has(c)) errors.push(duplicate(`spec.clusters[${i}]`, c, this.id));
      seen.add(c);
    });
  },
};

const CLUSTER_CONTEXT_MEMBER: Rule = {
  id: 'amkocluster.cluster-context-member',
  check(o, _ctx, errors) {
    const ctxName = str(obj(o.spec)?.clusterContext);
    const clusters = [...new Set(clustersOf(o).filter((c): c is string => typeof c === 'string' && c !== ''))];
    if (!ctxName || clusters.includes(ctxName)) return;
    const detail = clusters.length ? `must be one of spec.clusters: ${quoteList(clusters)}` : 'must be listed in spec.clusters';
    errors.push(invalid('spec.clusterContext', ctxName, detail, this.id));
  },
  cel: {
    spec: [
      {
        rule: "self.clusterContext == '' || (has(self.clusters) && self.clusterContext in self.clusters)",
        message: 'must be listed in spec.clusters',
        reason: 'FieldValueInvalid',
        fieldPath: '.clusterContext',
      },
    ],
  },
};

export const AMKO_CLUSTER_RULES: readonly Rule[] = [CLUSTERS_UNIQUE, CLUSTER_CONTEXT_MEMBER];
