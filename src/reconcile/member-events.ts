// Warning Events on member-cluster objects (Ingress, Service, Route, HTTPRoute) that the
// GDP selects but that are skipped (or, for an HTTPRoute, synced by IP alone), written in the object's namespace with the
// member cluster's kubeconfig user (it needs `create` on `events` there). Sent
// one at a time from a bounded queue, so a cluster full of skipped objects
// cannot flood its API server; a cluster that forbids Events is warned about
// once per term (the metric and the GDP status still count its skipped objects).
import { errorText, isStatus } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import type { Logger } from '../log.js';
import type { SkipNotice } from './skipped-members.js';

export const MEMBER_SKIPPED_REASON = 'GSLBMemberSkipped';
/** The Event reason of an HTTPRoute synced as IP-only members (AKO's UUIDs unknown). */
export const MEMBER_IP_ONLY_REASON = 'GSLBMemberIPOnly';
/** Notices waiting to be sent at most; more are dropped (and logged). */
const MAX_PENDING = 1000;

export class MemberEvents {
  private pending: SkipNotice[] = [];
  private sending = false;
  private readonly forbidden = new Set<string>();
  private droppedWarned = false;

  constructor(
    /** The Event recorder of a member cluster (its kubeconfig user), if the cluster is still there. */
    private readonly recorderOf: (cluster: string) => EventRecorder | undefined,
    private readonly log: Logger,
  ) {}

  post(n: SkipNotice): void {
    if (this.pending.length >= MAX_PENDING) {
      if (!this.droppedWarned) this.log.warn({ max: MAX_PENDING }, 'too many skipped-member Events waiting; dropping some (the metric and the GDP status still count them)');
      this.droppedWarned = true;
      return;
    }
    this.pending.push(n);
    void this.drain();
  }

  /** Drops what was not sent yet and forgets forbidden clusters (the term ended). */
  clear(): void {
    this.pending = [];
    this.forbidden.clear();
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      for (let n = this.pending.shift(); n; n = this.pending.shift()) await this.send(n);
    } finally {
      this.sending = false;
      this.droppedWarned = false;
    }
  }

  private async send(n: SkipNotice): Promise<void> {
    const events = this.recorderOf(n.ref.cluster);
    if (!events || this.forbidden.has(n.ref.cluster)) return;
    const { cluster, ...involved } = n.ref;
    const ipOnly = n.code === 'ip-only-member';
    const message = ipOnly
      ? `${n.ref.kind} ${n.ref.namespace}/${n.ref.name} is ${n.reason}`
      : `${n.ref.kind} ${n.ref.namespace}/${n.ref.name} is selected by the GlobalDeploymentPolicy but not synced to GSLB (${n.code}): ${n.reason}`;
    try {
      await events.post(involved, 'Warning', ipOnly ? MEMBER_IP_ONLY_REASON : MEMBER_SKIPPED_REASON, message);
    } catch (err) {
      if (isStatus(err, 403)) {
        this.forbidden.add(cluster);
        this.log.warn({ cluster, err: errorText(err) }, 'the member cluster user may not create Events; skipped members are reported by metric and GDP status only');
      } else {
        this.log.warn({ cluster, object: `${n.ref.namespace}/${n.ref.name}`, err: errorText(err) }, 'could not record a skipped-member Event');
      }
    }
  }
}
