// AMKOCluster: the federation set; clusterContext names this cluster in it.
import { arr, obj, quoteList, str } from './checks.js';
import { invalid } from './field-error.js';
import { uniqueStrings } from './shared.js';
import type { Rule } from './types.js';

const CLUSTER_CONTEXT_MEMBER: Rule = {
  id: 'amkocluster.cluster-context-member',
  check(o, _ctx, errors) {
    const ctxName = str(obj(o.spec)?.clusterContext);
    const clusters = [...new Set(arr(obj(o.spec)?.clusters).filter((c): c is string => typeof c === 'string' && c !== ''))];
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

export const AMKO_CLUSTER_RULES: readonly Rule[] = [uniqueStrings('amkocluster.clusters-unique', 'clusters'), CLUSTER_CONTEXT_MEMBER];
