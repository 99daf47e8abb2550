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
  /**
   * True when the cached objects of these kinds follow a live watch (listed at a known
   * resourceVersion, every event since applied): then they lag the API server only by the watch's
   * delivery time. Without it every answer a direct read could change is confirmed first.
   */
  watchSynced?(kinds: KindName[]): boolean;
}

/** The admission view of the shared cache, with what webhook workers replicate from it (admission/workers/pool.ts). */
export interface CachedAdmissionView extends AdmissionView {
  confirm(kinds: KindName[]): Promise<ClusterView>;
  watchSynced(kinds: KindName[]): boolean;
  /** The direct read behind `confirm`: the objects of each kind, listed now. */
  listNow(kinds: KindName[]): Promise<Partial<Record<KindName, KubeObject[]>>>;
  /** Called after the cached objects of a kind changed. Returns an unsubscribe function. */
  onChange(listener: (kind: KindName) => void): () => void;
}

/** Items of a list response carry no kind; the rules read `kind` off objects from a view. */
function withKind(kind: KindName, items: readonly KubernetesObject[]): KubeObject[] {
  return items.map((o) => ({ ...(o as KubeObject), kind, apiVersion: o.apiVersion ?? apiVersionOf(kind) }));
}

/** The admission view over the shared cache; `kinds` are the kinds it reads (their informers are created now). */
export function admissionView(cache: OwnClusterCache, kinds: readonly KindName[] = KIND_NAMES): CachedAdmissionView {
  // The kinded list of each kind, built once per change rather than once per request.
  const lists = new Map<KindName, KubeObject[]>();
  const listeners = new Set<(kind: KindName) => void>();
  for (const kind of kinds) {
    cache.onEvent(kind, () => {
      lists.delete(kind);
      for (const l of listeners) l(kind);
    });
  }
  const list = (kind: KindName): KubeObject[] => {
    let l = lists.get(kind);
    if (!l) lists.set(kind, (l = withKind(kind, cache.informer(kind).list(cache.namespace))));
    return l;
  };
  const cached: ClusterView = { list };
  const listNow = async (confirmKinds: KindName[]) => {
    const fresh: Partial<Record<KindName, KubeObject[]>> = {};
    await Promise.all(
      confirmKinds.map(async (kind) => {
        fresh[kind] = withKind(kind, await cache.listNow(kind));
      }),
    );
    return fresh;
  };
  return {
    list,
    watchSynced: (watchKinds) => watchKinds.every((k) => cache.informer(k).isWatching()),
    listNow,
    async confirm(confirmKinds: KindName[]): Promise<ClusterView> {
      return overlayView(cached, await listNow(confirmKinds));
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
