// The kubeconfig model (src/kube/config.ts) and what a connection does with it
// (src/kube/connection.ts): contexts, paths relative to the kubeconfig file,
// data vs file credentials, the in-cluster service account with its rotating
// token, and which kubeconfigs go to client-node (exec, auth providers, proxies).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig as ClientNodeKubeConfig } from '@kubernetes/client-node';
import { KubeConfig } from '../../src/kube/config.js';
import { needsClientNode, StaticConnection } from '../../src/kube/connection.js';
import { kubeConfigForContext } from '../../src/kube/kubeconfig.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const headersOf = (o: https.RequestOptions) => o.headers as Record<string, string | undefined>;

const TEXT = `
apiVersion: v1
kind: Config
current-context: one
clusters:
- name: c1
  cluster:
    server: https://one.example:6443/
    certificate-authority: pki/ca.crt
    tls-server-name: api.one
- name: c2
  cluster:
    server: https://two.example:6443
    certificate-authority-data: ${b64('CA-TWO')}
    insecure-skip-tls-verify: true
- name: c3
  cluster:
    server: https://three.example
    proxy-url: http://proxy.example:3128
users:
- name: files
  user:
    client-certificate: pki/client.crt
    client-key: /abs/client.key
    token-file: tokens/t
- name: data
  user:
    client-certificate-data: ${b64('CERT')}
    client-key-data: ${b64('KEY')}
    token: tok
    as: someone
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/get-token
      args: [--cluster, one]
- name: bare-plugin
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws}
- name: oidc
  user:
    auth-provider: {name: oidc, config: {id-token: x}}
- name: basic
  user: {username: u, password: p}
contexts:
- name: one
  context: {cluster: c1, user: files, namespace: ns1}
- name: two
  context: {cluster: c2, user: data}
- name: plugin
  context: {cluster: c1, user: plugin}
- name: proxied
  context: {cluster: c3, user: data}
`;

/** client-node reads a token file when it loads a kubeconfig (relative to the working directory): none for its side. */
const CLIENT_NODE_TEXT = TEXT.replace('    token-file: tokens/t\n', '');

describe('kube: kubeconfig model', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'amko-kubeconfig-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads contexts, clusters and users; switches context; paths are relative to the kubeconfig file', () => {
    const file = path.join(dir, 'config');
    writeFileSync(file, TEXT);
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    assert.equal(kc.getCurrentContext(), 'one');
    assert.deepEqual(kc.getContextObject('one'), { name: 'one', cluster: 'c1', user: 'files', namespace: 'ns1' });
    assert.deepEqual(kc.getCurrentCluster(), {
      name: 'c1',
      server: 'https://one.example:6443',
      caData: undefined,
      caFile: path.join(dir, 'pki/ca.crt'),
      skipTLSVerify: false,
      tlsServerName: 'api.one',
      proxyUrl: undefined,
    });
    const user = kc.getCurrentUser()!;
    assert.equal(user.certFile, path.join(dir, 'pki/client.crt'));
    assert.equal(user.keyFile, '/abs/client.key');
    assert.equal(user.tokenFile, path.join(dir, 'tokens/t'));
    kc.setCurrentContext('plugin');
    assert.equal((kc.getCurrentUser()!.exec as { command: string }).command, path.join(dir, 'bin/get-token'), 'a relative command path is resolved');
    assert.equal(kc.getContextObject('nope'), null);
  });

  it('text (not a file) keeps relative paths; an exec command without a path stays a PATH lookup', () => {
    const kc = new KubeConfig();
    kc.loadFromString(TEXT);
    assert.equal(kc.getCurrentCluster()!.caFile, 'pki/ca.crt');
    assert.equal((kc.users.find((u) => u.name === 'bare-plugin')!.exec as { command: string }).command, 'aws');
  });

  it('reads what client-node reads, and client-node reads what we export', () => {
    const ours = new KubeConfig();
    ours.loadFromString(CLIENT_NODE_TEXT);
    const theirs = new ClientNodeKubeConfig();
    theirs.loadFromString(CLIENT_NODE_TEXT);
    for (const ctx of ['two', 'proxied']) {
      ours.setCurrentContext(ctx);
      theirs.setCurrentContext(ctx);
      assert.deepEqual(ours.getCurrentCluster(), theirs.getCurrentCluster(), ctx);
      const { exec: _e, authProvider: _a, tokenFile: _t, ...u } = ours.getCurrentUser()!;
      const { exec: _e2, authProvider: _a2, ...v } = theirs.getCurrentUser()!;
      assert.deepEqual(
        Object.fromEntries(Object.entries(u).filter(([, x]) => x != null)),
        Object.fromEntries(Object.entries(v).filter(([, x]) => x != null)),
        ctx,
      );
    }
    const back = new ClientNodeKubeConfig();
    back.loadFromString(ours.exportConfig());
    back.setCurrentContext('two');
    assert.equal(back.getCurrentUser()!.token, 'tok');
    assert.equal(back.getCurrentCluster()!.skipTLSVerify, true);
  });

  it('kubeConfigForContext switches a copy (ours or client-node’s) and refuses a missing context', () => {
    const theirs = new ClientNodeKubeConfig();
    theirs.loadFromString(CLIENT_NODE_TEXT);
    const kc = kubeConfigForContext(theirs, 'two');
    assert.equal(kc.getCurrentCluster()!.server, 'https://two.example:6443');
    assert.equal(theirs.getCurrentContext(), 'one', 'the original is unchanged');
    assert.equal(kubeConfigForContext(kc, 'proxied').getCurrentCluster()!.proxyUrl, 'http://proxy.example:3128');
    assert.throws(() => kubeConfigForContext(kc, 'missing'), /context "missing" not found/);
  });

  it('rejects entries without a name, a cluster without a server, a context without a cluster', () => {
    const kc = new KubeConfig();
    assert.throws(() => kc.loadFromString('clusters: [{cluster: {server: https://x}}]'), /clusters\[0\]\.name is missing/);
    assert.throws(() => kc.loadFromString('clusters: [{name: a, cluster: {}}]'), /clusters\[0\]\.cluster\.server is missing/);
    assert.throws(() => kc.loadFromString('contexts: [{name: a, context: {user: u}}]'), /contexts\[0\]\.context\.cluster is missing/);
  });

  it('goes to client-node only for exec plugins, auth providers (not a bare token file) and proxies', () => {
    const kc = new KubeConfig();
    kc.loadFromString(TEXT);
    const user = (n: string) => kc.users.find((u) => u.name === n)!;
    const c1 = kc.clusters.find((c) => c.name === 'c1')!;
    const c3 = kc.clusters.find((c) => c.name === 'c3')!;
    assert.equal(needsClientNode(c1, user('files')), false);
    assert.equal(needsClientNode(c1, user('data')), false);
    assert.equal(needsClientNode(c1, user('basic')), false);
    assert.equal(needsClientNode(c1, null), false);
    assert.equal(needsClientNode(c1, user('plugin')), true);
    assert.equal(needsClientNode(c1, user('oidc')), true);
    assert.equal(needsClientNode(c3, user('data')), true);
    // client-node's own in-cluster user: an auth provider that only names the token file.
    assert.equal(needsClientNode(c1, { name: 'sa', authProvider: { name: 'tokenFile', config: { tokenFile: '/t' } } }), false);
  });

  it('static credentials: CA/cert/key from data or file, token, impersonation, basic auth, skip-verify, server name', async () => {
    mkdirSync(path.join(dir, 'pki'), { recursive: true });
    mkdirSync(path.join(dir, 'tokens'), { recursive: true });
    writeFileSync(path.join(dir, 'pki/ca.crt'), 'CA-ONE');
    writeFileSync(path.join(dir, 'pki/client.crt'), 'CERT-ONE');
    writeFileSync(path.join(dir, 'tokens/t'), 'file-token\n');
    const kc = new KubeConfig();
    kc.loadFromFile(path.join(dir, 'config'));
    const files = new StaticConnection(kc.getCurrentCluster()!, { ...kc.getCurrentUser()!, keyFile: path.join(dir, 'pki/client.crt') });
    const o: https.RequestOptions = {};
    await files.apply(o);
    const agent = o.agent as https.Agent;
    assert.equal(String(agent.options.ca), 'CA-ONE');
    assert.equal(String(agent.options.cert), 'CERT-ONE');
    assert.equal(agent.options.servername, 'api.one');
    assert.equal(agent.options.rejectUnauthorized, undefined);
    assert.equal(headersOf(o).Authorization, 'Bearer file-token', 'read from the token file, trimmed');
    const again: https.RequestOptions = {};
    await files.apply(again);
    assert.equal(again.agent, agent, 'one agent while the TLS material is unchanged');
    writeFileSync(path.join(dir, 'pki/client.crt'), 'CERT-ROTATED');
    const rotated: https.RequestOptions = {};
    await files.apply(rotated);
    assert.notEqual(rotated.agent, agent, 'a rotated client certificate gets a new agent');
    assert.equal(String((rotated.agent as https.Agent).options.cert), 'CERT-ROTATED');
    files.close();

    kc.setCurrentContext('two');
    const data = new StaticConnection(kc.getCurrentCluster()!, kc.getCurrentUser()!);
    const d: https.RequestOptions = {};
    await data.apply(d);
    const dAgent = d.agent as https.Agent;
    assert.equal(String(dAgent.options.ca), 'CA-TWO');
    assert.equal(String(dAgent.options.cert), 'CERT');
    assert.equal(String(dAgent.options.key), 'KEY');
    assert.equal(dAgent.options.rejectUnauthorized, false);
    assert.equal(headersOf(d).Authorization, 'Bearer tok');
    assert.equal(headersOf(d)['Impersonate-User'], 'someone');
    data.close();

    const basic = new StaticConnection(kc.getCurrentCluster()!, kc.users.find((u) => u.name === 'basic')!);
    const b: https.RequestOptions = {};
    await basic.apply(b);
    assert.equal(b.auth, 'u:p');
    basic.close();

    const plain = new StaticConnection({ name: 'p', server: 'http://127.0.0.1:1', skipTLSVerify: false }, null);
    await assert.rejects(plain.apply({}), /HTTP protocol is not allowed/);
  });

  it('in-cluster: the service account CA, namespace and token; the token file is read again after a minute', async () => {
    const sa = path.join(dir, 'sa');
    mkdirSync(sa, { recursive: true });
    writeFileSync(path.join(sa, 'ca.crt'), 'SA-CA');
    writeFileSync(path.join(sa, 'namespace'), 'avi-system');
    writeFileSync(path.join(sa, 'token'), 'first');
    const env = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    const now = Date.now;
    try {
      process.env.KUBERNETES_SERVICE_HOST = 'fd00::1';
      process.env.KUBERNETES_SERVICE_PORT = '443';
      const kc = new KubeConfig();
      kc.loadFromCluster(sa);
      assert.equal(kc.getCurrentCluster()!.server, 'https://[fd00::1]:443');
      assert.equal(kc.getContextObject(kc.getCurrentContext())!.namespace, 'avi-system');
      const conn = new StaticConnection(kc.getCurrentCluster()!, kc.getCurrentUser());
      const token = async () => {
        const o: https.RequestOptions = {};
        await conn.apply(o);
        assert.equal(String((o.agent as https.Agent).options.ca), 'SA-CA');
        return headersOf(o).Authorization;
      };
      assert.equal(await token(), 'Bearer first');
      writeFileSync(path.join(sa, 'token'), 'second');
      assert.equal(await token(), 'Bearer first', 'cached within the minute');
      const t0 = now();
      Date.now = () => t0 + 61_000;
      assert.equal(await token(), 'Bearer second', 'the rotated token after a minute');
      conn.close();
    } finally {
      Date.now = now;
      for (const [k, v] of [['KUBERNETES_SERVICE_HOST', env.host], ['KUBERNETES_SERVICE_PORT', env.port]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
