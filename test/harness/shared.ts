// One set of real control planes shared by every e2e test file of a mocha run.
// Started lazily on first use; stopped by the root hook in ./hooks.ts.
import { startControlPlanes, type ControlPlanes } from './control-plane.js';

/**
 * Shape of the shared set (fixed for the whole run so every file sees the same
 * clusters): AMKO_TEST_CLUSTERS clusters (default 3: a leader and two members),
 * kube-apiserver watch cache OFF so compactEtcd() deterministically expires
 * watches (410 Gone) for any test that needs it.
 */
export const SHARED_CLUSTERS = Number(process.env.AMKO_TEST_CLUSTERS ?? 3);
export const SHARED_WATCH_CACHE = process.env.AMKO_TEST_WATCH_CACHE === 'true';

let starting: Promise<ControlPlanes> | undefined;
let real: ControlPlanes | undefined;

/**
 * The shared control planes. Test code must not stop them (stop() throws); it
 * may restart/stop/start individual API servers but must leave them running
 * (call startApiServer again) when done, and should clean up its own objects.
 * Call it from a before() hook with a long timeout (cold start ~10 s, or a
 * full tool build on a fresh machine).
 */
export function sharedControlPlanes(): Promise<ControlPlanes> {
  starting ??= startControlPlanes({
    clusters: SHARED_CLUSTERS,
    watchCache: SHARED_WATCH_CACHE,
    log: process.env.AMKO_TEST_VERBOSE ? (m) => process.stderr.write(`[harness] ${m}\n`) : undefined,
  }).then(
    (cp) => {
      real = cp;
      return {
        ...cp,
        stop: async () => {
          throw new Error('the shared control planes are stopped by the mocha root hook (test/harness/hooks.ts), not by tests');
        },
      };
    },
    (e: unknown) => {
      starting = undefined; // allow a later retry
      throw e;
    },
  );
  return starting;
}

/** Stops the shared control planes if they were started. Idempotent. */
export async function stopSharedControlPlanes(): Promise<void> {
  const p = starting;
  starting = undefined;
  if (!p) return;
  await p.catch(() => undefined);
  const cp = real;
  real = undefined;
  await cp?.stop();
}
