// The worker's write fence with the real Avi client against the simulator: a write is checked
// right before it is sent (after the token wait, and again inside the client after a re-login),
// a refused write never reaches the controller, and the first "not the leader" answer closes the
// fence for every further write until leadership is verified again.
import assert from 'node:assert/strict';
import { AviClient } from '../../src/avi/client.js';
import type { GslbService, HealthMonitor } from '../../src/avi/types.js';
import { AviClientHolder } from '../../src/reconcile/avi-session.js';
import { TokenBucket } from '../../src/reconcile/queue.js';
import { FencedWrite, WriteFence } from '../../src/reconcile/write-fence.js';
import { gsBody, hmBody, rig, SIM_USER, type Rig } from '../avi/helpers.js';

const writes = (r: Rig) => r.sim.requestLog.entries.filter((e) => e.method !== 'GET' && e.path.startsWith('/api/'));

describe('write fence (real Avi client + simulator)', () => {
  let r: Rig;
  let session: AviClientHolder | undefined;
  beforeEach(async () => {
    r = await rig();
  });
  afterEach(async () => {
    await session?.close();
    session = undefined;
    await r.close();
  });

  function fenced(state: { lease: boolean; leads: boolean; notLeader: number }, bucket?: TokenBucket) {
    const fence = new WriteFence({
      leaseValid: () => state.lease,
      controllerLeads: () => state.leads,
      onNotLeader: () => {
        state.notLeader++;
        state.leads = false;
      },
    });
    session = new AviClientHolder(
      (c) => AviClient.create({ ...c, caPem: r.sim.caPem, userAgent: 'amko (replica-1)', log: r.logs.log }),
      bucket,
      fence,
    );
    return { fence, session };
  }
  const conn = { controller: '', username: SIM_USER.username, password: SIM_USER.password, tenant: 'admin' };

  it('a write refused by the fence is not sent; reads still are; the refusal names the reason', async () => {
    const state = { lease: true, leads: true, notLeader: 0 };
    const { session: s } = fenced(state);
    const api = await s.rebuild({ ...conn, controller: r.sim.host });
    await api.createHealthMonitor(hmBody('hm-a') as HealthMonitor, 'admin');
    state.lease = false;
    await assert.rejects(api.createHealthMonitor(hmBody('hm-b') as HealthMonitor, 'admin'), (e: unknown) => e instanceof FencedWrite && /renew deadline/.test(e.message));
    state.lease = true;
    state.leads = false;
    await assert.rejects(api.deleteHealthMonitor('x', 'admin'), (e: unknown) => e instanceof FencedWrite && /not verified as the GSLB leader/.test(e.message));
    assert.equal((await api.listHealthMonitors('admin')).length >= 1, true);
    assert.deepEqual(writes(r).map((e) => `${e.method} ${e.path} ${e.userAgent}`), ['POST /api/healthmonitor/ amko (replica-1)']);
  });

  it('a write that waited for a rate-limit token is checked after the wait: it does not slip out once the lease is gone', async () => {
    const state = { lease: true, leads: true, notLeader: 0 };
    const { session: s } = fenced(state, new TokenBucket(2, 1));
    const api = await s.rebuild({ ...conn, controller: r.sim.host });
    await api.getGslb(); // takes the only token
    const waiting = api.createHealthMonitor(hmBody('hm-late') as HealthMonitor, 'admin');
    state.lease = false; // lost while the write waits ~500 ms for its token
    await assert.rejects(waiting, FencedWrite);
    assert.deepEqual(writes(r), []);
  });

  it('inside the client: the re-send of a write after a re-login is checked again', async () => {
    let calls = 0;
    const client = AviClient.create({
      controller: r.sim.host,
      username: SIM_USER.username,
      password: SIM_USER.password,
      caPem: r.sim.caPem,
      log: r.logs.log,
      writeGuard: () => {
        if (++calls > 1) throw new FencedWrite('lease lost during the re-login');
      },
    });
    try {
      await client.getGslb();
      r.sim.restart(); // the next write gets 401 and is re-sent after a login
      await assert.rejects(client.createHealthMonitor(hmBody('hm-relogin') as HealthMonitor, 'admin'), (e: unknown) => e instanceof FencedWrite && /re-login/.test(e.message));
      assert.equal(calls, 2);
      assert.deepEqual(
        r.sim.requestLog.entries.filter((e) => e.method === 'POST').map((e) => `${e.path} ${e.status}`),
        ['/login 200', '/api/healthmonitor/ 401', '/login 200'],
      );
    } finally {
      await client.close();
    }
  });

  it('the first "not the leader" answer closes the fence: no further write is sent, concurrent ones included', async () => {
    const state = { lease: true, leads: true, notLeader: 0 };
    const { session: s } = fenced(state);
    const api = await s.rebuild({ ...conn, controller: r.sim.host });
    await api.createHealthMonitor(hmBody('hm-1') as HealthMonitor, 'admin');
    r.sim.store.setLeader(false);
    await assert.rejects(api.createGslbService(gsBody('gs-1.example.com') as GslbService, 'admin'), (e: unknown) => (e as { errorClass?: string }).errorClass === 'not-leader');
    assert.equal(state.notLeader, 1);
    const later = await Promise.allSettled([
      api.createHealthMonitor(hmBody('hm-2') as HealthMonitor, 'admin'),
      api.updateHealthMonitor('uuid', hmBody('hm-1') as HealthMonitor, 'admin'),
      api.deleteGslbService('uuid', 'admin'),
    ]);
    assert.deepEqual(later.map((x) => x.status === 'rejected' && x.reason instanceof FencedWrite), [true, true, true]);
    assert.deepEqual(writes(r).map((e) => `${e.method} ${e.path} ${e.status}`), ['POST /api/healthmonitor/ 201', 'POST /api/gslbservice/ 400']);
    // Leadership verified again (the worker's config step sets session.ok): writes flow.
    r.sim.store.setLeader(true);
    state.leads = true;
    await api.createHealthMonitor(hmBody('hm-2') as HealthMonitor, 'admin');
    assert.equal(state.notLeader, 1);
  });

  it('settled() waits for the writes in flight, at most the given time', async () => {
    const state = { lease: true, leads: true, notLeader: 0 };
    const { session: s, fence } = fenced(state);
    const api = await s.rebuild({ ...conn, controller: r.sim.host });
    await api.getGslb();
    r.sim.faults.add({ method: 'POST', path: '/api/healthmonitor', latencyMs: 300, times: 1 });
    let done = false;
    const w = api.createHealthMonitor(hmBody('hm-slow') as HealthMonitor, 'admin').then(() => (done = true));
    await fence.settled(5_000);
    assert.equal(done, true);
    r.sim.faults.add({ method: 'POST', path: '/api/healthmonitor', latencyMs: 2_000, times: 1 });
    const slow = api.createHealthMonitor(hmBody('hm-slower') as HealthMonitor, 'admin');
    const t0 = Date.now();
    await fence.settled(200);
    const waited = Date.now() - t0;
    assert.ok(waited >= 190 && waited < 1_500, `settled after ${waited} ms`);
    await Promise.all([w, slow]);
  });
});
