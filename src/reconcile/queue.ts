// A keyed work queue in the style of client-go's workqueue: a key is queued at
// most once, never processed by two workers at once, and re-queued if it was
// dirtied while being processed. Failures are retried forever on a per-key
// capped exponential backoff with jitter (fast or slow base by retry class);
// `concurrency` bounds the number of keys in flight. Keys start as fast as
// they come: the worker limits Avi calls instead (TokenBucket, below, around
// its Avi client).
import { backoffDelay, jittered } from '../backoff.js';
import { withDefaults } from '../options.js';
import { boundedDelay } from '../timers.js';

export type RetrySpeed = 'fast' | 'slow' | 'none';

export interface WorkQueueOptions {
  /** Processes one key. A rejection is retried according to `classify`. */
  handler: (key: string) => Promise<void>;
  /** Maps a failure to a retry speed. Default: always fast. 'none' = wait for the next add(). */
  classify?: (err: unknown) => RetrySpeed;
  concurrency?: number;
  fastBaseDelayMs?: number;
  slowBaseDelayMs?: number;
  maxDelayMs?: number;
  /** Called after each attempt (metrics, logs). */
  onResult?: (key: string, result: { ok: boolean; error?: unknown; attempt: number; retryInMs?: number; queuedAt: number }) => void;
  now?: () => number;
}

interface KeyState {
  failures: number;
  /** When the key was first queued since it was last processed successfully. */
  queuedAt: number;
  timer?: NodeJS.Timeout;
  timerAt?: number;
}

export class WorkQueue {
  private readonly opts: Required<Omit<WorkQueueOptions, 'onResult' | 'classify'>> &
    Pick<WorkQueueOptions, 'onResult' | 'classify'>;
  private readonly pending: string[] = [];
  private readonly pendingSet = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly state = new Map<string, KeyState>();
  private running = false;
  private idleWaiters: Array<() => void> = [];

  constructor(options: WorkQueueOptions) {
    this.opts = withDefaults(
      { concurrency: 8, fastBaseDelayMs: 200, slowBaseDelayMs: 5_000, maxDelayMs: 120_000, now: Date.now },
      options,
    );
  }

  start(): void {
    this.running = true;
    this.pump();
  }

  /** Stops taking keys; in-flight handlers finish. Pending keys and backoffs are kept unless `clear`. */
  stop(clear = false): void {
    this.running = false;
    if (clear) {
      for (const s of this.state.values()) clearTimeout(s.timer);
      this.state.clear();
      this.pending.length = 0;
      this.pendingSet.clear();
      this.dirty.clear();
    }
  }

  /** Queues `key` now (cancelling a pending backoff: a new event supersedes the retry delay). */
  add(key: string): void {
    const s = this.stateOf(key);
    if (s.timer) {
      clearTimeout(s.timer);
      s.timer = undefined;
      s.timerAt = undefined;
    }
    this.enqueue(key);
  }

  /** Queues `key` after `delayMs` (keeps the earlier of two scheduled times). */
  addAfter(key: string, delayMs: number): void {
    if (delayMs <= 0) return this.enqueue(key);
    const s = this.stateOf(key);
    const at = this.opts.now() + delayMs;
    if (s.timer && s.timerAt !== undefined && s.timerAt <= at) return;
    clearTimeout(s.timer);
    s.timerAt = at;
    s.timer = setTimeout(() => {
      s.timer = undefined;
      s.timerAt = undefined;
      this.enqueue(key);
    }, boundedDelay(delayMs));
    s.timer.unref?.();
  }

  /** Keys waiting (queued, dirty or in backoff), not counting those in flight. */
  depth(): number {
    let backoff = 0;
    for (const [k, s] of this.state) if (s.timer && !this.pendingSet.has(k)) backoff++;
    return this.pending.length + backoff;
  }

  inFlight(): number {
    return this.processing.size;
  }

  failures(key: string): number {
    return this.state.get(key)?.failures ?? 0;
  }

  /** Resolves when nothing is queued or in flight (keys in backoff don't count). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Nothing queued or in flight (keys in backoff don't count). */
  isIdle(): boolean {
    return this.pending.length === 0 && this.processing.size === 0 && this.dirty.size === 0;
  }

  private stateOf(key: string): KeyState {
    let s = this.state.get(key);
    if (!s) {
      s = { failures: 0, queuedAt: this.opts.now() };
      this.state.set(key, s);
    }
    return s;
  }

  private enqueue(key: string): void {
    this.stateOf(key);
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.pendingSet.has(key)) return;
    this.pendingSet.add(key);
    this.pending.push(key);
    this.pump();
  }

  private pump(): void {
    if (!this.running) return;
    while (this.pending.length > 0 && this.processing.size < this.opts.concurrency) {
      const key = this.pending.shift()!;
      this.pendingSet.delete(key);
      this.processing.add(key);
      void this.process(key);
    }
    if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  private backoff(speed: 'fast' | 'slow', failures: number): number {
    const base = speed === 'slow' ? this.opts.slowBaseDelayMs : this.opts.fastBaseDelayMs;
    return jittered(backoffDelay(failures, base, this.opts.maxDelayMs));
  }

  private async process(key: string): Promise<void> {
    const s = this.stateOf(key);
    const attempt = s.failures + 1;
    const queuedAt = s.queuedAt;
    try {
      await this.opts.handler(key);
      s.failures = 0;
      s.queuedAt = this.opts.now();
      this.opts.onResult?.(key, { ok: true, attempt, queuedAt });
      if (!s.timer && !this.dirty.has(key)) this.state.delete(key);
    } catch (error) {
      s.failures++;
      const speed = this.opts.classify?.(error) ?? 'fast';
      const retryInMs = speed === 'none' ? undefined : this.backoff(speed, s.failures);
      this.opts.onResult?.(key, { ok: false, error, attempt, retryInMs, queuedAt });
      if (retryInMs !== undefined) this.addAfter(key, retryInMs);
    } finally {
      this.processing.delete(key);
      if (this.dirty.delete(key)) this.enqueue(key);
      this.pump();
      if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}

/**
 * A token bucket shared by concurrent callers: `take()` resolves when a token
 * is available, in call order. Sustained `ratePerSecond`, up to `burst` at once.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly waiters: Array<() => void> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst = Math.max(1, ratePerSecond),
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = this.burst;
    this.last = now();
  }

  /** Resolves once a token has been taken. */
  take(): Promise<void> {
    if (this.ratePerSecond === Infinity) return Promise.resolve();
    if (this.waiters.length === 0 && this.tryTake()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.schedule();
    });
  }

  /** Callers waiting for a token. */
  waiting(): number {
    return this.waiters.length;
  }

  private tryTake(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private schedule(): void {
    if (this.timer) return;
    while (this.waiters.length > 0 && this.tryTake()) this.waiters.shift()!();
    if (this.waiters.length === 0) return;
    const waitMs = Math.max(1, Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, boundedDelay(waitMs));
  }
}
