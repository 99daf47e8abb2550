// What this instance owns on the controller, as last seen: GslbServices by
// key, health monitors by tenant/name (with an index of the owned ones by key),
// uuid -> name for refs. Replaced wholesale by a full resync (keeping entries
// written while the lists were in flight) and kept current by every write.
import type { GslbService, HealthMonitor } from '../avi/types.js';
import { gsNameFromHmDescription, isOwnedHm } from './desired/healthmonitors.js';
import type { ActualKeyState } from './diff.js';
import { gsKey } from './members/types.js';
import { tenantOf } from './util.js';

export class AviStateCache {
  gs = new Map<string, GslbService>();
  hms = new Map<string, Map<string, HealthMonitor>>();
  /** Owned monitors by GslbService key (gsKey), so a key's diff need not scan every monitor of its tenant. */
  private ownedHms = new Map<string, Map<string, HealthMonitor>>();
  /** `<tenant>/<monitor name>` -> the key it is indexed under in ownedHms. */
  private ownedHmKey = new Map<string, string>();
  readonly refNames = new Map<string, string>();
  private writeSeq = 0;
  private gsWrittenAt = new Map<string, number>();
  private hmWrittenAt = new Map<string, number>();

  /** @param createdBy the owner marker in force (undefined: no config). */
  constructor(private readonly createdBy: () => string | undefined) {}

  clear(): void {
    this.gs.clear();
    this.hms.clear();
    this.ownedHms.clear();
    this.ownedHmKey.clear();
    this.refNames.clear();
  }

  /** The write sequence number; pass it to replace() after listing. */
  mark(): number {
    return this.writeSeq;
  }

  /** Replaces the cache with fresh lists; entries written after `startSeq` are newer than the lists and kept. */
  replace(gss: GslbService[], hms: HealthMonitor[], createdBy: string, defaultTenant: string, startSeq: number): void {
    const nextGs = new Map<string, GslbService>();
    for (const gs of gss) {
      if (gs.created_by !== createdBy) continue;
      nextGs.set(gsKey(tenantOf(gs.tenant_ref, defaultTenant), gs.name), gs);
    }
    const nextHms = new Map<string, Map<string, HealthMonitor>>();
    for (const hm of hms) {
      const t = tenantOf(hm.tenant_ref, defaultTenant);
      let m = nextHms.get(t);
      if (!m) nextHms.set(t, (m = new Map()));
      m.set(hm.name, hm);
      if (hm.uuid) this.refNames.set(hm.uuid, hm.name);
    }
    for (const [k, seq] of this.gsWrittenAt) {
      if (seq <= startSeq) continue;
      const cur = this.gs.get(k);
      if (cur) nextGs.set(k, cur);
      else nextGs.delete(k);
    }
    for (const [k, seq] of this.hmWrittenAt) {
      if (seq <= startSeq) continue;
      const [t, n] = [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)];
      const cur = this.hms.get(t)?.get(n);
      let m = nextHms.get(t);
      if (!m) nextHms.set(t, (m = new Map()));
      if (cur) m.set(n, cur);
      else m.delete(n);
    }
    this.gsWrittenAt.clear();
    this.hmWrittenAt.clear();
    this.gs = nextGs;
    this.hms = nextHms;
    this.ownedHms.clear();
    this.ownedHmKey.clear();
    for (const [t, m] of nextHms) for (const [n, hm] of m) this.indexHm(t, n, hm);
  }

  /** The controller side of one key, for diffKey. */
  actual(key: string, tenant: string): ActualKeyState & { owned: HealthMonitor[] } {
    return { gs: this.gs.get(key), hms: this.hms.get(tenant) ?? new Map(), owned: [...(this.ownedHms.get(key)?.values() ?? [])] };
  }

  /** Keys that exist on the controller: owned GslbServices and the GslbServices named by owned monitors. */
  keys(createdBy: string | undefined): Set<string> {
    const keys = new Set<string>(this.gs.keys());
    if (createdBy) {
      for (const [tenant, hms] of this.hms) {
        for (const hm of hms.values()) {
          const gs = isOwnedHm(hm, createdBy) ? gsNameFromHmDescription(hm.description) : undefined;
          if (gs) keys.add(gsKey(tenant, gs));
        }
      }
    }
    return keys;
  }

  /** Keeps ownedHms in step with hms for one monitor (undefined = gone). */
  private indexHm(tenant: string, name: string, hm: HealthMonitor | undefined): void {
    const id = `${tenant}/${name}`;
    const prev = this.ownedHmKey.get(id);
    if (prev !== undefined) {
      const m = this.ownedHms.get(prev);
      m?.delete(name);
      if (m && m.size === 0) this.ownedHms.delete(prev);
      this.ownedHmKey.delete(id);
    }
    const createdBy = this.createdBy();
    const gs = hm && createdBy && isOwnedHm(hm, createdBy) ? gsNameFromHmDescription(hm.description) : undefined;
    if (!hm || gs === undefined) return;
    const key = gsKey(tenant, gs);
    let m = this.ownedHms.get(key);
    if (!m) this.ownedHms.set(key, (m = new Map()));
    m.set(name, hm);
    this.ownedHmKey.set(id, key);
  }

  setHm(tenant: string, hm: HealthMonitor | undefined, name: string): void {
    this.indexHm(tenant, name, hm);
    let m = this.hms.get(tenant);
    if (!m) this.hms.set(tenant, (m = new Map()));
    if (hm) {
      m.set(name, hm);
      if (hm.uuid) this.refNames.set(hm.uuid, hm.name);
    } else m.delete(name);
    this.hmWrittenAt.set(`${tenant}/${name}`, ++this.writeSeq);
  }

  setGs(key: string, gs: GslbService | undefined): void {
    if (gs) this.gs.set(key, gs);
    else this.gs.delete(key);
    this.gsWrittenAt.set(key, ++this.writeSeq);
  }
}
