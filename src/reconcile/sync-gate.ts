// Whether the worker syncs: this replica holds the Lease AND the AMKOCluster
// role says syncToAvi. Both are followed live; a stop takes effect at once, a
// start waits for a stop in progress and re-checks. mayWrite() is the lease side
// of the write fence: it is false as soon as the renew deadline has passed, even
// before the elector's step-down has run.
import type { KubeConfig } from '@kubernetes/client-node';
import { watchRole, type RoleState, type RoleWatcher } from '../federation/role.js';
import { errorText } from '../kube/errors.js';
import { LeaderElector, type LeaderElectionTiming, type LeaseSource } from '../kube/lease.js';
import type { Logger } from '../log.js';
import { workerMetrics } from './metrics.js';

export const ALWAYS_SYNC: RoleState = { role: 'none', syncToAvi: true, federate: false, reason: 'role gating disabled' };

export interface LeaderElectionOptions extends Partial<LeaderElectionTiming> {
  leaseName?: string;
  identity?: string;
}

export interface SyncGateOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  identity: string;
  log: Logger;
  /** `false`: this replica always holds the (virtual) lease. */
  leaderElection?: false | LeaderElectionOptions;
  /** Default: watchRole() on the own cluster (owned: started and stopped here). `false`: no role gating. */
  role?: RoleWatcher | false;
  /** Starts the sync (synchronous part; the sync's own work runs in the background). */
  onStart(): void;
  /** Stops the sync; its synchronous prefix must fence further writes. */
  onStop(): Promise<void>;
  /** Resolves when the writes in flight have settled (bounded); awaited before the Lease is released. */
  settleWrites(): Promise<void>;
  /** Whether the sync currently runs. */
  isActive(): boolean;
}

export class SyncGate implements LeaseSource {
  private running = false;
  private leaseHeld = false;
  private readonly leaseListeners = new Set<(held: boolean) => void>();
  private readonly role?: RoleWatcher;
  private readonly ownsRole: boolean;
  private roleOff?: () => void;
  private elector?: LeaderElector;
  /** The last stop of the sync; a start waits for it. */
  private transition: Promise<void> = Promise.resolve();
  private stopping?: Promise<void>;

  constructor(private readonly o: SyncGateOptions) {
    this.ownsRole = o.role === undefined;
    this.role = o.role === false ? undefined : (o.role ?? watchRole(o.kubeConfig, { namespace: o.namespace, log: o.log }));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = undefined;
    const log = this.o.log;
    if (this.role) {
      this.roleOff = this.role.onChange((next, prev) => {
        if (next.syncToAvi !== prev.syncToAvi) log.info({ role: next.role, syncToAvi: next.syncToAvi, reason: next.reason }, 'role changed');
        this.apply();
      });
      if (this.ownsRole) {
        void this.role.start().then(
          () => this.apply(),
          (err: unknown) => log.error({ err: errorText(err) }, 'role watch failed to start'),
        );
      }
    }
    if (this.o.leaderElection === false) {
      this.setLease(true);
      return;
    }
    const le = this.o.leaderElection ?? {};
    this.elector = new LeaderElector({
      kubeConfig: this.o.kubeConfig,
      name: le.leaseName ?? 'amko-reconcile-worker',
      namespace: this.o.namespace,
      identity: this.o.identity,
      leaseDurationMs: le.leaseDurationMs,
      renewDeadlineMs: le.renewDeadlineMs,
      retryPeriodMs: le.retryPeriodMs,
      log,
      onStartedLeading: () => this.setLease(true),
      onStoppedLeading: () => this.setLease(false),
    });
    this.elector.start();
  }

  /**
   * Stops watching and campaigning: writes are fenced at once, the writes in flight settle, a held Lease
   * is released (another replica takes over at its next retry); resolves once the sync is stopped.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      this.roleOff?.();
      this.roleOff = undefined;
      if (this.elector) await this.elector.stop(() => this.o.settleWrites());
      this.setLease(false);
      if (this.ownsRole) await this.role?.stop().catch(() => undefined);
      await this.transition;
    })();
    return this.stopping;
  }

  holdsLease(): boolean {
    return this.leaseHeld;
  }

  onLeaseChange(listener: (held: boolean) => void): () => void {
    this.leaseListeners.add(listener);
    return () => this.leaseListeners.delete(listener);
  }

  roleState(): RoleState {
    return this.role ? this.role.current() : ALWAYS_SYNC;
  }

  shouldSync(): boolean {
    return this.running && this.leaseHeld && this.roleState().syncToAvi;
  }

  /** The lease side of the write fence: syncing, and (with leader election) within the renew deadline. */
  mayWrite(): boolean {
    return this.shouldSync() && (this.elector?.isLeader() ?? true);
  }

  private setLease(held: boolean): void {
    if (held === this.leaseHeld) return;
    this.leaseHeld = held;
    workerMetrics.leaseHeld.set(held ? 1 : 0);
    this.apply();
    for (const l of [...this.leaseListeners]) {
      try {
        l(held);
      } catch (err) {
        this.o.log.error({ err }, 'lease listener failed');
      }
    }
  }

  private apply(): void {
    const want = this.shouldSync();
    const active = this.o.isActive();
    if (!want && active) {
      this.o.log.info({ lease: this.leaseHeld, role: this.roleState().role }, 'sync stopped');
      this.transition = this.o.onStop();
    } else if (want && !active) {
      void this.transition.then(() => {
        if (this.shouldSync() && !this.o.isActive()) {
          this.o.log.info({ role: this.roleState().role }, 'sync started');
          this.o.onStart();
        }
      });
    }
  }
}
