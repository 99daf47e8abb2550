// Federation metrics (amko_federation_*), created once per process.
import { counter, gauge, histogram } from '../metrics.js';

export const federationMetrics = {
  reconciles: counter({
    name: 'amko_federation_reconciles_total',
    help: 'Federation reconciles by outcome (ok, error, follower, none, invalid).',
    labelNames: ['result'] as const,
  }),
  reconcileSeconds: histogram({
    name: 'amko_federation_reconcile_duration_seconds',
    help: 'Duration of one federation reconcile.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  }),
  writes: counter({
    name: 'amko_federation_object_writes_total',
    help: 'Objects written to member clusters by the federator.',
    labelNames: ['cluster', 'kind', 'op'] as const,
  }),
  memberUp: gauge({
    name: 'amko_federation_member_up',
    help: '1 when the member cluster was reachable and valid at the last reconcile, else 0.',
    labelNames: ['cluster'] as const,
  }),
};
