// The Avi controller REST client used by the reconcile worker and `amko plan`.
// node:https with a keep-alive agent (bounded sockets), per-request deadlines,
// session/CSRF handling (session.ts), pagination, and error classification
// (errors.ts). Nothing secret is ever logged: headers are never logged, and the
// password/cookies/CSRF token only live in AviSession.
import https from 'node:https';
import { DEFAULT_TENANT } from '../api/common.js';
import type { Logger } from '../log.js';
import { withDefaults } from '../options.js';
import { counter, histogram } from '../metrics.js';
import { AviError, httpError, transportError } from './errors.js';
import { AviSession, type RawRequest, type RawResponse } from './session.js';
import type { AviApi, GslbService, GslbSite, HealthMonitor, NamedObject } from './types.js';
import { boundedDelay } from '../timers.js';

export interface AviClientOptions {
  /** Controller address, `host[:port]` (an `https://` prefix and trailing `/` are tolerated). */
  controller: string;
  username: string;
  password: string;
  /** X-Avi-Version; discovered from GET /api/initial-data when unset. */
  version?: string;
  /** Default X-Avi-Tenant for calls without an explicit tenant. Default `admin`. */
  tenant?: string;
  /** PEM CA bundle the controller certificate must chain to (`--avi-ca-file`). Default: Node's system CAs. */
  caPem?: string | Buffer;
  /** `--avi-insecure-skip-tls-verify`: skip certificate verification (logged at warn). */
  insecureSkipTlsVerify?: boolean;
  /** Deadline for one HTTP request (connect + response). Default 30000. */
  timeoutMs?: number;
  /** Max concurrent connections to the controller. Default 8. */
  maxSockets?: number;
  /** Page size asked for on list calls. Default 100. */
  pageSize?: number;
  /** User-Agent header; the worker sends `amko (<lease identity>)`, so each request names the replica that sent it. Default `amko`. */
  userAgent?: string;
  /**
   * Called synchronously right before each write (POST/PUT/PATCH/DELETE) is sent, the re-send after a
   * re-login included; what it throws refuses the write and reaches the caller unchanged (the worker's write fence).
   */
  writeGuard?: () => void;
  log: Logger;
}

export type QueryValue = string | number | boolean | undefined;

export interface AviRequestOptions {
  /** X-Avi-Tenant for this call; default the client's tenant. `*` = all tenants (reads). */
  tenant?: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  timeoutMs?: number;
}

/** A collection response. */
export interface AviPage<T> {
  count?: number;
  results?: T[];
  next?: string;
}

const requests = counter({
  name: 'amko_avi_requests_total',
  help: 'Requests sent to the Avi controller, by method, resource and result (ok or the error class).',
  labelNames: ['method', 'resource', 'result'] as const,
});
const duration = histogram({
  name: 'amko_avi_request_duration_seconds',
  help: 'Duration of Avi controller requests in seconds, including the login/retry of a 401.',
  labelNames: ['method', 'resource'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

const MAX_PAGES = 100_000;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class AviClient implements AviApi {
  readonly controller: string;
  readonly tenant: string;
  private readonly base: URL;
  private readonly agent: https.Agent;
  private readonly session: AviSession;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  private readonly userAgent: string;
  private readonly writeGuard?: () => void;
  private configuredVersion?: string;
  private versionInflight?: Promise<string>;
  private closed = false;

  static create(opts: AviClientOptions): AviClient {
    return new AviClient(opts);
  }

  private constructor(opts: AviClientOptions) {
    const controller = opts.controller.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    if (!controller) throw new Error('avi: controller address is empty');
    if (!opts.username) throw new Error('avi: username is empty');
    this.controller = controller;
    this.base = new URL(`https://${controller}/`);
    this.tenant = opts.tenant || DEFAULT_TENANT;
    this.log = opts.log.child({ component: 'avi-client', controller });
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.pageSize = opts.pageSize ?? 100;
    this.userAgent = opts.userAgent ?? 'amko';
    this.writeGuard = opts.writeGuard;
    this.configuredVersion = opts.version || undefined;
    if (opts.insecureSkipTlsVerify) {
      this.log.warn('TLS verification of the Avi controller certificate is disabled (--avi-insecure-skip-tls-verify)');
    }
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: opts.maxSockets ?? 8,
      maxFreeSockets: opts.maxSockets ?? 8,
      ca: opts.insecureSkipTlsVerify ? undefined : opts.caPem,
      rejectUnauthorized: !opts.insecureSkipTlsVerify,
    });
    this.session = new AviSession({
      username: opts.username,
      password: opts.password,
      referer: this.base.href,
      transport: (r) => this.send(r),
      log: this.log,
      timeoutMs: this.timeoutMs,
    });
  }

  /** Log in now (otherwise the first call does). Rejects with `AviError{errorClass:'auth', invalidCredentials}` on bad credentials. */
  async login(): Promise<void> {
    await this.session.ensure();
  }

  async version(): Promise<string> {
    if (this.configuredVersion) return this.configuredVersion;
    if (!this.versionInflight) {
      this.versionInflight = this.discoverVersion().then(
        (v) => {
          this.configuredVersion = v;
          return v;
        },
        (err: unknown) => {
          this.versionInflight = undefined;
          throw err;
        },
      );
    }
    return this.versionInflight;
  }

  private async discoverVersion(): Promise<string> {
    const data = await this.call<{ version?: { Version?: string } }>('GET', '/api/initial-data', { tenant: DEFAULT_TENANT }, false);
    const v = data?.version?.Version;
    if (!v) throw new AviError('GET /api/initial-data returned no version.Version', { errorClass: 'server', method: 'GET', path: '/api/initial-data' });
    this.log.info({ version: v }, 'discovered Avi controller version');
    return v;
  }

  /** One API call with session handling; resolves the parsed JSON body (undefined for 204). */
  async request<T = unknown>(method: string, path: string, opts: AviRequestOptions = {}): Promise<T> {
    return this.call<T>(method, path, opts, true);
  }

  private async call<T>(method: string, path: string, opts: AviRequestOptions, withVersion: boolean): Promise<T> {
    if (this.closed) throw new AviError('client is closed', { errorClass: 'transport', method, path });
    const tenant = opts.tenant ?? this.tenant;
    const fullPath = withQuery(path, opts.query);
    const pathOnly = fullPath.split('?', 1)[0] ?? fullPath;
    const resource = resourceOf(pathOnly);
    const end = duration.startTimer({ method, resource });
    const guard = WRITE_METHODS.has(method) ? this.writeGuard : undefined;
    let refused = false;
    const sendChecked = (r: RawRequest) => {
      refused = true;
      guard?.();
      refused = false;
      return this.send(r);
    };
    try {
      const version = withVersion ? await this.version() : undefined;
      const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      let gen = await this.session.ensure();
      let res = await sendChecked(this.build(method, fullPath, tenant, version, body, opts.timeoutMs));
      if (needsRelogin(res)) {
        this.log.info({ method, path: pathOnly, status: res.status, tenant }, 'avi session rejected, logging in again');
        gen = await this.session.relogin(gen);
        res = await sendChecked(this.build(method, fullPath, tenant, version, body, opts.timeoutMs));
      }
      if (res.status < 200 || res.status >= 300) {
        throw httpError(res.status, res.body, { method, path: pathOnly, tenant });
      }
      requests.inc({ method, resource, result: 'ok' });
      return (res.body ? JSON.parse(res.body) : undefined) as T;
    } catch (err) {
      if (refused) throw err;
      const e = err instanceof AviError ? err : transportError(err, { method, path: pathOnly, tenant });
      requests.inc({ method, resource, result: e.errorClass });
      this.log.debug({ method, path: pathOnly, tenant, status: e.status, errorClass: e.errorClass, controllerMessage: e.controllerMessage }, 'avi request failed');
      throw e;
    } finally {
      end();
    }
  }

  private build(method: string, path: string, tenant: string, version: string | undefined, body: string | undefined, timeoutMs?: number): RawRequest {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      Referer: this.base.href,
      'X-Avi-Tenant': tenant,
      'X-Avi-UserAgent': 'amko',
      'User-Agent': this.userAgent,
      ...this.session.authHeaders(),
    };
    if (version) headers['X-Avi-Version'] = version;
    return { method, path, headers, body, timeoutMs };
  }

  /** The raw HTTP exchange: keep-alive agent, a deadline per request, no logging of headers. */
  private send(r: RawRequest): Promise<RawResponse> {
    const timeoutMs = r.timeoutMs ?? this.timeoutMs;
    const started = Date.now();
    return new Promise<RawResponse>((resolve, reject) => {
      const headers: Record<string, string | number> = { ...r.headers };
      if (r.body !== undefined) headers['Content-Length'] = Buffer.byteLength(r.body);
      const req = https.request(
        {
          agent: this.agent,
          protocol: 'https:',
          hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
          port: this.base.port || 443,
          method: r.method,
          path: r.path,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            const out = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
            this.log.debug({ method: r.method, path: r.path, tenant: r.headers['X-Avi-Tenant'], status: out.status, ms: Date.now() - started }, 'avi request');
            resolve(out);
          });
          res.on('error', fail);
        },
      );
      const timer = setTimeout(() => {
        const err = Object.assign(new Error(`request timed out after ${timeoutMs} ms`), { code: 'AVI_TIMEOUT' });
        req.destroy(err);
      }, boundedDelay(timeoutMs));
      function fail(err: Error): void {
        clearTimeout(timer);
        reject(err);
      }
      req.on('error', fail);
      req.end(r.body);
    }).catch((err: unknown) => {
      const path = r.path.split('?', 1)[0] ?? r.path;
      const e = transportError(err, { method: r.method, path, tenant: r.headers['X-Avi-Tenant'] });
      // A user must act on an untrusted certificate (CA, name, validity): say why, at error, once per failed exchange.
      if (e.errorClass === 'tls') {
        this.log.error({ code: e.code, reason: e.tlsReason, method: r.method, path }, `Avi controller certificate verification failed: ${e.tlsReason}`);
      }
      throw e;
    });
  }

  /** Every object of a collection, following `next` through all pages; `each` converts each one as its page arrives. */
  async listAll<T, U = T>(resource: string, query: Record<string, QueryValue> = {}, tenant?: string, each?: (item: T) => U): Promise<U[]> {
    const out: U[] = [];
    let path: string | undefined = withQuery(`/api/${resource}`, withDefaults({ include_name: true, page_size: this.pageSize }, query));
    const seen = new Set<string>();
    for (let i = 0; path && i < MAX_PAGES; i++) {
      if (seen.has(path)) throw new AviError(`pagination loop at ${path}`, { errorClass: 'server', method: 'GET', path: `/api/${resource}` });
      seen.add(path);
      const page: AviPage<T> | undefined = await this.request<AviPage<T>>('GET', path, { tenant });
      for (const item of page?.results ?? []) out.push(each ? each(item) : (item as unknown as U));
      path = page?.next ? nextPath(page.next) : undefined;
    }
    return out;
  }

  /** First object named `name` (undefined when none). */
  async getByName<T>(resource: string, name: string, tenant?: string, query: Record<string, QueryValue> = {}): Promise<T | undefined> {
    const page = await this.request<AviPage<T>>('GET', `/api/${resource}`, { tenant, query: withDefaults({ include_name: true, name }, query) });
    return page?.results?.[0];
  }

  /** One object by uuid (undefined on 404). */
  async getByUuid<T>(resource: string, uuid: string, tenant?: string): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', `/api/${resource}/${encodeURIComponent(uuid)}`, { tenant, query: { include_name: true } });
    } catch (e) {
      if (e instanceof AviError && e.errorClass === 'not-found') return undefined;
      throw e;
    }
  }

  listGslbServices<U = GslbService>(createdBy: string, tenant?: string, each?: (gs: GslbService) => U): Promise<U[]> {
    return this.listAll<GslbService, U>('gslbservice', { created_by: createdBy }, tenant, each);
  }
  getGslbService(name: string, tenant?: string): Promise<GslbService | undefined> {
    return this.getByName<GslbService>('gslbservice', name, tenant);
  }
  createGslbService(gs: GslbService, tenant?: string): Promise<GslbService> {
    return this.request<GslbService>('POST', '/api/gslbservice/', { tenant, body: gs, query: { include_name: true } });
  }
  updateGslbService(uuid: string, gs: GslbService, tenant?: string): Promise<GslbService> {
    return this.request<GslbService>('PUT', `/api/gslbservice/${encodeURIComponent(uuid)}`, { tenant, body: gs, query: { include_name: true } });
  }
  async deleteGslbService(uuid: string, tenant?: string): Promise<void> {
    await this.request('DELETE', `/api/gslbservice/${encodeURIComponent(uuid)}`, { tenant });
  }

  listHealthMonitors<U = HealthMonitor>(tenant?: string, each?: (hm: HealthMonitor) => U): Promise<U[]> {
    return this.listAll<HealthMonitor, U>('healthmonitor', { is_federated: true }, tenant, each);
  }
  getHealthMonitor(name: string, tenant?: string): Promise<HealthMonitor | undefined> {
    return this.getByName<HealthMonitor>('healthmonitor', name, tenant);
  }
  createHealthMonitor(hm: HealthMonitor, tenant?: string): Promise<HealthMonitor> {
    return this.request<HealthMonitor>('POST', '/api/healthmonitor/', { tenant, body: hm, query: { include_name: true } });
  }
  updateHealthMonitor(uuid: string, hm: HealthMonitor, tenant?: string): Promise<HealthMonitor> {
    return this.request<HealthMonitor>('PUT', `/api/healthmonitor/${encodeURIComponent(uuid)}`, { tenant, body: hm, query: { include_name: true } });
  }
  async deleteHealthMonitor(uuid: string, tenant?: string): Promise<void> {
    await this.request('DELETE', `/api/healthmonitor/${encodeURIComponent(uuid)}`, { tenant });
  }

  getApplicationPersistenceProfile(name: string, tenant?: string): Promise<NamedObject | undefined> {
    return this.getByName<NamedObject>('applicationpersistenceprofile', name, tenant);
  }
  /** Federated persistence profiles, all pages. */
  listApplicationPersistenceProfiles(tenant?: string): Promise<NamedObject[]> {
    return this.listAll<NamedObject>('applicationpersistenceprofile', { is_federated: true }, tenant);
  }
  getPkiProfile(name: string, tenant?: string): Promise<NamedObject | undefined> {
    return this.getByName<NamedObject>('pkiprofile', name, tenant);
  }
  /** Federated PKI profiles, all pages (the first one is AMKO's default PKI for site persistence). */
  listPkiProfiles(tenant?: string): Promise<NamedObject[]> {
    return this.listAll<NamedObject>('pkiprofile', { is_federated: true }, tenant);
  }

  async getGslb(): Promise<GslbSite | undefined> {
    const page = await this.request<AviPage<GslbSite>>('GET', '/api/gslb', { tenant: DEFAULT_TENANT, query: { include_name: true } });
    return page?.results?.[0];
  }
  async getClusterUuid(): Promise<string> {
    const cluster = await this.request<{ uuid?: string }>('GET', '/api/cluster', { tenant: DEFAULT_TENANT });
    if (!cluster?.uuid) throw new AviError('GET /api/cluster returned no uuid', { errorClass: 'server', method: 'GET', path: '/api/cluster' });
    return cluster.uuid;
  }

  /** Logs out (best effort) and closes the idle connections. Further calls fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.session.loggedIn) {
      try {
        await this.send(this.build('POST', '/logout', this.tenant, undefined, undefined, Math.min(this.timeoutMs, 2000)));
      } catch {
        // the session expires on its own
      }
    }
    this.closed = true;
    this.session.invalidate();
    this.agent.destroy();
  }
}

/** 401/419, or a 403 from the CSRF check: the session is stale and a new login fixes it. */
function needsRelogin(res: RawResponse): boolean {
  if (res.status === 401 || res.status === 419) return true;
  return res.status === 403 && /csrf/i.test(res.body);
}

/** `path?query` with values URL-encoded; `true` flags are sent as `name=true`. */
export function withQuery(path: string, query?: Record<string, QueryValue>): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  if (!qs) return path;
  return path.includes('?') ? `${path}&${qs}` : `${path}?${qs}`;
}

/** Path+query of a `next` link (which is usually an absolute URL to the controller). */
export function nextPath(next: string): string {
  if (next.startsWith('/')) return next;
  const u = new URL(next, 'https://controller.invalid/');
  return `${u.pathname}${u.search}`;
}

/** Metric label for a path: `/api/gslbservice/<uuid>` → `gslbservice`, `/login` → `login`. */
function resourceOf(path: string): string {
  const m = /^\/api\/([^/?#]+)/.exec(path);
  if (m) return m[1] as string;
  return path.replace(/^\//, '').split('/', 1)[0] || 'root';
}
