// Leader election on a coordination.k8s.io/v1 Lease. Acquire and renew are
// resourceVersion-guarded replaces (a concurrent writer gets 409 and loses);
// a lease is free when it has no holder or its renewTime + duration is past.
// The leader stops leading as soon as a renew fails to land before the lease
// would expire for others (renewDeadline), or when another holder is seen.
import os from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import { KubeHttpError, isStatus, kubeRequest } from './http.js';

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

export interface LeaderElectorOptions {
  kubeConfig: KubeConfig;
  name: string;
  namespace: string;
  identity?: string;
  leaseDurationMs?: number;
  renewIntervalMs?: number;
  retryIntervalMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log?: Logger;
  now?: () => number;
}

/** Lease-holder observation, for parts that run only on the lease holder (the worker exposes it; the federator follows it). */
export interface LeaseSource {
  holdsLease(): boolean;
  /** Registers a listener; returns an unsubscribe function. */
  onLeaseChange(listener: (held: boolean) => void): () => void;
}

export function defaultIdentity(): string {
  return process.env.POD_NAME || `${os.hostname()}-${process.pid}`;
}

/** RFC 3339 with microseconds, as MicroTime expects. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  readonly identity: string;
  private readonly o: Required<Omit<LeaderElectorOptions, 'log' | 'identity'>> & { log?: Logger };
  private leading = false;
  private running = false;
  private timer?: NodeJS.Timeout;
  private lastRenewOk = 0;
  private observedRv?: string;

  constructor(opts: LeaderElectorOptions) {
    this.identity = opts.identity ?? defaultIdentity();
    this.o = {
      leaseDurationMs: 15_000,
      renewIntervalMs: 10_000,
      retryIntervalMs: 2_000,
      now: Date.now,
      ...opts,
    };
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops campaigning; if leading, steps down and releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    if (this.leading) {
      this.setLeading(false);
      await this.release().catch((err: unknown) => this.o.log?.warn({ err: String(err) }, 'lease release failed'));
    }
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref?.();
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    this.o.log?.info({ identity: this.identity, lease: `${this.o.namespace}/${this.o.name}` }, v ? 'became leader' : 'stopped leading');
    try {
      if (v) this.o.onStartedLeading();
      else this.o.onStoppedLeading();
    } catch (err) {
      this.o.log?.error({ err }, 'leader election callback failed');
    }
  }

  private path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases`;
    return name ? `${base}/${name}` : base;
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.o.log?.debug({ err: String(err) }, 'lease acquire/renew failed');
      ok = false;
    }
    if (!this.running) return;
    const now = this.o.now();
    if (ok) {
      this.lastRenewOk = now;
      this.setLeading(true);
      this.schedule(this.o.renewIntervalMs);
      return;
    }
    // Lost or failed: a leader that can't renew within the lease duration (minus a margin) steps down.
    if (this.leading && now - this.lastRenewOk >= this.o.leaseDurationMs - this.o.retryIntervalMs) this.setLeading(false);
    this.schedule(this.o.retryIntervalMs);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const kc = this.o.kubeConfig;
    const now = this.o.now();
    let lease: Lease | undefined;
    try {
      lease = await kubeRequest<Lease>(kc, 'GET', this.path(this.o.name));
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    const spec: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    if (!lease) {
      try {
        await kubeRequest(kc, 'POST', this.path(), {
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
    const held = !!cur.holderIdentity && cur.holderIdentity !== this.identity;
    if (held) {
      const renew = cur.renewTime ? Date.parse(cur.renewTime) : 0;
      const durMs = (cur.leaseDurationSeconds ?? 15) * 1000;
      // Use our own observation time too, so clock skew can't make a live lease look expired.
      if (lease.metadata.resourceVersion !== this.observedRv) {
        this.observedRv = lease.metadata.resourceVersion;
        this.observedAt = now;
      }
      const expired = renew + durMs < now && this.observedAt + durMs < now;
      if (!expired) {
        if (this.leading) this.setLeading(false);
        return false;
      }
    }
    const mine = cur.holderIdentity === this.identity;
    const body: Lease = {
      ...lease,
      spec: {
        ...cur,
        ...spec,
        acquireTime: mine ? cur.acquireTime ?? microTime(now) : microTime(now),
        leaseTransitions: mine ? cur.leaseTransitions ?? 0 : (cur.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      await kubeRequest(kc, 'PUT', this.path(this.o.name), { body });
      return true;
    } catch (err) {
      if (err instanceof KubeHttpError && err.statusCode === 409) return false;
      throw err;
    }
  }

  private observedAt = 0;

  private async release(): Promise<void> {
    const lease = await kubeRequest<Lease>(this.o.kubeConfig, 'GET', this.path(this.o.name));
    if (lease.spec?.holderIdentity !== this.identity) return;
    await kubeRequest(this.o.kubeConfig, 'PUT', this.path(this.o.name), {
      body: { ...lease, spec: { ...lease.spec, holderIdentity: null, renewTime: null, acquireTime: null } },
    });
  }
}
