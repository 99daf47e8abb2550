// The member-cluster objects of the sync benchmark: N FQDNs as a mix of
// Ingresses (4 hosts each, paths / and /api, in cluster1 and cluster2),
// LoadBalancer Services (one cluster each, round robin) and Routes (cluster2,
// which serves route.openshift.io). Every object carries AKO's annotations /
// route status and a load-balancer IP, so each FQDN becomes one GslbService.
import type { KubernetesObject } from '@kubernetes/client-node';
import { ingress, lbService, route } from '../test/reconcile/fixtures.js';

export const APP = 'bench-sync';
export const NAMESPACE = 'bench-sync';
export const CLUSTERS = ['cluster1', 'cluster2', 'cluster3'] as const;
export type ClusterName = (typeof CLUSTERS)[number];

export interface BenchObject {
  cluster: ClusterName;
  /** API collection path (namespaced). */
  collection: string;
  obj: KubernetesObject & { status?: unknown };
}

/** Expected GslbService per FQDN: priority -> member IP -> ratio. */
export type Expected = Map<string, Map<string, number>>;

export const COLLECTIONS = {
  ingresses: `/apis/networking.k8s.io/v1/namespaces/${NAMESPACE}/ingresses`,
  services: `/api/v1/namespaces/${NAMESPACE}/services`,
  routes: `/apis/route.openshift.io/v1/namespaces/${NAMESPACE}/routes`,
};

/** GDP traffic split: weight (ratio) and priority per cluster. */
export const TRAFFIC: Record<ClusterName, { weight: number; priority: number }> = {
  cluster1: { weight: 8, priority: 20 },
  cluster2: { weight: 2, priority: 20 },
  cluster3: { weight: 5, priority: 10 },
};

const HOSTS_PER_INGRESS = 4;
export const fqdn = (i: number) => `app-${i}.sync.bench.example.com`;
export const ip = (cluster: ClusterName, i: number, gen = 0) => {
  const c = CLUSTERS.indexOf(cluster) + 1;
  const v = i + gen * 40_000;
  return `10.${c * 10 + Math.floor(v / 65_536)}.${Math.floor(v / 256) % 256}.${v % 256}`;
};
export type Kind = 'ingress' | 'service' | 'route';
export const kindOf = (i: number): Kind => (i % 10 < 6 ? 'ingress' : i % 10 < 9 ? 'service' : 'route');

export function benchObjects(n: number): { objects: BenchObject[]; expected: Expected } {
  const objects: BenchObject[] = [];
  const expected: Expected = new Map();
  const labels = { app: APP };
  const ingressFqdns: number[] = [];
  for (let i = 0; i < n; i++) {
    const f = fqdn(i);
    switch (kindOf(i)) {
      case 'ingress':
        ingressFqdns.push(i);
        break;
      case 'service': {
        const cluster = CLUSTERS[i % 3]!;
        objects.push({
          cluster,
          collection: COLLECTIONS.services,
          obj: lbService(`svc-${i}`, NAMESPACE, { labels, host: f, ip: ip(cluster, i), ports: [{ port: 443 }] }),
        });
        expected.set(f, new Map([[ip(cluster, i), TRAFFIC[cluster].weight]]));
        break;
      }
      case 'route':
        objects.push({ cluster: 'cluster2', collection: COLLECTIONS.routes, obj: route(`route-${i}`, NAMESPACE, { labels, host: f, ip: ip('cluster2', i) }) });
        expected.set(f, new Map([[ip('cluster2', i), TRAFFIC.cluster2.weight]]));
        break;
    }
  }
  for (let g = 0; g < ingressFqdns.length; g += HOSTS_PER_INGRESS) {
    const group = ingressFqdns.slice(g, g + HOSTS_PER_INGRESS);
    for (const cluster of ['cluster1', 'cluster2'] as const) {
      objects.push({
        cluster,
        collection: COLLECTIONS.ingresses,
        obj: ingress(`ing-${group[0]}`, NAMESPACE, {
          labels,
          hosts: group.map((i) => ({ host: fqdn(i), ip: ip(cluster, i), paths: ['/', '/api'] })),
        }),
      });
    }
    for (const i of group) {
      expected.set(
        fqdn(i),
        new Map([
          [ip('cluster1', i), TRAFFIC.cluster1.weight],
          [ip('cluster2', i), TRAFFIC.cluster2.weight],
        ]),
      );
    }
  }
  return { objects, expected };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}
