// The connection of a cluster whose auth or transport amko does not implement
// itself: a credential plugin (`exec`, e.g. EKS's aws-iam-authenticator), an
// auth provider (oidc, gcp, azure) or a proxy (`proxy-url`). client-node is the
// library for these; this module (and client-node with it) is loaded only for
// such a cluster (connection.ts). client-node 1.4 would build a new https.Agent
// for every request; the KubeConfig here hands out one shared keep-alive agent
// instead, except behind a proxy, where client-node's proxy agent is kept.
import { readFileSync } from 'node:fs';
import type https from 'node:https';
import { KubeConfig, type User as ClientNodeUser } from '@kubernetes/client-node';
import type { Cluster, User } from './config.js';
import { SharedAgent, type Connection } from './connection.js';

class PooledKubeConfig extends KubeConfig {
  readonly agent = new SharedAgent();

  override async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    await super.applyToHTTPSOptions(opts);
    const cluster = this.getCurrentCluster();
    if (!cluster || cluster.proxyUrl) return;
    opts.agent = this.agent.get(cluster.server.startsWith('http:'), opts);
  }
}

export function clientNodeConnection(cluster: Cluster, user: User | null): Connection {
  const kc = new PooledKubeConfig();
  // client-node reads a token file once, when it loads the kubeconfig.
  const { tokenFile, ...rest } = user ?? { name: 'user' };
  const u = { ...rest, token: rest.token ?? (tokenFile ? readFileSync(tokenFile, 'utf8').trim() : undefined) } as ClientNodeUser;
  kc.loadFromOptions({
    clusters: [cluster],
    users: [u],
    contexts: [{ name: 'amko', cluster: cluster.name, user: u.name }],
    currentContext: 'amko',
  });
  return {
    apply: (opts) => kc.applyToHTTPSOptions(opts),
    close: () => kc.agent.close(),
  };
}
