// The worker's verdict on a GDP or GSLBHostRule: first the object rules of the
// catalogue (src/rules, the ones the webhook and the CLI run), checked against
// the GSLBConfig in force, then the Avi rules (./avi-rules.ts). The object is
// one that exists (the webhook saw it), so it is validated as an unchanged
// UPDATE: rules that only apply to creation or to a change (singletons, FQDN
// uniqueness) stay with admission; the worker's own "oldest wins" handles those.
import { AMKO_NAMESPACE } from '../api/common.js';
import type { GlobalDeploymentPolicy } from '../api/gdp.js';
import type { GSLBHostRule } from '../api/gslbhostrule.js';
import { formatAggregate, staticView, validate, type ClusterView } from '../rules/index.js';
import { GDP_AVI_RULES, GSLB_HOST_RULE_AVI_RULES, type AviRule, type AviRuleContext } from './avi-rules.js';
import type { HmTemplate } from './desired/healthmonitors.js';

export type Verdict = { ok: true; templates: Map<string, HmTemplate> } | { ok: false; error: string };

export interface ValidationContext extends AviRuleContext {
  /** The GSLBConfig in force: its name and member clusters. */
  gslbConfig: string;
  memberClusters: ReadonlyArray<string>;
}

/** A view holding just the GSLBConfig in force (what the member-cluster rules read). */
function configView(ctx: ValidationContext): ClusterView {
  return staticView([
    {
      kind: 'GSLBConfig',
      metadata: { name: ctx.gslbConfig, namespace: AMKO_NAMESPACE },
      spec: { memberClusters: ctx.memberClusters.map((clusterContext) => ({ clusterContext })) },
    },
  ]);
}

async function verdict<Spec>(
  kind: 'GlobalDeploymentPolicy' | 'GSLBHostRule',
  obj: { metadata?: { name?: string }; spec: Spec },
  aviRules: ReadonlyArray<AviRule<Spec>>,
  ctx: ValidationContext,
): Promise<Verdict> {
  const name = obj.metadata?.name ?? '';
  const { errors } = validate(kind, obj, { operation: 'UPDATE', oldObject: obj, view: configView(ctx), name, namespace: AMKO_NAMESPACE });
  if (errors.length) return { ok: false, error: formatAggregate(errors) };
  const templates = new Map<string, HmTemplate>();
  for (const rule of aviRules) {
    const error = await rule.check(obj.spec, name, ctx, templates);
    if (error) return { ok: false, error };
  }
  return { ok: true, templates };
}

export function validateGdp(gdp: GlobalDeploymentPolicy, ctx: ValidationContext): Promise<Verdict> {
  return verdict('GlobalDeploymentPolicy', gdp, GDP_AVI_RULES, ctx);
}

export function validateHostRule(rule: GSLBHostRule, ctx: ValidationContext): Promise<Verdict> {
  return verdict('GSLBHostRule', rule, GSLB_HOST_RULE_AVI_RULES, ctx);
}
