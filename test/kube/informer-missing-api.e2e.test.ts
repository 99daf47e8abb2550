// An informer on an API that is not installed (treatMissingApiAsEmpty: e.g. the AMKOCluster CRD) against a
// real kube-apiserver: the list reads as empty and the watch fails with 404, again and again until the API
// appears. The retries must back off: an empty list standing in for a missing API is no success. (Before,
// it reset the backoff, so the informer retried at the initial delay forever — a list, a failed watch and a
// warning every 0.25–0.5 s on an idle process.)
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeClient } from '../../src/kube/client.js';
import { makeResilientInformer } from '../../src/kube/informer.js';
import type { Logger } from '../../src/log.js';
import { sharedControlPlanes } from '../harness/shared.js';
import type { ClusterHandle } from '../harness/control-plane.js';

describe('informer: a missing API backs off', function () {
  this.timeout(60_000);
  let c1: ClusterHandle;

  before(async function () {
    this.timeout(900_000);
    c1 = (await sharedControlPlanes()).cluster('cluster1');
  });

  it('each retry of a missing API waits longer, up to the cap; the cache stays empty and synced', async () => {
    const delays: number[] = [];
    let enough: () => void = () => undefined;
    const sixFailures = new Promise<void>((r) => (enough = r));
    const log = {
      warn: (o: { retryInMs?: number }) => {
        delays.push(o.retryInMs ?? NaN);
        if (delays.length === 6) enough();
      },
      info: () => undefined,
      debug: () => undefined,
      error: () => undefined,
    } as unknown as Logger;
    const client = new KubeClient(c1.kubeConfig);
    const informer = makeResilientInformer<KubernetesObject>(client, '/apis/missing.amko.test/v1/namespaces/default/things', {
      name: 'test/things',
      log,
      initialBackoffMs: 20,
      maxBackoffMs: 400,
      treatMissingApiAsEmpty: true,
    });
    try {
      await informer.start();
      await sixFailures;
      assert.equal(informer.isSynced(), true);
      assert.deepEqual(informer.list(), []);
      // Attempt n waits jittered(min(400, 20 · 2^(n−1))), i.e. between half of it and all of it.
      const want = [20, 40, 80, 160, 320, 400];
      delays.slice(0, 6).forEach((d, i) => assert.ok(d >= want[i]! / 2 && d <= want[i]!, `retry ${i + 1}: ${d} ms, want ${want[i]! / 2}–${want[i]} ms (delays ${delays.join(', ')})`));
    } finally {
      await informer.stop();
      client.close();
    }
  });
});
