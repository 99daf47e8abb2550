// Federation against real API servers: cluster1 leads, cluster2 and cluster3 follow.
// Each test starts from the same baseline (see beforeEach) and restores what it changed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { UUID_ANNOTATION } from '../../src/api/common.js';
import { createLogger } from '../../src/log.js';
import { Federator } from '../../src/federation/federator.js';
import { watchRole, type RoleState, type RoleWatcher } from '../../src/federation/role.js';
import { sharedControlPlanes } from '../harness/shared.js';
import type { ClusterHandle, ControlPlanes } from '../harness/control-plane.js';
import { createNamespace, eventually, installAmkoCrds, Objects, sleep } from './support.js';

const NS = `fed-e2e-${randomBytes(3).toString('hex')}`;
const CLUSTERS = ['cluster1', 'cluster2', 'cluster3'];
const log = createLogger({ level: process.env.AMKO_TEST_VERBOSE ? 'debug' : 'silent' });

const gcSpec = (refreshInterval: number) => ({
  gslbLeader: { credentials: 'gslb-avi-secret', controllerVersion: '22.1.3', controllerIP: '10.10.10.10' },
  memberClusters: CLUSTERS.map((clusterContext) => ({ clusterContext })),
  refreshInterval,
  logLevel: 'INFO',
  useCustomGlobalFqdn: false,
});
const gdpSpec = (ttl: number) => ({
  matchRules: { appSelector: { label: { app: 'gslb' } } },
  matchClusters: CLUSTERS.map((cluster) => ({ cluster })),
  ttl,
});
const amkoSpec = (context: string, isLeader: boolean, version = '1.0', clusters = CLUSTERS) => ({
  clusterContext: context,
  isLeader,
  version,
  clusters,
});

describe('federation (AMKOCluster) against three API servers', function () {
  this.timeout(60_000);
  let cp: ControlPlanes;
  let c: Record<string, ClusterHandle>;
  let obj: Record<string, Objects>;
  const federators: Federator[] = [];
  let leader: Federator;

  /** The leader's AMKOCluster conditions as {type: [status, reason, message]}. */
  async function conditions(cluster = 'cluster1', name = 'amkocluster-federation'): Promise<Record<string, [string, string, string]>> {
    const a = await obj[cluster]!.get('AMKOCluster', name);
    return Object.fromEntries(
      ((a?.status?.conditions ?? []) as Array<{ type: string; status: string; reason: string; message: string }>).map((x) => [
        x.type,
        [x.status, x.reason, x.message],
      ]),
    );
  }

  /** The member holds exactly gc-1 and gdp-1, with the leader's spec (CRD defaults included) and the given values. */
  async function assertCopies(cluster: string, gcRefresh: number, gdpTtl: number, uuid = 'uuid-aaaa', from = 'cluster1'): Promise<void> {
    const leaderGc = await obj[from]!.get('GSLBConfig', 'gc-1');
    const leaderGdp = await obj[from]!.get('GlobalDeploymentPolicy', 'gdp-1');
    const gcs = await obj[cluster]!.list('GSLBConfig');
    assert.deepEqual(gcs.map((o) => o.metadata.name), ['gc-1'], `${cluster} GSLBConfigs`);
    assert.equal(gcs[0].spec.refreshInterval, gcRefresh, `${cluster} refreshInterval`);
    assert.deepEqual(gcs[0].spec, leaderGc.spec);
    assert.deepEqual({ ...gcs[0].spec, gslbLeader: { ...gcs[0].spec.gslbLeader, tenant: undefined } }, {
      ...gcSpec(gcRefresh),
      gslbLeader: { ...gcSpec(gcRefresh).gslbLeader, tenant: undefined },
    });
    assert.equal(gcs[0].metadata.annotations?.[UUID_ANNOTATION], uuid);
    const gdps = await obj[cluster]!.list('GlobalDeploymentPolicy');
    assert.deepEqual(gdps.map((o) => o.metadata.name), ['gdp-1'], `${cluster} GDPs`);
    assert.equal(gdps[0].spec.ttl, gdpTtl, `${cluster} ttl`);
    assert.deepEqual(gdps[0].spec, leaderGdp.spec);
    assert.equal(gdps[0].metadata.annotations?.[UUID_ANNOTATION], undefined);
  }

  async function allTrue(cluster = 'cluster1'): Promise<void> {
    const got = await conditions(cluster);
    assert.deepEqual(
      Object.fromEntries(Object.entries(got).map(([k, v]) => [k, v[0]])),
      { Valid: 'True', MemberClientsReady: 'True', MembersValidated: 'True', GSLBConfigFederated: 'True', GDPFederated: 'True' },
      JSON.stringify(got),
    );
  }

  function startFederator(cluster: string): Federator {
    const f = new Federator({
      kubeConfig: c[cluster]!.kubeConfig,
      memberKubeConfig: cp.kubeconfigPath,
      namespace: NS,
      log,
      debounceMs: 50,
      resyncIntervalMs: 60_000, // long: reactions in these tests come from watches and retry timers
      retryInitialMs: 300,
      retryMaxMs: 2_000,
      callTimeoutMs: 5_000,
    });
    federators.push(f);
    return f;
  }

  before(async function () {
    this.timeout(30 * 60_000);
    cp = await sharedControlPlanes();
    c = Object.fromEntries(cp.clusters.map((x) => [x.name, x]));
    await installAmkoCrds(cp, CLUSTERS);
    obj = {};
    for (const name of CLUSTERS) {
      await createNamespace(c[name]!.kubeConfig, NS);
      obj[name] = new Objects(c[name]!.kubeConfig, NS);
    }
    await obj.cluster1!.create('AMKOCluster', { metadata: { name: 'amkocluster-federation' }, spec: amkoSpec('cluster1', true) });
    for (const name of ['cluster2', 'cluster3']) {
      await obj[name]!.create('AMKOCluster', { metadata: { name: 'amkocluster-federation' }, spec: amkoSpec(name, false) });
    }
    await obj.cluster1!.create('GSLBConfig', {
      metadata: { name: 'gc-1', annotations: { [UUID_ANNOTATION]: 'uuid-aaaa' }, labels: { leader: 'only' } },
      spec: gcSpec(30),
    });
    await obj.cluster1!.create('GlobalDeploymentPolicy', { metadata: { name: 'gdp-1' }, spec: gdpSpec(10) });
    leader = startFederator('cluster1');
    await leader.start();
  });

  /** Puts a spec (and optionally annotations) on an object, creating it when missing; no write when equal. */
  async function ensure(cluster: string, kind: 'AMKOCluster' | 'GSLBConfig' | 'GlobalDeploymentPolicy', name: string, spec: object, annotations?: Record<string, string>) {
    const o = await obj[cluster]!.get(kind, name);
    if (!o) {
      await obj[cluster]!.create(kind, { metadata: { name, annotations }, spec });
      return;
    }
    const want = { ...o.spec, ...spec };
    const annOk = !annotations || Object.entries(annotations).every(([k, v]) => o.metadata.annotations?.[k] === v);
    if (JSON.stringify(want) === JSON.stringify(o.spec) && annOk) return;
    await obj[cluster]!.mutate(kind, name, (x) => {
      x.spec = { ...x.spec, ...spec };
      if (annotations) x.metadata.annotations = { ...x.metadata.annotations, ...annotations };
    });
  }

  // Every test starts from (and a failing test is repaired back to) the same baseline.
  afterEach(async function () {
    this.timeout(60_000);
    for (const name of CLUSTERS) if (!cp.isApiServerRunning(name)) await cp.startApiServer(name);
    if (this.currentTest?.title.startsWith('switches roles live')) return;
    await ensure('cluster1', 'AMKOCluster', 'amkocluster-federation', amkoSpec('cluster1', true));
    await ensure('cluster2', 'AMKOCluster', 'amkocluster-federation', amkoSpec('cluster2', false));
    await ensure('cluster3', 'AMKOCluster', 'amkocluster-federation', amkoSpec('cluster3', false));
    await ensure('cluster1', 'GSLBConfig', 'gc-1', gcSpec(30), { [UUID_ANNOTATION]: 'uuid-aaaa' });
    await ensure('cluster1', 'GlobalDeploymentPolicy', 'gdp-1', gdpSpec(10));
    await eventually(async () => {
      await assertCopies('cluster2', 30, 10);
      await assertCopies('cluster3', 30, 10);
      await allTrue();
    }, 20_000);
  });

  after(async function () {
    for (const f of federators) await f.stop();
    for (const name of CLUSTERS) {
      if (!cp?.isApiServerRunning(name)) await cp.startApiServer(name);
      for (const k of ['GSLBConfig', 'GlobalDeploymentPolicy', 'AMKOCluster'] as const) await obj?.[name]?.deleteAll(k);
    }
  });

  it('creates the copies on every follower and reports all conditions True', async function () {
    await eventually(async () => {
      await assertCopies('cluster2', 30, 10);
      await assertCopies('cluster3', 30, 10);
      await allTrue();
    });
    const conds = await conditions();
    assert.deepEqual(conds.GSLBConfigFederated, ['True', 'Federated', 'federated gc-1 to cluster2, cluster3']);
    assert.deepEqual(conds.MembersValidated, ['True', 'MembersValid', 'validated cluster2, cluster3']);
    const a = await obj.cluster1!.get('AMKOCluster', 'amkocluster-federation');
    for (const cond of a.status.conditions) {
      assert.equal(cond.observedGeneration, a.metadata.generation);
      assert.match(cond.lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    const copy = await obj.cluster2!.get('GSLBConfig', 'gc-1');
    assert.equal(copy.metadata.labels, undefined, 'labels are not copied');
    assert.equal(copy.status, undefined, 'status is not copied');
  });

  it('updates the copies within seconds when the leader spec or uuid annotation changes', async function () {
    await obj.cluster1!.mutate('GSLBConfig', 'gc-1', (o) => {
      o.spec.refreshInterval = 45;
    });
    await obj.cluster1!.mutate('GlobalDeploymentPolicy', 'gdp-1', (o) => {
      o.spec.ttl = 20;
    });
    await eventually(async () => {
      await assertCopies('cluster2', 45, 20);
      await assertCopies('cluster3', 45, 20);
    }, 5_000);
    await obj.cluster1!.mutate('GSLBConfig', 'gc-1', (o) => {
      o.metadata.annotations[UUID_ANNOTATION] = 'uuid-bbbb';
    });
    await eventually(() => assertCopies('cluster3', 45, 20, 'uuid-bbbb'), 5_000);
    await obj.cluster1!.mutate('GSLBConfig', 'gc-1', (o) => {
      o.metadata.annotations[UUID_ANNOTATION] = 'uuid-aaaa';
      o.spec.refreshInterval = 30;
    });
    await obj.cluster1!.mutate('GlobalDeploymentPolicy', 'gdp-1', (o) => {
      o.spec.ttl = 10;
    });
    await eventually(async () => {
      await assertCopies('cluster2', 30, 10);
      await assertCopies('cluster3', 30, 10);
    }, 5_000);
  });

  it('undoes an edit made on a follower and removes stray GSLBConfigs and GDPs there', async function () {
    await obj.cluster2!.mutate('GSLBConfig', 'gc-1', (o) => {
      o.spec.refreshInterval = 999;
    });
    await obj.cluster3!.create('GSLBConfig', { metadata: { name: 'stray-gc' }, spec: gcSpec(5) });
    await obj.cluster3!.create('GlobalDeploymentPolicy', { metadata: { name: 'stray-gdp' }, spec: gdpSpec(5) });
    await eventually(async () => {
      await assertCopies('cluster2', 30, 10);
      await assertCopies('cluster3', 30, 10);
    }, 5_000);
  });

  it('deletes the copies when the leader object is deleted, and re-creates them', async function () {
    await obj.cluster1!.delete('GlobalDeploymentPolicy', 'gdp-1');
    await eventually(async () => {
      for (const name of ['cluster2', 'cluster3']) assert.deepEqual(await obj[name]!.list('GlobalDeploymentPolicy'), []);
      const conds = await conditions();
      assert.deepEqual(conds.GDPFederated, ['True', 'Federated', 'federated no GlobalDeploymentPolicy (copies removed) to cluster2, cluster3']);
    }, 5_000);
    await obj.cluster1!.create('GlobalDeploymentPolicy', { metadata: { name: 'gdp-1' }, spec: gdpSpec(10) });
    await eventually(async () => {
      await assertCopies('cluster2', 30, 10);
      await assertCopies('cluster3', 30, 10);
    }, 5_000);
  });

  it('skips a member with a version mismatch and says so; the others still get updates', async function () {
    await obj.cluster3!.mutate('AMKOCluster', 'amkocluster-federation', (o) => {
      o.spec.version = '2.0';
    });
    await eventually(async () => {
      const conds = await conditions();
      assert.deepEqual(conds.MembersValidated, [
        'False',
        'SomeMembersSkipped',
        'skipped: cluster3: version mismatch, current AMKO: 1.0, AMKO in cluster cluster3: 2.0',
      ]);
      assert.equal(conds.GSLBConfigFederated![0], 'True');
      assert.match(conds.GSLBConfigFederated![2], /federated gc-1 to cluster2; skipped cluster3/);
    }, 5_000);
    await obj.cluster1!.mutate('GSLBConfig', 'gc-1', (o) => {
      o.spec.refreshInterval = 50;
    });
    await eventually(() => assertCopies('cluster2', 50, 10), 5_000);
    await sleep(1_000);
    // Not touched while skipped.
    assert.equal((await obj.cluster3!.get('GSLBConfig', 'gc-1')).spec.refreshInterval, 30);
    await obj.cluster3!.mutate('AMKOCluster', 'amkocluster-federation', (o) => {
      o.spec.version = '1.0';
    });
    await eventually(async () => {
      await assertCopies('cluster3', 50, 10);
      await allTrue();
    }, 5_000);
    await obj.cluster1!.mutate('GSLBConfig', 'gc-1', (o) => {
      o.spec.refreshInterval = 30;
    });
    await eventually(() => assertCopies('cluster3', 30, 10), 5_000);
  });

  it('skips a member without an AMKOCluster and says so', async function () {
    await obj.cluster2!.delete('AMKOCluster', 'amkocluster-federation');
    await eventually(async () => {
      const conds = await conditions();
      assert.deepEqual(conds.MembersValidated, ['False', 'SomeMembersSkipped', `skipped: cluster2: no AMKOCluster object found in ${NS}`]);
    }, 5_000);
    await obj.cluster2!.create('AMKOCluster', { metadata: { name: 'amkocluster-federation' }, spec: amkoSpec('cluster2', false) });
    await eventually(() => allTrue(), 5_000);
  });

  it('reports a member context missing from the member kubeconfig on MemberClientsReady', async function () {
    await obj.cluster1!.mutate('AMKOCluster', 'amkocluster-federation', (o) => {
      o.spec.clusters = [...CLUSTERS, 'cluster9'];
    });
    await eventually(async () => {
      const conds = await conditions();
      assert.deepEqual(conds.MemberClientsReady, [
        'False',
        'SomeClientsFailed',
        'cluster9: cannot build a client: context "cluster9" not found in the member-cluster kubeconfig',
      ]);
      assert.equal(conds.MembersValidated![0], 'True');
      assert.deepEqual(conds.GSLBConfigFederated, [
        'True',
        'Federated',
        'federated gc-1 to cluster2, cluster3; skipped cluster9 (see MemberClientsReady/MembersValidated)',
      ]);
    }, 5_000);
    await obj.cluster1!.mutate('AMKOCluster', 'amkocluster-federation', (o) => {
      o.spec.clusters = CLUSTERS;
    });
    await eventually(() => allTrue(), 5_000);
  });

  it('stops federating when a member is also a leader, and states it on status and in an Event', async function () {
    await obj.cluster2!.mutate('AMKOCluster', 'amkocluster-federation', (o) => {
      o.spec.isLeader = true;
    });
    await eventually(async () => {
      const conds = await conditions();
      assert.deepEqual(conds.MembersValidated, ['False', 'ConflictingLeader', 'AMKO in cluster cluster2 is also a leader, conflicting state']);
      assert.deepEqual(conds.GSLBConfigFederated, [
        'False',
        'FederationBlocked',
        'federation stopped: AMKO in cluster cluster2 is also a leader, conflicting state',
      ]);
      assert.deepEqual(conds.GDPFederated![1], 'FederationBlocked');
    }, 5_000);
    // Nothing reaches any member while blocked, not even the non-conflicting cluster3.
    await obj.cluster1!.mutate('GSLBConfig', 'gc-1', (o) => {
      o.spec.refreshInterval = 77;
    });
    await obj.cluster3!.create('GSLBConfig', { metadata: { name: 'stray-while-blocked' }, spec: gcSpec(5) });
    await sleep(1_500);
    assert.deepEqual((await obj.cluster3!.list('GSLBConfig')).map((o) => [o.metadata.name, o.spec.refreshInterval]), [
      ['gc-1', 30],
      ['stray-while-blocked', 5],
    ]);
    const events = await c.cluster1!.kubeConfig.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: NS });
    const ev = events.items.find((e) => e.reason === 'ConflictingLeader');
    assert.ok(ev, `events: ${events.items.map((e) => e.reason).join(',')}`);
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.involvedObject.kind, 'AMKOCluster');
    assert.equal(ev.involvedObject.name, 'amkocluster-federation');
    assert.match(ev.message ?? '', /MembersValidated=False: AMKO in cluster cluster2 is also a leader/);

    await obj.cluster2!.mutate('AMKOCluster', 'amkocluster-federation', (o) => {
      o.spec.isLeader = false;
    });
    await eventually(async () => {
      await allTrue();
      assert.deepEqual((await obj.cluster3!.list('GSLBConfig')).map((o) => [o.metadata.name, o.spec.refreshInterval]), [['gc-1', 77]]);
    }, 5_000);
    await obj.cluster1!.mutate('GSLBConfig', 'gc-1', (o) => {
      o.spec.refreshInterval = 30;
    });
    await eventually(() => assertCopies('cluster3', 30, 10), 5_000);
  });

  it('retries an unreachable member on a backoff and catches up when it is back', async function () {
    this.timeout(120_000);
    await cp.stopApiServer('cluster3');
    try {
      await obj.cluster1!.mutate('GSLBConfig', 'gc-1', (o) => {
        o.spec.refreshInterval = 60;
      });
      await eventually(async () => {
        const conds = await conditions();
        assert.equal(conds.MembersValidated![0], 'False');
        assert.equal(conds.MembersValidated![1], 'SomeMembersSkipped');
        assert.match(conds.MembersValidated![2], /^skipped: cluster3: cannot read AMKOClusters: .*ECONNREFUSED.*\(retrying in \d+s\)$/);
        assert.match(conds.GSLBConfigFederated![2], /^federated gc-1 to cluster2; skipped cluster3/);
      }, 10_000);
      await eventually(() => assertCopies('cluster2', 60, 10), 5_000);
    } finally {
      await cp.startApiServer('cluster3');
    }
    // Backoff is capped at 2 s in this test.
    await eventually(async () => {
      await assertCopies('cluster3', 60, 10);
      await allTrue();
    }, 15_000);
    await obj.cluster1!.mutate('GSLBConfig', 'gc-1', (o) => {
      o.spec.refreshInterval = 30;
    });
    await eventually(() => assertCopies('cluster3', 30, 10), 5_000);
  });

  it('a follower instance records that it does not federate', async function () {
    const f = startFederator('cluster2');
    await f.start();
    await eventually(async () => {
      const conds = await conditions('cluster2');
      assert.deepEqual(conds.Valid, ['True', 'Valid', 'the AMKOCluster object is valid']);
      for (const t of ['MemberClientsReady', 'MembersValidated', 'GSLBConfigFederated', 'GDPFederated']) {
        assert.deepEqual(conds[t]!.slice(0, 2), ['False', 'NotLeader'], t);
      }
    }, 5_000);
  });

  it('switches roles live: the promoted follower federates its (adopted) copies, the old leader stops', async function () {
    this.timeout(60_000);
    const follower = federators.find((f) => f !== leader) ?? startFederator('cluster2');
    await follower.start();
    const roles: Record<string, RoleWatcher> = {
      cluster1: watchRole(c.cluster1!.kubeConfig, { namespace: NS, log }),
      cluster2: watchRole(c.cluster2!.kubeConfig, { namespace: NS, log }),
    };
    const seen: Record<string, string[]> = { cluster1: [], cluster2: [] };
    for (const [k, w] of Object.entries(roles)) w.onChange((next: RoleState) => seen[k]!.push(next.role));
    try {
      assert.equal((await roles.cluster1!.start()).role, 'leader');
      assert.equal((await roles.cluster2!.start()).role, 'follower');
      const before = {
        c1: await obj.cluster1!.get('GSLBConfig', 'gc-1'),
        c3: await obj.cluster3!.get('GSLBConfig', 'gc-1'),
      };

      // Demote cluster1, promote cluster2 (the documented switch-over procedure).
      await obj.cluster1!.mutate('AMKOCluster', 'amkocluster-federation', (o) => {
        o.spec.isLeader = false;
      });
      await obj.cluster2!.mutate('AMKOCluster', 'amkocluster-federation', (o) => {
        o.spec.isLeader = true;
      });
      await roles.cluster1!.waitFor((s) => s.role === 'follower', 5_000);
      const promoted = await roles.cluster2!.waitFor((s) => s.role === 'leader', 5_000);
      assert.equal(promoted.syncToAvi, true);
      assert.equal(promoted.federate, true);

      await eventually(async () => {
        await allTrue('cluster2');
        const c1 = await conditions('cluster1');
        assert.deepEqual(c1.GSLBConfigFederated!.slice(0, 2), ['False', 'NotLeader']);
      }, 10_000);
      // The copies on cluster2 were already identical: the old leader's objects are adopted, not recreated.
      const after = {
        c1: await obj.cluster1!.get('GSLBConfig', 'gc-1'),
        c3: await obj.cluster3!.get('GSLBConfig', 'gc-1'),
      };
      assert.equal(after.c1.metadata.uid, before.c1.metadata.uid);
      assert.equal(after.c3.metadata.uid, before.c3.metadata.uid);
      assert.equal(after.c3.metadata.resourceVersion, before.c3.metadata.resourceVersion, 'cluster3 copy untouched');
      assert.equal(after.c1.metadata.annotations[UUID_ANNOTATION], 'uuid-aaaa');

      // The new leader now drives the copies, including on the old leader.
      await obj.cluster2!.mutate('GSLBConfig', 'gc-1', (o) => {
        o.spec.refreshInterval = 90;
      });
      await eventually(async () => {
        for (const name of ['cluster1', 'cluster3']) {
          assert.equal((await obj[name]!.get('GSLBConfig', 'gc-1')).spec.refreshInterval, 90, name);
        }
      }, 5_000);
      // The old leader's label (not part of a copy) survives: its object was updated in place.
      assert.deepEqual((await obj.cluster1!.get('GSLBConfig', 'gc-1')).metadata.labels, { leader: 'only' });

      // Deleting the only AMKOCluster makes the instance a leader without federation.
      await obj.cluster1!.delete('AMKOCluster', 'amkocluster-federation');
      const none = await roles.cluster1!.waitFor((s) => s.role === 'none', 5_000);
      assert.equal(none.syncToAvi, true);
      assert.equal(none.federate, false);
      // Listeners registered before start() also see the first role (from 'unknown').
      assert.deepEqual(seen.cluster1, ['leader', 'follower', 'none']);
      assert.deepEqual(seen.cluster2, ['follower', 'leader']);
    } finally {
      for (const w of Object.values(roles)) await w.stop();
    }
  });
});
