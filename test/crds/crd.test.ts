// The generated CRDs: committed copy up to date, structural shape, defaults in
// line with the defaulting rules, names as in the original product.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { KINDS, KIND_NAMES } from '../../src/api/kinds.js';
import { buildCrd, buildCrds, crdFileName, crdYaml, crdsYaml, openApiSchema, type JSONSchemaProps } from '../../src/api/crd.js';
import { CRD_OVERLAY } from '../../src/rules/crd-overlay.js';
import { CONDITION_TYPES } from '../../src/federation/conditions.js';
import { DEFAULTS, defaults } from '../../src/rules/defaults.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CRD_DIR = path.join(ROOT, 'charts/amko/crds');

function walk(node: JSONSchemaProps, visit: (n: JSONSchemaProps, p: string) => void, p = ''): void {
  visit(node, p);
  for (const [k, v] of Object.entries(node.properties ?? {})) walk(v, visit, p ? `${p}.${k}` : k);
  if (node.items) walk(node.items, visit, `${p}[]`);
  if (node.additionalProperties) walk(node.additionalProperties, visit, `${p}{}`);
}

/** Applies the schema defaults the way the API server does (object present -> missing fields defaulted). */
function applySchemaDefaults(node: JSONSchemaProps, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (node.items ? applySchemaDefaults(node.items, v) : v));
  if (value === null || typeof value !== 'object') return value;
  const o = { ...(value as Record<string, unknown>) };
  for (const [k, child] of Object.entries(node.properties ?? {})) {
    if (o[k] === undefined && child.default !== undefined) o[k] = structuredClone(child.default);
    if (o[k] !== undefined) o[k] = applySchemaDefaults(child, o[k]);
  }
  return o;
}

describe('CRDs generated from src/api', () => {
  it('charts/amko/crds holds exactly the generated files, byte for byte (run `npm run crds` when this fails)', () => {
    const expected = KIND_NAMES.map(crdFileName).sort();
    assert.deepEqual(readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).sort(), expected);
    for (const kind of KIND_NAMES) {
      const committed = readFileSync(path.join(CRD_DIR, crdFileName(kind)), 'utf8');
      assert.equal(committed, crdYaml(kind), `${crdFileName(kind)} is stale: run npm run crds`);
    }
  });

  it('`amko crds` output is four YAML documents, deterministic', () => {
    const docs = YAML.parseAllDocuments(crdsYaml()).map((d) => d.toJS() as { metadata: { name: string } });
    assert.deepEqual(
      docs.map((d) => d.metadata.name),
      [
        'gslbconfigs.amko.vmware.com',
        'globaldeploymentpolicies.amko.vmware.com',
        'gslbhostrules.amko.vmware.com',
        'amkoclusters.amko.vmware.com',
      ],
    );
    assert.equal(crdsYaml(), crdsYaml());
  });

  it('keeps the original group, versions, kinds, plurals and short names', () => {
    const names = KIND_NAMES.map((k) => {
      const c = buildCrd(k);
      return [c.spec.group, c.spec.versions[0]!.name, c.spec.names.kind, c.spec.names.plural, c.spec.names.singular, c.spec.names.listKind, c.spec.names.shortNames ?? [], c.spec.scope];
    });
    assert.deepEqual(names, [
      ['amko.vmware.com', 'v1alpha1', 'GSLBConfig', 'gslbconfigs', 'gslbconfig', 'GSLBConfigList', ['gc'], 'Namespaced'],
      ['amko.vmware.com', 'v1alpha2', 'GlobalDeploymentPolicy', 'globaldeploymentpolicies', 'globaldeploymentpolicy', 'GlobalDeploymentPolicyList', ['gdp'], 'Namespaced'],
      ['amko.vmware.com', 'v1alpha1', 'GSLBHostRule', 'gslbhostrules', 'gslbhostrule', 'GSLBHostRuleList', ['ghr'], 'Namespaced'],
      ['amko.vmware.com', 'v1alpha1', 'AMKOCluster', 'amkoclusters', 'amkocluster', 'AMKOClusterList', [], 'Namespaced'],
    ]);
  });

  it('has a status subresource and Status/State/Error printer columns on every kind', () => {
    const cols = Object.fromEntries(
      KIND_NAMES.map((k) => {
        const v = buildCrd(k).spec.versions[0]!;
        assert.deepEqual(v.subresources, { status: {} });
        return [k, v.additionalPrinterColumns.map((c) => `${c.name}=${c.jsonPath}`)];
      }),
    );
    assert.deepEqual(cols, {
      GSLBConfig: ['Leader=.spec.gslbLeader.controllerIP', 'State=.status.state', 'Age=.metadata.creationTimestamp'],
      GlobalDeploymentPolicy: ['Status=.status.errorStatus', 'Skipped=.status.skippedMembers', 'Age=.metadata.creationTimestamp'],
      GSLBHostRule: ['FQDN=.spec.fqdn', 'Status=.status.status', 'Error=.status.error', 'Age=.metadata.creationTimestamp'],
      AMKOCluster: [
        'Context=.spec.clusterContext',
        'Leader=.spec.isLeader',
        "Federation=.status.conditions[?(@.type=='GSLBConfigFederated')].status",
        'Age=.metadata.creationTimestamp',
      ],
    });
  });

  it('printer columns on conditions name condition types the federator writes', () => {
    for (const kind of KIND_NAMES) {
      for (const c of buildCrd(kind).spec.versions[0]!.additionalPrinterColumns) {
        const m = /conditions\[\?\(@\.type=='([^']*)'\)\]/.exec(c.jsonPath);
        if (m) assert.ok(CONDITION_TYPES.includes(m[1] as (typeof CONDITION_TYPES)[number]), `${kind} column ${c.name}: unknown condition type ${m[1]}`);
      }
    }
  });

  it('is structural: every node typed, no additionalProperties:false/true, metadata type-only', () => {
    for (const kind of KIND_NAMES) {
      const s = openApiSchema(kind);
      assert.deepEqual(s.properties?.metadata, { type: 'object' });
      walk(s, (n, p) => {
        assert.ok(n.type, `${kind} ${p || '<root>'} has no type`);
        assert.ok(n.additionalProperties === undefined || typeof n.additionalProperties === 'object', `${kind} ${p}`);
        if (n['x-kubernetes-list-type'] === 'map') {
          for (const key of n['x-kubernetes-list-map-keys'] ?? []) assert.ok(n.items?.required?.includes(key), `${kind} ${p} key ${key}`);
        }
      });
    }
  });

  it('every field of every version has a description (kubectl explain); metadata stays type-only for the API server', () => {
    const missing: string[] = [];
    let described = 0;
    for (const crd of buildCrds()) {
      assert.ok(crd.spec.versions.length >= 1);
      for (const version of crd.spec.versions) {
        const root = version.schema.openAPIV3Schema;
        // The API server forbids anything but type on metadata and documents it as ObjectMeta itself.
        assert.deepEqual(root.properties?.metadata, { type: 'object' }, crd.metadata.name);
        walk(root, (n, p) => {
          if (p === 'metadata') return;
          if (typeof n.description === 'string' && n.description.trim().length > 0) described++;
          else missing.push(`${crd.spec.names.kind}/${version.name} ${p || '<root>'}`);
        });
      }
    }
    assert.deepEqual(missing, []);
    assert.ok(described >= 100, `only ${described} described nodes: the walk missed parts of the schemas`);
  });

  it('descriptions state the defaults and ranges the schemas enforce', () => {
    const gc = openApiSchema('GSLBConfig').properties!.spec!.properties!;
    const gdp = openApiSchema('GlobalDeploymentPolicy').properties!.spec!.properties!;
    const split = gdp.trafficSplit!.items!.properties!;
    assert.match(gc.refreshInterval!.description!, /default 1800/);
    assert.match(gc.gslbLeader!.properties!.tenant!.description!, /Default admin/);
    assert.match(gc.logLevel!.description!, /Default INFO/);
    assert.match(split.weight!.description!, /1-20.*Default 1\./);
    assert.match(split.priority!.description!, /0-100, default 10/);
    assert.match(gdp.ttl!.description!, /1-86400/);
    assert.match(gdp.poolAlgorithmSettings!.properties!.hashMask!.description!, /1-31/);
    // Shared pieces keep the description of the place they are used in.
    assert.match(openApiSchema('GSLBHostRule').properties!.spec!.properties!.ttl!.description!, /Overrides the GlobalDeploymentPolicy ttl/);
  });

  it('carries the constraints of the TypeBox schemas (enums, ranges, required)', () => {
    const gdp = openApiSchema('GlobalDeploymentPolicy').properties!.spec!;
    const ts = gdp.properties!.trafficSplit!;
    assert.deepEqual(
      { min: ts.items!.properties!.weight!.minimum, max: ts.items!.properties!.weight!.maximum, req: ts.items!.required },
      { min: 1, max: 20, req: ['cluster'] },
    );
    assert.equal(gdp.properties!.ttl!.minimum, 1);
    assert.equal(gdp.properties!.ttl!.maximum, 86400);
    assert.deepEqual(gdp.properties!.downResponse!.required, ['type']);
    assert.equal(gdp.properties!.poolAlgorithmSettings!.properties!.lbAlgorithm!.enum!.length, 4);
    assert.deepEqual(openApiSchema('GSLBConfig').required, ['spec']);
    assert.deepEqual(openApiSchema('GSLBConfig').properties!.spec!.properties!.logLevel!.enum, ['INFO', 'DEBUG', 'WARN', 'ERROR']);
  });

  it('the overlay only names existing schema nodes and every CEL rule has a message and a reason', () => {
    for (const kind of KIND_NAMES) {
      assert.doesNotThrow(() => openApiSchema(kind));
      for (const [p, o] of Object.entries(CRD_OVERLAY[kind])) {
        for (const r of o['x-kubernetes-validations'] ?? []) {
          assert.ok(r.message || r.messageExpression, `${kind} ${p}: ${r.rule}`);
          assert.ok(r.reason, `${kind} ${p}: ${r.rule}`);
        }
      }
    }
  });

  it('schema defaults equal the defaulting rules (same values, same places)', () => {
    // Minimal objects that have every parent of a defaulted field.
    const samples = {
      GSLBConfig: { spec: { gslbLeader: { credentials: 's', controllerIP: '10.0.0.1' } } },
      GlobalDeploymentPolicy: { spec: { matchClusters: [{ cluster: 'c1' }], trafficSplit: [{ cluster: 'c1' }] } },
      GSLBHostRule: { spec: { fqdn: 'a.example.com', trafficSplit: [{ cluster: 'c1' }] } },
      AMKOCluster: { spec: { clusterContext: 'c1', version: '1.0.0', clusters: ['c1'] } },
    } as const;
    for (const kind of KIND_NAMES) {
      const byCrd = applySchemaDefaults(openApiSchema(kind), structuredClone(samples[kind])) as { spec: unknown };
      const byRules = defaults(kind, structuredClone(samples[kind]), { newUuid: () => 'x' }) as { spec: unknown };
      assert.deepEqual(byCrd.spec, byRules.spec, kind);
    }
    assert.equal(DEFAULTS.weight, 1);
    assert.equal(DEFAULTS.priority, 10);
  });

  it('leaves out nothing of KINDS', () => {
    for (const kind of KIND_NAMES) assert.equal(buildCrd(kind).spec.names.plural, KINDS[kind].plural);
  });
});
