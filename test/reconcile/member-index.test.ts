// MemberIndex keeps its per-cluster member counts (the amko_worker_members gauge, read on each /metrics scrape) as
// objects change, instead of walking every member on each read: the counts must always equal a recount.
import assert from 'node:assert/strict';
import { MemberIndex } from '../../src/reconcile/member-index.js';
import type { NamedMember } from '../../src/reconcile/members/types.js';

const member = (cluster: string, name: string, host: string): NamedMember =>
  ({ cluster, kind: 'ingress', namespace: 'ns', name, hostname: host, ip: '10.0.0.1', tenant: 'admin', tls: false, passthrough: false, gsName: host, aliases: [] }) as unknown as NamedMember;

function recount(index: MemberIndex): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of index.keys()) for (const m of index.membersOf(key)) out.set(m.cluster, (out.get(m.cluster) ?? 0) + 1);
  return out;
}

describe('MemberIndex per-cluster counts', () => {
  it('follow set, replace, removal, dropCluster and clear, and always equal a recount', () => {
    const index = new MemberIndex(() => undefined);
    const check = (want: Record<string, number>) => {
      assert.deepEqual(Object.fromEntries(index.countsByCluster()), want);
      assert.deepEqual(Object.fromEntries(recount(index)), want);
    };
    index.set('c1/ingresses/ns/a', [member('c1', 'a', 'x.example.com'), member('c1', 'a', 'y.example.com')]);
    index.set('c2/ingresses/ns/a', [member('c2', 'a', 'x.example.com')]);
    check({ c1: 2, c2: 1 });
    index.set('c1/ingresses/ns/a', [member('c1', 'a', 'x.example.com')]); // one host removed
    check({ c1: 1, c2: 1 });
    index.set('c1/ingresses/ns/a', [member('c1', 'a', 'x.example.com')]); // unchanged
    check({ c1: 1, c2: 1 });
    index.set('c2/ingresses/ns/a', []); // object deleted: the cluster has none left
    check({ c1: 1 });
    index.set('c2/ingresses/ns/b', [member('c2', 'b', 'z.example.com')]);
    index.dropCluster('c1');
    check({ c2: 1 });
    index.clear();
    check({});
  });
});
