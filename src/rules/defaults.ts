// Defaulting: what the mutating webhook and `amko default` fill in, so that the
// stored object states every value explicitly. Idempotent by construction: a
// value is only set where it is absent.
import { randomUUID } from 'node:crypto';
import { DEFAULT_TENANT, UUID_ANNOTATION } from '../api/common.js';
import type { KindName } from '../api/kinds.js';
import { isObj, obj, type Obj } from './checks.js';
import type { Operation } from './types.js';

export interface DefaultsContext {
  operation?: Operation;
  oldObject?: unknown;
  /** UUID generator for the amko-uuid annotation (tests inject a fixed one). */
  newUuid?: () => string;
}

export const DEFAULTS = {
  refreshInterval: 1800,
  logLevel: 'INFO',
  useCustomGlobalFqdn: false,
  tenant: DEFAULT_TENANT,
  weight: 1,
  priority: 10,
  syncVipOnly: false,
  lbAlgorithm: 'GSLB_ALGORITHM_ROUND_ROBIN',
  isLeader: false,
} as const;

/**
 * Where each default goes: a schema path ("spec.x", "spec.list[].x") and the value set there when
 * absent, in the order applied (a parent before its children). The webhook's defaulting and the
 * CRD's schema defaults (./crd-overlay.ts) are both made from this table.
 */
export const DEFAULT_PATHS: Readonly<Record<KindName, ReadonlyArray<readonly [path: string, value: unknown]>>> = {
  GSLBConfig: [
    ['spec.gslbLeader.tenant', DEFAULTS.tenant],
    ['spec.refreshInterval', DEFAULTS.refreshInterval],
    ['spec.logLevel', DEFAULTS.logLevel],
    ['spec.useCustomGlobalFqdn', DEFAULTS.useCustomGlobalFqdn],
  ],
  GlobalDeploymentPolicy: [
    ['spec.matchClusters[].syncVipOnly', DEFAULTS.syncVipOnly],
    ['spec.trafficSplit[].weight', DEFAULTS.weight],
    ['spec.trafficSplit[].priority', DEFAULTS.priority],
    ['spec.poolAlgorithmSettings', { lbAlgorithm: DEFAULTS.lbAlgorithm }],
    ['spec.poolAlgorithmSettings.lbAlgorithm', DEFAULTS.lbAlgorithm],
  ],
  GSLBHostRule: [
    ['spec.trafficSplit[].weight', DEFAULTS.weight],
    ['spec.trafficSplit[].priority', DEFAULTS.priority],
  ],
  AMKOCluster: [['spec.isLeader', DEFAULTS.isLeader]],
};

/** One step of a default's path: `key`, or each entry of the list `key` (`key[]`). */
interface Segment {
  key: string;
  list: boolean;
}

/** DEFAULT_PATHS split once, not on every request. */
const SEGMENTS = Object.fromEntries(
  Object.entries(DEFAULT_PATHS).map(([kind, paths]) => [
    kind,
    paths.map(([path, value]) => [path.split('.').map((seg) => (seg.endsWith('[]') ? { key: seg.slice(0, -2), list: true } : { key: seg, list: false })), value] as const),
  ]),
) as unknown as Record<KindName, ReadonlyArray<readonly [readonly Segment[], unknown]>>;

/**
 * Deep copy of a JSON value without recursion: structuredClone (and JSON.stringify)
 * overflow the stack on a few thousand levels of nesting, which any request body may carry.
 */
export function deepCopy<T extends object>(root: T): T {
  const out = (Array.isArray(root) ? [] : {}) as T;
  const stack: Array<[object, object]> = [[root, out]];
  while (stack.length) {
    const [src, dst] = stack.pop()!;
    for (const k of Object.keys(src)) {
      const v = (src as Record<string, unknown>)[k];
      let value = v;
      if (v !== null && typeof v === 'object') {
        value = Array.isArray(v) ? [] : {};
        stack.push([v, value as object]);
      }
      // defineProperty: an own "__proto__" key (JSON.parse makes those) stays a plain key.
      Object.defineProperty(dst, k, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

/** Returns a defaulted deep copy of `input`; the input is not modified. Unknown kinds come back unchanged. */
export function defaults(kind: KindName, input: unknown, ctx: DefaultsContext = {}): unknown {
  if (!isObj(input)) return input;
  return applyDefaults(kind, deepCopy(input), ctx, false);
}

/**
 * Like `defaults`, without copying what defaulting leaves alone: the result shares every subtree
 * it does not touch with `input` (copy on write along the defaulted paths). For diffing against
 * the input (patchFor skips shared subtrees); neither it nor the input may be modified afterwards.
 */
export function defaultsShared(kind: KindName, input: unknown, ctx: DefaultsContext = {}): unknown {
  if (!isObj(input)) return input;
  return applyDefaults(kind, shallowCopy(input), ctx, true);
}

/**
 * `{ ...o }`, made so that V8 reuses its maps: properties added to a spread copy of a parsed object
 * made new hidden classes on every request (3 µs of the 4 µs defaulting of a GDP). Object.assign
 * would set the prototype for an own "__proto__" key (JSON.parse makes those); that rare object is
 * spread.
 */
function shallowCopy(o: Obj): Obj {
  return Object.hasOwn(o, '__proto__') ? { ...o } : Object.assign({}, o);
}

function applyDefaults(kind: KindName, o: Obj, ctx: DefaultsContext, copyOnWrite: boolean): Obj {
  // Nodes this call made (the root, and copies along defaulted paths): written in place.
  const own = new Set<object>([o]);
  const writable = <T extends object>(v: T): T => {
    if (!copyOnWrite || own.has(v)) return v;
    const c = (Array.isArray(v) ? [...v] : shallowCopy(v as Obj)) as T;
    own.add(c);
    return c;
  };
  /**
   * `node` with `value` set at `path[i..]` wherever it is absent (lists, `x[]`: each object entry).
   * Copy on write: a node is copied only when something below it changes, so a default already
   * present everywhere (a weight on every entry) copies nothing.
   */
  const setAt = (node: Obj, path: readonly Segment[], i: number, value: unknown): Obj => {
    const { key, list } = path[i]!;
    if (i === path.length - 1) {
      if (node[key] !== undefined) return node;
      const w = writable(node);
      w[key] = isObj(value) ? deepCopy(value) : value;
      return w;
    }
    const child = node[key];
    if (list) {
      if (!Array.isArray(child)) return node;
      let copy: unknown[] | undefined;
      for (let j = 0; j < child.length; j++) {
        const e: unknown = child[j];
        if (!isObj(e)) continue;
        const changed = setAt(e, path, i + 1, value);
        if (changed === e) continue;
        copy ??= writable(child);
        copy[j] = changed;
      }
      if (copy === undefined || copy === child) return node;
      const w = writable(node);
      w[key] = copy;
      return w;
    }
    if (!isObj(child)) return node;
    const changed = setAt(child, path, i + 1, value);
    if (changed === child) return node;
    const w = writable(node);
    w[key] = changed;
    return w;
  };
  for (const [path, value] of SEGMENTS[kind]) setAt(o, path, 0, value); // the root is always `own`

  if (kind === 'GSLBConfig') {
    // The instance UUID: kept from the stored object on UPDATE, else a new one.
    if (o.metadata === undefined) o.metadata = {};
    const meta = obj(o.metadata) && writable(o.metadata as Obj);
    if (meta) {
      o.metadata = meta;
      if (meta.annotations === undefined || meta.annotations === null) meta.annotations = {};
      const annotations = obj(meta.annotations) && writable(meta.annotations as Obj);
      if (annotations) {
        meta.annotations = annotations;
        if (annotations[UUID_ANNOTATION] === undefined) {
          const old = ctx.operation === 'UPDATE' ? obj(obj(obj(ctx.oldObject)?.metadata)?.annotations)?.[UUID_ANNOTATION] : undefined;
          annotations[UUID_ANNOTATION] = typeof old === 'string' ? old : (ctx.newUuid ?? randomUUID)();
        }
      }
    }
  }
  return o;
}
