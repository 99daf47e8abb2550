// Standard Kubernetes Conditions (metav1.Condition) for the AMKOCluster status.
// Pure helpers: the federator computes the desired conditions on every
// reconcile and merges them into the current list so that lastTransitionTime
// only moves when a condition's status flips.
import { ConditionType, type Condition } from '../api/amkocluster.js';

export const CONDITION_TYPES: readonly ConditionType[] = Object.values(ConditionType);

/** Stable CamelCase reasons. */
export const Reason = {
  // Valid
  Valid: 'Valid',
  InvalidNamespace: 'InvalidNamespace',
  EmptyClusterContext: 'EmptyClusterContext',
  EmptyVersion: 'EmptyVersion',
  ClusterContextNotInClusters: 'ClusterContextNotInClusters',
  MultipleAMKOClusters: 'MultipleAMKOClusters',
  // role
  NotLeader: 'NotLeader',
  NotEvaluated: 'NotEvaluated',
  NoMembers: 'NoMembers',
  // MemberClientsReady
  ClientsReady: 'ClientsReady',
  SomeClientsFailed: 'SomeClientsFailed',
  ClientsFailed: 'ClientsFailed',
  NoMemberKubeconfig: 'NoMemberKubeconfig',
  // MembersValidated
  MembersValid: 'MembersValid',
  SomeMembersSkipped: 'SomeMembersSkipped',
  NoValidMembers: 'NoValidMembers',
  ConflictingLeader: 'ConflictingLeader',
  // *Federated
  Federated: 'Federated',
  PartiallyFederated: 'PartiallyFederated',
  FederationFailed: 'FederationFailed',
  FederationBlocked: 'FederationBlocked',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export interface DesiredCondition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: Reason;
  message: string;
}

export function trueCondition(type: ConditionType, reason: Reason, message: string): DesiredCondition {
  return { type, status: 'True', reason, message };
}

export function falseCondition(type: ConditionType, reason: Reason, message: string): DesiredCondition {
  return { type, status: 'False', reason, message };
}

/** Kubernetes caps a condition message at 32768 bytes; keep ours far shorter. */
export const MAX_MESSAGE = 1024;

function clip(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 3)}...`;
}

/** RFC 3339 with seconds precision, as metav1.Time serializes. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Merges `desired` into `current`: a condition keeps its lastTransitionTime
 * unless its status changes; reason, message and observedGeneration always
 * follow the desired values. Conditions of types not in `desired` and not
 * managed by the federator are kept as they are; managed types missing from
 * `desired` are dropped. The result is ordered: managed types first (in
 * CONDITION_TYPES order), then foreign ones in their current order.
 */
export function mergeConditions(
  current: readonly Condition[] | undefined,
  desired: readonly DesiredCondition[],
  observedGeneration: number | undefined,
  now: Date = new Date(),
): Condition[] {
  const byType = new Map((current ?? []).map((c) => [c.type, c]));
  const out: Condition[] = [];
  const managed = new Set<string>(CONDITION_TYPES);
  const desiredByType = new Map(desired.map((d) => [d.type, d]));
  for (const type of CONDITION_TYPES) {
    const d = desiredByType.get(type);
    if (!d) continue;
    const prev = byType.get(type);
    const c: Condition = {
      type,
      status: d.status,
      reason: d.reason,
      message: clip(d.message),
      lastTransitionTime:
        prev && prev.status === d.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now),
    };
    if (observedGeneration !== undefined) c.observedGeneration = observedGeneration;
    out.push(c);
  }
  for (const c of current ?? []) if (!managed.has(c.type)) out.push(c);
  return out;
}

/** True when two condition lists are identical (order included). */
export function conditionsEqual(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  return x.every((c, i) => {
    const d = y[i]!;
    return (
      c.type === d.type &&
      c.status === d.status &&
      (c.reason ?? '') === (d.reason ?? '') &&
      (c.message ?? '') === (d.message ?? '') &&
      (c.lastTransitionTime ?? '') === (d.lastTransitionTime ?? '') &&
      c.observedGeneration === d.observedGeneration
    );
  });
}

/** Conditions whose status or reason differ between `before` and `after` (for Events). */
export function changedConditions(before: readonly Condition[] | undefined, after: readonly Condition[]): Condition[] {
  const prev = new Map((before ?? []).map((c) => [c.type, c]));
  return after.filter((c) => {
    const p = prev.get(c.type);
    return !p || p.status !== c.status || p.reason !== c.reason;
  });
}
