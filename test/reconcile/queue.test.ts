import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AviApi } from '../../src/avi/types.js';
import { limitAvi } from '../../src/reconcile/avi-session.js';
import { TokenBucket, WorkQueue } from '../../src/reconcile/queue.js';

describe('reconcile/queue: keyed work queue', () => {
  it('dedupes queued keys', async () => {
    const seen: string[] = [];
    const q = new WorkQueue({ handler: async (k) => void seen.push(k), concurrency: 1 });
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    q.start();
    await q.idle();
    assert.deepEqual(seen, ['a', 'b']);
  });

  it('never runs a key twice at once and re-queues it when dirtied while processing', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    let release!: () => void;
    const q = new WorkQueue({
      concurrency: 4,
      handler: async () => {
        calls++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (calls === 1) await new Promise<void>((r) => (release = r));
        running--;
      },
    });
    q.start();
    q.add('k');
    await sleep(5);
    q.add('k');
    q.add('k');
    await sleep(5);
    assert.equal(calls, 1);
    release();
    await q.idle();
    assert.equal(calls, 2);
    assert.equal(maxRunning, 1);
  });

  it('bounds concurrency across keys', async () => {
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue({
      concurrency: 3,
      handler: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(10);
        running--;
      },
    });
    for (let i = 0; i < 12; i++) q.add(`k${i}`);
    q.start();
    await q.idle();
    assert.equal(maxRunning, 3);
  });

  it('retries a failing key with growing backoff until it succeeds (no retry cap)', async () => {
    const times: number[] = [];
    const q = new WorkQueue({
      fastBaseDelayMs: 4,
      maxDelayMs: 40,
      handler: async () => {
        times.push(Date.now());
        if (times.length < 8) throw new Error('boom');
      },
    });
    q.start();
    q.add('k');
    for (let i = 0; i < 200 && times.length < 8; i++) await sleep(10);
    await q.idle();
    assert.equal(times.length, 8);
    assert.equal(q.failures('k'), 0);
  });

  it('slow class waits longer than fast; "none" waits for the next add', async () => {
    const calls: Record<string, number> = { fast: 0, slow: 0, none: 0 };
    const q = new WorkQueue({
      fastBaseDelayMs: 10,
      slowBaseDelayMs: 10_000,
      classify: (e) => (e as Error).message as 'fast' | 'slow' | 'none',
      handler: async (k) => {
        calls[k]!++;
        throw new Error(k);
      },
    });
    q.start();
    q.add('fast');
    q.add('slow');
    q.add('none');
    await sleep(150);
    assert.ok(calls.fast! >= 3, `fast retried ${calls.fast}`);
    assert.equal(calls.slow, 1);
    assert.equal(calls.none, 1);
    q.add('none');
    await sleep(20);
    assert.equal(calls.none, 2);
    assert.equal(q.depth(), 2); // fast and slow are in backoff
    q.stop(true);
  });

  it('a new event supersedes a pending backoff', async () => {
    let n = 0;
    const q2 = new WorkQueue({
      slowBaseDelayMs: 60_000,
      classify: () => 'slow',
      handler: async () => {
        n++;
        if (n === 1) throw new Error('first fails');
      },
    });
    q2.start();
    q2.add('k');
    await sleep(10);
    assert.equal(n, 1);
    q2.add('k');
    await q2.idle();
    assert.equal(n, 2);
  });

  it('no limit on keys per second (the worker limits Avi calls instead, TokenBucket)', async () => {
    let n = 0;
    const q = new WorkQueue({ handler: async () => void n++ });
    for (let i = 0; i < 500; i++) q.add(`k${i}`);
    const t0 = Date.now();
    q.start();
    await q.idle();
    assert.equal(n, 500);
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  });

  it('TokenBucket: a burst at once, then the sustained rate, in call order', async () => {
    const b = new TokenBucket(50, 2);
    const order: number[] = [];
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 7 }, (_, i) => b.take().then(() => order.push(i))));
    const elapsed = Date.now() - t0;
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6]);
    // 2 immediately, then 5 more at 50/s → at least ~100 ms.
    assert.ok(elapsed >= 90 && elapsed < 1000, `took ${elapsed} ms`);
    assert.equal(b.waiting(), 0);
  });

  it('the Avi-call budget counts calls, not keys: a key that makes several calls takes several tokens', async () => {
    const bucket = new TokenBucket(50, 2);
    let calls = 0;
    const api = limitAvi({ getGslb: async () => void calls++, close: async () => undefined } as unknown as AviApi, bucket);
    const q = new WorkQueue({
      concurrency: 8,
      handler: async () => {
        for (let i = 0; i < 3; i++) await api.getGslb();
      },
    });
    q.add('a');
    q.add('b');
    const t0 = Date.now();
    q.start();
    await q.idle();
    assert.equal(calls, 6);
    // 2 tokens at once, 4 more calls at 50/s → at least ~80 ms.
    assert.ok(Date.now() - t0 >= 70, `took ${Date.now() - t0} ms`);
  });
});
