// A read-only view of the four AMKO kinds, used by the cross-object rules
// (singletons, member clusters, FQDN uniqueness). Implemented by the admission
// server's own-cluster cache, by the offline CLI (the documents given) and by
// the reconcile worker. Rules never modify what they get from a view.
import type { KindName } from '../api/kinds.js';

/** The few fields cross-object rules read from any object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
  spec?: unknown;
  [k: string]: unknown;
}

export interface ClusterView {
  /** All objects of one kind the view knows about (any namespace; rules filter). */
  list(kind: KindName): ReadonlyArray<KubeObject>;
}

/** A view over a fixed set of objects (CLI documents, tests). Objects are grouped by their `kind`. */
export function staticView(objects: Iterable<KubeObject>): ClusterView {
  const byKind = new Map<string, KubeObject[]>();
  for (const o of objects) {
    if (!o || typeof o.kind !== 'string') continue;
    const list = byKind.get(o.kind) ?? [];
    list.push(o);
    byKind.set(o.kind, list);
  }
  return { list: (kind) => byKind.get(kind) ?? [] };
}

/** A view where some kinds come from `over` (e.g. a direct read) and the rest from `base`. */
export function overlayView(base: ClusterView, over: Partial<Record<KindName, ReadonlyArray<KubeObject>>>): ClusterView {
  return { list: (kind) => over[kind] ?? base.list(kind) };
}
