import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildDesired, buildDesiredGs, type DesiredInputs } from '../../src/reconcile/desired/gslbservice.js';
import { nonPathHmName, passthroughHmName, pathHmName } from '../../src/reconcile/desired/healthmonitors.js';
import type { GDPSpec } from '../../src/api/gdp.js';
import type { GSLBHostRuleSpec } from '../../src/api/gslbhostrule.js';
import { AMKO_UUID as UUID, CREATED_BY as CB, desiredInputs as inputs, namedMember as member } from './fixtures.js';

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

describe('reconcile/desired: GslbService model', () => {
  it('builds the GslbService JSON: name, domains, description, created_by, fixed fields, one group, default HM', () => {
    const d = buildDesiredGs('admin', 'app.example.com', [member({ cluster: 'c1', ip: '10.0.0.1' })], inputs({}))!;
    assert.deepEqual(d.gs, {
      name: 'app.example.com',
      domain_names: ['app.example.com'],
      description: 'INGRESS/c1/default/ing/app.example.com',
      created_by: CB,
      controller_health_status_enabled: true,
      enabled: true,
      is_federated: true,
      health_monitor_scope: 'GSLB_SERVICE_HEALTH_MONITOR_ALL_MEMBERS',
      min_members: 0,
      pool_algorithm: 'GSLB_SERVICE_ALGORITHM_PRIORITY',
      resolve_cname: false,
      use_edns_client_subnet: true,
      wildcard_match: false,
      site_persistence_enabled: false,
      groups: [
        {
          name: 'amko-gs-group-10',
          priority: 10,
          enabled: true,
          algorithm: 'GSLB_ALGORITHM_ROUND_ROBIN',
          min_health_monitors_up: 2,
          members: [{ enabled: true, ratio: 1, ip: { addr: '10.0.0.1', type: 'V4' }, cluster_uuid: 'ctrl-c1', vs_uuid: 'vs-c1' }],
        },
      ],
      health_monitor_refs: [`/api/healthmonitor?name=amko--${sha1('http--app.example.com--/')}`],
    });
    assert.equal(d.key, 'admin/app.example.com');
  });

  it('multi-cluster weights and priorities: one group per priority, highest first, members sorted by IP', () => {
    const gdp: GDPSpec = {
      trafficSplit: [
        { cluster: 'c1', weight: 8, priority: 20 },
        { cluster: 'c2', weight: 2, priority: 10 },
      ],
    };
    const ms = [member({ cluster: 'c3', ip: '10.0.0.3' }), member({ cluster: 'c2', ip: '10.0.0.2' }), member({ cluster: 'c1', ip: '10.0.0.1' })];
    const d = buildDesiredGs('admin', 'app.example.com', ms, inputs(gdp))!;
    assert.deepEqual(
      d.gs.groups.map((g) => [g.name, g.priority, g.members.map((m) => `${m.ip.addr}:${m.ratio}`)]),
      [
        ['amko-gs-group-20', 20, ['10.0.0.1:8']],
        ['amko-gs-group-10', 10, ['10.0.0.2:2', '10.0.0.3:1']],
      ],
    );
  });

  it('GSLBHostRule overrides GDP: ttl, trafficSplit, algorithm, downResponse, publicIP, third-party members, HM refs', () => {
    const gdp: GDPSpec = {
      ttl: 10,
      trafficSplit: [{ cluster: 'c1', weight: 5, priority: 10 }],
      poolAlgorithmSettings: { lbAlgorithm: 'GSLB_ALGORITHM_ROUND_ROBIN' },
      healthMonitorRefs: ['gdp-hm'],
    };
    const ghr: GSLBHostRuleSpec = {
      fqdn: 'app.example.com',
      ttl: 30,
      trafficSplit: [
        { cluster: 'c1', weight: 15, priority: 10 },
        { cluster: 'tp-site', weight: 3, priority: 5 },
      ],
      poolAlgorithmSettings: { lbAlgorithm: 'GSLB_ALGORITHM_GEO', geoFallback: { lbAlgorithm: 'GSLB_ALGORITHM_CONSISTENT_HASH', hashMask: 9 } },
      downResponse: { type: 'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP', fallbackIP: '2001:db8::1' },
      publicIP: [{ cluster: 'c1', ip: '203.0.113.1' }],
      thirdPartyMembers: [{ site: 'tp-site', vip: '192.0.2.10', publicIP: '203.0.113.10' }],
      healthMonitorRefs: ['hm-a', 'hm-b'],
    };
    const d = buildDesiredGs('admin', 'app.example.com', [member({ cluster: 'c1', ip: '10.0.0.1' })], inputs(gdp, [ghr]))!;
    assert.equal(d.gs.ttl, 30);
    assert.deepEqual(d.gs.down_response, { type: 'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP', fallback_ip: { addr: '2001:db8::1', type: 'V6' } });
    assert.deepEqual(d.gs.health_monitor_refs, ['/api/healthmonitor?name=hm-a', '/api/healthmonitor?name=hm-b']);
    assert.deepEqual(d.hms, []);
    assert.deepEqual(d.gs.groups, [
      {
        name: 'amko-gs-group-10',
        priority: 10,
        enabled: true,
        algorithm: 'GSLB_ALGORITHM_GEO',
        fallback_algorithm: 'GSLB_ALGORITHM_CONSISTENT_HASH',
        consistent_hash_mask: 9,
        min_health_monitors_up: 3,
        members: [
          {
            enabled: true,
            ratio: 15,
            ip: { addr: '10.0.0.1', type: 'V4' },
            cluster_uuid: 'ctrl-c1',
            vs_uuid: 'vs-c1',
            public_ip: { ip: { addr: '203.0.113.1', type: 'V4' } },
          },
        ],
      },
      {
        name: 'amko-gs-group-5',
        priority: 5,
        enabled: true,
        algorithm: 'GSLB_ALGORITHM_GEO',
        fallback_algorithm: 'GSLB_ALGORITHM_CONSISTENT_HASH',
        consistent_hash_mask: 9,
        min_health_monitors_up: 3,
        members: [{ enabled: true, ratio: 3, ip: { addr: '192.0.2.10', type: 'V4' }, public_ip: { ip: { addr: '203.0.113.10', type: 'V4' } } }],
      },
    ]);
    // Without the rule: GDP values.
    const g = buildDesiredGs('admin', 'app.example.com', [member({ cluster: 'c1', ip: '10.0.0.1' })], inputs(gdp))!;
    assert.equal(g.gs.ttl, 10);
    assert.equal(g.gs.groups[0]!.members[0]!.ratio, 5);
    assert.equal(g.gs.groups.length, 1);
    assert.deepEqual(g.gs.health_monitor_refs, ['/api/healthmonitor?name=gdp-hm']);
    assert.equal(g.gs.down_response, undefined);
  });

  it('consistent hash mask; controlPlaneHmOnly drops HMs and sets min_health_monitors_up 1', () => {
    const gdp: GDPSpec = { poolAlgorithmSettings: { lbAlgorithm: 'GSLB_ALGORITHM_CONSISTENT_HASH', hashMask: 24 }, controlPlaneHmOnly: true };
    const d = buildDesiredGs('admin', 'app.example.com', [member({ cluster: 'c1', ip: '10.0.0.1' })], inputs(gdp))!;
    assert.equal(d.gs.groups[0]!.consistent_hash_mask, 24);
    assert.equal(d.gs.groups[0]!.min_health_monitors_up, 1);
    assert.equal(d.gs.health_monitor_refs, undefined);
    assert.deepEqual(d.hms, []);
    const ghr: GSLBHostRuleSpec = { fqdn: 'app.example.com', controlPlaneHmOnly: false };
    assert.equal(buildDesiredGs('admin', 'app.example.com', [member({ cluster: 'c1', ip: '10.0.0.1' })], inputs(gdp, [ghr]))!.hms.length, 1);
  });

  it('site persistence only when every member is TLS; GHR enabled/disabled/PKI precedence', () => {
    const gdp: GDPSpec = { sitePersistenceRef: 'gap-1', pkiProfileRef: 'pki-gdp' };
    const tls = [member({ cluster: 'c1', ip: '10.0.0.1', tls: true })];
    const mixed = [...tls, member({ cluster: 'c2', ip: '10.0.0.2', tls: false })];
    const a = buildDesiredGs('admin', 'app.example.com', tls, inputs(gdp))!.gs;
    assert.equal(a.site_persistence_enabled, true);
    assert.equal(a.application_persistence_profile_ref, '/api/applicationpersistenceprofile?name=gap-1');
    assert.equal(a.pki_profile_ref, '/api/pkiprofile?name=pki-gdp');
    const b = buildDesiredGs('admin', 'app.example.com', mixed, inputs(gdp))!.gs;
    assert.equal(b.site_persistence_enabled, false);
    assert.equal(b.application_persistence_profile_ref, undefined);
    const off = buildDesiredGs('admin', 'app.example.com', tls, inputs(gdp, [{ fqdn: 'app.example.com', sitePersistence: { enabled: false } }]))!.gs;
    assert.equal(off.site_persistence_enabled, false);
    const own = buildDesiredGs(
      'admin',
      'app.example.com',
      tls,
      inputs(gdp, [{ fqdn: 'app.example.com', sitePersistence: { enabled: true, profileRef: 'gap-2', pkiProfileRef: 'pki-2' } }]),
    )!.gs;
    assert.equal(own.application_persistence_profile_ref, '/api/applicationpersistenceprofile?name=gap-2');
    assert.equal(own.pki_profile_ref, '/api/pkiprofile?name=pki-2');
  });

  it('dedupes members by IP (first by cluster/kind/ns/name wins) and lists every member object in the description', () => {
    const ms = [member({ cluster: 'c2', ip: '10.0.0.1', name: 'b' }), member({ cluster: 'c1', ip: '10.0.0.1', name: 'a' })];
    const d = buildDesiredGs('admin', 'app.example.com', ms, inputs({}))!;
    assert.equal(d.gs.groups[0]!.members.length, 1);
    assert.equal(d.gs.groups[0]!.members[0]!.vs_uuid, 'vs-c1');
    assert.equal(d.gs.description, 'INGRESS/c1/default/a/app.example.com,INGRESS/c2/default/b/app.example.com');
  });

  it('syncVipOnly members carry no UUIDs; no members → undefined (delete)', () => {
    const d = buildDesiredGs('admin', 'app.example.com', [member({ cluster: 'c1', ip: '10.0.0.1', syncVipOnly: true })], inputs({}))!;
    assert.deepEqual(d.gs.groups[0]!.members[0], { enabled: true, ratio: 1, ip: { addr: '10.0.0.1', type: 'V4' } });
    assert.equal(buildDesiredGs('admin', 'x', [], inputs({})), undefined);
  });

  it('buildDesired groups by tenant/gsName', () => {
    const all = buildDesired(
      [member({ cluster: 'c1', ip: '10.0.0.1' }), member({ cluster: 'c1', ip: '10.0.0.2', tenant: 't1' }), member({ cluster: 'c2', ip: '10.0.0.3' })],
      inputs({}),
    );
    assert.deepEqual([...all.keys()], ['admin/app.example.com', 't1/app.example.com']);
    assert.equal(all.get('admin/app.example.com')!.gs.groups[0]!.members.length, 2);
  });
});

describe('reconcile/desired: health monitors', () => {
  it('one HTTP monitor per unique path, named amko--sha1(http--gs--path), port 80, HEAD request', () => {
    const ms = [member({ cluster: 'c1', ip: '10.0.0.1', paths: ['/foo', '/'] }), member({ cluster: 'c2', ip: '10.0.0.2', kind: 'ROUTE', paths: ['/foo'] })];
    const d = buildDesiredGs('admin', 'app.example.com', ms, inputs({}))!;
    assert.deepEqual(
      d.hms.map((h) => h.name),
      [`amko--${sha1('http--app.example.com--/')}`, `amko--${sha1('http--app.example.com--/foo')}`],
    );
    assert.equal(pathHmName('http', 'app.example.com', '/foo'), `amko--${sha1('http--app.example.com--/foo')}`);
    assert.deepEqual(d.hms[1], {
      name: `amko--${sha1('http--app.example.com--/foo')}`,
      description: 'created by: amko, gsname: app.example.com, path: /foo, protocol: http',
      is_federated: true,
      send_interval: 10,
      receive_timeout: 4,
      successful_checks: 3,
      failed_checks: 3,
      allow_duplicate_monitors: true,
      monitor_port: 80,
      markers: [{ key: 'created-by', values: [CB] }],
      type: 'HEALTH_MONITOR_HTTP',
      http_monitor: { http_request: 'HEAD /foo HTTP/1.0', http_response_code: ['HTTP_2XX', 'HTTP_3XX'] },
    });
  });

  it('HTTPS when any member is TLS; template replaces request path and codes', () => {
    const ms = [member({ cluster: 'c1', ip: '10.0.0.1', tls: true, paths: ['/x'] })];
    const tpl = new Map([['tpl', { name: 'tpl', request: 'GET /healthz HTTP/1.1', responseCodes: ['HTTP_2XX'] }]]);
    const d = buildDesiredGs('admin', 'app.example.com', ms, inputs({ healthMonitorTemplate: 'tpl' }, [], tpl))!;
    assert.equal(d.hms[0]!.name, `amko--${sha1('https--app.example.com--/x')}`);
    assert.equal(d.hms[0]!.type, 'HEALTH_MONITOR_HTTPS');
    assert.equal(d.hms[0]!.monitor_port, 443);
    assert.deepEqual(d.hms[0]!.https_monitor, { http_request: 'GET /x HTTP/1.1', http_response_code: ['HTTP_2XX'] });
    assert.equal(d.hms[0]!.description, 'created by: amko, gsname: app.example.com, path: /x, protocol: https, created from: tpl');
  });

  it('LoadBalancer services: one TCP/UDP monitor named amko--sha1(gs) on the lowest port', () => {
    const ms = [
      member({ cluster: 'c1', ip: '10.0.0.1', kind: 'LBSVC', paths: [], port: 8080, protocol: 'TCP' }),
      member({ cluster: 'c2', ip: '10.0.0.2', kind: 'LBSVC', paths: [], port: 53, protocol: 'UDP' }),
    ];
    const d = buildDesiredGs('admin', 'svc.example.com', ms.map((m) => ({ ...m, gsName: 'svc.example.com' })), inputs({}))!;
    assert.equal(d.hms.length, 1);
    assert.equal(d.hms[0]!.name, nonPathHmName('svc.example.com'));
    assert.equal(d.hms[0]!.name, `amko--${sha1('svc.example.com')}`);
    assert.equal(d.hms[0]!.type, 'HEALTH_MONITOR_UDP');
    assert.equal(d.hms[0]!.monitor_port, 53);
    assert.deepEqual(d.hms[0]!.udp_monitor, { udp_request: 'created_by: amko, request string not required' });
  });

  it('passthrough routes share one TCP monitor on 443', () => {
    const ms = [member({ cluster: 'c1', ip: '10.0.0.1', kind: 'ROUTE', passthrough: true, paths: [], port: 443, protocol: 'TCP' })];
    const d = buildDesiredGs('admin', 'pt.example.com', ms, inputs({}))!;
    assert.deepEqual(d.hms.map((h) => h.name), [passthroughHmName(UUID)]);
    assert.equal(passthroughHmName(UUID), `amko--passthrough-hm-tcp-${UUID}`);
    assert.deepEqual(d.sharedHms, [passthroughHmName(UUID)]);
    assert.equal(d.hms[0]!.monitor_port, 443);
  });
});
