// Capped exponential backoff: the one formula behind every retry timer of the
// product (informers, member clusters, the work queue, certificates,
// federation, the Avi connection).

/** `initialMs · 2^(attempt − 1)`, at most `maxMs` (attempt 1 waits initialMs). The exponent is bounded, so it never overflows. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

/** A delay drawn uniformly from [ms/2, ms]: clients that failed together do not retry together. */
export function jittered(ms: number): number {
  return Math.round(ms / 2 + Math.random() * (ms / 2));
}
