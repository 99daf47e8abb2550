// Admission metrics (prom-client, shared registry from src/metrics.ts).
import { counter, histogram } from '../metrics.js';

export const admissionRequests = counter({
  name: 'amko_admission_requests_total',
  help: 'Admission requests by webhook (validate/mutate), kind, operation and result (allowed, denied, error, bad_request).',
  labelNames: ['webhook', 'kind', 'operation', 'result'] as const,
});

export const admissionDuration = histogram({
  name: 'amko_admission_request_duration_seconds',
  help: 'Time to answer an admission request, by webhook.',
  labelNames: ['webhook'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
});

export const admissionRejections = counter({
  name: 'amko_admission_rejections_total',
  help: 'Denied admission requests by kind and rule id (one increment per distinct rule of a denial).',
  labelNames: ['kind', 'rule'] as const,
});
