// The Helm chart, rendered and installed with the real helm (built by the
// harness): lint, template with default and full values, schema rejections,
// exact assertions on the rendered objects, and install -> delete GDP ->
// uninstall on a real kube-apiserver leaving nothing of ours behind.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { helm, kubectl } from '../harness/kubectl.js';
import { startControlPlanes, type ClusterHandle, type ControlPlanes } from '../harness/control-plane.js';
import { parseDuration } from '../../src/duration.js';
import { LEADER_ELECTION_DEFAULTS } from '../../src/kube/lease.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHART = path.join(ROOT, 'charts/amko');
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** gdpConfig fields the chart copies into the GDP spec unchanged. */
const GDP_VERBATIM = {
  trafficSplit: [
    { cluster: 'cluster1-admin', weight: 8 },
    { cluster: 'cluster2-admin', weight: 2, priority: 20 },
  ],
  ttl: 30,
  healthMonitorRefs: ['hm1'],
  sitePersistenceRef: 'gap-1',
  pkiProfileRef: 'pki-1',
  poolAlgorithmSettings: { lbAlgorithm: 'GSLB_ALGORITHM_CONSISTENT_HASH', hashMask: 8 },
  downResponse: { type: 'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP', fallbackIP: '10.0.0.1' },
};

const FULL_VALUES = {
  replicaCount: 3,
  configs: {
    gslbLeaderController: '10.10.10.10',
    controllerVersion: '22.1.3',
    controllerCA: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    tenant: 'admin',
    memberClusters: [{ clusterContext: 'cluster1-admin' }, { clusterContext: 'cluster2-admin', controllerClusterUuid: 'cluster-7a3b9c2d-1111-2222-3333-444455556666' }],
    refreshInterval: 900,
    domainNames: ['avi.internal', 'example.com'],
    logLevel: 'DEBUG',
    useCustomGlobalFqdn: true,
    amkoUUID: '0b4a8e0c-6f0c-11ee-b962-0242ac120002',
  },
  gslbLeaderCredentials: { username: 'admin', password: 's3cret' },
  gdpConfig: {
    appSelector: { label: { app: 'gslb' } },
    namespaceSelector: { label: { ns: 'gslb' } },
    matchClusters: ['cluster1-admin', { cluster: 'cluster2-admin', syncVipOnly: true }],
    ...GDP_VERBATIM,
  },
  federation: { enabled: true, currentCluster: 'cluster1-admin', currentClusterIsLeader: true, memberClusters: ['cluster1-admin', 'cluster2-admin'] },
  webhook: { failurePolicy: 'Ignore', timeoutSeconds: 3 },
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'amko-chart-'));
function valuesFile(v: unknown, name = 'values.yaml'): string {
  const f = path.join(tmp, name);
  writeFileSync(f, YAML.stringify(v));
  return f;
}

async function template(args: string[] = []): Promise<Obj[]> {
  const r = await helm(['template', 'amko', CHART, '--namespace', 'avi-system', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return YAML.parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj)
    .filter((o) => o);
}
const find = (objs: Obj[], kind: string, name?: string) => {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  assert.ok(o, `${kind} ${name ?? ''} not rendered`);
  return o;
};

describe('Helm chart charts/amko (real helm)', function () {
  this.timeout(120_000);

  it('helm lint passes with default and with full values', async function () {
    this.timeout(60 * 60_000); // first use may build the tools
    for (const extra of [[], ['-f', valuesFile(FULL_VALUES)]]) {
      const r = await helm(['lint', CHART, '--namespace', 'avi-system', '--strict', ...extra]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
  });

  it('Chart.yaml: apiVersion v2, name amko, appVersion = package.json version', () => {
    const chart = YAML.parse(readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8')) as Obj;
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Obj;
    assert.deepEqual([chart.apiVersion, chart.name, chart.appVersion], ['v2', 'amko', pkg.version]);
  });

  it('values.yaml carries the seed parameters under the seed names', () => {
    const v = YAML.parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Obj;
    for (const p of [
      'configs.controllerVersion',
      'configs.gslbLeaderController',
      'gslbLeaderCredentials.username',
      'gslbLeaderCredentials.password',
      'configs.memberClusters',
      'configs.refreshInterval',
      'configs.domainNames',
      'configs.logLevel',
      'configs.useCustomGlobalFqdn',
      'gdpConfig.appSelector',
      'gdpConfig.namespaceSelector',
      'gdpConfig.matchClusters',
      'gdpConfig.trafficSplit',
      'gdpConfig.ttl',
      'gdpConfig.healthMonitorRefs',
      'gdpConfig.sitePersistenceRef',
      'gdpConfig.poolAlgorithmSettings',
      'gdpConfig.downResponse',
    ]) {
      const has = p.split('.').reduce<{ ok: boolean; v: Obj }>((a, k) => ({ ok: a.ok && k in a.v, v: a.v?.[k] }), { ok: true, v });
      assert.ok(has.ok, p);
    }
    assert.equal(v.replicaCount, 2);
    assert.equal(v.configs.refreshInterval, 1800);
    assert.equal(v.configs.logLevel, 'INFO');
  });

  it('default values: Deployment with 2 replicas, probes, hardened securityContext, resources; PDB; Service; webhooks', async () => {
    const objs = await template();
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'ClusterRole/amko',
      'ClusterRoleBinding/amko',
      'Deployment/amko',
      'GlobalDeploymentPolicy/global-gdp',
      'Lease/amko-reconcile-worker',
      'MutatingWebhookConfiguration/amko-mutating-webhook',
      'PodDisruptionBudget/amko',
      'Role/amko',
      'RoleBinding/amko',
      'Secret/amko-webhook-tls',
      'Secret/gslb-avi-secret',
      'Service/amko-webhook',
      'ServiceAccount/amko-sa',
      'ValidatingWebhookConfiguration/amko-validating-webhook',
    ]);
    const d = find(objs, 'Deployment', 'amko');
    assert.equal(d.spec.replicas, 2);
    const pod = d.spec.template.spec;
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'https', scheme: 'HTTPS' });
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'https', scheme: 'HTTPS' });
    assert.deepEqual(c.resources, { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    // The image's entrypoint sizes V8's heap from this limit: it must run (no command override)
    // and see the limit the kubelet enforces, whatever sets it (values, a LimitRange).
    assert.equal(c.command, undefined);
    assert.deepEqual(c.env.find((e: Obj) => e.name === 'AMKO_MEMORY_LIMIT'), {
      name: 'AMKO_MEMORY_LIMIT',
      valueFrom: { resourceFieldRef: { containerName: 'amko', resource: 'limits.memory' } },
    });
    assert.deepEqual(c.args, [
      'serve',
      '--port=8443',
      '--cert-secret=amko-webhook-tls',
      '--cert-namespace=avi-system',
      '--service-name=amko-webhook',
      '--ca-lifetime=87600h',
      '--serving-lifetime=2160h',
      '--ca-overlap=1h',
      '--validating-webhook=amko-validating-webhook',
      '--mutating-webhook=amko-mutating-webhook',
      '--member-kubeconfig=/etc/amko/members/gslb-members',
      '--leader-elect-lease-duration=15s',
      '--leader-elect-renew-deadline=10s',
      '--leader-elect-retry-period=2s',
    ]);
    assert.deepEqual(
      pod.volumes.find((v: Obj) => v.name === 'members').secret,
      { secretName: 'gslb-config-secret', optional: true, items: [{ key: 'gslb-members', path: 'gslb-members' }] },
    );
    assert.deepEqual(find(objs, 'PodDisruptionBudget').spec.minAvailable, 1);
    assert.deepEqual(find(objs, 'Service').spec.ports, [{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
    // No GSLBConfig without a controller address; the GDP carries the default clusters.
    assert.equal(objs.some((o) => o.kind === 'GSLBConfig'), false);
    assert.deepEqual(find(objs, 'GlobalDeploymentPolicy').spec, { matchClusters: [{ cluster: 'cluster1-admin' }, { cluster: 'cluster2-admin' }] });
  });

  it('webhook configurations: CREATE/UPDATE on the four kinds, v1, sideEffects None, Equivalent, short timeout, /validate and /mutate', async () => {
    const objs = await template();
    for (const [kind, name, hook, p] of [
      ['ValidatingWebhookConfiguration', 'amko-validating-webhook', 'validate.amko.vmware.com', '/validate'],
      ['MutatingWebhookConfiguration', 'amko-mutating-webhook', 'mutate.amko.vmware.com', '/mutate'],
    ] as const) {
      const w = find(objs, kind, name);
      assert.equal(w.metadata.annotations['amko.vmware.com/failure-policy'], 'Fail');
      const wh = w.webhooks[0];
      assert.equal(wh.name, hook);
      assert.deepEqual(wh.admissionReviewVersions, ['v1']);
      assert.equal(wh.sideEffects, 'None');
      assert.equal(wh.matchPolicy, 'Equivalent');
      assert.equal(wh.timeoutSeconds, 5);
      // First install: Ignore until a replica has injected its CA (then the server sets Fail).
      assert.equal(wh.failurePolicy, 'Ignore');
      assert.deepEqual(wh.clientConfig, { service: { name: 'amko-webhook', namespace: 'avi-system', path: p, port: 443 } });
      assert.deepEqual(wh.rules, [
        {
          apiGroups: ['amko.vmware.com'],
          apiVersions: ['*'],
          operations: ['CREATE', 'UPDATE'],
          resources: ['gslbconfigs', 'globaldeploymentpolicies', 'gslbhostrules', 'amkoclusters'],
          scope: 'Namespaced',
        },
      ]);
    }
    const upgraded = await template(['--is-upgrade']);
    assert.equal(find(upgraded, 'ValidatingWebhookConfiguration').webhooks[0].failurePolicy, 'Fail');
  });

  it('RBAC: no wildcards, Secrets and Leases only in avi-system, webhook configurations by name', async () => {
    const objs = await template();
    for (const role of objs.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')) {
      for (const r of role.rules) {
        for (const f of ['apiGroups', 'resources', 'verbs', 'resourceNames']) {
          assert.ok(!(r[f] ?? []).includes('*'), `${role.kind} ${JSON.stringify(r)}`);
        }
      }
    }
    const cr = find(objs, 'ClusterRole');
    assert.equal(cr.rules.some((r: Obj) => r.resources.includes('secrets') || r.resources.includes('leases')), false);
    // Everything in the own cluster's avi-system (CRs, status, Events on them) is in the namespaced Role.
    assert.equal(cr.rules.some((r: Obj) => r.apiGroups.includes('amko.vmware.com')), false);
    // Cluster-wide only: create Events on skipped member objects, in their namespaces.
    assert.deepEqual(
      cr.rules.filter((r: Obj) => r.resources.includes('events')).map((r: Obj) => [r.apiGroups, r.resources, r.verbs]),
      [[[''], ['events'], ['create']]],
    );
    for (const r of cr.rules.filter((x: Obj) => x.apiGroups.includes('admissionregistration.k8s.io'))) {
      assert.deepEqual(r.verbs, ['get', 'update']);
      assert.equal(r.resourceNames.length, 1);
    }
    for (const r of cr.rules.filter((x: Obj) => !x.apiGroups.includes('admissionregistration.k8s.io') && !x.resources.includes('events'))) {
      assert.deepEqual(r.verbs, ['get', 'list', 'watch'], `read-only cluster-wide: ${JSON.stringify(r)}`);
    }
    assert.ok(cr.rules.some((r: Obj) => r.apiGroups.includes('ako.vmware.com') && r.resources.includes('hostrules')));
    assert.deepEqual(
      cr.rules.filter((r: Obj) => r.apiGroups.includes('gateway.networking.k8s.io')).map((r: Obj) => [r.resources, r.verbs]),
      [[['gateways', 'httproutes'], ['get', 'list', 'watch']]],
    );
    const role = find(objs, 'Role');
    assert.equal(role.metadata.namespace, 'avi-system');
    assert.deepEqual(
      role.rules.filter((r: Obj) => r.resources.includes('secrets')).map((r: Obj) => [r.verbs, r.resourceNames ?? []]),
      [
        [['get', 'list', 'watch'], []],
        [['create'], []],
        [['update', 'patch'], ['amko-webhook-tls']],
      ],
    );
    const rule = (group: string, resource: string) => role.rules.filter((r: Obj) => r.apiGroups.includes(group) && r.resources.includes(resource));
    assert.deepEqual(rule('amko.vmware.com', 'gslbconfigs').map((r: Obj) => r.verbs), [['get', 'list', 'watch', 'patch']]);
    for (const res of ['globaldeploymentpolicies', 'gslbhostrules', 'amkoclusters']) {
      assert.deepEqual(rule('amko.vmware.com', res).map((r: Obj) => r.verbs), [['get', 'list', 'watch']], res);
    }
    for (const res of ['gslbconfigs/status', 'globaldeploymentpolicies/status', 'gslbhostrules/status', 'amkoclusters/status']) {
      assert.deepEqual(rule('amko.vmware.com', res).map((r: Obj) => r.verbs), [['patch']], res);
    }
    assert.deepEqual(rule('', 'events').map((r: Obj) => r.verbs), [['create', 'patch']]);
    assert.deepEqual(
      rule('coordination.k8s.io', 'leases').map((r: Obj) => [r.verbs, r.resourceNames ?? []]),
      [
        [['get', 'update'], ['amko-reconcile-worker']],
        [['create'], []],
      ],
    );
  });

  it('passes leaderElection as the --leader-elect-* flags; its defaults are the server\'s', async () => {
    const args = (o: Obj[]) => (find(o, 'Deployment').spec.template.spec.containers[0].args as string[]).filter((a) => a.startsWith('--leader-elect-'));
    const ms = (a: string) => parseDuration(a.split('=')[1]!);
    const [lease, deadline, retry] = args(await template()).map(ms);
    assert.deepEqual({ leaseDurationMs: lease, renewDeadlineMs: deadline, retryPeriodMs: retry }, LEADER_ELECTION_DEFAULTS);
    const set = ['--set', 'leaderElection.leaseDuration=30s', '--set', 'leaderElection.renewDeadline=20s', '--set', 'leaderElection.retryPeriod=4s'];
    assert.deepEqual(args(await template(set)), ['--leader-elect-lease-duration=30s', '--leader-elect-renew-deadline=20s', '--leader-elect-retry-period=4s']);
  });

  it('passes the Avi controller CA as --avi-ca-file when configs.controllerCA is set', async () => {
    const args = (o: Obj[]) => find(o, 'Deployment').spec.template.spec.containers[0].args as string[];
    assert.equal(args(await template()).some((a) => a.startsWith('--avi-ca-file')), false);
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const objs = await template(['--set-string', `configs.controllerCA=${pem}`]);
    assert.ok(args(objs).includes('--avi-ca-file=/etc/amko/avi-ca/ca.crt'));
    const c = find(objs, 'Deployment').spec.template.spec.containers[0];
    assert.ok((c.volumeMounts as Obj[]).some((m) => m.mountPath === '/etc/amko/avi-ca'));
  });

  it('full values: GSLBConfig, GDP, AMKOCluster and Secrets rendered from values', async () => {
    const objs = await template(['-f', valuesFile(FULL_VALUES)]);
    assert.equal(find(objs, 'Deployment').spec.replicas, 3);
    const gc = find(objs, 'GSLBConfig', 'gc-1');
    assert.deepEqual(gc.metadata.annotations, { 'amko.vmware.com/amko-uuid': '0b4a8e0c-6f0c-11ee-b962-0242ac120002' });
    assert.deepEqual(gc.spec, {
      gslbLeader: { credentials: 'gslb-avi-secret', controllerVersion: '22.1.3', controllerIP: '10.10.10.10', tenant: 'admin' },
      memberClusters: [{ clusterContext: 'cluster1-admin' }, { clusterContext: 'cluster2-admin', controllerClusterUuid: 'cluster-7a3b9c2d-1111-2222-3333-444455556666' }],
      refreshInterval: 900,
      logLevel: 'DEBUG',
      useCustomGlobalFqdn: true,
    });
    assert.deepEqual(find(objs, 'GlobalDeploymentPolicy', 'global-gdp').spec, {
      matchRules: { appSelector: { label: { app: 'gslb' } }, namespaceSelector: { label: { ns: 'gslb' } } },
      matchClusters: [{ cluster: 'cluster1-admin' }, { cluster: 'cluster2-admin', syncVipOnly: true }],
      ...GDP_VERBATIM,
    });
    const ac = find(objs, 'AMKOCluster', 'amkocluster-federation');
    assert.deepEqual(ac.spec, { clusterContext: 'cluster1-admin', isLeader: true, version: '0.1.0', clusters: ['cluster1-admin', 'cluster2-admin'] });
    const sec = find(objs, 'Secret', 'gslb-avi-secret');
    assert.deepEqual(sec.data, { username: Buffer.from('admin').toString('base64'), password: Buffer.from('s3cret').toString('base64') });
    const env = find(objs, 'Deployment').spec.template.spec.containers[0].env as Obj[];
    assert.deepEqual(env.find((e) => e.name === 'AMKO_DOMAIN_NAMES'), { name: 'AMKO_DOMAIN_NAMES', value: 'avi.internal,example.com' });
    assert.deepEqual(env.find((e) => e.name === 'LOG_LEVEL'), { name: 'LOG_LEVEL', value: 'debug' });
    assert.equal(find(objs, 'ConfigMap', 'amko-avi-ca').data['ca.crt'], FULL_VALUES.configs.controllerCA);
  });

  it('user-supplied certificates: values (Secret + caBundle rendered) and existingSecret (read-only)', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const objs = await template(['-f', valuesFile({ certificates: { mode: 'values', caCrt: pem, tlsCrt: pem, tlsKey: 'KEY' } }, 'certs.yaml')]);
    assert.deepEqual(Object.keys(find(objs, 'Secret', 'amko-webhook-tls').data).sort(), ['ca.crt', 'tls.crt', 'tls.key']);
    assert.equal(find(objs, 'ValidatingWebhookConfiguration').webhooks[0].clientConfig.caBundle, Buffer.from(pem).toString('base64'));
    assert.ok(find(objs, 'Deployment').spec.template.spec.containers[0].args.includes('--cert-unmanaged'));
    const ex = await template(['--set', 'certificates.mode=existingSecret', '--set', 'certificates.existingSecret=my-pki']);
    assert.equal(ex.some((o) => o.kind === 'Secret' && o.metadata.name === 'amko-webhook-tls'), false);
    const args = find(ex, 'Deployment').spec.template.spec.containers[0].args as string[];
    assert.ok(args.includes('--cert-secret=my-pki') && args.includes('--cert-unmanaged'));
    assert.equal(find(ex, 'Role').rules.some((r: Obj) => r.verbs.includes('create')  && r.resources.includes('secrets')), false);
  });

  for (const [what, args, message] of [
    ['trafficSplit weight 25', ['--set', 'gdpConfig.trafficSplit[0].cluster=c1', '--set', 'gdpConfig.trafficSplit[0].weight=25'], /trafficSplit\/0\/weight.*maximum/],
    ['logLevel TRACE', ['--set', 'configs.logLevel=TRACE'], /logLevel/],
    ['ttl 0', ['--set', 'gdpConfig.ttl=0'], /ttl/],
    ['refreshInterval above a day', ['--set', 'configs.refreshInterval=86401'], /refreshInterval.*maximum/],
    ['failurePolicy Maybe', ['--set', 'webhook.failurePolicy=Maybe'], /failurePolicy/],
    ['timeoutSeconds 31', ['--set', 'webhook.timeoutSeconds=31'], /timeoutSeconds/],
    ['bad amkoUUID', ['--set', 'configs.amkoUUID=abc'], /amkoUUID/],
    ['refs and template together', ['--set', 'gdpConfig.healthMonitorRefs[0]=hm', '--set', 'gdpConfig.healthMonitorTemplate=t'], /gdpConfig/],
    ['unknown pool algorithm', ['--set', 'gdpConfig.poolAlgorithmSettings.lbAlgorithm=RANDOM'], /lbAlgorithm/],
    ['unknown key', ['--set', 'configs.controllerIp=1.2.3.4'], /controllerIp/],
    ['a retry period without a unit', ['--set', 'leaderElection.retryPeriod=2'], /retryPeriod/],
    ['values certificates without a key', ['--set', 'certificates.mode=values', '--set', 'certificates.caCrt=x', '--set', 'certificates.tlsCrt=x'], /tlsKey/],
  ] as const) {
    it(`values.schema.json rejects ${what} at install time`, async () => {
      const r = await helm(['template', 'amko', CHART, '--namespace', 'avi-system', ...args]);
      assert.notEqual(r.code, 0, `accepted: ${what}`);
      assert.match(r.stderr, message);
    });
  }

  it('passes server.webhookWorkers as --webhook-workers; empty leaves the server default (auto, from limits.cpu); the schema refuses other values', async () => {
    const args = (o: Obj[]) => (find(o, 'Deployment').spec.template.spec.containers[0].args as string[]).filter((a) => a.startsWith('--webhook-workers'));
    assert.deepEqual(args(await template()), []);
    assert.deepEqual(args(await template(['--set', 'server.webhookWorkers=2'])), ['--webhook-workers=2']);
    assert.deepEqual(args(await template(['--set', 'server.webhookWorkers=auto'])), ['--webhook-workers=auto']);
    for (const bad of ['0', 'many']) {
      const r = await helm(['template', 'amko', CHART, '--namespace', 'avi-system', '--set', `server.webhookWorkers=${bad}`]);
      assert.notEqual(r.code, 0, bad);
      assert.match(r.stderr, /webhookWorkers/, bad);
    }
  });

  it('refuses a namespace other than avi-system', async () => {
    const r = await helm(['template', 'amko', CHART, '--namespace', 'default']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /must be installed into the avi-system namespace/);
  });

  describe('install and uninstall on a real kube-apiserver', function () {
    let cp: ControlPlanes;
    let c: ClusterHandle;
    before(async function () {
      this.timeout(60 * 60_000);
      cp = await startControlPlanes({ clusters: 1 }); // private: installs cluster-scoped objects and CRDs
      c = cp.clusters[0]!;
    });
    after(async () => {
      await cp?.stop();
    });

    it('helm install creates CRDs, GSLBConfig and GDP (webhook Ignore until ready); deleting the GDP then helm uninstall leaves only the CRDs', async function () {
      this.timeout(120_000);
      const k = (args: string[]) => kubectl(args, { kubeconfig: c.kubeconfigPath });
      const inst = await helm(['install', 'amko', CHART, '-n', 'avi-system', '--set', 'configs.gslbLeaderController=10.10.10.10', '--kubeconfig', c.kubeconfigPath]);
      assert.equal(inst.code, 0, inst.stderr);
      const crds = await k(['get', 'crd', '-l', 'app.kubernetes.io/part-of=amko', '-o', 'name']);
      assert.equal(crds.stdout.trim().split('\n').length, 4, crds.stdout);
      const got = await k(['get', 'gc,gdp', '-n', 'avi-system', '-o', 'name']);
      assert.deepEqual(got.stdout.trim().split('\n').sort(), [
        'globaldeploymentpolicy.amko.vmware.com/global-gdp',
        'gslbconfig.amko.vmware.com/gc-1',
      ]);
      // The API server applied the CRD defaults.
      const gdp = JSON.parse((await k(['get', 'gdp', 'global-gdp', '-n', 'avi-system', '-o', 'json'])).stdout) as Obj;
      assert.deepEqual(gdp.spec.matchClusters, [{ cluster: 'cluster1-admin', syncVipOnly: false }, { cluster: 'cluster2-admin', syncVipOnly: false }]);
      const cols = await k(['get', 'gdp', '-n', 'avi-system']);
      assert.match(cols.stdout.split('\n')[0]!, /^NAME\s+STATUS\s+SKIPPED\s+AGE/);

      assert.equal((await k(['delete', 'gdp', 'global-gdp', '-n', 'avi-system'])).code, 0);
      const un = await helm(['uninstall', 'amko', '-n', 'avi-system', '--kubeconfig', c.kubeconfigPath]);
      assert.equal(un.code, 0, un.stderr);
      const left = await k([
        'get',
        'deploy,svc,sa,secret,role,rolebinding,lease,pdb,configmap,gc,gdp,ghr,amkocluster',
        '-n',
        'avi-system',
        '-l',
        'app.kubernetes.io/part-of=amko',
        '-o',
        'name',
      ]);
      assert.equal(left.stdout.trim(), '', left.stdout);
      const cluster = await k(['get', 'clusterrole,clusterrolebinding,validatingwebhookconfiguration,mutatingwebhookconfiguration', '-o', 'name']);
      assert.doesNotMatch(cluster.stdout, /amko/);
    });
  });
});
