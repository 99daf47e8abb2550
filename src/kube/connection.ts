// How requests reach one cluster as one user: the TLS settings of one shared
// keep-alive agent (rebuilt only when the TLS material changes, e.g. a rotated
// client certificate) and the auth headers.
//
// Static credentials are applied here: CA, client certificate and key (data or
// file, files read again on each request as client-node does), token, token
// file (re-read every minute: bound service-account tokens rotate), basic auth,
// impersonation, insecure-skip-tls-verify, tls-server-name. Credential plugins
// (`exec`), auth providers (oidc, gcp, azure) and proxies (`proxy-url`) are
// client-node's job: for such a cluster client-node is loaded (client-node-
// connection.ts) and applies them exactly as it always did. client-node costs
// ~75 MiB and ~0.4 s to load, so the common path (certificates, tokens) does not
// load it at all.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Cluster, User } from './config.js';

/** Fills in the agent, TLS settings and headers of one request to the cluster. */
export interface Connection {
  apply(opts: https.RequestOptions): Promise<void>;
  /** Closes the pooled connections (the next request opens a new one). */
  close(): void;
}

/** TLS settings of an agent. */
const TLS_KEYS = ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername'] as const;
export type TlsSettings = Pick<https.AgentOptions, (typeof TLS_KEYS)[number]>;

const same = (a: unknown, b: unknown) => a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));

/** How long an idle pooled connection is kept open. */
const IDLE_SOCKET_MS = 60_000;
/** How long a token read from a token file is used before the file is read again (client-go's period). */
const TOKEN_FILE_TTL_MS = 60_000;

/** One keep-alive agent, replaced when the TLS settings it was built with change. */
export class SharedAgent {
  private agent?: http.Agent;
  private tls?: TlsSettings;

  get(plain: boolean, opts: TlsSettings): http.Agent {
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

/** The client-node auth provider that only names a token file (what client-node's in-cluster config uses). */
function tokenFileProvider(user: User): string | undefined {
  const p = user.authProvider as { config?: { tokenFile?: unknown } } | null | undefined;
  const f = p?.config?.tokenFile;
  return typeof f === 'string' && f ? f : undefined;
}

/** True when the connection needs client-node: a credential plugin, an auth provider, or a proxy. */
export function needsClientNode(cluster: Cluster, user: User | null): boolean {
  if (cluster.proxyUrl) return true;
  if (!user) return false;
  return Boolean(user.exec) || (Boolean(user.authProvider) && !tokenFileProvider(user));
}

const fileOrData = (file: string | null | undefined, data: string | null | undefined): Buffer | undefined =>
  file ? readFileSync(file) : data ? Buffer.from(data, 'base64') : undefined;

/** A connection with static credentials (no client-node). */
export class StaticConnection implements Connection {
  private readonly agent = new SharedAgent();
  private token?: { value: string; readAt: number };

  constructor(
    private readonly cluster: Cluster,
    private readonly user: User | null,
  ) {}

  async apply(opts: https.RequestOptions): Promise<void> {
    const { cluster, user } = this;
    const plain = cluster.server.startsWith('http:');
    // client-node's rule, kept: plain HTTP only when TLS verification is explicitly off.
    if (plain && !cluster.skipTLSVerify) throw new Error('HTTP protocol is not allowed when skipTLSVerify is not set or false');
    const tls: TlsSettings = {
      ca: fileOrData(cluster.caFile, cluster.caData),
      cert: user ? fileOrData(user.certFile, user.certData) : undefined,
      key: user ? fileOrData(user.keyFile, user.keyData) : undefined,
      rejectUnauthorized: cluster.skipTLSVerify ? false : undefined,
      servername: cluster.tlsServerName || undefined,
    };
    opts.agent = this.agent.get(plain, tls);
    const headers = (opts.headers ??= {}) as http.OutgoingHttpHeaders;
    if (!user) return;
    if (user.impersonateUser) headers['Impersonate-User'] = user.impersonateUser;
    const token = user.token || this.fileToken(user.tokenFile ?? tokenFileProvider(user));
    if (token) headers.Authorization = `Bearer ${token}`;
    if (user.username) opts.auth = `${user.username}:${user.password ?? ''}`;
  }

  private fileToken(file: string | undefined): string | undefined {
    if (!file) return undefined;
    const now = Date.now();
    if (!this.token || now - this.token.readAt > TOKEN_FILE_TTL_MS) this.token = { value: readFileSync(file, 'utf8').trim(), readAt: now };
    return this.token.value;
  }

  close(): void {
    this.agent.close();
  }
}

/** The connection of a cluster and user: static, or through client-node (loaded on first use) when its auth needs it. */
export async function openConnection(cluster: Cluster, user: User | null): Promise<Connection> {
  if (!needsClientNode(cluster, user)) return new StaticConnection(cluster, user);
  return (await import('./client-node-connection.js')).clientNodeConnection(cluster, user);
}
