// `amko serve --webhook-workers 2` as a process group against a real kube-apiserver: the webhook is
// served by two node:cluster workers on one listening socket, and everything that must run once per
// process group runs once, in the primary (the reconcile worker and its Lease). Checked from the
// outside: the process tree, the Lease and the log lines, which worker answered each request (its
// decision line names it), GET /metrics summed over the processes, the workers answering from the
// primary's replicated cache (no direct read for an allowed CREATE, one per denial), the
// GSLBConfig's spec.logLevel applied in every worker, a replaced
// certificate served by every worker, a killed worker replaced (with the current certificate), and
// a request in flight during SIGTERM answered before the group exits 0.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { createServingCert, startControlPlanes, clusterRequest, type ControlPlanes } from '../harness/control-plane.js';
import { installCrds, startAmkoServer, type AmkoServer } from '../e2e/support/amko-server.js';
import { loadFixture } from './support.js';
import { replaceSpec } from '../reconcile/e2e-helpers.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function childrenOf(pid: number): Array<{ pid: number; cmdline: string }> {
  const out: Array<{ pid: number; cmdline: string }> = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) continue;
      out.push({ pid: Number(e), cmdline: readFileSync(`/proc/${e}/cmdline`, 'utf8').replaceAll('\0', ' ') });
    } catch {
      /* gone */
    }
  }
  return out;
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** POST a review on a connection of its own (node:cluster hands each new connection to the next worker). */
function post(server: AmkoServer, body: unknown, ca: string): Promise<{ status: number; json: any; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = https.request(
      `${server.url}/validate`,
      { method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } },
      (res) => {
        const fingerprint = (res.socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(data), fingerprint }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** The sum of the metric lines of GET /metrics (every process's, summed by the primary) that start with `prefix`. */
async function metricSum(server: AmkoServer, ca: string, prefix: string): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    https.get(`${server.url}/metrics`, { ca, agent: false }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve(data));
    }).on('error', reject);
  });
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const requestsTotal = (server: AmkoServer, ca: string) => metricSum(server, ca, 'amko_admission_requests_total{webhook="validate"');
const directReads = (server: AmkoServer, ca: string, kind = '') => metricSum(server, ca, `amko_admission_direct_reads_total{kind="${kind}`);

describe('amko serve --webhook-workers 2: one process group (real kube-apiserver)', function () {
  this.timeout(120_000);
  let cp: ControlPlanes;
  let server: AmkoServer;
  let ca: string;
  const review = (uid: string) => {
    const body = loadFixture('globaldeploymentpolicy-create.validate');
    body.request.uid = uid;
    return body;
  };
  const decisionsOf = (uids: string[]) => server.logs.filter((l) => l.msg === 'admission decision' && uids.includes(String(l.uid)));

  before(async function () {
    this.timeout(600_000);
    cp = await startControlPlanes({ clusters: 1, namespaces: ['avi-system'] });
    await installCrds({ kubeconfig: cp.clusters[0]!.kubeconfigPath });
    server = await startAmkoServer({
      kubeconfig: cp.clusters[0]!.kubeconfigPath,
      worker: true,
      args: ['--webhook-workers', '2'],
      env: { POD_NAME: 'amko-workers-test' },
    });
    ca = server.caPem;
  });

  after(async () => {
    await server?.stop();
    await cp?.stop();
  });

  it('runs two webhook workers under the primary, and the reconcile worker and its Lease once, in the primary', async () => {
    const workers = childrenOf(server.pid).filter((c) => c.cmdline.includes('admission/workers/worker'));
    assert.equal(workers.length, 2, childrenOf(server.pid).map((c) => c.cmdline).join('\n'));
    const lease = async () =>
      (await clusterRequest(cp.clusters[0]!, 'GET', '/apis/coordination.k8s.io/v1/namespaces/avi-system/leases/amko-reconcile-worker')).json as
        | { spec?: { holderIdentity?: string } }
        | undefined;
    for (let i = 0; (await lease())?.spec?.holderIdentity !== 'amko-workers-test'; i++) {
      if (i === 120) assert.fail(`no Lease held by the primary: ${JSON.stringify(await lease())}\n${server.logTail()}`);
      await sleep(250);
    }
    // The Lease is stored before the primary has its answer, and the line reaches stdout after that.
    const becameLeader = () => server.logs.filter((l) => l.msg === 'became leader');
    for (let i = 0; becameLeader().length === 0 && i < 40; i++) await sleep(50);
    const leading = becameLeader();
    assert.equal(leading.length, 1, server.logTail());
    // The primary logs without a worker id; only webhook workers carry one.
    assert.equal(leading[0]!.worker, undefined);
    assert.deepEqual(server.logs.filter((l) => l.worker !== undefined && l.msg !== 'admission decision' && l.level !== 10 && l.level !== 20).map((l) => l.msg), []);
  });

  it('answers requests from both workers, and GET /metrics counts every request once', async () => {
    const before = await requestsTotal(server, ca);
    const uids = Array.from({ length: 12 }, (_, i) => `00000000-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`);
    for (const uid of uids) {
      const res = await post(server, review(uid), ca);
      assert.deepEqual([res.status, res.json.response.uid, res.json.response.allowed], [200, uid, true]);
    }
    for (let i = 0; decisionsOf(uids).length < uids.length; i++) {
      if (i === 40) assert.fail(`decision lines: ${decisionsOf(uids).length} of ${uids.length}`);
      await sleep(250);
    }
    assert.deepEqual([...new Set(decisionsOf(uids).map((l) => l.worker))].sort(), [1, 2]);
    assert.equal((await requestsTotal(server, ca)) - before, uids.length);
  });

  it("every worker answers from the primary's cache: allowed CREATEs read nothing from the API server, each denial is confirmed once", async () => {
    const cluster = cp.clusters[0]!;
    const create = async (plural: string, obj: Record<string, any>) => {
      const r = await clusterRequest(cluster, 'POST', `/apis/amko.vmware.com/${String(obj.apiVersion).split('/')[1]}/namespaces/avi-system/${plural}`, obj);
      assert.equal(r.status, 201, r.body);
    };
    // Straight at the API server (the webhooks are not registered there): the GSLBConfig of the captured apply.
    const gc = loadFixture('gslbconfig-create.validate').request.object;
    await create('gslbconfigs', { apiVersion: gc.apiVersion, kind: gc.kind, metadata: { name: gc.metadata.name, namespace: 'avi-system' }, spec: gc.spec });
    // Until the workers' replicas hold it, a GDP review still reads the GSLBConfig from the API server.
    let n = 0;
    const reviews = async (count: number) => {
      const out = [];
      for (let i = 0; i < count; i++) out.push(await post(server, review(`30000000-0000-4000-8000-${String(n++).padStart(12, '0')}`), ca));
      return out;
    };
    for (let i = 0; ; i++) {
      const before = await directReads(server, ca);
      await reviews(4);
      if ((await directReads(server, ca)) === before) break;
      if (i === 40) assert.fail('the workers kept reading the API server');
      await sleep(250);
    }
    const before = await directReads(server, ca);
    for (const res of await reviews(10)) assert.deepEqual([res.status, res.json.response.allowed, res.json.response.warnings], [200, true, undefined]);
    assert.equal((await directReads(server, ca)) - before, 0, 'allowed CREATEs answered from the replicated cache');

    const gdp = loadFixture('globaldeploymentpolicy-create.validate').request.object;
    await create('globaldeploymentpolicies', { apiVersion: gdp.apiVersion, kind: gdp.kind, metadata: { name: 'gdp-existing', namespace: 'avi-system' }, spec: gdp.spec });
    const denied = (res: { json: any }) => res.json.response.allowed === false;
    for (let i = 0; !denied((await reviews(1))[0]!); i++) {
      if (i === 40) assert.fail('the existing GDP never reached the workers');
      await sleep(250);
    }
    const readsBefore = await directReads(server, ca, 'GlobalDeploymentPolicy');
    const first = n;
    for (const res of await reviews(6)) {
      assert.equal(res.json.response.allowed, false);
      assert.match(res.json.response.status.message, /only one GlobalDeploymentPolicy is allowed, and avi-system\/gdp-existing already exists/);
    }
    assert.equal((await directReads(server, ca, 'GlobalDeploymentPolicy')) - readsBefore, 6, 'one direct read per denial');
    const uids = Array.from({ length: 6 }, (_, i) => `30000000-0000-4000-8000-${String(first + i).padStart(12, '0')}`);
    for (let i = 0; decisionsOf(uids).length < uids.length; i++) {
      if (i === 40) assert.fail(`decision lines: ${decisionsOf(uids).length} of ${uids.length}`);
      await sleep(250);
    }
    assert.deepEqual([...new Set(decisionsOf(uids).map((l) => l.worker))].sort(), [1, 2]);
    const del = await clusterRequest(cluster, 'DELETE', `/apis/amko.vmware.com/${String(gdp.apiVersion).split('/')[1]}/namespaces/avi-system/globaldeploymentpolicies/gdp-existing`);
    assert.equal(del.status, 200, del.body);
    for (let i = 0; denied((await reviews(1))[0]!); i++) {
      if (i === 40) assert.fail('the deleted GDP stayed in the workers');
      await sleep(250);
    }
  });

  it("the GSLBConfig's spec.logLevel reaches every worker, as it does the primary", async () => {
    const gcPath = '/apis/amko.vmware.com/v1alpha1/namespaces/avi-system/gslbconfigs/gc-1';
    const gcSpec = loadFixture('gslbconfig-create.validate').request.object.spec;
    let batch = 0;
    /** Ten reviews on fresh connections (both workers), and the decision lines they left after 1.5 s. */
    const decisionsOfBatch = async () => {
      const uids = Array.from({ length: 10 }, (_, i) => `50000000-0000-4000-8000-${String(batch * 100 + i).padStart(12, '0')}`);
      batch++;
      for (const uid of uids) assert.equal((await post(server, review(uid), ca)).status, 200);
      await sleep(1500);
      return decisionsOf(uids);
    };
    await replaceSpec(cp.clusters[0]!, gcPath, { ...gcSpec, logLevel: 'WARN' });
    for (let i = 0; (await decisionsOfBatch()).length > 0; i++) if (i === 20) assert.fail('decision lines still logged at WARN');
    await replaceSpec(cp.clusters[0]!, gcPath, { ...gcSpec, logLevel: 'INFO' });
    for (let i = 0; ; i++) {
      const lines = await decisionsOfBatch();
      if (lines.length === 10) {
        assert.deepEqual([...new Set(lines.map((l) => l.worker))].sort(), [1, 2]);
        break;
      }
      if (i === 20) assert.fail(`decision lines at INFO: ${lines.length} of 10`);
    }
  });

  it('serves a replaced certificate from every worker', async () => {
    const next = await createServingCert(['127.0.0.1', 'localhost']);
    server.writeCertificate(next);
    const fingerprint = new (await import('node:crypto')).X509Certificate(next.certPem).fingerprint256;
    // The file source polls; wait until a connection gets the new certificate, then check a run of them.
    for (let i = 0; (await post(server, review('probe'), next.caPem).catch(() => undefined))?.fingerprint !== fingerprint; i++) {
      if (i === 80) assert.fail('the new certificate was never served');
      await sleep(250);
    }
    const uids = Array.from({ length: 8 }, (_, i) => `10000000-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`);
    for (const uid of uids) assert.equal((await post(server, review(uid), next.caPem)).fingerprint, fingerprint);
    for (let i = 0; decisionsOf(uids).length < uids.length; i++) {
      if (i === 40) assert.fail(`decision lines: ${decisionsOf(uids).length} of ${uids.length}`);
      await sleep(250);
    }
    assert.deepEqual([...new Set(decisionsOf(uids).map((l) => l.worker))].sort(), [1, 2]);
    ca = next.caPem;
  });

  it('a webhook worker that dies is replaced, and the group keeps answering', async () => {
    const workers = () => childrenOf(server.pid).filter((c) => c.cmdline.includes('admission/workers/worker')).map((c) => c.pid);
    const [victim, survivor] = workers();
    process.kill(victim!, 'SIGKILL');
    for (let i = 0; !(workers().length === 2 && !workers().includes(victim!)); i++) {
      if (i === 80) assert.fail(`no replacement worker: ${workers().join(', ')}\n${server.logTail()}`);
      await sleep(250);
    }
    assert.ok(workers().includes(survivor!));
    assert.equal(server.logs.filter((l) => l.msg === 'webhook worker exited; starting another').length, 1, server.logTail());
    const uids = Array.from({ length: 6 }, (_, i) => `40000000-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`);
    for (let i = 0; ; i++) {
      // The replacement listens a moment after it is forked; until then the survivor takes every connection.
      const res = await post(server, review(`4ffff000-0000-4000-8000-0000000000${String(i % 100).padStart(2, '0')}`), ca);
      assert.equal(res.status, 200);
      if (server.logs.some((l) => l.msg === 'admission decision' && l.worker === 3)) break;
      if (i === 80) assert.fail('the replacement worker never answered');
      await sleep(100);
    }
    for (const uid of uids) assert.equal((await post(server, review(uid), ca)).json.response.uid, uid);
    for (let i = 0; decisionsOf(uids).length < uids.length; i++) {
      if (i === 40) assert.fail(`decision lines: ${decisionsOf(uids).length} of ${uids.length}`);
      await sleep(250);
    }
    // node:cluster numbers workers from 1: the replacement of worker 1 or 2 is worker 3.
    const answeredBy = [...new Set(decisionsOf(uids).map((l) => l.worker))];
    assert.equal(answeredBy.length, 2, `answered by workers ${answeredBy.join(', ')}`);
    assert.ok(answeredBy.includes(3), `answered by workers ${answeredBy.join(', ')}`);
  });

  it('SIGTERM to the primary: a request in flight is answered, then the whole group exits 0', async () => {
    const workerPids = childrenOf(server.pid)
      .filter((c) => c.cmdline.includes('admission/workers/worker'))
      .map((c) => c.pid);
    assert.equal(workerPids.length, 2);
    const text = JSON.stringify(review('20000000-0000-4000-8000-000000000000'));
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(
        `${server.url}/validate`,
        { method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
      // Half the body now, the rest after the SIGTERM.
      req.write(text.slice(0, 100));
      setTimeout(() => {
        process.kill(server.pid, 'SIGTERM');
        setTimeout(() => req.end(text.slice(100)), 500);
      }, 300);
    });
    const res = await answered;
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).response.allowed, true);
    for (let i = 0; server.exitCode() === undefined; i++) {
      if (i === 80) assert.fail(`the group did not stop:\n${server.logTail()}`);
      await sleep(250);
    }
    assert.equal(server.exitCode(), 0, server.logTail());
    // Exited workers may stay zombies until PID 1 reaps them; they hold nothing.
    assert.deepEqual(workerPids.filter(running), []);
    assert.equal(server.logs.filter((l) => l.msg === 'released the lease').length, 1, server.logTail());
  });
});
