// The Gateway API objects the HTTPRoute source reads (gateway.networking.k8s.io/v1), only the fields it reads,
// and the pure rules of the Gateway API it applies: which listeners of a Gateway a route may attach to, and the
// hostname intersection of a listener and a route (the rules external-dns implements).
import { isIP } from 'node:net';
import { labelsMatch } from './selection.js';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
/** The Gateway API version read (discovery) and its collections across all namespaces. */
export const GATEWAY_API = `/apis/${GATEWAY_GROUP}/v1`;
export const GATEWAY_PATHS = { gateways: `${GATEWAY_API}/gateways`, httproutes: `${GATEWAY_API}/httproutes` } as const;
/** The GatewayClass controller of AKO: its entries in an HTTPRoute's status.parents. */
export const AKO_GATEWAY_CONTROLLER = 'ako.vmware.com/avi-lb';
/** A Gateway AKO realises in dedicated mode: one virtual service without host names, not a GSLB member. */
export const ANN_DEDICATED_GATEWAY = 'ako.vmware.com/dedicated-gateway-mode';

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key?: string; operator?: string; values?: string[] }>;
}

export interface Listener {
  name?: string;
  hostname?: string;
  port?: number;
  protocol?: string;
  allowedRoutes?: {
    namespaces?: { from?: string; selector?: LabelSelector };
    kinds?: Array<{ group?: string; kind?: string }>;
  };
}

/** The metadata fields the member sources read (Route, Gateway, HTTPRoute). */
export interface Meta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  uid?: string;
}

export interface Gateway {
  apiVersion?: string;
  kind?: string;
  metadata?: Meta;
  spec?: { gatewayClassName?: string; listeners?: Listener[] };
  status?: { addresses?: Array<{ type?: string; value?: string }>; conditions?: Condition[] };
}

export interface ParentRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  sectionName?: string;
  port?: number;
}

export interface HTTPRoute {
  apiVersion?: string;
  kind?: string;
  metadata?: Meta;
  spec?: {
    parentRefs?: ParentRef[];
    hostnames?: string[];
    rules?: Array<{ matches?: Array<{ path?: { type?: string; value?: string } }> }>;
  };
  status?: { parents?: Array<{ parentRef?: ParentRef; controllerName?: string; conditions?: Condition[] }> };
}

/** Whether the first condition of `type` is True. */
export function conditionTrue(conds: readonly Condition[] | undefined, type: string): boolean {
  return (conds ?? []).find((c) => c.type === type)?.status === 'True';
}

/** A parent reference with its defaults: group gateway.networking.k8s.io, kind Gateway, the route's namespace. */
export function parentKey(ref: ParentRef | undefined, routeNamespace: string): { group: string; kind: string; namespace: string; name: string } {
  return { group: ref?.group || GATEWAY_GROUP, kind: ref?.kind || 'Gateway', namespace: ref?.namespace || routeNamespace, name: ref?.name ?? '' };
}

/** Whether `ref` (from status.parents) is one of the route's spec.parentRefs (group, kind, namespace and name). */
export function inParentRefs(refs: readonly ParentRef[] | undefined, ref: ParentRef | undefined, routeNamespace: string): boolean {
  const want = parentKey(ref, routeNamespace);
  return (refs ?? []).some((r) => {
    const k = parentKey(r, routeNamespace);
    return k.group === want.group && k.kind === want.kind && k.namespace === want.namespace && k.name === want.name;
  });
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A host name as the hostname rules compare it: lower-cased; undefined when it is an IP or not a DNS name (wildcard first label allowed). */
function canonicalHost(host: string): string | undefined {
  if (host === '') return '';
  const h = host.toLowerCase();
  const bare = h.startsWith('*.') ? h.slice(2) : h;
  if (isIP(h) !== 0 || bare.length === 0 || bare.length > 253) return undefined;
  return bare.split('.').every((l) => LABEL.test(l)) ? h : undefined;
}

/**
 * The intersection of a listener hostname and a route hostname: empty on one side takes the other; equal names
 * match; a wildcard (`*.example.com`, any name with at least one more label) narrows to the more specific name.
 * Undefined: no overlap (or an invalid name).
 */
export function matchingHost(listenerHost: string, routeHost: string): string | undefined {
  let a = canonicalHost(listenerHost);
  let b = canonicalHost(routeHost);
  if (a === undefined || b === undefined) return undefined;
  if (a === '') return b;
  if (b === '' || a === b) return a;
  // `a` becomes the shorter (or, at equal length, the wildcard) name: the only one that can contain the other.
  if (b.length < a.length || (a.length === b.length && b.startsWith('*.'))) [a, b] = [b, a];
  return a.startsWith('*.') && b.endsWith(a.slice(1)) ? b : undefined;
}

/** Whether a label selector (matchLabels and matchExpressions) matches `labels`. */
export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel) return false;
  if (sel.matchLabels && !labelsMatch(sel.matchLabels, labels)) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = !!labels && e.key !== undefined && Object.hasOwn(labels, e.key);
    const v = has ? labels![e.key!] : undefined;
    const values = e.values ?? [];
    const ok =
      e.operator === 'In' ? has && values.includes(v!)
      : e.operator === 'NotIn' ? !has || !values.includes(v!)
      : e.operator === 'Exists' ? has
      : e.operator === 'DoesNotExist' ? !has
      : false;
    if (!ok) return false;
  }
  return true;
}

/**
 * Whether a listener of a Gateway in `gatewayNamespace` admits an HTTPRoute in `routeNamespace` (whose namespace
 * has `routeNamespaceLabels`): allowedRoutes.namespaces.from Same (the default), All or Selector, and the kinds
 * it lists, if any.
 */
export function listenerAllowsRoute(lis: Listener, gatewayNamespace: string, routeNamespace: string, routeNamespaceLabels: Record<string, string> | undefined): boolean {
  const from = lis.allowedRoutes?.namespaces?.from ?? 'Same';
  const nsOk =
    from === 'All' ? true
    : from === 'Same' ? gatewayNamespace === routeNamespace
    : from === 'Selector' ? selectorMatches(lis.allowedRoutes?.namespaces?.selector, routeNamespaceLabels)
    : false;
  if (!nsOk) return false;
  const kinds = lis.allowedRoutes?.kinds ?? [];
  return kinds.length === 0 || kinds.some((k) => (k.group || GATEWAY_GROUP) === GATEWAY_GROUP && k.kind === 'HTTPRoute');
}

/** The address of a Gateway's status.addresses (type IPAddress or unset): the first IPv4 one, else the first IPv6 one. */
export function gatewayIp(gw: Gateway): string | undefined {
  const ips = (gw.status?.addresses ?? []).filter((a) => (a.type ?? 'IPAddress') === 'IPAddress' && isIP(a.value ?? '') !== 0).map((a) => a.value!);
  return ips.find((ip) => isIP(ip) === 4) ?? ips[0];
}

/** The virtual service UUID AKO puts into the Gateway's Programmed condition message (`{"VSUUID":"<uuid>"}`), if any. */
export function gatewayVsUuid(gw: Gateway): string | undefined {
  const msg = (gw.status?.conditions ?? []).find((c) => c.type === 'Programmed')?.message;
  if (!msg || !msg.startsWith('{')) return undefined;
  try {
    const v = (JSON.parse(msg) as Record<string, unknown>).VSUUID;
    return typeof v === 'string' && v !== '' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The health-monitor paths of a route: the PathPrefix/Exact values of its rules' matches (a match without a path is `/`); none → `/`. */
export function routePaths(rt: HTTPRoute): string[] {
  const paths = new Set<string>();
  for (const rule of rt.spec?.rules ?? []) {
    const matches = rule.matches ?? [];
    if (matches.length === 0) paths.add('/');
    for (const m of matches) {
      const type = m.path?.type ?? 'PathPrefix';
      if (type === 'PathPrefix' || type === 'Exact') paths.add(m.path?.value || '/');
    }
  }
  return paths.size > 0 ? [...paths].sort() : ['/'];
}
