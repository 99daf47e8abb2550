// The canonical forms the diff compares (diff.ts): Avi objects projected onto
// the fields AMKO manages, with refs by name (uuid refs resolved at diff time),
// the defaults the controller fills in applied and order-insensitive lists
// sorted. A new GslbService field the diff must compare is added here.
import type { GslbPool, GslbPoolMember, GslbService, HealthMonitor } from '../avi/types.js';
import { hmCreatedBy } from './desired/healthmonitors.js';
import { intern } from './util.js';

/** The name a ref carries (`…#<name>`, `?name=<name>`), if any. */
function namedRef(ref: string): string | undefined {
  const hash = ref.indexOf('#');
  if (hash >= 0) return decodeURIComponent(ref.slice(hash + 1));
  const q = ref.indexOf('?');
  if (q >= 0) {
    const name = new URLSearchParams(ref.slice(q + 1)).get('name');
    if (name !== null) return name;
  }
  return undefined;
}

/** `…/api/<type>/<uuid>#<name>`, `/api/<type>?name=<name>`, `…/api/<type>/<uuid>` → name (uuid if unresolved). */
export function refName(ref: string | undefined, refNames: ReadonlyMap<string, string>): string | undefined {
  if (!ref) return undefined;
  const named = namedRef(ref);
  if (named !== undefined) return named;
  const uuid = ref.replace(/\/+$/, '').split('/').pop() ?? ref;
  return refNames.get(uuid) ?? `uuid:${uuid}`;
}

/** Marks a stored ref that names no object (a bare uuid ref): resolved through refNames at diff time. */
const UNNAMED = '\u0000';
/**
 * A ref as the cache keeps it: its name when it carries one, else the whole ref behind UNNAMED. A name that
 * `known` (uuid → name) holds for the ref's uuid is that copy: the name parsed out of the ref is a slice that
 * would keep the whole ref alive.
 */
function refStem(ref: string | undefined, known?: ReadonlyMap<string, string>): string | undefined {
  if (!ref) return undefined;
  const named = namedRef(ref);
  if (named === undefined) return UNNAMED + ref;
  const hash = known ? ref.indexOf('#') : -1;
  const same = hash >= 0 ? known!.get(ref.slice(ref.lastIndexOf('/', hash) + 1, hash)) : undefined;
  return same === named ? same : named;
}
function resolveStem(stem: string | undefined, refNames: ReadonlyMap<string, string>): string | undefined {
  return stem?.startsWith(UNNAMED) ? refName(stem.slice(1), refNames) : stem;
}


const dflt = <T>(v: T | undefined, d: T): T => (v === undefined || v === null ? d : v);

function canonIp(ip: { addr?: string; type?: string } | undefined) {
  if (!ip?.addr) return undefined;
  return { addr: ip.addr, type: intern(dflt(ip.type, 'V4')) };
}

function canonMember(m: GslbPoolMember) {
  return {
    enabled: dflt(m.enabled, true),
    ratio: dflt(m.ratio, 1),
    ip: canonIp(m.ip),
    cluster_uuid: intern(m.cluster_uuid || undefined),
    vs_uuid: m.vs_uuid || undefined,
    public_ip: canonIp(m.public_ip?.ip),
  };
}

/** Every group field the diff may compare, defaults applied (which ones count depends on the desired group). */
function canonGroupBase(g: GslbPool) {
  return {
    name: intern(g.name),
    priority: g.priority,
    enabled: dflt(g.enabled, true),
    algorithm: intern(dflt(g.algorithm, 'GSLB_ALGORITHM_ROUND_ROBIN')),
    fallback_algorithm: intern(g.fallback_algorithm),
    consistent_hash_mask: g.consistent_hash_mask,
    min_health_monitors_up: g.min_health_monitors_up,
    members: [...(g.members ?? [])].map(canonMember).sort((a, b) => cmp(a.ip?.addr, b.ip?.addr)),
  };
}
type CanonGroupBase = ReturnType<typeof canonGroupBase>;

function projectGroup(g: CanonGroupBase, desired: { algorithm?: string; fallback_algorithm?: string } | undefined) {
  // The fields that only mean something for some algorithms are compared only there.
  const wantAlgo = desired ? dflt(desired.algorithm, 'GSLB_ALGORITHM_ROUND_ROBIN') : g.algorithm;
  const geo = wantAlgo === 'GSLB_ALGORITHM_GEO';
  const usesMask =
    wantAlgo === 'GSLB_ALGORITHM_CONSISTENT_HASH' || (geo && desired?.fallback_algorithm === 'GSLB_ALGORITHM_CONSISTENT_HASH');
  return {
    ...g,
    fallback_algorithm: geo ? g.fallback_algorithm : undefined,
    consistent_hash_mask: usesMask ? g.consistent_hash_mask : undefined,
  };
}

const cmp = (a: string | number | undefined, b: string | number | undefined) =>
  a === b ? 0 : a === undefined ? -1 : b === undefined ? 1 : a < b ? -1 : 1;

/**
 * The desired-independent part of a GslbService's canonical form: every field
 * the diff may compare, defaults applied, refs still as the controller wrote
 * they name objects (bare uuid refs are resolved at diff time, when refNames is
 * complete), repeated strings shared. This is all the worker's cache keeps of
 * a controller GslbService.
 */
export function canonGsBase(gs: GslbService, known?: ReadonlyMap<string, string>) {
  const dn = gs.domain_names ?? [];
  const down = gs.down_response && gs.down_response.type !== 'GSLB_SERVICE_DOWN_RESPONSE_NONE' ? gs.down_response : undefined;
  return {
    name: gs.name,
    domain_names: dn.length > 0 ? [dn[0] === gs.name ? gs.name : dn[0], ...dn.slice(1).sort()] : [],
    description: gs.description ?? '',
    created_by: intern(gs.created_by),
    controller_health_status_enabled: dflt(gs.controller_health_status_enabled, true),
    enabled: dflt(gs.enabled, true),
    is_federated: dflt(gs.is_federated, true),
    health_monitor_scope: intern(dflt(gs.health_monitor_scope, 'GSLB_SERVICE_HEALTH_MONITOR_ALL_MEMBERS')),
    min_members: dflt(gs.min_members, 0),
    pool_algorithm: intern(dflt(gs.pool_algorithm, 'GSLB_SERVICE_ALGORITHM_PRIORITY')),
    resolve_cname: dflt(gs.resolve_cname, false),
    use_edns_client_subnet: dflt(gs.use_edns_client_subnet, true),
    wildcard_match: dflt(gs.wildcard_match, false),
    ttl: gs.ttl ?? undefined,
    site_persistence_enabled: dflt(gs.site_persistence_enabled, false),
    application_persistence_profile_ref: intern(refStem(gs.application_persistence_profile_ref)),
    pki_profile_ref: intern(refStem(gs.pki_profile_ref)),
    health_monitor_refs: (gs.health_monitor_refs ?? []).map((r) => refStem(r, known)!),
    down_response: down
      ? {
          type: intern(down.type),
          fallback_ip: down.type === 'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP' ? canonIp(down.fallback_ip) : undefined,
        }
      : undefined,
    groups: (gs.groups ?? []).map(canonGroupBase),
  };
}
export type CanonGsBase = ReturnType<typeof canonGsBase>;

/** Projects a base form onto what is compared against `desired` (undefined: the object is the desired one) and resolves refs. */
export function projectGs(base: CanonGsBase, ctx: { refNames: ReadonlyMap<string, string> }, desired?: GslbService) {
  const wantedGroups = new Map<number, { algorithm?: string; fallback_algorithm?: string }>(
    (desired?.groups ?? base.groups).map((g) => [g.priority, g]),
  );
  const compareMinUp = desired === undefined || desired.groups.some((g) => g.min_health_monitors_up !== undefined);
  // The controller may assign a default PKI profile to site-persistent services: compare it only if we set one.
  const comparePki = desired === undefined || desired.pki_profile_ref !== undefined;
  return {
    ...base,
    application_persistence_profile_ref: resolveStem(base.application_persistence_profile_ref, ctx.refNames),
    pki_profile_ref: comparePki ? resolveStem(base.pki_profile_ref, ctx.refNames) : undefined,
    health_monitor_refs: base.health_monitor_refs.map((r) => resolveStem(r, ctx.refNames)!).sort(),
    groups: base.groups
      .map((g) => {
        const c = projectGroup(g, wantedGroups.get(g.priority));
        return compareMinUp ? c : { ...c, min_health_monitors_up: undefined };
      })
      .sort((a, b) => b.priority - a.priority || cmp(a.name, b.name)),
  };
}

const httpForms = new Map<string, { readonly http_request: string | undefined; readonly http_response_code: readonly string[] }>();
/** One shared, frozen form per distinct request and codes (every monitor of a path has the same); bounded like intern(). */
function canonHttp(m: { http_request?: string; http_response_code?: string[] } | undefined) {
  if (!m) return undefined;
  const form = { http_request: intern(m.http_request), http_response_code: [...(m.http_response_code ?? [])].map(intern).sort() };
  const key = JSON.stringify(form);
  const hit = httpForms.get(key);
  if (hit) return hit;
  const shared = Object.freeze({ ...form, http_response_code: Object.freeze(form.http_response_code) });
  if (httpForms.size < 10_000) httpForms.set(key, shared);
  return shared;
}

export function canonHm(hm: HealthMonitor) {
  return {
    name: hm.name,
    type: intern(hm.type),
    description: hm.description ?? '',
    monitor_port: hm.monitor_port,
    is_federated: dflt(hm.is_federated, false),
    send_interval: dflt(hm.send_interval, 10),
    receive_timeout: dflt(hm.receive_timeout, 4),
    successful_checks: dflt(hm.successful_checks, 2),
    failed_checks: dflt(hm.failed_checks, 2),
    allow_duplicate_monitors: hm.allow_duplicate_monitors ?? undefined,
    created_by: intern(hmCreatedBy(hm)),
    http_monitor: hm.type === 'HEALTH_MONITOR_HTTP' ? canonHttp(hm.http_monitor) : undefined,
    https_monitor: hm.type === 'HEALTH_MONITOR_HTTPS' ? canonHttp(hm.https_monitor) : undefined,
    tcp_half_open: hm.type === 'HEALTH_MONITOR_TCP' ? dflt(hm.tcp_monitor?.tcp_half_open, false) : undefined,
    udp_request: hm.type === 'HEALTH_MONITOR_UDP' ? hm.udp_monitor?.udp_request : undefined,
  };
}
export type CanonHm = ReturnType<typeof canonHm>;
