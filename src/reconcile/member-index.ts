// Which member records each member-cluster object contributes, and which
// objects contribute to each GslbService key. Replacing an object's members
// reports every key whose member set changed.
import { gsKey, type NamedMember } from './members/types.js';
import { hash } from './util.js';

export class MemberIndex {
  /** `<cluster>/<resource>/<namespace>/<name>` -> its members. */
  private objMembers = new Map<string, NamedMember[]>();
  /**
   * key -> ids of the objects with members for it: the id itself while there is one (most keys), else a list
   * of exactly their number (a key has a few objects: one per cluster that serves its FQDN, mostly).
   */
  private keyObjs = new Map<string, string | readonly string[]>();
  /** Member records per cluster, kept as objects change (read on each /metrics scrape). */
  private perCluster = new Map<string, number>();

  /** Keys changed inside batch(), reported when it ends. */
  private deferred?: Set<string>;

  constructor(private readonly onKeyChanged: (key: string) => void) {}

  /**
   * Runs `fn` with the key reports held until it ends, each changed key reported once: the objects one event
   * re-derives (the routes on a Gateway, the objects of a namespace) are planned together, so a GslbService they
   * share is written once and never with half of them changed.
   */
  batch(fn: () => void): void {
    if (this.deferred) return fn();
    const keys = (this.deferred = new Set<string>());
    try {
      fn();
    } finally {
      this.deferred = undefined;
      for (const k of keys) this.onKeyChanged(k);
    }
  }

  clear(): void {
    this.objMembers.clear();
    this.keyObjs.clear();
    this.perCluster.clear();
  }

  /** Replaces an object's members; reports the keys whose member set changed. */
  set(objId: string, members: NamedMember[], report = true): void {
    const old = this.objMembers.get(objId) ?? [];
    if (hash(old) === hash(members)) return;
    const keys = new Set([...old, ...members].map((m) => gsKey(m.tenant, m.gsName)));
    for (const m of old) this.unlink(gsKey(m.tenant, m.gsName), objId);
    // A copy of exactly its length: an array grown by push() keeps spare capacity (17 slots for one member).
    if (members.length > 0) this.objMembers.set(objId, members.slice());
    else this.objMembers.delete(objId);
    for (const m of old) this.count(m.cluster, -1);
    for (const m of members) this.count(m.cluster, 1);
    for (const m of members) this.link(gsKey(m.tenant, m.gsName), objId);
    if (report) for (const k of keys) (this.deferred ? this.deferred.add(k) : this.onKeyChanged(k));
  }

  /** Ids of the objects with members, optionally only those of one cluster (prefix `<cluster>/`). */
  objectIds(cluster?: string): string[] {
    const ids = [...this.objMembers.keys()];
    return cluster === undefined ? ids : ids.filter((id) => id.startsWith(`${cluster}/`));
  }

  /** A cluster removed from the GSLBConfig: its members go away. */
  dropCluster(cluster: string): void {
    for (const id of this.objectIds(cluster)) this.set(id, []);
  }

  membersOf(key: string): NamedMember[] {
    const out: NamedMember[] = [];
    const ids = this.keyObjs.get(key);
    for (const id of typeof ids === 'string' ? [ids] : (ids ?? [])) {
      for (const m of this.objMembers.get(id) ?? []) if (gsKey(m.tenant, m.gsName) === key) out.push(m);
    }
    return out;
  }

  keys(): IterableIterator<string> {
    return this.keyObjs.keys();
  }

  /** Member records per cluster (metrics). */
  countsByCluster(): ReadonlyMap<string, number> {
    return this.perCluster;
  }

  private link(key: string, objId: string): void {
    const ids = this.keyObjs.get(key);
    if (ids === undefined) this.keyObjs.set(key, objId);
    else if (typeof ids === 'string') {
      if (ids !== objId) this.keyObjs.set(key, [ids, objId]);
    } else if (!ids.includes(objId)) this.keyObjs.set(key, ids.concat(objId));
  }

  private unlink(key: string, objId: string): void {
    const ids = this.keyObjs.get(key);
    if (ids === objId) this.keyObjs.delete(key);
    else if (typeof ids === 'object' && ids.includes(objId)) {
      const left = ids.filter((id) => id !== objId);
      this.keyObjs.set(key, left.length === 1 ? left[0]! : left);
    }
  }

  private count(cluster: string, delta: number): void {
    const n = (this.perCluster.get(cluster) ?? 0) + delta;
    if (n === 0) this.perCluster.delete(cluster);
    else this.perCluster.set(cluster, n);
  }
}
