// Field-wise comparison of desired vs actual Avi objects, and the exact list of
// operations for one `tenant/gsName` key. Both sides are projected onto a
// canonical form first: refs by name (uuid refs resolved), defaults the
// controller fills in, order-insensitive lists sorted. Only fields AMKO manages
// are compared, so a field the controller adds never causes a write.
import type { GslbPool, GslbPoolMember, GslbService, HealthMonitor } from '../avi/types.js';
import type { DesiredGs } from './desired/gslbservice.js';
import { intern } from './util.js';
import { HM_PREFIX, gsNameFromHmDescription, isOwnedHm, hmCreatedBy } from './desired/healthmonitors.js';

export type AviOperation =
  | { op: 'create-hm'; key: string; tenant: string; name: string; hm: HealthMonitor }
  | { op: 'update-hm'; key: string; tenant: string; name: string; uuid: string; hm: HealthMonitor; changes: FieldChange[] }
  | { op: 'create-gs'; key: string; tenant: string; name: string; gs: GslbService }
  | { op: 'update-gs'; key: string; tenant: string; name: string; uuid: string; gs: GslbService; changes: FieldChange[] }
  | { op: 'delete-gs'; key: string; tenant: string; name: string; uuid: string }
  | { op: 'delete-hm'; key: string; tenant: string; name: string; uuid: string };

export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

export interface DiffContext {
  createdBy: string;
  /** uuid → name for objects referenced by uuid (health monitors, profiles). */
  refNames: ReadonlyMap<string, string>;
}

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
/** A ref as the cache keeps it: its name when it carries one, else the whole ref behind UNNAMED. */
function refStem(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const named = namedRef(ref);
  return named !== undefined ? named : UNNAMED + ref;
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
export function canonGsBase(gs: GslbService) {
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
    health_monitor_refs: (gs.health_monitor_refs ?? []).map((r) => refStem(r)!),
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

/** What a cache keeps of a controller GslbService: its uuid and canonGsBase. */
export interface StoredGs {
  readonly stored: true;
  uuid?: string;
  readonly canon: CanonGsBase;
}

/** What a cache keeps of a controller health monitor: its uuid and canonHm (name, description, created-by marker). */
export interface StoredHm {
  readonly stored: true;
  uuid?: string;
  readonly canon: CanonHm;
}

export type ActualGs = GslbService | StoredGs;
export type ActualHm = HealthMonitor | StoredHm;

const isStored = (o: ActualGs | ActualHm): o is StoredGs | StoredHm => (o as { stored?: unknown }).stored === true;

export function storeGs(gs: GslbService): StoredGs {
  return { stored: true, uuid: gs.uuid, canon: canonGsBase(gs) };
}

export function storeHm(hm: HealthMonitor): StoredHm {
  return { stored: true, uuid: hm.uuid, canon: canonHm(hm) };
}

/** The name of a full or stored monitor. */
export const hmName = (hm: ActualHm): string => (isStored(hm) ? hm.canon.name : hm.name);

/** isOwnedHm for a full or stored monitor. */
export function ownsHm(hm: ActualHm, createdBy: string): boolean {
  return isStored(hm) ? hm.canon.name.startsWith(HM_PREFIX) && hm.canon.created_by === createdBy : isOwnedHm(hm, createdBy);
}

/** gsNameFromHmDescription for a full or stored monitor. */
export function hmGsName(hm: ActualHm): string | undefined {
  return gsNameFromHmDescription(isStored(hm) ? hm.canon.description : hm.description);
}

/** Projects a base form onto what is compared against `desired` (undefined: the object is the desired one) and resolves refs. */
function projectGs(base: CanonGsBase, ctx: Pick<DiffContext, 'refNames'>, desired?: GslbService) {
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

/**
 * Canonical form of a GslbService. `desired` (when projecting the actual
 * object) decides which algorithm-dependent and controller-defaulted fields
 * are compared.
 */
export function canonGs(gs: ActualGs, ctx: Pick<DiffContext, 'refNames'>, desired?: GslbService) {
  const base = isStored(gs) ? gs.canon : canonGsBase(gs);
  return projectGs(base, ctx, desired);
}

function canonHttp(m: { http_request?: string; http_response_code?: string[] } | undefined) {
  if (!m) return undefined;
  return { http_request: intern(m.http_request), http_response_code: [...(m.http_response_code ?? [])].map(intern).sort() };
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

/** Deep field-wise diff of two canonical values; lists the changed leaf paths. */
export function fieldDiff(from: unknown, to: unknown, path = ''): FieldChange[] {
  if (Object.is(from, to)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (Array.isArray(from) && Array.isArray(to)) {
    if (from.length !== to.length) return [{ path: path || '.', from, to }];
    return from.flatMap((f, i) => fieldDiff(f, to[i], `${path}[${i}]`));
  }
  if (isObj(from) && isObj(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((k) => fieldDiff(from[k], to[k], path ? `${path}.${k}` : k));
  }
  if (from === undefined && to === undefined) return [];
  return [{ path: path || '.', from, to }];
}

export function gsChanges(desired: GslbService, actual: ActualGs, ctx: Pick<DiffContext, 'refNames'>): FieldChange[] {
  return fieldDiff(canonGs(actual, ctx, desired), canonGs(desired, ctx));
}

export function hmChanges(desired: HealthMonitor, actual: ActualHm): FieldChange[] {
  return fieldDiff(isStored(actual) ? actual.canon : canonHm(actual), canonHm(desired));
}

export interface ActualKeyState {
  /** The GslbService this instance owns for the key, if any. */
  gs?: ActualGs;
  /** Every federated health monitor of the key's tenant, by name. */
  hms: ReadonlyMap<string, ActualHm>;
  /**
   * This instance's monitors of the key (ownedHmsOf), when the caller keeps
   * them indexed; otherwise `hms` is scanned, which is O(monitors of the
   * tenant) per key.
   */
  owned?: ReadonlyArray<ActualHm>;
}

/** Owned monitors that belong to `gsName` (by description). */
export function ownedHmsOf(gsName: string, hms: ReadonlyMap<string, ActualHm>, createdBy: string): ActualHm[] {
  return [...hms.values()].filter((h) => ownsHm(h, createdBy) && hmGsName(h) === gsName);
}

/**
 * The operations that take one key from `actual` to `desired`, in order:
 * monitor creates/updates, then the GslbService create/update/delete, then
 * deletes of this instance's monitors that the key no longer uses.
 */
export function diffKey(
  key: string,
  tenant: string,
  gsName: string,
  desired: DesiredGs | undefined,
  actual: ActualKeyState,
  ctx: DiffContext,
): AviOperation[] {
  const ops: AviOperation[] = [];
  const wanted = new Set<string>();
  for (const hm of desired?.hms ?? []) {
    wanted.add(hm.name);
    const cur = actual.hms.get(hm.name);
    if (!cur) ops.push({ op: 'create-hm', key, tenant, name: hm.name, hm });
    else {
      const changes = hmChanges(hm, cur);
      if (changes.length > 0) ops.push({ op: 'update-hm', key, tenant, name: hm.name, uuid: cur.uuid ?? '', hm, changes });
    }
  }
  if (desired && !actual.gs) ops.push({ op: 'create-gs', key, tenant, name: gsName, gs: desired.gs });
  else if (desired && actual.gs) {
    const changes = gsChanges(desired.gs, actual.gs, ctx);
    if (changes.length > 0) ops.push({ op: 'update-gs', key, tenant, name: gsName, uuid: actual.gs.uuid ?? '', gs: desired.gs, changes });
  } else if (!desired && actual.gs) {
    ops.push({ op: 'delete-gs', key, tenant, name: gsName, uuid: actual.gs.uuid ?? '' });
  }
  const owned = actual.owned ? [...actual.owned] : ownedHmsOf(gsName, actual.hms, ctx.createdBy);
  for (const hm of owned.sort((a, b) => hmName(a).localeCompare(hmName(b)))) {
    const name = hmName(hm);
    if (!wanted.has(name)) ops.push({ op: 'delete-hm', key, tenant, name, uuid: hm.uuid ?? '' });
  }
  return ops;
}

/** One line per operation, with the changed fields: for logs and `amko plan`. */
export function describeOperation(op: AviOperation): string {
  const fmt = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  switch (op.op) {
    case 'create-hm':
      return `+ healthmonitor ${op.tenant}/${op.name} (${op.hm.type}, port ${op.hm.monitor_port})`;
    case 'update-hm':
      return [`~ healthmonitor ${op.tenant}/${op.name}`, ...op.changes.map((c) => `    ${c.path}: ${fmt(c.from)} -> ${fmt(c.to)}`)].join('\n');
    case 'delete-hm':
      return `- healthmonitor ${op.tenant}/${op.name}`;
    case 'create-gs': {
      const lines = [`+ gslbservice ${op.tenant}/${op.name}`];
      for (const g of op.gs.groups) {
        lines.push(`    group ${g.name} priority ${g.priority} ${g.algorithm}`);
        for (const m of g.members) lines.push(`      member ${m.ip.addr} ratio ${m.ratio}${m.public_ip ? ` public ${m.public_ip.ip.addr}` : ''}`);
      }
      if (op.gs.ttl !== undefined) lines.push(`    ttl ${op.gs.ttl}`);
      if (op.gs.health_monitor_refs) lines.push(`    health monitors ${op.gs.health_monitor_refs.length}`);
      lines.push(`    members: ${op.gs.description ?? ''}`);
      return lines.join('\n');
    }
    case 'update-gs':
      return [`~ gslbservice ${op.tenant}/${op.name}`, ...op.changes.map((c) => `    ${c.path}: ${fmt(c.from)} -> ${fmt(c.to)}`)].join('\n');
    case 'delete-gs':
      return `- gslbservice ${op.tenant}/${op.name}`;
  }
}
