// One keep-alive connection per cluster: every request of the process to a
// cluster — JSON requests and watch streams — goes through the cluster's
// KubeClient and its one agent. Counted at
// a TCP proxy in front of a real kube-apiserver: each accepted connection is a
// TCP connection and a full TLS handshake. (client-node 1.4 alone builds a new
// https.Agent per request: the old kubeRequest made one connection per request,
// 50 for the first case.)
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import YAML from 'yaml';
import { KubeClient, kubeClient } from '../../src/kube/client.js';
import { KubeConfig } from '../../src/kube/config.js';
import { makeResilientInformer } from '../../src/kube/informer.js';
import { sharedControlPlanes } from '../harness/shared.js';
import type { ClusterHandle } from '../harness/control-plane.js';
import { startTcpProxy, type TcpProxy } from '../reconcile/tcp-proxy.js';

describe('kube client: one TLS connection per cluster (real kube-apiserver behind a counting proxy)', function () {
  this.timeout(60_000);
  let c1: ClusterHandle;
  let proxy: TcpProxy;

  before(async function () {
    this.timeout(900_000);
    c1 = (await sharedControlPlanes()).cluster('cluster1');
  });

  beforeEach(async () => {
    proxy = await startTcpProxy(c1.kubeConfig.getCurrentCluster()!.server);
  });

  afterEach(async () => {
    await proxy.cut();
  });

  it('50 sequential requests use one connection', async () => {
    const client = new KubeClient(proxy.kubeConfigFor(c1.kubeConfig));
    try {
      for (let i = 0; i < 50; i++) await client.request('GET', '/api/v1/namespaces/default');
      assert.equal(proxy.connections(), 1);
    } finally {
      client.close();
    }
  });

  it('one client per cluster in the process: two KubeConfig objects of the same cluster share it', async () => {
    const a = kubeClient(proxy.kubeConfigFor(c1.kubeConfig));
    const b = kubeClient(proxy.kubeConfigFor(c1.kubeConfig));
    try {
      assert.equal(a, b);
      for (let i = 0; i < 10; i++) await (i % 2 ? a : b).list('/api/v1/namespaces');
      assert.equal(proxy.connections(), 1);
    } finally {
      a.close();
    }
  });

  it('watch streams and requests share the pooled agent: an ended watch hands its connection back', async () => {
    const client = new KubeClient(proxy.kubeConfigFor(c1.kubeConfig));
    try {
      for (let i = 0; i < 3; i++) {
        // timeoutSeconds=1: the server ends the watch; its keep-alive connection serves the next request.
        await new Promise<void>((resolve, reject) => {
          void client.watch('/api/v1/namespaces', { timeoutSeconds: 1 }, () => undefined, (err) => (err ? reject(err) : resolve()));
        });
        await client.request('GET', '/api/v1/namespaces/default');
      }
      assert.equal(proxy.connections(), 1);
    } finally {
      client.close();
    }
  });

  it('a kubeconfig with an exec credential plugin goes through client-node: the plugin\'s client certificate authenticates, one connection', async () => {
    // The plugin (a relative command path, resolved against the kubeconfig's directory as kubectl does) hands
    // out the harness user's client certificate; the kubeconfig itself carries no credential, so a request
    // that did not run the plugin would be refused (401).
    const dir = mkdtempSync(path.join(tmpdir(), 'amko-exec-'));
    const user = c1.kubeConfig.getCurrentUser()!;
    const pem = (b: string) => Buffer.from(b, 'base64').toString('utf8');
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { clientCertificateData: pem(user.certData!), clientKeyData: pem(user.keyData!) },
    };
    writeFileSync(path.join(dir, 'credential.mjs'), `#!${process.execPath}\nprocess.stdout.write(${JSON.stringify(JSON.stringify(credential))});\n`);
    chmodSync(path.join(dir, 'credential.mjs'), 0o755);
    writeFileSync(
      path.join(dir, 'kubeconfig'),
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'exec',
        clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${proxy.port}`, 'certificate-authority-data': c1.kubeConfig.getCurrentCluster()!.caData } }],
        users: [{ name: 'plugin', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './credential.mjs' } } }],
        contexts: [{ name: 'exec', context: { cluster: 'c', user: 'plugin' } }],
      }),
    );
    const kc = new KubeConfig();
    kc.loadFromFile(path.join(dir, 'kubeconfig'));
    const client = new KubeClient(kc);
    try {
      for (let i = 0; i < 10; i++) {
        const ns = await client.request<{ metadata: { name: string } }>('GET', '/api/v1/namespaces/default');
        assert.equal(ns.metadata.name, 'default');
      }
      assert.equal(proxy.connections(), 1);
    } finally {
      client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an informer holds one connection for its watch; requests meanwhile share one more', async () => {
    const client = new KubeClient(proxy.kubeConfigFor(c1.kubeConfig));
    const inf = makeResilientInformer<KubernetesObject>(client, '/api/v1/namespaces', { name: 'test/ns' });
    try {
      await inf.start();
      await inf.waitForSync();
      for (let i = 0; i < 20; i++) await client.request('GET', '/api/v1/namespaces/default');
      // The list and the requests reuse pooled connections; the open watch stream holds one of its own.
      assert.equal(proxy.connections(), 2);
    } finally {
      await inf.stop();
      client.close();
    }
  });
});
