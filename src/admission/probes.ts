// GET /healthz, /readyz and /metrics: the answers, shared by the fast path (GET) and the express
// app (HEAD), so both send the same bytes with the same headers.
import { registry } from '../metrics.js';

export interface ProbeOptions {
  /** Not-ready reasons (empty = ready). */
  readiness?: () => string[];
  /** The text of GET /metrics. */
  metrics: () => Promise<string>;
}

export interface ProbeAnswer {
  status: number;
  contentType: string;
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** The answer for a probe path, or undefined when `path` is none of them. Rejects when the metrics fail. */
export function probe(path: string, o: ProbeOptions): Promise<ProbeAnswer> | undefined {
  switch (path) {
    case '/healthz':
      return Promise.resolve({ status: 200, contentType: JSON_TYPE, body: JSON.stringify({ status: 'ok' }) });
    case '/readyz': {
      const reasons = o.readiness?.() ?? [];
      const body = reasons.length ? { status: 'not ready', reasons } : { status: 'ok' };
      return Promise.resolve({ status: reasons.length ? 503 : 200, contentType: JSON_TYPE, body: JSON.stringify(body) });
    }
    case '/metrics':
      return o.metrics().then((text) => ({ status: 200, contentType: registry.contentType, body: text }));
    default:
      return undefined;
  }
}
