import assert from 'node:assert/strict';
import { KIND_NAMES } from '../../src/api/kinds.js';
import { CATALOGUE } from '../../src/rules/catalogue.js';
import { CRD_OVERLAY } from '../../src/rules/crd-overlay.js';
import { DEFAULT_PATHS } from '../../src/rules/defaults.js';

describe('rules: the catalogue', () => {
  it('gives every rule of a kind its own id', () => {
    for (const kind of KIND_NAMES) {
      const ids = CATALOGUE[kind].rules.map((r) => r.id);
      assert.deepEqual(ids, [...new Set(ids)], kind);
    }
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
