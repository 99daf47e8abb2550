// The Avi rules: the checks on a GDP or GSLBHostRule that need the controller
// (the same ones the original AMKO makes): health monitor refs exist and are
// federated, templates are federated HTTP(S) monitors with a three-token request,
// persistence and PKI profiles exist, third-party sites exist. Only the worker
// runs them (./validate.ts), after the object rules of the catalogue
// (src/rules) that the webhook and the CLI run too. Each returns the status
// message of its failure, or undefined. Controller errors other than "not found"
// are thrown, so the caller retries instead of rejecting a CR because the
// controller was briefly down.
import type { GDPSpec } from '../api/gdp.js';
import type { GSLBHostRuleSpec } from '../api/gslbhostrule.js';
import type { AviApi } from '../avi/types.js';
import type { HmTemplate } from './desired/healthmonitors.js';

export interface AviRuleContext {
  avi: Pick<AviApi, 'getHealthMonitor' | 'getApplicationPersistenceProfile' | 'getPkiProfile' | 'getGslb' | 'listPkiProfiles'>;
  /** Tenant used for the lookups (the GSLBConfig tenant). */
  tenant: string;
}

export interface AviRule<Spec> {
  id: string;
  /** `templates` collects the health monitor templates the object uses. */
  check(spec: Spec, name: string, ctx: AviRuleContext, templates: Map<string, HmTemplate>): Promise<string | undefined>;
}

/** Resolves a template, or returns the error message the original gives for a bad template. */
export async function resolveTemplate(name: string, ctx: AviRuleContext): Promise<HmTemplate | string> {
  const hm = await ctx.avi.getHealthMonitor(name, ctx.tenant);
  if (!hm) return `health monitor template ${name} not found`;
  if (hm.is_federated === false) return `health monitor template ${name} not federated`;
  if (hm.type !== 'HEALTH_MONITOR_HTTP' && hm.type !== 'HEALTH_MONITOR_HTTPS') {
    return 'health monitor template is not supported for non-path based health monitors';
  }
  const body = hm.type === 'HEALTH_MONITOR_HTTP' ? hm.http_monitor : hm.https_monitor;
  const request = body?.http_request ?? '';
  if (request.split(' ').length !== 3) return `client request header in health monitor template ${name} is invalid`;
  return { name, request, responseCodes: body?.http_response_code ?? ['HTTP_2XX', 'HTTP_3XX'] };
}

const HM_TEMPLATE: AviRule<{ healthMonitorTemplate?: string }> = {
  id: 'avi.health-monitor-template',
  async check(spec, _name, ctx, templates) {
    if (!spec.healthMonitorTemplate) return undefined;
    const t = await resolveTemplate(spec.healthMonitorTemplate, ctx);
    if (typeof t === 'string') return t;
    templates.set(t.name, t);
    return undefined;
  },
};

/** Each health monitor ref exists on the controller and is federated. */
function hmRefsFederated(message: (ref: string, name: string) => string): AviRule<{ healthMonitorRefs?: string[] }> {
  return {
    id: 'avi.health-monitor-refs-federated',
    async check(spec, name, ctx) {
      for (const r of spec.healthMonitorRefs ?? []) {
        const hm = await ctx.avi.getHealthMonitor(r, ctx.tenant);
        if (!hm || hm.is_federated !== true) return message(r, name);
      }
      return undefined;
    },
  };
}

export const GDP_AVI_RULES: ReadonlyArray<AviRule<GDPSpec>> = [
  HM_TEMPLATE,
  hmRefsFederated((r) => `health monitor ref ${r} is invalid`),
  {
    id: 'avi.site-persistence-profile-exists',
    async check(spec, _name, ctx) {
      const ref = spec.sitePersistenceRef;
      if (ref && !(await ctx.avi.getApplicationPersistenceProfile(ref, ctx.tenant))) return `site persistence ref ${ref} not present`;
      return undefined;
    },
  },
  {
    id: 'avi.pki-profile-exists',
    async check(spec, _name, ctx) {
      const ref = spec.pkiProfileRef;
      if (ref && !(await ctx.avi.getPkiProfile(ref, ctx.tenant))) return `pki profile ref ${ref} not present`;
      return undefined;
    },
  },
];

export const GSLB_HOST_RULE_AVI_RULES: ReadonlyArray<AviRule<GSLBHostRuleSpec>> = [
  {
    id: 'avi.site-persistence-profile-exists',
    async check(spec, name, ctx) {
      const sp = spec.sitePersistence;
      if (sp?.enabled && sp.profileRef && !(await ctx.avi.getApplicationPersistenceProfile(sp.profileRef, ctx.tenant))) {
        return `SitePersistence Profile ${sp.profileRef} error for ${name} GSLBHostRule`;
      }
      return undefined;
    },
  },
  {
    id: 'avi.pki-profile-exists',
    async check(spec, name, ctx) {
      const ref = spec.sitePersistence?.pkiProfileRef;
      if (ref !== undefined && !(await ctx.avi.getPkiProfile(ref, ctx.tenant))) return `PKI Profile ${ref} error for ${name} GSLBHostRule`;
      return undefined;
    },
  },
  {
    id: 'avi.third-party-sites-exist',
    async check(spec, name, ctx) {
      if (!spec.thirdPartyMembers?.length) return undefined;
      const gslb = await ctx.avi.getGslb();
      const sites = new Set((gslb?.third_party_sites ?? []).map((s) => s.name));
      const missing = spec.thirdPartyMembers.find((m) => !sites.has(m.site));
      return missing && `ThirdPartyMember site ${missing.site} does not exist for ${name} GSLBHostRule`;
    },
  },
  HM_TEMPLATE,
  hmRefsFederated((r, name) => `Health Monitor Ref ${r} error for ${name} GSLBHostRule`),
];
