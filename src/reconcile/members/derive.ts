// Pure derivation of member records from member-cluster objects (Ingress,
// LoadBalancer Service, Route; HTTPRoutes in httproute.ts). No I/O: the worker and `amko plan` feed informer caches in.
import { isIP } from 'node:net';
import type { V1Ingress, V1Namespace, V1Service } from '@kubernetes/client-node';
import { isSelected, type Selection } from './selection.js';
import type { Gateway, Meta } from './gateway-api.js';
import type { DerivationResult, MemberKind, MemberRecord, Rejection, SkipCode } from './types.js';
import { jsonStringEntries, stringEntries } from './string-map.js';

export const ANN_VS_UUID_MAP = 'ako.vmware.com/host-fqdn-vs-uuid-map';
export const ANN_CONTROLLER_UUID = 'ako.vmware.com/controller-cluster-uuid';
export const ANN_TENANT = 'ako.vmware.com/tenant-name';
export const ANN_ENABLE_TLS = 'ako.vmware.com/enable-tls';
/** [custom-fqdn] An Ingress AKO serves as TLS passthrough (dropped by the custom-FQDN naming step). */
export const ANN_PASSTHROUGH = 'passthrough.ako.vmware.com/enabled';

/** Minimal OpenShift Route (route.openshift.io/v1). */
export interface Route {
  apiVersion?: string;
  kind?: string;
  metadata?: Meta;
  spec?: {
    host?: string;
    subdomain?: string;
    path?: string;
    tls?: { termination?: string } | null;
    to?: unknown;
  };
  status?: {
    ingress?: Array<{
      host?: string;
      routerName?: string;
      conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
    }>;
  };
}

export interface DeriveContext {
  cluster: string;
  selection: Selection;
  /** GSLBConfig spec.gslbLeader.tenant (default admin). */
  defaultTenant: string;
  /** GDP spec.defaultDomain (Route spec.subdomain). */
  defaultDomain?: string;
  /** Namespace lookup in this cluster (informer cache). */
  namespace(name: string): V1Namespace | undefined;
  /** Gateway lookup in this cluster (HTTPRoutes); absent where the Gateway API is not served. */
  gateway?(namespace: string, name: string): Gateway | undefined;
  /**
   * The cluster's Avi controller cluster UUID for members whose object does not carry it (HTTPRoutes): the
   * GSLBConfig's memberClusters[].controllerClusterUuid, else the one AKO annotates on the cluster's Ingresses/Services.
   */
  controllerUuid?: string;
}

interface AkoInfo {
  vsUuids: ReadonlyMap<string, string>;
  controllerUuid?: string;
  tenant?: string;
}

function parseJsonObject(s: string | undefined): Record<string, unknown> | undefined {
  if (!s) return undefined;
  try {
    const v: unknown = JSON.parse(s);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}


/** AKO's annotations (or a route status reason with the same keys). */
function akoInfo(source: Record<string, unknown> | Record<string, string> | undefined): AkoInfo {
  const a = (source ?? {}) as Record<string, unknown>;
  const rawMap = a[ANN_VS_UUID_MAP];
  const vsUuids = typeof rawMap === 'string' ? jsonStringEntries(rawMap) : stringEntries(rawMap);
  const cu = a[ANN_CONTROLLER_UUID];
  const t = a[ANN_TENANT];
  return {
    vsUuids,
    controllerUuid: typeof cu === 'string' && cu !== '' ? cu : undefined,
    tenant: typeof t === 'string' && t !== '' ? t : undefined,
  };
}

/**
 * Tenant resolution, as the original AMKO does it: the tenant annotation of the object's namespace, else the
 * GSLBConfig tenant. The object's own tenant (AKO's annotation or route status) does not choose it; an object
 * whose tenant disagrees with a tenant set on its namespace is skipped.
 */
export function resolveTenant(
  objectTenant: string | undefined,
  namespaceTenant: string | undefined,
  defaultTenant: string,
): { tenant: string } | { error: string } {
  if (!namespaceTenant) return { tenant: defaultTenant };
  if (objectTenant && objectTenant !== namespaceTenant) {
    return { error: `tenant ${objectTenant} differs from the namespace tenant ${namespaceTenant}` };
  }
  return { tenant: namespaceTenant };
}

export function meta(obj: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } }) {
  return {
    name: obj.metadata?.name ?? '',
    namespace: obj.metadata?.namespace ?? '',
    labels: obj.metadata?.labels ?? {},
    annotations: obj.metadata?.annotations ?? {},
  };
}

/** A rejection of object `m` of `kind` in `ctx.cluster`. */
export function rejection(ctx: DeriveContext, kind: MemberKind, m: ReturnType<typeof meta>, code: SkipCode, reason: string): Rejection {
  return { cluster: ctx.cluster, kind, namespace: m.namespace, name: m.name, code, reason };
}

/** The `not-selected` rejection of an object the GDP does not select; undefined when it is selected. */
export function notSelected(ctx: DeriveContext, kind: MemberKind, m: ReturnType<typeof meta>): Rejection | undefined {
  const verdict = isSelected(ctx.selection, ctx.cluster, m.labels, ctx.namespace(m.namespace)?.metadata?.labels);
  return verdict.selected ? undefined : rejection(ctx, kind, m, 'not-selected', verdict.reason);
}

/** Checks of a selected object: tenant, UUIDs. Returns the partial record or why it is skipped. */
function admit(
  ctx: DeriveContext,
  m: ReturnType<typeof meta>,
  info: AkoInfo,
  hostname: string,
): { tenant: string; syncVipOnly: boolean; vsUuid?: string; controllerUuid?: string } | { code: SkipCode; reason: string } {
  const nsTenant = ctx.namespace(m.namespace)?.metadata?.annotations?.[ANN_TENANT] || undefined;
  const t = resolveTenant(info.tenant, nsTenant, ctx.defaultTenant);
  if ('error' in t) return { code: 'tenant-mismatch', reason: t.error };
  const syncVipOnly = ctx.selection.clusters.get(ctx.cluster)?.syncVipOnly ?? false;
  const vsUuid = info.vsUuids.get(hostname) || undefined;
  if (!syncVipOnly && (!vsUuid || !info.controllerUuid)) {
    return { code: 'missing-ako-uuids', reason: `missing AKO virtual service or controller UUID for ${hostname} (needed unless syncVipOnly)` };
  }
  return { tenant: t.tenant, syncVipOnly, vsUuid, controllerUuid: info.controllerUuid };
}

const normPath = (p: string | undefined) => (p && p !== '' ? p : '/');

export function deriveIngress(ing: V1Ingress, ctx: DeriveContext): DerivationResult {
  const m = meta(ing);
  const unselected = notSelected(ctx, 'INGRESS', m);
  if (unselected) return { members: [], rejections: [unselected] };
  const members: MemberRecord[] = [];
  const rejections: Rejection[] = [];
  const reject = (code: SkipCode, reason: string) => rejections.push(rejection(ctx, 'INGRESS', m, code, reason));
  const ruleHosts = new Map<string, string[]>();
  for (const r of ing.spec?.rules ?? []) {
    if (!r.host) continue;
    const paths = ruleHosts.get(r.host) ?? [];
    for (const p of r.http?.paths ?? []) paths.push(normPath(p.path));
    ruleHosts.set(r.host, paths);
  }
  const tlsHosts = new Set((ing.spec?.tls ?? []).flatMap((t) => t.hosts ?? []));
  const allTls = Object.hasOwn(m.annotations, ANN_ENABLE_TLS);
  const info = akoInfo(m.annotations);
  const seen = new Set<string>();
  const lbs = ing.status?.loadBalancer?.ingress ?? [];
  if (lbs.length === 0) reject('no-load-balancer-status', 'no load balancer status');
  for (const lb of lbs) {
    const host = lb.hostname ?? '';
    const ip = lb.ip ?? '';
    if (!host || seen.has(host)) continue;
    if (!ruleHosts.has(host)) continue;
    if (!isIP(ip)) {
      reject('no-ip', `no IP address for ${host}`);
      continue;
    }
    seen.add(host);
    const a = admit(ctx, m, info, host);
    if ('reason' in a) {
      reject(a.code, a.reason);
      continue;
    }
    const paths = [...new Set(ruleHosts.get(host)!)].sort();
    members.push({
      cluster: ctx.cluster,
      kind: 'INGRESS',
      namespace: m.namespace,
      name: m.name,
      hostname: host,
      ip,
      tenant: a.tenant,
      tls: allTls || tlsHosts.has(host),
      passthrough: false,
      paths: paths.length > 0 ? paths : ['/'],
      vsUuid: a.vsUuid,
      controllerUuid: a.controllerUuid,
      syncVipOnly: a.syncVipOnly,
      // [custom-fqdn] passthrough ingresses are excluded in custom global FQDN mode.
      ...((m.annotations[ANN_PASSTHROUGH] ?? '').toLowerCase() === 'true' ? { akoPassthrough: true } : {}),
    });
  }
  return { members, rejections };
}

export function deriveService(svc: V1Service, ctx: DeriveContext): DerivationResult {
  const m = meta(svc);
  const rejections: Rejection[] = [];
  const reject = (code: SkipCode, reason: string): DerivationResult => ({ members: [], rejections: [rejection(ctx, 'LBSVC', m, code, reason)] });
  // Only LoadBalancer Services are member candidates: others are not reported at all.
  if (svc.spec?.type !== 'LoadBalancer') return { members: [], rejections };
  const unselected = notSelected(ctx, 'LBSVC', m);
  if (unselected) return { members: [], rejections: [unselected] };
  const lb = svc.status?.loadBalancer?.ingress?.[0];
  const host = lb?.hostname ?? '';
  const ip = lb?.ip ?? '';
  if (!lb) return reject('no-load-balancer-status', 'no load balancer status');
  if (!host) return reject('no-hostname', 'no hostname in the load balancer status');
  if (!isIP(ip)) return reject('no-ip', 'no IP address in the load balancer status');
  const ports = [...(svc.spec?.ports ?? [])].sort((a, b) => a.port - b.port);
  if (ports.length === 0) return reject('no-ports', 'no ports');
  const info = akoInfo(m.annotations);
  const a = admit(ctx, m, info, host);
  if ('reason' in a) return reject(a.code, a.reason);
  const proto = ports[0]!.protocol === 'UDP' ? 'UDP' : 'TCP';
  return {
    members: [
      {
        cluster: ctx.cluster,
        kind: 'LBSVC',
        namespace: m.namespace,
        name: m.name,
        hostname: host,
        ip,
        tenant: a.tenant,
        tls: false,
        passthrough: false,
        paths: [],
        port: ports[0]!.port,
        protocol: proto,
        vsUuid: a.vsUuid,
        controllerUuid: a.controllerUuid,
        syncVipOnly: a.syncVipOnly,
      },
    ],
    rejections,
  };
}

/** Route hostname: spec.host, else spec.subdomain + "." + defaultDomain. */
export function routeHostname(route: Route, defaultDomain: string | undefined): string {
  if (route.spec?.host) return route.spec.host;
  const sub = route.spec?.subdomain ?? '';
  const dom = defaultDomain ?? '';
  if (!sub || !dom) return '';
  return dom.startsWith('.') ? `${sub}${dom}` : `${sub}.${dom}`;
}

export function deriveRoute(route: Route, ctx: DeriveContext): DerivationResult {
  const m = meta(route);
  const reject = (code: SkipCode, reason: string): DerivationResult => ({ members: [], rejections: [rejection(ctx, 'ROUTE', m, code, reason)] });
  const unselected = notSelected(ctx, 'ROUTE', m);
  if (unselected) return { members: [], rejections: [unselected] };
  const host = routeHostname(route, ctx.defaultDomain);
  if (!host) return reject('no-hostname', 'no hostname (spec.host, or spec.subdomain with the GDP defaultDomain)');
  const st = (route.status?.ingress ?? []).find((s) => s.host === host && (s.routerName ?? '').startsWith('ako-'));
  if (!st) return reject('no-ako-router-status', `no status from an AKO router for ${host}`);
  const ip = (st.conditions ?? []).map((c) => c.message ?? '').find((msg) => isIP(msg) !== 0);
  if (!ip) return reject('no-ip', `no IP address in the route status for ${host}`);
  // AKO puts its UUIDs/tenant JSON in the first condition's reason; annotations are the fallback.
  const fromStatus = parseJsonObject(st.conditions?.[0]?.reason);
  const info = fromStatus ? akoInfo(fromStatus) : akoInfo(m.annotations);
  if (fromStatus) {
    const ann = akoInfo(m.annotations);
    if (info.vsUuids.size === 0) info.vsUuids = ann.vsUuids;
    info.controllerUuid ??= ann.controllerUuid;
    info.tenant ??= ann.tenant;
  }
  const a = admit(ctx, m, info, host);
  if ('reason' in a) return reject(a.code, a.reason);
  const termination = route.spec?.tls?.termination;
  const passthrough = !!route.spec?.tls && termination === 'passthrough';
  return {
    members: [
      {
        cluster: ctx.cluster,
        kind: 'ROUTE',
        namespace: m.namespace,
        name: m.name,
        hostname: host,
        ip,
        tenant: a.tenant,
        tls: !!route.spec?.tls && !passthrough,
        passthrough,
        paths: passthrough ? [] : [normPath(route.spec?.path)],
        ...(passthrough ? { port: 443, protocol: 'TCP' as const } : {}),
        vsUuid: a.vsUuid,
        controllerUuid: a.controllerUuid,
        syncVipOnly: a.syncVipOnly,
      },
    ],
    rejections: [],
  };
}

/** The controller cluster UUID AKO annotates on an Ingress or Service, if any (the cluster's UUID for HTTPRoutes). */
export function annotatedControllerUuid(annotations: Record<string, string> | undefined): string | undefined {
  return akoInfo(annotations).controllerUuid;
}
