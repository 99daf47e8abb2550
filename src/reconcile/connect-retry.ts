// When the config step may connect to the Avi controller again after a failed
// attempt. A refused login is the failure that costs something: the controller
// locks an account after a few consecutive failed logins (3 with its default
// user account profile), and a locked account refuses even the right password.
// So at most LOGINS_BEFORE_BLOCK consecutive refused logins are made on timers;
// after that, logins wait until the credentials Secret or the GSLBConfig
// changes (then one attempt at once) or a capped exponential backoff ends,
// whichever comes first. Failures of a non-retryable class (an untrusted
// certificate, a bad request) back off exponentially to the same cap;
// transient ones (transport, timeout, 5xx) retry at the plain retry delay.
// The counts are per process: a replica that takes over starts from zero.
import { isAviError, type AviError } from '../avi/errors.js';
import { backoffDelay } from '../backoff.js';

/** Consecutive refused logins made on timers before logins wait for a change of the Secret or the GSLBConfig. */
export const LOGINS_BEFORE_BLOCK = 2;
/** First backoff once logins are blocked; it doubles per further refusal up to MAX_CONNECT_BACKOFF_MS. */
export const BLOCKED_LOGIN_BACKOFF_MS = 5 * 60_000;
/** Cap of every backoff of the connection to the controller. */
export const MAX_CONNECT_BACKOFF_MS = 30 * 60_000;

/** A login the controller refused (wrong credentials or a locked account). */
export function isLoginRefusal(err: unknown): err is AviError {
  return isAviError(err) && err.invalidCredentials;
}

export interface RefusalVerdict {
  /** Consecutive refused logins, this one included. */
  refusals: number;
  /** Logins now wait for a change of the Secret or the GSLBConfig (or the backoff). */
  blocked: boolean;
  retryInMs: number;
}

export class ConnectRetry {
  private refusals = 0;
  private lastRefusal?: AviError;
  private failures = 0;
  private failedSince = false;
  private nextAt = 0;
  /** Fingerprint of the Secret and GSLBConfig the last failure happened with. */
  private inputs?: string;

  constructor(
    private readonly retryDelayMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logins wait for a change of their inputs or the backoff. */
  get blocked(): boolean {
    return this.refusals >= LOGINS_BEFORE_BLOCK;
  }

  /**
   * An attempt failed since the last successful connection: the next one uses a new client (a client never
   * repeats a refused login, and reads the controller CA only when it is built).
   */
  get failedSinceConnected(): boolean {
    return this.failedSince;
  }

  /** Milliseconds before a connection with `inputs` may be tried; 0 = now. Changed inputs may be tried at once. */
  waitMs(inputs: string): number {
    if (this.inputs === undefined || this.inputs !== inputs) return 0;
    return Math.max(0, this.nextAt - this.now());
  }

  /**
   * A refused login. A client rethrows its one refusal (the same error object) on every later call, so each
   * refusal counts once; undefined when this one was counted already.
   */
  loginRefused(err: AviError, inputs: string): RefusalVerdict | undefined {
    if (err === this.lastRefusal) return undefined;
    this.lastRefusal = err;
    this.refusals++;
    const retryInMs = this.blocked ? this.blockedBackoff() : this.retryDelayMs;
    this.arm(inputs, retryInMs);
    return { refusals: this.refusals, blocked: this.blocked, retryInMs };
  }

  /** Any other failed connection attempt; returns the delay before the next one. */
  failed(err: unknown, inputs: string): number {
    const permanent = isAviError(err) && !err.retryable;
    this.failures = permanent ? this.failures + 1 : 0;
    let retryInMs = permanent ? backoffDelay(this.failures, this.retryDelayMs, MAX_CONNECT_BACKOFF_MS) : this.retryDelayMs;
    // While logins are blocked, no failure of another kind brings the next login closer.
    if (this.blocked) retryInMs = Math.max(retryInMs, this.blockedBackoff());
    this.arm(inputs, retryInMs);
    return retryInMs;
  }

  /** Logged in and talked to the controller: everything starts over. */
  connected(): void {
    this.refusals = 0;
    this.failures = 0;
    this.lastRefusal = undefined;
    this.failedSince = false;
    this.inputs = undefined;
    this.nextAt = 0;
  }

  private blockedBackoff(): number {
    return backoffDelay(this.refusals - LOGINS_BEFORE_BLOCK + 1, BLOCKED_LOGIN_BACKOFF_MS, MAX_CONNECT_BACKOFF_MS);
  }

  private arm(inputs: string, retryInMs: number): void {
    this.failedSince = true;
    this.inputs = inputs;
    this.nextAt = this.now() + retryInMs;
  }
}
