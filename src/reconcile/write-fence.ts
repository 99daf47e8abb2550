// The write fence of the worker's Avi client. Every write (create/update/delete)
// is checked synchronously right before it is sent -- after the rate limiter's
// token wait, and again inside the client right before the request leaves (after
// a login or re-login) -- against the lease (held and within its renew deadline)
// and the controller (verified as the GSLB leader, and no "not the leader" answer
// since). The first not-leader answer closes the fence until the worker has
// verified leadership again. A refused write fails its key with FencedWrite; the
// full resync that follows a new term or a re-verified leader queues it again.
import type { AviApi } from '../avi/types.js';
import { Stopped } from './util.js';
import { boundedDelay } from '../timers.js';

/** A write the fence did not send. */
export class FencedWrite extends Stopped {
  readonly errorClass = 'fenced';
  readonly retry = 'slow';
}

export interface WriteFenceOptions {
  /** The lease is held and within its renew deadline (SyncGate.mayWrite). */
  leaseValid(): boolean;
  /** The controller was verified as the GSLB leader and has not answered not-leader since. */
  controllerLeads(): boolean;
  /** The first not-leader answer; must make controllerLeads() false synchronously. */
  onNotLeader(): void;
}

const WRITE = /^(create|update|delete)/;

export class WriteFence {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly o: WriteFenceOptions) {}

  /** Throws FencedWrite unless a write may be sent now. */
  check(): void {
    if (!this.o.leaseValid()) throw new FencedWrite('write not sent: the lease is not held or was not renewed within the renew deadline');
    if (!this.o.controllerLeads()) throw new FencedWrite('write not sent: the controller is not verified as the GSLB leader');
  }

  /** `api` with every write checked first, tracked while in flight, and its not-leader answer closing the fence. */
  wrap(api: AviApi): AviApi {
    return new Proxy(api, {
      get: (target, prop, receiver) => {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        if (!WRITE.test(String(prop))) return v.bind(target);
        return (...args: unknown[]) => {
          this.check();
          const p = (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          this.inFlight.add(p);
          return p.then(
            (r) => {
              this.inFlight.delete(p);
              return r;
            },
            (err: unknown) => {
              this.inFlight.delete(p);
              if ((err as { errorClass?: string }).errorClass === 'not-leader' && this.o.controllerLeads()) this.o.onNotLeader();
              throw err;
            },
          );
        };
      },
    });
  }

  /** Resolves once the writes in flight have settled, or after `maxMs`. */
  async settled(maxMs: number): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise<void>((r) => (timer = setTimeout(r, boundedDelay(maxMs))))]);
    clearTimeout(timer);
  }
}
