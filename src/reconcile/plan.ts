// The plan stage of the pipeline: for one GslbService key, the desired state
// (desired/, from the policy in force and the key's members) against the
// observed state (avi-state.ts) gives the exact list of Avi operations
// (diff.ts). Pure: the worker calls planKey for every key it syncs, `amko plan`
// and the benchmarks call planKeys on the same inputs, so the three agree by
// construction.
import type { AviStateCache } from './avi-state.js';
import { buildDesiredGs, type DesiredInputs } from './desired/gslbservice.js';
import { diffKey, type AviOperation } from './diff.js';
import { parseGsKey, type NamedMember } from './members/types.js';
import type { MemberIndex } from './member-index.js';

/** Everything a plan depends on besides the observed state. */
export interface PlanInputs extends DesiredInputs {
  /** The members of a key (MemberIndex.membersOf). */
  members(key: string): NamedMember[];
}

/** The operations that take one key from what the controller has (`observed`) to what the inputs want. */
export function planKey(key: string, inputs: PlanInputs, observed: AviStateCache): AviOperation[] {
  const { tenant, gsName } = parseGsKey(key);
  const desired = buildDesiredGs(tenant, gsName, inputs.members(key), inputs);
  return diffKey(key, tenant, gsName, desired, observed.actual(key, tenant), { createdBy: inputs.createdBy, refNames: observed.refNames });
}

/** Every key a plan covers: the keys with members and the keys this instance owns objects of on the controller. */
export function planKeySet(index: MemberIndex, observed: AviStateCache, createdBy: string | undefined): Set<string> {
  return new Set<string>([...index.keys(), ...observed.keys(createdBy)]);
}

/** The operations of every key, keys in sorted order. */
export function planKeys(keys: Iterable<string>, inputs: PlanInputs, observed: AviStateCache): AviOperation[] {
  return [...keys].sort().flatMap((k) => planKey(k, inputs, observed));
}
