// Pure checks: the own AMKOCluster (sanity) and each member cluster's
// AMKOCluster(s) against it. The federator turns the results into Conditions.
import { AMKO_NAMESPACE } from '../api/common.js';
import type { AMKOCluster } from '../api/amkocluster.js';
import { Reason } from './conditions.js';

export interface SanityError {
  reason: Reason;
  message: string;
}

/**
 * Sanity of this cluster's AMKOCluster objects in `namespace`. Returns the
 * first problem or undefined. `amkoClusters` is every AMKOCluster the own
 * cluster's informer sees in the AMKO namespace.
 */
export function checkOwnAMKOCluster(
  amkoClusters: readonly AMKOCluster[],
  namespace: string = AMKO_NAMESPACE,
): SanityError | undefined {
  if (amkoClusters.length > 1) {
    const names = amkoClusters.map((a) => a.metadata?.name ?? '?').sort();
    return {
      reason: Reason.MultipleAMKOClusters,
      message: `only one AMKOCluster object is allowed per cluster; found ${amkoClusters.length} in ${namespace}: ${names.join(', ')}`,
    };
  }
  const a = amkoClusters[0];
  if (!a) return undefined;
  if ((a.metadata?.namespace ?? namespace) !== namespace) {
    return {
      reason: Reason.InvalidNamespace,
      message: `AMKOCluster's namespace is ${a.metadata?.namespace}, it must be ${namespace}`,
    };
  }
  const spec = a.spec;
  if (!spec?.clusterContext) {
    return { reason: Reason.EmptyClusterContext, message: 'spec.clusterContext must not be empty' };
  }
  if (!spec.version) {
    return { reason: Reason.EmptyVersion, message: 'spec.version must not be empty' };
  }
  if (spec.isLeader && !(spec.clusters ?? []).includes(spec.clusterContext)) {
    return {
      reason: Reason.ClusterContextNotInClusters,
      message: `spec.clusterContext ${JSON.stringify(spec.clusterContext)} is not one of spec.clusters`,
    };
  }
  return undefined;
}

/** The member contexts to federate to: spec.clusters minus the own context, de-duplicated, in order. */
export function memberContexts(spec: AMKOCluster['spec']): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const c of spec?.clusters ?? []) {
    if (!c || c === spec?.clusterContext || seen.has(c)) continue;
    seen.add(c);
    out.push(c);
  }
  return out;
}

/** What a member's AMKOCluster list looked like (or why it could not be read). */
export type MemberObservation =
  | { cluster: string; amkoClusters: readonly AMKOCluster[] }
  | { cluster: string; error: string };

export type MemberVerdict =
  | { cluster: string; ok: true }
  /** The member is skipped; federation to the others goes on. */
  | { cluster: string; ok: false; fatal: false; cause: MemberSkipCause; message: string }
  /** Federation stops altogether (another leader). */
  | { cluster: string; ok: false; fatal: true; cause: 'ConflictingLeader'; message: string };

export type MemberSkipCause = 'Unreachable' | 'MissingAMKOCluster' | 'MultipleAMKOClusters' | 'VersionMismatch';

/** Checks one member against the leader's version. */
export function validateMember(
  leaderVersion: string,
  obs: MemberObservation,
  namespace: string = AMKO_NAMESPACE,
): MemberVerdict {
  const c = obs.cluster;
  if ('error' in obs) {
    return { cluster: c, ok: false, fatal: false, cause: 'Unreachable', message: `${c}: cannot read AMKOClusters: ${obs.error}` };
  }
  if (obs.amkoClusters.length === 0) {
    return {
      cluster: c,
      ok: false,
      fatal: false,
      cause: 'MissingAMKOCluster',
      message: `${c}: no AMKOCluster object found in ${namespace}`,
    };
  }
  if (obs.amkoClusters.length > 1) {
    return {
      cluster: c,
      ok: false,
      fatal: false,
      cause: 'MultipleAMKOClusters',
      message: `${c}: ${obs.amkoClusters.length} AMKOCluster objects found in ${namespace}, expected exactly one`,
    };
  }
  const m = obs.amkoClusters[0]!;
  if (m.spec?.isLeader) {
    return {
      cluster: c,
      ok: false,
      fatal: true,
      cause: 'ConflictingLeader',
      message: `AMKO in cluster ${c} is also a leader, conflicting state`,
    };
  }
  if ((m.spec?.version ?? '') !== leaderVersion) {
    return {
      cluster: c,
      ok: false,
      fatal: false,
      cause: 'VersionMismatch',
      message: `${c}: version mismatch, current AMKO: ${leaderVersion}, AMKO in cluster ${c}: ${m.spec?.version ?? '(empty)'}`,
    };
  }
  return { cluster: c, ok: true };
}
