// The embedded reconcile worker: the GSLB sync loop from member clusters to the Avi GSLB leader.
import { ReconcileWorker, type ReconcileWorkerOptions } from './worker.js';

export { ReconcileWorker, GC_STATE, type ReconcileWorkerOptions } from './worker.js';

/** The worker as a process part: `{ name, start(), stop(), ready() }`. */
export function createReconcileWorker(options: ReconcileWorkerOptions): ReconcileWorker {
  return new ReconcileWorker(options);
}
