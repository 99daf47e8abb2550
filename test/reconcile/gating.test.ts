// Role and Lease gating of the reconcile worker without a cluster: a fake role
// watcher, leader election off, and an own cluster that does not answer. The
// worker must build no Avi client while the role is a follower, start syncing
// when the role flips live, and stop at once when it flips back.
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../../src/log.js';
import { UNKNOWN_ROLE, type RoleListener, type RoleState, type RoleWatcher } from '../../src/federation/role.js';
import { createReconcileWorker } from '../../src/controllers.js';
import { registry } from '../../src/metrics.js';

const log = createLogger({ level: 'silent' });
const LEADER: RoleState = { role: 'leader', syncToAvi: true, federate: true, reason: 'test leader' };
const FOLLOWER: RoleState = { role: 'follower', syncToAvi: false, federate: false, reason: 'test follower' };

function fakeRole(initial: RoleState): RoleWatcher & { set(s: RoleState): void } {
  let state = initial;
  const listeners = new Set<RoleListener>();
  return {
    start: async () => state,
    stop: async () => undefined,
    current: () => state,
    onChange(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    waitFor: async () => state,
    set(s) {
      const prev = state;
      state = s;
      for (const l of [...listeners]) l(s, prev);
    },
  };
}

function deadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'http://127.0.0.1:1' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

const tick = () => new Promise((r) => setTimeout(r, 20));

async function gaugeValue(name: string): Promise<number | undefined> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return m?.values[0]?.value;
}

describe('reconcile worker: role gating', () => {
  it('a follower makes no Avi call and starts no sync; flipping the role starts and stops it live', async () => {
    const role = fakeRole(FOLLOWER);
    let clients = 0;
    const worker = createReconcileWorker({
      kubeConfig: deadKubeConfig(),
      log,
      role,
      leaderElection: false,
      aviFactory: () => {
        clients++;
        throw new Error('no Avi in this test');
      },
      memberBackoff: { initialMs: 50, maxMs: 100 },
    });
    await worker.start();
    try {
      await tick();
      assert.equal(worker.holdsLease(), true);
      assert.equal(worker.isLeader(), false);
      assert.equal(worker.ready(), true);
      assert.deepEqual([worker.snapshot().leader, worker.snapshot().role], [false, 'follower']);
      // A follower holds the Lease without syncing: the no-leader alert reads the Lease gauge.
      assert.deepEqual([await gaugeValue('amko_worker_lease_held'), await gaugeValue('amko_worker_is_leader')], [1, 0]);
      role.set(LEADER);
      await tick();
      assert.equal(worker.isLeader(), true, 'promotion starts the sync without a restart');
      role.set(FOLLOWER);
      assert.equal(worker.isLeader(), false, 'demotion stops the sync at once');
      role.set(LEADER);
      role.set(FOLLOWER);
      await tick();
      assert.equal(worker.isLeader(), false, 'a flip and back settles on the last role');
      assert.equal(clients, 0, 'no Avi client was built (the own cluster never answered)');
    } finally {
      await worker.stop();
    }
    assert.equal(worker.isLeader(), false);
    assert.equal(await gaugeValue('amko_worker_lease_held'), 0, 'a stopped worker released the Lease');
  });

  it('without a listed role (unknown) nothing syncs; `role: false` always syncs while the Lease is held', async () => {
    const unknown = createReconcileWorker({ kubeConfig: deadKubeConfig(), log, role: fakeRole(UNKNOWN_ROLE), leaderElection: false });
    const ungated = createReconcileWorker({ kubeConfig: deadKubeConfig(), log, role: false, leaderElection: false });
    await unknown.start();
    await ungated.start();
    try {
      await tick();
      assert.equal(unknown.isLeader(), false);
      assert.equal(ungated.isLeader(), true);
      assert.equal(ungated.roleState().syncToAvi, true);
    } finally {
      await unknown.stop();
      await ungated.stop();
    }
  });
});
