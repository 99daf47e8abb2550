// What the CRDs add to the TypeBox schemas, per kind and schema path: the size
// bounds and list types (src/api/crd-bounds.ts), the CEL forms of the rule
// catalogue (./catalogue.ts) and the defaults table (./defaults.ts). So the API
// server enforces the single-object rules and fills in the defaults even while
// the webhook is down; test/crds/parity.e2e.test.ts applies one table of
// manifests to both. src/api/crd.ts fails when a path matches no schema node.
import { CRD_BOUNDS, type KindOverlay } from '../api/crd-bounds.js';
import { KIND_NAMES, type KindName } from '../api/kinds.js';
import { CATALOGUE } from './catalogue.js';
import { DEFAULT_PATHS } from './defaults.js';

function kindOverlay(kind: KindName): KindOverlay {
  // Each node cloned on its own: CRD_BOUNDS shares node objects between paths.
  const out: KindOverlay = Object.fromEntries(Object.entries(CRD_BOUNDS[kind]).map(([p, o]) => [p, structuredClone(o)]));
  const at = (path: string) => (out[path] ??= {});
  for (const [path, value] of DEFAULT_PATHS[kind]) at(path).default = structuredClone(value);
  // A rule shared by several kinds is listed once per kind; each CEL rule goes in once.
  for (const rule of CATALOGUE[kind].rules) {
    for (const [path, cel] of Object.entries(rule.cel ?? {})) {
      const node = at(path);
      node['x-kubernetes-validations'] = [...(node['x-kubernetes-validations'] ?? []), ...structuredClone(cel)];
    }
  }
  return out;
}

export const CRD_OVERLAY: Readonly<Record<KindName, KindOverlay>> = Object.fromEntries(
  KIND_NAMES.map((k) => [k, kindOverlay(k)]),
) as Record<KindName, KindOverlay>;
