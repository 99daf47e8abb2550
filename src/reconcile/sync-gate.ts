// Whether the worker syncs while it runs (the process manager runs it only on
// the Lease holder): the AMKOCluster role must say syncToAvi. The role is
// followed live; a stop takes effect at once, a start waits for a stop in
// progress and re-checks.
import type { RoleState, RoleWatcher } from '../federation/role.js';
import { errorText } from '../kube/errors.js';
import type { Logger } from '../log.js';

export const ALWAYS_SYNC: RoleState = { role: 'none', syncToAvi: true, federate: false, reason: 'role gating disabled' };

export interface SyncGateOptions {
  /** The role to follow; undefined: no role gating (always syncToAvi). */
  role?: RoleWatcher;
  log: Logger;
  /** Starts the sync (synchronous part; the sync's own work runs in the background). */
  onStart(): void;
  /** Stops the sync; its synchronous prefix must fence further writes. */
  onStop(): Promise<void>;
  /** Whether the sync currently runs. */
  isActive(): boolean;
}

export class SyncGate {
  private running = false;
  private roleOff?: () => void;
  /** The last stop of the sync; a start waits for it. */
  private transition: Promise<void> = Promise.resolve();

  constructor(private readonly o: SyncGateOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const { role, log } = this.o;
    if (role) {
      this.roleOff = role.onChange((next, prev) => {
        if (next.syncToAvi !== prev.syncToAvi) log.info({ role: next.role, syncToAvi: next.syncToAvi, reason: next.reason }, 'role changed');
        this.apply();
      });
      void role.start().then(
        () => this.apply(),
        (err: unknown) => log.error({ err: errorText(err) }, 'role watch failed to start'),
      );
    }
    this.apply();
  }

  /** Stops following the role; resolves once the sync is stopped. */
  async stop(): Promise<void> {
    this.running = false;
    this.roleOff?.();
    this.roleOff = undefined;
    this.apply();
    await this.transition;
  }

  roleState(): RoleState {
    return this.o.role ? this.o.role.current() : ALWAYS_SYNC;
  }

  shouldSync(): boolean {
    return this.running && this.roleState().syncToAvi;
  }

  private apply(): void {
    const want = this.shouldSync();
    const active = this.o.isActive();
    if (!want && active) {
      this.o.log.info({ role: this.roleState().role }, 'sync stopped');
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
