// The simulator's object store: tenant-scoped collections indexed by uuid and
// by tenant+name, reference resolution/integrity, GSLB domain uniqueness, and
// the validation rules a controller applies to the objects AMKO writes.
import { randomUUID } from 'node:crypto';

export const SIM_MESSAGES = {
  notLeader: 'Config Operations can be done ONLY on leader',
  maintenance: 'GSLB system is in maintenance mode.',
  invalidCredentials: 'Invalid credentials',
  /** The simulator's wording for a locked account (a real controller's text may differ; the status, 401, is what matters). */
  accountLocked: 'User account is locked due to too many failed login attempts',
  notAuthenticated: 'Authentication credentials were not provided.',
  csrfMissing: 'CSRF Failed: CSRF token missing or incorrect.',
  csrfNoReferer: 'CSRF Failed: Referer checking failed - no Referer.',
} as const;

export type ObjType = 'gslbservice' | 'healthmonitor' | 'applicationpersistenceprofile' | 'pkiprofile';
export const OBJ_TYPES: readonly ObjType[] = ['gslbservice', 'healthmonitor', 'applicationpersistenceprofile', 'pkiprofile'];

const VERBOSE: Record<ObjType, string> = {
  gslbservice: 'Gslb service',
  healthmonitor: 'Health monitor',
  applicationpersistenceprofile: 'Application persistence profile',
  pkiprofile: 'Pki profile',
};
const KIND: Record<ObjType, string> = {
  gslbservice: 'GslbService',
  healthmonitor: 'HealthMonitor',
  applicationpersistenceprofile: 'ApplicationPersistenceProfile',
  pkiprofile: 'PKIProfile',
};

/** Fields holding references, per type: field → referenced type, and whether it is a list. */
const REF_FIELDS: Partial<Record<ObjType, Array<{ field: string; target: ObjType; list: boolean }>>> = {
  gslbservice: [
    { field: 'health_monitor_refs', target: 'healthmonitor', list: true },
    { field: 'application_persistence_profile_ref', target: 'applicationpersistenceprofile', list: false },
    { field: 'pki_profile_ref', target: 'pkiprofile', list: false },
  ],
};

const HM_TYPES = new Set([
  'HEALTH_MONITOR_PING',
  'HEALTH_MONITOR_TCP',
  'HEALTH_MONITOR_HTTP',
  'HEALTH_MONITOR_HTTPS',
  'HEALTH_MONITOR_EXTERNAL',
  'HEALTH_MONITOR_UDP',
  'HEALTH_MONITOR_DNS',
  'HEALTH_MONITOR_GSLB',
  'HEALTH_MONITOR_SIP',
  'HEALTH_MONITOR_RADIUS',
  'HEALTH_MONITOR_SMTP',
  'HEALTH_MONITOR_SMTPS',
  'HEALTH_MONITOR_POP3',
  'HEALTH_MONITOR_POP3S',
  'HEALTH_MONITOR_IMAP',
  'HEALTH_MONITOR_IMAPS',
  'HEALTH_MONITOR_FTP',
  'HEALTH_MONITOR_FTPS',
  'HEALTH_MONITOR_LDAP',
  'HEALTH_MONITOR_LDAPS',
]);

/** An HTTP error the simulator answers with: `{"error": message}` (or a custom body). */
export class SimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown> = { error: message },
  ) {
    super(message);
  }
}

export interface SimTenant {
  uuid: string;
  name: string;
}

export interface SimSeed {
  version: string;
  cluster: { uuid: string; name: string };
  tenants: SimTenant[];
  users: Array<{ username: string; password: string }>;
  gslb: Record<string, unknown> & { uuid: string; name: string; leader_cluster_uuid: string };
  /** Objects per type; each may carry `tenant` (a tenant name, default `admin`). */
  objects: Partial<Record<ObjType, Array<Record<string, unknown>>>>;
}

export interface StoredObject {
  type: ObjType;
  uuid: string;
  tenant: SimTenant;
  /** Body as accepted, with refs stored as target uuids; uuid/url/tenant_ref are rendered on output. */
  data: Record<string, unknown>;
  lastModified: string;
}

class Collection {
  readonly byUuid = new Map<string, StoredObject>();
  readonly byName = new Map<string, string>();
}

const key = (tenantUuid: string, name: string) => `${tenantUuid}\u0000${name}`;

export class SimStore {
  /** The controller version (`/api/initial-data`), the highest X-Avi-Version accepted. */
  controllerVersion: string;
  readonly cluster: { uuid: string; name: string };
  /** The `gslb` object; mutate freely (setLeader/setMaintenance are shortcuts). */
  gslb: SimSeed['gslb'];
  private readonly tenantsByName = new Map<string, SimTenant>();
  private readonly tenantsByUuid = new Map<string, SimTenant>();
  private readonly cols = new Map<ObjType, Collection>(OBJ_TYPES.map((t) => [t, new Collection()]));
  /** target uuid → uuids of objects referring to it. */
  private readonly referrers = new Map<string, Set<string>>();
  /** GSLB domain name (lower case) → gslbservice uuid. */
  private readonly domains = new Map<string, string>();
  /** Bumped on every change; list results are cached per revision. */
  revision = 0;
  private clock = 0;

  constructor(seed: SimSeed) {
    this.controllerVersion = seed.version;
    this.cluster = { ...seed.cluster };
    this.gslb = structuredClone(seed.gslb);
    for (const t of seed.tenants) this.addTenant(t.name, t.uuid);
    if (!this.tenantsByName.has('admin')) this.addTenant('admin', 'admin');
    for (const type of OBJ_TYPES) {
      for (const raw of seed.objects[type] ?? []) {
        const { tenant, ...body } = raw as { tenant?: string } & Record<string, unknown>;
        this.create(type, body, tenant ?? 'admin', { skipGslbChecks: true });
      }
    }
  }

  // ---- tenants, leadership ------------------------------------------------

  addTenant(name: string, uuid = `tenant-${randomUUID()}`): SimTenant {
    const existing = this.tenantsByName.get(name);
    if (existing) return existing;
    const t = { uuid, name };
    this.tenantsByName.set(name, t);
    this.tenantsByUuid.set(uuid, t);
    this.revision++;
    return t;
  }
  tenant(name: string): SimTenant | undefined {
    return this.tenantsByName.get(name);
  }
  tenantByUuid(uuid: string): SimTenant | undefined {
    return this.tenantsByUuid.get(uuid);
  }
  tenants(): SimTenant[] {
    return [...this.tenantsByName.values()];
  }
  /** Make this controller the GSLB leader (true) or a follower (false). */
  setLeader(leader: boolean): void {
    this.gslb.leader_cluster_uuid = leader ? this.cluster.uuid : 'cluster-00000000-0000-4000-8000-00000000ffff';
  }
  get isLeader(): boolean {
    return this.gslb.leader_cluster_uuid === this.cluster.uuid;
  }
  setMaintenance(on: boolean): void {
    this.gslb.maintenance_mode = on;
  }

  // ---- reads --------------------------------------------------------------

  getRecord(type: ObjType, uuid: string): StoredObject | undefined {
    return this.col(type).byUuid.get(uuid);
  }
  getRecordByName(type: ObjType, name: string, tenant = 'admin'): StoredObject | undefined {
    const t = this.tenantsByName.get(tenant);
    const uuid = t && this.col(type).byName.get(key(t.uuid, name));
    return uuid ? this.col(type).byUuid.get(uuid) : undefined;
  }
  /** Number of stored objects of a type (all tenants). */
  count(type: ObjType): number {
    return this.col(type).byUuid.size;
  }
  /** Stored records of a type, in creation order; `tenant` undefined or `*` = all tenants. */
  records(type: ObjType, tenant?: string): StoredObject[] {
    const all = [...this.col(type).byUuid.values()];
    if (tenant === undefined || tenant === '*') return all;
    const t = this.tenantsByName.get(tenant);
    return t ? all.filter((r) => r.tenant.uuid === t.uuid) : [];
  }
  /** Test helper: an object as the API would return it. */
  get(type: ObjType, uuid: string, host = '127.0.0.1'): Record<string, unknown> | undefined {
    const r = this.getRecord(type, uuid);
    return r && structuredClone(this.render(r, host, true));
  }
  /** Test helper: an object by name and tenant (default admin) as the API would return it. */
  getByName(type: ObjType, name: string, tenant = 'admin', host = '127.0.0.1'): Record<string, unknown> | undefined {
    const r = this.getRecordByName(type, name, tenant);
    return r && structuredClone(this.render(r, host, true));
  }
  /** Test helper: all objects of a type (optionally of one tenant) as the API would return them. */
  list(type: ObjType, tenant?: string, host = '127.0.0.1'): Array<Record<string, unknown>> {
    return this.records(type, tenant).map((r) => structuredClone(this.render(r, host, true)));
  }

  /** The API representation: uuid, url, tenant_ref and refs as `https://<host>/api/<type>/<uuid>[#name]`. */
  render(r: StoredObject, host: string, includeName: boolean): Record<string, unknown> {
    const link = (type: string, uuid: string, name?: string) =>
      `https://${host}/api/${type}/${uuid}${includeName && name !== undefined ? `#${name}` : ''}`;
    const out: Record<string, unknown> = {
      url: link(r.type, r.uuid, String(r.data.name)),
      uuid: r.uuid,
      ...r.data,
      tenant_ref: link('tenant', r.tenant.uuid, r.tenant.name),
      _last_modified: r.lastModified,
    };
    for (const rf of REF_FIELDS[r.type] ?? []) {
      const v = r.data[rf.field];
      if (v === undefined) continue;
      const toLink = (uuid: unknown) => {
        const target = this.col(rf.target).byUuid.get(String(uuid));
        return link(rf.target, String(uuid), target ? String(target.data.name) : undefined);
      };
      out[rf.field] = rf.list ? (v as unknown[]).map(toLink) : toLink(v);
    }
    return out;
  }

  // ---- writes -------------------------------------------------------------

  create(type: ObjType, body: unknown, tenantName: string, opts: { skipGslbChecks?: boolean } = {}): StoredObject {
    const tenant = this.writeTenant(body, tenantName);
    const data = this.validate(type, body, tenant, undefined, opts);
    const col = this.col(type);
    const name = String(data.name);
    if (col.byName.has(key(tenant.uuid, name))) {
      throw new SimError(409, `${VERBOSE[type]} with this Name and Tenant ref already exists.`);
    }
    const rec: StoredObject = { type, uuid: `${type}-${randomUUID()}`, tenant, data, lastModified: this.tick() };
    col.byUuid.set(rec.uuid, rec);
    col.byName.set(key(tenant.uuid, name), rec.uuid);
    this.index(rec);
    this.revision++;
    return rec;
  }

  update(type: ObjType, uuid: string, body: unknown, tenantName: string): StoredObject {
    const col = this.col(type);
    const rec = this.visible(type, uuid, tenantName);
    const tenant = this.writeTenant(body, tenantName === '*' ? rec.tenant.name : tenantName);
    if (tenant.uuid !== rec.tenant.uuid) throw new SimError(400, `Cannot move ${KIND[type]} ${rec.uuid} to another tenant`);
    const data = this.validate(type, body, tenant, rec, {});
    const oldName = String(rec.data.name);
    const name = String(data.name);
    if (name !== oldName) {
      if (col.byName.has(key(tenant.uuid, name))) {
        throw new SimError(409, `${VERBOSE[type]} with this Name and Tenant ref already exists.`);
      }
      col.byName.delete(key(tenant.uuid, oldName));
      col.byName.set(key(tenant.uuid, name), rec.uuid);
    }
    this.unindex(rec);
    rec.data = data;
    rec.lastModified = this.tick();
    this.index(rec);
    this.revision++;
    return rec;
  }

  delete(type: ObjType, uuid: string, tenantName: string): void {
    const rec = this.visible(type, uuid, tenantName);
    this.gslbWriteChecks(type, rec.data);
    const refs = this.referrers.get(rec.uuid);
    if (refs && refs.size > 0) {
      const names = [...refs].map((u) => {
        const r = this.findAny(u);
        return r ? `${KIND[r.type]} ${String(r.data.name)}` : u;
      });
      throw new SimError(400, `Cannot delete, object is referred by: [${names.map((n) => `'${n}'`).join(', ')}]`);
    }
    this.unindex(rec);
    this.col(type).byUuid.delete(rec.uuid);
    this.col(type).byName.delete(key(rec.tenant.uuid, String(rec.data.name)));
    this.revision++;
  }

  /** The record if it exists and the tenant may see it, else 404. */
  visible(type: ObjType, uuid: string, tenantName: string): StoredObject {
    const rec = this.col(type).byUuid.get(uuid);
    if (!rec || (tenantName !== '*' && rec.tenant.name !== tenantName)) {
      throw new SimError(404, `${KIND[type]} object not found!`);
    }
    return rec;
  }

  // ---- internals ----------------------------------------------------------

  private col(type: ObjType): Collection {
    const c = this.cols.get(type);
    if (!c) throw new SimError(404, `Unknown object type ${type}`);
    return c;
  }

  private findAny(uuid: string): StoredObject | undefined {
    for (const c of this.cols.values()) {
      const r = c.byUuid.get(uuid);
      if (r) return r;
    }
    return undefined;
  }

  private tick(): string {
    // Microseconds since the epoch, strictly increasing, as a string (like _last_modified).
    const now = Date.now() * 1000;
    this.clock = Math.max(this.clock + 1, now);
    return String(this.clock);
  }

  /** The tenant a write lands in: X-Avi-Tenant, cross-checked with the body's tenant_ref when present. */
  private writeTenant(body: unknown, tenantName: string): SimTenant {
    if (tenantName === '*') throw new SimError(400, 'Tenant * is not valid for write operations; set X-Avi-Tenant');
    const tenant = this.tenantsByName.get(tenantName);
    if (!tenant) throw new SimError(400, `Tenant '${tenantName}' not found`);
    const ref = body && typeof body === 'object' ? (body as Record<string, unknown>).tenant_ref : undefined;
    if (ref === undefined || ref === null || ref === '') return tenant;
    if (typeof ref !== 'string') throw new SimError(400, 'tenant_ref: must be a string');
    const parsed = parseRef(ref, 'tenant');
    if (!parsed) throw new SimError(400, `tenant_ref: Invalid reference ${ref}`);
    const target = parsed.uuid ? this.tenantsByUuid.get(parsed.uuid) : this.tenantsByName.get(parsed.name ?? '');
    if (!target) throw new SimError(400, `Cannot find object tenant with ${parsed.uuid ? `uuid ${parsed.uuid}` : `name ${parsed.name}`}`);
    if (target.uuid !== tenant.uuid) {
      throw new SimError(400, `tenant_ref ${target.name} does not match the tenant of the request (${tenant.name})`);
    }
    return tenant;
  }

  private gslbWriteChecks(type: ObjType, data: Record<string, unknown>): void {
    const federated = type === 'gslbservice' || data.is_federated === true;
    if (!federated) return;
    if (!this.isLeader) throw new SimError(400, SIM_MESSAGES.notLeader);
    if (this.gslb.maintenance_mode === true) throw new SimError(400, SIM_MESSAGES.maintenance);
  }

  private validate(
    type: ObjType,
    body: unknown,
    tenant: SimTenant,
    existing: StoredObject | undefined,
    opts: { skipGslbChecks?: boolean },
  ): Record<string, unknown> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new SimError(400, 'Invalid data: expected a JSON object');
    const { uuid: _u, url: _url, tenant_ref: _t, _last_modified: _lm, ...data } = body as Record<string, unknown>;
    if (typeof data.name !== 'string' || data.name.trim() === '') throw new SimError(400, "Field 'name': This field is required.");
    if (data.name.length > 255) throw new SimError(400, "Field 'name': Ensure this field has no more than 255 characters.");
    if (!opts.skipGslbChecks) {
      this.gslbWriteChecks(type, data);
      if (existing) this.gslbWriteChecks(type, existing.data);
    }
    if (type === 'healthmonitor') validateHm(data);
    if (type === 'gslbservice') this.validateGs(data, existing);
    for (const rf of REF_FIELDS[type] ?? []) {
      const v = data[rf.field];
      if (v === undefined || v === null) {
        delete data[rf.field];
        continue;
      }
      if (rf.list) {
        if (!Array.isArray(v)) throw new SimError(400, `Field '${rf.field}': Expected a list of items.`);
        data[rf.field] = v.map((ref) => this.resolve(rf.target, ref, tenant, type === 'gslbservice'));
      } else {
        data[rf.field] = this.resolve(rf.target, v, tenant, type === 'gslbservice');
      }
    }
    return data;
  }

  private validateGs(data: Record<string, unknown>, existing: StoredObject | undefined): void {
    const domains = data.domain_names;
    if (!Array.isArray(domains) || domains.length === 0) {
      throw new SimError(400, "Field 'domain_names': At least one domain name is required for a GslbService.");
    }
    const seen = new Set<string>();
    for (const d of domains) {
      if (typeof d !== 'string' || !/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(d)) {
        throw new SimError(400, `Invalid domain name ${JSON.stringify(d)}`);
      }
      const lower = d.toLowerCase();
      if (seen.has(lower)) throw new SimError(400, `Duplicate domain name ${d} in GslbService ${String(data.name)}`);
      seen.add(lower);
      const owner = this.domains.get(lower);
      if (owner && owner !== existing?.uuid) {
        const other = this.col('gslbservice').byUuid.get(owner);
        throw new SimError(
          400,
          `GslbService ${String(data.name)}: domain name conflicting with existing domain name ${d} of GslbService ${String(other?.data.name ?? owner)}`,
        );
      }
    }
    const groups = data.groups ?? [];
    if (!Array.isArray(groups)) throw new SimError(400, "Field 'groups': Expected a list of items.");
    const groupNames = new Set<string>();
    for (const g of groups as Array<Record<string, unknown>>) {
      if (!g || typeof g.name !== 'string' || !g.name) throw new SimError(400, "Field 'groups.name': This field is required.");
      if (groupNames.has(g.name)) throw new SimError(400, `Duplicate pool name ${g.name} in GslbService ${String(data.name)}`);
      groupNames.add(g.name);
      if (g.priority !== undefined && (typeof g.priority !== 'number' || g.priority < 0 || g.priority > 100)) {
        throw new SimError(400, `Field 'groups.priority': Value ${String(g.priority)} is out of range (0-100)`);
      }
      for (const m of (g.members ?? []) as Array<Record<string, unknown>>) {
        const ip = m?.ip as { addr?: unknown } | undefined;
        if (!ip || typeof ip.addr !== 'string' || !ip.addr) {
          if (!m?.fqdn) throw new SimError(400, `GslbService ${String(data.name)} pool ${g.name}: member requires ip or fqdn`);
        }
        if (m?.ratio !== undefined && (typeof m.ratio !== 'number' || m.ratio < 1 || m.ratio > 20)) {
          throw new SimError(400, `Field 'groups.members.ratio': Value ${String(m.ratio)} is out of range (1-20)`);
        }
      }
    }
    if (data.ttl !== undefined && (typeof data.ttl !== 'number' || data.ttl < 0 || data.ttl > 86400)) {
      throw new SimError(400, `Field 'ttl': Value ${String(data.ttl)} is out of range (0-86400)`);
    }
  }

  /** A ref (`/api/<type>?name=X`, `/api/<type>/<uuid>`, absolute, optional `#name`) → target uuid, or 400. */
  private resolve(target: ObjType, ref: unknown, tenant: SimTenant, requireFederated: boolean): string {
    if (typeof ref !== 'string') throw new SimError(400, `Invalid ${target} reference ${JSON.stringify(ref)}`);
    const parsed = parseRef(ref, target);
    if (!parsed) throw new SimError(400, `Invalid ${target} reference ${ref}`);
    const col = this.col(target);
    let rec: StoredObject | undefined;
    if (parsed.uuid) {
      rec = col.byUuid.get(parsed.uuid);
      if (rec && rec.tenant.uuid !== tenant.uuid && rec.tenant.name !== 'admin') rec = undefined;
    } else {
      const name = parsed.name ?? '';
      const u = col.byName.get(key(tenant.uuid, name));
      rec = u ? col.byUuid.get(u) : undefined;
      if (!rec) {
        const admin = this.tenantsByName.get('admin');
        const u2 = admin && col.byName.get(key(admin.uuid, name));
        rec = u2 ? col.byUuid.get(u2) : undefined;
      }
    }
    if (!rec) {
      throw new SimError(400, `Cannot find object ${target} with ${parsed.uuid ? `uuid ${parsed.uuid}` : `name ${parsed.name}`}`);
    }
    if (requireFederated && rec.data.is_federated !== true) {
      throw new SimError(400, `${KIND[target]} ${String(rec.data.name)} is not federated; a GslbService can only refer to federated objects`);
    }
    return rec.uuid;
  }

  private index(rec: StoredObject): void {
    for (const rf of REF_FIELDS[rec.type] ?? []) {
      const v = rec.data[rf.field];
      const targets = v === undefined ? [] : rf.list ? (v as string[]) : [v as string];
      for (const t of targets) {
        let s = this.referrers.get(t);
        if (!s) this.referrers.set(t, (s = new Set()));
        s.add(rec.uuid);
      }
    }
    if (rec.type === 'gslbservice') {
      for (const d of rec.data.domain_names as string[]) this.domains.set(d.toLowerCase(), rec.uuid);
    }
  }

  private unindex(rec: StoredObject): void {
    for (const rf of REF_FIELDS[rec.type] ?? []) {
      const v = rec.data[rf.field];
      const targets = v === undefined ? [] : rf.list ? (v as string[]) : [v as string];
      for (const t of targets) {
        const s = this.referrers.get(t);
        s?.delete(rec.uuid);
        if (s && s.size === 0) this.referrers.delete(t);
      }
    }
    if (rec.type === 'gslbservice') {
      for (const d of rec.data.domain_names as string[]) {
        if (this.domains.get(d.toLowerCase()) === rec.uuid) this.domains.delete(d.toLowerCase());
      }
    }
  }
}

function validateHm(data: Record<string, unknown>): void {
  if (typeof data.type !== 'string' || !data.type) throw new SimError(400, "Field 'type': This field is required.");
  if (!HM_TYPES.has(data.type)) throw new SimError(400, `Field 'type': "${data.type}" is not a valid choice.`);
  const port = data.monitor_port;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new SimError(400, `Field 'monitor_port': Value ${String(port)} is out of range (1-65535)`);
  }
  const send = (data.send_interval as number | undefined) ?? 10;
  const recv = (data.receive_timeout as number | undefined) ?? 4;
  if (typeof send !== 'number' || send < 1 || send > 3600) throw new SimError(400, `Field 'send_interval': Value ${String(send)} is out of range (1-3600)`);
  if (typeof recv !== 'number' || recv < 1 || recv > 2400) throw new SimError(400, `Field 'receive_timeout': Value ${String(recv)} is out of range (1-2400)`);
  if (recv >= send) throw new SimError(400, `Receive timeout (${recv}) must be less than the send interval (${send})`);
}

/**
 * Parse an object reference of `type`: `/api/<type>?name=X`, `/api/<type>/?name=X`,
 * `/api/<type>/<uuid>`, with or without `https://<host>` (also the empty host
 * `https:///`), and an optional `#<name>` suffix. Undefined when malformed or of another type.
 */
export function parseRef(ref: string, type: string): { uuid?: string; name?: string } | undefined {
  const hash = ref.indexOf('#');
  const noFrag = hash >= 0 ? ref.slice(0, hash) : ref;
  const m = /^(?:https?:\/\/[^/]*)?\/?api\/([a-z]+)\/?([^/?]*)\/?(?:\?(.*))?$/.exec(noFrag);
  if (!m || m[1] !== type) return undefined;
  if (m[2]) return { uuid: decodeURIComponent(m[2]) };
  const name = new URLSearchParams(m[3] ?? '').get('name');
  return name ? { name } : undefined;
}
