// The chart's optional monitoring objects and NetworkPolicy, rendered with the
// real helm: ServiceMonitor, PrometheusRule (checked and unit-tested with the
// real promtool), Grafana dashboard ConfigMap and NetworkPolicy (validated by a
// real kube-apiserver with a server-side dry run). Every metric the rules and
// the dashboard query is one the product exports.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { helm, kubectl } from '../harness/kubectl.js';
import { ensureChartTools, runTool, type ChartTools } from '../harness/chart-tools.js';
import { sharedControlPlanes } from '../harness/shared.js';
import { registry } from '../../src/metrics.js';
// `amko serve` loads its parts on demand (the controllers with a cluster connection, the admission
// app where it serves, the secret certificate manager with --cert-secret, the Avi client when the
// worker builds one), so each is named here to register every metric the server exports.
import '../../src/controllers.js';
import '../../src/admission/app.js';
import '../../src/certs/secret-source.js';
import '../../src/avi/client.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHART = path.join(ROOT, 'charts/amko');
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MONITORING = {
  metrics: {
    serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
    prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
    grafanaDashboard: { enabled: true },
  },
};
const NETWORK_POLICY = {
  networkPolicy: {
    enabled: true,
    ingressFrom: [{ ipBlock: { cidr: '10.0.0.0/24' } }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    apiServer: { cidrs: ['10.0.0.10/32', '10.96.0.1/32'] },
    aviController: { cidrs: ['192.0.2.10/32'] },
    memberClusters: { cidrs: ['198.51.100.0/24', '2001:db8::/64'], ports: [6443] },
    extraEgress: [{ to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: [{ protocol: 'UDP', port: 53 }] }],
  },
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'amko-monitoring-'));
let n = 0;
function valuesFile(v: unknown): string {
  const f = path.join(tmp, `values-${n++}.yaml`);
  writeFileSync(f, YAML.stringify(v));
  return f;
}
async function template(values: unknown): Promise<Obj[]> {
  const r = await helm(['template', 'amko', CHART, '--namespace', 'avi-system', '-f', valuesFile(values)]);
  assert.equal(r.code, 0, r.stderr);
  return YAML.parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj)
    .filter((o) => o);
}
const find = (objs: Obj[], kind: string) => {
  const o = objs.find((x) => x.kind === kind);
  assert.ok(o, `${kind} not rendered`);
  return o;
};

/** Series names the server exports, with the _bucket/_sum/_count series of its histograms. */
async function exportedSeries(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}
const metricNamesIn = (expr: string) => [...expr.matchAll(/\bamko_[a-z0-9_]+/g)].map((m) => m[0]);

describe('Helm chart: monitoring and NetworkPolicy (real helm, promtool, kube-apiserver)', function () {
  this.timeout(120_000);
  let tools: ChartTools;
  let rendered: Obj[];

  before(async function () {
    this.timeout(60 * 60_000); // a fresh machine builds the tools first
    tools = await ensureChartTools();
    rendered = await template(MONITORING);
  });

  it('nothing of it is rendered with the default values', async () => {
    const kinds = (await template({})).map((o) => `${o.kind}/${o.metadata.name}`);
    for (const k of ['ServiceMonitor/amko', 'PrometheusRule/amko', 'ConfigMap/amko-grafana-dashboard', 'NetworkPolicy/amko']) {
      assert.ok(!kinds.includes(k), `${k} rendered by default`);
    }
  });

  it('helm lint --strict passes with everything enabled', async () => {
    const r = await helm(['lint', CHART, '--namespace', 'avi-system', '--strict', '-f', valuesFile({ ...MONITORING, ...NETWORK_POLICY })]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('ServiceMonitor: scrapes the Service port https over TLS, verified with the webhook CA for the Service name', () => {
    const sm = find(rendered, 'ServiceMonitor');
    const svc = find(rendered, 'Service');
    assert.equal(sm.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(sm.metadata.labels.release, 'kube-prometheus-stack');
    // The selector picks the chart's Service, and the named port exists on it.
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) assert.equal(svc.metadata.labels[k], v, k);
    assert.ok(svc.spec.ports.some((p: Obj) => p.name === sm.spec.endpoints[0].port));
    assert.deepEqual(sm.spec.namespaceSelector, { matchNames: ['avi-system'] });
    assert.deepEqual(sm.spec.endpoints, [
      {
        port: 'https',
        scheme: 'https',
        path: '/metrics',
        interval: '30s',
        scrapeTimeout: '10s',
        tlsConfig: { ca: { secret: { name: 'amko-webhook-tls', key: 'ca.crt' } }, serverName: 'amko-webhook.avi-system.svc' },
      },
    ]);
  });

  it('ServiceMonitor follows certificates.existingSecret, and tlsConfig replaces the default', async () => {
    const existing = find(await template({ ...MONITORING, certificates: { mode: 'existingSecret', existingSecret: 'my-tls' } }), 'ServiceMonitor');
    assert.deepEqual(existing.spec.endpoints[0].tlsConfig.ca, { secret: { name: 'my-tls', key: 'ca.crt' } });
    const own = find(
      await template({ metrics: { serviceMonitor: { enabled: true, tlsConfig: { insecureSkipVerify: true } } } }),
      'ServiceMonitor',
    );
    assert.deepEqual(own.spec.endpoints[0].tlsConfig, { insecureSkipVerify: true });
  });

  it('PrometheusRule: promtool check rules accepts the rendered groups (7 alerts)', async () => {
    const rule = find(rendered, 'PrometheusRule');
    assert.equal(rule.metadata.labels.release, 'kube-prometheus-stack');
    const file = path.join(tmp, 'rules.yaml');
    writeFileSync(file, YAML.stringify({ groups: rule.spec.groups }));
    const r = await runTool(tools.promtool, ['check', 'rules', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: 7 rules found/);
    assert.deepEqual(
      rule.spec.groups[0].rules.map((x: Obj) => `${x.alert}:${x.labels.severity}`),
      [
        'AMKONoLeader:critical',
        'AMKOSyncFailing:warning',
        'AMKOAviControllerUnreachable:critical',
        'AMKOMemberClusterDown:warning',
        'AMKOWebhookErrors:warning',
        'AMKOWebhookSlow:warning',
        'AMKOCertificateExpiresSoon:warning',
      ],
    );
  });

  it('PrometheusRule: promtool test rules (no leader, hand-over, nothing scraped, Avi unreachable, sync failing, certificate expiry)', async () => {
    const dir = mkdtempSync(path.join(tmp, 'promtool-test-'));
    writeFileSync(path.join(dir, 'rules.yaml'), YAML.stringify({ groups: find(rendered, 'PrometheusRule').spec.groups }));
    const files = ['alerts.test.yaml', 'certificate.test.yaml'];
    for (const f of files) copyFileSync(path.join(ROOT, 'test/chart/prometheus', f), path.join(dir, f));
    const r = await runTool(tools.promtool, ['test', 'rules', ...files], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout.match(/SUCCESS/g)?.length, files.length, r.stdout);
  });

  it('PrometheusRule: thresholds, selector and extra alert labels come from the values', async () => {
    const rule = find(
      await template({
        metrics: {
          prometheusRule: {
            enabled: true,
            selector: 'job="amko",cluster="prod"',
            webhookLatencySeconds: 2.5,
            webhookErrorRatio: 0.1,
            certificateExpiryDays: 7,
            additionalAlertLabels: { team: 'gslb' },
          },
        },
      }),
      'PrometheusRule',
    );
    const byName = Object.fromEntries(rule.spec.groups[0].rules.map((x: Obj) => [x.alert, x]));
    assert.match(byName.AMKOWebhookSlow.expr, /\{job="amko",cluster="prod"\}\[5m\]\)\)\) > 2\.5$/);
    assert.match(byName.AMKOWebhookErrors.expr, / > 0\.1$/);
    assert.match(byName.AMKOCertificateExpiresSoon.expr, / < 7 \* 86400$/);
    for (const x of rule.spec.groups[0].rules) {
      assert.equal(x.labels.team, 'gslb', x.alert);
      for (const name of metricNamesIn(x.expr)) assert.match(x.expr, new RegExp(`${name}\\{job="amko",cluster="prod"`), x.alert);
    }
  });

  it('rules and dashboard query only metrics the server exports', async () => {
    const exported = await exportedSeries();
    const rules = find(rendered, 'PrometheusRule').spec.groups[0].rules as Obj[];
    const dashboard = JSON.parse(find(rendered, 'ConfigMap').data['amko.json']) as Obj;
    const exprs = [
      ...rules.map((x) => x.expr as string),
      ...(dashboard.panels as Obj[]).flatMap((p) => (p.targets ?? []).map((t: Obj) => t.expr as string)),
    ];
    const used = new Set(exprs.flatMap(metricNamesIn));
    assert.ok(used.size >= 20, `only ${used.size} metrics used`);
    assert.deepEqual([...used].filter((m) => !exported.has(m)), []);
  });

  it('Grafana dashboard: the ConfigMap carries dashboards/amko.json for the sidecar; every query is valid PromQL', async () => {
    const cm = find(rendered, 'ConfigMap');
    assert.equal(cm.metadata.name, 'amko-grafana-dashboard');
    assert.equal(cm.metadata.labels.grafana_dashboard, '1');
    const file = readFileSync(path.join(CHART, 'dashboards/amko.json'), 'utf8');
    assert.deepEqual(JSON.parse(cm.data['amko.json']), JSON.parse(file));
    const dashboard = JSON.parse(file) as Obj;
    assert.equal(dashboard.uid, 'amko-overview');
    assert.deepEqual(
      dashboard.templating.list.map((v: Obj) => v.name),
      ['datasource', 'namespace', 'job'],
    );
    const panels = dashboard.panels as Obj[];
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique');
    const targets = panels.filter((p) => p.type !== 'row').flatMap((p) => p.targets as Obj[]);
    assert.ok(targets.length >= 20);
    // promtool parses each query as a recording rule, with Grafana's variables filled in.
    const rules = targets.map((t, i) => ({
      record: `amko:dashboard_query_${i}`,
      expr: String(t.expr).replaceAll('$__rate_interval', '5m').replaceAll('$namespace', 'avi-system').replaceAll('$job', 'amko-webhook'),
    }));
    for (const r of rules) assert.match(r.expr, /\{namespace="avi-system", job="amko-webhook"\}/, r.expr);
    const f = path.join(tmp, 'dashboard-queries.yaml');
    writeFileSync(f, YAML.stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = await runTool(tools.promtool, ['check', 'rules', f]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it('NetworkPolicy: ingress only to the webhook/metrics port; egress to DNS, API server, Avi controller, member clusters', async () => {
    const objs = await template(NETWORK_POLICY);
    const np = find(objs, 'NetworkPolicy');
    const d = find(objs, 'Deployment');
    const port = d.spec.template.spec.containers[0].ports[0];
    assert.deepEqual(np.spec.podSelector.matchLabels, d.spec.selector.matchLabels);
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(np.spec.ingress, [{ ports: [{ protocol: 'TCP', port: port.containerPort }], from: NETWORK_POLICY.networkPolicy.ingressFrom }]);
    const tcp = (...ports: number[]) => ports.map((p) => ({ protocol: 'TCP', port: p }));
    const cidrs = (...c: string[]) => c.map((cidr) => ({ ipBlock: { cidr } }));
    assert.deepEqual(np.spec.egress, [
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      { to: cidrs('10.0.0.10/32', '10.96.0.1/32'), ports: tcp(443, 6443) },
      { to: cidrs('192.0.2.10/32'), ports: tcp(443) },
      { to: cidrs('198.51.100.0/24', '2001:db8::/64'), ports: tcp(6443) },
      ...NETWORK_POLICY.networkPolicy.extraEgress,
    ]);
    // Without ingressFrom any source may reach the port; without member CIDRs there is no member rule.
    const open = find(
      await template({ networkPolicy: { enabled: true, apiServer: { cidrs: ['10.0.0.10/32'] }, aviController: { cidrs: ['192.0.2.10/32'] } } }),
      'NetworkPolicy',
    );
    assert.deepEqual(open.spec.ingress, [{ ports: [{ protocol: 'TCP', port: 8443 }] }]);
    assert.equal(open.spec.egress.length, 3);
  });

  it('NetworkPolicy: the schema requires the API server and Avi controller addresses and rejects a bad CIDR', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ networkPolicy: { enabled: true, aviController: { cidrs: ['192.0.2.10/32'] } } }, /at '\/networkPolicy\/apiServer\/cidrs': minItems: got 0, want 1/],
      [{ networkPolicy: { enabled: true, apiServer: { cidrs: ['10.0.0.10/32'] } } }, /at '\/networkPolicy\/aviController\/cidrs': minItems: got 0, want 1/],
      [
        { networkPolicy: { enabled: true, apiServer: { cidrs: ['10.0.0.10'] }, aviController: { cidrs: ['192.0.2.10/32'] } } },
        /at '\/networkPolicy\/apiServer\/cidrs\/0': '10\.0\.0\.10' does not match pattern/,
      ],
      [{ networkPolicy: { enabled: false, egress: [] } }, /at '\/networkPolicy': additional properties 'egress' not allowed/],
    ];
    for (const [values, message] of cases) {
      const r = await helm(['template', 'amko', CHART, '--namespace', 'avi-system', '-f', valuesFile(values)]);
      assert.notEqual(r.code, 0, `accepted: ${JSON.stringify(values)}`);
      assert.match(r.stderr, /values don't meet the specifications of the schema/);
      assert.match(r.stderr, message);
    }
  });

  it('NetworkPolicy and dashboard ConfigMap pass a server-side dry run on a real kube-apiserver', async function () {
    this.timeout(10 * 60_000); // may start the shared control planes
    const cp = await sharedControlPlanes();
    const objs = (await template({ ...NETWORK_POLICY, metrics: { grafanaDashboard: { enabled: true } } })).filter((o) =>
      ['NetworkPolicy', 'ConfigMap'].includes(o.kind),
    );
    assert.equal(objs.length, 2);
    const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], {
      kubeconfig: cp.clusters[0]!.kubeconfigPath,
      input: objs.map((o) => YAML.stringify(o)).join('---\n'),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /networkpolicy\.networking\.k8s\.io\/amko created \(server dry run\)/);
    assert.match(r.stdout, /configmap\/amko-grafana-dashboard created \(server dry run\)/);
  });
});
