// A small JSON request helper on top of a KubeConfig (auth, CA and client
// certs via applyToHTTPSOptions). Used where the generated client is awkward:
// merge patches on /status with a fallback, leases, events, API discovery and
// informer list functions. Errors carry statusCode and the Status body.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export class KubeHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'KubeHttpError';
  }
}

export interface KubeRequestOptions {
  body?: unknown;
  /** Default application/json; use application/merge-patch+json for merge patches. */
  contentType?: string;
  /** Socket idle timeout (no data for this long). Default 15000. */
  timeoutMs?: number;
  /** Aborts the request (a hard deadline: AbortSignal.timeout), whatever the server does. */
  signal?: AbortSignal;
}

export async function kubeRequest<T = unknown>(
  kc: KubeConfig,
  method: string,
  path: string,
  opts: KubeRequestOptions = {},
): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  const options: https.RequestOptions = {
    method,
    hostname: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers: { Accept: 'application/json' },
    timeout: opts.timeoutMs ?? 15_000,
    signal: opts.signal,
  };
  await kc.applyToHTTPSOptions(options);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  if (payload !== undefined) {
    options.headers = { ...options.headers, 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) };
  }
  const mod = url.protocol === 'http:' ? http : https;
  return new Promise<T>((resolve, reject) => {
    const req = mod.request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(json as T);
        const msg = (json as { message?: string } | undefined)?.message ?? text.slice(0, 200);
        reject(new KubeHttpError(status, `${method} ${url.pathname}: ${status} ${msg}`, json));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export function isStatus(err: unknown, code: number): boolean {
  return err instanceof KubeHttpError && err.statusCode === code;
}
