// Desired GslbService + health monitors per `tenant/gsName`, with
// the precedence GSLBHostRule > GDP > defaults. Pure and deterministic: groups
// sorted by priority (highest first), members by cluster then IP.
import { isIP } from 'node:net';
import type { GDPSpec } from '../../api/gdp.js';
import type { GSLBHostRuleSpec } from '../../api/gslbhostrule.js';
import type { DownResponse, PoolAlgorithmSettings, TrafficSplitEntry } from '../../api/common.js';
import type { AviIp, GslbPool, GslbPoolMember, GslbService, HealthMonitor } from '../../avi/types.js';
import { DEFAULTS } from '../../rules/defaults.js';
import { gsKey, memberDescription, type NamedMember } from '../members/types.js';
import {
  passthroughHealthMonitor,
  pathHealthMonitors,
  serviceHealthMonitor,
  type HmTemplate,
} from './healthmonitors.js';

/** Third-party members without a traffic split entry (the cluster members' defaults are DEFAULTS.weight/priority). */
const THIRD_PARTY_DEFAULT_WEIGHT = 1;
const THIRD_PARTY_DEFAULT_PRIORITY = 1;

export interface DesiredInputs {
  /** `amko-<uuid>` */
  createdBy: string;
  amkoUuid: string;
  gdp?: GDPSpec;
  /** Accepted GSLBHostRules by spec.fqdn. */
  hostRules: ReadonlyMap<string, GSLBHostRuleSpec>;
  /** Resolved healthMonitorTemplate objects by name (the worker reads them from Avi). */
  templates: ReadonlyMap<string, HmTemplate>;
  /** The first federated PKI profile: used with site persistence when neither the GSLBHostRule nor the GDP names one. */
  defaultPki?: string;
}

export interface DesiredGs {
  key: string;
  tenant: string;
  name: string;
  gs: GslbService;
  /** Monitors AMKO creates for this GslbService (created before it, deleted after it). */
  hms: HealthMonitor[];
  /** Names of owned monitors this GS uses but shares with others: never deleted per key. */
  sharedHms: string[];
  members: NamedMember[];
}

export function aviIp(addr: string): AviIp {
  return { addr, type: isIP(addr) === 6 ? 'V6' : 'V4' };
}

export const hmRef = (name: string) => `/api/healthmonitor?name=${name}`;
export const persistenceRef = (name: string) => `/api/applicationpersistenceprofile?name=${name}`;
export const pkiRef = (name: string) => `/api/pkiprofile?name=${name}`;

function split(entries: ReadonlyArray<TrafficSplitEntry> | undefined, name: string): TrafficSplitEntry | undefined {
  return entries?.find((e) => e.cluster === name);
}

/** Weight/priority of a cluster member: GSLBHostRule trafficSplit > GDP trafficSplit > 1/10. */
export function weightAndPriority(cluster: string, ghr: GSLBHostRuleSpec | undefined, gdp: GDPSpec | undefined) {
  const e = split(ghr?.trafficSplit, cluster) ?? split(gdp?.trafficSplit, cluster);
  return { weight: e?.weight ?? DEFAULTS.weight, priority: e?.priority ?? DEFAULTS.priority };
}

function poolAlgorithm(s: PoolAlgorithmSettings | undefined): Pick<GslbPool, 'algorithm' | 'fallback_algorithm' | 'consistent_hash_mask'> {
  const algorithm = s?.lbAlgorithm ?? DEFAULTS.lbAlgorithm;
  const out: Pick<GslbPool, 'algorithm' | 'fallback_algorithm' | 'consistent_hash_mask'> = { algorithm };
  if (algorithm === 'GSLB_ALGORITHM_CONSISTENT_HASH' && s?.hashMask !== undefined) out.consistent_hash_mask = s.hashMask;
  if (algorithm === 'GSLB_ALGORITHM_GEO' && s?.geoFallback?.lbAlgorithm) {
    out.fallback_algorithm = s.geoFallback.lbAlgorithm;
    if (s.geoFallback.lbAlgorithm === 'GSLB_ALGORITHM_CONSISTENT_HASH' && s.geoFallback.hashMask !== undefined) {
      out.consistent_hash_mask = s.geoFallback.hashMask;
    }
  }
  return out;
}

function downResponse(d: DownResponse | undefined): GslbService['down_response'] | undefined {
  if (!d) return undefined;
  if (d.type === 'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP' && d.fallbackIP) return { type: d.type, fallback_ip: aviIp(d.fallbackIP) };
  return { type: d.type };
}

/** Which monitors a GS uses (control-plane-only, then the GSLBHostRule's refs or template, then the GDP's, then AMKO-created). */
export type HmChoice =
  | { kind: 'none' }
  | { kind: 'refs'; refs: string[] }
  | { kind: 'template'; template: string }
  | { kind: 'default' };

export function hmChoice(ghr: GSLBHostRuleSpec | undefined, gdp: GDPSpec | undefined): HmChoice {
  const cpOnly = ghr?.controlPlaneHmOnly ?? gdp?.controlPlaneHmOnly ?? false;
  if (cpOnly) return { kind: 'none' };
  if (ghr?.healthMonitorRefs && ghr.healthMonitorRefs.length > 0) return { kind: 'refs', refs: [...ghr.healthMonitorRefs] };
  if (ghr?.healthMonitorTemplate) return { kind: 'template', template: ghr.healthMonitorTemplate };
  if (gdp?.healthMonitorRefs && gdp.healthMonitorRefs.length > 0) return { kind: 'refs', refs: [...gdp.healthMonitorRefs] };
  if (gdp?.healthMonitorTemplate) return { kind: 'template', template: gdp.healthMonitorTemplate };
  return { kind: 'default' };
}

/** Site persistence and PKI refs, applied only when every Kubernetes member is TLS. */
export function sitePersistence(
  members: ReadonlyArray<NamedMember>,
  ghr: GSLBHostRuleSpec | undefined,
  gdp: GDPSpec | undefined,
  defaultPki?: string,
): { profile?: string; pki?: string } {
  if (members.length === 0 || !members.every((m) => m.tls)) return {};
  const sp = ghr?.sitePersistence;
  if (sp) {
    if (!sp.enabled || !sp.profileRef) return {};
    return { profile: sp.profileRef, pki: sp.pkiProfileRef ?? gdp?.pkiProfileRef ?? defaultPki };
  }
  if (!gdp?.sitePersistenceRef) return {};
  return { profile: gdp.sitePersistenceRef, pki: gdp.pkiProfileRef ?? defaultPki };
}

/** Whether site persistence is configured anywhere without a PKI profile (the default PKI is then looked up). */
export function needsDefaultPki(gdp: GDPSpec | undefined, hostRules: Iterable<GSLBHostRuleSpec>): boolean {
  if (gdp?.pkiProfileRef) return false;
  if (gdp?.sitePersistenceRef) return true;
  for (const r of hostRules) {
    const sp = r.sitePersistence;
    if (sp?.enabled && sp.profileRef && !sp.pkiProfileRef) return true;
  }
  return false;
}

function sortMembers<T extends { ip: AviIp; cluster_uuid?: string }>(ms: T[]): T[] {
  return ms.sort((a, b) => (a.ip.addr < b.ip.addr ? -1 : a.ip.addr > b.ip.addr ? 1 : 0));
}

/**
 * Builds the desired GslbService for one key from its members (all with the
 * same tenant and gsName). Returns undefined when there is no member left: the
 * GS must be deleted.
 */
export function buildDesiredGs(
  tenant: string,
  gsName: string,
  members: ReadonlyArray<NamedMember>,
  inputs: DesiredInputs,
): DesiredGs | undefined {
  // Deterministic order, then unique by IP (first wins).
  const sorted = [...members].sort(
    (a, b) =>
      a.cluster.localeCompare(b.cluster) ||
      a.kind.localeCompare(b.kind) ||
      a.namespace.localeCompare(b.namespace) ||
      a.name.localeCompare(b.name) ||
      a.ip.localeCompare(b.ip),
  );
  const byIp = new Map<string, NamedMember>();
  for (const m of sorted) if (!byIp.has(m.ip)) byIp.set(m.ip, m);
  const unique = [...byIp.values()];
  if (unique.length === 0) return undefined;

  const gdp = inputs.gdp;
  const ghr = inputs.hostRules.get(gsName);

  // Pool members grouped by priority.
  const groups = new Map<number, GslbPoolMember[]>();
  const push = (priority: number, m: GslbPoolMember) => {
    const g = groups.get(priority) ?? [];
    g.push(m);
    groups.set(priority, g);
  };
  for (const m of unique) {
    const { weight, priority } = weightAndPriority(m.cluster, ghr, gdp);
    const pm: GslbPoolMember = { enabled: true, ratio: weight, ip: aviIp(m.ip) };
    if (!m.syncVipOnly) {
      if (m.controllerUuid) pm.cluster_uuid = m.controllerUuid;
      if (m.vsUuid) pm.vs_uuid = m.vsUuid;
    }
    const pub = ghr?.publicIP?.find((p) => p.cluster === m.cluster)?.ip;
    if (pub) pm.public_ip = { ip: aviIp(pub) };
    push(priority, pm);
  }
  // Third-party members come from the current GSLBHostRule only (not sticky).
  const seenIps = new Set(byIp.keys());
  for (const tp of ghr?.thirdPartyMembers ?? []) {
    if (seenIps.has(tp.vip)) continue;
    seenIps.add(tp.vip);
    const e = split(ghr?.trafficSplit, tp.site);
    const pm: GslbPoolMember = { enabled: true, ratio: e?.weight ?? THIRD_PARTY_DEFAULT_WEIGHT, ip: aviIp(tp.vip) };
    if (tp.publicIP) pm.public_ip = { ip: aviIp(tp.publicIP) };
    push(e?.priority ?? THIRD_PARTY_DEFAULT_PRIORITY, pm);
  }

  // Health monitors.
  const choice = hmChoice(ghr, gdp);
  const hms: HealthMonitor[] = [];
  const sharedHms: string[] = [];
  let hmRefs: string[] | undefined;
  if (choice.kind === 'refs') {
    hmRefs = [...choice.refs];
  } else if (choice.kind === 'default' || choice.kind === 'template') {
    const template = choice.kind === 'template' ? inputs.templates.get(choice.template) : undefined;
    hms.push(...pathHealthMonitors(gsName, unique, inputs.createdBy, template));
    const svc = serviceHealthMonitor(gsName, unique, inputs.createdBy);
    if (svc) hms.push(svc);
    const names = hms.map((h) => h.name);
    if (unique.some((m) => m.passthrough)) {
      const pt = passthroughHealthMonitor(inputs.amkoUuid, inputs.createdBy);
      hms.push(pt);
      names.push(pt.name);
      sharedHms.push(pt.name);
    }
    hmRefs = names.sort();
  }
  const minUp = choice.kind === 'none' ? 1 : choice.kind === 'refs' ? choice.refs.length + 1 : 2;

  const algo = poolAlgorithm(ghr?.poolAlgorithmSettings ?? gdp?.poolAlgorithmSettings);
  const pools: GslbPool[] = [...groups.entries()]
    .sort((a, b) => b[0] - a[0])
    .map(([priority, ms]) => ({
      name: `amko-gs-group-${priority}`,
      priority,
      enabled: true,
      ...algo,
      min_health_monitors_up: minUp,
      members: sortMembers(ms),
    }));

  const aliases = [...new Set(unique.flatMap((m) => m.aliases))].filter((a) => a !== gsName).sort();
  const sp = sitePersistence(unique, ghr, gdp, inputs.defaultPki);
  const ttl = ghr?.ttl ?? gdp?.ttl;
  const dr = downResponse(ghr?.downResponse ?? gdp?.downResponse);
  const description = [...new Set(sorted.map(memberDescription))].sort().join(',');

  const gs: GslbService = {
    name: gsName,
    domain_names: [gsName, ...aliases],
    description,
    created_by: inputs.createdBy,
    controller_health_status_enabled: true,
    enabled: true,
    is_federated: true,
    health_monitor_scope: 'GSLB_SERVICE_HEALTH_MONITOR_ALL_MEMBERS',
    min_members: 0,
    pool_algorithm: 'GSLB_SERVICE_ALGORITHM_PRIORITY',
    resolve_cname: false,
    use_edns_client_subnet: true,
    wildcard_match: false,
    site_persistence_enabled: sp.profile !== undefined,
    groups: pools,
  };
  if (ttl !== undefined) gs.ttl = ttl;
  if (sp.profile) gs.application_persistence_profile_ref = persistenceRef(sp.profile);
  if (sp.profile && sp.pki) gs.pki_profile_ref = pkiRef(sp.pki);
  if (hmRefs && hmRefs.length > 0) gs.health_monitor_refs = hmRefs.map(hmRef);
  if (dr) gs.down_response = dr;

  return { key: gsKey(tenant, gsName), tenant, name: gsName, gs, hms, sharedHms, members: sorted };
}

/** Groups named members by `tenant/gsName`. */
export function groupMembers(members: Iterable<NamedMember>): Map<string, NamedMember[]> {
  const out = new Map<string, NamedMember[]>();
  for (const m of members) {
    const k = gsKey(m.tenant, m.gsName);
    const list = out.get(k) ?? [];
    list.push(m);
    out.set(k, list);
  }
  return out;
}

/** The whole desired state: every key with at least one member. */
export function buildDesired(members: Iterable<NamedMember>, inputs: DesiredInputs): Map<string, DesiredGs> {
  const out = new Map<string, DesiredGs>();
  for (const [key, ms] of groupMembers(members)) {
    const d = buildDesiredGs(ms[0]!.tenant, ms[0]!.gsName, ms, inputs);
    if (d) out.set(key, d);
  }
  return new Map([...out.entries()].sort((a, b) => a[0].localeCompare(b[0])));
}
