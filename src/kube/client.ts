// One client per Kubernetes cluster connection (cluster + user) in the process,
// with one keep-alive agent that every request to that cluster goes through:
// JSON requests and watch streams alike (connection.ts applies the TLS settings
// and credentials; client-node is loaded only for a cluster whose auth needs it).
import http from 'node:http';
import https from 'node:https';
import type { Cluster, KubeConfigLike, User } from './config.js';
import { openConnection, type Connection } from './connection.js';
import { KubeHttpError } from './errors.js';
import { WatchEventParser, type WatchEvent } from './watch-stream.js';
import { boundedDelay } from '../timers.js';

export interface KubeRequestOptions {
  body?: unknown;
  /** Default application/json; application/merge-patch+json for merge patches. */
  contentType?: string;
  /** Time limit of the whole request (a hung or trickling server must not stall the caller). Default 15 s. */
  timeoutMs?: number;
  /** Aborts the request (e.g. a hard deadline of the caller), whatever the server does. */
  signal?: AbortSignal;
}

/** An open watch stream. */
export interface WatchHandle {
  /** Ends the stream; its `done` callback is not called. */
  abort(): void;
}

/** Time limit for a watch's response headers (the stream itself has none). */
const WATCH_OPEN_TIMEOUT_MS = 15_000;

/** JSON requests to one cluster; errors carry the status code and the Status body (KubeHttpError). */
export class KubeClient {
  private readonly cluster: Cluster | null;
  private readonly user: User | null;
  private connection?: Promise<Connection>;

  constructor(kc: KubeConfigLike) {
    this.cluster = kc.getCurrentCluster();
    this.user = kc.getCurrentUser();
  }

  get server(): string | undefined {
    return this.cluster?.server;
  }

  async request<T = unknown>(method: string, path: string, opts: KubeRequestOptions = {}): Promise<T> {
    const { url, options } = await this.prepare(method, path, opts.signal);
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (payload !== undefined) {
      options.headers = { ...options.headers, 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) };
    }
    const timeoutMs = opts.timeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    return new Promise<T>((resolve, reject) => {
      const req = (url.protocol === 'http:' ? http : https).request(options, (res) => {
        readBody(res).then((text) => {
          const json = parseJson(text);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(json as T);
          reject(httpError(method, url, status, text, json));
        }, reject);
      });
      timer = setTimeout(() => req.destroy(new Error(`${method} ${url.pathname}: no answer within ${timeoutMs} ms`)), boundedDelay(timeoutMs));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    }).finally(() => clearTimeout(timer));
  }

  /** Lists a collection. */
  async list<T>(path: string, opts: KubeRequestOptions = {}): Promise<T[]> {
    return (await this.request<{ items?: T[] }>('GET', path, opts)).items ?? [];
  }

  /**
   * Opens a watch (`?watch=true` plus `query`) and calls `onEvent` for every event. Resolves once the server has
   * answered; `done` is called once when the stream ends: without an error when the server closed it (e.g. its
   * timeoutSeconds), with a KubeHttpError when the server refused the watch (410 Gone included), or with the
   * transport error. Not after abort().
   */
  async watch(path: string, query: Record<string, string | number | boolean | undefined>, onEvent: (e: WatchEvent) => void, done: (err?: unknown) => void): Promise<WatchHandle> {
    const params = new URLSearchParams({ watch: 'true' });
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const { url, options } = await this.prepare('GET', `${path}${path.includes('?') ? '&' : '?'}${params.toString()}`);
    let finished = false;
    const finish = (err?: unknown) => {
      if (finished) return;
      finished = true;
      clearTimeout(openTimer);
      done(err);
    };
    let openTimer: NodeJS.Timeout | undefined;
    const req = (url.protocol === 'http:' ? http : https).request(options);
    let responded = false;
    const opened = new Promise<void>((resolve) => {
      req.on('response', (res) => {
        responded = true;
        clearTimeout(openTimer);
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          // Refused (e.g. 410 Gone, 404 for an API that is not installed): `done` has the error before watch() resolves.
          readBody(res)
            .then((text) => finish(httpError('WATCH', url, status, text, parseJson(text))), finish)
            .finally(resolve);
          return;
        }
        resolve();
        const parser = new WatchEventParser();
        const deliver = (events: WatchEvent[]) => {
          for (const e of events) {
            if (finished) return;
            onEvent(e);
          }
        };
        res.on('data', (chunk: Buffer) => deliver(parser.push(chunk)));
        res.on('end', () => {
          deliver(parser.end());
          finish();
        });
        res.on('error', finish);
        res.on('close', () => {
          if (!res.complete) finish(new Error(`WATCH ${url.pathname}: connection lost`));
        });
      });
      req.on('error', (err) => {
        resolve();
        finish(err);
      });
      req.on('close', () => {
        if (responded) return;
        resolve();
        finish(new Error(`WATCH ${url.pathname}: connection closed`));
      });
    });
    openTimer = setTimeout(() => req.destroy(new Error(`WATCH ${url.pathname}: no answer within ${WATCH_OPEN_TIMEOUT_MS} ms`)), boundedDelay(WATCH_OPEN_TIMEOUT_MS));
    req.end();
    await opened;
    return {
      abort() {
        finished = true;
        clearTimeout(openTimer);
        req.destroy();
      },
    };
  }

  /** Closes the pooled connections (the client stays usable: the next request opens a new one). */
  close(): void {
    void this.connection?.then((c) => c.close(), () => undefined);
  }

  private async prepare(method: string, path: string, signal?: AbortSignal): Promise<{ url: URL; options: https.RequestOptions }> {
    const cluster = this.cluster;
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    // Appended, not resolved: a server behind a path prefix (e.g. a cluster proxied by Rancher at
    // https://host/k8s/clusters/<id>) keeps it, as kubectl and client-node keep it.
    const url = new URL(cluster.server + (path.startsWith('/') ? path : `/${path}`));
    const options: https.RequestOptions = {
      method,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: { Accept: 'application/json' },
      signal,
    };
    this.connection ??= openConnection(cluster, this.user);
    // A failed open (e.g. client-node missing) is tried again by the next request.
    const connection = await this.connection.catch((err: unknown) => {
      this.connection = undefined;
      throw err;
    });
    await connection.apply(options);
    return { url, options };
  }
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('close', () => {
      if (!res.complete) reject(new Error('connection lost before the whole answer'));
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function httpError(method: string, url: URL, status: number, text: string, json: unknown): KubeHttpError {
  const msg = (json as { message?: string } | undefined)?.message ?? text.slice(0, 200);
  return new KubeHttpError(status, `${method} ${url.pathname}: ${status} ${msg}`, json);
}

const clients = new Map<string, KubeClient>();

/**
 * The client of `kc`'s current cluster and user. One per (cluster, user) in the process, so the
 * worker, the federator, the informers and the admission view share one connection pool per cluster.
 */
export function kubeClient(kc: KubeConfigLike): KubeClient {
  const key = JSON.stringify([kc.getCurrentCluster() ?? null, kc.getCurrentUser() ?? null]);
  let c = clients.get(key);
  if (!c) clients.set(key, (c = new KubeClient(kc)));
  return c;
}

/** One request through the client of `kc`'s cluster (kubeClient(kc).request). */
export function kubeRequest<T = unknown>(kc: KubeConfigLike, method: string, path: string, opts?: KubeRequestOptions): Promise<T> {
  return kubeClient(kc).request<T>(method, path, opts);
}
