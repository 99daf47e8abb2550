// `helm install` of charts/amko into its own API server, with the seed's values
// (controller, credentials, member clusters, GDP selectors and traffic split)
// and the chart's default certificate mode (selfManaged). No kubelet runs the
// Deployment, so the test runs `amko serve` locally with the rendered
// Deployment's own flags (--cert-secret, --cert-namespace, --service-name,
// --validating-webhook, --mutating-webhook, lifetimes), bound to this machine's
// IPv4, and routes the chart's Service to it (EndpointSlice). The server then
// does what the pod would: creates the certificate Secret, injects the CA into
// the chart's webhook configurations and sets their failurePolicy, and answers
// the API server through the Service. Certificate renewal and CA rotation
// (short lifetimes set through the chart values) happen during a stream of
// `kubectl apply`. Finally `helm uninstall` removes what the chart created.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import YAML from 'yaml';
import { hostIPv4, routeServiceToHost, startControlPlanes, type ClusterHandle, type ControlPlanes } from '../harness/control-plane.js';
import { helm, kubectl, type CliResult } from '../harness/kubectl.js';
import { REPO_ROOT } from '../harness/tools.js';
import { startAmkoServer, waitForWebhooks, type AmkoServer, type KubeTarget } from './support/amko-server.js';
import { NS, forbiddenOutput, gdp, hostRule, yaml } from './support/manifests.js';
import { GDP } from '../rules/cases.js';

type Obj = Record<string, any>;
const CHART = path.join(REPO_ROOT, 'charts', 'amko');
const RELEASE = 'amko';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The seed's install values (README / values.yaml), plus short certificate lifetimes for the rotation scenario. */
const SET = [
  'configs.gslbLeaderController=10.10.10.10',
  'configs.controllerVersion=20.1.1',
  'configs.memberClusters[0].clusterContext=cluster1-admin',
  'configs.memberClusters[1].clusterContext=cluster2-admin',
  'gslbLeaderCredentials.username=admin',
  'gslbLeaderCredentials.password=avi-pw-e2e',
  'gdpConfig.appSelector.label.app=gslb',
  'gdpConfig.namespaceSelector.label.ns=gslb',
  'gdpConfig.matchClusters[0].cluster=cluster1-admin',
  'gdpConfig.matchClusters[1].cluster=cluster2-admin',
  'gdpConfig.trafficSplit[0].cluster=cluster1-admin',
  'gdpConfig.trafficSplit[0].weight=8',
  'gdpConfig.trafficSplit[1].cluster=cluster2-admin',
  'gdpConfig.trafficSplit[1].weight=2',
  'gdpConfig.ttl=10',
  'certificates.servingLifetime=9s',
  'certificates.caLifetime=21s',
  'certificates.caOverlap=4s',
];

/** Every leaf of `want` is in `got` with the same value (API server defaults may add fields). */
function assertSubset(got: unknown, want: unknown, at: string): void {
  if (want !== null && typeof want === 'object') {
    assert.ok(got !== null && typeof got === 'object', `${at}: expected an object/array, got ${JSON.stringify(got)}`);
    if (Array.isArray(want)) {
      assert.ok(Array.isArray(got), `${at}: expected an array`);
      assert.equal((got as unknown[]).length, want.length, `${at}: length`);
      want.forEach((w, i) => assertSubset((got as unknown[])[i], w, `${at}[${i}]`));
    } else {
      for (const [key, w] of Object.entries(want)) assertSubset((got as Obj)[key], w, `${at}.${key}`);
    }
    return;
  }
  assert.deepEqual(got, want, at);
}

const resourceOf = (o: Obj) => `${o.kind.toLowerCase()}.${String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/')[0] : ''}`.replace(/\.$/, '');

describe('e2e: helm install / uninstall of charts/amko (the local server stands in for the Deployment)', function () {
  this.timeout(120_000);
  let cp: ControlPlanes;
  let c1: ClusterHandle;
  let t: KubeTarget;
  let server: AmkoServer | undefined;
  let rendered: Obj[] = [];
  const k = (args: string[], input?: string): Promise<CliResult> => kubectl(args, { ...t, input });
  const getJson = async (resource: string, name: string, ns?: string): Promise<Obj | undefined> => {
    const r = await k(['get', resource, name, ...(ns ? ['-n', ns] : []), '-o', 'json']);
    if (r.code !== 0) {
      assert.match(r.stderr, /NotFound/, r.stderr);
      return undefined;
    }
    return JSON.parse(r.stdout) as Obj;
  };
  const crdFiles = () =>
    readdirSync(path.join(CHART, 'crds'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => YAML.parse(readFileSync(path.join(CHART, 'crds', f), 'utf8')) as Obj);

  before(async function () {
    this.timeout(300_000);
    cp = await startControlPlanes({ clusters: 1, namespaces: [NS] });
    c1 = cp.cluster('cluster1');
    t = { kubeconfig: cp.kubeconfigPath, context: 'cluster1' };
  });
  after(async function () {
    this.timeout(60_000);
    await server?.stop();
    await cp?.stop();
  });

  it('helm install with the seed values creates the CRDs, RBAC, webhook configurations, GSLBConfig and GDP as rendered', async () => {
    const r = await helm(['install', RELEASE, CHART, '-n', NS, ...SET.flatMap((s) => ['--set', s])], t);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /STATUS: deployed/);

    const manifest = await helm(['get', 'manifest', RELEASE, '-n', NS], t);
    assert.equal(manifest.code, 0, manifest.stderr);
    rendered = YAML.parseAllDocuments(manifest.stdout)
      .map((d) => d.toJSON() as Obj | null)
      .filter((o): o is Obj => !!o && !!o.kind);
    const kinds = rendered.map((o) => o.kind).sort();
    for (const kind of ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'GSLBConfig', 'GlobalDeploymentPolicy', 'MutatingWebhookConfiguration', 'Secret', 'Service', 'ServiceAccount', 'ValidatingWebhookConfiguration']) {
      assert.ok(kinds.includes(kind), `the chart renders a ${kind} (rendered: ${kinds.join(', ')})`);
    }
    for (const o of rendered) {
      const live = await getJson(resourceOf(o), o.metadata.name, o.metadata.namespace ?? (o.kind.startsWith('Cluster') || o.kind.endsWith('WebhookConfiguration') ? undefined : NS));
      assert.ok(live, `${o.kind} ${o.metadata.name} exists`);
      const { metadata, ...rest } = o;
      assertSubset(live, rest, `${o.kind}/${o.metadata.name}`);
      assertSubset(live.metadata.labels, metadata.labels ?? {}, `${o.kind}/${o.metadata.name}.metadata.labels`);
      assertSubset(live.metadata.annotations ?? {}, metadata.annotations ?? {}, `${o.kind}/${o.metadata.name}.metadata.annotations`);
    }
    for (const crd of crdFiles()) {
      const live = await getJson('customresourcedefinition', crd.metadata.name);
      assert.ok(live, `CRD ${crd.metadata.name} installed from charts/amko/crds`);
      assertSubset(live.spec, crd.spec, `CRD ${crd.metadata.name}.spec`);
      assert.ok(live.status.conditions.some((c: Obj) => c.type === 'Established' && c.status === 'True'), `${crd.metadata.name} Established`);
    }

    // The seed values, as stored.
    const gc = (await getJson('gslbconfig', 'gc-1', NS))!;
    assert.deepEqual(gc.spec, {
      gslbLeader: { credentials: 'gslb-avi-secret', controllerVersion: '20.1.1', controllerIP: '10.10.10.10', tenant: 'admin' },
      memberClusters: [{ clusterContext: 'cluster1-admin' }, { clusterContext: 'cluster2-admin' }],
      refreshInterval: 1800,
      logLevel: 'INFO',
      useCustomGlobalFqdn: false,
    });
    const g = (await getJson('globaldeploymentpolicy', 'global-gdp', NS))!;
    // The seed values' GDP, as stored after defaulting, is the rule tables' base GDP.
    assert.deepEqual(g.spec, GDP.spec);
    const secret = (await getJson('secret', 'gslb-avi-secret', NS))!;
    assert.equal(Buffer.from(secret.data.password, 'base64').toString(), 'avi-pw-e2e');
    // First install: failurePolicy Ignore and no caBundle until the server injects its CA.
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
      const w = (await getJson(kind, kind.startsWith('validating') ? 'amko-validating-webhook' : 'amko-mutating-webhook'))!;
      assert.equal(w.webhooks[0].failurePolicy, 'Ignore');
      assert.equal(w.webhooks[0].clientConfig.caBundle, undefined);
      assert.deepEqual(w.webhooks[0].clientConfig.service, { namespace: NS, name: 'amko-webhook', path: kind.startsWith('validating') ? '/validate' : '/mutate', port: 443 });
    }
  });

  it('the server, run with the Deployment’s flags, fills the certificate Secret, injects its CA, sets failurePolicy, and answers through the Service', async () => {
    const dep = rendered.find((o) => o.kind === 'Deployment')!;
    const container = dep.spec.template.spec.containers[0];
    // Not passed on: the pod's port and files mounted into the pod (members kubeconfig, Avi CA); the worker is off here.
    const chartArgs = (container.args as string[]).filter((a) => a !== 'serve' && !a.startsWith('--port=') && !a.includes('=/etc/amko/'));
    assert.ok(chartArgs.includes(`--cert-secret=amko-webhook-tls`), chartArgs.join(' '));
    const ip = hostIPv4();
    assert.ok(ip, 'this machine needs a non-loopback IPv4 address for the EndpointSlice');
    server = await startAmkoServer({ kubeconfig: c1.kubeconfigPath, host: ip, args: chartArgs });
    await routeServiceToHost(c1, { namespace: NS, name: 'amko-webhook', hostPort: server.port });

    const deadline = Date.now() + 30_000;
    let ca = '';
    for (;;) {
      const s = await getJson('secret', 'amko-webhook-tls', NS);
      const v = await getJson('validatingwebhookconfiguration', 'amko-validating-webhook');
      const m = await getJson('mutatingwebhookconfiguration', 'amko-mutating-webhook');
      ca = s?.data?.['ca.crt'] ?? '';
      if (ca && [v, m].every((w) => w?.webhooks[0].clientConfig.caBundle && w.webhooks[0].failurePolicy === 'Fail')) {
        const served = new X509Certificate(Buffer.from(s!.data['tls.crt'], 'base64'));
        assert.ok(served.subjectAltName?.includes('DNS:amko-webhook.avi-system.svc'), served.subjectAltName);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the server did not inject its CA within 30 s:\n${server.logTail()}`);
      await sleep(250);
    }
    await waitForWebhooks(t, server);

    // The chart's webhooks now answer: a second GDP is refused by the validating webhook ...
    const second = await k(['apply', '-f', '-'], yaml(gdp('gdp-2')));
    assert.deepEqual(
      { code: second.code, stdout: second.stdout, stderr: second.stderr },
      { code: 1, stdout: '', stderr: forbiddenOutput('globaldeploymentpolicies', 'gdp-2', 'only one GlobalDeploymentPolicy is allowed, and avi-system/global-gdp already exists') },
    );
    // ... and the mutating webhook gives the GSLBConfig that helm created (while no server answered) its uuid on the next update.
    assert.equal((await getJson('gslbconfig', 'gc-1', NS))!.metadata.annotations?.['amko.vmware.com/amko-uuid'], undefined);
    const p = await k(['patch', 'gslbconfig', 'gc-1', '-n', NS, '--type', 'merge', '-p', '{"spec":{"logLevel":"DEBUG"}}']);
    assert.deepEqual([p.code, p.stdout, p.stderr], [0, 'gslbconfig.amko.vmware.com/gc-1 patched\n', '']);
    assert.match((await getJson('gslbconfig', 'gc-1', NS))!.metadata.annotations['amko.vmware.com/amko-uuid'], /^[0-9a-f-]{36}$/);
  });

  it('certificate renewal and CA rotation in the middle of a stream of kubectl apply: no failure', async function () {
    this.timeout(120_000);
    const s = server!;
    const fingerprint = () =>
      new Promise<string>((resolve) => {
        const sock = tls.connect({ host: s.url.replace(/^https:\/\/|:\d+$/g, ''), port: s.port, servername: 'amko-webhook.avi-system.svc', rejectUnauthorized: false }, () => {
          resolve(sock.getPeerX509Certificate()?.fingerprint256 ?? 'none');
          sock.end();
        });
        sock.on('error', (e) => resolve(`error: ${e.message}`));
      });
    const caOf = async () => (await getJson('secret', 'amko-webhook-tls', NS))!.data['ca.crt'] as string;
    const firstCa = await caOf();
    const servingSeen = new Set<string>([await fingerprint()]);
    const bundleSizes = new Set<number>();
    let stop = false;
    const observer = (async () => {
      while (!stop) {
        servingSeen.add(await fingerprint());
        const v = await getJson('validatingwebhookconfiguration', 'amko-validating-webhook');
        const pem = Buffer.from(v!.webhooks[0].clientConfig.caBundle, 'base64').toString();
        bundleSizes.add(pem.match(/BEGIN CERTIFICATE/g)?.length ?? 0);
        await sleep(300);
      }
    })();

    // Two clients, each creating and then re-applying its own GSLBHostRule with a new ttl every time.
    const results: Array<{ ok: boolean; out: string }> = [];
    const until = Date.now() + 26_000; // > caLifetime*2/3 + caOverlap: at least one CA rotation and several renewals
    const lastTtl: Record<number, number> = {};
    const client = async (n: number) => {
      for (let i = 1; Date.now() < until; i++) {
        lastTtl[n] = i;
        const r = await k(['apply', '-f', '-'], yaml(hostRule(`stream-${n}`, `stream-${n}.avi.internal`, { ttl: i })));
        const expected = `gslbhostrule.amko.vmware.com/stream-${n} ${i === 1 ? 'created' : 'configured'}\n`;
        results.push({ ok: r.code === 0 && r.stdout === expected && r.stderr === '', out: `${r.code} ${r.stdout}${r.stderr}` });
      }
    };
    await Promise.all([client(1), client(2)]);
    stop = true;
    await observer;

    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(failed.map((f) => f.out).slice(0, 3), [], `${failed.length} of ${results.length} applies failed`);
    assert.ok(results.length >= 20, `only ${results.length} applies`);
    assert.ok(![...servingSeen].some((f) => f.startsWith('error')), [...servingSeen].join(', '));
    assert.ok(servingSeen.size >= 3, `the server presented ${servingSeen.size} serving certificates (renewals)`);
    assert.notEqual(await caOf(), firstCa, 'the CA was rotated');
    assert.ok(bundleSizes.has(2), `old and new CA were trusted together during the overlap (bundle sizes ${[...bundleSizes].join(', ')})`);
    for (const n of [1, 2]) assert.equal((await getJson('gslbhostrule', `stream-${n}`, NS))!.spec.ttl, lastTtl[n], 'the last apply is stored');
    (this as unknown as { test: { title: string } }).test.title += ` [${results.length} applies, ${servingSeen.size} serving certificates]`;
  });

  it('helm uninstall removes everything the chart created (the CRDs stay, as Helm never deletes crds/)', async () => {
    await server?.stop();
    server = undefined;
    const r = await helm(['uninstall', RELEASE, '-n', NS], t);
    assert.deepEqual([r.code, r.stdout.trim()], [0, `release "${RELEASE}" uninstalled`], r.stderr);
    for (const o of rendered) {
      const ns = o.metadata.namespace ?? (o.kind.startsWith('Cluster') || o.kind.endsWith('WebhookConfiguration') ? undefined : NS);
      assert.equal(await getJson(resourceOf(o), o.metadata.name, ns), undefined, `${o.kind} ${o.metadata.name} removed`);
    }
    // With the webhook configurations gone, nothing calls the stopped server: writes work again.
    const w = await k(['apply', '-f', '-'], yaml(hostRule('after-uninstall', 'after.avi.internal')));
    assert.deepEqual([w.code, w.stderr], [0, '']);
    for (const crd of crdFiles()) assert.ok(await getJson('customresourcedefinition', crd.metadata.name), `CRD ${crd.metadata.name} kept`);
    const list = await helm(['list', '-n', NS, '-q'], t);
    assert.equal(list.stdout.trim(), '');
  });
});
