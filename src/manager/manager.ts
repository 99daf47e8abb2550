// The process manager (controller-runtime's Manager): it owns the shared
// own-cluster cache and the one Lease of the process, and runs the parts
// (Runnables). A Runnable that needs leader election (the reconcile worker, the
// federator) runs only while this replica holds the Lease: it is started when
// the Lease is acquired and stopped, fenced first, when it is lost. The others
// (certificates, the admission server) run all the time, started in the order
// they were added and stopped in reverse.
import type { KubeConfigLike } from '../kube/config.js';
import { errorText } from '../kube/errors.js';
import { LeaderElector, type LeaderElectionTiming, type LeaseSource } from '../kube/lease.js';
import type { Logger } from '../log.js';
import { gauge } from '../metrics.js';
import type { OwnClusterCache } from './cache.js';

// Separate from amko_worker_is_leader: a federation follower holds the Lease but does not sync, so "no replica
// holds the Lease" (the no-leader alert) must not be read from the sync gauge. (Its name predates the process
// Lease: it was the reconcile worker's.)
const leaseHeldGauge = gauge({ name: 'amko_worker_lease_held', help: '1 on the replica that holds the process Lease (the worker and the federator run there), else 0.' });

/** One long-running part of the process. */
export interface Runnable {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Contributes to GET /readyz; omit for parts that are ready once started. */
  ready?(): boolean;
  /** Runs only on the replica that holds the Lease. */
  readonly needLeaderElection?: boolean;
  /**
   * A leader part that was told to stop (its writes are fenced at once): resolves when the writes it had in
   * flight have settled (bounded). The Lease is released after it, so the next holder never overlaps them.
   */
  settled?(): Promise<void>;
}

export interface LeaderElectionConfig extends Partial<LeaderElectionTiming> {
  kubeConfig: KubeConfigLike;
  namespace: string;
  leaseName: string;
  identity: string;
}

export interface ManagerOptions {
  log: Logger;
  /** The shared cache of the own cluster (none without a cluster connection). */
  cache?: OwnClusterCache;
  /** The Lease; `false`: this replica always leads (no Lease; one replica, or tests). */
  leaderElection: LeaderElectionConfig | false;
}

export class Manager implements LeaseSource {
  readonly cache?: OwnClusterCache;
  private readonly log: Logger;
  private readonly runnables: Runnable[] = [];
  private readonly started: Runnable[] = [];
  private readonly leading: Runnable[] = [];
  private readonly elector?: LeaderElector;
  private readonly leaseListeners = new Set<(held: boolean) => void>();
  private leaseHeld = false;
  private running = false;
  /** The last start or stop of the leader runnables; the next one waits for it. */
  private transition: Promise<void> = Promise.resolve();

  constructor(private readonly o: ManagerOptions) {
    this.log = o.log;
    this.cache = o.cache;
    const le = o.leaderElection;
    if (le) {
      this.elector = new LeaderElector({
        kubeConfig: le.kubeConfig,
        name: le.leaseName,
        namespace: le.namespace,
        identity: le.identity,
        leaseDurationMs: le.leaseDurationMs,
        renewDeadlineMs: le.renewDeadlineMs,
        retryPeriodMs: le.retryPeriodMs,
        log: o.log,
        onStartedLeading: () => this.setLease(true),
        onStoppedLeading: () => this.setLease(false),
      });
    }
  }

  add(r: Runnable): this {
    this.runnables.push(r);
    return this;
  }

  /**
   * Starts the cache, campaigns for the Lease, and starts the parts that always run (in order). The campaign
   * does not wait for those parts: the Lease round trips and the leader parts' first steps (which wait for the
   * cache, Avi and the member clusters) overlap the start of the certificates (from a Secret: API round trips)
   * and the admission server. Throws
   * if a part fails to start (after stopping everything, the Lease released).
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.cache?.start();
      if (this.elector) this.elector.start();
      else this.setLease(true);
      for (const r of this.runnables.filter((x) => !x.needLeaderElection)) {
        await r.start();
        this.started.push(r);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * The hand-over first: the leader parts stop writing at once, the writes in flight settle and the Lease is
   * released (another replica takes over at its next retry); then the other parts stop, in reverse order.
   */
  async stop(): Promise<void> {
    this.running = false;
    const leaders = [...this.leading];
    if (this.elector) await this.elector.stop(() => this.settled(leaders));
    this.setLease(false);
    await this.transition;
    for (const r of this.started.splice(0).reverse()) await this.stopPart(r);
    await this.cache?.stop();
  }

  /**
   * Why the process is not ready (empty: ready). Leader parts never count: a replica whose worker waits for Avi
   * (unreachable, refused credentials, first resync) must still answer admission, or a failurePolicy Fail webhook
   * would refuse the very GSLBConfig or Secret fix the worker is waiting for.
   */
  notReady(): string[] {
    const out: string[] = [];
    if (this.cache && !this.cache.isSynced()) out.push('own-cluster cache not synced');
    for (const r of this.started) if (r.ready && !r.ready()) out.push(`${r.name} not ready`);
    return out;
  }

  holdsLease(): boolean {
    return this.leaseHeld;
  }

  /**
   * The lease side of the write fence: the Lease is held and within its renew deadline (false as soon as the
   * deadline passes, even before the step-down has run).
   */
  mayWrite(): boolean {
    return this.leaseHeld && (this.elector?.isLeader() ?? true);
  }

  private async settled(parts: readonly Runnable[]): Promise<void> {
    await Promise.all(parts.map((r) => r.settled?.().catch(() => undefined)));
  }

  onLeaseChange(listener: (held: boolean) => void): () => void {
    this.leaseListeners.add(listener);
    return () => this.leaseListeners.delete(listener);
  }

  /** The leader parts that run now. */
  leaderParts(): readonly Runnable[] {
    return this.leading;
  }

  private setLease(held: boolean): void {
    if (held === this.leaseHeld) return;
    this.leaseHeld = held;
    leaseHeldGauge.set(held ? 1 : 0);
    if (held) {
      this.transition = this.transition.then(() => this.startLeaderParts());
    } else {
      // Each part fences its writes synchronously in stop(): the stops begin now, in reverse order.
      const stops = this.leading.splice(0).reverse().map((r) => this.stopPart(r));
      this.transition = this.transition.then(() => Promise.all(stops)).then(() => undefined);
    }
    for (const l of [...this.leaseListeners]) {
      try {
        l(held);
      } catch (err) {
        this.log.error({ err: errorText(err) }, 'lease listener failed');
      }
    }
  }

  private async startLeaderParts(): Promise<void> {
    for (const r of this.runnables.filter((x) => x.needLeaderElection)) {
      if (!this.leaseHeld || !this.running) return;
      if (this.leading.includes(r)) continue;
      try {
        await r.start();
      } catch (err) {
        this.log.error({ part: r.name, err: errorText(err) }, 'failed to start');
        continue;
      }
      // The Lease may have been lost while the part was starting.
      if (this.leaseHeld && this.running) this.leading.push(r);
      else await this.stopPart(r);
    }
  }

  private async stopPart(r: Runnable): Promise<void> {
    try {
      await r.stop();
    } catch (err) {
      this.log.error({ part: r.name, err: errorText(err) }, 'stop failed');
    }
  }
}
