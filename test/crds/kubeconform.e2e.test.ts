// The editor JSON Schemas in schemas/ work with the real kubeconform (built by
// scripts/chart-tools.sh) exactly as the README tells users to run it: every
// example manifest of the four kinds is valid, and a mistake is reported with
// its field path.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../harness/tools.js';
import { ensureChartTools, runTool, type ChartTools } from '../harness/chart-tools.js';

/** The -schema-location the README gives (kubeconform's Go template over the file layout of schemas/). */
const SCHEMA_LOCATION = 'schemas/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json';
/** Kinds in examples/ that are not ours (kubeconform would look for their schemas online). */
const NOT_OURS = 'Config,HostRule,Ingress,ClusterRole,ClusterRoleBinding,Gateway,HTTPRoute';

interface Summary {
  resources: Array<{ filename: string; kind: string; name: string; status: string; msg: string }>;
  summary: { valid: number; invalid: number; errors: number; skipped: number };
}

describe('kubeconform with the published schemas', function () {
  this.timeout(120_000);
  let tools: ChartTools;
  const kubeconform = (args: string[]) =>
    runTool(tools.kubeconform, ['-strict', '-output', 'json', '-schema-location', SCHEMA_LOCATION, '-skip', NOT_OURS, ...args], { cwd: REPO_ROOT });

  before(async function () {
    this.timeout(60 * 60_000); // a fresh machine builds the tools first
    tools = await ensureChartTools();
  });

  it('the README names this -schema-location and the yaml-language-server modeline', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    assert.ok(readme.includes(`-schema-location '${SCHEMA_LOCATION}'`), 'README kubeconform line');
    assert.match(readme, /# yaml-language-server: \$schema=.*schemas\/gslbconfig_v1alpha1\.json/);
  });

  it('every example manifest of the four kinds is valid', async () => {
    const r = await kubeconform(['-summary', 'examples']);
    const out = JSON.parse(r.stdout) as Summary;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(out.resources.filter((x) => x.status !== 'statusSkipped'), []);
    assert.deepEqual([out.summary.invalid, out.summary.errors], [0, 0]);
    assert.ok(out.summary.valid >= 15, `only ${out.summary.valid} valid resources`);
  });

  it('reports a wrong value and a misspelt field with their paths', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'amko-kubeconform-'));
    const file = path.join(dir, 'bad-gdp.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: amko.vmware.com/v1alpha2',
        'kind: GlobalDeploymentPolicy',
        'metadata: {name: global-gdp, namespace: avi-system}',
        'spec:',
        '  trafficSplit:',
        '    - {cluster: cluster1-admin, weight: 25}',
        '    - {cluster: cluster2-admin, wieght: 2}',
        '',
      ].join('\n'),
    );
    const r = await kubeconform([file]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const res = (JSON.parse(r.stdout) as Summary).resources;
    assert.equal(res.length, 1);
    assert.equal(res[0]!.status, 'statusInvalid');
    assert.match(res[0]!.msg, /\/spec\/trafficSplit\/0\/weight/);
    assert.match(res[0]!.msg, /\/spec\/trafficSplit\/1/);
    assert.match(res[0]!.msg, /wieght/);
  });
});
