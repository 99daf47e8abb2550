// Avi controller simulator: HTTPS on 127.0.0.1 with its own self-signed
// certificate, enforcing what a controller enforces for the calls AMKO makes
// (login, session cookies, CSRF + Referer on writes, X-Avi-Version, tenant
// scoping, unique names, reference resolution/integrity, GSLB leader and
// maintenance checks, pagination, account lockout after failed logins), plus
// fault injection and a request log.
// Test/bench/demo only: not part of the shipped server image.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { sharedSimCert, type SimCert } from './cert.js';
import { Faults } from './faults.js';
import { OBJ_TYPES, SIM_MESSAGES, SimError, SimStore, type ObjType, type SimSeed } from './store.js';

export { SIM_MESSAGES, SimError, SimStore, parseRef, type ObjType, type SimSeed, type StoredObject } from './store.js';
export { Faults, type Fault, type FaultSpec } from './faults.js';
export { generateSimCert, type SimCert } from './cert.js';

const SEED_FILE = new URL('./fixtures/default-seed.json', import.meta.url);

/** A fresh copy of the default seed (modify it freely before passing it as `seed`). */
export function defaultSeed(): SimSeed {
  return JSON.parse(readFileSync(SEED_FILE, 'utf8')) as SimSeed;
}

/** The default seed without objects: tenants, users, cluster and gslb only. */
export function emptySeed(): SimSeed {
  return { ...defaultSeed(), objects: {} };
}

export interface AviSimulatorOptions {
  /** Listen port on 127.0.0.1 (0 = any free port, the default). */
  port?: number;
  /** Initial state; default `defaultSeed()`. */
  seed?: SimSeed;
  /** Accepted logins; default the seed's users. */
  users?: Array<{ username: string; password: string }>;
  /** Latency added to every request (ms). Can be changed later through `sim.latencyMs`. */
  latencyMs?: number;
  /** Page size when a list call sends no `page_size` (default 25, like a controller). */
  pageSize?: number;
  /** Largest `page_size` honoured (default 200). */
  maxPageSize?: number;
  /** Certificate to serve; default a process-wide generated one. */
  cert?: SimCert;
  /** Maximum request log entries kept (oldest dropped). Default 100000. */
  requestLogLimit?: number;
  /**
   * Account lockout, as a controller's user account profile does it: `maxLoginFailures` consecutive failed logins
   * lock the user until `lockMs` after the last failed attempt (a locked account refuses even the right password,
   * and each refused attempt extends the lock); a successful login resets the count. Default 3 failures and
   * 30 minutes (the controller's defaults); `false` turns it off.
   */
  lockout?: false | { maxLoginFailures?: number; lockMs?: number };
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  /** X-Avi-Tenant as sent ('' when absent). */
  tenant: string;
  /** Response status; 0 for a dropped connection (or while in flight). */
  status: number;
  /** X-Avi-Version as sent. */
  version?: string;
  /** Parsed JSON body of POST/PUT (never recorded for /login). */
  body?: unknown;
  /** User-Agent as sent ('' when absent): the worker names its replica in it. */
  userAgent: string;
  /** When the request arrived (Date.now()). */
  at: number;
  /** When the response was sent (Date.now()); undefined while in flight or for a dropped connection. */
  doneAt?: number;
}

export class RequestLog {
  entries: RequestLogEntry[] = [];
  constructor(private readonly limit: number) {}
  push(e: RequestLogEntry): void {
    this.entries.push(e);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - Math.floor(this.limit / 2));
  }
  clear(): void {
    this.entries = [];
  }
  /** Entries matching method and path (exact string, or RegExp on the path). */
  find(method?: string, path?: string | RegExp): RequestLogEntry[] {
    return this.entries.filter(
      (e) =>
        (!method || e.method === method.toUpperCase()) &&
        (path === undefined || (typeof path === 'string' ? e.path === path : path.test(e.path))),
    );
  }
  /** `METHOD /path` lines, handy for exact assertions on the call sequence. */
  lines(): string[] {
    return this.entries.map((e) => `${e.method} ${e.path}`);
  }
}

interface Session {
  id: string;
  csrf: string;
  username: string;
}

interface LoginState {
  /** Consecutive failed logins. */
  failures: number;
  /** Locked until this time (ms since epoch); 0 = not locked. */
  lockedUntil: number;
}

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class AviSimulator {
  url = '';
  host = '';
  port = 0;
  readonly caPem: string;
  readonly store: SimStore;
  readonly faults = new Faults();
  readonly requestLog: RequestLog;
  latencyMs: number;
  pageSize: number;
  maxPageSize: number;
  private readonly users: Map<string, string>;
  private readonly lockout?: { maxLoginFailures: number; lockMs: number };
  private readonly logins = new Map<string, LoginState>();
  private readonly sessions = new Map<string, Session>();
  /** Every session id and CSRF token handed out (tests assert none of them reaches a log). */
  readonly issuedSecrets: string[] = [];
  private readonly server: https.Server;
  private listCache?: { key: string; revision: number; items: ReturnType<SimStore['records']> };

  constructor(opts: AviSimulatorOptions, cert: SimCert) {
    const seed = opts.seed ?? defaultSeed();
    this.store = new SimStore(seed);
    this.users = new Map((opts.users ?? seed.users).map((u) => [u.username, u.password]));
    this.lockout = opts.lockout === false ? undefined : { maxLoginFailures: opts.lockout?.maxLoginFailures ?? 3, lockMs: opts.lockout?.lockMs ?? 30 * 60_000 };
    this.caPem = cert.cert;
    this.latencyMs = opts.latencyMs ?? 0;
    this.pageSize = opts.pageSize ?? 25;
    this.maxPageSize = opts.maxPageSize ?? 200;
    this.requestLog = new RequestLog(opts.requestLogLimit ?? 100_000);
    this.server = https.createServer({ cert: cert.cert, key: cert.key, keepAliveTimeout: 65_000 }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) send(res, 500, { error: `simulator error: ${String(err)}` });
      });
    });
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.host = `127.0.0.1:${this.port}`;
    this.url = `https://${this.host}`;
  }

  /** Like a controller restart: every session (and its CSRF token) becomes invalid. Data is kept. */
  restart(): void {
    this.sessions.clear();
  }

  /** Whether `username` is locked out now. */
  isLocked(username: string): boolean {
    return (this.logins.get(username)?.lockedUntil ?? 0) > Date.now();
  }

  /** What an administrator's unlock does: the lock and the failure count are cleared. */
  unlock(username: string): void {
    this.logins.delete(username);
  }

  /** Changes a user's password on the controller (existing sessions stay valid). */
  setPassword(username: string, password: string): void {
    this.users.set(username, password);
  }

  /** Number of live sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- request handling -----------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const u = new URL(req.url ?? '/', 'https://sim.invalid');
    const path = u.pathname;
    const tenantHeader = header(req, 'x-avi-tenant');
    const entry: RequestLogEntry = {
      method,
      path,
      query: Object.fromEntries(u.searchParams),
      tenant: tenantHeader ?? '',
      status: 0,
      version: header(req, 'x-avi-version'),
      userAgent: header(req, 'user-agent') ?? '',
      at: Date.now(),
    };
    this.requestLog.push(entry);
    const reply = (status: number, body?: unknown) => {
      entry.status = status;
      entry.doneAt = Date.now();
      send(res, status, body);
    };
    const raw = await readBody(req);

    const fault = this.faults.apply(method, path, u.search, entry.tenant);
    const delay = this.latencyMs + fault.latencyMs;
    if (delay > 0) await sleep(delay);
    if (fault.drop) {
      req.socket.destroy();
      return;
    }
    if (fault.status !== undefined) {
      reply(fault.status, fault.body);
      return;
    }

    try {
      let body: unknown;
      if ((method === 'POST' || method === 'PUT') && raw.length > 0) {
        const ct = header(req, 'content-type') ?? '';
        if (!/^application\/json\b/i.test(ct)) {
          throw new SimError(415, `Unsupported media type "${ct}" in request.`, { detail: `Unsupported media type "${ct}" in request.` });
        }
        try {
          body = JSON.parse(raw);
        } catch (e) {
          throw new SimError(400, `JSON parse error - ${(e as Error).message}`);
        }
        if (path !== '/login') entry.body = body;
      }
      const out = this.route(method, path, u.searchParams, req, res, body);
      if (out === undefined) return;
      reply(out.status, out.body);
    } catch (err) {
      if (err instanceof SimError) reply(err.status, err.body);
      else throw err;
    }
  }

  private route(
    method: string,
    path: string,
    q: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
  ): { status: number; body?: unknown } | undefined {
    if (path === '/login' || path === '/login/') {
      if (method !== 'POST') throw methodNotAllowed(method);
      return this.login(body, res);
    }
    if (path === '/logout' || path === '/logout/') {
      if (method !== 'POST') throw methodNotAllowed(method);
      const s = this.session(req);
      if (s) this.sessions.delete(s.id);
      return { status: 200, body: {} };
    }
    if (!path.startsWith('/api/')) throw new SimError(404, `Resource ${path} not found`);

    const parts = path.slice('/api/'.length).split('/').filter(Boolean);
    const resource = parts[0] ?? '';
    const id = parts[1] ? decodeURIComponent(parts[1]) : undefined;
    if (parts.length > 2) throw new SimError(404, `Resource ${path} not found`);

    const session = this.session(req);
    if (resource === 'initial-data') {
      if (method !== 'GET') throw methodNotAllowed(method);
      return { status: 200, body: this.initialData(session) };
    }
    if (!session) throw new SimError(401, SIM_MESSAGES.notAuthenticated, { detail: SIM_MESSAGES.notAuthenticated });
    if (WRITE.has(method)) this.checkCsrf(req, session);
    this.checkVersion(header(req, 'x-avi-version'));
    const tenant = header(req, 'x-avi-tenant') || 'admin';
    if (tenant !== '*' && !this.store.tenant(tenant)) {
      throw new SimError(400, `Tenant '${tenant}' not found`);
    }
    const includeName = q.has('include_name') && q.get('include_name') !== 'false';
    const host = header(req, 'host') ?? this.host;

    switch (resource) {
      case 'cluster':
        if (method !== 'GET') throw methodNotAllowed(method);
        return { status: 200, body: this.clusterObject(host) };
      case 'gslb': {
        if (method !== 'GET') throw methodNotAllowed(method);
        const g = this.gslbObject(host, includeName);
        if (id) {
          if (id !== this.store.gslb.uuid) throw new SimError(404, 'Gslb object not found!');
          return { status: 200, body: g };
        }
        return { status: 200, body: { count: 1, results: [g] } };
      }
      case 'cloud':
        if (method !== 'GET') throw methodNotAllowed(method);
        return {
          status: 200,
          body: { count: 1, results: [{ uuid: 'cloud-default', name: 'Default-Cloud', url: `https://${host}/api/cloud/cloud-default`, vtype: 'CLOUD_NONE' }] },
        };
      case 'tenant': {
        if (method !== 'GET') throw methodNotAllowed(method);
        const all = this.store.tenants().map((t) => ({ uuid: t.uuid, name: t.name, url: `https://${host}/api/tenant/${t.uuid}`, local: true }));
        if (id) {
          const t = all.find((x) => x.uuid === id);
          if (!t) throw new SimError(404, 'Tenant object not found!');
          return { status: 200, body: t };
        }
        const name = q.get('name');
        const results = name ? all.filter((t) => t.name === name) : all;
        return { status: 200, body: { count: results.length, results } };
      }
      default:
        break;
    }
    if (!(OBJ_TYPES as readonly string[]).includes(resource)) throw new SimError(404, `Resource ${resource} not found`);
    const type = resource as ObjType;
    const store = this.store;
    if (!id) {
      if (method === 'GET') return { status: 200, body: this.list(type, tenant, q, host, path) };
      if (method === 'POST') {
        const rec = store.create(type, body, tenant);
        return { status: 201, body: store.render(rec, host, includeName) };
      }
      throw methodNotAllowed(method);
    }
    switch (method) {
      case 'GET':
        return { status: 200, body: store.render(store.visible(type, id, tenant), host, includeName) };
      case 'PUT': {
        const rec = store.update(type, id, body, tenant);
        return { status: 200, body: store.render(rec, host, includeName) };
      }
      case 'DELETE':
        store.delete(type, id, tenant);
        return { status: 204 };
      default:
        throw methodNotAllowed(method);
    }
  }

  private login(body: unknown, res: ServerResponse): { status: number; body: unknown } {
    const b = (body ?? {}) as { username?: unknown; password?: unknown };
    const known = typeof b.username === 'string' && this.users.has(b.username);
    const state = known && this.lockout ? this.loginState(b.username as string) : undefined;
    const now = Date.now();
    if (state && state.lockedUntil > now) {
      state.lockedUntil = now + this.lockout!.lockMs;
      throw new SimError(401, SIM_MESSAGES.accountLocked);
    }
    const ok = known && typeof b.password === 'string' && this.users.get(b.username as string) === b.password;
    if (!ok) {
      if (state && ++state.failures >= this.lockout!.maxLoginFailures) state.lockedUntil = now + this.lockout!.lockMs;
      throw new SimError(401, SIM_MESSAGES.invalidCredentials);
    }
    if (state) state.failures = 0;
    const s: Session = { id: randomBytes(16).toString('hex'), csrf: randomBytes(24).toString('base64url'), username: b.username as string };
    this.sessions.set(s.id, s);
    this.issuedSecrets.push(s.id, s.csrf);
    const attrs = 'Path=/; Secure; SameSite=Lax';
    res.setHeader('Set-Cookie', [
      `csrftoken=${s.csrf}; Max-Age=31449600; ${attrs}`,
      `avi-sessionid=${s.id}; HttpOnly; Max-Age=86400; ${attrs}`,
      `sessionid=${s.id}; HttpOnly; Max-Age=86400; ${attrs}`,
    ]);
    return {
      status: 200,
      body: {
        user: { username: s.username, name: s.username, local: true, is_superuser: true },
        tenants: this.store.tenants().map((t) => ({ uuid: t.uuid, name: t.name })),
        version: this.versionBlock(),
        controller: { api_idle_timeout: 15 },
      },
    };
  }

  /** The login counters of a user; an expired lock starts over from no failure. */
  private loginState(username: string): LoginState {
    let st = this.logins.get(username);
    if (!st || (st.lockedUntil !== 0 && st.lockedUntil <= Date.now())) {
      st = { failures: 0, lockedUntil: 0 };
      this.logins.set(username, st);
    }
    return st;
  }

  private session(req: IncomingMessage): Session | undefined {
    const cookies = parseCookies(header(req, 'cookie'));
    const id = cookies.get('avi-sessionid') ?? cookies.get('sessionid');
    return id ? this.sessions.get(id) : undefined;
  }

  /** Django-style CSRF: a Referer matching the host, and X-CSRFToken equal to the session's csrftoken cookie. */
  private checkCsrf(req: IncomingMessage, s: Session): void {
    const referer = header(req, 'referer');
    if (!referer) throw new SimError(403, SIM_MESSAGES.csrfNoReferer, { detail: SIM_MESSAGES.csrfNoReferer });
    let refHost = '';
    try {
      refHost = new URL(referer).host;
    } catch {
      // malformed referer: host stays empty
    }
    if (refHost !== (header(req, 'host') ?? this.host)) {
      const msg = `CSRF Failed: Referer checking failed - ${referer} does not match any trusted origins.`;
      throw new SimError(403, msg, { detail: msg });
    }
    const token = header(req, 'x-csrftoken');
    const cookie = parseCookies(header(req, 'cookie')).get('csrftoken');
    if (!token || token !== cookie || token !== s.csrf) {
      throw new SimError(403, SIM_MESSAGES.csrfMissing, { detail: SIM_MESSAGES.csrfMissing });
    }
  }

  private checkVersion(v: string | undefined): void {
    if (!v) throw new SimError(400, 'API version not specified: the X-Avi-Version header is required');
    const want = parseVersion(v);
    if (!want) throw new SimError(400, `Invalid X-Avi-Version ${v}`);
    const have = parseVersion(this.store.controllerVersion) ?? [];
    for (let i = 0; i < Math.max(want.length, have.length); i++) {
      const a = want[i] ?? 0;
      const b = have[i] ?? 0;
      if (a < b) return;
      if (a > b) throw new SimError(400, `Version ${v} is not supported: the controller runs ${this.store.controllerVersion}`);
    }
  }

  private versionBlock(): Record<string, unknown> {
    return { Version: this.store.controllerVersion, ProductName: 'Avi Cloud Controller (simulator)', build: 9001 };
  }

  private initialData(session: Session | undefined): Record<string, unknown> {
    return { version: this.versionBlock(), user_initial_setup: false, ...(session ? { user: { username: session.username } } : {}) };
  }

  private clusterObject(host: string): Record<string, unknown> {
    const c = this.store.cluster;
    return {
      uuid: c.uuid,
      name: c.name,
      url: `https://${host}/api/cluster/${c.uuid}`,
      tenant_uuid: 'admin',
      nodes: [{ name: '127.0.0.1', ip: { addr: '127.0.0.1', type: 'V4' } }],
    };
  }

  private gslbObject(host: string, includeName: boolean): Record<string, unknown> {
    const g = this.store.gslb;
    return {
      url: `https://${host}/api/gslb/${g.uuid}${includeName ? `#${g.name}` : ''}`,
      ...structuredClone(g),
      tenant_ref: `https://${host}/api/tenant/admin${includeName ? '#admin' : ''}`,
    };
  }

  private list(type: ObjType, tenant: string, q: URLSearchParams, host: string, path: string): Record<string, unknown> {
    const filters: Array<[string, string]> = [];
    for (const f of ['name', 'uuid', 'created_by', 'is_federated', 'type']) {
      const v = q.get(f);
      if (v !== null) filters.push([f, v]);
    }
    const cacheKey = JSON.stringify([type, tenant, filters]);
    let items: ReturnType<SimStore['records']>;
    if (this.listCache && this.listCache.key === cacheKey && this.listCache.revision === this.store.revision) {
      items = this.listCache.items;
    } else {
      const nameFilter = q.get('name');
      if (nameFilter !== null && tenant !== '*') {
        const r = this.store.getRecordByName(type, nameFilter, tenant);
        items = r ? [r] : [];
      } else {
        items = this.store.records(type, tenant);
      }
      items = items.filter((r) =>
        filters.every(([f, v]) => {
          if (f === 'uuid') return r.uuid === v;
          const have = r.data[f];
          if (f === 'is_federated') return (have === true) === (v.toLowerCase() === 'true');
          return have !== undefined && String(have) === v;
        }),
      );
      this.listCache = { key: cacheKey, revision: this.store.revision, items };
    }
    const sizeParam = Number.parseInt(q.get('page_size') ?? '', 10);
    const pageSize = Math.max(1, Math.min(Number.isFinite(sizeParam) && sizeParam > 0 ? sizeParam : this.pageSize, this.maxPageSize));
    const pageParam = Number.parseInt(q.get('page') ?? '1', 10);
    const page = Number.isFinite(pageParam) ? pageParam : 1;
    if (page < 1 || (page > 1 && (page - 1) * pageSize >= items.length)) {
      throw new SimError(404, 'Invalid page.', { detail: 'Invalid page.' });
    }
    const includeName = q.has('include_name') && q.get('include_name') !== 'false';
    const slice = items.slice((page - 1) * pageSize, page * pageSize);
    const out: Record<string, unknown> = { count: items.length, results: slice.map((r) => this.store.render(r, host, includeName)) };
    if (page * pageSize < items.length) {
      const nq = new URLSearchParams(q);
      nq.set('page', String(page + 1));
      out.next = `https://${host}${path}?${nq.toString()}`;
    }
    return out;
  }
}

/** Start a simulator on 127.0.0.1. */
export async function startAviSimulator(opts: AviSimulatorOptions = {}): Promise<AviSimulator> {
  const cert = opts.cert ?? (await sharedSimCert());
  const sim = new AviSimulator(opts, cert);
  await sim.listen(opts.port ?? 0);
  return sim;
}

// ---- helpers ---------------------------------------------------------------

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseCookies(h: string | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of (h ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) m.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return m;
}

function parseVersion(v: string): number[] | undefined {
  if (!/^\d+(\.\d+){1,3}$/.test(v)) return undefined;
  return v.split('.').map(Number);
}

function methodNotAllowed(method: string): SimError {
  const msg = `Method "${method}" not allowed.`;
  return new SimError(405, msg, { detail: msg });
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (res.destroyed) return;
  if (status === 204 || body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 16 * 1024 * 1024) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

