// Gateway API objects as AKO leaves them (gateway.networking.k8s.io/v1, status included), shaped to pass the
// standard-channel CRDs' schemas, for the pure HTTPRoute tests and the real-apiserver ones.
import type { Gateway, HTTPRoute, Listener } from '../../src/reconcile/members/gateway-api.js';

export const AKO_CONTROLLER = 'ako.vmware.com/avi-lb';
export const GATEWAY_CLASS = 'avi-lb';

const condition = (type: string, ok: boolean, message = '') => ({
  type,
  status: ok ? 'True' : 'False',
  reason: ok ? type : 'Pending',
  message,
  lastTransitionTime: '2026-01-01T00:00:00Z',
  observedGeneration: 1,
});

export function listener(name: string, protocol: 'HTTP' | 'HTTPS', port: number, hostname?: string, allowedRoutes?: Listener['allowedRoutes']): Listener {
  return {
    name,
    protocol,
    port,
    ...(hostname ? { hostname } : {}),
    ...(allowedRoutes ? { allowedRoutes } : {}),
    ...(protocol === 'HTTPS' ? { tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'tls' }] } } : {}),
  } as Listener;
}

export function gateway(
  name: string,
  namespace: string,
  opts: { listeners: Listener[]; ips?: string[]; programmed?: boolean; vsUuid?: string; annotations?: Record<string, string> },
): Gateway {
  const programmed = opts.programmed ?? true;
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace, annotations: opts.annotations ?? {} },
    spec: { gatewayClassName: GATEWAY_CLASS, listeners: opts.listeners },
    status: {
      addresses: (opts.ips ?? []).map((value) => ({ type: 'IPAddress', value })),
      conditions: [condition('Accepted', true), condition('Programmed', programmed, opts.vsUuid ? JSON.stringify({ VSUUID: opts.vsUuid }) : '')],
    },
  };
}

export interface ParentSpec {
  gateway: string;
  namespace?: string;
  sectionName?: string;
  port?: number;
  accepted?: boolean;
  controller?: string;
  /** In status.parents only (a stale entry). */
  statusOnly?: boolean;
}

export function httpRoute(
  name: string,
  namespace: string,
  opts: { labels?: Record<string, string>; hostnames?: string[]; parents: ParentSpec[]; paths?: Array<{ type: string; value: string }> | null },
): HTTPRoute {
  const ref = (p: ParentSpec) => ({
    group: 'gateway.networking.k8s.io',
    kind: 'Gateway',
    name: p.gateway,
    ...(p.namespace ? { namespace: p.namespace } : {}),
    ...(p.sectionName ? { sectionName: p.sectionName } : {}),
    ...(p.port ? { port: p.port } : {}),
  });
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace, labels: opts.labels ?? {} },
    spec: {
      parentRefs: opts.parents.filter((p) => !p.statusOnly).map(ref),
      ...(opts.hostnames ? { hostnames: opts.hostnames } : {}),
      rules: [
        {
          ...(opts.paths === null ? {} : { matches: (opts.paths ?? [{ type: 'PathPrefix', value: '/' }]).map((path) => ({ path })) }),
          backendRefs: [{ name: 'web', port: 80 }],
        } as NonNullable<NonNullable<HTTPRoute['spec']>['rules']>[number],
      ],
    },
    status: {
      parents: opts.parents.map((p) => ({
        parentRef: ref(p),
        controllerName: p.controller ?? AKO_CONTROLLER,
        conditions: [condition('Accepted', p.accepted ?? true)],
      })),
    },
  };
}
