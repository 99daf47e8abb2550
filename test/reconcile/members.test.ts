import assert from 'node:assert/strict';
import { deriveIngress, deriveRoute, deriveService, routeHostname, type DeriveContext } from '../../src/reconcile/members/derive.js';
import { isSelected, selectionFromGdp } from '../../src/reconcile/members/selection.js';
import type { GDPSpec } from '../../src/api/gdp.js';
import { MemberIndex } from '../../src/reconcile/member-index.js';
import { identityNaming } from '../../src/reconcile/members/types.js';
import { indexCluster } from '../../src/reconcile/source.js';
import { CTRL_UUID, ingress, lbService, ns, route } from './fixtures.js';

const gdp = (spec: Partial<GDPSpec>): GDPSpec => ({ matchClusters: [{ cluster: 'c1' }], ...spec });

function ctx(spec: GDPSpec, namespaces = [ns('default', { env: 'prod' })], extra: Partial<DeriveContext> = {}): DeriveContext {
  const m = new Map(namespaces.map((n) => [n.metadata!.name!, n]));
  return { cluster: 'c1', selection: selectionFromGdp(spec), defaultTenant: 'admin', namespace: (n) => m.get(n), ...extra };
}

describe('reconcile/members: selection (seed appSelector × namespaceSelector table)', () => {
  const appOnly = gdp({ matchRules: { appSelector: { label: { app: 'gslb' } } } });
  const nsOnly = gdp({ matchRules: { namespaceSelector: { label: { env: 'prod' } } } });
  const both = gdp({ matchRules: { appSelector: { label: { app: 'gslb' } }, namespaceSelector: { label: { env: 'prod' } } } });
  const none = gdp({});
  const prod = { env: 'prod' };
  const dev = { env: 'dev' };
  const app = { app: 'gslb' };
  const cases: Array<[string, GDPSpec, Record<string, string>, Record<string, string>, boolean]> = [
    ['yes/yes: app match in selected ns', both, app, prod, true],
    ['yes/yes: app match in unselected ns', both, app, dev, false],
    ['yes/yes: no app match in selected ns', both, {}, prod, false],
    ['no/yes: any object in selected ns', nsOnly, {}, prod, true],
    ['no/yes: object in unselected ns', nsOnly, app, dev, false],
    ['yes/no: app match in any ns', appOnly, app, dev, true],
    ['yes/no: no app match', appOnly, { app: 'other' }, prod, false],
    ['no/no: nothing selected', none, app, prod, false],
  ];
  for (const [name, spec, labels, nsLabels, want] of cases) {
    it(name, () => {
      assert.equal(isSelected(selectionFromGdp(spec), 'c1', labels, nsLabels).selected, want);
    });
  }
  it('requires every label of a multi-label selector (fixes the single-label quirk)', () => {
    const sel = selectionFromGdp(gdp({ matchRules: { appSelector: { label: { app: 'gslb', tier: 'web' } } } }));
    assert.equal(isSelected(sel, 'c1', { app: 'gslb' }, {}).selected, false);
    assert.equal(isSelected(sel, 'c1', { app: 'gslb', tier: 'web', x: 'y' }, {}).selected, true);
    const nsSel = selectionFromGdp(gdp({ matchRules: { namespaceSelector: { label: { env: 'prod', team: 'a' } } } }));
    assert.equal(isSelected(nsSel, 'c1', {}, { env: 'prod' }).selected, false);
    assert.equal(isSelected(nsSel, 'c1', {}, { env: 'prod', team: 'a' }).selected, true);
  });
  it('only counts clusters in matchClusters', () => {
    const sel = selectionFromGdp(appOnly);
    assert.equal(isSelected(sel, 'c2', app, {}).selected, false);
    assert.deepEqual(isSelected(sel, 'c2', app, {}), { selected: false, reason: 'cluster c2 is not in matchClusters' });
  });
  it('treats an empty label map as no selector', () => {
    const sel = selectionFromGdp(gdp({ matchRules: { appSelector: { label: {} } } }));
    assert.equal(isSelected(sel, 'c1', app, prod).selected, false);
  });
});

describe('reconcile/members: derivation', () => {
  const spec = gdp({ matchRules: { appSelector: { label: { app: 'gslb' } } } });

  it('ingress: one member per status host that is a rule host, paths per host, TLS per host', () => {
    const ing = ingress('ing1', 'default', {
      labels: { app: 'gslb' },
      hosts: [
        { host: 'a.example.com', ip: '10.0.0.1', paths: ['/foo', '/bar', '/foo'] },
        { host: 'b.example.com', ip: '10.0.0.1', paths: [''] },
        { host: 'c.example.com' },
      ],
      tlsHosts: ['a.example.com'],
    });
    const r = deriveIngress(ing, ctx(spec));
    assert.equal(r.members.length, 2);
    const [a, b] = r.members;
    assert.deepEqual(a, {
      cluster: 'c1',
      kind: 'INGRESS',
      namespace: 'default',
      name: 'ing1',
      hostname: 'a.example.com',
      ip: '10.0.0.1',
      tenant: 'admin',
      tls: true,
      passthrough: false,
      paths: ['/bar', '/foo'],
      vsUuid: 'virtualservice-aexamplecom',
      controllerUuid: CTRL_UUID,
      syncVipOnly: false,
    });
    assert.equal(b!.tls, false);
    assert.deepEqual(b!.paths, ['/']);
  });

  it('ingress: enable-tls annotation makes every host TLS; status hostname not in rules is ignored; bad IP rejected', () => {
    const ing = ingress('ing2', 'default', {
      labels: { app: 'gslb' },
      hosts: [{ host: 'a.example.com', ip: '10.0.0.2' }],
    });
    ing.metadata!.annotations!['ako.vmware.com/enable-tls'] = '';
    ing.status!.loadBalancer!.ingress!.push({ hostname: 'zzz.example.com', ip: '10.0.0.3' });
    assert.equal(deriveIngress(ing, ctx(spec)).members[0]!.tls, true);
    assert.equal(deriveIngress(ing, ctx(spec)).members.length, 1);
    ing.status!.loadBalancer!.ingress![0]!.ip = 'not-an-ip';
    const r = deriveIngress(ing, ctx(spec));
    assert.equal(r.members.length, 0);
    assert.match(r.rejections[0]!.reason, /no IP address/);
  });

  it('service: LoadBalancer only, hostname and IP from status[0], smallest port and its protocol', () => {
    const svc = lbService('s1', 'default', {
      labels: { app: 'gslb' },
      host: 's1.example.com',
      ip: '10.1.0.1',
      ports: [{ port: 8443, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }],
    });
    const [m] = deriveService(svc, ctx(spec)).members;
    assert.equal(m!.kind, 'LBSVC');
    assert.equal(m!.port, 53);
    assert.equal(m!.protocol, 'UDP');
    assert.deepEqual(m!.paths, []);
    assert.equal(deriveService({ ...svc, spec: { ...svc.spec, type: 'ClusterIP' } }, ctx(spec)).members.length, 0);
    const sctp = lbService('s2', 'default', { labels: { app: 'gslb' }, host: 's2.example.com', ip: '10.1.0.2', ports: [{ port: 9, protocol: 'SCTP' }] });
    assert.equal(deriveService(sctp, ctx(spec)).members[0]!.protocol, 'TCP');
    const noHost = lbService('s3', 'default', { labels: { app: 'gslb' }, ip: '10.1.0.3' });
    assert.match(deriveService(noHost, ctx(spec)).rejections[0]!.reason, /no hostname/);
  });

  it('route: host, path, TLS edge vs passthrough, IP from an ako router condition, UUIDs from status reason', () => {
    const edge = route('r1', 'default', { labels: { app: 'gslb' }, host: 'r1.example.com', path: '/api', ip: '10.2.0.1', termination: 'edge' });
    const [m] = deriveRoute(edge, ctx(spec)).members;
    assert.deepEqual(
      { tls: m!.tls, passthrough: m!.passthrough, paths: m!.paths, ip: m!.ip, vs: m!.vsUuid, cu: m!.controllerUuid },
      { tls: true, passthrough: false, paths: ['/api'], ip: '10.2.0.1', vs: 'virtualservice-r1', cu: CTRL_UUID },
    );
    const pt = route('r2', 'default', { labels: { app: 'gslb' }, host: 'r2.example.com', ip: '10.2.0.2', termination: 'passthrough' });
    const [p] = deriveRoute(pt, ctx(spec)).members;
    assert.deepEqual({ tls: p!.tls, passthrough: p!.passthrough, paths: p!.paths, port: p!.port, protocol: p!.protocol }, {
      tls: false,
      passthrough: true,
      paths: [],
      port: 443,
      protocol: 'TCP',
    });
    const plain = route('r3', 'default', { labels: { app: 'gslb' }, host: 'r3.example.com', ip: '10.2.0.3' });
    assert.deepEqual(deriveRoute(plain, ctx(spec)).members[0]!.paths, ['/']);
    const other = route('r4', 'default', { labels: { app: 'gslb' }, host: 'r4.example.com', ip: '10.2.0.4', router: 'default' });
    assert.match(deriveRoute(other, ctx(spec)).rejections[0]!.reason, /no status from an AKO router/);
  });

  it('route: subdomain + GDP defaultDomain', () => {
    assert.equal(routeHostname(route('r', 'd', { subdomain: 'app' }), 'apps.example.com'), 'app.apps.example.com');
    assert.equal(routeHostname(route('r', 'd', { subdomain: 'app' }), '.apps.example.com'), 'app.apps.example.com');
    assert.equal(routeHostname(route('r', 'd', { subdomain: 'app' }), undefined), '');
    const r = route('r5', 'default', { labels: { app: 'gslb' }, subdomain: 'app', statusHost: 'app.apps.example.com', ip: '10.2.0.5' });
    assert.equal(deriveRoute(r, ctx(spec, undefined, { defaultDomain: 'apps.example.com' })).members[0]!.hostname, 'app.apps.example.com');
  });

  it('requires AKO UUIDs unless the cluster is syncVipOnly', () => {
    const svc = lbService('s1', 'default', { labels: { app: 'gslb' }, host: 's1.example.com', ip: '10.1.0.1', annotations: {} });
    assert.match(deriveService(svc, ctx(spec)).rejections[0]!.reason, /missing AKO virtual service/);
    const vipOnly = gdp({ matchRules: spec.matchRules, matchClusters: [{ cluster: 'c1', syncVipOnly: true }] });
    const [m] = deriveService(svc, ctx(vipOnly)).members;
    assert.equal(m!.syncVipOnly, true);
  });

  it("tenants: the namespace's tenant annotation, else the GSLBConfig tenant; the object's own annotation never chooses it, and one that disagrees with the namespace's is skipped", () => {
    const nsSpec = gdp({ matchRules: { namespaceSelector: { label: { env: 'prod' } } } });
    const namespaces = [ns('t1ns', { env: 'prod' }, { 'ako.vmware.com/tenant-name': 't1' }), ns('plain', { env: 'prod' })];
    const mk = (name: string, n: string, tenant?: string) =>
      lbService(name, n, {
        host: `${name}.example.com`,
        ip: '10.3.0.1',
        annotations: {
          ...(tenant ? { 'ako.vmware.com/tenant-name': tenant } : {}),
          'ako.vmware.com/host-fqdn-vs-uuid-map': JSON.stringify({ [`${name}.example.com`]: 'vs-1' }),
          'ako.vmware.com/controller-cluster-uuid': CTRL_UUID,
        },
      });
    const c = ctx(nsSpec, namespaces);
    assert.equal(deriveService(mk('a', 't1ns'), c).members[0]!.tenant, 't1');
    assert.equal(deriveService(mk('b', 't1ns', 't1'), c).members[0]!.tenant, 't1');
    const mismatch = deriveService(mk('c', 't1ns', 't2'), c).rejections[0]!;
    assert.equal(mismatch.code, 'tenant-mismatch');
    assert.match(mismatch.reason, /tenant t2 differs from the namespace tenant t1/);
    assert.equal(deriveService(mk('d', 'plain'), c).members[0]!.tenant, 'admin');
    assert.equal(deriveService(mk('e', 'plain', 't3'), c).members[0]!.tenant, 'admin', 'an object annotation does not choose the tenant');
    assert.equal(deriveService(mk('e', 'plain', 't3'), { ...c, defaultTenant: 'gc-tenant' }).members[0]!.tenant, 'gc-tenant');
  });

  it('skip codes: a selected object that produces no member says why; an unselected one is only not-selected, whatever else is missing', () => {
    const c = ctx(spec);
    const code = (r: { rejections: Array<{ code: string }> }) => r.rejections.map((x) => x.code);
    const sel = { app: 'gslb' };
    assert.deepEqual(code(deriveIngress(ingress('a', 'default', { labels: sel, hosts: [{ host: 'a.example.com' }] }), c)), ['no-load-balancer-status']);
    assert.deepEqual(code(deriveIngress(ingress('b', 'default', { labels: sel, hosts: [{ host: 'b.example.com', ip: 'x' }] }), c)), ['no-ip']);
    assert.deepEqual(code(deriveIngress(ingress('c', 'default', { labels: sel, hosts: [{ host: 'c.example.com', ip: '10.0.0.1' }], annotations: {} }), c)), ['missing-ako-uuids']);
    assert.deepEqual(code(deriveIngress(ingress('d', 'default', { labels: { app: 'no' }, hosts: [{ host: 'd.example.com' }], annotations: {} }), c)), ['not-selected']);
    assert.deepEqual(code(deriveService(lbService('s', 'default', { labels: sel, ip: '10.0.0.1', host: 's.example.com', ports: [] }), c)), ['no-ports']);
    assert.deepEqual(code(deriveService(lbService('t', 'default', { labels: sel }), c)), ['no-load-balancer-status']);
    assert.deepEqual(code(deriveService({ ...lbService('u', 'default', { labels: sel }), spec: { type: 'ClusterIP' } }, c)), [], 'not a candidate at all');
    assert.deepEqual(code(deriveRoute(route('r', 'default', { labels: sel }), c)), ['no-hostname']);
    assert.deepEqual(code(deriveRoute(route('r', 'default', { labels: sel, host: 'r.example.com' }), c)), ['no-ako-router-status']);
    assert.deepEqual(code(deriveRoute(route('r', 'default', { labels: { app: 'no' }, host: 'r.example.com' }), c)), ['not-selected']);
  });

  it('indexCluster (the list-fed source stage of amko plan) combines every kind and reports rejections', () => {
    const index = new MemberIndex(() => undefined);
    const { rejections } = indexCluster(
      index,
      'c1',
      {
        namespaces: [ns('default')],
        ingresses: [ingress('i', 'default', { labels: { app: 'gslb' }, hosts: [{ host: 'i.example.com', ip: '10.0.0.9' }] })],
        services: [lbService('s', 'default', { labels: { app: 'no' }, host: 's.example.com', ip: '10.0.0.8' })],
        routes: [route('r', 'default', { labels: { app: 'gslb' }, host: 'r.example.com', ip: '10.0.0.7' })],
      },
      { gdp: spec, tenant: 'admin', naming: identityNaming },
    );
    const members = [...index.keys()].sort().flatMap((k) => index.membersOf(k));
    assert.deepEqual(members.map((m) => `${m.kind}:${m.hostname}`), ['INGRESS:i.example.com', 'ROUTE:r.example.com']);
    assert.deepEqual(rejections.map((x) => `${x.kind}:${x.name}:${x.reason}`), ['LBSVC:s:labels do not match the appSelector']);
  });
});
