// The webhook's read-only view of its own cluster: the process's shared cache
// of the AMKO namespace (src/manager/cache.ts), plus a direct read (`confirm`)
// for the decisions a lagging cache could get wrong (a second singleton created
// milliseconds after the first, a GSLBConfig applied in the same
// `kubectl apply -f` as a GDP).
import type { KubernetesObject } from '@kubernetes/client-node';
import { apiVersionOf, KIND_NAMES, type KindName } from '../api/kinds.js';
import type { OwnClusterCache } from '../manager/cache.js';
import { overlayView, type ClusterView, type KubeObject } from '../rules/view.js';

/** The view the webhook reads other objects from; `confirm` reads the API server directly (no cache lag). */
export interface AdmissionView extends ClusterView {
  confirm?(kinds: KindName[]): Promise<ClusterView>;
}

/** Items of a list response carry no kind; the rules read `kind` off objects from a view. */
function withKind(kind: KindName, items: KubernetesObject[]): KubeObject[] {
  return items.map((o) => ({ ...(o as KubeObject), kind, apiVersion: o.apiVersion ?? apiVersionOf(kind) }));
}

/** The admission view over the shared cache; `kinds` are the kinds it reads (their informers are created now). */
export function admissionView(cache: OwnClusterCache, kinds: readonly KindName[] = KIND_NAMES): AdmissionView {
  for (const kind of kinds) cache.informer(kind);
  const cached: ClusterView = { list: (kind) => withKind(kind, cache.list(kind)) };
  return {
    list: cached.list,
    async confirm(confirmKinds: KindName[]): Promise<ClusterView> {
      const fresh: Partial<Record<KindName, KubeObject[]>> = {};
      await Promise.all(
        confirmKinds.map(async (kind) => {
          fresh[kind] = withKind(kind, await cache.listNow(kind));
        }),
      );
      return overlayView(cached, fresh);
    },
  };
}
