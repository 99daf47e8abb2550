// Objects the GDP selects but that produce no member (no AKO annotations, no
// IP, a tenant that disagrees with the namespace's, ...), kept per object with
// their skip codes so the worker can report them: a notice (a Warning Event on
// the object) when an object becomes skipped for a reason, at most once per
// NOTIFY_INTERVAL_MS per object and reason, and never again while it stays
// skipped for that reason (resyncs and re-derivations change nothing); the
// counts feed amko_worker_members_skipped{cluster,reason} and the GDP status.
import type { Rejection, SkipCode } from './members/types.js';

/** The object a notice is about, in its member cluster. */
export interface SkippedObjectRef {
  cluster: string;
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

export type ReportedSkip = Exclude<SkipCode, 'not-selected'>;

export interface SkipNotice {
  ref: SkippedObjectRef;
  code: ReportedSkip;
  reason: string;
}

/** An object and reason that cleared and came back is notified again after this long at the earliest. */
export const NOTIFY_INTERVAL_MS = 10 * 60_000;

export class SkippedMembers {
  private readonly objects = new Map<string, { ref: SkippedObjectRef; codes: Set<ReportedSkip> }>();
  /** Last notice per `objId \0 code`; entries older than the interval are pruned. */
  private readonly notifiedAt = new Map<string, number>();

  constructor(
    private readonly notify: (n: SkipNotice) => void,
    private readonly intervalMs = NOTIFY_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the rejections of object `objId` as derived now (none: it is a member, not selected, or gone). */
  set(objId: string, ref: SkippedObjectRef, rejections: readonly Rejection[]): void {
    const reasons = new Map<ReportedSkip, string>();
    for (const r of rejections) if (r.code !== 'not-selected' && !reasons.has(r.code)) reasons.set(r.code, r.reason);
    const prev = this.objects.get(objId)?.codes;
    if (reasons.size === 0) {
      this.objects.delete(objId);
      return;
    }
    this.objects.set(objId, { ref, codes: new Set(reasons.keys()) });
    const now = this.now();
    for (const [code, reason] of reasons) {
      if (prev?.has(code)) continue;
      const key = `${objId}\u0000${code}`;
      const last = this.notifiedAt.get(key);
      if (last !== undefined && now - last < this.intervalMs) continue;
      this.notifiedAt.set(key, now);
      this.notify({ ref, code, reason });
    }
  }

  remove(objId: string): void {
    this.objects.delete(objId);
  }

  /** Ids of the skipped objects of `cluster`. */
  objectIds(cluster: string): string[] {
    return [...this.objects].filter(([, o]) => o.ref.cluster === cluster).map(([id]) => id);
  }

  dropCluster(cluster: string): void {
    for (const id of this.objectIds(cluster)) this.objects.delete(id);
  }

  /** Forgets the skipped objects (a new term derives them again); notice times are kept, so no repeat within the interval. */
  clear(): void {
    this.objects.clear();
  }

  /** Skipped objects. */
  count(): number {
    return this.objects.size;
  }

  /** Skipped objects per cluster and reason (an object skipped for two reasons counts in both). Prunes old notice times. */
  countsByReason(): Map<string, Map<ReportedSkip, number>> {
    const out = new Map<string, Map<ReportedSkip, number>>();
    for (const { ref, codes } of this.objects.values()) {
      let m = out.get(ref.cluster);
      if (!m) out.set(ref.cluster, (m = new Map()));
      for (const c of codes) m.set(c, (m.get(c) ?? 0) + 1);
    }
    const now = this.now();
    for (const [k, t] of this.notifiedAt) if (now - t >= this.intervalMs) this.notifiedAt.delete(k);
    return out;
  }
}
