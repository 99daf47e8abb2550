// Leader-election timing (client-go's rules and defaults) and the options pattern behind the
// Lease write storm: an option forwarded as `undefined` must keep its default, in the elector,
// the work queue and the Avi client's list queries alike.
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { LEADER_ELECTION_DEFAULTS, LeaderElector, leaderElectionTiming } from '../../src/kube/lease.js';
import { withDefaults } from '../../src/options.js';
import { WorkQueue } from '../../src/reconcile/queue.js';
import { rig } from '../avi/helpers.js';

describe('leader election timing', () => {
  it("defaults are client-go's: lease 15 s, renew deadline 10 s, retry period 2 s", () => {
    assert.deepEqual(leaderElectionTiming(), { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    assert.deepEqual(LEADER_ELECTION_DEFAULTS, leaderElectionTiming({}));
  });

  it('explicit undefined keeps every default (the Lease write storm: setTimeout(fn, undefined), Math.ceil(NaN))', () => {
    assert.deepEqual(leaderElectionTiming({ leaseDurationMs: undefined, renewDeadlineMs: undefined, retryPeriodMs: undefined }), LEADER_ELECTION_DEFAULTS);
    const elector = new LeaderElector({
      kubeConfig: new KubeConfig(),
      name: 'l',
      namespace: 'ns',
      identity: 'me',
      leaseDurationMs: undefined,
      renewDeadlineMs: undefined,
      retryPeriodMs: undefined,
      onStartedLeading: () => undefined,
      onStoppedLeading: () => undefined,
    });
    assert.deepEqual(elector.timing, LEADER_ELECTION_DEFAULTS);
    assert.deepEqual(leaderElectionTiming({ retryPeriodMs: 500, renewDeadlineMs: undefined }), { ...LEADER_ELECTION_DEFAULTS, retryPeriodMs: 500 });
  });

  it('rejects what client-go rejects: leaseDuration > renewDeadline > retryPeriod > 0', () => {
    assert.throws(() => leaderElectionTiming({ renewDeadlineMs: 15_000 }), /lease duration \(15000 ms\) must be greater than the renew deadline \(15000 ms\)/);
    assert.throws(() => leaderElectionTiming({ retryPeriodMs: 10_000 }), /renew deadline \(10000 ms\) must be greater than the retry period \(10000 ms\)/);
    assert.throws(() => leaderElectionTiming({ retryPeriodMs: 0 }), /retryPeriodMs must be a positive number/);
    assert.throws(() => leaderElectionTiming({ leaseDurationMs: Number.NaN }), /leaseDurationMs must be a positive number/);
    assert.throws(() => leaderElectionTiming({ renewDeadlineMs: Infinity }), /renewDeadlineMs must be a positive number/);
    assert.deepEqual(leaderElectionTiming({ leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 }), { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 });
  });
});

describe('options: explicit undefined keeps the default', () => {
  it('withDefaults overlays only defined values', () => {
    assert.deepEqual(withDefaults({ a: 1, b: 2 }, { a: undefined, b: 3, c: 4 }), { a: 1, b: 3, c: 4 });
    assert.deepEqual(withDefaults({ a: 1 }, undefined), { a: 1 });
    assert.deepEqual(withDefaults({ a: 1 }, { a: 0 }), { a: 0 });
    assert.deepEqual(withDefaults({ a: 1 as number | null }, { a: null }), { a: null });
  });

  it('WorkQueue: concurrency undefined is 8 keys in flight, not unbounded', async () => {
    let inFlight = 0;
    let peak = 0;
    const release: Array<() => void> = [];
    const q = new WorkQueue({
      concurrency: undefined,
      fastBaseDelayMs: undefined,
      handler: async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise<void>((r) => release.push(r));
        inFlight--;
      },
    });
    q.start();
    for (let i = 0; i < 20; i++) q.add(`k${i}`);
    await new Promise((r) => setImmediate(r));
    assert.equal(peak, 8);
    while (release.length) {
      release.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await q.idle();
    assert.equal(peak, 8);
  });

  it('Avi client: a list query with page_size undefined keeps the page size', async () => {
    const r = await rig({}, { pageSize: 7 });
    try {
      await r.client.listAll('gslbservice', { page_size: undefined, name: undefined });
      const list = r.sim.requestLog.find('GET', '/api/gslbservice');
      assert.equal(list[0]?.query.page_size, '7');
      assert.equal(list[0]?.query.include_name, 'true');
    } finally {
      await r.close();
    }
  });
});
