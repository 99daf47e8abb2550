import assert from 'node:assert/strict';
import { buildDesiredGs } from '../../src/reconcile/desired/gslbservice.js';
import { storeGs, storeHm } from '../../src/reconcile/avi-state.js';
import { refName } from '../../src/reconcile/canon.js';
import { diffKey, gsChanges, describeOperation, operationHeadline, type AviOperation } from '../../src/reconcile/diff.js';
import type { NamedMember } from '../../src/reconcile/members/types.js';
import type { GslbService, HealthMonitor } from '../../src/avi/types.js';
import { CREATED_BY as CB, desiredInputs, namedMember } from './fixtures.js';

const inputs = desiredInputs({});
const m = (cluster: string, ip: string, paths = ['/']): NamedMember => namedMember({ cluster, ip, paths });

/** What a controller would return: uuids, uuid refs with #name, extra defaulted fields, reordered members. */
function asStored(gs: GslbService, hms: HealthMonitor[]): GslbService {
  const refs = (gs.health_monitor_refs ?? []).map((r) => {
    const name = r.split('name=')[1]!;
    const hm = hms.find((h) => h.name === name);
    return `https://ctrl/api/healthmonitor/${hm?.uuid ?? 'healthmonitor-x'}#${name}`;
  });
  return {
    ...gs,
    uuid: 'gslbservice-1',
    url: 'https://ctrl/api/gslbservice/gslbservice-1#app.example.com',
    tenant_ref: 'https://ctrl/api/tenant/admin#admin',
    health_monitor_refs: refs,
    num_dns_ip: 1,
    down_response: { type: 'GSLB_SERVICE_DOWN_RESPONSE_NONE' },
    groups: gs.groups.map((g) => ({ ...g, members: [...g.members].reverse().map((x) => ({ ...x, preference_order: 1 })) })),
  };
}
const stored = (hm: HealthMonitor, i: number): HealthMonitor => ({ ...hm, uuid: `healthmonitor-${i}`, tenant_ref: 'x', is_federated: true, monitor_type_extra: 1 });

describe('reconcile/diff: field-wise comparison and operation order', () => {
  const desired = buildDesiredGs('admin', 'app.example.com', [m('c1', '10.0.0.1', ['/', '/a']), m('c2', '10.0.0.2')], inputs)!;
  const hms = desired.hms.map(stored);
  const hmMap = new Map(hms.map((h) => [h.name, h]));
  const ctx = { createdBy: CB, refNames: new Map<string, string>() };

  it('nothing to do when the controller state equals the desired state (after normalisation)', () => {
    const ops = diffKey(desired.key, 'admin', 'app.example.com', desired, { gs: asStored(desired.gs, hms), hms: hmMap }, ctx);
    assert.deepEqual(ops, []);
  });

  it('creates monitors before the GslbService', () => {
    const ops = diffKey(desired.key, 'admin', 'app.example.com', desired, { hms: new Map() }, ctx);
    assert.deepEqual(ops.map((o) => o.op), ['create-hm', 'create-hm', 'create-gs']);
  });

  it('detects a single changed field that a checksum over a subset would miss (member ratio, ttl, public IP)', () => {
    const actual = asStored(desired.gs, hms);
    actual.groups[0]!.members[0]!.ratio = 7;
    const changes = gsChanges(desired.gs, actual, ctx);
    assert.equal(changes.length, 1);
    assert.match(changes[0]!.path, /^groups\[0\]\.members\[\d\]\.ratio$/);
    const withTtl = { ...asStored(desired.gs, hms), ttl: 30 };
    assert.deepEqual(gsChanges(desired.gs, withTtl, ctx), [{ path: 'ttl', from: 30, to: undefined }]);
  });

  it('resolves bare uuid refs through refNames; unresolved uuid refs differ', () => {
    assert.equal(refName('https://c/api/healthmonitor/healthmonitor-9', new Map([['healthmonitor-9', 'hm9']])), 'hm9');
    assert.equal(refName('/api/healthmonitor?name=hm9', new Map()), 'hm9');
    assert.equal(refName('https://c/api/healthmonitor/healthmonitor-9#hm9', new Map()), 'hm9');
    const actual = asStored(desired.gs, hms);
    actual.health_monitor_refs = hms.map((h) => `https://c/api/healthmonitor/${h.uuid}`);
    assert.notEqual(gsChanges(desired.gs, actual, ctx).length, 0);
    const named = new Map(hms.map((h) => [h.uuid!, h.name]));
    assert.deepEqual(gsChanges(desired.gs, actual, { refNames: named }), []);
  });

  it('path removed: update the GslbService, then delete only our stale monitor; never others', () => {
    const smaller = buildDesiredGs('admin', 'app.example.com', [m('c1', '10.0.0.1', ['/']), m('c2', '10.0.0.2')], inputs)!;
    const userHm: HealthMonitor = { name: 'amko--user-made', uuid: 'healthmonitor-u', type: 'HEALTH_MONITOR_HTTP', description: 'created by: amko, gsname: app.example.com' };
    const otherInstance: HealthMonitor = {
      ...hms[0]!,
      name: 'amko--other',
      uuid: 'healthmonitor-o',
      markers: [{ key: 'created-by', values: ['amko-other'] }],
    };
    const all = new Map([...hmMap, [userHm.name, userHm], [otherInstance.name, otherInstance]]);
    const ops = diffKey(smaller.key, 'admin', 'app.example.com', smaller, { gs: asStored(desired.gs, hms), hms: all }, ctx);
    assert.deepEqual(ops.map((o) => `${o.op}:${o.name}`), [
      'update-gs:app.example.com',
      `delete-hm:${desired.hms.find((h) => h.description!.includes('path: /a'))!.name}`,
    ]);
    assert.match(describeOperation(ops[0]!), /~ gslbservice admin\/app.example.com\n {4}health_monitor_refs/);
  });

  it('no members: delete the GslbService, then its monitors', () => {
    const ops = diffKey(desired.key, 'admin', 'app.example.com', undefined, { gs: asStored(desired.gs, hms), hms: hmMap }, ctx);
    assert.deepEqual(ops.map((o) => o.op), ['delete-gs', 'delete-hm', 'delete-hm']);
    assert.equal(ops[0]!.op === 'delete-gs' && ops[0]!.uuid, 'gslbservice-1');
  });

  it('a changed monitor body is updated in place', () => {
    const changed = new Map(hmMap);
    const first = { ...hms[0]!, monitor_port: 8080 };
    changed.set(first.name, first);
    const ops = diffKey(desired.key, 'admin', 'app.example.com', desired, { gs: asStored(desired.gs, hms), hms: changed }, ctx);
    assert.equal(ops.length, 1);
    assert.equal(ops[0]!.op, 'update-hm');
    assert.deepEqual(ops[0]!.op === 'update-hm' && ops[0]!.changes, [{ path: 'monitor_port', from: 8080, to: 80 }]);
  });
  it('the stored form (what the worker cache keeps) diffs exactly like the whole controller object', () => {
    const smaller = buildDesiredGs('admin', 'app.example.com', [m('c1', '10.0.0.1', ['/']), m('c2', '10.0.0.2')], inputs)!;
    const geo = buildDesiredGs('admin', 'app.example.com', [m('c1', '10.0.0.1'), m('c2', '10.0.0.2')], inputs)!;
    for (const g of geo.gs.groups) Object.assign(g, { algorithm: 'GSLB_ALGORITHM_GEO', fallback_algorithm: 'GSLB_ALGORITHM_CONSISTENT_HASH', consistent_hash_mask: 24 });
    const variants: GslbService[] = [asStored(desired.gs, hms), { ...asStored(desired.gs, hms), ttl: 30 }, asStored(geo.gs, hms)];
    const uuidRefs = asStored(desired.gs, hms);
    uuidRefs.health_monitor_refs = hms.map((h) => `https://c/api/healthmonitor/${h.uuid}`);
    variants.push(uuidRefs);
    const changedHms = new Map(hmMap);
    changedHms.set(hms[0]!.name, { ...hms[0]!, monitor_port: 8080 });
    const refNames = new Map(hms.map((h) => [h.uuid!, h.name]));
    for (const want of [desired, smaller, geo, undefined]) {
      for (const gs of variants) {
        for (const hmsOf of [hmMap, changedHms]) {
          for (const c of [ctx, { ...ctx, refNames }]) {
            const full = diffKey(desired.key, 'admin', 'app.example.com', want, { gs, hms: hmsOf }, c);
            const stored = new Map([...hmsOf].map(([k, h]) => [k, storeHm(h)]));
            const compact = diffKey(desired.key, 'admin', 'app.example.com', want, { gs: storeGs(gs), hms: stored }, c);
            assert.deepEqual(compact, full);
          }
        }
      }
    }
  });
  it("the worker's log line per write (operationHeadline) is the first line of describeOperation, for every kind of operation", () => {
    const smaller = buildDesiredGs('admin', 'app.example.com', [m('c1', '10.0.0.1', ['/']), m('c2', '10.0.0.2')], inputs)!;
    const changed = new Map(hmMap);
    changed.set(hms[0]!.name, { ...hms[0]!, monitor_port: 8080 });
    const ops: AviOperation[] = [
      ...diffKey(desired.key, 'admin', 'app.example.com', desired, { hms: new Map() }, ctx),
      ...diffKey(smaller.key, 'admin', 'app.example.com', smaller, { gs: asStored(desired.gs, hms), hms: changed }, ctx),
      ...diffKey(desired.key, 'admin', 'app.example.com', undefined, { gs: asStored(desired.gs, hms), hms: hmMap }, ctx),
    ];
    assert.deepEqual([...new Set(ops.map((o) => o.op))].sort(), ['create-gs', 'create-hm', 'delete-gs', 'delete-hm', 'update-gs', 'update-hm']);
    for (const op of ops) assert.equal(operationHeadline(op), describeOperation(op).split('\n')[0]);
  });
});
