// Pure planning of one follower's GSLBConfig / GDP copies: given the leader's
// objects and the follower's current ones (same kind, AMKO namespace), what to
// create, replace and delete so that the follower holds exactly the leader's
// objects. A copy carries the name, the spec and (for GSLBConfig) the
// amko-uuid annotation; never resourceVersion, uid, managedFields or status.
import { isDeepStrictEqual } from 'node:util';
import { UUID_ANNOTATION } from '../api/common.js';

/** The parts of a custom object the planner reads. */
export interface FederatedObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    deletionTimestamp?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    [k: string]: unknown;
  };
  spec?: unknown;
  status?: unknown;
}

export interface CopyOptions {
  apiVersion: string;
  kind: string;
  namespace: string;
  /** Copy the amko-uuid annotation (GSLBConfig: yes). */
  copyUuidAnnotation: boolean;
}

export interface FollowerPlan<T extends FederatedObject = FederatedObject> {
  /** Objects to POST (no resourceVersion). */
  create: T[];
  /** Whole objects to PUT: the follower's metadata (resourceVersion kept) with the leader's spec and uuid annotation. */
  update: T[];
  /** Names to DELETE (strays: not on the leader). */
  delete: string[];
}

function uuidOf(o: FederatedObject): string | undefined {
  return o.metadata?.annotations?.[UUID_ANNOTATION];
}

/** A fresh copy of a leader object for creation on a follower. */
export function copyForCreate<T extends FederatedObject>(leader: T, opts: CopyOptions): T {
  const metadata: NonNullable<FederatedObject['metadata']> = { name: leader.metadata?.name, namespace: opts.namespace };
  const uuid = uuidOf(leader);
  if (opts.copyUuidAnnotation && uuid !== undefined) metadata.annotations = { [UUID_ANNOTATION]: uuid };
  const out: FederatedObject = { apiVersion: opts.apiVersion, kind: opts.kind, metadata };
  if (leader.spec !== undefined) out.spec = structuredClone(leader.spec);
  return out as T;
}

/** True when the follower's object already carries the leader's spec (and uuid annotation, when copied). */
export function isInSync(leader: FederatedObject, follower: FederatedObject, opts: CopyOptions): boolean {
  if (!isDeepStrictEqual(leader.spec ?? null, follower.spec ?? null)) return false;
  if (opts.copyUuidAnnotation && uuidOf(leader) !== uuidOf(follower)) return false;
  return true;
}

/** The follower's object rewritten to the leader's spec and uuid annotation, ready for PUT. */
export function copyForUpdate<T extends FederatedObject>(leader: T, follower: T, opts: CopyOptions): T {
  const meta = { ...(follower.metadata ?? {}) };
  delete meta.managedFields;
  const annotations = { ...(meta.annotations ?? {}) };
  if (opts.copyUuidAnnotation) {
    const uuid = uuidOf(leader);
    if (uuid === undefined) delete annotations[UUID_ANNOTATION];
    else annotations[UUID_ANNOTATION] = uuid;
  }
  if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  else delete meta.annotations;
  const out: FederatedObject = { apiVersion: opts.apiVersion, kind: opts.kind, metadata: meta };
  if (leader.spec !== undefined) out.spec = structuredClone(leader.spec);
  return out as T;
}

/**
 * What to do on one follower. Leader objects being deleted are treated as
 * gone; follower objects being deleted are left alone (not re-deleted, and
 * re-created only once they are gone). Output is sorted by name.
 */
export function planFollower<T extends FederatedObject>(
  leaderObjects: readonly T[],
  followerObjects: readonly T[],
  opts: CopyOptions,
): FollowerPlan<T> {
  const leader = new Map<string, T>();
  for (const o of leaderObjects) {
    const n = o.metadata?.name;
    if (n && !o.metadata?.deletionTimestamp) leader.set(n, o);
  }
  const follower = new Map<string, T>();
  for (const o of followerObjects) {
    const n = o.metadata?.name;
    if (n) follower.set(n, o);
  }
  const plan: FollowerPlan<T> = { create: [], update: [], delete: [] };
  for (const name of [...leader.keys()].sort()) {
    const l = leader.get(name)!;
    const f = follower.get(name);
    if (!f) plan.create.push(copyForCreate(l, opts));
    else if (f.metadata?.deletionTimestamp) continue;
    else if (!isInSync(l, f, opts)) plan.update.push(copyForUpdate(l, f, opts));
  }
  for (const name of [...follower.keys()].sort()) {
    if (!leader.has(name) && !follower.get(name)!.metadata?.deletionTimestamp) plan.delete.push(name);
  }
  return plan;
}

export function isEmptyPlan(p: FollowerPlan): boolean {
  return p.create.length === 0 && p.update.length === 0 && p.delete.length === 0;
}
