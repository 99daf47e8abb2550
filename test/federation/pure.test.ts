// Pure federation pieces: conditions, own/member validation, copy planning, role.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConditionType, type AMKOCluster } from '../../src/api/amkocluster.js';
import { UUID_ANNOTATION } from '../../src/api/common.js';
import {
  Reason,
  changedConditions,
  conditionsEqual,
  falseCondition,
  mergeConditions,
  trueCondition,
} from '../../src/federation/conditions.js';
import { planFollower, type FederatedObject } from '../../src/federation/copy.js';
import { checkOwnAMKOCluster, memberContexts, validateMember } from '../../src/federation/validate-members.js';
import { roleFromAMKOClusters } from '../../src/federation/role.js';
import { MemberKubeconfig } from '../../src/kube/kubeconfig.js';

const amko = (name: string, spec: Partial<NonNullable<AMKOCluster['spec']>>, namespace = 'avi-system'): AMKOCluster => ({
  metadata: { name, namespace },
  spec: { clusterContext: 'c1', version: '1.0', ...spec },
});

describe('federation: conditions', () => {
  const t0 = new Date('2026-01-01T00:00:00.123Z');
  const t1 = new Date('2026-01-01T00:05:00.000Z');

  it('creates conditions with RFC 3339 lastTransitionTime and observedGeneration, in the fixed type order', () => {
    const out = mergeConditions(
      undefined,
      [
        falseCondition(ConditionType.GDPFederated, Reason.FederationFailed, 'c2: boom'),
        trueCondition(ConditionType.Valid, Reason.Valid, 'ok'),
      ],
      3,
      t0,
    );
    assert.deepEqual(out, [
      { type: 'Valid', status: 'True', reason: 'Valid', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 3 },
      {
        type: 'GDPFederated',
        status: 'False',
        reason: 'FederationFailed',
        message: 'c2: boom',
        lastTransitionTime: '2026-01-01T00:00:00Z',
        observedGeneration: 3,
      },
    ]);
  });

  it('keeps lastTransitionTime when only reason/message change, moves it when status flips', () => {
    const a = mergeConditions(undefined, [falseCondition(ConditionType.Valid, Reason.EmptyVersion, 'x')], 1, t0);
    const b = mergeConditions(a, [falseCondition(ConditionType.Valid, Reason.EmptyClusterContext, 'y')], 2, t1);
    assert.equal(b[0]!.lastTransitionTime, '2026-01-01T00:00:00Z');
    assert.equal(b[0]!.reason, 'EmptyClusterContext');
    assert.equal(b[0]!.observedGeneration, 2);
    const c = mergeConditions(b, [trueCondition(ConditionType.Valid, Reason.Valid, 'ok')], 2, t1);
    assert.equal(c[0]!.lastTransitionTime, '2026-01-01T00:05:00Z');
    assert.deepEqual(changedConditions(b, c).map((x) => x.type), ['Valid']);
    assert.deepEqual(changedConditions(c, c), []);
    assert.ok(conditionsEqual(c, mergeConditions(c, [trueCondition(ConditionType.Valid, Reason.Valid, 'ok')], 2, new Date())));
  });

  it('keeps conditions of foreign types and clips long messages', () => {
    const foreign = { type: 'Other', status: 'True', reason: 'X', message: 'm', lastTransitionTime: '2020-01-01T00:00:00Z' };
    const out = mergeConditions([foreign], [trueCondition(ConditionType.Valid, Reason.Valid, 'v'.repeat(5000))], 1, t0);
    assert.deepEqual(out.map((c) => c.type), ['Valid', 'Other']);
    assert.equal(out[0]!.message!.length, 1024);
    assert.ok(out[0]!.message!.endsWith('...'));
  });
});

describe('federation: own AMKOCluster sanity and member contexts', () => {
  it('accepts a valid leader and a follower without clusters', () => {
    assert.equal(checkOwnAMKOCluster([amko('a', { isLeader: true, clusters: ['c1', 'c2'] })]), undefined);
    assert.equal(checkOwnAMKOCluster([amko('a', {})]), undefined);
    assert.equal(checkOwnAMKOCluster([]), undefined);
  });

  it('names each problem with a stable reason', () => {
    const cases: Array<[AMKOCluster[], string, RegExp]> = [
      [[amko('a', {}), amko('b', {})], 'MultipleAMKOClusters', /only one AMKOCluster object is allowed per cluster; found 2 in avi-system: a, b/],
      [[amko('a', {}, 'default')], 'InvalidNamespace', /namespace is default, it must be avi-system/],
      [[amko('a', { clusterContext: '' })], 'EmptyClusterContext', /spec.clusterContext must not be empty/],
      [[amko('a', { version: '' })], 'EmptyVersion', /spec.version must not be empty/],
      [[amko('a', { isLeader: true, clusters: ['c2'] })], 'ClusterContextNotInClusters', /"c1" is not one of spec.clusters/],
    ];
    for (const [items, reason, msg] of cases) {
      const e = checkOwnAMKOCluster(items);
      assert.equal(e?.reason, reason);
      assert.match(e!.message, msg);
    }
  });

  it('member contexts are spec.clusters minus the own context, de-duplicated, in order', () => {
    assert.deepEqual(memberContexts({ clusterContext: 'c2', version: '1', clusters: ['c3', 'c2', 'c1', 'c3'] }), ['c3', 'c1']);
    assert.deepEqual(memberContexts({ clusterContext: 'c2', version: '1' }), []);
  });
});

describe('federation: member validation', () => {
  it('accepts one non-leader AMKOCluster with the same version', () => {
    assert.deepEqual(validateMember('1.0', { cluster: 'c2', amkoClusters: [amko('x', { clusterContext: 'c2' })] }), {
      cluster: 'c2',
      ok: true,
    });
  });

  it('skips a member with no, several, or a different-version AMKOCluster, or an unreachable one', () => {
    const v = (o: Parameters<typeof validateMember>[1]) => validateMember('1.0', o);
    assert.deepEqual(v({ cluster: 'c2', amkoClusters: [] }), {
      cluster: 'c2',
      ok: false,
      fatal: false,
      cause: 'MissingAMKOCluster',
      message: 'c2: no AMKOCluster object found in avi-system',
    });
    assert.equal(
      (v({ cluster: 'c2', amkoClusters: [amko('x', {}), amko('y', {})] }) as { message: string }).message,
      'c2: 2 AMKOCluster objects found in avi-system, expected exactly one',
    );
    assert.equal(
      (v({ cluster: 'c3', amkoClusters: [amko('x', { version: '2.0' })] }) as { message: string }).message,
      'c3: version mismatch, current AMKO: 1.0, AMKO in cluster c3: 2.0',
    );
    const u = v({ cluster: 'c3', error: 'ECONNREFUSED' });
    assert.equal(u.ok, false);
    assert.equal((u as { cause: string }).cause, 'Unreachable');
    assert.equal((u as { fatal: boolean }).fatal, false);
  });

  it('a member that is also a leader is fatal', () => {
    assert.deepEqual(validateMember('1.0', { cluster: 'c2', amkoClusters: [amko('x', { isLeader: true, version: '9' })] }), {
      cluster: 'c2',
      ok: false,
      fatal: true,
      cause: 'ConflictingLeader',
      message: 'AMKO in cluster c2 is also a leader, conflicting state',
    });
  });
});

describe('federation: copy planning', () => {
  const opts = { apiVersion: 'amko.vmware.com/v1alpha1', kind: 'GSLBConfig', namespace: 'avi-system', copyUuidAnnotation: true };
  const leaderGc: FederatedObject = {
    apiVersion: 'amko.vmware.com/v1alpha1',
    kind: 'GSLBConfig',
    metadata: {
      name: 'gc',
      namespace: 'avi-system',
      uid: 'u-1',
      resourceVersion: '10',
      labels: { a: 'b' },
      annotations: { [UUID_ANNOTATION]: 'uuid-1', other: 'x' },
      managedFields: [{ manager: 'kubectl' }],
    },
    spec: { gslbLeader: { controllerIP: '10.0.0.1' }, refreshInterval: 30 },
    status: { state: 'success' },
  };

  it('creates a clean copy: name, spec and the uuid annotation only', () => {
    const p = planFollower([leaderGc], [], opts);
    assert.deepEqual(p, {
      create: [
        {
          apiVersion: 'amko.vmware.com/v1alpha1',
          kind: 'GSLBConfig',
          metadata: { name: 'gc', namespace: 'avi-system', annotations: { [UUID_ANNOTATION]: 'uuid-1' } },
          spec: { gslbLeader: { controllerIP: '10.0.0.1' }, refreshInterval: 30 },
        },
      ],
      update: [],
      delete: [],
    });
    assert.notEqual(p.create[0]!.spec, leaderGc.spec, 'spec is deep-copied');
  });

  it('GDP copies carry no annotation', () => {
    const p = planFollower([leaderGc], [], { ...opts, kind: 'GlobalDeploymentPolicy', copyUuidAnnotation: false });
    assert.equal(p.create[0]!.metadata!.annotations, undefined);
  });

  it('does nothing when in sync (labels, other annotations and status on the follower are irrelevant)', () => {
    const follower: FederatedObject = {
      metadata: { name: 'gc', resourceVersion: '99', annotations: { [UUID_ANNOTATION]: 'uuid-1', mine: 'y' } },
      spec: { refreshInterval: 30, gslbLeader: { controllerIP: '10.0.0.1' } },
      status: { state: 'x' },
    };
    assert.deepEqual(planFollower([leaderGc], [follower], opts), { create: [], update: [], delete: [] });
  });

  it('updates a drifted spec or uuid annotation, keeping the follower resourceVersion and foreign annotations', () => {
    const follower: FederatedObject = {
      metadata: { name: 'gc', resourceVersion: '99', uid: 'f-1', managedFields: [{}], annotations: { mine: 'y' } },
      spec: { refreshInterval: 60, gslbLeader: { controllerIP: '10.0.0.1' } },
    };
    const p = planFollower([leaderGc], [follower], opts);
    assert.equal(p.update.length, 1);
    const u = p.update[0]!;
    assert.equal(u.metadata!.resourceVersion, '99');
    assert.equal(u.metadata!.managedFields, undefined);
    assert.deepEqual(u.metadata!.annotations, { mine: 'y', [UUID_ANNOTATION]: 'uuid-1' });
    assert.deepEqual(u.spec, leaderGc.spec);
    assert.equal((u as { status?: unknown }).status, undefined);
    // A uuid the leader does not have is removed from the follower.
    const noUuid = { ...leaderGc, metadata: { ...leaderGc.metadata, annotations: {} } };
    const p2 = planFollower([noUuid], [{ metadata: { name: 'gc', annotations: { [UUID_ANNOTATION]: 'old' } }, spec: leaderGc.spec }], opts);
    assert.equal(p2.update[0]!.metadata!.annotations, undefined);
  });

  it('deletes strays, leaves objects being deleted alone, ignores leader objects being deleted', () => {
    const p = planFollower(
      [leaderGc, { metadata: { name: 'going', deletionTimestamp: 'now' }, spec: {} }],
      [
        { metadata: { name: 'zz-stray' }, spec: {} },
        { metadata: { name: 'a-stray' }, spec: {} },
        { metadata: { name: 'gc', deletionTimestamp: 'now' }, spec: {} },
        { metadata: { name: 'going' }, spec: {} },
      ],
      opts,
    );
    assert.deepEqual(p, { create: [], update: [], delete: ['a-stray', 'going', 'zz-stray'] });
  });
});

describe('federation: role', () => {
  it('derives leader / follower / none / invalid', () => {
    assert.deepEqual(
      [
        roleFromAMKOClusters([amko('a', { isLeader: true, clusters: ['c1'] })]),
        roleFromAMKOClusters([amko('a', { isLeader: false })]),
        roleFromAMKOClusters([]),
        roleFromAMKOClusters([amko('a', {}), amko('b', { isLeader: true })]),
      ].map((r) => [r.role, r.syncToAvi, r.federate]),
      [
        ['leader', true, true],
        ['follower', false, false],
        ['none', true, false],
        ['invalid', false, false],
      ],
    );
    const r = roleFromAMKOClusters([amko('fed', { isLeader: true, clusters: ['c1', 'c2'] })]);
    assert.deepEqual(r.amkoCluster, { name: 'fed', clusterContext: 'c1', version: '1.0', clusters: ['c1', 'c2'] });
  });

  it('ignores an AMKOCluster that is being deleted', () => {
    const going = { ...amko('a', { isLeader: false }), metadata: { name: 'a', deletionTimestamp: 'x' } } as AMKOCluster;
    assert.equal(roleFromAMKOClusters([going]).role, 'none');
  });
});

describe('federation: member kubeconfig loading', () => {
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c2, cluster: {server: "https://127.0.0.1:1"}}]',
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: c2, context: {cluster: c2, user: u}}]',
    'current-context: c2',
  ].join('\n');

  it('reads GSLB_CONFIG as kubeconfig text or a file path, and refuses when nothing is configured', () => {
    const fromText = new MemberKubeconfig(text);
    assert.equal(fromText.isText(), true);
    assert.deepEqual(fromText.load().contexts.map((c) => c.name), ['c2']);
    const dir = mkdtempSync(path.join(tmpdir(), 'amko-kc-'));
    const file = path.join(dir, 'kubeconfig');
    writeFileSync(file, text);
    const fromFile = new MemberKubeconfig(file);
    assert.equal(fromFile.isText(), false);
    assert.deepEqual(fromFile.load().contexts.map((c) => c.name), ['c2']);
    const before = fromFile.stamp();
    writeFileSync(file, text.replace('c2', 'c9'));
    assert.notEqual(fromFile.stamp(), before, 'a changed file changes the stamp');
    assert.throws(() => new MemberKubeconfig(undefined).load(), /no member-cluster kubeconfig configured/);
  });
});
