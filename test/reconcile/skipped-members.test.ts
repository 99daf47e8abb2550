import assert from 'node:assert/strict';
import type { Rejection, SkipCode } from '../../src/reconcile/members/types.js';
import { NOTIFY_INTERVAL_MS, SkippedMembers, type SkipNotice } from '../../src/reconcile/skipped-members.js';

const ref = (name: string, cluster = 'c1') => ({ cluster, apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'ns', name, uid: `uid-${name}` });
const rej = (name: string, code: SkipCode, cluster = 'c1'): Rejection => ({ cluster, kind: 'INGRESS', namespace: 'ns', name, code, reason: `because ${code}` });

describe('reconcile/skipped-members: which selected objects are skipped, and when to say so', () => {
  let now: number;
  let notices: SkipNotice[];
  let s: SkippedMembers;
  beforeEach(() => {
    now = 0;
    notices = [];
    s = new SkippedMembers((n) => notices.push(n), NOTIFY_INTERVAL_MS, () => now);
  });

  it('one notice per object and reason; re-deriving the same state (a resync) says nothing again', () => {
    for (let i = 0; i < 5; i++) s.set('c1/ingresses/ns/a', ref('a'), [rej('a', 'missing-ako-uuids'), rej('a', 'missing-ako-uuids')]);
    assert.deepEqual(notices.map((n) => `${n.ref.name}:${n.code}:${n.reason}`), ['a:missing-ako-uuids:because missing-ako-uuids']);
    s.set('c1/ingresses/ns/a', ref('a'), [rej('a', 'missing-ako-uuids'), rej('a', 'no-ip')]);
    assert.deepEqual(notices.map((n) => n.code), ['missing-ako-uuids', 'no-ip'], 'a new reason is told');
    assert.equal(s.count(), 1);
    assert.deepEqual([...s.countsByReason().get('c1')!].sort(), [['missing-ako-uuids', 1], ['no-ip', 1]]);
  });

  it('a notice (an HTTPRoute synced by IP alone) is told once like a skip, but never counted as skipped', () => {
    const id = 'c1/httproutes/ns/r';
    const route = { ...ref('r'), apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' };
    const ipOnly = { cluster: 'c1', kind: 'HTTPROUTE' as const, namespace: 'ns', name: 'r', code: 'ip-only-member' as const, reason: 'synced as IP-only members' };
    for (let i = 0; i < 3; i++) s.set(id, route, [], [ipOnly]);
    assert.deepEqual(notices.map((n) => `${n.ref.kind}:${n.code}:${n.reason}`), ['HTTPRoute:ip-only-member:synced as IP-only members']);
    assert.equal(s.count(), 0);
    assert.deepEqual([...s.countsByReason()], [['c1', new Map()]]);
    s.set(id, route, [{ ...ipOnly, code: 'dedicated-gateway', reason: 'dedicated' }], [ipOnly]);
    assert.deepEqual(notices.map((n) => n.code), ['ip-only-member', 'dedicated-gateway']);
    assert.equal(s.count(), 1, 'a skip next to the notice counts');
    s.set(id, route, [], []);
    assert.equal(s.count(), 0);
  });

  it('not-selected is never reported or counted', () => {
    s.set('c1/ingresses/ns/b', ref('b'), [rej('b', 'not-selected')]);
    assert.deepEqual(notices, []);
    assert.equal(s.count(), 0);
  });

  it(`a reason that clears and comes back is told again only after ${NOTIFY_INTERVAL_MS / 60_000} min`, () => {
    const id = 'c1/ingresses/ns/a';
    s.set(id, ref('a'), [rej('a', 'no-ip')]);
    s.set(id, ref('a'), []);
    assert.equal(s.count(), 0);
    now += NOTIFY_INTERVAL_MS - 1;
    s.set(id, ref('a'), [rej('a', 'no-ip')]);
    assert.equal(notices.length, 1);
    s.remove(id);
    now += 1;
    s.set(id, ref('a'), [rej('a', 'no-ip')]);
    assert.equal(notices.length, 2);
  });

  it('a new term (clear) re-derives without repeating notices within the interval; dropping a cluster forgets its objects', () => {
    s.set('c1/ingresses/ns/a', ref('a'), [rej('a', 'no-ip')]);
    s.set('c2/ingresses/ns/a', ref('a', 'c2'), [rej('a', 'no-ip', 'c2')]);
    s.clear();
    s.set('c1/ingresses/ns/a', ref('a'), [rej('a', 'no-ip')]);
    assert.equal(notices.length, 2);
    s.set('c2/ingresses/ns/a', ref('a', 'c2'), [rej('a', 'no-ip', 'c2')]);
    s.dropCluster('c2');
    assert.deepEqual(s.objectIds('c2'), []);
    assert.deepEqual(s.objectIds('c1'), ['c1/ingresses/ns/a']);
  });
  it('onCountChange: told when an object starts or stops being skipped (the GDP status write), not on re-derivations or a changed reason', () => {
    let told = 0;
    s.onCountChange(() => told++);
    s.set('c1/ingresses/ns/a', ref('a'), [rej('a', 'no-ip')]);
    assert.equal(told, 1);
    for (let i = 0; i < 3; i++) s.set('c1/ingresses/ns/a', ref('a'), [rej('a', 'no-ip')]);
    s.set('c1/ingresses/ns/a', ref('a'), [rej('a', 'missing-ako-uuids')]);
    s.set('c1/ingresses/ns/b', ref('b'), [rej('b', 'not-selected')]);
    assert.equal(told, 1, 'the count did not change');
    s.set('c1/ingresses/ns/a', ref('a'), []);
    assert.equal(told, 2);
    s.set('c2/ingresses/ns/c', ref('c', 'c2'), [rej('c', 'no-ip', 'c2')]);
    s.remove('c1/ingresses/ns/gone');
    assert.equal(told, 3);
    s.dropCluster('c2');
    assert.deepEqual([told, s.count()], [4, 0]);
  });
});
