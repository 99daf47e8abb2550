// Self-test of the real-Kubernetes harness (needs the binaries from scripts/k8s-tools.sh).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  startControlPlanes,
  clusterRequest,
  createServingCert,
  processGroupAlive,
  routeServiceToHost,
  type ControlPlanes,
  type ClusterHandle,
} from './control-plane.js';
import { kubectl, helm } from './kubectl.js';
import { sharedControlPlanes, SHARED_CLUSTERS } from './shared.js';

/** First line of a watch stream (or the whole body for a non-200 answer). */
function firstWatchLine(c: ClusterHandle, urlPath: string): Promise<{ status: number; line: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      c.url + urlPath,
      { ca: c.caPem, cert: c.clientCertPem, key: c.clientKeyPem, agent: false, timeout: 10_000 },
      (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          const nl = buf.indexOf('\n');
          if (res.statusCode === 200 && nl >= 0) {
            resolve({ status: 200, line: buf.slice(0, nl) });
            req.destroy();
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, line: buf }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('watch produced nothing in 10 s')));
    req.on('error', reject);
  });
}

const groupAlive = processGroupAlive;

describe('real-Kubernetes harness', function () {
  this.timeout(180_000); // a fresh machine builds the tools first (see scripts/k8s-tools.sh)
  let cp: ControlPlanes;
  let c1: ClusterHandle;
  let c2: ClusterHandle;

  before(async function () {
    this.timeout(60 * 60_000); // cold tool build on a fresh machine
    cp = await startControlPlanes({ clusters: 2, watchCache: false });
    [c1, c2] = cp.clusters as [ClusterHandle, ClusterHandle];
  });

  after(async function () {
    await cp?.stop();
  });

  it('starts two clusters that are both /readyz with namespaces default and avi-system', async function () {
    assert.deepEqual(cp.clusters.map((c) => c.name), ['cluster1', 'cluster2']);
    assert.notEqual(c1.url, c2.url);
    for (const c of cp.clusters) {
      const r = await clusterRequest(c, 'GET', '/readyz');
      assert.equal(r.status, 200, `${c.name} /readyz: ${r.body}`);
      for (const ns of ['default', 'avi-system']) {
        assert.equal((await clusterRequest(c, 'GET', `/api/v1/namespaces/${ns}`)).status, 200, `${c.name} ns ${ns}`);
      }
      const v = (await clusterRequest(c, 'GET', '/version')).json as { gitVersion: string };
      assert.match(v.gitVersion, /^v1\.\d+\.\d+$/);
    }
  });

  it('keeps clusters separate (own etcd prefix): an object in cluster1 is not visible in cluster2', async function () {
    const api1 = c1.kubeConfig.makeApiClient(CoreV1Api);
    const api2 = c2.kubeConfig.makeApiClient(CoreV1Api);
    await api1.createNamespacedConfigMap({
      namespace: 'avi-system',
      body: { metadata: { name: 'only-in-cluster1' }, data: { k: 'v' } },
    });
    const got = await api1.readNamespacedConfigMap({ namespace: 'avi-system', name: 'only-in-cluster1' });
    assert.equal(got.data?.k, 'v');
    await assert.rejects(
      api2.readNamespacedConfigMap({ namespace: 'avi-system', name: 'only-in-cluster1' }),
      (e: { code?: number }) => e.code === 404,
    );
  });

  it('runs kubectl against either context of the combined kubeconfig, and helm', async function () {
    const r1 = await kubectl(['get', 'configmap', 'only-in-cluster1', '-n', 'avi-system', '-o', 'jsonpath={.data.k}'], {
      kubeconfig: cp.kubeconfigPath,
      context: 'cluster1',
    });
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r1.stdout, 'v');
    const r2 = await kubectl(['get', 'configmap', 'only-in-cluster1', '-n', 'avi-system'], {
      kubeconfig: cp.kubeconfigPath,
      context: 'cluster2',
    });
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /NotFound|not found/);
    const applied = await kubectl(['apply', '-f', '-'], {
      kubeconfig: cp.kubeconfigPath,
      context: 'cluster2',
      input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-stdin, namespace: avi-system}\ndata: {a: b}\n',
    });
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /configmap\/from-stdin created/);
    const who = await kubectl(['auth', 'can-i', '*', '*'], { kubeconfig: c2.kubeconfigPath });
    assert.equal(who.stdout.trim(), 'yes');
    const h = await helm(['list', '-A', '-o', 'json'], { kubeconfig: cp.kubeconfigPath, context: 'cluster2' });
    assert.equal(h.code, 0, h.stderr);
    assert.deepEqual(JSON.parse(h.stdout), []);
  });

  async function denyingWebhookRoundTrip(
    c: ClusterHandle,
    hosts: string[],
    listenHost: string,
    clientConfig: (port: number, caBundle: string) => Promise<Record<string, unknown>>,
  ): Promise<void> {
    const tls = await createServingCert(hosts);
    const seen: string[] = [];
    const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const review = JSON.parse(body) as { request: { uid: string; name: string } };
        seen.push(review.request.name);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid: review.request.uid, allowed: false, status: { code: 403, message: 'denied by harness webhook' } },
        }));
      });
    });
    await new Promise<void>((r) => server.listen(0, listenHost, () => r()));
    const port = (server.address() as AddressInfo).port;
    const vwcPath = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
    try {
      const vwc = {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'harness-test' },
        webhooks: [{
          name: 'deny.harness.amko.vmware.com',
          clientConfig: await clientConfig(port, Buffer.from(tls.caPem).toString('base64')),
          rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
          objectSelector: { matchLabels: { 'harness-webhook': 'deny' } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 5,
        }],
      };
      const created = await clusterRequest(c, 'POST', vwcPath, vwc);
      assert.equal(created.status, 201, created.body);
      const unlabeled = await kubectl(['create', 'configmap', `unlabeled-${port}`, '-n', 'default'], { kubeconfig: c.kubeconfigPath });
      assert.equal(unlabeled.code, 0, unlabeled.stderr); // not matched by objectSelector
      // The webhook configuration is picked up asynchronously; retry briefly.
      let r = { code: 0, stdout: '', stderr: '' };
      for (let i = 0; i < 50; i++) {
        r = await kubectl(['apply', '-f', '-'], {
          kubeconfig: c.kubeconfigPath,
          input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: denied-labeled, namespace: default, labels: {harness-webhook: deny}}\n',
        });
        if (r.code !== 0) break;
        await kubectl(['delete', 'configmap', 'denied-labeled', '-n', 'default'], { kubeconfig: c.kubeconfigPath });
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /admission webhook "deny.harness.amko.vmware.com" denied the request: denied by harness webhook/);
      assert.ok(seen.includes('denied-labeled'));
    } finally {
      await clusterRequest(c, 'DELETE', `${vwcPath}/harness-test`);
      server.close();
    }
  }

  it('calls a validating webhook served at https://127.0.0.1:PORT (clientConfig.url + caBundle)', async function () {
    await denyingWebhookRoundTrip(c1, ['127.0.0.1', 'localhost'], '127.0.0.1', async (port, caBundle) => ({
      url: `https://127.0.0.1:${port}/validate`,
      caBundle,
    }));
  });

  it('calls a webhook configured by Service via routeServiceToHost() (clientConfig.service)', async function () {
    const svcHost = 'harness-webhook.avi-system.svc';
    await denyingWebhookRoundTrip(c2, [svcHost, '127.0.0.1'], '0.0.0.0', async (port, caBundle) => {
      await routeServiceToHost(c2, { namespace: 'avi-system', name: 'harness-webhook', port: 443, hostPort: port });
      return { service: { namespace: 'avi-system', name: 'harness-webhook', port: 443, path: '/validate' }, caBundle };
    });
  });

  it('compactEtcd() makes a watch from an old resourceVersion fail with 410 Gone', async function () {
    const base = '/api/v1/namespaces/default/configmaps';
    const created = await clusterRequest(c1, 'POST', base, { metadata: { name: 'rv-probe' }, data: { n: '1' } });
    assert.equal(created.status, 201, created.body);
    const oldRv = (created.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const upd = await clusterRequest(c1, 'PUT', `${base}/rv-probe`, { metadata: { name: 'rv-probe' }, data: { n: '2' } });
    assert.equal(upd.status, 200, upd.body);

    // Before compaction the old resourceVersion is still watchable.
    const before = await firstWatchLine(c1, `${base}?watch=1&resourceVersion=${oldRv}`);
    assert.equal(before.status, 200);
    assert.equal((JSON.parse(before.line) as { type: string }).type, 'MODIFIED');

    const { revision } = await cp.compactEtcd();
    assert.ok(revision > Number(oldRv));
    const after = await firstWatchLine(c1, `${base}?watch=1&resourceVersion=${oldRv}`);
    if (after.status === 200) {
      const ev = JSON.parse(after.line) as { type: string; object: { code: number; reason: string } };
      assert.equal(ev.type, 'ERROR', after.line);
      assert.equal(ev.object.code, 410, after.line);
      assert.equal(ev.object.reason, 'Expired', after.line);
    } else {
      assert.equal(after.status, 410, after.line);
    }
  });

  it('restartApiServer() brings a cluster back with its data', async function () {
    const t = Date.now();
    let sawDown = false;
    const probe = setInterval(() => {
      clusterRequest(c2, 'GET', '/readyz', undefined, 500).then(
        (r) => (sawDown ||= r.status !== 200),
        () => (sawDown = true),
      );
    }, 50);
    try {
      await cp.restartApiServer('cluster2', { downMs: 300 });
    } finally {
      clearInterval(probe);
    }
    assert.ok(sawDown, 'cluster2 should have been unreachable during the restart');
    assert.equal((await clusterRequest(c2, 'GET', '/readyz')).status, 200);
    const cm = await clusterRequest(c2, 'GET', '/api/v1/namespaces/avi-system/configmaps/from-stdin');
    assert.equal(cm.status, 200, cm.body);
    assert.equal((await clusterRequest(c1, 'GET', '/readyz')).status, 200, 'cluster1 unaffected');
    // the client-node KubeConfig keeps working after a restart (same port and certs)
    const ns = await c2.kubeConfig.makeApiClient(CoreV1Api).readNamespace({ name: 'avi-system' });
    assert.equal(ns.metadata?.name, 'avi-system');
    process.stderr.write(`      (restart took ${Date.now() - t} ms)\n`);

    await cp.stopApiServer('cluster1');
    assert.equal(cp.isApiServerRunning('cluster1'), false);
    await assert.rejects(clusterRequest(c1, 'GET', '/readyz', undefined, 1000));
    await cp.startApiServer('cluster1');
    assert.equal(cp.isApiServerRunning('cluster1'), true);
    assert.equal((await clusterRequest(c1, 'GET', '/api/v1/namespaces/avi-system/configmaps/only-in-cluster1')).status, 200);
  });

  it('startApiServerReplica() serves the same cluster from a second API server; SIGSTOP freezes only that one', async function () {
    const r = await cp.startApiServerReplica('cluster1');
    const viaReplica = { ...c1, url: r.url };
    try {
      assert.notEqual(r.url, c1.url);
      const cm = await clusterRequest(viaReplica, 'POST', '/api/v1/namespaces/avi-system/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-replica' } });
      assert.equal(cm.status, 201, cm.body);
      assert.equal((await clusterRequest(c1, 'GET', '/api/v1/namespaces/avi-system/configmaps/via-replica')).status, 200);
      assert.equal((await clusterRequest(c2, 'GET', '/api/v1/namespaces/avi-system/configmaps/via-replica')).status, 404, 'not another cluster');
      r.signal('SIGSTOP');
      await assert.rejects(clusterRequest(viaReplica, 'GET', '/readyz', undefined, 1000));
      assert.equal((await clusterRequest(c1, 'GET', '/readyz')).status, 200, 'the first API server is not frozen');
      r.signal('SIGCONT');
      assert.equal((await clusterRequest(viaReplica, 'GET', '/readyz', undefined, 10_000)).status, 200);
      const ns = await r.kubeConfig.makeApiClient(CoreV1Api).readNamespace({ name: 'avi-system' });
      assert.equal(ns.metadata?.name, 'avi-system');
    } finally {
      await r.stop();
    }
    await assert.rejects(clusterRequest(viaReplica, 'GET', '/readyz', undefined, 1000));
    assert.equal(cp.processGroups().length, 3, 'etcd + 2 kube-apiservers: the replica is gone');
  });

  it('stop() leaves no process and no temp dir behind', async function () {
    const groups = cp.processGroups();
    assert.equal(groups.length, 3, 'etcd + 2 kube-apiservers');
    assert.ok(groups.every(groupAlive));
    const dir = cp.dir;
    await cp.stop();
    assert.deepEqual(groups.filter(groupAlive), []);
    const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
    assert.equal(ps.split('\n').filter((l) => l.includes(dir)).join('\n'), '');
    assert.equal(existsSync(dir), false);
    await cp.stop(); // idempotent
  });
});

describe('sharedControlPlanes()', function () {
  it('starts one lazily-created set for the whole run that tests cannot stop', async function () {
    this.timeout(60 * 60_000); // may include a cold tool build
    const a = await sharedControlPlanes();
    const b = await sharedControlPlanes();
    assert.equal(a.kubeconfigPath, b.kubeconfigPath);
    assert.equal(a.clusters.length, SHARED_CLUSTERS);
    assert.deepEqual(
      a.clusters.map((c) => c.name),
      Array.from({ length: SHARED_CLUSTERS }, (_, i) => `cluster${i + 1}`),
    );
    for (const c of a.clusters) assert.equal((await clusterRequest(c, 'GET', '/readyz')).status, 200);
    await assert.rejects(a.stop(), /root hook/);
    const r = await kubectl(['get', 'ns', 'avi-system', '-o', 'name'], { kubeconfig: a.kubeconfigPath, context: 'cluster2' });
    assert.equal(r.stdout.trim(), 'namespace/avi-system');
  });
});
