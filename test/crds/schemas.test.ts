// The editor JSON Schemas in schemas/ (yaml-language-server, kubeconform): the
// committed copy is the generated one, they compile as draft-07 in ajv's strict
// mode, accept every example manifest and reject what an editor should flag.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { KIND_NAMES, isKindName, type KindName } from '../../src/api/kinds.js';
import { GDPSpec } from '../../src/api/gdp.js';
import { editorSchema, editorSchemaJson, jsonSchemaFileName, type JsonSchema } from '../../src/api/json-schema.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCHEMA_DIR = path.join(ROOT, 'schemas');
type Obj = Record<string, unknown>;

function walk(node: JsonSchema, visit: (n: JsonSchema, p: string) => void, p = ''): void {
  visit(node, p);
  for (const [k, v] of Object.entries((node.properties as Record<string, JsonSchema> | undefined) ?? {})) walk(v, visit, p ? `${p}.${k}` : k);
  if (node.items) walk(node.items as JsonSchema, visit, `${p}[]`);
  if (typeof node.additionalProperties === 'object') walk(node.additionalProperties as JsonSchema, visit, `${p}{}`);
}

function exampleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? exampleFiles(path.join(dir, e.name)) : e.name.endsWith('.yaml') ? [path.join(dir, e.name)] : [],
  );
}

const validators = new Map<KindName, ValidateFunction>();
function validatorFor(kind: KindName): ValidateFunction {
  let v = validators.get(kind);
  if (!v) {
    // strict: an unknown keyword left in the schema (e.g. an x-kubernetes-* one) fails the compile.
    v = new Ajv({ strict: true, allErrors: true }).compile(JSON.parse(readFileSync(path.join(SCHEMA_DIR, jsonSchemaFileName(kind)), 'utf8')) as object);
    validators.set(kind, v);
  }
  return v;
}
const errorsOf = (kind: KindName, doc: unknown) => {
  const v = validatorFor(kind);
  return v(doc) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
};

describe('editor JSON Schemas (schemas/)', () => {
  it('schemas/ holds exactly the generated files, byte for byte (run `npm run crds` when this fails)', () => {
    assert.deepEqual(readdirSync(SCHEMA_DIR).sort(), KIND_NAMES.map(jsonSchemaFileName).sort());
    for (const kind of KIND_NAMES) {
      assert.equal(readFileSync(path.join(SCHEMA_DIR, jsonSchemaFileName(kind)), 'utf8'), editorSchemaJson(kind), `${jsonSchemaFileName(kind)} is stale: run npm run crds`);
    }
  });

  it("file names follow kubeconform's {{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json (kind lower-case)", () => {
    assert.deepEqual(KIND_NAMES.map(jsonSchemaFileName), [
      'gslbconfig_v1alpha1.json',
      'globaldeploymentpolicy_v1alpha2.json',
      'gslbhostrule_v1alpha1.json',
      'amkocluster_v1alpha1.json',
    ]);
  });

  it('every node has a description, and no Kubernetes-only keyword is left', () => {
    for (const kind of KIND_NAMES) {
      const missing: string[] = [];
      walk(editorSchema(kind), (n, p) => {
        if (typeof n.description !== 'string' || !n.description) missing.push(p || '<root>');
        for (const k of Object.keys(n)) assert.ok(!k.startsWith('x-kubernetes-'), `${kind} ${p}: ${k}`);
      });
      assert.deepEqual(missing, [], kind);
    }
  });

  it('every example manifest of the four kinds validates against its schema', () => {
    let checked = 0;
    for (const file of exampleFiles(path.join(ROOT, 'examples'))) {
      for (const doc of YAML.parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Obj | null)) {
        if (!doc || !isKindName(doc.kind)) continue;
        assert.deepEqual(errorsOf(doc.kind, doc), [], `${path.relative(ROOT, file)} ${doc.kind}`);
        checked++;
      }
    }
    assert.ok(checked >= 15, `only ${checked} example objects checked`);
  });

  it('flags what an editor should: a misspelt field, a wrong enum, a value out of range, a wrong apiVersion, a missing required field', () => {
    const gdp = (spec: Obj, extra: Obj = {}) => ({ apiVersion: 'amko.vmware.com/v1alpha2', kind: 'GlobalDeploymentPolicy', metadata: { name: 'g' }, spec, ...extra });
    assert.deepEqual(errorsOf('GlobalDeploymentPolicy', gdp({ trafficSplit: [{ cluster: 'c1', weight: 8 }] })), []);
    assert.deepEqual(errorsOf('GlobalDeploymentPolicy', gdp({ trafficSplit: [{ cluster: 'c1', wieght: 8 }] })), [
      '/spec/trafficSplit/0 must NOT have additional properties',
    ]);
    assert.deepEqual(errorsOf('GlobalDeploymentPolicy', gdp({ trafficSplit: [{ cluster: 'c1', weight: 25 }] })), [
      '/spec/trafficSplit/0/weight must be <= 20',
    ]);
    assert.deepEqual(errorsOf('GlobalDeploymentPolicy', gdp({ poolAlgorithmSettings: { lbAlgorithm: 'GSLB_ALGORITHM_RANDOM' } })), [
      '/spec/poolAlgorithmSettings/lbAlgorithm must be equal to one of the allowed values',
    ]);
    assert.deepEqual(errorsOf('GlobalDeploymentPolicy', gdp({ healthMonitorRefs: ['hm1', 'hm1'] })), [
      '/spec/healthMonitorRefs must NOT have duplicate items (items ## 1 and 0 are identical)',
    ]);
    assert.deepEqual(errorsOf('GlobalDeploymentPolicy', gdp({}, { apiVersion: 'amko.vmware.com/v1alpha1' })), [
      '/apiVersion must be equal to one of the allowed values',
    ]);
    assert.deepEqual(errorsOf('GSLBConfig', { apiVersion: 'amko.vmware.com/v1alpha1', kind: 'GSLBConfig', spec: { gslbLeader: { credentials: 's' } } }), [
      "/spec/gslbLeader must have required property 'controllerIP'",
    ]);
  });

  it('carries the CRD defaults and descriptions (one source: src/api)', () => {
    const spec = (editorSchema('GlobalDeploymentPolicy').properties as Record<string, JsonSchema>).spec!;
    const split = ((spec.properties as Record<string, JsonSchema>).trafficSplit!.items as JsonSchema).properties as Record<string, JsonSchema>;
    assert.equal(split.weight!.default, 1);
    assert.equal(split.priority!.default, 10);
    assert.equal(split.weight!.description, GDPSpec.properties.trafficSplit.items.properties.weight.description);
  });
});
