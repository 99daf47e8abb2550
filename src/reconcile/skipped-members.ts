// Objects the GDP selects but that produce no member (no AKO annotations, no
// IP, a tenant that disagrees with the namespace's, ...), kept per object with
// their skip codes so the worker can report them: a notice (a Warning Event on
// the object) when an object becomes skipped for a reason, at most once per
// NOTIFY_INTERVAL_MS per object and reason, and never again while it stays
// skipped for that reason (resyncs and re-derivations change nothing); the
// counts feed amko_worker_members_skipped{cluster,reason} and the GDP status
// (written when the count changes: onCountChange).
// Notices about members that are synced (an HTTPRoute synced by IP alone) are
// notified the same way but counted nowhere: the object is not skipped.
import type { Notice, NoticeCode, Rejection, SkipCode } from './members/types.js';

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
  code: ReportedSkip | NoticeCode;
  reason: string;
}

/** An object and reason that cleared and came back is notified again after this long at the earliest. */
export const NOTIFY_INTERVAL_MS = 10 * 60_000;

export class SkippedMembers {
  private readonly objects = new Map<string, { ref: SkippedObjectRef; codes: Set<ReportedSkip>; notices: Set<NoticeCode> }>();
  /** Last notice per `objId \0 code`; entries older than the interval are pruned (at most once per interval). */
  private readonly notifiedAt = new Map<string, number>();
  private prunedAt = 0;
  private countListener?: () => void;

  constructor(
    private readonly notify: (n: SkipNotice) => void,
    private readonly intervalMs = NOTIFY_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called when the number of skipped objects (count()) may have changed. */
  onCountChange(listener: () => void): void {
    this.countListener = listener;
  }

  /** Records the rejections and notices of object `objId` as derived now (none: it is a plain member, not selected, or gone). */
  set(objId: string, ref: SkippedObjectRef, rejections: readonly Rejection[], notices: readonly Notice[] = []): void {
    const reasons = new Map<ReportedSkip | NoticeCode, string>();
    for (const r of rejections) if (r.code !== 'not-selected' && !reasons.has(r.code)) reasons.set(r.code, r.reason);
    for (const n of notices) if (!reasons.has(n.code)) reasons.set(n.code, n.reason);
    const prev = this.objects.get(objId);
    if (reasons.size === 0) {
      this.remove(objId);
      return;
    }
    const noticeCodes = new Set(notices.map((n) => n.code));
    const codes = new Set([...reasons.keys()].filter((c): c is ReportedSkip => !noticeCodes.has(c as NoticeCode)));
    this.objects.set(objId, { ref, codes, notices: noticeCodes });
    if ((prev?.codes.size ?? 0) > 0 !== codes.size > 0) this.countListener?.();
    const now = this.now();
    this.prune(now);
    for (const [code, reason] of reasons) {
      if (prev?.codes.has(code as ReportedSkip) || prev?.notices.has(code as NoticeCode)) continue;
      const key = `${objId}\u0000${code}`;
      const last = this.notifiedAt.get(key);
      if (last !== undefined && now - last < this.intervalMs) continue;
      this.notifiedAt.set(key, now);
      this.notify({ ref, code, reason });
    }
  }

  remove(objId: string): void {
    const prev = this.objects.get(objId);
    this.objects.delete(objId);
    if (prev && prev.codes.size > 0) this.countListener?.();
  }

  /** Ids of the skipped objects of `cluster`. */
  objectIds(cluster: string): string[] {
    return [...this.objects].filter(([, o]) => o.ref.cluster === cluster).map(([id]) => id);
  }

  dropCluster(cluster: string): void {
    for (const id of this.objectIds(cluster)) this.remove(id);
  }

  /** Forgets the skipped objects (a new term derives them again); notice times are kept, so no repeat within the interval. */
  clear(): void {
    this.objects.clear();
  }

  /** Skipped objects. */
  count(): number {
    let n = 0;
    for (const o of this.objects.values()) if (o.codes.size > 0) n++;
    return n;
  }

  /** Skipped objects per cluster and reason (an object skipped for two reasons counts in both). */
  countsByReason(): Map<string, Map<ReportedSkip, number>> {
    const out = new Map<string, Map<ReportedSkip, number>>();
    for (const { ref, codes } of this.objects.values()) {
      let m = out.get(ref.cluster);
      if (!m) out.set(ref.cluster, (m = new Map()));
      for (const c of codes) m.set(c, (m.get(c) ?? 0) + 1);
    }
    return out;
  }

  /** Notice times older than the interval no longer suppress anything. */
  private prune(now: number): void {
    if (now - this.prunedAt < this.intervalMs) return;
    this.prunedAt = now;
    for (const [k, t] of this.notifiedAt) if (now - t >= this.intervalMs) this.notifiedAt.delete(k);
  }
}
