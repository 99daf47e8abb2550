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

export const admissionDirectReads = counter({
  name: 'amko_admission_direct_reads_total',
  help: 'Kinds the webhook read from the API server before answering (the cache could lag: a denial to confirm, a watch not live, no GSLBConfig cached), by kind.',
  labelNames: ['kind'] as const,
});

// Per-request updates through cached label children: prom-client validates and looks up the
// labels on every `inc({...})`; a child per label set skips that. Label values come from the
// request (operation), so the caches are bounded; past the bound, updates go the slow way.
const MAX_CHILDREN = 1000;
type Inc = { inc(value?: number): void };
const requestChildren = new Map<string, Inc>();
const rejectionChildren = new Map<string, Inc>();
const durationChildren = new Map<string, { observe(value: number): void }>();

function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let child = cache.get(key);
  if (child === undefined) {
    child = make();
    if (cache.size < MAX_CHILDREN) cache.set(key, child);
  }
  return child;
}

export function countRequest(webhook: string, kind: string, operation: string, result: string): void {
  const key = `${webhook}\u0000${kind}\u0000${operation}\u0000${result}`;
  cached(requestChildren, key, () => admissionRequests.labels({ webhook, kind, operation, result })).inc();
}

/** Counts a request refused before any decision (bad body, bad content type). */
export function countBadRequest(webhook: string): void {
  countRequest(webhook, '', '', 'bad_request');
}

export function countRejection(kind: string, rule: string): void {
  cached(rejectionChildren, `${kind}\u0000${rule}`, () => admissionRejections.labels({ kind, rule })).inc();
}

export function countDirectReads(kinds: readonly string[]): void {
  for (const kind of kinds) admissionDirectReads.labels({ kind }).inc();
}

export function observeDuration(webhook: string, seconds: number): void {
  cached(durationChildren, webhook, () => admissionDuration.labels({ webhook })).observe(seconds);
}
