// A kubeconfig: clusters, users, contexts and the current context, read as
// kubectl reads them (relative file paths are relative to the kubeconfig file),
// or the in-cluster service account. The field names are client-node's, so a
// client-node KubeConfig (the tests build them) is a KubeConfigLike too, and a
// cluster/user pair can be handed to client-node unchanged when its auth needs
// it (see connection.ts).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import YAML from 'yaml';

export interface Cluster {
  readonly name: string;
  /** Without a trailing slash. */
  readonly server: string;
  /** certificate-authority-data (base64 PEM). */
  readonly caData?: string;
  /** certificate-authority (a path). */
  readonly caFile?: string;
  readonly skipTLSVerify: boolean;
  readonly tlsServerName?: string;
  readonly proxyUrl?: string;
}

export interface User {
  readonly name: string;
  readonly certData?: string;
  readonly certFile?: string;
  readonly keyData?: string;
  readonly keyFile?: string;
  readonly token?: string;
  /** token-file: read again every minute (bound service-account tokens rotate). */
  readonly tokenFile?: string;
  readonly username?: string;
  readonly password?: string;
  /** `as`: the Impersonate-User header. */
  readonly impersonateUser?: string;
  /** Credential plugin and auth provider: client-node runs them (connection.ts). */
  readonly exec?: unknown;
  readonly authProvider?: unknown;
}

export interface Context {
  readonly name: string;
  readonly cluster: string;
  readonly user?: string;
  readonly namespace?: string;
}

/** What amko reads of a kubeconfig switched to a context: ours below, or a client-node KubeConfig. */
export interface KubeConfigLike {
  getCurrentCluster(): Cluster | null;
  getCurrentUser(): User | null;
  /** The whole kubeconfig as JSON (also the identity of its content). */
  exportConfig(): string;
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

type Raw = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export class KubeConfig implements KubeConfigLike {
  clusters: Cluster[] = [];
  users: User[] = [];
  contexts: Context[] = [];
  currentContext: string | undefined;

  /** Reads a kubeconfig file; its relative paths are taken relative to the file's directory. */
  loadFromFile(file: string): void {
    this.load(readFileSync(file, 'utf8'), path.dirname(path.resolve(file)));
  }

  /** Parses kubeconfig text (YAML or JSON); relative paths stay relative to the working directory. */
  loadFromString(text: string): void {
    this.load(text, undefined);
  }

  /** The pod's service account: KUBERNETES_SERVICE_HOST/PORT, its CA, and its token file (re-read as it rotates). */
  loadFromCluster(root = SERVICE_ACCOUNT): void {
    const host = process.env.KUBERNETES_SERVICE_HOST ?? '';
    const port = process.env.KUBERNETES_SERVICE_PORT ?? '';
    const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
    const h = net.isIPv6(host) ? `[${host}]` : host;
    let namespace: string | undefined;
    try {
      namespace = readFileSync(`${root}/namespace`, 'utf8');
    } catch {
      namespace = undefined;
    }
    this.clusters = [{ name: 'inCluster', server: `${scheme}://${h}:${port}`, caFile: `${root}/ca.crt`, skipTLSVerify: false }];
    this.users = [{ name: 'inClusterUser', tokenFile: `${root}/token` }];
    this.contexts = [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser', namespace }];
    this.currentContext = 'inClusterContext';
  }

  getCurrentContext(): string | undefined {
    return this.currentContext;
  }

  setCurrentContext(name: string): void {
    this.currentContext = name;
  }

  getContextObject(name: string | undefined): Context | null {
    return this.contexts.find((c) => c.name === name) ?? null;
  }

  getCurrentCluster(): Cluster | null {
    const ctx = this.getContextObject(this.currentContext);
    return (ctx && this.clusters.find((c) => c.name === ctx.cluster)) ?? null;
  }

  getCurrentUser(): User | null {
    const ctx = this.getContextObject(this.currentContext);
    return (ctx && this.users.find((u) => u.name === ctx.user)) ?? null;
  }

  exportConfig(): string {
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: this.clusters.map((c) => ({
        name: c.name,
        cluster: {
          server: c.server,
          'certificate-authority-data': c.caData,
          'certificate-authority': c.caFile,
          'insecure-skip-tls-verify': c.skipTLSVerify || undefined,
          'tls-server-name': c.tlsServerName,
          'proxy-url': c.proxyUrl,
        },
      })),
      users: this.users.map((u) => ({
        name: u.name,
        user: {
          'client-certificate-data': u.certData,
          'client-certificate': u.certFile,
          'client-key-data': u.keyData,
          'client-key': u.keyFile,
          token: u.token,
          'token-file': u.tokenFile,
          username: u.username,
          password: u.password,
          as: u.impersonateUser,
          exec: u.exec,
          'auth-provider': u.authProvider,
        },
      })),
      contexts: this.contexts.map((c) => ({ name: c.name, context: { cluster: c.cluster, user: c.user, namespace: c.namespace } })),
      'current-context': this.currentContext,
    });
  }

  private load(text: string, dir: string | undefined): void {
    // JSON (exportConfig's form) skips the YAML parser.
    const doc = ((text.trimStart().startsWith('{') ? JSON.parse(text) : YAML.parse(text)) ?? {}) as Raw;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('kubeconfig: not a mapping');
    const abs = (p: string | undefined) => (p && dir && !path.isAbsolute(p) ? path.join(dir, p) : p);
    const entries = (key: string, body: string): Array<{ name: string; body: Raw }> =>
      (Array.isArray(doc[key]) ? (doc[key] as Raw[]) : []).map((e, i) => {
        const name = str(e?.name);
        if (!name) throw new Error(`kubeconfig: ${key}[${i}].name is missing`);
        const b = e[body];
        if (!b || typeof b !== 'object') {
          if (key === 'users') return { name, body: {} };
          throw new Error(`kubeconfig: ${key}[${i}].${body} is missing`);
        }
        return { name, body: b as Raw };
      });
    this.clusters = entries('clusters', 'cluster').map(({ name, body: c }, i) => {
      const server = str(c.server);
      if (!server) throw new Error(`kubeconfig: clusters[${i}].cluster.server is missing`);
      return {
        name,
        server: server.replace(/\/$/, ''),
        caData: str(c['certificate-authority-data']),
        caFile: abs(str(c['certificate-authority'])),
        skipTLSVerify: c['insecure-skip-tls-verify'] === true,
        tlsServerName: str(c['tls-server-name']),
        proxyUrl: str(c['proxy-url']),
      };
    });
    this.users = entries('users', 'user').map(({ name, body: u }) => {
      const exec = u.exec as Raw | undefined;
      // kubectl resolves an exec command given as a relative path (not a bare name looked up in PATH).
      const command = str(exec?.command);
      const resolvedExec = exec && command?.includes(path.sep) ? { ...exec, command: abs(command) } : exec;
      return {
        name,
        certData: str(u['client-certificate-data']),
        certFile: abs(str(u['client-certificate'])),
        keyData: str(u['client-key-data']),
        keyFile: abs(str(u['client-key'])),
        token: str(u.token),
        tokenFile: abs(str(u['token-file'])),
        username: str(u.username),
        password: str(u.password),
        impersonateUser: str(u.as),
        exec: resolvedExec ?? undefined,
        authProvider: u['auth-provider'] ?? undefined,
      };
    });
    this.contexts = entries('contexts', 'context').map(({ name, body: c }, i) => {
      const cluster = str(c.cluster);
      if (!cluster) throw new Error(`kubeconfig: contexts[${i}].context.cluster is missing`);
      return { name, cluster, user: str(c.user), namespace: str(c.namespace) };
    });
    this.currentContext = str(doc['current-context']);
  }
}
