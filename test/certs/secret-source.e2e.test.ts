// The in-cluster certificate manager against a real kube-apiserver: creation,
// caBundle injection, two replicas cooperating, and serving-certificate renewal
// plus a full CA rotation (seconds-long lifetimes) while the API server keeps
// calling the webhook, with no failed request.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tls from 'node:tls';
import YAML from 'yaml';
import { startControlPlanes, clusterRequest, type ClusterHandle, type ControlPlanes } from '../harness/control-plane.js';
import { buildCrds } from '../../src/api/crd.js';
import { createAdmissionApp } from '../../src/admission/app.js';
import { startHttpsServer, type HttpsServerHandle } from '../../src/admission/server.js';
import { createLogger } from '../../src/log.js';
import { SecretCertificateManager, materialFromSecret, type SecretCertificateOptions } from '../../src/certs/secret-source.js';
import { parseDuration } from '../../src/duration.js';
import { inspect, signedBy, splitPem } from '../../src/certs/pki.js';
import { planNext, caBundleOf, type CertMaterial } from '../../src/certs/rotation.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NS = 'avi-system';
const log = createLogger({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** webhook-config/*.yaml with the URL moved to `port` and no caBundle (the manager injects it). */
function webhookConfigs(port: number): Array<Record<string, unknown>> {
  return ['validating.yaml', 'mutating.yaml'].map((f) => {
    const text = readFileSync(path.join(ROOT, 'webhook-config', f), 'utf8').replaceAll('https://127.0.0.1:8443', `https://127.0.0.1:${port}`);
    const doc = YAML.parse(text) as { webhooks: Array<{ clientConfig: Record<string, unknown> }> };
    for (const w of doc.webhooks) delete w.clientConfig.caBundle;
    return doc as unknown as Record<string, unknown>;
  });
}

async function getJson<T>(c: ClusterHandle, p: string): Promise<T> {
  const r = await clusterRequest(c, 'GET', p);
  assert.equal(r.status, 200, `${p}: ${r.body}`);
  return r.json as T;
}

type WebhookCfg = { metadata: { annotations?: Record<string, string> }; webhooks: Array<{ failurePolicy: string; clientConfig: { caBundle?: string } }> };
const VWC = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/amko-validating-webhook';
const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/amko-mutating-webhook';

const GDP = (i: number) => ({
  apiVersion: 'amko.vmware.com/v1alpha2',
  kind: 'GlobalDeploymentPolicy',
  metadata: { name: `gdp-${i}`, namespace: NS },
  spec: { matchClusters: [{ cluster: 'cluster1' }], trafficSplit: [{ cluster: 'cluster1', weight: 3 }] },
});

describe('in-cluster certificate manager (real kube-apiserver)', function () {
  this.timeout(120_000);
  let cp: ControlPlanes;
  let c: ClusterHandle;
  let port: number;
  const managers: SecretCertificateManager[] = [];
  let server: HttpsServerHandle | undefined;

  const manager = (o: Partial<SecretCertificateOptions> = {}) => {
    const m = new SecretCertificateManager({
      kubeConfig: c.kubeConfig,
      namespace: NS,
      hosts: ['127.0.0.1', 'localhost'],
      resyncMs: 500,
      retryMinMs: 50,
      log,
      ...o,
    });
    managers.push(m);
    return m;
  };

  before(async function () {
    this.timeout(60 * 60_000);
    // Private API server: the webhooks registered here would intercept other test files' requests.
    cp = await startControlPlanes({ clusters: 1 });
    c = cp.clusters[0]!;
    for (const crd of buildCrds()) {
      const r = await clusterRequest(c, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
      assert.equal(r.status, 201, r.body);
    }
    port = await freePort();
    const [v, m] = webhookConfigs(port);
    assert.equal((await clusterRequest(c, 'POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', v)).status, 201);
    assert.equal((await clusterRequest(c, 'POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', m)).status, 201);
    for (;;) {
      const r = await clusterRequest(c, 'GET', `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`);
      if (r.status === 200) break;
      await sleep(100);
    }
  });

  after(async function () {
    for (const m of managers) await m.stop();
    await server?.close(1000);
    await cp?.stop();
  });

  it('plans: create, renew at 2/3, rotate the CA in three overlapping steps', async () => {
    const cfg = { caLifetimeMs: 90_000, servingLifetimeMs: 50_000, caOverlapMs: 10_000, hosts: ['127.0.0.1'] };
    const t0 = Date.now();
    const p1 = await planNext({}, cfg, t0);
    assert.match(p1!.reason, /no CA/);
    const m1 = p1!.next;
    assert.equal(await planNext(m1, cfg, t0 + 1000), undefined, 'nothing to do right after creation');
    assert.equal(await planNext(m1, cfg, t0 + 20000), undefined, 'not due before 2/3 of the lifetime (second-granular X.509 times)');
    const p2 = await planNext(m1, cfg, t0 + 34000);
    assert.equal(p2!.reason, 'serving certificate renewed');
    assert.equal(p2!.next.caCert, m1.caCert);
    const p3 = await planNext(p2!.next, cfg, t0 + 61000);
    assert.equal(p3!.reason, 'CA rotation started: new CA added to the bundle');
    const m3 = p3!.next;
    assert.equal(m3.previousCaCert, m1.caCert);
    assert.equal(m3.tlsCert, p2!.next.tlsCert, 'serving certificate kept (old CA) while the new bundle propagates');
    assert.equal(splitPem(caBundleOf(m3)).length, 2);
    assert.equal(await planNext(m3, cfg, t0 + 65000), undefined);
    const p4 = await planNext(m3, cfg, t0 + 72000);
    assert.equal(p4!.reason, 'CA rotation: serving certificate moved to the new CA');
    assert.ok(signedBy(inspect(p4!.next.tlsCert)!, inspect(m3.caCert)!));
    const p5 = await planNext(p4!.next, cfg, t0 + 83000);
    assert.equal(p5!.reason, 'CA rotation done: previous CA dropped from the bundle');
    assert.equal(p5!.next.previousCaCert, undefined);
    assert.equal(splitPem(caBundleOf(p5!.next)).length, 1);
    const broken: CertMaterial = { ...p5!.next, tlsKey: m1.caKey };
    assert.match((await planNext(broken, cfg, t0 + 84000))!.reason, /unusable/);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.throws(() => parseDuration('10 minutes'));
  });

  it('creates the Secret, injects the CA into both webhook configurations (failurePolicy from the annotation), then is ready', async () => {
    const m = manager({ secretName: 'tls-create', caLifetimeMs: 3600_000, servingLifetimeMs: 600_000 });
    assert.equal(m.ready(), false);
    await m.start();
    assert.equal(m.ready(), true);
    const s = await getJson<{ data: Record<string, string> }>(c, `/api/v1/namespaces/${NS}/secrets/tls-create`);
    assert.deepEqual(Object.keys(s.data).sort(), ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    const mat = materialFromSecret(s as never);
    assert.equal(m.current().cert, mat.tlsCert);
    assert.ok(signedBy(inspect(mat.tlsCert)!, inspect(mat.caCert)!));
    assert.deepEqual(inspect(mat.tlsCert)!.hosts, ['127.0.0.1', 'localhost']);
    for (const p of [VWC, MWC]) {
      const cfg = await getJson<WebhookCfg>(c, p);
      assert.equal(cfg.webhooks[0]!.clientConfig.caBundle, Buffer.from(mat.caCert!).toString('base64'), p);
      assert.equal(cfg.webhooks[0]!.failurePolicy, 'Fail');
    }
    await m.stop();
  });

  it('two replicas starting together: one creates, the other reads it; both serve the same certificate', async () => {
    const a = manager({ secretName: 'tls-pair', caLifetimeMs: 3600_000, servingLifetimeMs: 600_000 });
    const b = manager({ secretName: 'tls-pair', caLifetimeMs: 3600_000, servingLifetimeMs: 600_000 });
    await Promise.all([a.start(), b.start()]);
    assert.equal(a.current().cert, b.current().cert);
    assert.equal(a.stats().creates + b.stats().creates, 1, 'exactly one Secret create succeeded');
    assert.equal(a.stats().writes + b.stats().writes, 1, 'no replica overwrote the other');
    await a.stop();
    await b.stop();
  });

  it('renews and rotates while the API server calls the webhook: no failed request, hot reloads, CA rotated and retired', async function () {
    this.timeout(90_000);
    const lifetimes = { caLifetimeMs: 15_000, servingLifetimeMs: 4_500, caOverlapMs: 1_500 };
    const a = manager({ secretName: 'tls-rotate', ...lifetimes });
    const b = manager({ secretName: 'tls-rotate', ...lifetimes });
    await Promise.all([a.start(), b.start()]);
    const firstCa = inspect(a.current().ca)!.fingerprint;
    server = await startHttpsServer(createAdmissionApp({ log }), a, { host: '127.0.0.1', port, log });

    // Observe every certificate the server presents (fresh TLS handshakes).
    const seen = new Set<string>();
    const cas = new Set<string>();
    let bundleSizes = new Set<number>();
    let stop = false;
    const observer = (async () => {
      while (!stop) {
        const fp = await new Promise<string>((resolve) => {
          const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
            resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
            s.end();
          });
          s.on('error', () => resolve('error'));
        });
        seen.add(fp);
        const vwc = await getJson<WebhookCfg>(c, VWC);
        const bundle = Buffer.from(vwc.webhooks[0]!.clientConfig.caBundle ?? '', 'base64').toString('utf8');
        bundleSizes.add(splitPem(bundle).length);
        for (const p of splitPem(bundle)) cas.add(inspect(p)!.fingerprint);
        await sleep(200);
      }
    })();

    // Load: 3 concurrent clients creating GDPs (dry run) through the API server, which calls /mutate and /validate.
    let ok = 0;
    const failures: string[] = [];
    const deadline = Date.now() + 17_000;
    const worker = async (w: number) => {
      for (let i = 0; Date.now() < deadline; i++) {
        const r = await clusterRequest(c, 'POST', `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies?dryRun=All`, GDP(w * 100_000 + i));
        if (r.status === 201) ok++;
        else failures.push(`${r.status} ${r.body.slice(0, 300)}`);
      }
    };
    await Promise.all([0, 1, 2].map(worker));
    // Let the rotation finish (previous CA retired) before the last checks.
    const until = Date.now() + 6_000;
    while (Date.now() < until && (a.caBundle() === undefined || splitPem(a.caBundle()!).length !== 1 || inspect(a.current().ca)!.fingerprint === firstCa)) {
      await sleep(200);
    }
    stop = true;
    await observer;

    assert.deepEqual(failures.slice(0, 3), [], `${failures.length} failed of ${ok + failures.length}`);
    assert.ok(ok >= 50, `only ${ok} requests`);
    const st = a.stats();
    assert.ok(st.reloads >= 3, `serving certificate hot-reloaded ${st.reloads} times`);
    assert.ok(seen.size >= 4 && !seen.has('error'), `the server presented ${seen.size} certificates`);
    assert.notEqual(inspect(a.current().ca)!.fingerprint, firstCa, 'the CA was rotated');
    assert.ok(cas.size >= 2, 'the bundle carried the new CA');
    assert.ok(bundleSizes.has(2), 'old and new CA were trusted together during the overlap');
    assert.equal(splitPem(a.caBundle()!).length, 1, 'the previous CA was retired');
    assert.equal(a.current().cert, b.current().cert, 'both replicas serve the same certificate');
    (this as unknown as { test: { title: string } }).test.title += ` [${ok} requests, ${st.reloads} reloads, ${seen.size} certificates seen]`;
    bundleSizes = new Set();
  });
});
