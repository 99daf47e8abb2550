// AMKO-created health monitors. Names are `amko--<sha1 hex>` so that
// they stay short and stable; the description carries the GslbService name so
// stale monitors can be found again.
import { createHash } from 'node:crypto';
import type { HealthMonitor } from '../../avi/types.js';
import type { NamedMember } from '../members/types.js';

export const HM_PREFIX = 'amko--';
export const HM_CREATED_BY_MARKER = 'created-by';

export const HM_DEFAULTS = {
  is_federated: true,
  send_interval: 10,
  receive_timeout: 4,
  successful_checks: 3,
  failed_checks: 3,
  allow_duplicate_monitors: true,
} as const;

export const UDP_REQUEST = 'created_by: amko, request string not required';

/** A resolved healthMonitorTemplate: what generated path monitors inherit from it. */
export interface HmTemplate {
  name: string;
  /** e.g. `GET /healthz HTTP/1.1`; the path token is replaced per monitor. */
  request: string;
  responseCodes: string[];
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

export function pathHmName(protocol: 'http' | 'https', gsName: string, path: string): string {
  return HM_PREFIX + sha1(`${protocol}--${gsName}--${path}`);
}

export function nonPathHmName(gsName: string): string {
  return HM_PREFIX + sha1(gsName);
}

/** The one TCP monitor shared by every passthrough-route GslbService of this instance. */
export function passthroughHmName(amkoUuid: string): string {
  return `${HM_PREFIX}passthrough-hm-tcp-${amkoUuid}`;
}

function common(name: string, description: string, createdBy: string, port: number) {
  return {
    name,
    description,
    ...HM_DEFAULTS,
    monitor_port: port,
    markers: [{ key: HM_CREATED_BY_MARKER, values: [createdBy] }],
  };
}

/**
 * One HTTP(S) monitor per unique path of the path-based members (Ingress, non-passthrough Route, HTTPRoute). The
 * port: the lowest of the members of the monitor's protocol, where an HTTPRoute member has its listener's port
 * and the others 443 (HTTPS) or 80.
 */
export function pathHealthMonitors(
  gsName: string,
  members: ReadonlyArray<NamedMember>,
  createdBy: string,
  template?: HmTemplate,
): HealthMonitor[] {
  const pathMembers = members.filter((m) => (m.kind === 'INGRESS' || m.kind === 'ROUTE' || m.kind === 'HTTPROUTE') && !m.passthrough);
  if (pathMembers.length === 0) return [];
  const https = pathMembers.some((m) => m.tls);
  const protocol = https ? 'https' : 'http';
  const defaultPort = https ? 443 : 80;
  const port = Math.min(...pathMembers.filter((m) => m.tls === https).map((m) => (m.kind === 'HTTPROUTE' ? m.port : undefined) ?? defaultPort));
  const paths = [...new Set(pathMembers.flatMap((m) => m.paths))].sort();
  return paths.map((path) => {
    let description = `created by: amko, gsname: ${gsName}, path: ${path}, protocol: ${protocol}`;
    let request = `HEAD ${path} HTTP/1.0`;
    let codes = ['HTTP_2XX', 'HTTP_3XX'];
    if (template) {
      description += `, created from: ${template.name}`;
      const tokens = template.request.split(' ');
      tokens[1] = path;
      request = tokens.join(' ');
      codes = [...template.responseCodes];
    }
    const body = { http_request: request, http_response_code: codes };
    return {
      ...common(pathHmName(protocol, gsName, path), description, createdBy, port),
      type: https ? 'HEALTH_MONITOR_HTTPS' : 'HEALTH_MONITOR_HTTP',
      ...(https ? { https_monitor: body } : { http_monitor: body }),
    };
  });
}

/** The TCP/UDP monitor of LoadBalancer Service members, on the lowest port among them. */
export function serviceHealthMonitor(gsName: string, members: ReadonlyArray<NamedMember>, createdBy: string): HealthMonitor | undefined {
  const svc = members.filter((m) => m.kind === 'LBSVC' && m.port !== undefined);
  if (svc.length === 0) return undefined;
  const low = [...svc].sort((a, b) => a.port! - b.port! || a.cluster.localeCompare(b.cluster))[0]!;
  const base = common(nonPathHmName(gsName), `created by: amko, gsname: ${gsName}`, createdBy, low.port!);
  return low.protocol === 'UDP'
    ? { ...base, type: 'HEALTH_MONITOR_UDP', udp_monitor: { udp_request: UDP_REQUEST } }
    : { ...base, type: 'HEALTH_MONITOR_TCP', tcp_monitor: { tcp_half_open: false } };
}

export function passthroughHealthMonitor(amkoUuid: string, createdBy: string): HealthMonitor {
  return {
    ...common(passthroughHmName(amkoUuid), 'created by: amko', createdBy, 443),
    type: 'HEALTH_MONITOR_TCP',
    tcp_monitor: { tcp_half_open: false },
  };
}

/** Parses `created by: amko, gsname: <gs>[, path: ..]` → the GslbService name, if any. */
export function gsNameFromHmDescription(description: string | undefined): string | undefined {
  if (!description || !description.startsWith('created by: amko')) return undefined;
  for (const part of description.split(', ')) {
    if (part.startsWith('gsname: ')) return part.slice('gsname: '.length);
  }
  return undefined;
}

/** The created-by marker value of a monitor, if any. */
export function hmCreatedBy(hm: Pick<HealthMonitor, 'markers'>): string | undefined {
  return hm.markers?.find((m) => m.key === HM_CREATED_BY_MARKER)?.values?.[0];
}

/**
 * True when this AMKO instance created `hm`: the `amko--` prefix and our
 * created-by marker. Monitors without the marker (user monitors, other
 * instances, system monitors) are never touched.
 */
export function isOwnedHm(hm: Pick<HealthMonitor, 'name' | 'markers'>, createdBy: string): boolean {
  return hm.name.startsWith(HM_PREFIX) && hmCreatedBy(hm) === createdBy;
}
