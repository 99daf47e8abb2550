// The built image (scripts/image.sh), run exactly as the chart's Deployment runs it (test/image/pod.ts:
// the rendered args and env, the Secret and ConfigMap volumes as files at the same paths, the
// service-account token, uid 10001, a read-only root with the chart's emptyDir, the limits, the
// kubelet's HTTPS probes), against real kube-apiservers with the chart installed and the Avi
// simulator as the GSLB leader. It walks the README's install guide: the chart's Service routed to
// the container through an EndpointSlice, the CA injected, kubectl apply refused through the
// Service, a GslbService created and updated, the GDP deleted, the pod stopped.
// There is no skip: without the image the test fails (CI builds it before npm test).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { AviClient } from '../../src/avi/client.js';
import type { GslbService } from '../../src/avi/types.js';
import { createLogger } from '../../src/log.js';
import { startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import { forbiddenOutput, gdp, hostRule, yaml } from '../e2e/support/manifests.js';
import { hostIPv4, routeServiceToHost, startControlPlanes, type ControlPlanes } from '../harness/control-plane.js';
import { helm, kubectl, type CliResult } from '../harness/kubectl.js';
import { REPO_ROOT } from '../harness/tools.js';
import { akoAnnotations } from '../reconcile/fixtures.js';
import { IMAGE_SH, podman, probeOk, probeUntilSuccess, quantity, runPod, type PodRun } from './pod.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const execFileP = promisify(execFile);
const NS = 'avi-system';
const APPNS = 'image-e2e';
const APP = 'image-e2e';
const WEB = 'web.image-e2e.example.com';
const UUID = '6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c';
const PASSWORD = 'sim-Secret-pw#1';
const CHART = path.join(REPO_ROOT, 'charts', 'amko');
const PKG_VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NODE_VERSION = /^ARG NODE_VERSION=(.+)$/m.exec(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'))![1]!;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, tail: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${String(last)})` : ''}\n${tail()}`);
    await sleep(250);
  }
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, '0.0.0.0', () => resolve()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('image: the built image run as the chart’s Deployment (podman, uid 10001, read-only root), real API servers, the Avi simulator', function () {
  this.timeout(120_000);
  let image = '';
  let cp: ControlPlanes;
  let sim: AviSimulator;
  let reader: AviClient;
  let pod: PodRun | undefined;
  let deployment: Obj;
  let ip = '';
  let port = 0;
  const kubelet: Array<{ kind: string; status: number; body: string }> = [];
  let kubeletStop = false;
  let kubeletLoop: Promise<void> | undefined;
  const ctx = (c: string) => ({ kubeconfig: cp.kubeconfigPath, context: c });
  const k = (c: string, args: string[], input?: string): Promise<CliResult> => kubectl(args, { ...ctx(c), input });
  const kOk = async (c: string, args: string[], input?: string): Promise<string> => {
    const r = await k(c, args, input);
    if (r.code !== 0) throw new Error(`kubectl --context ${c} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const getJson = async (args: string[]): Promise<Obj> => JSON.parse(await kOk('cluster1', ['get', ...args, '-o', 'json'])) as Obj;
  const tail = () => pod?.logTail(20) ?? '(no container)';
  const gs = async (name: string) => (await reader.listGslbServices(`amko-${UUID}`, '*')).find((g) => g.name === name);
  /** `priority:ip/ratio,...` per priority group. */
  const members = (g: GslbService | undefined) =>
    (g?.groups ?? []).map((x) => `${x.priority}:` + x.members.map((m) => `${m.ip.addr}/${m.ratio}`).sort().join(',')).sort();
  const converge = (want: string[], timeoutMs = 45_000) =>
    waitFor(`${WEB} members ${want.join(' ')}`, async () => JSON.stringify(members(await gs(WEB))) === JSON.stringify(want), timeoutMs, tail);
  const gslbWrites = (method: string) => sim.requestLog.find(method, /^\/api\/gslbservice(\/|$)/).filter((e) => e.status < 300);

  before(async function () {
    this.timeout(300_000);
    image = (await execFileP('bash', [IMAGE_SH, '--print-image'])).stdout.trim();
    const exists = await execFileP('bash', [IMAGE_SH, 'podman', 'image', 'exists', image]).then(() => true, () => false);
    assert.ok(exists, `the image ${image} is missing: build it with \`bash scripts/image.sh\` (.ci/run does, before npm test)`);
    ip = hostIPv4() ?? assert.fail('this machine needs a non-loopback IPv4 address (the pod IP)');
    port = await freePort();
    cp = await startControlPlanes({ clusters: 2, namespaces: [NS, APPNS] });
    sim = await startAviSimulator();
    reader = AviClient.create({ controller: sim.host, username: 'admin', password: PASSWORD, caPem: sim.caPem, log: createLogger({ level: 'silent' }) });
  });

  after(async function () {
    this.timeout(60_000);
    kubeletStop = true;
    await kubeletLoop;
    await pod?.remove();
    await reader?.close();
    await sim?.close();
    await cp?.stop();
  });

  it('the image: amko --version prints the package.json version; the default user is 10001, the entrypoint sizes the heap and runs node', async () => {
    const r = await execFileP('bash', [IMAGE_SH, 'run', '--rm', '--pull=never', image, '--version']);
    assert.deepEqual([r.stdout, r.stderr], [`${PKG_VERSION}\n`, '']);
    const cfg = JSON.parse(await podman(['image', 'inspect', '--format', '{{json .Config}}', image])) as Obj;
    assert.equal(cfg.User, '10001:10001');
    assert.deepEqual(cfg.Entrypoint, ['/bin/sh', '/app/entrypoint.sh', '/app/dist/cli.js']);
  });

  it('the install guide: member-cluster Secret, helm install with the simulator as GSLB leader, the local image in the Deployment', async () => {
    await kOk('cluster1', ['create', 'secret', 'generic', 'gslb-config-secret', `--from-file=gslb-members=${cp.kubeconfigPath}`, '-n', NS]);
    const caFile = path.join(cp.dir, 'avi-ca.pem');
    writeFileSync(caFile, sim.caPem);
    const [repository, tag] = [image.slice(0, image.lastIndexOf(':')), image.slice(image.lastIndexOf(':') + 1)];
    const set = [
      `image.repository=${repository}`,
      'image.pullPolicy=Never',
      `server.port=${port}`,
      `configs.gslbLeaderController=${sim.host}`,
      'configs.memberClusters[0].clusterContext=cluster1',
      'configs.memberClusters[1].clusterContext=cluster2',
      `configs.amkoUUID=${UUID}`,
      'gslbLeaderCredentials.username=admin',
      `gslbLeaderCredentials.password=${PASSWORD}`,
      `gdpConfig.appSelector.label.app=${APP}`,
      'gdpConfig.matchClusters[0].cluster=cluster1',
      'gdpConfig.matchClusters[1].cluster=cluster2',
      'gdpConfig.trafficSplit[0].cluster=cluster1',
      'gdpConfig.trafficSplit[0].weight=8',
      'gdpConfig.trafficSplit[1].cluster=cluster2',
      'gdpConfig.trafficSplit[1].weight=2',
    ];
    const r = await helm(['install', 'amko', CHART, '-n', NS, ...set.flatMap((s) => ['--set', s]), '--set-file', `configs.controllerCA=${caFile}`], ctx('cluster1'));
    assert.equal(r.code, 0, r.stderr);
    const manifest = await helm(['get', 'manifest', 'amko', '-n', NS], ctx('cluster1'));
    assert.equal(manifest.code, 0, manifest.stderr);
    const objs = YAML.parseAllDocuments(manifest.stdout).map((d) => d.toJSON() as Obj | null).filter((o): o is Obj => !!o?.kind);
    deployment = objs.find((o) => o.kind === 'Deployment')!;
    assert.ok(deployment, 'the chart renders a Deployment');
    const c = deployment.spec.template.spec.containers[0];
    assert.equal(c.image, image, `the Deployment runs the built image (tag = the chart's appVersion = package.json ${PKG_VERSION})`);
    assert.equal(tag, PKG_VERSION);
  });

  it('the container passes the startup probe, fills the certificate Secret, injects its CA into both webhook configurations and becomes ready', async function () {
    this.timeout(180_000);
    pod = await runPod(deployment, { namespace: NS, podName: 'amko-7d9f8b6c5-x2k4q', ip, cluster: cp.cluster('cluster1'), ...ctx('cluster1') });
    const p = pod;
    const c = p.container;
    // The kubelet gives the container periodSeconds x failureThreshold to start (60 s in the chart).
    const startup = await probeUntilSuccess(p, 'startupProbe');
    // Ready = CA injected and caches synced; the kubelet keeps probing, so allow up to a minute.
    const readiness = await probeUntilSuccess(p, 'readinessProbe', Math.ceil(60 / c.readinessProbe.periodSeconds));
    // The only replica takes the Lease, and is not ready again until the worker's first resync with
    // the controller is done; the checks below start from that steady state (the not-ready answers
    // in between are counted in the title).
    await waitFor('the replica to take the Lease', async () => p.logs.some((l) => l.msg === 'became leader'), 60_000, tail);
    let notReady = 0;
    await waitFor(
      'ready after taking the Lease',
      async () => {
        const r = await p.probe('readinessProbe');
        if (!probeOk(r)) notReady++;
        return probeOk(r);
      },
      60_000,
      tail,
    );

    // The entrypoint gave V8's heap half the memory limit (chart: AMKO_MEMORY_LIMIT from limits.memory)
    // and exec'd node, so the server is PID 1 with that NODE_OPTIONS.
    const environ = (await podman(['exec', p.name, 'sh', '-c', 'tr "\\0" "\\n" </proc/1/environ'])).split('\n');
    const heapMiB = quantity(c.resources.limits.memory) / 2 ** 20 / 2;
    assert.ok(environ.includes(`NODE_OPTIONS=--max-old-space-size=${heapMiB}`), environ.filter((l) => l.startsWith('NODE_') || l.startsWith('AMKO_')).join(' '));
    assert.match(await podman(['exec', p.name, 'cat', '/proc/1/cmdline']), /^node\0\/app\/dist\/cli\.js\0serve\0/);

    const secret = await getJson(['secret', 'amko-webhook-tls', '-n', NS]);
    const ca = Buffer.from(secret.data['ca.crt'], 'base64').toString();
    const served = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
    assert.ok(served.subjectAltName?.split(', ').includes('DNS:amko-webhook.avi-system.svc'), served.subjectAltName);
    for (const kind of ['validatingwebhookconfiguration/amko-validating-webhook', 'mutatingwebhookconfiguration/amko-mutating-webhook']) {
      const w = (await getJson([kind])).webhooks[0] as Obj;
      assert.equal(Buffer.from(w.clientConfig.caBundle, 'base64').toString(), ca, `${kind} caBundle is the Secret's CA`);
      assert.equal(w.failurePolicy, 'Fail', kind);
    }
    // The container serves the Secret's certificate on the pod IP.
    const presented = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: ip, port, servername: 'amko-webhook.avi-system.svc', ca }, () => {
        resolve(s.getPeerX509Certificate()!.fingerprint256);
        s.end();
      });
      s.on('error', reject);
    });
    assert.equal(presented, served.fingerprint256);

    // From now on the kubelet probes liveness and readiness every periodSeconds.
    kubeletLoop = (async () => {
      const next: Record<string, number> = { livenessProbe: 0, readinessProbe: 0 };
      while (!kubeletStop) {
        for (const kind of ['livenessProbe', 'readinessProbe'] as const) {
          if (Date.now() < next[kind]!) continue;
          next[kind] = Date.now() + c[kind].periodSeconds * 1000;
          kubelet.push({ kind, ...(await p.probe(kind)) });
        }
        await sleep(200);
      }
    })();
    // The endpoints controller lists the ready pod in the Service's EndpointSlice.
    await routeServiceToHost(cp.cluster('cluster1'), { namespace: NS, name: 'amko-webhook', hostPort: port, ip });
    await waitFor(
      'the API server to call the webhooks through the Service',
      async () => {
        const r = await k('cluster1', ['create', '--dry-run=server', '-f', '-'], yaml(hostRule(`probe-${Date.now()}`, 'probe.example.com', {}, 'default')));
        return r.code !== 0 && r.stderr.includes('admission webhook "validate.amko.vmware.com" denied the request');
      },
      30_000,
      tail,
    );
    (this as unknown as { test: { title: string } }).test.title += ` [startup probe attempts ${startup}, readiness ${readiness}, not ready after taking the Lease ${notReady}]`;
  });

  it('kubectl apply through the Service: the container refuses a second GDP and a GSLBHostRule outside avi-system', async () => {
    const cases = [
      {
        manifest: gdp('gdp-2', { matchClusters: [{ cluster: 'cluster1' }, { cluster: 'cluster2' }], trafficSplit: [{ cluster: 'cluster1', weight: 1 }] }),
        stderr: forbiddenOutput('globaldeploymentpolicies', 'gdp-2', 'only one GlobalDeploymentPolicy is allowed, and avi-system/global-gdp already exists'),
      },
      {
        manifest: hostRule('ns-ghr', 'ns.image-e2e.example.com', {}, 'default'),
        stderr: forbiddenOutput('gslbhostrules', 'ns-ghr', 'GSLBHostRule objects are only accepted in namespace avi-system'),
      },
    ];
    for (const c of cases) {
      const r = await k('cluster1', ['apply', '-f', '-'], yaml(c.manifest));
      assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 1, stdout: '', stderr: c.stderr });
      const name = (c.manifest.metadata as Obj).name;
      // The decision came from this container: one denied validation in its log (written asynchronously, so wait for it).
      const decisions = () => pod!.logs.filter((l) => l.msg === 'admission decision' && l.name === name && l.webhook === 'validate' && !l.dryRun);
      await waitFor(`${name}: the container's decision log line`, async () => decisions().length > 0, 10_000, tail);
      await sleep(500);
      assert.deepEqual(decisions().map((d) => d.allowed), [false], `${name}: ${JSON.stringify(decisions())}`);
    }
    assert.equal((await k('cluster1', ['get', 'gdp', 'gdp-2', '-n', NS])).code, 1, 'gdp-2 is not stored');
  });

  it('Ingresses in both member clusters become a GslbService with the 8:2 split (one create); a GDP weight change updates it (one update)', async () => {
    const ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: APPNS, labels: { app: APP }, annotations: akoAnnotations([WEB]) },
      spec: { rules: [{ host: WEB, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    };
    for (const [c, n] of [['cluster1', 1], ['cluster2', 2]] as const) {
      await kOk(c, ['apply', '-f', '-'], yaml(ingress));
      // What AKO writes once the virtual service has its VIP.
      await kOk(c, ['patch', 'ingress', 'web', '-n', APPNS, '--subresource=status', '--type', 'merge', '-p',
        JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: `10.10.${n}.1`, hostname: WEB }] } } })]);
    }
    await converge(['10:10.10.1.1/8,10.10.2.1/2']);
    const uuid = (await gs(WEB))!.uuid;
    assert.equal(gslbWrites('POST').length, 1, 'one GslbService created');
    const updatesBefore = [...gslbWrites('PUT'), ...gslbWrites('PATCH')].length;
    await kOk('cluster1', ['patch', 'gdp', 'global-gdp', '-n', NS, '--type', 'merge', '-p',
      JSON.stringify({ spec: { trafficSplit: [{ cluster: 'cluster1', weight: 5 }, { cluster: 'cluster2', weight: 7 }] } })]);
    await converge(['10:10.10.1.1/5,10.10.2.1/7']);
    assert.equal((await gs(WEB))!.uuid, uuid, 'updated in place');
    // (Earlier updates, if any, added the second cluster's member when its Ingress status arrived.)
    const updates = [...gslbWrites('PUT'), ...gslbWrites('PATCH')].slice(updatesBefore);
    assert.deepEqual(updates.map((e) => `${e.method} ${e.path}`), [`PUT /api/gslbservice/${uuid}`], 'one GslbService update for the weight change');
  });

  it('/metrics from the container: amko_build_info carries the package version and Node.js from the Dockerfile', async () => {
    const secret = await getJson(['secret', 'amko-webhook-tls', '-n', NS]);
    const text = await new Promise<string>((resolve, reject) => {
      https
        .get({ host: ip, port, path: '/metrics', servername: 'amko-webhook.avi-system.svc', ca: Buffer.from(secret.data['ca.crt'], 'base64'), agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
    assert.deepEqual(
      text.split('\n').filter((l) => l.startsWith('amko_build_info')),
      [`amko_build_info{version="${PKG_VERSION}",node="${NODE_VERSION}"} 1`],
    );
  });

  it('kubectl delete gdp removes the GslbService; the kubelet’s probes never failed; podman stop (the grace period) exits 0 in time, without OOM kill, under the memory limit', async function () {
    this.timeout(120_000);
    await kOk('cluster1', ['delete', 'gdp', 'global-gdp', '-n', NS]);
    await waitFor(`${WEB} deleted from the simulator`, async () => (await gs(WEB)) === undefined, 45_000, tail);

    kubeletStop = true;
    await kubeletLoop;
    const failed = kubelet.filter((p) => !probeOk(p));
    assert.deepEqual(failed, [], `${failed.length} of ${kubelet.length} probes failed`);
    for (const kind of ['livenessProbe', 'readinessProbe']) assert.ok(kubelet.some((p) => p.kind === kind), `the ${kind} ran`);

    const p = pod!;
    const peak = Number((await podman(['exec', p.name, 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.peak'])).trim());
    const limit = quantity(p.container.resources.limits.memory);
    assert.ok(peak > 0 && peak < limit, `peak memory ${peak} B under the limit ${limit} B`);
    const grace = deployment.spec.template.spec.terminationGracePeriodSeconds as number;
    const stopped = await p.stop();
    assert.deepEqual([stopped.exitCode, stopped.oomKilled], [0, false], p.logTail());
    // SIGTERM, not the SIGKILL at the end of the grace period, ended it.
    assert.ok(stopped.ms < grace * 1000, `stopped in ${stopped.ms} ms (grace ${grace} s)`);
    assert.ok(p.logs.some((l) => l.msg === 'stopped'), p.logTail());
    (this as unknown as { test: { title: string } }).test.title += ` [peak ${(peak / 2 ** 20).toFixed(0)} MiB of ${(limit / 2 ** 20).toFixed(0)} MiB, stop ${stopped.ms} ms, ${kubelet.length} probes]`;
  });
});
