// Security of the rendered Helm chart (real helm, built by the harness), for every
// certificate mode, with default and full values:
// - RBAC: no wildcard verbs, resources, API groups or resource names; no escalate/bind/impersonate;
//   no ClusterRole touches Secrets; Secrets are granted only by a Role in avi-system, bound there
//   to the chart's ServiceAccount; no binding to a built-in admin role.
// - Pods: non-root (pod and container), read-only root filesystem, no privilege escalation,
//   all capabilities dropped, RuntimeDefault seccomp, no host namespaces or hostPath volumes.
// - Nothing outside the credentials Secret depends on the Avi password (a pod annotation
//   hashed it once: anyone who can read pods could test guesses against the hash).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { helm } from '../harness/kubectl.js';
import { REPO_ROOT } from '../harness/tools.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const CHART = path.join(REPO_ROOT, 'charts/amko');
const NS = 'avi-system';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const FULL = {
  replicaCount: 3,
  configs: { gslbLeaderController: '10.10.10.10', controllerVersion: '22.1.3', controllerCA: PEM, memberClusters: [{ clusterContext: 'c1' }], logLevel: 'DEBUG' },
  gslbLeaderCredentials: { username: 'admin', password: 's3cret' },
  federation: { enabled: true, currentCluster: 'c1', currentClusterIsLeader: true, memberClusters: ['c1', 'c2'] },
};
const VARIANTS: Array<{ name: string; values: Obj }> = [
  { name: 'defaults', values: {} },
  { name: 'full values', values: FULL },
  { name: 'certificates from values', values: { ...FULL, certificates: { mode: 'values', caCrt: PEM, tlsCrt: PEM, tlsKey: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n' } } },
  { name: 'certificates from an existing Secret', values: { ...FULL, certificates: { mode: 'existingSecret', existingSecret: 'my-tls' } } },
];

const tmp = mkdtempSync(path.join(os.tmpdir(), 'amko-chart-security-'));

async function render(values: Obj, name: string): Promise<Obj[]> {
  const file = path.join(tmp, `${name.replace(/\W+/g, '-')}.yaml`);
  writeFileSync(file, YAML.stringify(values));
  const r = await helm(['template', 'amko', CHART, '--namespace', NS, '--include-crds', '-f', file]);
  assert.equal(r.code, 0, r.stderr);
  return YAML.parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj)
    .filter((o) => o && typeof o === 'object');
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod', 'ReplicaSet']);

function podSpecOf(o: Obj): Obj {
  if (o.kind === 'Pod') return o.spec;
  if (o.kind === 'CronJob') return o.spec.jobTemplate.spec.template.spec;
  return o.spec.template.spec;
}

describe('security: the rendered Helm chart (real helm)', function () {
  this.timeout(60 * 60_000); // first use may build the tools

  for (const variant of VARIANTS) {
    describe(variant.name, () => {
      let objs: Obj[];
      before(async () => {
        objs = await render(variant.values, variant.name);
      });

      it('RBAC has no wildcard and no privilege-granting verbs', () => {
        const roles = objs.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
        assert.ok(roles.length >= 2, 'no Role/ClusterRole rendered');
        for (const role of roles) {
          assert.equal(role.aggregationRule, undefined, `${role.kind} ${role.metadata.name} aggregates other roles`);
          for (const [i, rule] of (role.rules as Obj[]).entries()) {
            const where = `${role.kind} ${role.metadata.name} rules[${i}]`;
            assert.equal(rule.nonResourceURLs, undefined, `${where}: nonResourceURLs`);
            for (const field of ['verbs', 'resources', 'apiGroups', 'resourceNames']) {
              for (const v of (rule[field] ?? []) as string[]) {
                assert.ok(!String(v).includes('*'), `${where}: wildcard in ${field}: ${v}`);
              }
            }
            assert.ok((rule.verbs ?? []).length > 0 && (rule.resources ?? []).length > 0, `${where}: empty`);
            for (const v of rule.verbs as string[]) assert.ok(!['escalate', 'bind', 'impersonate'].includes(v), `${where}: verb ${v}`);
            for (const r of rule.resources as string[]) {
              assert.ok(!['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings', 'serviceaccounts/token', 'pods/exec', 'nodes/proxy'].includes(r), `${where}: ${r}`);
            }
          }
        }
      });

      it('Secrets are readable only in avi-system', () => {
        const grantsSecrets = (role: Obj) => (role.rules as Obj[]).some((r) => (r.apiGroups ?? []).includes('') && (r.resources ?? []).some((x: string) => x === 'secrets' || x.startsWith('secrets/')));
        for (const cr of objs.filter((o) => o.kind === 'ClusterRole')) assert.ok(!grantsSecrets(cr), `ClusterRole ${cr.metadata.name} grants Secrets`);
        const secretRoles = objs.filter((o) => o.kind === 'Role' && grantsSecrets(o));
        assert.ok(secretRoles.length > 0, 'no Role grants the Secrets the server needs');
        for (const role of secretRoles) {
          assert.equal(role.metadata.namespace, NS);
          const bindings = objs.filter((b) => b.kind === 'RoleBinding' && b.roleRef.kind === 'Role' && b.roleRef.name === role.metadata.name);
          assert.ok(bindings.length > 0, `Role ${role.metadata.name} is not bound`);
          for (const b of bindings) {
            assert.equal(b.metadata.namespace, NS);
            for (const s of b.subjects as Obj[]) assert.deepEqual([s.kind, s.namespace], ['ServiceAccount', NS]);
          }
        }
        // No binding of a ClusterRole (ours or built-in) inside a RoleBinding could widen that either.
        for (const b of objs.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
          assert.ok(!['cluster-admin', 'admin', 'edit', 'view'].includes(b.roleRef.name), `${b.kind} ${b.metadata.name} binds ${b.roleRef.name}`);
          if (b.roleRef.kind === 'ClusterRole') {
            const cr = objs.find((o) => o.kind === 'ClusterRole' && o.metadata.name === b.roleRef.name);
            assert.ok(cr, `${b.kind} ${b.metadata.name} binds a ClusterRole the chart does not define`);
          }
        }
      });

      it('every pod runs non-root with a read-only root filesystem and no privileges', () => {
        const workloads = objs.filter((o) => WORKLOADS.has(o.kind));
        assert.ok(workloads.some((w) => w.kind === 'Deployment'), 'no Deployment rendered');
        for (const w of workloads) {
          const pod = podSpecOf(w);
          const where = `${w.kind} ${w.metadata.name}`;
          for (const host of ['hostNetwork', 'hostPID', 'hostIPC']) assert.notEqual(pod[host], true, `${where}: ${host}`);
          for (const v of (pod.volumes ?? []) as Obj[]) assert.equal(v.hostPath, undefined, `${where}: hostPath volume ${v.name}`);
          const podSc = pod.securityContext ?? {};
          const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as Obj[];
          assert.ok(containers.length > 0);
          for (const c of containers) {
            const sc = c.securityContext ?? {};
            const at = `${where} container ${c.name}`;
            assert.equal(sc.runAsNonRoot ?? podSc.runAsNonRoot, true, `${at}: runAsNonRoot`);
            const uid = sc.runAsUser ?? podSc.runAsUser;
            assert.ok(typeof uid === 'number' && uid > 0, `${at}: runAsUser ${uid}`);
            assert.equal(sc.readOnlyRootFilesystem, true, `${at}: readOnlyRootFilesystem`);
            assert.equal(sc.allowPrivilegeEscalation, false, `${at}: allowPrivilegeEscalation`);
            assert.notEqual(sc.privileged, true, `${at}: privileged`);
            assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${at}: capabilities.drop`);
            assert.equal(sc.capabilities?.add, undefined, `${at}: capabilities.add`);
            assert.equal((sc.seccompProfile ?? podSc.seccompProfile)?.type, 'RuntimeDefault', `${at}: seccomp`);
          }
        }
      });
    });
  }

  describe('the Avi password', () => {
    let n = 0;
    const withPassword = (password: string, controllerCA = PEM) =>
      render({ ...FULL, configs: { ...FULL.configs, controllerCA }, gslbLeaderCredentials: { username: 'admin', password } }, `password-${++n}`);
    const outsideSecret = (objs: Obj[]) => objs.filter((o) => !(o.kind === 'Secret' && o.metadata.name === 'gslb-avi-secret'));

    it('changes nothing but the credentials Secret, so nothing else can reveal it', async () => {
      const [a, b] = await Promise.all([withPassword('s3cret'), withPassword('An0ther-pw')]);
      assert.deepEqual(outsideSecret(a), outsideSecret(b));
      const secretOf = (objs: Obj[]) => objs.find((o) => o.kind === 'Secret' && o.metadata.name === 'gslb-avi-secret');
      assert.notDeepEqual(secretOf(a), secretOf(b));
      const deployment = a.find((o) => o.kind === 'Deployment')!;
      assert.deepEqual(Object.keys(deployment.spec.template.metadata.annotations ?? {}), ['checksum/avi-ca']);
    });

    it('a new controller CA still rolls the pods (its ConfigMap is hashed; it holds no secret)', async () => {
      const other = PEM.replace('MIIB', 'MIIC');
      const [a, b] = await Promise.all([withPassword('s3cret'), withPassword('s3cret', other)]);
      const annotation = (objs: Obj[]) => objs.find((o) => o.kind === 'Deployment')!.spec.template.metadata.annotations['checksum/avi-ca'];
      assert.match(annotation(a), /^[0-9a-f]{64}$/);
      assert.notEqual(annotation(a), annotation(b));
    });
  });
});
