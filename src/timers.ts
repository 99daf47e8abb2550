// Node stores a timer's delay as a signed 32-bit count of milliseconds: a delay above 2^31-1 ms
// (24.8 days) is replaced by 1 ms (with a TimeoutOverflowWarning), so a long interval turns into
// a busy loop. Every setTimeout/setInterval in src/ whose delay is not a literal takes it through
// boundedDelay (test/timers.test.ts checks the source for it).

/** The longest delay a Node timer keeps: 2^31-1 ms, about 24.8 days. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * `ms` clamped to 0…MAX_TIMER_DELAY_MS. A longer wait fires after 24.8 days instead of after 1 ms;
 * every caller re-checks its condition when it wakes (resyncs, wake-ups, backoffs) or is a
 * timeout no one sets that long. NaN becomes 0, as Node treats it.
 */
export function boundedDelay(ms: number): number {
  if (Number.isNaN(ms)) return 0;
  return Math.min(Math.max(ms, 0), MAX_TIMER_DELAY_MS);
}
