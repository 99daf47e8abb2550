// kubectl against a real kube-apiserver with the generated CRDs, first alone
// (schema + CEL rules), then with `amko serve` running as a local process and
// registered through webhook-config/ (url + caBundle). Every assertion is on
// what kubectl prints and on what the API server stored.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { startControlPlanes, type ControlPlanes } from '../harness/control-plane.js';
import { kubectl, type CliResult } from '../harness/kubectl.js';
import { REPO_ROOT } from '../harness/tools.js';
import type { KindName } from '../../src/api/kinds.js';
import { defaults } from '../../src/rules/index.js';
import { installCrds, registerWebhooks, startAmkoServer, type AmkoServer, type KubeTarget } from './support/amko-server.js';
import {
  NS,
  SCHEMA_CASES,
  forbiddenOutput,
  gdp,
  gslbConfig,
  hostRule,
  amkoCluster,
  invalidOutput,
  yaml,
} from './support/manifests.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_KEY = 'amko.vmware.com/amko-uuid';
const UUID_WARNING = `Warning: metadata.annotations[${UUID_KEY}]: changed; GSLB services owned by the old UUID are left unmanaged\n`;
type Obj = Record<string, any>;

interface Example {
  file: string;
  object: Obj;
}

/** The examples that are amko objects (examples/gslb-members-kubeconfig.yaml is a kubeconfig for a Secret). */
function examples(): Example[] {
  const dir = path.join(REPO_ROOT, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, object: YAML.parse(readFileSync(path.join(dir, file), 'utf8')) as Obj }))
    .filter((e) => String(e.object.apiVersion).startsWith('amko.vmware.com/'));
}

const singular = (kind: string) => kind.toLowerCase();

describe('e2e: kubectl against a real API server (CRDs, CEL, amko webhook)', function () {
  this.timeout(120_000);
  let cp: ControlPlanes;
  let t: KubeTarget;
  const k = (args: string[], input?: string): Promise<CliResult> => kubectl(args, { ...t, input });
  const getJson = async (kind: string, name: string, ns = NS): Promise<Obj | undefined> => {
    const r = await k(['get', singular(kind), name, '-n', ns, '-o', 'json']);
    if (r.code !== 0) {
      assert.match(r.stderr, /NotFound/, r.stderr);
      return undefined;
    }
    return JSON.parse(r.stdout) as Obj;
  };
  const assertNotStored = async (kind: string, name: string, ns = NS) => {
    assert.equal(await getJson(kind, name, ns), undefined, `${kind} ${ns}/${name} must not be stored`);
  };
  /** `kubectl apply` of a schema/CEL case fails with exactly the API server's Invalid message, and nothing is stored. */
  const assertSchemaRejects = async (c: (typeof SCHEMA_CASES)[number]) => {
    const o = c.object as Obj;
    const r = await k(['apply', '-f', '-'], yaml(o));
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, invalidOutput(o.kind, o.metadata.name, c.causes));
    assert.equal(r.code, 1);
    await assertNotStored(o.kind, o.metadata.name);
  };

  before(async function () {
    this.timeout(300_000);
    cp = await startControlPlanes({ clusters: 1, namespaces: [NS] });
    t = { kubeconfig: cp.kubeconfigPath, context: 'cluster1' };
    await installCrds(t);
  });
  after(async function () {
    this.timeout(60_000);
    await cp?.stop();
  });

  describe('the CRD schema and CEL rules alone (no webhook registered)', () => {
    for (const c of SCHEMA_CASES) {
      it(`rejects ${c.title}, and stores nothing`, () => assertSchemaRejects(c));
    }

    it('lets the cross-object mistakes through (they are the webhook’s job): a GSLBHostRule outside avi-system', async () => {
      const r = await k(['create', '--dry-run=server', '-f', '-'], yaml(hostRule('outside', 'outside.avi.internal', {}, 'default')));
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'gslbhostrule.amko.vmware.com/outside created (server dry run)\n', '']);
    });
  });

  describe('with amko serve registered through webhook-config/', () => {
    let server: AmkoServer;
    const stored: Record<string, Obj> = {};

    before(async function () {
      this.timeout(120_000);
      server = await startAmkoServer({ kubeconfig: cp.cluster('cluster1').kubeconfigPath });
      await registerWebhooks(t, server);
    });
    after(async function () {
      this.timeout(30_000);
      await server?.stop();
    });

    it('the members kubeconfig example goes into the Secret the chart mounts', async () => {
      const r = await k(['create', 'secret', 'generic', 'gslb-config-secret', '-n', NS, `--from-file=gslb-members=${path.join(REPO_ROOT, 'examples', 'gslb-members-kubeconfig.yaml')}`]);
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'secret/gslb-config-secret created\n', '']);
    });

    it('applies every valid example: created, no warnings, and stored with the defaults filled in', async () => {
      const all = examples();
      assert.ok(all.length >= 10, `expected the seed examples, found ${all.map((e) => e.file).join(', ')}`);
      // The GSLBConfig first (member clusters are checked against it), the GDP examples one at a time (singleton).
      const order = (e: Example) => ['GSLBConfig', 'AMKOCluster', 'GlobalDeploymentPolicy', 'GSLBHostRule'].indexOf(e.object.kind);
      all.sort((a, b) => order(a) - order(b) || a.file.localeCompare(b.file));
      const gdps = all.filter((e) => e.object.kind === 'GlobalDeploymentPolicy');
      for (const e of all) {
        const kind = e.object.kind as KindName;
        const name = e.object.metadata.name as string;
        const r = await k(['apply', '-f', '-'], YAML.stringify(e.object));
        assert.deepEqual(
          { code: r.code, stdout: r.stdout, stderr: r.stderr },
          { code: 0, stdout: `${singular(kind)}.amko.vmware.com/${name} created\n`, stderr: '' },
          e.file,
        );
        const live = (await getJson(kind, name))!;
        const expected = defaults(kind, e.object) as Obj;
        if (kind === 'GSLBConfig') {
          const uuid = live.metadata.annotations?.[UUID_KEY];
          assert.match(String(uuid), UUID_RE, `${e.file}: the mutating webhook sets ${UUID_KEY}`);
          expected.metadata.annotations[UUID_KEY] = uuid;
          assert.equal(live.spec.gslbLeader.tenant, 'admin');
        }
        assert.deepEqual(live.spec, expected.spec, `${e.file}: stored spec = manifest + defaults`);
        for (const [key, value] of Object.entries(expected.metadata.annotations ?? {})) {
          assert.equal(live.metadata.annotations?.[key], value, `${e.file}: annotation ${key}`);
        }
        if (kind === 'GlobalDeploymentPolicy') {
          assert.equal(live.spec.poolAlgorithmSettings.lbAlgorithm, 'GSLB_ALGORITHM_ROUND_ROBIN');
          for (const m of live.spec.matchClusters ?? []) assert.equal(m.syncVipOnly, false);
          for (const s of live.spec.trafficSplit ?? []) assert.equal(typeof s.priority, 'number');
          if (e !== gdps[gdps.length - 1]) {
            const d = await k(['delete', singular(kind), name, '-n', NS]);
            assert.equal(d.code, 0, d.stderr);
          }
        }
        stored[`${kind}/${name}`] = live;
      }
      // The webhooks saw every create (not dry runs), and the validating one allowed each.
      const creates = server.decisions.filter((d) => d.operation === 'CREATE' && d.namespace === NS && !d.dryRun);
      for (const e of all) {
        for (const webhook of ['mutate', 'validate'] as const) {
          assert.ok(
            creates.some((d) => d.webhook === webhook && d.kind === e.object.kind && d.name === e.object.metadata.name && d.allowed),
            `${webhook} saw ${e.file}`,
          );
        }
      }
    });

    for (const c of SCHEMA_CASES) {
      it(`rejects ${c.title} with the same message, and stores nothing`, () => assertSchemaRejects(c));
    }

    /** Mistakes only the webhook can see (other objects, the namespace), as kubectl prints them. */
    const webhookCases: Array<{ title: string; object: Obj; stderr: string }> = [
      {
        title: 'namespace: a GSLBConfig in default (403)',
        object: gslbConfig('gc-1', {}, 'default'),
        stderr: forbiddenOutput('gslbconfigs', 'gc-1', 'GSLBConfig objects are only accepted in namespace avi-system'),
      },
      {
        title: 'namespace: a GSLBHostRule in default (403)',
        object: hostRule('ns-ghr', 'ns.avi.internal', {}, 'default'),
        stderr: forbiddenOutput('gslbhostrules', 'ns-ghr', 'GSLBHostRule objects are only accepted in namespace avi-system'),
      },
      {
        title: 'singleton: a second GSLBConfig (403)',
        object: gslbConfig('gc-2'),
        stderr: forbiddenOutput('gslbconfigs', 'gc-2', 'only one GSLBConfig is allowed, and avi-system/amko-gc already exists'),
      },
      {
        title: 'singleton: a second GlobalDeploymentPolicy (403)',
        object: gdp('gdp-2'),
        stderr: forbiddenOutput('globaldeploymentpolicies', 'gdp-2', 'only one GlobalDeploymentPolicy is allowed, and avi-system/global-gdp already exists'),
      },
      {
        title: 'singleton: a second AMKOCluster (403)',
        object: amkoCluster('amko-2'),
        stderr: forbiddenOutput('amkoclusters', 'amko-2', 'only one AMKOCluster is allowed, and avi-system/amkocluster-federation already exists'),
      },
      {
        title: 'unknown member cluster in a GSLBHostRule trafficSplit (422)',
        object: hostRule('member-ghr', 'member.avi.internal', {
          trafficSplit: [
            { cluster: 'cluster1-admin', weight: 5 },
            { cluster: 'cluster3-admin', weight: 5 },
          ],
        }),
        stderr: invalidOutput('GSLBHostRule', 'member-ghr', [
          'spec.trafficSplit[1].cluster: Not found: "cluster3-admin": must be a member cluster of GSLBConfig amko-gc: "cluster1-admin", "cluster2-admin"',
        ]),
      },
      {
        title: 'duplicate FQDN, together with unknown member clusters in publicIP (422, three causes)',
        object: hostRule('dup-ghr', 'foo.avi.internal', {
          publicIP: [
            { cluster: 'cluster9', ip: '198.51.100.1' },
            { cluster: 'cluster8', ip: '198.51.100.2' },
          ],
        }),
        stderr: invalidOutput('GSLBHostRule', 'dup-ghr', [
          'spec.fqdn: Duplicate value: "foo.avi.internal": already used by GSLBHostRule avi-system/gslb-host-rule-1',
          'spec.publicIP[0].cluster: Not found: "cluster9": must be a member cluster of GSLBConfig amko-gc: "cluster1-admin", "cluster2-admin"',
          'spec.publicIP[1].cluster: Not found: "cluster8": must be a member cluster of GSLBConfig amko-gc: "cluster1-admin", "cluster2-admin"',
        ]),
      },
    ];

    for (const c of webhookCases) {
      it(`rejects ${c.title}, and stores nothing`, async () => {
        const r = await k(['apply', '-f', '-'], yaml(c.object));
        assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 1, stdout: '', stderr: c.stderr });
        await assertNotStored(c.object.kind, c.object.metadata.name, c.object.metadata.namespace);
      });
    }

    it('kubectl apply --dry-run=server gives the same answers and stores nothing', async () => {
      const before = server.decisions.length;
      for (const c of SCHEMA_CASES) {
        const o = c.object as Obj;
        const r = await k(['apply', '--dry-run=server', '-f', '-'], yaml(o));
        assert.deepEqual(
          { code: r.code, stdout: r.stdout, stderr: r.stderr },
          { code: 1, stdout: '', stderr: invalidOutput(o.kind, o.metadata.name, c.causes) },
          c.title,
        );
        await assertNotStored(o.kind, o.metadata.name);
      }
      for (const c of webhookCases) {
        const r = await k(['apply', '--dry-run=server', '-f', '-'], yaml(c.object));
        assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 1, stdout: '', stderr: c.stderr }, c.title);
        await assertNotStored(c.object.kind, c.object.metadata.name, c.object.metadata.namespace);
      }
      // A valid new object: "created (server dry run)", defaulted in the returned object, not stored.
      const ok = hostRule('dry-ghr', 'dry.avi.internal', { trafficSplit: [{ cluster: 'cluster2-admin', weight: 3 }] });
      const r = await k(['apply', '--dry-run=server', '-f', '-'], yaml(ok));
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'gslbhostrule.amko.vmware.com/dry-ghr created (server dry run)\n', '']);
      const shown = await k(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], yaml(ok));
      assert.deepEqual(JSON.parse(shown.stdout).spec.trafficSplit, [{ cluster: 'cluster2-admin', weight: 3, priority: 10 }]);
      await assertNotStored('GSLBHostRule', 'dry-ghr');
      // A dry-run update of a stored object changes nothing.
      const rv = (await getJson('GSLBHostRule', 'gslb-host-rule-2'))!.metadata.resourceVersion;
      const changed = structuredClone(examples().find((e) => e.object.metadata.name === 'gslb-host-rule-2')!.object);
      changed.spec.ttl = 99;
      const u = await k(['apply', '--dry-run=server', '-f', '-'], YAML.stringify(changed));
      assert.deepEqual([u.code, u.stdout, u.stderr], [0, 'gslbhostrule.amko.vmware.com/gslb-host-rule-2 configured (server dry run)\n', '']);
      const after = (await getJson('GSLBHostRule', 'gslb-host-rule-2'))!;
      assert.equal(after.metadata.resourceVersion, rv);
      assert.equal(after.spec.ttl, 30);
      // The webhooks were told these were dry runs (the ones the schema rejected never reached the validating webhook).
      const seen = server.decisions.slice(before);
      assert.ok(seen.length > 0 && seen.every((d) => d.dryRun), 'every webhook call in this test is a dry run');
    });

    it('kubectl edit-style updates are checked against the old object', async () => {
      // 1. Changing a rule's fqdn to one another rule has: Duplicate (an unchanged fqdn is not re-checked).
      const dup = await k(['patch', 'gslbhostrule', 'gslb-host-rule-2', '-n', NS, '--type', 'merge', '-p', '{"spec":{"fqdn":"foo.avi.internal"}}']);
      assert.deepEqual(
        { code: dup.code, stdout: dup.stdout, stderr: dup.stderr },
        {
          code: 1,
          stdout: '',
          stderr: invalidOutput('GSLBHostRule', 'gslb-host-rule-2', [
            'spec.fqdn: Duplicate value: "foo.avi.internal": already used by GSLBHostRule avi-system/gslb-host-rule-1',
          ]),
        },
      );
      assert.equal((await getJson('GSLBHostRule', 'gslb-host-rule-2'))!.spec.fqdn, 'bar.avi.internal');

      // 2. kubectl edit (the editor is a sed script) of an unrelated field is accepted.
      const edit = await kubectl(['edit', 'gslbhostrule', 'gslb-host-rule-2', '-n', NS], {
        ...t,
        env: { KUBE_EDITOR: `sed -i -e 's/^  ttl: 30$/  ttl: 45/'` },
      });
      assert.deepEqual([edit.code, edit.stdout, edit.stderr], [0, 'gslbhostrule.amko.vmware.com/gslb-host-rule-2 edited\n', '']);
      assert.equal((await getJson('GSLBHostRule', 'gslb-host-rule-2'))!.spec.ttl, 45);

      // 3. An update that drops the GSLBConfig's uuid annotation: the mutating webhook restores it from the old object.
      const uuid = (await getJson('GSLBConfig', 'amko-gc'))!.metadata.annotations[UUID_KEY];
      const rm = await k([
        'patch', 'gslbconfig', 'amko-gc', '-n', NS, '--type', 'json', '-p',
        JSON.stringify([
          { op: 'remove', path: '/metadata/annotations/amko.vmware.com~1amko-uuid' },
          { op: 'replace', path: '/spec/logLevel', value: 'DEBUG' },
        ]),
      ]);
      assert.deepEqual([rm.code, rm.stdout, rm.stderr], [0, 'gslbconfig.amko.vmware.com/amko-gc patched\n', '']);
      const now = (await getJson('GSLBConfig', 'amko-gc'))!;
      assert.equal(now.metadata.annotations[UUID_KEY], uuid);
      assert.equal(now.spec.logLevel, 'DEBUG');

      // 4. A uuid that is not a UUID is rejected (kubectl still prints the warning the answer carried).
      const bad = await k(['annotate', '--overwrite', 'gslbconfig', 'amko-gc', '-n', NS, `${UUID_KEY}=abc`]);
      assert.deepEqual(
        { code: bad.code, stdout: bad.stdout, stderr: bad.stderr },
        {
          code: 1,
          stdout: '',
          stderr:
            UUID_WARNING +
            invalidOutput('GSLBConfig', 'amko-gc', [
              `metadata.annotations[${UUID_KEY}]: Invalid value: "abc": must be a UUID (e.g. '0b4a8e0c-6f0c-11ee-b962-0242ac120002')`,
            ]),
        },
      );
      assert.equal((await getJson('GSLBConfig', 'amko-gc'))!.metadata.annotations[UUID_KEY], uuid);
    });

    it('update warnings: none for live GSLBConfig spec changes, one line for a new uuid, one per GDP warning', async () => {
      const p1 = await k(['patch', 'gslbconfig', 'amko-gc', '-n', NS, '--type', 'merge', '-p', '{"spec":{"refreshInterval":900}}']);
      assert.deepEqual([p1.code, p1.stdout, p1.stderr], [0, 'gslbconfig.amko.vmware.com/amko-gc patched\n', '']);
      // kubectl apply of the edited example: controller, members and refreshInterval change, all applied live.
      const gcExample = examples().find((e) => e.object.kind === 'GSLBConfig')!.object;
      const edited = structuredClone(gcExample);
      edited.spec.gslbLeader.controllerIP = '10.10.10.11:8443';
      edited.spec.memberClusters = [{ clusterContext: 'cluster1-admin' }, { clusterContext: 'cluster2-admin' }, { clusterContext: 'cluster3-admin' }];
      edited.spec.logLevel = 'WARN';
      const a = await k(['apply', '-f', '-'], YAML.stringify(edited));
      assert.deepEqual([a.code, a.stdout, a.stderr], [0, 'gslbconfig.amko.vmware.com/amko-gc configured\n', '']);
      const live = (await getJson('GSLBConfig', 'amko-gc'))!;
      const uuid = live.metadata.annotations[UUID_KEY];
      assert.deepEqual(live.spec, {
        gslbLeader: { credentials: 'gslb-avi-secret', controllerVersion: '20.1.1', controllerIP: '10.10.10.11:8443', tenant: 'admin' },
        memberClusters: [{ clusterContext: 'cluster1-admin' }, { clusterContext: 'cluster2-admin' }, { clusterContext: 'cluster3-admin' }],
        refreshInterval: 1800,
        logLevel: 'WARN',
        useCustomGlobalFqdn: false,
      });
      // A different (valid) uuid: one warning line, and the change is stored.
      const other = '0b4a8e0c-6f0c-11ee-b962-0242ac120002';
      const ok = await k(['annotate', '--overwrite', 'gslbconfig', 'amko-gc', '-n', NS, `${UUID_KEY}=${other}`]);
      assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, 'gslbconfig.amko.vmware.com/amko-gc annotated\n', UUID_WARNING]);
      assert.equal((await getJson('GSLBConfig', 'amko-gc'))!.metadata.annotations[UUID_KEY], other);
      const back = await k(['annotate', '--overwrite', 'gslbconfig', 'amko-gc', '-n', NS, `${UUID_KEY}=${uuid}`]);
      assert.deepEqual([back.code, back.stderr], [0, UUID_WARNING]);
      // The new member cluster is now accepted in the GDP; two labels and a PKI profile without site persistence warn.
      const g = await k(
        ['patch', 'globaldeploymentpolicy', 'global-gdp', '-n', NS, '--type', 'merge', '-p',
          JSON.stringify({ spec: { matchRules: { appSelector: { label: { app: 'gslb', tier: 'web' } } }, sitePersistenceRef: null, pkiProfileRef: 'pki-1', matchClusters: [{ cluster: 'cluster3-admin' }] } })],
      );
      assert.deepEqual(
        { code: g.code, stdout: g.stdout, stderr: g.stderr },
        {
          code: 0,
          stdout: 'globaldeploymentpolicy.amko.vmware.com/global-gdp patched\n',
          stderr:
            'Warning: spec.matchRules.appSelector.label: 2 labels given; an object must carry all of them\n' +
            'Warning: spec.pkiProfileRef: has no effect without spec.sitePersistenceRef\n',
        },
      );
      assert.deepEqual((await getJson('GlobalDeploymentPolicy', 'global-gdp'))!.spec.matchClusters, [{ cluster: 'cluster3-admin', syncVipOnly: false }]);
    });

    it('the stored objects are unchanged by every denied request above', async () => {
      for (const [key, was] of Object.entries(stored)) {
        const [kind, name] = key.split('/') as [string, string];
        if (kind === 'GSLBConfig' || kind === 'GlobalDeploymentPolicy') continue; // updated on purpose above / deleted
        const now = await getJson(kind, name);
        if (name === 'gslb-host-rule-2') {
          assert.equal(now!.spec.ttl, 45);
          continue;
        }
        assert.equal(now!.metadata.resourceVersion, was.metadata.resourceVersion, key);
      }
    });
  });
});
