import assert from 'node:assert/strict';
import fastJsonPatch from 'fast-json-patch';
import { defaults, defaultsShared, patchFor } from '../../src/rules/index.js';
import { formatAggregate, formatFieldError, type FieldError } from '../../src/rules/field-error.js';
import { AMKO, BASES, CASES, GC, GDP, GHR, NEW_UUID, UUID } from './cases.js';

const fixed = () => NEW_UUID;

describe('rules: defaults()', () => {
  it('fills GSLBConfig defaults and a new UUID', () => {
    const o = { kind: 'GSLBConfig', metadata: { name: 'gc' }, spec: { gslbLeader: { controllerIP: '1.1.1.1', credentials: 's' } } };
    assert.deepEqual(patchFor(o, defaults('GSLBConfig', o, { newUuid: fixed })), [
      { op: 'add', path: '/spec/gslbLeader/tenant', value: 'admin' },
      { op: 'add', path: '/spec/refreshInterval', value: 1800 },
      { op: 'add', path: '/spec/logLevel', value: 'INFO' },
      { op: 'add', path: '/spec/useCustomGlobalFqdn', value: false },
      { op: 'add', path: '/metadata/annotations', value: { 'amko.vmware.com/amko-uuid': NEW_UUID } },
    ]);
  });

  it('keeps the old UUID on UPDATE when the new object lost it', () => {
    const old = structuredClone(GC);
    const o = structuredClone(GC) as any;
    delete o.metadata.annotations;
    assert.deepEqual(patchFor(o, defaults('GSLBConfig', o, { operation: 'UPDATE', oldObject: old, newUuid: fixed })), [
      { op: 'add', path: '/metadata/annotations', value: { 'amko.vmware.com/amko-uuid': UUID } },
    ]);
  });

  it('fills GDP, GSLBHostRule and AMKOCluster defaults', () => {
    const gdp = { spec: { matchClusters: [{ cluster: 'a' }], trafficSplit: [{ cluster: 'a', weight: 3 }] } };
    assert.deepEqual(defaults('GlobalDeploymentPolicy', gdp), {
      spec: {
        matchClusters: [{ cluster: 'a', syncVipOnly: false }],
        trafficSplit: [{ cluster: 'a', weight: 3, priority: 10 }],
        poolAlgorithmSettings: { lbAlgorithm: 'GSLB_ALGORITHM_ROUND_ROBIN' },
      },
    });
    assert.deepEqual(defaults('GSLBHostRule', { spec: { fqdn: 'a.b', trafficSplit: [{ cluster: 'a' }] } }), {
      spec: { fqdn: 'a.b', trafficSplit: [{ cluster: 'a', weight: 1, priority: 10 }] },
    });
    assert.deepEqual(defaults('AMKOCluster', { spec: { clusterContext: 'a' } }), { spec: { clusterContext: 'a', isLeader: false } });
  });

  it('is idempotent: defaulting a defaulted object gives no patch', () => {
    for (const [kind, base] of [['GSLBConfig', GC], ['GlobalDeploymentPolicy', GDP], ['GSLBHostRule', GHR], ['AMKOCluster', AMKO]] as const) {
      const bare = structuredClone(base) as any;
      delete bare.spec.trafficSplit?.[0]?.priority;
      const once = fastJsonPatch.applyPatch(structuredClone(bare), patchFor(bare, defaults(kind, bare, { newUuid: fixed }))).newDocument;
      assert.deepEqual(patchFor(once, defaults(kind, once, { newUuid: fixed })), [], kind);
    }
  });

  it('does not modify its input and tolerates wrong types', () => {
    const o = { spec: { trafficSplit: 'x', matchClusters: [1, null] } };
    const copy = structuredClone(o);
    defaults('GlobalDeploymentPolicy', o);
    assert.deepEqual(o, copy);
    assert.equal(defaults('GSLBConfig', null), null);
  });
});

describe('rules: defaultsShared() (the webhook\'s copy-on-write defaulting)', () => {
  it('gives the same object and the same patch as defaults(), and leaves the input alone', () => {
    const inputs: Array<[Parameters<typeof defaults>[0], unknown]> = [
      ['GSLBConfig', GC],
      ['GlobalDeploymentPolicy', GDP],
      ['GSLBHostRule', GHR],
      ['AMKOCluster', AMKO],
      ['GSLBConfig', { metadata: { name: 'gc', annotations: null }, spec: { gslbLeader: {} } }],
      ['GlobalDeploymentPolicy', { spec: { trafficSplit: [1, { cluster: 'a' }], matchClusters: ['x', {}] } }],
      ['GSLBHostRule', JSON.parse('{"__proto__":{"a":1},"spec":{"trafficSplit":[{"__proto__":{"b":2}}]}}')],
      ...CASES.map((c) => {
        const o = structuredClone(BASES[c.kind]);
        c.change?.(o);
        return [c.kind, o] as [Parameters<typeof defaults>[0], unknown];
      }),
    ];
    for (const [kind, o] of inputs) {
      for (const ctx of [{ newUuid: fixed }, { operation: 'UPDATE' as const, oldObject: GC, newUuid: fixed }]) {
        const before = structuredClone(o);
        const shared = defaultsShared(kind, o, ctx);
        assert.deepEqual(shared, defaults(kind, o, ctx));
        assert.deepEqual(patchFor(o, shared), patchFor(o, defaults(kind, o, ctx)));
        assert.deepEqual(o, before);
      }
    }
  });
});

describe('rules: field error rendering (apimachinery field.Error)', () => {
  const e = (x: Partial<FieldError>): FieldError => ({ type: 'Invalid', field: 'spec.x', rule: 'r', ...x });
  it('renders each type', () => {
    assert.equal(formatFieldError(e({ value: 25, detail: 'must be between 1 and 20' })), 'spec.x: Invalid value: 25: must be between 1 and 20');
    assert.equal(formatFieldError(e({ value: 'a', detail: 'bad' })), 'spec.x: Invalid value: "a": bad');
    assert.equal(formatFieldError(e({ value: true })), 'spec.x: Invalid value: true');
    assert.equal(formatFieldError(e({ type: 'Required', value: 'ignored' })), 'spec.x: Required value');
    assert.equal(formatFieldError(e({ type: 'Forbidden', detail: 'no' })), 'spec.x: Forbidden: no');
    assert.equal(formatFieldError(e({ type: 'Duplicate', value: 'a' })), 'spec.x: Duplicate value: "a"');
    assert.equal(formatFieldError(e({ type: 'NotFound', value: 'a' })), 'spec.x: Not found: "a"');
    assert.equal(formatFieldError(e({ type: 'TooLong', detail: 'may not be more than 3 characters' })), 'spec.x: Too long: may not be more than 3 characters');
    assert.equal(formatFieldError(e({ type: 'TooMany', value: 4 })), 'spec.x: Too many: 4');
    assert.equal(formatFieldError(e({ type: 'Internal', detail: 'boom' })), 'spec.x: Internal error: boom');
    assert.equal(
      formatFieldError(e({ type: 'NotSupported', value: 'c', detail: 'supported values: "a", "b"' })),
      'spec.x: Unsupported value: "c": supported values: "a", "b"',
    );
  });
  it('aggregates like utilerrors: one bare, several bracketed, duplicates dropped', () => {
    const a = e({ value: 1, detail: 'a' });
    const b = e({ field: 'spec.y', type: 'Required' });
    assert.equal(formatAggregate([a]), 'spec.x: Invalid value: 1: a');
    assert.equal(formatAggregate([a, b, a]), '[spec.x: Invalid value: 1: a, spec.y: Required value]');
  });
});
