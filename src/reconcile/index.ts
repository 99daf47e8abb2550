// The embedded reconcile worker: the GSLB sync loop from member clusters to the Avi GSLB leader.
import { ReconcileWorker, type ReconcileWorkerOptions } from './worker.js';

export { ReconcileWorker, GC_STATE, instrumentAvi, type ReconcileWorkerOptions, type AviConnection } from './worker.js';
export { WorkQueue, type WorkQueueOptions, type RetrySpeed } from './queue.js';
export { diffKey, describeOperation, canonGs, canonHm, gsChanges, type Operation, type FieldChange } from './diff.js';
export * from './members/index.js';
export * from './desired/index.js';

/** The component `amko serve` runs: `{ name, start(), stop(), ready() }`. */
export function createReconcileWorker(options: ReconcileWorkerOptions): ReconcileWorker {
  return new ReconcileWorker(options);
}
