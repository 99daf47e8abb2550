// The member model: one record per (cluster, object, local hostname) that the
// GDP selects. Everything downstream (naming, desired GslbService, health
// monitors) is computed from these records only, so a later step (AKO
// HostRule-based custom global FQDNs, AMKOCluster federation) can rewrite or
// filter records without touching the derivation.

export type MemberKind = 'INGRESS' | 'LBSVC' | 'ROUTE' | 'HTTPROUTE';

export interface MemberRecord {
  cluster: string;
  kind: MemberKind;
  namespace: string;
  /** Object name. */
  name: string;
  /** Local FQDN as the member cluster serves it (Ingress rule host, Service status hostname, Route host, HTTPRoute × listener host). */
  hostname: string;
  /** VIP from the object's status. */
  ip: string;
  /** Avi tenant the member belongs to. */
  tenant: string;
  /** Secure (TLS) ingress host / route (not passthrough). */
  tls: boolean;
  /** OpenShift passthrough route. */
  passthrough: boolean;
  /** HTTP paths for Ingress/Route (non-passthrough) and HTTPRoute members; empty otherwise. */
  paths: string[];
  /** Service (and passthrough route) port/protocol used by the health monitor; for an HTTPRoute, its listener's port. */
  port?: number;
  protocol?: 'TCP' | 'UDP';
  /** From AKO's annotations / route status: the Avi virtual service and controller cluster. */
  vsUuid?: string;
  controllerUuid?: string;
  /** The cluster's matchClusters[].syncVipOnly. */
  syncVipOnly: boolean;
  /** [custom-fqdn] Ingress annotated passthrough.ako.vmware.com/enabled=true (read only by the custom-FQDN naming step). */
  akoPassthrough?: boolean;
}

/** A member after the naming step: which GslbService (global FQDN) it belongs to. */
export interface NamedMember extends MemberRecord {
  gsName: string;
  /** Extra domain names (aliases) the naming step contributes to the GslbService. */
  aliases: string[];
}

/**
 * The naming step. The default maps the local hostname to itself (AMKO's
 * default mode). A HostRule-based step (useCustomGlobalFqdn) returns the
 * global FQDN and aliases, or undefined to drop the member.
 */
export type NamingStep = (m: MemberRecord) => { gsName: string; aliases: string[]; /** [custom-fqdn] HostRule TLS certificate makes the member TLS. */ tls?: boolean } | undefined;

export const identityNaming: NamingStep = (m) => ({ gsName: m.hostname, aliases: [] });

/**
 * Why an object produced no member. `not-selected`: the GDP does not select it (nothing to report). Every other
 * code is an object the GDP selects but that is skipped: the worker reports those (Event, metric, GDP status).
 */
export type SkipCode =
  | 'not-selected'
  | 'no-load-balancer-status'
  | 'no-hostname'
  | 'no-ip'
  | 'no-ports'
  | 'no-ako-router-status'
  | 'missing-ako-uuids'
  | 'tenant-mismatch'
  // HTTPRoutes (Gateway API):
  | 'no-ako-parent'
  | 'not-accepted'
  | 'gateway-not-found'
  | 'gateway-not-programmed'
  | 'dedicated-gateway'
  | 'no-matching-listener'
  | 'wildcard-hostname';

/**
 * Something a user should know about a member that is synced: `ip-only-member`, an HTTPRoute member synced by
 * its IP alone because AKO's virtual service or controller cluster UUID is unknown (an Event on the object).
 */
export type NoticeCode = 'ip-only-member';

export interface Notice extends Omit<Rejection, 'code'> {
  code: NoticeCode;
}

/** Why an object (or one host of an Ingress) produced no member (for logs, `amko plan`, Events and tests). */
export interface Rejection {
  cluster: string;
  kind: MemberKind;
  namespace: string;
  name: string;
  code: SkipCode;
  reason: string;
}

export interface DerivationResult {
  members: MemberRecord[];
  rejections: Rejection[];
  notices?: Notice[];
}

/** The description item of a member: `INGRESS/<cluster>/<ns>/<name>/<host>`, `HTTPROUTE/.../<host>`, `LBSVC/...`, `ROUTE/...`. */
export function memberDescription(m: Pick<MemberRecord, 'kind' | 'cluster' | 'namespace' | 'name' | 'hostname'>): string {
  const base = `${m.kind}/${m.cluster}/${m.namespace}/${m.name}`;
  return m.kind === 'INGRESS' || m.kind === 'HTTPROUTE' ? `${base}/${m.hostname}` : base;
}

/** The work-queue key of a GslbService: `<tenant>/<gsName>`. */
export function gsKey(tenant: string, gsName: string): string {
  // join() makes one flat string; a template literal makes a rope that the maps keyed by it would keep whole.
  return [tenant, gsName].join('/');
}

export function parseGsKey(key: string): { tenant: string; gsName: string } {
  const i = key.indexOf('/');
  if (i < 0) throw new Error(`invalid GslbService key "${key}"`);
  return { tenant: key.slice(0, i), gsName: key.slice(i + 1) };
}
