// The checks on GDP and GSLBHostRule that need the controller (the same ones
// the original AMKO made): health monitor refs exist and are federated, templates are HTTP(S)
// with a three-token request, persistence/PKI profiles exist, third-party
// sites exist. Plus the local checks that depend on the GSLBConfig (cluster
// names). Controller errors other than "not found" are thrown, so the caller
// retries instead of rejecting a CR because the controller was briefly down.
import { isIP } from 'node:net';
import type { GDPSpec } from '../api/gdp.js';
import type { GSLBHostRuleSpec } from '../api/gslbhostrule.js';
import type { AviApi } from '../avi/types.js';
import type { HmTemplate } from './desired/healthmonitors.js';

export type Verdict = { ok: true; templates: Map<string, HmTemplate> } | { ok: false; error: string };

export interface ValidationContext {
  avi: Pick<AviApi, 'getHealthMonitor' | 'getApplicationPersistenceProfile' | 'getPkiProfile' | 'getGslb' | 'listPkiProfiles'>;
  /** Tenant used for the lookups (the GSLBConfig tenant). */
  tenant: string;
  memberClusters: ReadonlyArray<string>;
}

async function hmRefsValid(refs: ReadonlyArray<string>, ctx: ValidationContext): Promise<string | undefined> {
  for (const r of refs) {
    const hm = await ctx.avi.getHealthMonitor(r, ctx.tenant);
    if (!hm || hm.is_federated !== true) return r;
  }
  return undefined;
}

/** Resolves a template, or returns the error message the original gives for a bad template. */
export async function resolveTemplate(name: string, ctx: ValidationContext): Promise<HmTemplate | string> {
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

export async function validateGdp(spec: GDPSpec, ctx: ValidationContext): Promise<Verdict> {
  for (const c of spec.matchClusters ?? []) {
    if (!ctx.memberClusters.includes(c.cluster)) return { ok: false, error: `cluster context ${c.cluster} not present in GSLBConfig` };
  }
  for (const t of spec.trafficSplit ?? []) {
    if (!ctx.memberClusters.includes(t.cluster)) return { ok: false, error: `cluster ${t.cluster} in traffic policy not present in GSLBConfig` };
  }
  if (spec.healthMonitorRefs?.length && spec.healthMonitorTemplate) {
    return { ok: false, error: 'health monitor reference and template cannot be specified together' };
  }
  const templates = new Map<string, HmTemplate>();
  if (spec.healthMonitorTemplate) {
    const t = await resolveTemplate(spec.healthMonitorTemplate, ctx);
    if (typeof t === 'string') return { ok: false, error: t };
    templates.set(t.name, t);
  }
  const badRef = await hmRefsValid(spec.healthMonitorRefs ?? [], ctx);
  if (badRef) return { ok: false, error: `health monitor ref ${badRef} is invalid` };
  if (spec.sitePersistenceRef !== undefined) {
    if (spec.sitePersistenceRef === '') return { ok: false, error: 'empty string as site persistence reference not supported' };
    if (!(await ctx.avi.getApplicationPersistenceProfile(spec.sitePersistenceRef, ctx.tenant))) {
      return { ok: false, error: `site persistence ref ${spec.sitePersistenceRef} not present` };
    }
  }
  if (spec.pkiProfileRef !== undefined) {
    if (spec.pkiProfileRef === '') return { ok: false, error: 'empty string as pki profile reference not supported' };
    if (!(await ctx.avi.getPkiProfile(spec.pkiProfileRef, ctx.tenant))) return { ok: false, error: `pki profile ref ${spec.pkiProfileRef} not present` };
  }
  return { ok: true, templates };
}

export async function validateHostRule(name: string, spec: GSLBHostRuleSpec, ctx: ValidationContext): Promise<Verdict> {
  const fail = (error: string): Verdict => ({ ok: false, error });
  if (!spec.fqdn) return fail(`GSFqdn missing for ${name} GSLBHostRule`);
  const sp = spec.sitePersistence;
  if (sp?.enabled) {
    if (!sp.profileRef || !(await ctx.avi.getApplicationPersistenceProfile(sp.profileRef, ctx.tenant))) {
      return fail(`SitePersistence Profile ${sp.profileRef ?? ''} error for ${name} GSLBHostRule`);
    }
    if (spec.thirdPartyMembers?.length) {
      return fail(`site persistence cannot be enabled together with thirdPartyMembers for ${name} GSLBHostRule`);
    }
  }
  if (sp?.pkiProfileRef !== undefined && !(await ctx.avi.getPkiProfile(sp.pkiProfileRef, ctx.tenant))) {
    return fail(`PKI Profile ${sp.pkiProfileRef} error for ${name} GSLBHostRule`);
  }
  if (spec.thirdPartyMembers?.length) {
    for (const m of spec.thirdPartyMembers) {
      if (!isIP(m.vip)) return fail(`Invalid VIP for thirdPartyMember site ${m.site},${name} GSLBHostRule (expecting IP address)`);
      if (m.publicIP !== undefined && !isIP(m.publicIP)) return fail(`Invalid public IP for thirdPartyMember site ${m.site},${name} GSLBHostRule (expecting IP address)`);
    }
    const gslb = await ctx.avi.getGslb();
    const sites = new Set((gslb?.third_party_sites ?? []).map((s) => s.name));
    for (const m of spec.thirdPartyMembers) {
      if (!sites.has(m.site)) return fail(`ThirdPartyMember site ${m.site} does not exist for ${name} GSLBHostRule`);
    }
  }
  for (const p of spec.publicIP ?? []) {
    if (!ctx.memberClusters.includes(p.cluster)) return fail(`cluster ${p.cluster} in Public IP  not present in GSLBConfig`);
    if (!isIP(p.ip)) return fail(`Invalid IP for site ${p.cluster},${name} GSLBHostRule (expecting IP address)`);
  }
  if (spec.healthMonitorRefs?.length && spec.healthMonitorTemplate) {
    return fail(`health monitor reference and template cannot be specified together for ${name} GSLBHostRule`);
  }
  const templates = new Map<string, HmTemplate>();
  if (spec.healthMonitorTemplate) {
    const t = await resolveTemplate(spec.healthMonitorTemplate, ctx);
    if (typeof t === 'string') return fail(t);
    templates.set(t.name, t);
  }
  for (const r of spec.healthMonitorRefs ?? []) {
    const hm = await ctx.avi.getHealthMonitor(r, ctx.tenant);
    if (!hm || hm.is_federated !== true) return fail(`Health Monitor Ref ${r} error for ${name} GSLBHostRule`);
  }
  const d = spec.downResponse;
  if (d) {
    if (d.type === 'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP') {
      if (!d.fallbackIP) return fail('Fallback IP is required for GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP');
      if (!isIP(d.fallbackIP)) return fail(`Fallback IP ${d.fallbackIP} is not valid`);
    } else if (d.fallbackIP) return fail(`Fallback IP is not allowed for ${d.type}`);
  }
  return { ok: true, templates };
}
