// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics:
// a candidate tries to acquire once per retry period; the leader renews once per
// retry period; acquire and renew are resourceVersion-guarded replaces (a
// concurrent writer gets 409 and loses). A lease held by another is free once its
// holder is empty or it has not changed for leaseDuration (measured on our own
// monotonic clock from when we saw it change, so clock skew cannot shorten it).
// A valid leader renews with the record it last wrote (one replace, no read; a
// conflict falls back to a read), as client-go does.
// The leader's right to act ends renewDeadline after the start of its last
// successful renew, on its own monotonic clock, whatever its API server does: no
// other replica can take the lease before leaseDuration has passed since that
// renew was sent, and renewDeadline < leaseDuration. A renew attempt is aborted
// at the renew deadline and an acquire attempt after one retry period, so a hung
// API server cannot hold a renew past the deadline.
import { performance } from 'node:perf_hooks';
import type { KubeConfigLike } from './config.js';
import type { Logger } from '../log.js';
import { withDefaults } from '../options.js';
import type { kubeRequest as KubeRequest } from './client.js';
import { isStatus } from './errors.js';
import { boundedDelay } from '../timers.js';
import { leasePath } from './paths.js';

/** kubeRequest, with client.ts loaded on the first Lease request: a process that never campaigns never loads it. */
const kubeRequest = async <T = unknown>(...args: Parameters<typeof KubeRequest>): Promise<T> => (await import('./client.js')).kubeRequest<T>(...args);

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** The three durations of client-go's leader election. */
export interface LeaderElectionTiming {
  /** How long a lease that is not renewed stays valid for the other replicas. */
  leaseDurationMs: number;
  /** A leader that has not renewed for this long stops acting (before the lease can expire). */
  renewDeadlineMs: number;
  /** Interval of renewals and of acquisition attempts; also the time limit of one attempt. */
  retryPeriodMs: number;
}

/** client-go's defaults (the `--leader-elect-*` flags of Kubernetes components). */
export const LEADER_ELECTION_DEFAULTS: Readonly<LeaderElectionTiming> = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** The timing with defaults for unset (or undefined) fields; throws unless leaseDuration > renewDeadline > retryPeriod > 0. */
export function leaderElectionTiming(given?: Partial<LeaderElectionTiming>): LeaderElectionTiming {
  const t = withDefaults(LEADER_ELECTION_DEFAULTS, given);
  for (const [k, v] of Object.entries(t)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`leader election: ${k} must be a positive number of milliseconds, got ${String(v)}`);
  }
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) throw new Error(`leader election: the lease duration (${t.leaseDurationMs} ms) must be greater than the renew deadline (${t.renewDeadlineMs} ms)`);
  if (!(t.renewDeadlineMs > t.retryPeriodMs)) throw new Error(`leader election: the renew deadline (${t.renewDeadlineMs} ms) must be greater than the retry period (${t.retryPeriodMs} ms)`);
  return t;
}

export interface LeaderElectorOptions extends Partial<LeaderElectionTiming> {
  kubeConfig: KubeConfigLike;
  name: string;
  namespace: string;
  /** This replica's name (the pod name in a cluster). */
  identity: string;
  onStartedLeading: () => void;
  /** Called synchronously when leadership ends (renew deadline passed, another holder seen, or stop()). */
  onStoppedLeading: () => void;
  log?: Logger;
  /** Monotonic clock in ms (tests). Default performance.now. */
  clock?: () => number;
}

/** Lease-holder observation, for parts that run only on the lease holder (the worker exposes it; the federator follows it). */
export interface LeaseSource {
  holdsLease(): boolean;
  /** Registers a listener; returns an unsubscribe function. */
  onLeaseChange(listener: (held: boolean) => void): () => void;
}

/** RFC 3339 with microseconds, as MicroTime expects. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  readonly identity: string;
  readonly timing: LeaderElectionTiming;
  private readonly clock: () => number;
  private leading = false;
  private running = false;
  private timer?: NodeJS.Timeout;
  private deadlineTimer?: NodeJS.Timeout;
  /** Monotonic time at which the right to act ends: start of the last successful renew + renewDeadline. */
  private deadline = 0;
  /** The attempt in flight (aborted by stop()). */
  private attempt?: AbortController;
  /** Another holder's record: its resourceVersion and when (monotonic) we first saw it. */
  private observed?: { rv?: string; at: number };
  /** The Lease as we last wrote it, while it may still name us: released on stop (no read first unless it changed). */
  private written?: Lease;

  constructor(private readonly o: LeaderElectorOptions) {
    this.identity = o.identity;
    this.timing = leaderElectionTiming({ leaseDurationMs: o.leaseDurationMs, renewDeadlineMs: o.renewDeadlineMs, retryPeriodMs: o.retryPeriodMs });
    this.clock = o.clock ?? (() => performance.now());
  }

  /** Leading and within the renew deadline: the synchronous check every write is gated on. */
  isLeader(): boolean {
    return this.leading && this.clock() < this.deadline;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /**
   * Stops campaigning and steps down at once (onStoppedLeading runs synchronously); then awaits
   * `beforeRelease` (e.g. in-flight writes settling) and, if the Lease still names us, releases it as
   * client-go's ReleaseOnCancel does (no holder, leaseDurationSeconds 1), retrying a 409 with a fresh read,
   * so another replica takes over at its next retry instead of after the lease duration.
   */
  async stop(beforeRelease?: () => Promise<void>): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.attempt?.abort(new Error('leader election stopped'));
    this.setLeading(false);
    if (!this.written) return;
    await beforeRelease?.();
    await this.release().catch((err: unknown) => this.o.log?.warn({ err: String(err) }, 'lease release failed; the other replicas take over after the lease duration'));
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), boundedDelay(ms));
    this.timer.unref?.();
  }

  private lease(): string {
    return `${this.o.namespace}/${this.o.name}`;
  }

  private setLeading(v: boolean): void {
    clearTimeout(this.deadlineTimer);
    if (v) this.armDeadline();
    if (v === this.leading) return;
    this.leading = v;
    this.o.log?.info({ identity: this.identity, lease: this.lease() }, v ? 'became leader' : 'stopped leading');
    try {
      if (v) this.o.onStartedLeading();
      else this.o.onStoppedLeading();
    } catch (err) {
      this.o.log?.error({ err }, 'leader election callback failed');
    }
  }

  /** Steps down when the deadline passes without a renew (isLeader() is already false by then). */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => {
      if (!this.leading) return;
      if (this.clock() < this.deadline) return this.armDeadline();
      this.expire();
    }, boundedDelay(Math.ceil(this.deadline - this.clock())));
    this.deadlineTimer.unref?.();
  }

  /** Ends a term whose renew deadline has passed. */
  private expire(): void {
    this.o.log?.warn({ identity: this.identity, lease: this.lease(), renewDeadlineMs: this.timing.renewDeadlineMs }, 'lease not renewed within the renew deadline: stopped leading');
    this.setLeading(false);
  }

  private path(name?: string): string {
    return leasePath(this.o.namespace, name);
  }

  /** One acquire/renew attempt; the next starts one retry period after this one started. */
  private async tick(): Promise<void> {
    if (!this.running) return;
    const { retryPeriodMs, renewDeadlineMs } = this.timing;
    const started = this.clock();
    const abort = new AbortController();
    this.attempt = abort;
    // A leader's renew may take until its deadline (as client-go's renew round); a candidate's attempt one retry period.
    const limitMs = this.isLeader() ? this.deadline - started : retryPeriodMs;
    const timer = setTimeout(() => abort.abort(new Error(`lease request aborted after ${Math.round(limitMs)} ms`)), boundedDelay(limitMs));
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew(abort.signal);
    } catch (err) {
      if (this.leading) this.o.log?.warn({ err: String(err), lease: this.lease() }, 'lease renew failed');
      else this.o.log?.debug({ err: String(err), lease: this.lease() }, 'lease acquire failed');
    } finally {
      clearTimeout(timer);
      this.attempt = undefined;
    }
    if (!this.running) return;
    // A renew that lands after the deadline starts a new term: the old one has ended (writes were fenced).
    if (this.leading && this.clock() >= this.deadline) this.expire();
    if (ok) {
      this.deadline = started + renewDeadlineMs;
      this.setLeading(true);
    }
    this.schedule(Math.max(0, started + retryPeriodMs - this.clock()));
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const kc = this.o.kubeConfig;
    const now = Date.now();
    // A valid leader renews with the Lease as it last wrote it: one replace, no read (client-go's fast path). A
    // conflict (someone else wrote it since) or any other failure falls back to a read and the full decision below.
    if (this.isLeader() && this.written?.spec?.holderIdentity === this.identity) {
      const renewed: Lease = { ...this.written, spec: { ...this.written.spec, renewTime: microTime(now) } };
      try {
        this.written = await kubeRequest<Lease>(kc, 'PUT', this.path(this.o.name), { body: renewed, signal });
        return true;
      } catch (err) {
        if (signal.aborted) throw err;
        this.o.log?.debug({ err: String(err), lease: this.lease() }, 'lease renew from the last written record failed; reading the Lease');
      }
    }
    let lease: Lease | undefined;
    try {
      lease = await kubeRequest<Lease>(kc, 'GET', this.path(this.o.name), { signal });
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    const spec: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.timing.leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    if (!lease) {
      try {
        this.written = await kubeRequest<Lease>(kc, 'POST', this.path(), {
          signal,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.o.name, namespace: this.o.namespace },
            spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
          },
        });
        return true;
      } catch (err) {
        if (isStatus(err, 409)) return false;
        throw err;
      }
    }
    const cur = lease.spec ?? {};
    const mine = cur.holderIdentity === this.identity;
    if (cur.holderIdentity && !mine) {
      this.written = undefined;
      const seenAt = this.clock();
      const rv = lease.metadata.resourceVersion;
      if (this.observed?.rv !== rv) this.observed = { rv, at: seenAt };
      const observedAt = this.observed?.at ?? seenAt;
      const durMs = (cur.leaseDurationSeconds ?? Math.ceil(this.timing.leaseDurationMs / 1000)) * 1000;
      const renewedAt = cur.renewTime ? Date.parse(cur.renewTime) : 0;
      // Expired only when both its renewTime and our own observation of its last change are older than its duration.
      const expired = renewedAt + durMs < now && observedAt + durMs < seenAt;
      if (!expired) {
        this.setLeading(false);
        return false;
      }
    }
    const body: Lease = {
      ...lease,
      spec: {
        ...cur,
        ...spec,
        acquireTime: mine ? (cur.acquireTime ?? microTime(now)) : microTime(now),
        leaseTransitions: mine ? (cur.leaseTransitions ?? 0) : (cur.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      this.written = await kubeRequest<Lease>(kc, 'PUT', this.path(this.o.name), { body, signal });
      return true;
    } catch (err) {
      if (isStatus(err, 409)) return false;
      throw err;
    }
  }

  /**
   * Clears the holder within one renew deadline: a replace of the Lease as we last wrote it (one round
   * trip); after a 409 (it changed since) a fresh read, and a retry if it still names us.
   */
  private async release(): Promise<void> {
    const { renewDeadlineMs, retryPeriodMs } = this.timing;
    const until = this.clock() + renewDeadlineMs;
    const kc = this.o.kubeConfig;
    let lease = this.written;
    this.written = undefined;
    for (;;) {
      const signal = AbortSignal.timeout(Math.max(1, Math.min(retryPeriodMs, until - this.clock())));
      try {
        lease ??= await kubeRequest<Lease>(kc, 'GET', this.path(this.o.name), { signal });
        if (lease.spec?.holderIdentity !== this.identity) return;
        const now = microTime(Date.now());
        await kubeRequest(kc, 'PUT', this.path(this.o.name), {
          signal,
          body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now } },
        });
        this.o.log?.info({ identity: this.identity, lease: this.lease() }, 'released the lease');
        return;
      } catch (err) {
        lease = undefined;
        if (isStatus(err, 404)) return;
        if (this.clock() >= until) throw err;
        if (!isStatus(err, 409)) await new Promise((r) => setTimeout(r, boundedDelay(Math.min(100, retryPeriodMs))));
      }
    }
  }
}
