// Pure derivation of member records from an HTTPRoute attached to AKO-programmed Gateways: one member per
// (parent Gateway, FQDN). No I/O: the Gateways and namespaces come from the DeriveContext lookups.
import { ANN_TENANT, meta, notSelected, rejection, type DeriveContext } from './derive.js';
import {
  AKO_GATEWAY_CONTROLLER,
  ANN_DEDICATED_GATEWAY,
  GATEWAY_GROUP,
  conditionTrue,
  gatewayIp,
  gatewayVsUuid,
  inParentRefs,
  listenerAllowsRoute,
  matchingHost,
  parentKey,
  routePaths,
  type HTTPRoute,
} from './gateway-api.js';
import type { DerivationResult, MemberRecord, Notice, Rejection, SkipCode } from './types.js';

/** What the matched listeners of one Gateway say about one FQDN: HTTPS if any is, and the listener port. */
interface HostMatch {
  tls: boolean;
  port: number;
}

/** Merges a listener into a host's match: an HTTPS listener wins over HTTP ones; among equals, the lowest port. */
function merge(cur: HostMatch | undefined, tls: boolean, port: number): HostMatch {
  if (!cur || (tls && !cur.tls)) return { tls, port };
  if (tls === cur.tls && port < cur.port) return { tls, port };
  return cur;
}

export function deriveHttpRoute(rt: HTTPRoute, ctx: DeriveContext): DerivationResult {
  const m = meta(rt);
  const unselected = notSelected(ctx, 'HTTPROUTE', m);
  if (unselected) return { members: [], rejections: [unselected] };
  const rejections: Rejection[] = [];
  const reject = (code: SkipCode, reason: string) => rejections.push(rejection(ctx, 'HTTPROUTE', m, code, reason));
  const parents = (rt.status?.parents ?? []).filter((p) => p.controllerName === AKO_GATEWAY_CONTROLLER);
  if (parents.length === 0) {
    reject('no-ako-parent', `no status.parents entry of AKO (controllerName ${AKO_GATEWAY_CONTROLLER})`);
    return { members: [], rejections };
  }
  // A route without hostnames takes the listeners' hostnames.
  const routeHosts = (rt.spec?.hostnames ?? []).length > 0 ? rt.spec!.hostnames! : [''];
  const routeNsLabels = ctx.namespace(m.namespace)?.metadata?.labels;
  const paths = routePaths(rt);
  const syncVipOnly = ctx.selection.clusters.get(ctx.cluster)?.syncVipOnly ?? false;
  // (gateway, FQDN) -> what its listeners say; one member each.
  const byGatewayHost = new Map<string, { gw: string; host: string; ip: string; tenant: string; vsUuid?: string; match: HostMatch }>();
  const wildcards = new Set<string>();
  for (const p of parents) {
    const ref = parentKey(p.parentRef, m.namespace);
    const gwName = `${ref.namespace}/${ref.name}`;
    if (ref.group !== GATEWAY_GROUP || ref.kind !== 'Gateway') continue; // AKO's parents are Gateways
    if (!inParentRefs(rt.spec?.parentRefs, p.parentRef, m.namespace)) continue; // a stale status entry
    if (!conditionTrue(p.conditions, 'Accepted')) {
      reject('not-accepted', `Gateway ${gwName} has not accepted the route`);
      continue;
    }
    const gw = ctx.gateway?.(ref.namespace, ref.name);
    if (!gw) {
      reject('gateway-not-found', `Gateway ${gwName} not found`);
      continue;
    }
    if ((gw.metadata?.annotations?.[ANN_DEDICATED_GATEWAY] ?? '').toLowerCase() === 'true') {
      reject('dedicated-gateway', `Gateway ${gwName} is in dedicated mode (${ANN_DEDICATED_GATEWAY}): its virtual service has no host names`);
      continue;
    }
    if (!conditionTrue(gw.status?.conditions, 'Programmed')) {
      reject('gateway-not-programmed', `Gateway ${gwName} is not Programmed`);
      continue;
    }
    const ip = gatewayIp(gw);
    if (!ip) {
      reject('no-ip', `Gateway ${gwName} has no IP address in status.addresses`);
      continue;
    }
    const tenant = ctx.namespace(ref.namespace)?.metadata?.annotations?.[ANN_TENANT] || ctx.defaultTenant;
    const vsUuid = gatewayVsUuid(gw);
    const listeners = (gw.spec?.listeners ?? []).filter((l) => !p.parentRef?.sectionName || l.name === p.parentRef.sectionName);
    let matched = false;
    for (const lis of listeners) {
      if (lis.protocol !== 'HTTP' && lis.protocol !== 'HTTPS') continue;
      if (p.parentRef?.port !== undefined && p.parentRef.port !== lis.port) continue;
      if (!listenerAllowsRoute(lis, ref.namespace, m.namespace, routeNsLabels)) continue;
      for (const rh of routeHosts) {
        const lh = lis.hostname ?? '';
        if (lh === '' && rh === '') continue;
        const host = matchingHost(lh, rh);
        if (host === undefined) continue;
        matched = true;
        if (host.startsWith('*.')) {
          wildcards.add(`${host} (Gateway ${gwName})`);
          continue;
        }
        const key = `${gwName}\u0000${host}`;
        const cur = byGatewayHost.get(key);
        const match = merge(cur?.match, lis.protocol === 'HTTPS', lis.port ?? (lis.protocol === 'HTTPS' ? 443 : 80));
        byGatewayHost.set(key, { gw: gwName, host, ip, tenant, vsUuid, match });
      }
    }
    if (!matched) reject('no-matching-listener', `no listener of Gateway ${gwName} that admits the route has a hostname overlapping the route's`);
  }
  for (const w of [...wildcards].sort()) reject('wildcard-hostname', `${w} is a wildcard, not a GSLB FQDN`);
  const members: MemberRecord[] = [];
  const notices: Notice[] = [];
  const ipOnly: string[] = [];
  for (const e of [...byGatewayHost.values()].sort((a, b) => a.gw.localeCompare(b.gw) || a.host.localeCompare(b.host))) {
    const known = !!e.vsUuid && !!ctx.controllerUuid;
    if (!syncVipOnly && !known) {
      const why = [
        !e.vsUuid && 'no {"VSUUID":...} in its Programmed condition message',
        !ctx.controllerUuid && 'controller cluster UUID unknown (GSLBConfig memberClusters[].controllerClusterUuid, or an AKO-annotated Ingress/Service in the cluster)',
      ].filter(Boolean);
      ipOnly.push(`${e.host} (Gateway ${e.gw}: ${why.join(', ')})`);
    }
    members.push({
      cluster: ctx.cluster,
      kind: 'HTTPROUTE',
      namespace: m.namespace,
      name: m.name,
      hostname: e.host,
      ip: e.ip,
      tenant: e.tenant,
      tls: e.match.tls,
      passthrough: false,
      paths,
      port: e.match.port,
      vsUuid: known ? e.vsUuid : undefined,
      controllerUuid: known ? ctx.controllerUuid : undefined,
      syncVipOnly: syncVipOnly || !known,
    });
  }
  if (ipOnly.length > 0) {
    notices.push({
      cluster: ctx.cluster,
      kind: 'HTTPROUTE',
      namespace: m.namespace,
      name: m.name,
      code: 'ip-only-member',
      reason: `synced as IP-only members, without the AKO virtual service and controller cluster UUIDs: ${ipOnly.join('; ')}`,
    });
  }
  return { members, rejections, notices };
}
