// Defaulting: what the mutating webhook and `amko default` fill in, so that the
// stored object states every value explicitly. Idempotent by construction: a
// value is only set where it is absent.
import { randomUUID } from 'node:crypto';
import { UUID_ANNOTATION } from '../api/common.js';
import type { KindName } from '../api/kinds.js';
import { arr, isObj, obj, type Obj } from './checks.js';
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

function defaultTrafficSplit(spec: Obj): void {
  for (const e of arr(spec.trafficSplit)) {
    if (!isObj(e)) continue;
    setDefault(e, 'weight', DEFAULTS.weight);
    setDefault(e, 'priority', DEFAULTS.priority);
  }
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
  const o = deepCopy(input);
  const spec = obj(o.spec);
  switch (kind) {
    case 'GSLBConfig': {
      if (spec) {
        setDefault(spec, 'refreshInterval', DEFAULTS.refreshInterval);
        setDefault(spec, 'logLevel', DEFAULTS.logLevel);
        setDefault(spec, 'useCustomGlobalFqdn', DEFAULTS.useCustomGlobalFqdn);
        const leader = obj(spec.gslbLeader);
        if (leader) setDefault(leader, 'tenant', DEFAULTS.tenant);
      }
      if (o.metadata === undefined) o.metadata = {};
      const meta = obj(o.metadata);
      if (meta) {
        if (meta.annotations === undefined || meta.annotations === null) meta.annotations = {};
        const annotations = obj(meta.annotations);
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
      for (const m of arr(spec.matchClusters)) if (isObj(m)) setDefault(m, 'syncVipOnly', DEFAULTS.syncVipOnly);
      if (spec.poolAlgorithmSettings === undefined) spec.poolAlgorithmSettings = {};
      const pool = obj(spec.poolAlgorithmSettings);
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
