// GDP selection (the product documents' appSelector × namespaceSelector table).
// Fixes the original's quirk of silently ignoring selectors with more than one
// label: every label of a selector must match.
import type { GDPSpec } from '../../api/gdp.js';

export interface Selection {
  /** appSelector labels (absent or empty = no appSelector). */
  app?: Record<string, string>;
  /** namespaceSelector labels (absent or empty = no namespaceSelector). */
  namespace?: Record<string, string>;
  /** matchClusters: cluster context → syncVipOnly. */
  clusters: Map<string, { syncVipOnly: boolean }>;
}

function nonEmpty(labels: Record<string, string> | undefined): Record<string, string> | undefined {
  return labels && Object.keys(labels).length > 0 ? labels : undefined;
}

export function selectionFromGdp(spec: GDPSpec | undefined): Selection {
  const clusters = new Map<string, { syncVipOnly: boolean }>();
  for (const c of spec?.matchClusters ?? []) clusters.set(c.cluster, { syncVipOnly: c.syncVipOnly === true });
  return {
    app: nonEmpty(spec?.matchRules?.appSelector?.label),
    namespace: nonEmpty(spec?.matchRules?.namespaceSelector?.label),
    clusters,
  };
}

/** True when every label of `selector` is present with the same value in `labels`. */
export function labelsMatch(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(selector)) {
    if (!labels || !Object.hasOwn(labels, k) || labels[k] !== v) return false;
  }
  return true;
}

export type SelectionVerdict = { selected: true } | { selected: false; reason: string };

/**
 * Decides whether an object in `cluster`, with `labels`, in a namespace with
 * `namespaceLabels` (undefined when the namespace is unknown) is selected.
 */
export function isSelected(
  sel: Selection,
  cluster: string,
  labels: Record<string, string> | undefined,
  namespaceLabels: Record<string, string> | undefined,
): SelectionVerdict {
  if (!sel.app && !sel.namespace) return { selected: false, reason: 'the GDP has no appSelector and no namespaceSelector' };
  if (!sel.clusters.has(cluster)) return { selected: false, reason: `cluster ${cluster} is not in matchClusters` };
  if (sel.namespace && !labelsMatch(sel.namespace, namespaceLabels)) {
    return { selected: false, reason: 'namespace does not match the namespaceSelector' };
  }
  if (sel.app && !labelsMatch(sel.app, labels)) return { selected: false, reason: 'labels do not match the appSelector' };
  return { selected: true };
}
