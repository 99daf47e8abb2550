// The contract between the Avi REST client (src/avi) and its users (the
// reconcile worker, `amko plan`, the simulator tests). Shapes follow the Avi
// object model as AMKO uses it (the GslbService, health monitor and tenant REST objects).

export interface AviIp {
  addr: string;
  type: 'V4' | 'V6';
}

export interface GslbPoolMember {
  enabled: boolean;
  ratio: number;
  ip: AviIp;
  cluster_uuid?: string;
  vs_uuid?: string;
  public_ip?: { ip: AviIp };
}

export interface GslbPool {
  name: string;
  priority: number;
  enabled: boolean;
  algorithm: string;
  fallback_algorithm?: string;
  consistent_hash_mask?: number;
  min_health_monitors_up?: number;
  members: GslbPoolMember[];
}

/** A GslbService as sent to / read from Avi. Read objects also carry uuid/url/tenant_ref. */
export interface GslbService {
  uuid?: string;
  url?: string;
  name: string;
  tenant_ref?: string;
  domain_names: string[];
  description?: string;
  created_by?: string;
  controller_health_status_enabled?: boolean;
  enabled?: boolean;
  is_federated?: boolean;
  health_monitor_scope?: string;
  health_monitor_refs?: string[];
  min_members?: number;
  pool_algorithm?: string;
  resolve_cname?: boolean;
  use_edns_client_subnet?: boolean;
  wildcard_match?: boolean;
  ttl?: number;
  site_persistence_enabled?: boolean;
  application_persistence_profile_ref?: string;
  pki_profile_ref?: string;
  down_response?: { type: string; fallback_ip?: AviIp };
  groups: GslbPool[];
  [extra: string]: unknown;
}

export interface HealthMonitor {
  uuid?: string;
  url?: string;
  name: string;
  tenant_ref?: string;
  type: string;
  description?: string;
  is_federated?: boolean;
  monitor_port?: number;
  send_interval?: number;
  receive_timeout?: number;
  successful_checks?: number;
  failed_checks?: number;
  allow_duplicate_monitors?: boolean;
  markers?: Array<{ key: string; values: string[] }>;
  http_monitor?: { http_request?: string; http_response_code?: string[] };
  https_monitor?: { http_request?: string; http_response_code?: string[] };
  tcp_monitor?: { tcp_half_open?: boolean };
  udp_monitor?: { udp_request?: string };
  [extra: string]: unknown;
}

export interface NamedObject {
  uuid: string;
  url?: string;
  name: string;
  tenant_ref?: string;
  is_federated?: boolean;
  [extra: string]: unknown;
}

export interface GslbSite {
  uuid: string;
  name: string;
  leader_cluster_uuid: string;
  maintenance_mode?: boolean;
  third_party_sites?: Array<{ name: string; enabled?: boolean; cluster_uuid?: string }>;
  [extra: string]: unknown;
}

/**
 * Retry classes the client assigns to every failure, so the worker can pick
 * fast retry, slow retry or drop without parsing messages itself.
 */
export type AviErrorClass =
  | 'transport' // connection refused/reset/dropped, DNS, TLS handshake aborted: fast retry
  | 'tls' // certificate verification failed (wrong CA, hostname mismatch, expired): not retryable until config changes
  | 'timeout' // per-request timeout expired: fast retry
  | 'server' // 5xx: slow retry
  | 'maintenance' // "GSLB system is in maintenance mode.": slow retry
  | 'not-leader' // "Config Operations can be done ONLY on leader": slow retry, report on status
  | 'domain-conflict' // "domain name conflicting with existing domain name": slow retry, report
  | 'not-found' // 404: refresh state, fast retry
  | 'conflict' // 409: refresh state, fast retry
  | 'bad-request' // other 400: drop until the desired state changes, report
  | 'auth'; // 401/403 after a re-login, or invalid credentials: not retryable until config changes

/** How the worker should react to an error class (see AVI_RETRY in src/avi/errors.ts). */
export type AviRetry = 'fast' | 'slow' | 'none';

export interface AviApi {
  /** Controller version in use (configured, or discovered from /api/initial-data). */
  version(): Promise<string>;

  /** `each` converts every GslbService as its page arrives (a caller keeping a smaller form never holds all of them whole). */
  listGslbServices<U = GslbService>(createdBy: string, tenant?: string, each?: (gs: GslbService) => U): Promise<U[]>;
  getGslbService(name: string, tenant?: string): Promise<GslbService | undefined>;
  createGslbService(gs: GslbService, tenant?: string): Promise<GslbService>;
  updateGslbService(uuid: string, gs: GslbService, tenant?: string): Promise<GslbService>;
  deleteGslbService(uuid: string, tenant?: string): Promise<void>;

  /** Federated health monitors (is_federated=true), all pages; `each` as for listGslbServices. */
  listHealthMonitors<U = HealthMonitor>(tenant?: string, each?: (hm: HealthMonitor) => U): Promise<U[]>;
  getHealthMonitor(name: string, tenant?: string): Promise<HealthMonitor | undefined>;
  createHealthMonitor(hm: HealthMonitor, tenant?: string): Promise<HealthMonitor>;
  updateHealthMonitor(uuid: string, hm: HealthMonitor, tenant?: string): Promise<HealthMonitor>;
  deleteHealthMonitor(uuid: string, tenant?: string): Promise<void>;

  getApplicationPersistenceProfile(name: string, tenant?: string): Promise<NamedObject | undefined>;
  getPkiProfile(name: string, tenant?: string): Promise<NamedObject | undefined>;
  /** Federated PKI profiles; the first is the default PKI for site persistence without a PKI ref. */
  listPkiProfiles?(tenant?: string): Promise<NamedObject[]>;
  /** GET /api/gslb, first result: leader cluster uuid, third-party sites, maintenance flag. */
  getGslb(): Promise<GslbSite | undefined>;
  /** GET /api/cluster: this controller cluster's uuid. */
  getClusterUuid(): Promise<string>;
  close(): Promise<void>;
}
