import assert from 'node:assert/strict';
import { KIND_NAMES } from '../../src/api/kinds.js';
import { CATALOGUE } from '../../src/rules/catalogue.js';
import { CRD_OVERLAY } from '../../src/rules/crd-overlay.js';
import { DEFAULT_PATHS, defaults } from '../../src/rules/defaults.js';
import { staticView } from '../../src/rules/view.js';
import { CASES, NEW_UUID, objectOf, oldObjectOf, viewObjectsOf } from './cases.js';

describe('rules: the catalogue', () => {
  it('gives every rule of a kind its own id', () => {
    for (const kind of KIND_NAMES) {
      const ids = CATALOGUE[kind].rules.map((r) => r.id);
      assert.deepEqual(ids, [...new Set(ids)], kind);
    }
  });

  it('has a case in test/rules/cases.ts for every rule: one where the rule reports something', () => {
    const reported = new Set<string>();
    for (const c of CASES) {
      const operation = c.operation ?? 'CREATE';
      const oldObject = oldObjectOf(c);
      const objs = viewObjectsOf(c);
      const o = defaults(c.kind, objectOf(c), { operation, oldObject, newUuid: () => NEW_UUID }) as Record<string, any>;
      const ctx = { operation, oldObject, view: objs && staticView(objs), name: o.metadata.name, namespace: o.metadata.namespace };
      for (const rule of CATALOGUE[c.kind].rules) {
        const errors: unknown[] = [];
        const warnings: string[] = [];
        rule.check(o, ctx, errors as never, warnings);
        if (errors.length || warnings.length) reported.add(`${c.kind} ${rule.id}`);
      }
    }
    const all = KIND_NAMES.flatMap((kind) => CATALOGUE[kind].rules.map((r) => `${kind} ${r.id}`));
    assert.deepEqual(all.filter((r) => !reported.has(r)), []);
  });

  it('is where the CRD takes its CEL rules and defaults from, each once', () => {
    for (const kind of KIND_NAMES) {
      const fromCatalogue = CATALOGUE[kind].rules.flatMap((r) => Object.values(r.cel ?? {}).flat()).map((c) => c.rule).sort();
      const inCrd = Object.values(CRD_OVERLAY[kind]).flatMap((o) => o['x-kubernetes-validations'] ?? []).map((c) => c.rule).sort();
      assert.deepEqual(inCrd, fromCatalogue, kind);
      const defaults = Object.entries(CRD_OVERLAY[kind]).filter(([, o]) => 'default' in o).map(([p, o]) => [p, o.default]);
      assert.deepEqual(defaults.sort(), DEFAULT_PATHS[kind].map(([p, v]) => [p, v]).sort(), kind);
    }
  });
});
