// The GslbService controller: one key per GslbService (`<tenant>/<name>`) in a
// work queue. Syncing a key is the plan stage (plan.ts) against the observed
// state, then the apply stage (apply-op.ts) for each operation, in order. It
// writes only while the term holds, the controller is the verified GSLB leader
// and the observed state was listed in full.
import type { AviError } from '../avi/errors.js';
import { errorText } from '../kube/errors.js';
import { unredacted } from '../log.js';
import { withDefaults } from '../options.js';
import { applyOperation } from './apply-op.js';
import { isLoginRefusal } from './connect-retry.js';
import { operationHeadline, type AviOperation } from './diff.js';
import { parseGsKey } from './members/types.js';
import { workerMetrics as M } from './metrics.js';
import { planKey, planKeySet } from './plan.js';
import { WorkQueue, type RetrySpeed, type WorkQueueOptions } from './queue.js';
import { termGuard, type SyncState } from './sync-state.js';
import { Stopped } from './util.js';

/** Retry speed of a failed sync: an Avi error's own class, none for a sync whose term ended, else slow. */
export function classify(err: unknown): RetrySpeed {
  const e = err as { retry?: RetrySpeed } | undefined;
  if (e && typeof e === 'object' && typeof e.retry === 'string') return e.retry;
  if (err instanceof Stopped) return 'none';
  return 'slow';
}

export type GslbServiceQueueOptions = Partial<Omit<WorkQueueOptions, 'handler' | 'classify' | 'onResult'>>;

export class GslbServiceController {
  readonly queue: WorkQueue;
  /** Keys that wrote to the controller in their current attempt (metrics). */
  private readonly wrote = new Set<string>();
  /**
   * The one line per Avi write carries only scalars (key, op, name), so it skips pino's redaction pass: in the
   * bench:sync serve profile that pass was ~4% of the process's CPU to converge, all of it for this line.
   */
  private readonly opLog: SyncState['log'];

  /**
   * @param keyDone called after each processing of a key (the full-sync report counts them)
   * @param loginRefused a write failed because the controller refused the login (connect-retry.ts decides what next)
   */
  constructor(
    private readonly s: SyncState,
    queue: GslbServiceQueueOptions | undefined,
    keyDone: (key: string) => void,
    loginRefused: (err: AviError) => void,
  ) {
    this.opLog = unredacted(s.log);
    this.queue = new WorkQueue({
      ...withDefaults({ concurrency: 8 }, queue),
      handler: (key) => this.sync(key),
      classify,
      onResult: (key, r) => {
        keyDone(key);
        const wrote = this.wrote.delete(key);
        M.syncs.inc({ result: r.ok ? 'ok' : 'error', wrote: String(wrote) });
        if (r.ok && wrote) M.syncLatency.observe((Date.now() - r.queuedAt) / 1000);
        if (!r.ok && !(r.error instanceof Stopped)) {
          this.s.log.warn({ key, attempt: r.attempt, retryInMs: r.retryInMs, err: errorText(r.error) }, 'sync failed');
          if (isLoginRefusal(r.error)) loginRefused(r.error);
        }
      },
    });
  }

  /** Every key: those with members and those this instance owns objects of on the controller. */
  keys(): Set<string> {
    return planKeySet(this.s.index, this.s.observed, this.s.config?.createdBy);
  }

  enqueueAll(): void {
    for (const k of this.keys()) this.queue.add(k);
  }

  /** The keys of the GslbServices named by `fqdns` (a GSLBHostRule changed). */
  enqueueFqdns(fqdns: ReadonlySet<string>): void {
    for (const key of this.keys()) if (fqdns.has(parseGsKey(key).gsName)) this.queue.add(key);
  }

  /**
   * After a full resync: queues only the keys whose plan against the fresh observed state is not empty, so
   * unchanged keys never occupy the queue (and the Avi-call budget) and a change arriving meanwhile does not
   * wait behind all of them (bench/sync.ts: p99 7.6 s during a 10k-key resync). Plans in slices to keep the
   * event loop responsive; a key that changes meanwhile is queued by its own event.
   */
  async enqueueNeeded(): Promise<void> {
    let n = 0;
    for (const k of this.keys()) {
      if (this.plan(k).length > 0) this.queue.add(k);
      if (++n % 500 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  /** The operations for one key against the observed state (plan.ts: the same computation as `amko plan`). */
  plan(key: string): AviOperation[] {
    const cfg = this.s.config;
    if (!cfg) return [];
    return planKey(key, { ...this.s.policy.inputs(cfg), members: (k) => this.s.index.membersOf(k) }, this.s.observed);
  }

  private async sync(key: string): Promise<void> {
    const term = termGuard(this.s);
    const guard = () => {
      term();
      if (!this.s.session.ok || !this.s.config || !this.s.resynced) throw new Stopped();
    };
    guard();
    for (const op of this.plan(key)) {
      guard();
      this.opLog.info({ key, op: op.op, name: op.name }, operationHeadline(op));
      await applyOperation(this.s.session.client!, this.s.observed, op, this.s.config!.createdBy, this.s.log);
      this.wrote.add(key);
    }
  }
}
