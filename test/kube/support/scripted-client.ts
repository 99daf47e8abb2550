// A KubeClient for a scripted plain-HTTP API server on 127.0.0.1 (no credentials).
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient } from '../../../src/kube/client.js';
import { KubeConfig } from '../../../src/kube/config.js';

/** `pathPrefix` is appended to the server URL (as a proxied cluster's kubeconfig has it). */
export function scriptedClient(server: http.Server, pathPrefix = ''): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromString(
    JSON.stringify({
      clusters: [{ name: 't', cluster: { server: `http://127.0.0.1:${(server.address() as AddressInfo).port}${pathPrefix}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: {} }],
      contexts: [{ name: 't', context: { cluster: 't', user: 'u' } }],
      'current-context': 't',
    }),
  );
  return new KubeClient(kc);
}
