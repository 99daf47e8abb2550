import assert from 'node:assert/strict';
import { defaults, formatFieldError, staticView, validate } from '../../src/rules/index.js';
import { CASES, NEW_UUID, caseTitle, objectOf, oldObjectOf, viewObjectsOf } from './cases.js';

describe('rules: validate() over the case table', () => {
  for (const c of CASES) {
    it(caseTitle(c), () => {
      const operation = c.operation ?? 'CREATE';
      const oldObject = oldObjectOf(c);
      const objs = viewObjectsOf(c);
      const object = defaults(c.kind, objectOf(c), { operation, oldObject, newUuid: () => NEW_UUID });
      const r = validate(c.kind, object, { operation, oldObject, view: objs && staticView(objs) });
      assert.deepEqual(r.errors.map(formatFieldError), c.errors ?? []);
      assert.deepEqual(r.forbidden && { field: r.forbidden.field, message: r.forbidden.message }, c.forbidden);
      assert.deepEqual(r.warnings, c.warnings ?? []);
      for (const w of r.warnings) assert.ok(w.length < 120, `warning too long: ${w}`);
    });
  }

  it('allows DELETE whatever the object', () => {
    assert.deepEqual(validate('GSLBConfig', { spec: 5 }, { operation: 'DELETE' }), { errors: [], warnings: [] });
  });

  it('never throws on malformed objects', () => {
    for (const bad of [null, 7, 'x', [], { spec: [] }, { spec: { gslbLeader: 'x', memberClusters: {} } }, { metadata: 3 }]) {
      for (const kind of ['GSLBConfig', 'GlobalDeploymentPolicy', 'GSLBHostRule', 'AMKOCluster'] as const) {
        const r = validate(kind, bad, { view: staticView([]) });
        assert.ok(r.errors.length > 0 || r.forbidden || r.warnings.length > 0);
      }
    }
  });

  it('reports a wrong type once, not again in the semantic rules', () => {
    const r = validate('GlobalDeploymentPolicy', { metadata: { name: 'g', namespace: 'avi-system' }, spec: { trafficSplit: 'x', ttl: '10' } }, { view: staticView([]) });
    assert.deepEqual(r.errors.map(formatFieldError), [
      'spec.trafficSplit: Invalid value: "x": must be of type array',
      'spec.ttl: Invalid value: "10": must be of type integer',
    ]);
  });

  it('reports unknown fields only when asked (the CLI)', () => {
    const o = { metadata: { name: 'a', namespace: 'avi-system' }, spec: { clusterContext: 'c', version: '1', clusters: ['c'], extra: 1 }, foo: {} };
    assert.deepEqual(validate('AMKOCluster', o, { view: staticView([]) }).errors, []);
    assert.deepEqual(validate('AMKOCluster', o, { view: staticView([]), unknownFields: 'error' }).errors.map(formatFieldError), [
      'spec.extra: Forbidden: field not declared in schema',
      'foo: Forbidden: field not declared in schema',
    ]);
  });

  it('checks singletons only on CREATE', () => {
    const view = staticView([{ kind: 'AMKOCluster', metadata: { name: 'a0', namespace: 'avi-system' } }]);
    const o = { metadata: { name: 'a1', namespace: 'avi-system' }, spec: { clusterContext: 'c', version: '1', clusters: ['c'] } };
    assert.ok(validate('AMKOCluster', o, { view }).forbidden);
    assert.equal(validate('AMKOCluster', o, { view, operation: 'UPDATE', oldObject: o }).forbidden, undefined);
  });
});
