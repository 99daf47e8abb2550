// The HTTPRoute source, pure: the Gateway API rules (hostname intersection, listener attachment) and the
// derivation of HTTPRoute members on AKO-programmed Gateways. The same cases against real kube-apiservers with
// the standard-channel CRDs are in gateway.e2e.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { GDPSpec } from '../../src/api/gdp.js';
import { slimMemberObject } from '../../src/reconcile/cluster.js';
import { buildDesiredGs } from '../../src/reconcile/desired/gslbservice.js';
import { pathHmName } from '../../src/reconcile/desired/healthmonitors.js';
import type { DeriveContext } from '../../src/reconcile/members/derive.js';
import { gatewayIp, gatewayVsUuid, listenerAllowsRoute, matchingHost, routePaths, selectorMatches, type Gateway, type HTTPRoute } from '../../src/reconcile/members/gateway-api.js';
import { deriveHttpRoute } from '../../src/reconcile/members/httproute.js';
import { selectionFromGdp } from '../../src/reconcile/members/selection.js';
import { identityNaming } from '../../src/reconcile/members/types.js';
import { MemberIndex } from '../../src/reconcile/member-index.js';
import { AnnotatedControllerUuid, indexCluster, namedRecord } from '../../src/reconcile/source.js';
import { REPO_ROOT } from '../harness/tools.js';
import { akoAnnotations, CTRL_UUID, desiredInputs, ingress, ns } from './fixtures.js';
import { gateway, httpRoute, listener } from './gateway-fixtures.js';

const SEL = { app: 'gw' };
const spec: GDPSpec = { matchRules: { appSelector: { label: SEL } }, matchClusters: [{ cluster: 'c1' }] };

function ctx(gateways: Gateway[], opts: { spec?: GDPSpec; namespaces?: ReturnType<typeof ns>[]; controllerUuid?: string } = {}): DeriveContext {
  const nss = new Map((opts.namespaces ?? [ns('apps'), ns('infra')]).map((n) => [n.metadata!.name!, n]));
  const gws = new Map(gateways.map((g) => [`${g.metadata!.namespace}/${g.metadata!.name}`, g]));
  return {
    cluster: 'c1',
    selection: selectionFromGdp(opts.spec ?? spec),
    defaultTenant: 'admin',
    namespace: (n) => nss.get(n),
    gateway: (n, name) => gws.get(`${n}/${name}`),
    controllerUuid: 'controllerUuid' in opts ? opts.controllerUuid : CTRL_UUID,
  };
}

const hosts = (r: ReturnType<typeof deriveHttpRoute>) => r.members.map((m) => `${m.hostname}@${m.ip}`).sort();
const codes = (r: ReturnType<typeof deriveHttpRoute>) => r.rejections.map((x) => x.code);

describe('reconcile/members: Gateway API rules', () => {
  it('hostname intersection: empty sides, equal names, wildcards narrowing to the more specific name, no overlap, case, invalid names', () => {
    const cases: Array<[string, string, string | undefined]> = [
      ['', 'app.example.com', 'app.example.com'],
      ['app.example.com', '', 'app.example.com'],
      ['', '', ''],
      ['App.Example.COM', 'app.example.com', 'app.example.com'],
      ['*.example.com', 'app.example.com', 'app.example.com'],
      ['app.example.com', '*.example.com', 'app.example.com'],
      ['*.example.com', 'a.b.example.com', 'a.b.example.com'],
      ['*.example.com', 'example.com', undefined],
      ['*.example.com', '*.example.com', '*.example.com'],
      ['*.example.com', '*.app.example.com', '*.app.example.com'],
      ['*.example.com', '', '*.example.com'],
      ['app.example.com', 'web.example.com', undefined],
      ['*.example.org', 'app.example.com', undefined],
      ['10.0.0.1', '', undefined],
      ['bad_name.example.com', '', undefined],
    ];
    for (const [l, r, want] of cases) assert.equal(matchingHost(l, r), want, `${l} x ${r}`);
  });

  it('allowedRoutes: Same (default), All, Selector (matchLabels and matchExpressions), kinds', () => {
    const l = (allowedRoutes?: Parameters<typeof listener>[4]) => listener('l', 'HTTP', 80, undefined, allowedRoutes);
    assert.equal(listenerAllowsRoute(l(), 'infra', 'infra', {}), true);
    assert.equal(listenerAllowsRoute(l(), 'infra', 'apps', {}), false);
    assert.equal(listenerAllowsRoute(l({ namespaces: { from: 'All' } }), 'infra', 'apps', {}), true);
    const sel = l({ namespaces: { from: 'Selector', selector: { matchLabels: { team: 'a' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] } } });
    assert.equal(listenerAllowsRoute(sel, 'infra', 'apps', { team: 'a', env: 'prod' }), true);
    assert.equal(listenerAllowsRoute(sel, 'infra', 'apps', { team: 'a', env: 'dev' }), false);
    assert.equal(listenerAllowsRoute(sel, 'infra', 'apps', undefined), false);
    assert.equal(listenerAllowsRoute(l({ namespaces: { from: 'All' }, kinds: [{ kind: 'GRPCRoute' }] }), 'infra', 'apps', {}), false);
    assert.equal(listenerAllowsRoute(l({ namespaces: { from: 'All' }, kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }] }), 'infra', 'apps', {}), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }, { key: 'y', operator: 'NotIn', values: ['1'] }] }, { y: '2' }), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, { y: '2' }), false);
  });

  it('addresses: IPAddress (or untyped) only, IPv4 first; VSUUID from the Programmed message; paths from PathPrefix/Exact', () => {
    const gw = gateway('g', 'infra', { listeners: [], ips: [] });
    gw.status!.addresses = [{ type: 'Hostname', value: 'lb.example.com' }, { type: 'IPAddress', value: 'fd00::1' }, { value: '10.0.0.5' }];
    assert.equal(gatewayIp(gw), '10.0.0.5');
    gw.status!.addresses = [{ type: 'IPAddress', value: 'fd00::1' }];
    assert.equal(gatewayIp(gw), 'fd00::1');
    assert.equal(gatewayVsUuid(gateway('g', 'infra', { listeners: [], vsUuid: 'virtualservice-abc' })), 'virtualservice-abc');
    assert.equal(gatewayVsUuid(gateway('g', 'infra', { listeners: [] })), undefined);
    const rt = httpRoute('r', 'apps', {
      parents: [],
      paths: [
        { type: 'PathPrefix', value: '/api' },
        { type: 'Exact', value: '/login' },
        { type: 'RegularExpression', value: '/v[0-9]+' },
      ],
    });
    assert.deepEqual(routePaths(rt), ['/api', '/login']);
    assert.deepEqual(routePaths(httpRoute('r', 'apps', { parents: [], paths: null })), ['/']);
    assert.deepEqual(routePaths(httpRoute('r', 'apps', { parents: [], paths: [{ type: 'RegularExpression', value: '/x' }] })), ['/']);
  });
});

describe('reconcile/members: HTTPRoute derivation', () => {
  const shared = gateway('shared', 'infra', {
    ips: ['fd00::7', '10.7.0.1'],
    vsUuid: 'virtualservice-shared',
    listeners: [
      listener('http', 'HTTP', 80, '*.example.com', { namespaces: { from: 'All' } }),
      listener('https', 'HTTPS', 8443, '*.example.com', { namespaces: { from: 'All' } }),
    ],
  });

  it('one member per (Gateway, FQDN): IPv4, TLS and port from the HTTPS listener, paths, tenant of the Gateway namespace, UUIDs', () => {
    const rt = httpRoute('shop', 'apps', {
      labels: SEL,
      hostnames: ['Shop.example.com', 'cart.example.com'],
      parents: [{ gateway: 'shared', namespace: 'infra' }],
      paths: [{ type: 'PathPrefix', value: '/cart' }],
    });
    const r = deriveHttpRoute(rt, ctx([shared], { namespaces: [ns('apps'), ns('infra', {}, { 'ako.vmware.com/tenant-name': 'team-a' })] }));
    assert.deepEqual(r.rejections, []);
    assert.deepEqual(r.notices, []);
    assert.deepEqual(r.members[0], {
      cluster: 'c1',
      kind: 'HTTPROUTE',
      namespace: 'apps',
      name: 'shop',
      hostname: 'cart.example.com',
      ip: '10.7.0.1',
      tenant: 'team-a',
      tls: true,
      passthrough: false,
      paths: ['/cart'],
      port: 8443,
      vsUuid: 'virtualservice-shared',
      controllerUuid: CTRL_UUID,
      syncVipOnly: false,
    });
    assert.deepEqual(hosts(r), ['cart.example.com@10.7.0.1', 'shop.example.com@10.7.0.1']);
    // A sectionName attaches to that listener only: plain HTTP on port 80.
    const http = deriveHttpRoute(httpRoute('h', 'apps', { labels: SEL, hostnames: ['h.example.com'], parents: [{ gateway: 'shared', namespace: 'infra', sectionName: 'http' }] }), ctx([shared]));
    assert.deepEqual([http.members[0]!.tls, http.members[0]!.port, http.members[0]!.tenant], [false, 80, 'admin']);
    // A parentRef port picks the listener too.
    const byPort = deriveHttpRoute(httpRoute('p', 'apps', { labels: SEL, hostnames: ['p.example.com'], parents: [{ gateway: 'shared', namespace: 'infra', port: 8443 }] }), ctx([shared]));
    assert.deepEqual([byPort.members[0]!.tls, byPort.members[0]!.port], [true, 8443]);
  });

  it('hostnames: route without hostnames takes the listener name; listener wildcard with route without hostnames is skipped; no overlap is skipped', () => {
    const gw = gateway('g', 'apps', {
      ips: ['10.1.0.1'],
      vsUuid: 'vs-g',
      listeners: [listener('named', 'HTTP', 80, 'named.example.com'), listener('wild', 'HTTP', 81, '*.wild.example.com')],
    });
    const none = deriveHttpRoute(httpRoute('n', 'apps', { labels: SEL, parents: [{ gateway: 'g' }] }), ctx([gw]));
    assert.deepEqual(hosts(none), ['named.example.com@10.1.0.1']);
    assert.deepEqual(codes(none), ['wildcard-hostname']);
    assert.match(none.rejections[0]!.reason, /\*\.wild\.example\.com \(Gateway apps\/g\) is a wildcard/);
    const routeWild = deriveHttpRoute(httpRoute('w', 'apps', { labels: SEL, hostnames: ['*.example.com'], parents: [{ gateway: 'g', sectionName: 'named' }] }), ctx([gw]));
    assert.deepEqual(hosts(routeWild), ['named.example.com@10.1.0.1'], 'a route wildcard narrows to the listener name');
    const both = deriveHttpRoute(httpRoute('b', 'apps', { labels: SEL, hostnames: ['a.wild.example.com'], parents: [{ gateway: 'g' }] }), ctx([gw]));
    assert.deepEqual(hosts(both), ['a.wild.example.com@10.1.0.1']);
    assert.equal(both.members[0]!.port, 81);
    const noOverlap = deriveHttpRoute(httpRoute('x', 'apps', { labels: SEL, hostnames: ['other.example.org'], parents: [{ gateway: 'g' }] }), ctx([gw]));
    assert.deepEqual([hosts(noOverlap), codes(noOverlap)], [[], ['no-matching-listener']]);
  });

  it('gating: AKO parent, Accepted, Gateway found, Programmed, an address, not dedicated; a stale status entry is ignored', () => {
    const listeners = [listener('l', 'HTTP', 80, undefined, { namespaces: { from: 'All' } })];
    const gws = [
      gateway('ok', 'infra', { ips: ['10.2.0.1'], vsUuid: 'vs-ok', listeners }),
      gateway('unprogrammed', 'infra', { ips: ['10.2.0.2'], programmed: false, listeners }),
      gateway('noaddr', 'infra', { ips: [], listeners }),
      gateway('dedicated', 'infra', { ips: ['10.2.0.4'], listeners, annotations: { 'ako.vmware.com/dedicated-gateway-mode': 'true' } }),
    ];
    const c = ctx(gws);
    const one = (parents: Parameters<typeof httpRoute>[2]['parents']) => deriveHttpRoute(httpRoute('r', 'apps', { labels: SEL, hostnames: ['r.example.com'], parents }), c);
    assert.deepEqual(codes(one([{ gateway: 'ok', namespace: 'infra', controller: 'example.com/other' }])), ['no-ako-parent']);
    assert.deepEqual(codes(one([{ gateway: 'ok', namespace: 'infra', accepted: false }])), ['not-accepted']);
    assert.deepEqual(codes(one([{ gateway: 'missing', namespace: 'infra' }])), ['gateway-not-found']);
    assert.deepEqual(codes(one([{ gateway: 'unprogrammed', namespace: 'infra' }])), ['gateway-not-programmed']);
    assert.deepEqual(codes(one([{ gateway: 'noaddr', namespace: 'infra' }])), ['no-ip']);
    assert.deepEqual(codes(one([{ gateway: 'dedicated', namespace: 'infra' }])), ['dedicated-gateway']);
    const stale = one([{ gateway: 'ok', namespace: 'infra', statusOnly: true }]);
    assert.deepEqual([stale.members, codes(stale)], [[], []]);
    // Multi-parent: each Gateway gives its own member; a failing parent does not hide the others.
    const multi = one([{ gateway: 'ok', namespace: 'infra' }, { gateway: 'unprogrammed', namespace: 'infra' }, { gateway: 'dedicated', namespace: 'infra' }]);
    assert.deepEqual(hosts(multi), ['r.example.com@10.2.0.1']);
    assert.deepEqual(codes(multi), ['gateway-not-programmed', 'dedicated-gateway']);
    const two = deriveHttpRoute(
      httpRoute('r', 'apps', { labels: SEL, hostnames: ['r.example.com'], parents: [{ gateway: 'ok', namespace: 'infra' }, { gateway: 'ok2', namespace: 'infra' }] }),
      ctx([...gws, gateway('ok2', 'infra', { ips: ['10.2.0.9'], vsUuid: 'vs-ok2', listeners })]),
    );
    assert.deepEqual(hosts(two), ['r.example.com@10.2.0.1', 'r.example.com@10.2.0.9']);
    assert.deepEqual(two.members.map((m) => m.vsUuid), ['vs-ok', 'vs-ok2']);
  });

  it('allowedRoutes: a Same-namespace listener does not admit a route of another namespace; a Selector one follows the namespace labels', () => {
    const gw = gateway('g', 'infra', {
      ips: ['10.3.0.1'],
      vsUuid: 'vs-g',
      listeners: [listener('same', 'HTTP', 80), listener('sel', 'HTTP', 8080, undefined, { namespaces: { from: 'Selector', selector: { matchLabels: { gw: 'yes' } } } })],
    });
    const rt = httpRoute('r', 'apps', { labels: SEL, hostnames: ['r.example.com'], parents: [{ gateway: 'g', namespace: 'infra' }] });
    assert.deepEqual(codes(deriveHttpRoute(rt, ctx([gw]))), ['no-matching-listener']);
    const r = deriveHttpRoute(rt, ctx([gw], { namespaces: [ns('apps', { gw: 'yes' }), ns('infra')] }));
    assert.deepEqual([hosts(r), r.members[0]!.port], [['r.example.com@10.3.0.1'], 8080]);
  });

  it('selection: appSelector on the HTTPRoute labels (not the Gateway), namespaceSelector on its namespace, matchClusters', () => {
    const gw = gateway('g', 'apps', { ips: ['10.4.0.1'], vsUuid: 'vs', listeners: [listener('l', 'HTTP', 80)] });
    const unlabeled = httpRoute('r', 'apps', { hostnames: ['r.example.com'], parents: [{ gateway: 'g' }] });
    const r = deriveHttpRoute(unlabeled, ctx([gw]));
    assert.deepEqual([codes(r), r.rejections[0]!.reason], [['not-selected'], 'labels do not match the appSelector']);
    const byNs = deriveHttpRoute(unlabeled, ctx([gw], { spec: { matchRules: { namespaceSelector: { label: { team: 'a' } } }, matchClusters: [{ cluster: 'c1' }] }, namespaces: [ns('apps', { team: 'a' })] }));
    assert.deepEqual(hosts(byNs), ['r.example.com@10.4.0.1']);
    const otherCluster = deriveHttpRoute(httpRoute('r', 'apps', { labels: SEL, hostnames: ['r.example.com'], parents: [{ gateway: 'g' }] }), ctx([gw], { spec: { ...spec, matchClusters: [{ cluster: 'c2' }] } }));
    assert.deepEqual(codes(otherCluster), ['not-selected']);
  });

  it('unknown UUIDs: an IP-only member with a notice saying why (never dropped); syncVipOnly needs no notice', () => {
    const gw = gateway('g', 'apps', { ips: ['10.5.0.1'], listeners: [listener('l', 'HTTP', 80)] });
    const rt = httpRoute('r', 'apps', { labels: SEL, hostnames: ['r.example.com'], parents: [{ gateway: 'g' }] });
    const r = deriveHttpRoute(rt, ctx([gw], { controllerUuid: undefined }));
    assert.deepEqual(hosts(r), ['r.example.com@10.5.0.1']);
    assert.deepEqual([r.members[0]!.syncVipOnly, r.members[0]!.vsUuid, r.members[0]!.controllerUuid], [true, undefined, undefined]);
    assert.deepEqual(r.rejections, []);
    assert.equal(r.notices!.length, 1);
    assert.equal(r.notices![0]!.code, 'ip-only-member');
    assert.match(r.notices![0]!.reason, /r\.example\.com \(Gateway apps\/g: no \{"VSUUID":\.\.\.\} in its Programmed condition message, controller cluster UUID unknown/);
    // The VS UUID known but not the controller's: still IP-only (a pool member needs both).
    const half = deriveHttpRoute(rt, ctx([gateway('g', 'apps', { ips: ['10.5.0.1'], vsUuid: 'vs-1', listeners: [listener('l', 'HTTP', 80)] })], { controllerUuid: undefined }));
    assert.deepEqual([half.members[0]!.syncVipOnly, half.members[0]!.vsUuid], [true, undefined]);
    const vipOnly = deriveHttpRoute(rt, ctx([gw], { controllerUuid: undefined, spec: { ...spec, matchClusters: [{ cluster: 'c1', syncVipOnly: true }] } }));
    assert.deepEqual([vipOnly.members[0]!.syncVipOnly, vipOnly.notices], [true, []]);
  });

  it("desired: HTTPRoute members get path monitors on the listener's port, HTTPS when a matched listener is; UUIDs only when known", () => {
    const gw = gateway('g', 'apps', { ips: ['10.6.0.1'], vsUuid: 'vs-g', listeners: [listener('https', 'HTTPS', 8443, 'app.example.com')] });
    const [m] = deriveHttpRoute(httpRoute('r', 'apps', { labels: SEL, parents: [{ gateway: 'g' }], paths: [{ type: 'Exact', value: '/health' }] }), ctx([gw])).members;
    const d = buildDesiredGs('admin', 'app.example.com', [namedRecord(m!, identityNaming(m!)!)], desiredInputs(spec))!;
    assert.deepEqual(d.hms.map((h) => [h.name, h.type, h.monitor_port]), [[pathHmName('https', 'app.example.com', '/health'), 'HEALTH_MONITOR_HTTPS', 8443]]);
    assert.deepEqual(d.gs.groups[0]!.members, [{ enabled: true, ratio: 1, ip: { addr: '10.6.0.1', type: 'V4' }, cluster_uuid: CTRL_UUID, vs_uuid: 'vs-g' }]);
    assert.equal(d.gs.description, 'HTTPROUTE/c1/apps/r/app.example.com');
  });

  it('the cluster controller UUID: from the AKO-annotated Ingresses/Services, stable (smallest), following updates and deletes', () => {
    const u = new AnnotatedControllerUuid();
    assert.equal(u.set('c/ingresses/a/x', { 'ako.vmware.com/controller-cluster-uuid': 'cluster-b' }), true);
    assert.equal(u.set('c/services/a/y', { 'ako.vmware.com/controller-cluster-uuid': 'cluster-a' }), true);
    assert.equal(u.get(), 'cluster-a');
    assert.equal(u.set('c/ingresses/a/z', {}), false);
    assert.equal(u.set('c/services/a/y', undefined), true);
    assert.equal(u.get(), 'cluster-b');
    assert.equal(u.set('c/ingresses/a/w', { 'ako.vmware.com/controller-cluster-uuid': 'cluster-b' }), false, 'a second object with the same UUID');
    assert.equal(u.set('c/ingresses/a/x', { 'ako.vmware.com/controller-cluster-uuid': 'cluster-c' }), false, 'cluster-b still has an object');
    assert.equal(u.set('c/ingresses/a/w', undefined), true);
    assert.equal(u.get(), 'cluster-c');
  });

  it('indexCluster (amko plan): Gateways looked up, the controller UUID taken from an annotated Ingress, HTTPRoute members listed', () => {
    const index = new MemberIndex(() => undefined);
    const gw = gateway('g', 'apps', { ips: ['10.8.0.1'], vsUuid: 'vs-g', listeners: [listener('l', 'HTTP', 80, 'gw.example.com')] });
    const r = indexCluster(
      index,
      'c1',
      {
        namespaces: [ns('apps')],
        ingresses: [ingress('i', 'apps', { labels: { app: 'none' }, hosts: [{ host: 'i.example.com', ip: '10.0.0.1' }], annotations: akoAnnotations(['i.example.com']) })],
        services: [],
        routes: [],
        gateways: [gw],
        httproutes: [httpRoute('r', 'apps', { labels: SEL, parents: [{ gateway: 'g' }] }), httpRoute('n', 'apps', { parents: [{ gateway: 'g' }] })],
      },
      { gdp: spec, tenant: 'admin', naming: identityNaming },
    );
    assert.deepEqual(r.httpRouteMembers.map((m) => [m.name, m.hostname, m.controllerUuid, m.syncVipOnly]), [['r', 'gw.example.com', CTRL_UUID, false]]);
    assert.deepEqual(r.rejections.map((x) => `${x.kind}:${x.name}:${x.code}`), ['INGRESS:i:not-selected', 'HTTPROUTE:n:not-selected']);
    assert.deepEqual(r.notices, []);
    assert.deepEqual(index.membersOf('admin/gw.example.com').map((m) => m.kind), ['HTTPROUTE']);
  });

  it('examples/gateway-api: the HTTPRoute on the shared Gateway, with the status AKO sets, is the member its comment describes', () => {
    const read = (f: string) => YAML.parse(readFileSync(path.join(REPO_ROOT, 'examples/gateway-api', f), 'utf8'));
    const gw: Gateway = { ...read('gateway.yaml'), status: gateway('shared', 'infra', { listeners: [], ips: ['10.1.1.1'], vsUuid: 'vs-shared' }).status };
    const rt: HTTPRoute = read('httproute.yaml');
    rt.status = { parents: [{ parentRef: { name: 'shared', namespace: 'infra' }, controllerName: 'ako.vmware.com/avi-lb', conditions: [{ type: 'Accepted', status: 'True' }] }] };
    const spec: GDPSpec = read('gdp.yaml').spec;
    const r = deriveHttpRoute(rt, ctx([gw], { spec: { ...spec, matchClusters: [{ cluster: 'c1' }] }, namespaces: [ns('shop'), ns('infra')] }));
    assert.deepEqual(r.rejections, []);
    assert.deepEqual(r.members.map((m) => [m.hostname, m.ip, m.tls, m.port, m.paths, m.vsUuid]), [['shop.example.com', '10.1.1.1', true, 443, ['/api', '/cart'], 'vs-shared']]);
  });

  it('MemberIndex.batch: the objects one event re-derives are reported once per key, after all of them changed', () => {
    const seen: Array<[string, string[]]> = [];
    const index: MemberIndex = new MemberIndex((key) => seen.push([key, index.membersOf(key).map((m) => m.ip).sort()]));
    const member = (name: string, ip: string) => namedRecord({ ...deriveHttpRoute(httpRoute(name, 'apps', { labels: SEL, hostnames: ['b.example.com'], parents: [{ gateway: 'g' }] }), ctx([gateway('g', 'apps', { ips: [ip], vsUuid: 'vs', listeners: [listener('l', 'HTTP', 80)] })])).members[0]! }, { gsName: 'b.example.com', aliases: [] });
    index.set('c1/httproutes/apps/r1', [member('r1', '10.0.0.1')]);
    index.set('c1/httproutes/apps/r2', [member('r2', '10.0.0.1')]);
    seen.length = 0;
    index.batch(() => {
      index.set('c1/httproutes/apps/r1', [member('r1', '10.0.0.2')]);
      index.set('c1/httproutes/apps/r2', [member('r2', '10.0.0.2')]);
    });
    assert.deepEqual(seen, [['admin/b.example.com', ['10.0.0.2', '10.0.0.2']]]);
  });

  it('the informers keep what derivation reads of Gateways and HTTPRoutes (slim objects derive the same)', () => {
    const gw = gateway('g', 'apps', { ips: ['10.9.0.1'], vsUuid: 'vs-g', listeners: [listener('l', 'HTTPS', 443, '*.example.com', { namespaces: { from: 'All' } })] });
    const rt = httpRoute('r', 'apps', { labels: SEL, hostnames: ['s.example.com'], parents: [{ gateway: 'g', sectionName: 'l', port: 443 }], paths: [{ type: 'Exact', value: '/x' }] });
    const slimGw = slimMemberObject('gateways', gw as never) as Gateway;
    const slimRt = slimMemberObject('httproutes', rt as never) as HTTPRoute;
    assert.deepEqual(deriveHttpRoute(slimRt, ctx([slimGw])), deriveHttpRoute(rt, ctx([gw])));
    assert.equal(deriveHttpRoute(slimRt, ctx([slimGw])).members.length, 1);
  });
});
