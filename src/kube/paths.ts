// The REST paths of every resource the process reads or writes, in one place.
import { GROUP } from '../api/common.js';
import { KINDS, type KindName } from '../api/kinds.js';

const named = (base: string, name?: string) => (name === undefined ? base : `${base}/${encodeURIComponent(name)}`);

/** An amko.vmware.com object (or the collection) in a namespace. */
export function crPath(kind: KindName, namespace: string, name?: string): string {
  const k = KINDS[kind];
  return named(`/apis/${GROUP}/${k.version}/namespaces/${namespace}/${k.plural}`, name);
}

/** A namespaced core/v1 object (or the collection): secrets, events, services, … */
export function corePath(plural: 'secrets' | 'events' | 'services' | 'configmaps', namespace: string, name?: string): string {
  return named(`/api/v1/namespaces/${namespace}/${plural}`, name);
}

export type WebhookPlural = 'validatingwebhookconfigurations' | 'mutatingwebhookconfigurations';

/** An admissionregistration.k8s.io/v1 webhook configuration (cluster-scoped). */
export function webhookConfigPath(plural: WebhookPlural, name: string): string {
  return named(`/apis/admissionregistration.k8s.io/v1/${plural}`, name);
}

/** A coordination.k8s.io/v1 Lease (or the collection). */
export function leasePath(namespace: string, name?: string): string {
  return named(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`, name);
}

/** The member-cluster collections the worker watches, across all namespaces. */
export const MEMBER_PATHS = {
  namespaces: '/api/v1/namespaces',
  ingresses: '/apis/networking.k8s.io/v1/ingresses',
  services: '/api/v1/services',
  routes: '/apis/route.openshift.io/v1/routes',
} as const;

/** OpenShift's Route API (discovery). */
export const ROUTE_API = '/apis/route.openshift.io/v1';

/** AKO's HostRule API (discovery) and its collection across all namespaces. */
export const HOSTRULE_API = '/apis/ako.vmware.com/v1beta1';
export const HOSTRULE_PATH = `${HOSTRULE_API}/hostrules`;
