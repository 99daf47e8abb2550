// Avi account safety and visibility, end to end: the real worker and Avi client
// against real kube-apiservers and the Avi simulator, which locks an account
// after 3 consecutive failed logins (as a controller's default user account
// profile does). Invariants, counted at the simulator: a wrong password costs
// at most 2 logins and then none until the credentials Secret changes; a
// password changed on the controller under a running worker costs 2 as well;
// an untrusted controller certificate is logged at error with the reason, shown
// in the GSLBConfig status, and retried on a capped backoff.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { AviClient } from '../../src/avi/client.js';
import { createLogger } from '../../src/log.js';
import { registry } from '../../src/metrics.js';
import { GC_STATE, LOGIN_REFUSED } from '../../src/reconcile/gslb-config.js';
import { createReconcileWorker, type StandaloneWorker, type StandaloneWorkerOptions } from '../../src/controllers.js';
import { generateSimCert, startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import type { ClusterHandle, ControlPlanes } from '../harness/control-plane.js';
import { sharedControlPlanes } from '../harness/shared.js';
import { akoAnnotations } from '../reconcile/fixtures.js';
import { createGslbConfig, createWithStatus, ensureNamespace, installAmkoCrds, k, kTry, mergePatch, SIM_PASSWORD, SIM_USERNAME, simReader, simWorkerOptions, waitFor } from '../reconcile/e2e-helpers.js';

const ID = randomBytes(3).toString('hex');
const NS = `acct-${ID}`;
const APP_NS = `acct-app-${ID}`;
const UUID = `ac0c0a17-0000-4000-8000-${ID}000000`;
const CB = `amko-${UUID}`;
const GC_PATH = `/apis/amko.vmware.com/v1alpha1/namespaces/${NS}/gslbconfigs`;
const GDP_PATH = `/apis/amko.vmware.com/v1alpha2/namespaces/${NS}/globaldeploymentpolicies`;
const SECRET_PATH = `/api/v1/namespaces/${NS}/secrets`;
const ING_PATH = `/apis/networking.k8s.io/v1/namespaces/${APP_NS}/ingresses`;
/** How long each test watches a worker that must not log in again. */
const WATCH_MS = 20_000;

/** A logger that keeps every line in memory (plus the log level the test runs at). */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger({ level: 'info', destination: sink }), lines };
}

/** Sum of a metric's series matching `labels` (0 when the metric does not exist). */
const metric = async (name: string, labels: Record<string, string> = {}) =>
  ((await registry.getSingleMetric(name)?.get())?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

describe('reliability: Avi account safety (lockout, refused logins, untrusted certificate)', function () {
  this.timeout(180_000);
  let cp: ControlPlanes;
  let c1: ClusterHandle;
  let c2: ClusterHandle;
  let sim: AviSimulator;
  let worker: StandaloneWorker | undefined;

  const refusedLogins = () => sim.requestLog.find('POST', '/login').filter((e) => e.status === 401).length;
  const logins = () => sim.requestLog.find('POST', '/login').length;
  const gcState = async () => (await k(c1, 'GET', `${GC_PATH}/gc-1`)).status?.state as string | undefined;
  const events = async (reason: string) =>
    ((await k(c1, 'GET', `/api/v1/namespaces/${NS}/events`)).items as Array<{ reason: string; type: string; message: string; involvedObject: { name: string } }>).filter(
      (e) => e.involvedObject.name === 'gc-1' && e.reason === reason,
    );
  const gsNames = async () => {
    const reader = simReader(sim, createLogger({ level: 'silent' }));
    try {
      return (await reader.listGslbServices(CB, '*')).map((g) => g.name).sort();
    } finally {
      await reader.close();
    }
  };
  async function setSecret(password: string): Promise<void> {
    const body = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gslb-avi-secret' }, stringData: { username: SIM_USERNAME, password } };
    const cur = await kTry(c1, 'GET', `${SECRET_PATH}/gslb-avi-secret`);
    if (cur.status === 404) await k(c1, 'POST', SECRET_PATH, body);
    else await k(c1, 'PUT', `${SECRET_PATH}/gslb-avi-secret`, { ...body, metadata: { ...body.metadata, resourceVersion: cur.json.metadata.resourceVersion } });
  }
  const newWorker = (log: ReturnType<typeof capture>['log'], overrides: Partial<StandaloneWorkerOptions> = {}) =>
    createReconcileWorker({
      kubeConfig: c1.kubeConfig,
      namespace: NS,
      memberKubeconfig: cp.kubeconfigPath,
      log,
      leaderElection: false,
      role: false,
      ...simWorkerOptions(sim, log),
      ...overrides,
    });
  const ingress = (name: string, host: string, ip: string) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, labels: { app: 'acct' }, annotations: akoAnnotations([host]) },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    status: { loadBalancer: { ingress: [{ ip, hostname: host }] } },
  });

  before(async function () {
    this.timeout(30 * 60_000);
    cp = await sharedControlPlanes();
    [c1, c2] = [cp.cluster('cluster1'), cp.cluster('cluster2')];
    await installAmkoCrds(c1);
    await ensureNamespace(c1, NS);
    await ensureNamespace(c2, APP_NS);
    await createGslbConfig(c1, GC_PATH, { uuid: UUID, controller: '127.0.0.1:1', members: ['cluster2'] });
    await k(c1, 'POST', GDP_PATH, {
      apiVersion: 'amko.vmware.com/v1alpha2',
      kind: 'GlobalDeploymentPolicy',
      metadata: { name: 'gdp' },
      spec: { matchRules: { appSelector: { label: { app: 'acct' } } }, matchClusters: [{ cluster: 'cluster2' }] },
    });
    await createWithStatus(c2, ING_PATH, ingress('web', 'web.acct.example.com', '10.30.2.1'));
  });

  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    await sim?.close();
  });

  after(async () => {
    await kTry(c2, 'DELETE', `/api/v1/namespaces/${APP_NS}`);
    await kTry(c1, 'DELETE', `/api/v1/namespaces/${NS}`);
  });

  async function pointAt(s: AviSimulator): Promise<void> {
    await mergePatch(c1, `${GC_PATH}/gc-1`, { spec: { gslbLeader: { controllerIP: s.host } } });
  }

  it(`a wrong password: 2 logins, then none for ${WATCH_MS / 1000} s (status, Event, metric say why); the Secret fixed: login at once, sync proceeds`, async () => {
    sim = await startAviSimulator();
    await pointAt(sim);
    await setSecret('not-the-password');
    const failuresBefore = await metric('amko_avi_login_failures_total');
    const { log, lines } = capture();
    worker = newWorker(log);
    const startedAt = Date.now();
    await worker.start();
    await waitFor('two refused logins', () => refusedLogins() >= 2, 20_000);
    // Everything else that would start a sync meanwhile: a GDP edit, a full resync, a member change.
    await mergePatch(c1, `${GDP_PATH}/gdp`, { spec: { ttl: 33 } });
    await worker.fullResync();
    await mergePatch(c2, `${ING_PATH}/web/status`, { status: { loadBalancer: { ingress: [{ ip: '10.30.2.2', hostname: 'web.acct.example.com' }] } } });
    await sleepUntil(startedAt + WATCH_MS);
    assert.equal(refusedLogins(), 2, `refused logins in ${WATCH_MS / 1000} s`);
    assert.equal(logins(), 2);
    assert.equal(sim.isLocked(SIM_USERNAME), false, 'the account is not locked');
    assert.equal((await metric('amko_avi_login_failures_total')) - failuresBefore, 2);
    const blocked = await gcState();
    assert.ok(blocked?.startsWith(LOGIN_REFUSED), blocked);
    assert.match(blocked!, /^error: avi login refused 2 times in a row \(Invalid credentials\); no login until the Secret gslb-avi-secret or the GSLBConfig changes, or for 5 min$/);
    assert.equal(await metric('amko_avi_auth_blocked'), 1);
    const ev = await waitFor('AviLoginRefused Events', async () => ((await events('AviLoginRefused')).length >= 2 ? events('AviLoginRefused') : undefined));
    assert.ok(ev.every((e) => e.type === 'Warning'));
    assert.ok(ev.some((e) => e.message === blocked));
    const errors = lines.filter((l) => l.level === 50 && /refused the login/.test(String(l.msg)));
    assert.equal(errors.length, 2);
    assert.equal(errors[1]!.blocked, true);
    assert.ok(!JSON.stringify(lines).includes('not-the-password'), 'the password is never logged');

    await setSecret(SIM_PASSWORD);
    const fixedAt = Date.now();
    await waitFor('synced after the Secret fix', async () => (await gsNames()).includes('web.acct.example.com'), 15_000);
    await waitFor('accepted', async () => (await gcState()) === GC_STATE.accepted);
    process.stderr.write(`      login after the Secret fix: ${Date.now() - fixedAt} ms to the first GslbService\n`);
    assert.equal(refusedLogins(), 2);
    assert.equal(await metric('amko_avi_auth_blocked'), 0);
  });

  it(`a password changed on the controller under a running worker: 2 refused logins (the 401 re-login included), none more for ${WATCH_MS / 1000} s; the Secret updated: sync resumes`, async () => {
    sim = await startAviSimulator();
    await pointAt(sim);
    await setSecret(SIM_PASSWORD);
    const { log } = capture();
    worker = newWorker(log);
    await worker.start();
    await waitFor('synced', async () => (await gcState()) === GC_STATE.accepted && (await gsNames()).includes('web.acct.example.com'), 20_000);
    await worker.idle();
    sim.setPassword(SIM_USERNAME, 'rotated-on-the-controller');
    sim.restart(); // sessions end: the next call gets a 401 and logs in again, with the old password
    sim.requestLog.clear();
    // Several keys at once: each of their writes gets a 401.
    const changedAt = Date.now();
    for (const [i, host] of ['x1', 'x2', 'x3'].entries()) await createWithStatus(c2, ING_PATH, ingress(host, `${host}.acct.example.com`, `10.30.3.${i + 1}`));
    await waitFor('two refused logins', () => refusedLogins() >= 2, 20_000);
    await sleepUntil(changedAt + WATCH_MS);
    assert.equal(refusedLogins(), 2, `refused logins in ${WATCH_MS / 1000} s`);
    assert.equal(sim.isLocked(SIM_USERNAME), false);
    assert.match(String(await gcState()), /^error: avi login refused 2 times in a row/);
    assert.deepEqual(sim.requestLog.entries.filter((e) => e.method !== 'GET' && e.path !== '/login' && e.status < 300), [], 'nothing written meanwhile');

    await setSecret('rotated-on-the-controller');
    await waitFor('the held changes are written', async () => {
      const r = AviClient.create({ controller: sim.host, username: SIM_USERNAME, password: 'rotated-on-the-controller', caPem: sim.caPem, log: createLogger({ level: 'silent' }) });
      try {
        const names = (await r.listGslbServices(CB, '*')).map((g) => g.name);
        return ['x1', 'x2', 'x3'].every((h) => names.includes(`${h}.acct.example.com`));
      } finally {
        await r.close();
      }
    }, 20_000);
    assert.equal(refusedLogins(), 2);
    for (const h of ['x1', 'x2', 'x3']) await kTry(c2, 'DELETE', `${ING_PATH}/${h}`);
  });

  it('an untrusted controller certificate: an error log with the reason, the reason in the status, a capped backoff; trusting the CA and touching the GSLBConfig recovers at once', async () => {
    sim = await startAviSimulator();
    await pointAt(sim);
    await setSecret(SIM_PASSWORD);
    const wrongCa = (await generateSimCert('some-other-ca')).cert;
    let trusted = wrongCa;
    const { log, lines } = capture();
    worker = newWorker(log, {
      aviFactory: (c) => AviClient.create({ ...c, caPem: trusted, log, timeoutMs: 1500 }),
    });
    const attempts = async () => metric('amko_worker_avi_calls_total', { verb: 'getClusterUuid', result: 'tls' });
    const before = await attempts();
    const startedAt = Date.now();
    await worker.start();
    await sleepUntil(startedAt + 10_000);
    // With a 300 ms retry delay doubling per attempt, 10 s hold at most 6 attempts (0, 0.3, 0.9, 2.1, 4.5, 9.3 s); a fixed delay would make ~33.
    const n = (await attempts()) - before;
    process.stderr.write(`      connection attempts in the first 10 s: ${n}\n`);
    assert.ok(n >= 3 && n <= 6, `attempts in 10 s: ${n}`);
    const state = await gcState();
    assert.match(String(state), /^error: issue in connecting to the controller API, .*controller certificate verification failed: unknown CA \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/);
    const tlsErrors = lines.filter((l) => l.level === 50 && /certificate verification failed/.test(String(l.msg)));
    assert.equal(tlsErrors.length, n, 'one error line per attempt');
    assert.ok(tlsErrors.every((l) => l.reason === 'unknown CA' && typeof l.code === 'string'));
    assert.equal(sim.requestLog.entries.length, 0, 'no request got through the handshake');
    assert.ok((await events('GSLBConfigError')).some((e) => e.message === state));

    trusted = sim.caPem;
    await mergePatch(c1, `${GC_PATH}/gc-1`, { metadata: { annotations: { 'example.com/retry': String(Date.now()) } } });
    await waitFor('synced with the trusted CA', async () => (await gcState()) === GC_STATE.accepted && (await gsNames()).includes('web.acct.example.com'), 15_000);
  });
});
