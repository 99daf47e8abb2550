// Object builders shared by the reconcile tests.
import type { V1Ingress, V1Namespace, V1Service } from '@kubernetes/client-node';
import type { Route } from '../../src/reconcile/members/derive.js';

export const CTRL_UUID = 'cluster-0f4c5d1e-1111-2222-3333-444455556666';

export function akoAnnotations(hosts: string[], extra: Record<string, string> = {}): Record<string, string> {
  const map: Record<string, string> = {};
  for (const h of hosts) map[h] = `virtualservice-${h.replace(/\W/g, '')}`;
  return {
    'ako.vmware.com/host-fqdn-vs-uuid-map': JSON.stringify(map),
    'ako.vmware.com/controller-cluster-uuid': CTRL_UUID,
    ...extra,
  };
}

export function ns(name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): V1Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } };
}

export function ingress(
  name: string,
  namespace: string,
  opts: {
    labels?: Record<string, string>;
    hosts: Array<{ host: string; ip?: string; paths?: string[] }>;
    tlsHosts?: string[];
    annotations?: Record<string, string>;
  },
): V1Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace,
      labels: opts.labels ?? {},
      annotations: opts.annotations ?? akoAnnotations(opts.hosts.map((h) => h.host)),
    },
    spec: {
      rules: opts.hosts.map((h) => ({
        host: h.host,
        http: {
          paths: (h.paths ?? ['/']).map((p) => ({
            path: p,
            pathType: 'Prefix',
            backend: { service: { name: 'svc', port: { number: 80 } } },
          })),
        },
      })),
      ...(opts.tlsHosts ? { tls: [{ hosts: opts.tlsHosts, secretName: 'tls' }] } : {}),
    },
    status: {
      loadBalancer: { ingress: opts.hosts.filter((h) => h.ip).map((h) => ({ hostname: h.host, ip: h.ip })) },
    },
  };
}

export function lbService(
  name: string,
  namespace: string,
  opts: { labels?: Record<string, string>; host?: string; ip?: string; ports?: Array<{ port: number; protocol?: string }>; annotations?: Record<string, string> },
): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace,
      labels: opts.labels ?? {},
      annotations: opts.annotations ?? (opts.host ? akoAnnotations([opts.host]) : {}),
    },
    spec: { type: 'LoadBalancer', ports: (opts.ports ?? [{ port: 80 }]).map((p) => ({ port: p.port, protocol: p.protocol ?? 'TCP' })) },
    status: { loadBalancer: { ingress: opts.host || opts.ip ? [{ hostname: opts.host, ip: opts.ip }] : [] } },
  };
}

export function route(
  name: string,
  namespace: string,
  opts: {
    labels?: Record<string, string>;
    host?: string;
    subdomain?: string;
    path?: string;
    ip?: string;
    termination?: string;
    statusHost?: string;
    router?: string;
  },
): Route {
  const host = opts.statusHost ?? opts.host ?? '';
  return {
    apiVersion: 'route.openshift.io/v1',
    kind: 'Route',
    metadata: { name, namespace, labels: opts.labels ?? {}, annotations: {} },
    spec: {
      ...(opts.host ? { host: opts.host } : {}),
      ...(opts.subdomain ? { subdomain: opts.subdomain } : {}),
      ...(opts.path ? { path: opts.path } : {}),
      ...(opts.termination ? { tls: { termination: opts.termination } } : {}),
      to: { kind: 'Service', name: 'svc' },
    },
    status: opts.ip
      ? {
          ingress: [
            {
              host,
              routerName: opts.router ?? 'ako-cluster',
              conditions: [
                {
                  type: 'Admitted',
                  status: 'True',
                  reason: JSON.stringify({
                    'ako.vmware.com/host-fqdn-vs-uuid-map': JSON.stringify({ [host]: `virtualservice-${name}` }),
                    'ako.vmware.com/controller-cluster-uuid': CTRL_UUID,
                  }),
                  message: opts.ip,
                },
              ],
            },
          ],
        }
      : {},
  };
}
