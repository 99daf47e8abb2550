/**
 * This AMKO instance's role, derived live from the single AMKOCluster in
 * `avi-system` of the own cluster.
 *
 * | AMKOCluster objects           | role       | syncToAvi | federate |
 * |-------------------------------|------------|-----------|----------|
 * | none (or the CRD is absent)   | `none`     | yes       | no       |
 * | one, `spec.isLeader: true`    | `leader`   | yes       | yes      |
 * | one, `spec.isLeader` false    | `follower` | no        | no       |
 * | more than one                 | `invalid`  | no        | no       |
 * | before the first list         | `unknown`  | no        | no       |
 *
 * `none` keeps installs without an AMKOCluster working as before (a leader
 * without federation). Several AMKOClusters are ambiguous: nothing syncs until
 * only one is left (the Valid condition says why).
 *
 * Usage (the reconcile worker):
 * ```ts
 * const role = watchRole(ownKubeConfig, { log });
 * role.onChange((next, prev) => next.syncToAvi ? worker.resume() : worker.pause());
 * const first = await role.start();          // after the first list
 * if (first.syncToAvi) worker.resume();
 * ...
 * await role.stop();
 * ```
 * `onChange` fires only when role, syncToAvi, federate, clusterContext or
 * version change, never for status-only updates.
 */
import type { KubeConfigLike } from '../kube/config.js';
import { AMKO_NAMESPACE } from '../api/common.js';
import type { AMKOCluster } from '../api/amkocluster.js';
import type { Logger } from '../log.js';
import { kubeClient } from '../kube/client.js';
import { makeResilientInformer, type ResilientInformer } from '../kube/informer.js';
import { crPath } from '../kube/paths.js';
import { boundedDelay } from '../timers.js';

export type Role = 'leader' | 'follower' | 'none' | 'invalid' | 'unknown';

export interface RoleState {
  role: Role;
  /** This instance syncs GslbServices to the Avi leader. */
  syncToAvi: boolean;
  /** This instance copies GSLBConfig/GDP to the member clusters. */
  federate: boolean;
  /** The deciding AMKOCluster (role leader/follower). */
  amkoCluster?: { name: string; clusterContext: string; version: string; clusters: string[] };
  /** One-line human explanation. */
  reason: string;
}

export const UNKNOWN_ROLE: RoleState = { role: 'unknown', syncToAvi: false, federate: false, reason: 'AMKOCluster not listed yet' };

/** The role implied by the AMKOClusters of the own cluster's AMKO namespace (pure). */
export function roleFromAMKOClusters(items: readonly AMKOCluster[], namespace: string = AMKO_NAMESPACE): RoleState {
  const live = items.filter((a) => !(a.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp);
  if (live.length === 0) {
    return {
      role: 'none',
      syncToAvi: true,
      federate: false,
      reason: `no AMKOCluster in ${namespace}: syncing to Avi without federation`,
    };
  }
  if (live.length > 1) {
    const names = live.map((a) => a.metadata?.name ?? '?').sort();
    return {
      role: 'invalid',
      syncToAvi: false,
      federate: false,
      reason: `${live.length} AMKOClusters in ${namespace} (${names.join(', ')}); exactly one is allowed`,
    };
  }
  const a = live[0]!;
  const amkoCluster = {
    name: a.metadata?.name ?? '',
    clusterContext: a.spec?.clusterContext ?? '',
    version: a.spec?.version ?? '',
    clusters: [...(a.spec?.clusters ?? [])],
  };
  if (a.spec?.isLeader) {
    return { role: 'leader', syncToAvi: true, federate: true, amkoCluster, reason: `AMKOCluster ${amkoCluster.name} is a leader` };
  }
  return {
    role: 'follower',
    syncToAvi: false,
    federate: false,
    amkoCluster,
    reason: `AMKOCluster ${amkoCluster.name} is a follower (spec.isLeader is not true)`,
  };
}

function roleKey(s: RoleState): string {
  return JSON.stringify([s.role, s.syncToAvi, s.federate, s.amkoCluster?.clusterContext, s.amkoCluster?.version, s.amkoCluster?.name]);
}

export type RoleListener = (next: RoleState, prev: RoleState) => void;

export interface RoleWatcher {
  /** Starts the AMKOCluster watch; resolves with the role once the first list is in. */
  start(): Promise<RoleState>;
  stop(): Promise<void>;
  current(): RoleState;
  /** Registers a listener; returns an unsubscribe function. */
  onChange(listener: RoleListener): () => void;
  /** Resolves with the first role state (current included) that satisfies `pred`. */
  waitFor(pred: (s: RoleState) => boolean, timeoutMs?: number): Promise<RoleState>;
}

export interface WatchRoleOptions {
  namespace?: string;
  log?: Logger;
  /** Use an existing AMKOCluster informer (namespace-scoped) instead of starting one. */
  informer?: ResilientInformer<AMKOCluster & { metadata?: { name?: string } }>;
}

export function watchRole(kc: KubeConfigLike, options: WatchRoleOptions = {}): RoleWatcher {
  const namespace = options.namespace ?? AMKO_NAMESPACE;
  const owned = !options.informer;
  const informer =
    options.informer ??
    makeResilientInformer<AMKOCluster & { metadata?: { name?: string } }>(kubeClient(kc), crPath('AMKOCluster', namespace), {
      name: 'own/amkoclusters(role)',
      log: options.log,
      treatMissingApiAsEmpty: true,
    });
  let state: RoleState = UNKNOWN_ROLE;
  const listeners = new Set<RoleListener>();

  const recompute = () => {
    if (!informer.isSynced()) return;
    const next = roleFromAMKOClusters(informer.list(namespace), namespace);
    const prev = state;
    state = next;
    if (roleKey(prev) === roleKey(next)) return;
    options.log?.info({ role: next.role, syncToAvi: next.syncToAvi, federate: next.federate, reason: next.reason }, 'AMKO role');
    for (const l of [...listeners]) {
      try {
        l(next, prev);
      } catch (err) {
        options.log?.error({ err }, 'role listener failed');
      }
    }
  };
  informer.onEvent(() => recompute());

  return {
    async start() {
      if (owned) await informer.start();
      await informer.waitForSync();
      recompute();
      return state;
    },
    async stop() {
      if (owned) await informer.stop();
    },
    current: () => state,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    waitFor(pred, timeoutMs) {
      if (pred(state)) return Promise.resolve(state);
      return new Promise<RoleState>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const off = this.onChange((next) => {
          if (!pred(next)) return;
          off();
          clearTimeout(timer);
          resolve(next);
        });
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => {
            off();
            reject(new Error(`role condition not met after ${timeoutMs} ms (current: ${state.role})`));
          }, boundedDelay(timeoutMs));
          timer.unref?.();
        }
      });
    },
  };
}
