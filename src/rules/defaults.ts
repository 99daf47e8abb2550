// Defaulting: what the mutating webhook and `amko default` fill in, so that the
// stored object states every value explicitly. Idempotent by construction: a
// value is only set where it is absent.
import { randomUUID } from 'node:crypto';
import { UUID_ANNOTATION } from '../api/common.js';
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
  tenant: 'admin',
  weight: 1,
  priority: 10,
  syncVipOnly: false,
  lbAlgorithm: 'GSLB_ALGORITHM_ROUND_ROBIN',
  isLeader: false,
} as const;

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined) o[key] = value;
}

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
  return applyDefaults(kind, { ...input }, ctx, true);
}

function applyDefaults(kind: KindName, o: Obj, ctx: DefaultsContext, copyOnWrite: boolean): Obj {
  /** The object at parent[key], writable: itself (o is a deep copy) or a shallow copy put in its place. */
  const sub = (parent: Obj, key: string): Obj | undefined => {
    const v = obj(parent[key]);
    if (!v || !copyOnWrite) return v;
    const c = { ...v };
    parent[key] = c;
    return c;
  };
  /** The entries of the list at parent[key], their objects writable. */
  const list = (parent: Obj, key: string): unknown[] => {
    const a = parent[key];
    if (!Array.isArray(a)) return [];
    if (!copyOnWrite) return a;
    const c = a.map((e) => (isObj(e) ? { ...e } : e));
    parent[key] = c;
    return c;
  };
  const defaultTrafficSplit = (spec: Obj) => {
    for (const e of list(spec, 'trafficSplit')) {
      if (!isObj(e)) continue;
      setDefault(e, 'weight', DEFAULTS.weight);
      setDefault(e, 'priority', DEFAULTS.priority);
    }
  };
  const spec = sub(o, 'spec');
  switch (kind) {
    case 'GSLBConfig': {
      if (spec) {
        setDefault(spec, 'refreshInterval', DEFAULTS.refreshInterval);
        setDefault(spec, 'logLevel', DEFAULTS.logLevel);
        setDefault(spec, 'useCustomGlobalFqdn', DEFAULTS.useCustomGlobalFqdn);
        const leader = sub(spec, 'gslbLeader');
        if (leader) setDefault(leader, 'tenant', DEFAULTS.tenant);
      }
      if (o.metadata === undefined) o.metadata = {};
      const meta = sub(o, 'metadata');
      if (meta) {
        if (meta.annotations === undefined || meta.annotations === null) meta.annotations = {};
        const annotations = sub(meta, 'annotations');
        if (annotations && annotations[UUID_ANNOTATION] === undefined) {
          const old =
            ctx.operation === 'UPDATE' ? obj(obj(obj(ctx.oldObject)?.metadata)?.annotations)?.[UUID_ANNOTATION] : undefined;
          annotations[UUID_ANNOTATION] = typeof old === 'string' ? old : (ctx.newUuid ?? randomUUID)();
        }
      }
      break;
    }
    case 'GlobalDeploymentPolicy': {
      if (!spec) break;
      defaultTrafficSplit(spec);
      for (const m of list(spec, 'matchClusters')) if (isObj(m)) setDefault(m, 'syncVipOnly', DEFAULTS.syncVipOnly);
      if (spec.poolAlgorithmSettings === undefined) spec.poolAlgorithmSettings = {};
      const pool = sub(spec, 'poolAlgorithmSettings');
      if (pool) setDefault(pool, 'lbAlgorithm', DEFAULTS.lbAlgorithm);
      break;
    }
    case 'GSLBHostRule':
      if (spec) defaultTrafficSplit(spec);
      break;
    case 'AMKOCluster':
      if (spec) setDefault(spec, 'isLeader', DEFAULTS.isLeader);
      break;
  }
  return o;
}
