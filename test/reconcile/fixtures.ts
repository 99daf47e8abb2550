// Object builders shared by the reconcile tests.
import type { V1Ingress, V1Namespace, V1Service } from '@kubernetes/client-node';
import type { GDPSpec } from '../../src/api/gdp.js';
import type { GSLBHostRuleSpec } from '../../src/api/gslbhostrule.js';
import type { DesiredInputs } from '../../src/reconcile/desired/gslbservice.js';
import type { Route } from '../../src/reconcile/members/derive.js';
import type { NamedMember } from '../../src/reconcile/members/types.js';

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

/** The amko-uuid of the instance the desired-state tests plan for, and the created_by it writes. */
export const AMKO_UUID = '11111111-2222-3333-4444-555555555555';
export const CREATED_BY = `amko-${AMKO_UUID}`;

/** What buildDesired/buildDesiredGs read besides the members: a GDP, GSLBHostRules (keyed by FQDN) and templates. */
export function desiredInputs(gdp?: GDPSpec, rules: GSLBHostRuleSpec[] = [], templates: DesiredInputs['templates'] = new Map()): DesiredInputs {
  return { createdBy: CREATED_BY, amkoUuid: AMKO_UUID, gdp, hostRules: new Map(rules.map((r) => [r.fqdn, r])), templates };
}

/** A member Ingress app.example.com on path `/` in `cluster`, with VS and controller uuids derived from the cluster name. */
export function namedMember(p: Partial<NamedMember> & Pick<NamedMember, 'cluster' | 'ip'>): NamedMember {
  return {
    kind: 'INGRESS',
    namespace: 'default',
    name: 'ing',
    hostname: 'app.example.com',
    gsName: 'app.example.com',
    aliases: [],
    tenant: 'admin',
    tls: false,
    passthrough: false,
    paths: ['/'],
    vsUuid: `vs-${p.cluster}`,
    controllerUuid: `ctrl-${p.cluster}`,
    syncVipOnly: false,
    ...p,
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
