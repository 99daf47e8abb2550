// What this instance owns on the controller, as last seen: GslbServices by
// key, health monitors by tenant/name (with an index of the owned ones by key),
// uuid -> name for refs. Only what the diff compares is kept of each object:
// the cache's own storage form (StoredGs/StoredHm, stored.ts: identity plus the
// canonical form of canon.ts, its common parts shared between objects). Replaced wholesale by a full resync (keeping
// entries written while the lists were in flight) and kept current by every write.
import type { GslbService, HealthMonitor } from '../avi/types.js';
import { StoredGs, StoredHm } from './stored.js';
import { HM_PREFIX, gsNameFromHmDescription, isOwnedHm } from './desired/healthmonitors.js';
import { gsKey } from './members/types.js';
import { tenantOf } from './util.js';

export { StoredGs, StoredHm };

/** A listed object converted to the cache's form, with the tenant its tenant_ref names. */
export interface Listed<T extends StoredGs | StoredHm> {
  readonly tenant: string;
  readonly stored: T;
}

const isListed = <T extends StoredGs | StoredHm>(o: object): o is Listed<T> => {
  const stored = (o as { stored?: unknown }).stored;
  return stored instanceof StoredGs || stored instanceof StoredHm;
};

export type ActualGs = GslbService | StoredGs;
export type ActualHm = HealthMonitor | StoredHm;

export const isStored = (o: ActualGs | ActualHm): o is StoredGs | StoredHm => o instanceof StoredGs || o instanceof StoredHm;

/** @param known uuid → name of the monitors the cache knows (their names are shared, not copied per GslbService) */
export function storeGs(gs: GslbService, known?: ReadonlyMap<string, string>): StoredGs {
  return new StoredGs(gs, known);
}

export function storeHm(hm: HealthMonitor): StoredHm {
  return new StoredHm(hm);
}

/** The name of a full or stored monitor. */
export const hmName = (hm: ActualHm): string => hm.name;

/** isOwnedHm for a full or stored monitor. */
export function ownsHm(hm: ActualHm, createdBy: string): boolean {
  return isStored(hm) ? hm.name.startsWith(HM_PREFIX) && hm.createdBy === createdBy : isOwnedHm(hm, createdBy);
}

/** gsNameFromHmDescription for a full or stored monitor. */
export function hmGsName(hm: ActualHm): string | undefined {
  return gsNameFromHmDescription(hm.description);
}

export interface ActualKeyState {
  /** The GslbService this instance owns for the key, if any. */
  gs?: ActualGs;
  /** Every federated health monitor of the key's tenant, by name. */
  hms: ReadonlyMap<string, ActualHm>;
  /**
   * This instance's monitors of the key (ownedHmsOf), when the caller keeps
   * them indexed; otherwise `hms` is scanned, which is O(monitors of the
   * tenant) per key.
   */
  owned?: ReadonlyArray<ActualHm>;
}

export class AviStateCache {
  gs = new Map<string, StoredGs>();
  hms = new Map<string, Map<string, StoredHm>>();
  /** Owned monitors by GslbService key (gsKey), so a key's diff need not scan every monitor of its tenant. */
  private ownedHms = new Map<string, StoredHm[]>();
  readonly refNames = new Map<string, string>();
  private writeSeq = 0;
  /** A full resync is listing (between mark() and replace()): writes are recorded so replace() keeps them. */
  private listing = false;
  private gsWrittenAt = new Map<string, number>();
  private hmWrittenAt = new Map<string, number>();

  /** @param createdBy the owner marker in force (undefined: no config). */
  constructor(private readonly createdBy: () => string | undefined) {}

  clear(): void {
    this.gs.clear();
    this.hms.clear();
    this.ownedHms.clear();
    this.refNames.clear();
  }

  /** Starts recording writes; pass the returned sequence number to replace() after listing. */
  mark(): number {
    this.gsWrittenAt.clear();
    this.hmWrittenAt.clear();
    this.listing = true;
    return this.writeSeq;
  }

  /**
   * The conversion a full resync hands to listGslbServices: each listed GslbService becomes what replace() keeps as
   * its page arrives, so the resync never holds every listed object whole next to the cache; and one the cache
   * holds the same already is that cached object, so an unchanged controller's resync builds no second cache.
   */
  listedGs(defaultTenant: string): (gs: GslbService) => Listed<StoredGs> {
    return (gs) => {
      const tenant = tenantOf(gs.tenant_ref, defaultTenant);
      const fresh = storeGs(gs, this.refNames);
      const cur = this.gs.get(gsKey(tenant, fresh.name));
      return { tenant, stored: cur?.sameAs(fresh) ? cur : fresh };
    };
  }

  /** As listedGs, for listHealthMonitors. */
  listedHm(defaultTenant: string): (hm: HealthMonitor) => Listed<StoredHm> {
    return (hm) => {
      const tenant = tenantOf(hm.tenant_ref, defaultTenant);
      const fresh = storeHm(hm);
      const cur = this.hms.get(tenant)?.get(fresh.name);
      return { tenant, stored: cur?.sameAs(fresh) ? cur : fresh };
    };
  }

  /**
   * Replaces the cache with fresh lists (as listed, or converted by listedGs/listedHm); entries written after
   * `startSeq` are newer than the lists and kept.
   */
  replace(
    gss: ReadonlyArray<GslbService | Listed<StoredGs>>,
    hms: ReadonlyArray<HealthMonitor | Listed<StoredHm>>,
    createdBy: string,
    defaultTenant: string,
    startSeq: number,
  ): void {
    const asGs = this.listedGs(defaultTenant);
    const asHm = this.listedHm(defaultTenant);
    // Monitors first: the GslbServices' monitor refs then share the names refNames holds.
    const nextHms = new Map<string, Map<string, StoredHm>>();
    const names = new Map<string, string>();
    for (const item of hms) {
      const { tenant: t, stored: hm } = isListed(item) ? item : asHm(item);
      let m = nextHms.get(t);
      if (!m) nextHms.set(t, (m = new Map()));
      m.set(hm.name, hm);
      names.set(hm.name, hm.name);
      if (hm.uuid) this.refNames.set(hm.uuid, hm.name);
    }
    const nextGs = new Map<string, StoredGs>();
    for (const item of gss) {
      const { tenant, stored: gs } = isListed(item) ? item : asGs(item);
      if (gs.createdBy !== createdBy) continue;
      // Converted while the monitors were still listing: their refs now share the monitors' names.
      gs.shareRefNames(names);
      nextGs.set(gsKey(tenant, gs.name), gs);
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
    this.listing = false;
    this.gs = nextGs;
    this.hms = nextHms;
    this.ownedHms.clear();
    for (const [t, m] of nextHms) for (const hm of m.values()) this.indexHm(t, undefined, hm);
  }

  /** The controller side of one key, for diffKey. */
  actual(key: string, tenant: string): ActualKeyState & { owned: StoredHm[] } {
    return { gs: this.gs.get(key), hms: this.hms.get(tenant) ?? new Map(), owned: [...(this.ownedHms.get(key) ?? [])] };
  }

  /** Keys that exist on the controller: owned GslbServices and the GslbServices named by owned monitors. */
  keys(createdBy: string | undefined): Set<string> {
    const keys = new Set<string>(this.gs.keys());
    if (createdBy) {
      for (const [tenant, hms] of this.hms) {
        for (const hm of hms.values()) {
          const gs = ownsHm(hm, createdBy) ? hmGsName(hm) : undefined;
          if (gs) keys.add(gsKey(tenant, gs));
        }
      }
    }
    return keys;
  }

  /** The key an owned monitor is indexed under in ownedHms. */
  private ownedKey(tenant: string, hm: StoredHm | undefined): string | undefined {
    const createdBy = this.createdBy();
    const gs = hm && createdBy && ownsHm(hm, createdBy) ? hmGsName(hm) : undefined;
    return gs === undefined ? undefined : gsKey(tenant, gs);
  }

  /** Keeps ownedHms in step with hms for one monitor: `prev` replaced by `next` (undefined = none). */
  private indexHm(tenant: string, prev: StoredHm | undefined, next: StoredHm | undefined): void {
    if (prev) {
      const prevKey = this.ownedKey(tenant, prev);
      // Indexed under prevKey unless the owner marker in force changed since (then look everywhere: rare).
      const keys = prevKey !== undefined && this.ownedHms.get(prevKey)?.includes(prev) ? [prevKey] : [...this.ownedHms.keys()];
      for (const k of keys) {
        const list = this.ownedHms.get(k)!;
        if (!list.includes(prev)) continue;
        const left = list.filter((h) => h !== prev);
        if (left.length > 0) this.ownedHms.set(k, left);
        else this.ownedHms.delete(k);
      }
    }
    const key = this.ownedKey(tenant, next);
    if (key === undefined) return;
    // A new array of exactly its length (concat): one grown by push() or spread keeps spare capacity (17 slots).
    const list = this.ownedHms.get(key);
    this.ownedHms.set(key, list ? list.concat(next!) : [next!]);
  }

  setHm(tenant: string, full: HealthMonitor | undefined, name: string): void {
    const hm = full && storeHm(full);
    let m = this.hms.get(tenant);
    if (!m) this.hms.set(tenant, (m = new Map()));
    this.indexHm(tenant, m.get(name), hm);
    if (hm) {
      m.set(name, hm);
      if (hm.uuid) this.refNames.set(hm.uuid, hm.name);
    } else m.delete(name);
    ++this.writeSeq;
    if (this.listing) this.hmWrittenAt.set(`${tenant}/${name}`, this.writeSeq);
  }

  setGs(key: string, full: GslbService | undefined): void {
    if (full) this.gs.set(key, storeGs(full, this.refNames));
    else this.gs.delete(key);
    ++this.writeSeq;
    if (this.listing) this.gsWrittenAt.set(key, this.writeSeq);
  }
}
