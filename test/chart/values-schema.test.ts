// charts/amko/values.schema.json is generated (`npm run chart-schema`, part of `npm run crds`):
// the values that render into the CRs take their schema from the API types, so the chart accepts
// what the CRDs accept (two selector labels, not at most one as the hand-written schema had it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { VALUES_SCHEMA_PATH, valuesSchemaJson } from '../../scripts/chart-values-schema.js';

describe('chart: values.schema.json', () => {
  let check: ValidateFunction;
  let values: Record<string, any>;
  before(() => {
    check = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(VALUES_SCHEMA_PATH, 'utf8')) as object);
    values = YAML.parse(readFileSync(path.join(path.dirname(VALUES_SCHEMA_PATH), 'values.yaml'), 'utf8')) as Record<string, any>;
  });
  const errorsOf = (change: (v: Record<string, any>) => void): string[] => {
    const v = structuredClone(values);
    change(v);
    return check(v) ? [] : check.errors!.map((e) => `${e.instancePath} ${e.message}`);
  };

  it('is the generated file (run `npm run chart-schema`)', () => {
    assert.equal(readFileSync(VALUES_SCHEMA_PATH, 'utf8'), valuesSchemaJson());
  });

  it('accepts values.yaml, and selectors with several labels as the GDP does', () => {
    assert.deepEqual(errorsOf(() => {}), []);
    assert.deepEqual(errorsOf((v) => (v.gdpConfig.appSelector = { label: { app: 'gslb', tier: 'web' } })), []);
  });

  it('rejects what the CRDs reject: an empty label value, weight 25, a two-part controller version', () => {
    assert.deepEqual(errorsOf((v) => (v.gdpConfig.namespaceSelector = { label: { ns: '' } })), [
      '/gdpConfig/namespaceSelector/label/ns must match pattern "^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"',
    ]);
    assert.deepEqual(errorsOf((v) => (v.gdpConfig.trafficSplit = [{ cluster: 'c1', weight: 25 }])), ['/gdpConfig/trafficSplit/0/weight must be <= 20']);
    assert.equal(errorsOf((v) => (v.configs.controllerVersion = '20.1')).length, 1);
  });
});
