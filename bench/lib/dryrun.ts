// Server-side dry-run CREATEs against a kube-apiserver, the way kubectl and client-go talk to it:
// one HTTP/2 connection with the admin client certificate, `concurrency` requests in flight.
import type http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import { percentile, round, sortedCopy } from './common.js';
import { connect, request, type Answer, type ApiServerClient } from './h2.js';

export type { Answer, ApiServerClient };

export interface DryRunResult {
  requests: number;
  seconds: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  statuses: Record<string, number>;
}

const post = (session: http2.ClientHttp2Session, path: string, body: string) => request(session, 'POST', path, body);

/** One request on a fresh connection (for probes). */
export async function dryRunOnce(c: ApiServerClient, path: string, body: unknown): Promise<Answer> {
  const session = connect(c);
  try {
    return await post(session, `${path}?dryRun=All`, JSON.stringify(body));
  } finally {
    session.close();
  }
}

/** `warmup` + `n` dry-run CREATEs of `body` at a fixed concurrency; figures over the last `n`. */
export async function dryRunLoad(c: ApiServerClient, path: string, body: unknown, opts: { n: number; warmup: number; concurrency: number }): Promise<DryRunResult> {
  const session = connect(c);
  const text = JSON.stringify(body);
  const url = `${path}?dryRun=All`;
  const total = opts.warmup + opts.n;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  let measuredStart = 0;
  let measuredEnd = 0;
  try {
    const loop = async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = performance.now();
        if (i === opts.warmup) measuredStart = t0;
        const a = await post(session, url, text);
        const t1 = performance.now();
        if (i < opts.warmup) continue;
        latencies.push(t1 - t0);
        statuses[a.status] = (statuses[a.status] ?? 0) + 1;
        measuredEnd = Math.max(measuredEnd, t1);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, loop));
  } finally {
    session.close();
  }
  const sorted = sortedCopy(latencies);
  const seconds = (measuredEnd - measuredStart) / 1000;
  return {
    requests: latencies.length,
    seconds: round(seconds, 3),
    rps: round(latencies.length / seconds, 1),
    latencyMs: {
      p50: round(percentile(sorted, 50), 2),
      p90: round(percentile(sorted, 90), 2),
      p99: round(percentile(sorted, 99), 2),
      max: round(sorted[sorted.length - 1] ?? NaN, 2),
    },
    statuses,
  };
}
