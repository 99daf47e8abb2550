// `kubectl explain` on a real kube-apiserver with the committed CRDs (charts/amko/crds)
// installed: the descriptions written on the API types in src/api reach users.
// The API server's published OpenAPI v3 (what kubectl explain reads) carries a
// description on every field of the four kinds.
import assert from 'node:assert/strict';
import path from 'node:path';
import { clusterRequest, startControlPlanes, type ClusterHandle, type ControlPlanes } from '../harness/control-plane.js';
import { REPO_ROOT } from '../harness/tools.js';
import { kubectl, kubectlOk } from '../harness/kubectl.js';
import { GROUP } from '../../src/api/common.js';
import { KINDS, KIND_NAMES } from '../../src/api/kinds.js';
import { openApiSchema, type JSONSchemaProps } from '../../src/api/crd.js';

type OpenApiNode = {
  description?: string;
  properties?: Record<string, OpenApiNode>;
  items?: OpenApiNode;
  additionalProperties?: OpenApiNode | boolean;
  allOf?: OpenApiNode[];
  $ref?: string;
};

/** kubectl wraps descriptions at the terminal width: compare with collapsed whitespace. */
const flat = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('kubectl explain with the generated CRDs (real kube-apiserver)', function () {
  this.timeout(120_000);
  let cp: ControlPlanes;
  let cluster: ClusterHandle;
  const run = (args: string[]) => kubectl(args, { kubeconfig: cluster.kubeconfigPath });

  before(async function () {
    this.timeout(60 * 60_000); // a fresh machine builds the tools first
    cp = await startControlPlanes({ clusters: 1 });
    cluster = cp.clusters[0]!;
    await kubectlOk(['apply', '-f', path.join(REPO_ROOT, 'charts/amko/crds')], { kubeconfig: cluster.kubeconfigPath });
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '-l', 'app.kubernetes.io/part-of=amko'], {
      kubeconfig: cluster.kubeconfigPath,
    });
    // The OpenAPI controller publishes each new CRD shortly after it is Established, one at a time.
    const deadline = Date.now() + 60_000;
    for (const resource of ['gslbconfig', 'gdp', 'ghr', 'amkocluster']) {
      for (;;) {
        const r = await run(['explain', `${resource}.spec`]);
        if (r.code === 0) break;
        if (Date.now() > deadline) throw new Error(`kubectl explain ${resource} never worked: ${r.stderr}`);
        await new Promise((res) => setTimeout(res, 250));
      }
    }
  });

  after(async function () {
    await cp?.stop();
  });

  const cases: Array<[string, string]> = [
    ['gslbconfig.spec.gslbLeader', 'spec.gslbLeader'],
    ['gslbconfig.spec.gslbLeader.controllerIP', 'spec.gslbLeader.controllerIP'],
    ['gdp.spec.trafficSplit', 'spec.trafficSplit'],
    ['gdp.spec.trafficSplit.weight', 'spec.trafficSplit[].weight'],
    ['ghr.spec.thirdPartyMembers.vip', 'spec.thirdPartyMembers[].vip'],
    ['amkocluster.status.conditions.type', 'status.conditions[].type'],
  ];
  const kindOf: Record<string, keyof typeof KINDS> = { gslbconfig: 'GSLBConfig', gdp: 'GlobalDeploymentPolicy', ghr: 'GSLBHostRule', amkocluster: 'AMKOCluster' };

  for (const [resource, schemaPath] of cases) {
    it(`kubectl explain ${resource} prints the field's description from src/api`, async () => {
      const kind = kindOf[resource.split('.')[0]!]!;
      let node: JSONSchemaProps = openApiSchema(kind);
      for (const part of schemaPath.split('.')) {
        const name = part.replace('[]', '');
        node = node.properties![name]!;
        if (part.endsWith('[]')) node = node.items!;
      }
      const expected = node.description!;
      assert.ok(expected.length > 20, `${schemaPath}: ${expected}`);
      const r = await run(['explain', resource]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^GROUP:\\s+${GROUP.replace(/\./g, '\\.')}$`, 'm'));
      assert.match(r.stdout, /^DESCRIPTION:$/m);
      assert.ok(flat(r.stdout).includes(flat(expected)), `kubectl explain ${resource} lacks the description:\n${r.stdout}`);
    });
  }

  it('the published OpenAPI v3 has a description on every field of the four kinds', async () => {
    const missing: string[] = [];
    let checked = 0;
    for (const version of new Set(KIND_NAMES.map((k) => KINDS[k].version))) {
      const r = await clusterRequest(cluster, 'GET', `/openapi/v3/apis/${GROUP}/${version}`);
      assert.equal(r.status, 200, r.body);
      const schemas = (r.json as { components: { schemas: Record<string, OpenApiNode> } }).components.schemas;
      for (const kind of KIND_NAMES.filter((k) => KINDS[k].version === version)) {
        const key = Object.keys(schemas).find((k) => k.endsWith(`.${version}.${kind}`));
        assert.ok(key, `${kind} not published in /openapi/v3/apis/${GROUP}/${version}`);
        const visit = (n: OpenApiNode, p: string): void => {
          // metadata is a reference to ObjectMeta, which the API server documents itself.
          if (p === 'metadata') return;
          checked++;
          if (!n.description?.trim()) missing.push(`${kind} ${p || '<root>'}`);
          for (const [name, child] of Object.entries(n.properties ?? {})) visit(child, p ? `${p}.${name}` : name);
          if (n.items) visit(n.items, `${p}[]`);
          if (n.additionalProperties && typeof n.additionalProperties === 'object') visit(n.additionalProperties, `${p}{}`);
        };
        visit(schemas[key], '');
      }
    }
    assert.deepEqual(missing, []);
    assert.ok(checked >= 100, `only ${checked} nodes visited`);
  });
});
