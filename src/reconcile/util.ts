// Small helpers shared by the worker's parts.
import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';

/** A short content hash (change detection, fingerprints). */
export function hash(v: unknown): string {
  return createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16);
}

/** The tenant of an Avi `tenant_ref` (`...#tenant`), else `fallback`. */
export function tenantOf(ref: string | undefined, fallback: string): string {
  if (!ref) return fallback;
  const i = ref.indexOf('#');
  return i >= 0 ? ref.slice(i + 1) : fallback;
}

/** Oldest first (creationTimestamp, then name): the first of a kind is the one in force. */
export function byAge(a: KubernetesObject, b: KubernetesObject): number {
  const ta = a.metadata?.creationTimestamp ? new Date(a.metadata.creationTimestamp).getTime() : 0;
  const tb = b.metadata?.creationTimestamp ? new Date(b.metadata.creationTimestamp).getTime() : 0;
  return ta - tb || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** Thrown into a sync that lost its right to write (not leading, config gone); never retried. */
export class Stopped extends Error {
  constructor(message = 'worker is not active') {
    super(message);
  }
}

const internPool = new Map<string, string>();
/**
 * One shared copy of a string that repeats across cached objects (namespaces, tenants, enums, owner markers),
 * instead of one copy per object as JSON parsing makes them. Bounded: past the limit strings are kept as given.
 */
export function intern<T extends string | undefined>(s: T): T {
  if (s === undefined) return s;
  const v = internPool.get(s);
  if (v !== undefined) return v as T;
  if (internPool.size < 20_000) internPool.set(s, s);
  return s;
}
