// One client per Kubernetes cluster connection (cluster + user) in the process,
// with one keep-alive agent that every request to that cluster goes through:
// our JSON requests, client-node's Watch and the generated API clients.
// client-node 1.4 builds a new https.Agent for every request (so every LIST
// costs a TCP connection and a full TLS handshake); the KubeConfig the client
// hands out replaces that agent with the shared one. Behind an HTTP(S)/SOCKS
// proxy (cluster.proxyUrl) client-node's own proxy agent is kept.
import http from 'node:http';
import https from 'node:https';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { KubeHttpError } from './errors.js';
import { boundedDelay } from '../timers.js';

/** TLS settings of an agent (what applyToHTTPSOptions fills in from the kubeconfig). */
const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;
type TlsSettings = Pick<https.AgentOptions, (typeof TLS_KEYS)[number]>;

const same = (a: unknown, b: unknown) => a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));

/** How long an idle pooled connection is kept open. */
const IDLE_SOCKET_MS = 60_000;

/** A KubeConfig whose requests all use one keep-alive agent (rebuilt only when the TLS material changes, e.g. a rotated client certificate). */
class PooledKubeConfig extends KubeConfig {
  private agent?: http.Agent;
  private tls?: TlsSettings;

  override async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    await super.applyToHTTPSOptions(opts);
    const cluster = this.getCurrentCluster();
    if (!cluster || cluster.proxyUrl) return;
    opts.agent = this.sharedAgent(cluster.server.startsWith('http:'), opts);
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const opts: https.RequestOptions = {};
    await this.applyToHTTPSOptions(opts);
    if (opts.agent instanceof http.Agent) context.setAgent(opts.agent);
  }

  private sharedAgent(plain: boolean, opts: https.RequestOptions): http.Agent {
    const tls = Object.fromEntries(TLS_KEYS.map((k) => [k, opts[k]])) as TlsSettings;
    if (this.agent && this.tls && TLS_KEYS.every((k) => same(this.tls![k], tls[k]))) return this.agent;
    this.agent?.destroy();
    this.tls = tls;
    this.agent = plain
      ? new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS })
      : new https.Agent({ ...tls, keepAlive: true, timeout: IDLE_SOCKET_MS });
    return this.agent;
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}

export interface KubeRequestOptions {
  body?: unknown;
  /** Default application/json; application/merge-patch+json for merge patches. */
  contentType?: string;
  /** Time limit of the whole request (a hung or trickling server must not stall the caller). Default 15 s. */
  timeoutMs?: number;
  /** Aborts the request (e.g. a hard deadline of the caller), whatever the server does. */
  signal?: AbortSignal;
}

/** JSON requests to one cluster; errors carry the status code and the Status body (KubeHttpError). */
export class KubeClient {
  /** For client-node parts (Watch, generated API clients): every request it makes uses this client's agent. */
  readonly kubeConfig: KubeConfig;

  constructor(kc: KubeConfig) {
    const pooled = new PooledKubeConfig();
    const context = kc.getContextObject(kc.getCurrentContext());
    const cluster = kc.getCurrentCluster();
    const user = kc.getCurrentUser();
    pooled.loadFromOptions({
      clusters: cluster ? [cluster] : [],
      users: user ? [user] : [],
      contexts: context ? [context] : [],
      currentContext: kc.getCurrentContext(),
    });
    this.kubeConfig = pooled;
  }

  get server(): string | undefined {
    return this.kubeConfig.getCurrentCluster()?.server;
  }

  async request<T = unknown>(method: string, path: string, opts: KubeRequestOptions = {}): Promise<T> {
    const server = this.server;
    if (!server) throw new Error('kubeconfig has no current cluster');
    const url = new URL(path, server);
    const options: https.RequestOptions = {
      method,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: { Accept: 'application/json' },
      signal: opts.signal,
    };
    await this.kubeConfig.applyToHTTPSOptions(options);
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (payload !== undefined) {
      options.headers = { ...options.headers, 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) };
    }
    const mod = url.protocol === 'http:' ? http : https;
    const timeoutMs = opts.timeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
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

  /** Closes the pooled connections (the client stays usable: the next request opens a new one). */
  close(): void {
    (this.kubeConfig as PooledKubeConfig).close();
  }
}

const clients = new Map<string, KubeClient>();

/**
 * The client of `kc`'s current cluster and user. One per (cluster, user) in the process, so the
 * worker, the federator, the informers and the admission view share one connection pool per cluster.
 */
export function kubeClient(kc: KubeConfig): KubeClient {
  const key = JSON.stringify([kc.getCurrentCluster() ?? null, kc.getCurrentUser() ?? null]);
  let c = clients.get(key);
  if (!c) clients.set(key, (c = new KubeClient(kc)));
  return c;
}

/** One request through the client of `kc`'s cluster (kubeClient(kc).request). */
export function kubeRequest<T = unknown>(kc: KubeConfig, method: string, path: string, opts?: KubeRequestOptions): Promise<T> {
  return kubeClient(kc).request<T>(method, path, opts);
}
