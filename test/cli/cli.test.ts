// The offline CLI: the rule case table through validateDocuments(), the
// examples, and the real binary (exit codes, output formats, stdin, default,
// serve with SIGTERM).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { formatText, parseDocuments, validateDocuments, type InputDocument } from '../../src/commands/validate.js';
import { CASES, GC, NEW_UUID, caseTitle, objectOf, viewObjectsOf } from '../rules/cases.js';
import { repoRoot } from '../admission/support.js';

const TSX = path.join(repoRoot, 'node_modules/.bin/tsx');
const CLI = path.join(repoRoot, 'src/cli.ts');
const amko = (args: string[], input?: string) =>
  spawnSync(TSX, [CLI, ...args], { cwd: repoRoot, input, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });

describe('cli: validate over the rule case table', () => {
  for (const c of CASES.filter((x) => (x.operation ?? 'CREATE') === 'CREATE')) {
    it(caseTitle(c), () => {
      const others = viewObjectsOf(c) ?? [];
      const docs: InputDocument[] = [...others, objectOf(c)].map((object, index) => ({ file: 'case.yaml', index, object }));
      const out = validateDocuments(docs, { newUuid: () => NEW_UUID });
      const mine = out.results[out.results.length - 1]!;
      const prefix = `case.yaml: ${c.kind}/${mine.name}`;
      const expected = [
        ...(c.forbidden ? [`${prefix}: ${c.forbidden.field}: Forbidden: ${c.forbidden.message}`] : []),
        ...(c.errors ?? []).map((e) => `${prefix}: ${e}`),
      ];
      const lines = formatText({ ...out, results: [mine] }).filter((l) => !l.includes(': warning: ') && !l.endsWith(': valid'));
      assert.deepEqual(lines, expected);
      assert.equal(mine.valid, expected.length === 0);
    });
  }

  it('reports unknown fields and wrong apiVersions', () => {
    const docs = parseDocuments(
      [
        'apiVersion: amko.vmware.com/v1alpha1',
        'kind: GlobalDeploymentPolicy',
        'metadata: {name: g, namespace: avi-system}',
        'spec: {}',
        '---',
        'apiVersion: amko.vmware.com/v1alpha1',
        'kind: AMKOCluster',
        'metadata: {name: a, namespace: avi-system}',
        'spec: {clusterContext: c, version: "1", clusters: [c], leader: true}',
        '---',
        'apiVersion: amko.vmware.com/v1alpha1',
        'kind: Whatever',
        'metadata: {name: w}',
        '---',
        'apiVersion: v1',
        'kind: Secret',
        'metadata: {name: s}',
      ].join('\n'),
      'x.yaml',
    );
    const out = validateDocuments(docs);
    assert.deepEqual(formatText(out), [
      'x.yaml: GlobalDeploymentPolicy/g: apiVersion: Unsupported value: "amko.vmware.com/v1alpha1": supported values: "amko.vmware.com/v1alpha2"',
      'x.yaml: AMKOCluster/a: spec.leader: Forbidden: field not declared in schema',
      'x.yaml: Whatever/w: kind: Unsupported value: "Whatever": supported values: "GSLBConfig", "GlobalDeploymentPolicy", "GSLBHostRule", "AMKOCluster"',
    ]);
    assert.deepEqual(out.skipped, [{ file: 'x.yaml', index: 3, apiVersion: 'v1', kind: 'Secret', name: 's' }]);
  });

  it('lets the first of two GDPs in one file win', () => {
    const gdp = (name: string) => ({ apiVersion: 'amko.vmware.com/v1alpha2', kind: 'GlobalDeploymentPolicy', metadata: { name, namespace: 'avi-system' }, spec: { matchRules: { appSelector: { label: { app: 'a' } } } } });
    const out = validateDocuments([gdp('one'), gdp('two')].map((object, index) => ({ file: 'f', index, object })));
    assert.deepEqual(formatText(out), ['f: GlobalDeploymentPolicy/one: valid', 'f: GlobalDeploymentPolicy/two: metadata.name: Forbidden: only one GlobalDeploymentPolicy is allowed, and avi-system/one already exists']);
  });
});

describe('cli: numbers JSON cannot hold', () => {
  // YAML and JSON read 1e309 as Infinity and 2^64 as 18446744073709552000; the schema
  // check refuses both, as the webhook does (test/admission/bounded-inputs.test.ts).
  const gc = (refresh: string, json: boolean) => {
    const text = json ? JSON.stringify(GC) : stringify(GC);
    const needle = json ? '"refreshInterval":1800' : 'refreshInterval: 1800';
    assert.ok(text.includes(needle));
    return text.replace(needle, json ? `"refreshInterval":${refresh}` : `refreshInterval: ${refresh}`);
  };
  for (const [refresh, shown, detail] of [
    ['1e309', 'Infinity', 'must be of type integer'],
    ['-1e309', '-Infinity', 'must be of type integer'],
    ['18446744073709551616', '18446744073709552000', 'must be between 1 and 86400'],
  ] as const) {
    for (const json of [false, true]) {
      it(`refuses refreshInterval ${refresh} in ${json ? 'JSON' : 'YAML'}`, () => {
        const out = validateDocuments(parseDocuments(gc(refresh, json), 'gc.yaml'));
        assert.equal(out.valid, false);
        assert.deepEqual(formatText(out).filter((l) => !l.includes(': warning: ')), [
          `gc.yaml: GSLBConfig/gc-1: spec.refreshInterval: Invalid value: ${shown}: ${detail}`,
        ]);
      });
    }
  }
  it('refuses the YAML spellings .inf and .nan', () => {
    for (const [v, shown] of [['.inf', 'Infinity'], ['.nan', 'NaN']]) {
      const out = validateDocuments(parseDocuments(gc(v, false), 'gc.yaml'));
      assert.deepEqual(formatText(out).filter((l) => !l.includes(': warning: ')), [
        `gc.yaml: GSLBConfig/gc-1: spec.refreshInterval: Invalid value: ${shown}: must be of type integer`,
      ]);
    }
  });
});

describe('cli: examples/', () => {
  const dir = path.join(repoRoot, 'examples');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
    it(`${f} validates clean next to gslbconfig.yaml`, () => {
      const docs = [path.join(dir, 'gslbconfig.yaml'), path.join(dir, f)].flatMap((p) => parseDocuments(readFileSync(p, 'utf8'), p));
      const out = validateDocuments(docs);
      assert.ok(out.valid, formatText(out).join('\n'));
      for (const r of out.results) assert.deepEqual(r.warnings, [], `${r.file}: ${r.warnings.join('; ')}`);
    });
  }
});

describe('cli: the amko binary', function () {
  this.timeout(60_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'amko-cli-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('validate: exit 0 on the examples, 1 on errors (text and json), 2 on read errors', () => {
    const ok = amko(['validate', '-f', 'examples/gslbconfig.yaml', '-f', 'examples/gdp.yaml', '-f', 'examples/amkocluster.yaml']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(
      ok.stdout,
      'examples/gslbconfig.yaml: GSLBConfig/amko-gc: valid\nexamples/gdp.yaml: GlobalDeploymentPolicy/global-gdp: valid\nexamples/amkocluster.yaml: AMKOCluster/amkocluster-federation: valid\n',
    );

    const bad = path.join(tmp, 'bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: amko.vmware.com/v1alpha2\nkind: GlobalDeploymentPolicy\nmetadata: {name: x, namespace: avi-system}\nspec:\n  trafficSplit: [{cluster: cluster1-admin, weight: 25}]\n  ttl: 0\n',
    );
    const r = amko(['validate', '-f', bad, '-f', 'examples/gslbconfig.yaml']);
    assert.equal(r.status, 1);
    assert.equal(
      r.stdout,
      [
        `${bad}: GlobalDeploymentPolicy/x: spec.trafficSplit[0].weight: Invalid value: 25: must be between 1 and 20`,
        `${bad}: GlobalDeploymentPolicy/x: spec.ttl: Invalid value: 0: must be between 1 and 86400`,
        `${bad}: GlobalDeploymentPolicy/x: warning: spec.matchRules: no appSelector or namespaceSelector label; the policy selects no objects`,
        'examples/gslbconfig.yaml: GSLBConfig/amko-gc: valid',
        '',
      ].join('\n'),
    );

    const j = amko(['validate', '--output', 'json', '-f', '-'], 'apiVersion: amko.vmware.com/v1alpha1\nkind: AMKOCluster\nmetadata: {name: a, namespace: avi-system}\nspec: {clusterContext: c, version: "1"}\n');
    assert.equal(j.status, 1);
    const parsed = JSON.parse(j.stdout);
    assert.equal(parsed.valid, false);
    assert.deepEqual(parsed.results[0].errors, [
      { type: 'Invalid', field: 'spec.clusterContext', value: 'c', detail: 'must be listed in spec.clusters', rule: 'amkocluster.cluster-context-member', message: 'Invalid value: "c": must be listed in spec.clusters' },
    ]);

    const missing = amko(['validate', '-f', path.join(tmp, 'nope.yaml')]);
    assert.deepEqual([missing.status, missing.stderr.trim()], [2, `amko validate: ${path.join(tmp, 'nope.yaml')}: no such file or directory`]);
    const broken = path.join(tmp, 'broken.yaml');
    writeFileSync(broken, 'a: [1,\n');
    assert.equal(amko(['validate', '-f', broken]).status, 2);
    assert.equal(amko(['validate']).status, 2);
  });

  it('default: prints the defaulted objects as YAML', () => {
    const r = amko(['default', '-f', 'examples/gdp-install.yaml', '-f', 'examples/gslbconfig.yaml']);
    assert.equal(r.status, 0, r.stderr);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    assert.deepEqual(docs[0].spec.trafficSplit, [
      { cluster: 'cluster1-admin', weight: 8, priority: 10 },
      { cluster: 'cluster2-admin', weight: 2, priority: 10 },
    ]);
    assert.deepEqual(docs[0].spec.poolAlgorithmSettings, { lbAlgorithm: 'GSLB_ALGORITHM_ROUND_ROBIN' });
    assert.equal(docs[1].spec.gslbLeader.tenant, 'admin');
    assert.match(docs[1].metadata.annotations['amko.vmware.com/amko-uuid'], /^[0-9a-f-]{36}$/);
  });

  it('serve: leader-election flags must keep lease duration > renew deadline > retry period (exit 2 with the reason)', function () {
    this.timeout(90_000); // four process starts on a loaded machine
    const cases: Array<[string[], RegExp]> = [
      [['--leader-elect-renew-deadline', '15s'], /lease duration \(15000 ms\) must be greater than the renew deadline \(15000 ms\)/],
      [['--leader-elect-retry-period', '10s'], /renew deadline \(10000 ms\) must be greater than the retry period \(10000 ms\)/],
      [['--leader-elect-retry-period', '0s'], /retryPeriodMs must be a positive number/],
      [['--leader-elect-lease-duration', 'soon'], /invalid duration "soon"/],
    ];
    for (const [flags, reason] of cases) {
      const r = amko(['serve', '--port', '0', ...flags]);
      assert.equal(r.status, 2, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, reason);
    }
  });

  it('serve: --webhook-workers must be a whole number >= 1 or auto (exit 2 with the reason)', function () {
    this.timeout(60_000); // three process starts on a loaded machine
    for (const n of ['0', '1.5', 'many']) {
      const r = amko(['serve', '--port', '0', '--webhook-workers', n]);
      assert.equal(r.status, 2, `${n}: ${r.stderr}`);
      assert.equal(r.stderr, `amko serve: invalid --webhook-workers ${n} (a whole number >= 1, or auto)\n`);
    }
  });

  it('--help lists every command (each command module is loaded only when it runs)', () => {
    const r = amko(['--help']);
    assert.equal(r.status, 0, r.stderr);
    const commands = [...r.stdout.matchAll(/^ {2}(\w+)\b/gm)].map((m) => m[1]);
    assert.deepEqual(commands.filter((c) => c !== 'help').sort(), ['crds', 'default', 'plan', 'schemas', 'serve', 'validate']);
  });

  it('--version and -V print the version from package.json and exit 0', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = amko([flag]);
      assert.deepEqual([r.status, r.stdout, r.stderr], [0, `${pkg.version}\n`, ''], flag);
    }
  });

  it('serve: generates a certificate, serves HTTPS and amko_build_info, exits 0 on SIGTERM', async () => {
    const certDir = path.join(tmp, 'certs');
    const child = spawn(TSX, [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--cert-dir', certDir], { cwd: repoRoot, env: { ...process.env, KUBERNETES_SERVICE_HOST: '' } });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"url":"(https:\/\/[^"]+)"/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
    });
    const { default: request } = await import('supertest');
    const res = await request(url).get('/readyz').ca(readFileSync(path.join(certDir, 'ca.crt')));
    assert.deepEqual([res.status, res.body], [200, { status: 'ok' }]);
    // The child runs on the same Node as this test (tsx through PATH), so the label is this process's version.
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const metrics = await request(url).get('/metrics').ca(readFileSync(path.join(certDir, 'ca.crt')));
    assert.deepEqual(
      metrics.text.split('\n').filter((l) => l.startsWith('amko_build_info')),
      [`amko_build_info{version="${pkg.version}",node="${process.versions.node}"} 1`],
    );
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    assert.equal(code, 0);
    assert.match(out, /"msg":"stopped"/);
  });
});
