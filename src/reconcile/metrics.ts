// Worker metrics (names amko_worker_* / amko_sync_*), created once per process. The gauges of the
// worker's state (queue, members, informers, skipped objects) are read from the running workers when
// /metrics is scraped (readOnScrape), so a worker does no metrics work between scrapes.
import { counter, gauge, histogram } from '../metrics.js';

const readers = new Set<() => void>();
let read = false;

/** Registers a running worker's gauge update, run once per scrape; returns the unregister function. */
export function readOnScrape(update: () => void): () => void {
  readers.add(update);
  return () => readers.delete(update);
}

/** Every gauge below asks on its read; the readers run once per scrape (the registry reads its metrics within one turn of the event loop). */
function readWorkers(): void {
  if (read) return;
  read = true;
  setImmediate(() => (read = false));
  for (const update of readers) update();
}

export const workerMetrics = {
  queueDepth: gauge({ name: 'amko_worker_queue_depth', help: 'GslbService keys waiting in the work queue (queued or in backoff).', collect: readWorkers }),
  inFlight: gauge({ name: 'amko_worker_queue_in_flight', help: 'GslbService keys being processed.', collect: readWorkers }),
  syncLatency: histogram({
    name: 'amko_sync_latency_seconds',
    help: 'Time from the first event that dirtied a key to the Avi write that applied it.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  }),
  syncs: counter({
    name: 'amko_sync_keys_total',
    help: 'Processed GslbService keys by result (ok, error) and whether anything was written.',
    labelNames: ['result', 'wrote'] as const,
  }),
  operations: counter({
    name: 'amko_sync_operations_total',
    help: 'Avi write operations by kind (create-gs, update-gs, delete-gs, create-hm, update-hm, delete-hm) and result.',
    labelNames: ['op', 'result'] as const,
  }),
  aviCalls: counter({
    name: 'amko_worker_avi_calls_total',
    help: 'Avi API calls made by the worker, by verb (client method) and result (ok or the error class).',
    labelNames: ['verb', 'result'] as const,
  }),
  members: gauge({ name: 'amko_worker_members', help: 'Selected member records per member cluster.', labelNames: ['cluster'] as const, collect: readWorkers }),
  membersSkipped: gauge({
    name: 'amko_worker_members_skipped',
    help: 'Objects the GDP selects that produce no member (not synced), per member cluster and reason (missing-ako-uuids, no-ip, tenant-mismatch, ...).',
    labelNames: ['cluster', 'reason'] as const,
    collect: readWorkers,
  }),
  informerAge: gauge({
    name: 'amko_worker_informer_last_event_age_seconds',
    help: 'Seconds since the last list or watch event of a member-cluster informer (grows while a watch is stalled).',
    labelNames: ['cluster', 'resource'] as const,
    collect: readWorkers,
  }),
  informerRestarts: gauge({
    name: 'amko_worker_informer_restarts',
    help: 'Times a member-cluster informer was restarted after its watch failed.',
    labelNames: ['cluster', 'resource'] as const,
    collect: readWorkers,
  }),
  informerRelists: counter({
    name: 'amko_worker_informer_relists_total',
    help: 'Relists of member-cluster informers whose watch was silent longer than the stall threshold, by result (idle: cache current; stalled: the watch missed changes and was restarted; error).',
    labelNames: ['cluster', 'resource', 'result'] as const,
  }),
  clusterUp: gauge({
    name: 'amko_worker_member_cluster_up',
    help: '1 when the member cluster is connected and its informers synced, 0 while it is retried.',
    labelNames: ['cluster'] as const,
    collect: readWorkers,
  }),
  leader: gauge({ name: 'amko_worker_is_leader', help: '1 on the replica that holds the lease and runs the sync.' }),
  resyncs: counter({ name: 'amko_sync_full_resyncs_total', help: 'Full resyncs against the Avi controller, by result.', labelNames: ['result'] as const }),
  aviAuthBlocked: gauge({
    name: 'amko_avi_auth_blocked',
    help: '1 while logins to the Avi controller wait after refused logins (until the credentials Secret or the GSLBConfig changes, or the backoff ends).',
  }),
  managedGs: gauge({ name: 'amko_sync_gslbservices', help: 'GslbServices this instance owns on the controller (cache).', collect: readWorkers }),
};
