// The Lease renew's requests against a real kube-apiserver, counted in this process (node's
// http.client diagnostics channel): a valid leader renews with the record it last wrote — one PUT per
// retry period and no GET (client-go's fast path; the renew used to read the Lease first, doubling the
// requests of an idle replica). A renew that meets a changed Lease (409) falls back to a read: the
// same holder renews on the fresh record and keeps leading; another valid holder ends the term.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { LeaderElector } from '../../src/kube/lease.js';
import type { ClusterHandle } from '../harness/control-plane.js';
import { sharedControlPlanes } from '../harness/shared.js';
import { ensureNamespace, k } from '../reconcile/e2e-helpers.js';

const NS = 'lease-renew-test';
const TIMING = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Seen {
  method: string;
  status?: number;
}

describe('Lease renew: one replace per retry period, a read only after a conflict (real kube-apiserver)', function () {
  this.timeout(120_000);
  let c1: ClusterHandle;
  const seen: Seen[] = [];
  // Only the elector's requests (one elector at a time, in this test's namespace): they ask for JSON, the
  // test's own requests through the harness do not.
  const onStart = ({ request }: { request: ClientRequest }) => {
    if (!request.path.startsWith(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`) || request.getHeader('accept') !== 'application/json') return;
    const entry: Seen = { method: request.method };
    seen.push(entry);
    request.once('response', (res: IncomingMessage) => (entry.status = res.statusCode));
  };
  let elector: LeaderElector | undefined;

  before(async function () {
    this.timeout(10 * 60_000);
    c1 = (await sharedControlPlanes()).cluster('cluster1');
    await ensureNamespace(c1, NS);
    diagnostics.subscribe('http.client.request.start', onStart as (m: unknown) => void);
  });

  after(async () => {
    diagnostics.unsubscribe('http.client.request.start', onStart as (m: unknown) => void);
    await elector?.stop();
  });

  const lead = async (name: string) => {
    seen.length = 0;
    const events: string[] = [];
    elector = new LeaderElector({
      kubeConfig: c1.kubeConfig,
      name,
      namespace: NS,
      identity: 'renew-a',
      ...TIMING,
      onStartedLeading: () => events.push('started'),
      onStoppedLeading: () => events.push('stopped'),
    });
    elector.start();
    const t0 = Date.now();
    while (!elector.isLeader()) {
      if (Date.now() - t0 > 10_000) throw new Error('did not acquire the Lease');
      await sleep(20);
    }
    return events;
  };
  const leasePath = (name: string) => `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${name}`;

  it('a valid leader renews with one PUT per retry period and no GET', async () => {
    const events = await lead('renew-fast');
    // Acquiring a Lease that does not exist: a GET (404) and a POST.
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.status}`),
      ['GET 404', 'POST 201'],
    );
    seen.length = 0;
    const W = 3000;
    await sleep(W);
    const methods = seen.map((s) => s.method);
    assert.equal(methods.filter((m) => m !== 'PUT').length, 0, `requests while leading: ${methods.join(' ')}`);
    // One renew per retry period: at most floor(W / retry) + 1 in a window of W, at least half of that on a loaded machine.
    const bound = Math.floor(W / TIMING.retryPeriodMs) + 1;
    assert.ok(methods.length <= bound && methods.length >= Math.floor(bound / 2), `${methods.length} renews in ${W} ms (bound ${bound})`);
    assert.ok(seen.every((s) => s.status === 200 || s.status === undefined));
    assert.equal(elector!.isLeader(), true);
    assert.deepEqual(events, ['started']);
    await elector!.stop();
    elector = undefined;
  });

  it('a renew that meets a changed Lease (409) reads it and renews on the fresh record: still leading, no step-down', async () => {
    const events = await lead('renew-conflict');
    // Someone else writes the Lease (a label), keeping us as the holder: our last written record is stale.
    const cur = await k(c1, 'GET', leasePath('renew-conflict'));
    seen.length = 0;
    await k(c1, 'PUT', leasePath('renew-conflict'), { ...cur, metadata: { ...cur.metadata, labels: { touched: 'yes' } } });
    await sleep(3 * TIMING.retryPeriodMs);
    const log = seen.map((s) => `${s.method} ${s.status}`);
    const conflict = log.indexOf('PUT 409');
    assert.ok(conflict >= 0, `no conflict seen: ${log.join(', ')}`);
    assert.deepEqual(log.slice(conflict, conflict + 3), ['PUT 409', 'GET 200', 'PUT 200'], log.join(', '));
    // After the fallback the fast path resumes: only PUTs.
    assert.deepEqual(
      log.slice(conflict + 3).filter((l) => l !== 'PUT 200'),
      [],
    );
    assert.equal(elector!.isLeader(), true);
    assert.deepEqual(events, ['started']);
    const stored = await k(c1, 'GET', leasePath('renew-conflict'));
    assert.equal(stored.spec.holderIdentity, 'renew-a');
    assert.equal(stored.metadata.labels?.touched, 'yes', 'the renew on the fresh record kept the other writer’s change');
    await elector!.stop();
    elector = undefined;
  });

  it('a renew that finds another valid holder steps down at once', async () => {
    const events = await lead('renew-taken');
    const cur = await k(c1, 'GET', leasePath('renew-taken'));
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    await k(c1, 'PUT', leasePath('renew-taken'), { ...cur, spec: { ...cur.spec, holderIdentity: 'renew-b', renewTime: now, leaseDurationSeconds: 60 } });
    const t0 = Date.now();
    while (elector!.isLeader() && Date.now() - t0 < 5000) await sleep(10);
    assert.equal(elector!.isLeader(), false);
    // One retry period for the next renew, with a margin for the loaded machine.
    assert.ok(Date.now() - t0 <= TIMING.retryPeriodMs + 1000, `stepped down after ${Date.now() - t0} ms`);
    assert.deepEqual(events, ['started', 'stopped']);
    await sleep(2 * TIMING.retryPeriodMs);
    assert.equal((await k(c1, 'GET', leasePath('renew-taken'))).spec.holderIdentity, 'renew-b', 'the other holder was not overwritten');
    await elector!.stop();
    elector = undefined;
  });
});
