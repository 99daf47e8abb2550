// Pure HostRule → GslbService naming (src/reconcile/custom-fqdn/mapping.ts).
import assert from 'node:assert/strict';
import { buildMapping, hostRuleEntry, type HostRule } from '../../src/reconcile/custom-fqdn/mapping.js';
import type { MemberRecord } from '../../src/reconcile/members/types.js';

let seq = 0;
function hr(
  name: string,
  fqdn: string,
  opts: { gslb?: string; include?: boolean; aliases?: string[]; tls?: boolean; status?: string; ns?: string; at?: number } = {},
): HostRule {
  return {
    metadata: { name, namespace: opts.ns ?? 'app', creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, opts.at ?? seq++)).toISOString() },
    spec: {
      virtualhost: {
        fqdn,
        ...(opts.aliases ? { aliases: opts.aliases } : {}),
        ...(opts.gslb !== undefined || opts.include !== undefined ? { gslb: { fqdn: opts.gslb, includeAliases: opts.include } } : {}),
        ...(opts.tls ? { tls: { sslKeyCertificate: { name: 'cert', type: 'ref' } } } : {}),
      },
    },
    status: { status: opts.status ?? 'Accepted' },
  };
}

function member(cluster: string, hostname: string, extra: Partial<MemberRecord> & { akoPassthrough?: boolean } = {}): MemberRecord {
  return {
    cluster,
    kind: 'INGRESS',
    namespace: 'app',
    name: 'web',
    hostname,
    ip: '10.0.0.1',
    tenant: 'admin',
    tls: false,
    passthrough: false,
    paths: ['/'],
    syncVipOnly: false,
    ...extra,
  };
}

describe('custom FQDN mapping (pure)', () => {
  it('reads only Accepted HostRules with a virtualhost.fqdn', () => {
    assert.equal(hostRuleEntry('c1', hr('a', 'x.local', { status: 'Rejected' })), undefined);
    assert.equal(hostRuleEntry('c1', hr('a', '')), undefined);
    const e = hostRuleEntry('c1', hr('a', 'x.local', { gslb: 'x.global', include: true, aliases: ['a1', 'a1', 'a2'], tls: true }));
    assert.deepEqual(
      { ...e, createdAt: 0 },
      { cluster: 'c1', namespace: 'app', name: 'a', fqdn: 'x.local', aliases: ['a1', 'a2'], gslbFqdn: 'x.global', includeAliases: true, tlsCert: true, createdAt: 0 },
    );
  });

  it('custom mode: maps per cluster; several local FQDNs and clusters share one global FQDN; unmapped members are dropped', () => {
    const m = buildMapping(
      [
        ['c1', [hr('r1', 'a.c1.local', { gslb: 'app.global' }), hr('r2', 'b.c1.local', { gslb: 'app.global' })]],
        ['c2', [hr('r3', 'a.c2.local', { gslb: 'app.global' })]],
      ],
      true,
    );
    assert.deepEqual(m.name(member('c1', 'a.c1.local')), { gsName: 'app.global', aliases: [] });
    assert.deepEqual(m.name(member('c1', 'b.c1.local')), { gsName: 'app.global', aliases: [] });
    assert.deepEqual(m.name(member('c2', 'a.c2.local')), { gsName: 'app.global', aliases: [] });
    // The mapping is per cluster: c2 has no rule for a.c1.local.
    assert.deepEqual(m.explain(member('c2', 'a.c1.local')), { drop: 'no-mapping' });
  });

  it('custom mode: aliases only with includeAliases; default mode: aliases of every HostRule for the host, includeAliases ignored', () => {
    const rules: Array<[string, HostRule[]]> = [
      ['c1', [hr('r1', 'a.local', { gslb: 'g.global', include: false, aliases: ['x.alias'] })]],
      ['c2', [hr('r2', 'a.local', { gslb: 'g.global', include: true, aliases: ['y.alias'] })]],
    ];
    const custom = buildMapping(rules, true);
    assert.deepEqual(custom.name(member('c1', 'a.local')), { gsName: 'g.global', aliases: [] });
    assert.deepEqual(custom.name(member('c2', 'a.local')), { gsName: 'g.global', aliases: ['y.alias'] });
    const def = buildMapping(rules, false);
    assert.deepEqual(def.name(member('c1', 'a.local')), { gsName: 'a.local', aliases: ['x.alias', 'y.alias'] });
    assert.deepEqual(def.name(member('c3', 'other.local')), { gsName: 'other.local', aliases: [] });
  });

  it('an alias is claimed by one GslbService only: the oldest HostRule wins, deterministically', () => {
    const rules: Array<[string, HostRule[]]> = [
      ['c2', [hr('newer', 'b.local', { gslb: 'b.global', include: true, aliases: ['shared.alias', 'b.alias'], at: 20 })]],
      ['c1', [hr('older', 'a.local', { gslb: 'a.global', include: true, aliases: ['shared.alias'], at: 10 })]],
    ];
    const m = buildMapping(rules, true);
    assert.deepEqual(m.name(member('c1', 'a.local'))!.aliases, ['shared.alias']);
    assert.deepEqual(m.name(member('c2', 'b.local'))!.aliases, ['b.alias']);
    assert.deepEqual(m.conflicts, [{ alias: 'shared.alias', owner: 'a.global', ignored: 'b.global', hostRule: 'c2/app/newer' }]);
    // Same in default mode, with local names as claimants.
    const d = buildMapping(rules, false);
    assert.deepEqual(d.name(member('c2', 'b.local'))!.aliases, ['b.alias']);
    assert.deepEqual(d.conflicts.map((c) => [c.owner, c.ignored]), [['a.local', 'b.local']]);
    // Two HostRules of the same GS listing the same alias do not conflict.
    const same = buildMapping([['c1', [hr('p', 'a.local', { aliases: ['s'] })]], ['c2', [hr('q', 'a.local', { aliases: ['s'] })]]], false);
    assert.deepEqual(same.conflicts, []);
    assert.deepEqual(same.name(member('c2', 'a.local'))!.aliases, ['s']);
  });

  it('HostRule TLS certificate makes Ingress/Route members TLS (same cluster and namespace), never services', () => {
    const m = buildMapping([['c1', [hr('t', 'a.local', { gslb: 'g.global', tls: true })]]], true);
    assert.deepEqual(m.name(member('c1', 'a.local')), { gsName: 'g.global', aliases: [], tls: true });
    assert.equal(m.name(member('c1', 'a.local', { namespace: 'other' }))!.tls, undefined);
    assert.equal(m.name(member('c1', 'a.local', { kind: 'LBSVC', paths: [] }))!.tls, undefined);
    assert.equal(m.name(member('c1', 'a.local', { tls: true }))!.tls, undefined, 'already TLS: no override');
  });

  it('custom mode excludes passthrough routes and passthrough-annotated ingresses; default mode keeps them', () => {
    const rules: Array<[string, HostRule[]]> = [['c1', [hr('r', 'p.local', { gslb: 'p.global' })]]];
    const custom = buildMapping(rules, true);
    assert.deepEqual(custom.explain(member('c1', 'p.local', { kind: 'ROUTE', passthrough: true })), { drop: 'passthrough' });
    assert.deepEqual(custom.explain(member('c1', 'p.local', { akoPassthrough: true })), { drop: 'passthrough' });
    assert.equal(buildMapping(rules, false).name(member('c1', 'p.local', { akoPassthrough: true }))!.gsName, 'p.local');
  });

  it('fingerprints change with the mode and with HostRule content only', () => {
    const r: Array<[string, HostRule[]]> = [['c1', [hr('r', 'a.local', { gslb: 'g', at: 1 })]]];
    assert.equal(buildMapping(r, true).fingerprint(), buildMapping(r, true).fingerprint());
    assert.notEqual(buildMapping(r, true).fingerprint(), buildMapping(r, false).fingerprint());
    assert.notEqual(buildMapping(r, true).fingerprint(), buildMapping([['c1', [hr('r', 'a.local', { gslb: 'g2', at: 1 })]]], true).fingerprint());
  });
});
