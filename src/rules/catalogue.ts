// The rule catalogue: every admission rule of the four kinds, in the order they
// run. Each entry (src/rules/types.ts Rule) has an id, its TypeScript check
// and, where it needs only the object itself, its CEL form. The webhook, the
// offline CLI and the reconcile worker run the checks (./index.ts validate());
// the CRD generator takes the CEL forms from here (./crd-overlay.ts). Adding a
// rule: an entry in the kind's list (its module, or ./shared.ts when several
// kinds share it) and a case in test/rules/cases.ts.
//
// Two rules sit outside the lists, in validate(), because their answer is a
// 403 rather than field errors: `namespace` (only avi-system) and `singleton`.
import type { KindName } from '../api/kinds.js';
import { AMKO_CLUSTER_RULES } from './amkocluster.js';
import { GDP_RULES } from './gdp.js';
import { GSLB_CONFIG_RULES } from './gslbconfig.js';
import { GSLB_HOST_RULE_RULES } from './gslbhostrule.js';
import type { Rule } from './types.js';

export interface KindCatalogue {
  /** At most one object of this kind may exist in avi-system (the `singleton` rule). */
  singleton: boolean;
  /** Semantic rules, run after the schema check. */
  rules: readonly Rule[];
}

export const CATALOGUE: Readonly<Record<KindName, KindCatalogue>> = {
  GSLBConfig: { singleton: true, rules: GSLB_CONFIG_RULES },
  GlobalDeploymentPolicy: { singleton: true, rules: GDP_RULES },
  GSLBHostRule: { singleton: false, rules: GSLB_HOST_RULE_RULES },
  AMKOCluster: { singleton: true, rules: AMKO_CLUSTER_RULES },
};
