// What the worker's controllers share during one term (from the moment the
// replica may sync to the moment it may not): the GSLBConfig in force, the Avi
// session, the policy in force, the member index and clusters, the observed
// Avi state, and the CR status writer. A term ends by bumping `generation`;
// work that started in an older term sees the change and stops (Stopped).
import type { GSLBConfig } from '../api/index.js';
import type { Logger } from '../log.js';
import type { OwnClusterCache } from '../manager/cache.js';
import type { AviClientHolder } from './avi-session.js';
import type { AviStateCache } from './avi-state.js';
import type { CrStatusWriter } from './cr-status.js';
import { configInForce, type ActiveConfig } from './gslb-config.js';
import type { MemberClusters } from './member-clusters.js';
import type { MemberEvents } from './member-events.js';
import type { MemberIndex } from './member-index.js';
import type { PolicyState } from './policy.js';
import type { SkippedMembers } from './skipped-members.js';
import { Stopped } from './util.js';

export interface SyncState {
  readonly log: Logger;
  readonly namespace: string;
  readonly own: OwnClusterCache;
  /** The current term; bumped when a term starts or ends. */
  generation: number;
  /** This replica syncs (it leads and its role says syncToAvi). */
  active: boolean;
  /** The GSLBConfig in force, once applied. */
  config?: ActiveConfig;
  readonly session: AviClientHolder;
  readonly policy: PolicyState;
  readonly index: MemberIndex;
  readonly members: MemberClusters;
  /** Selected objects that produce no member (metric, GDP status, Events on them). */
  readonly skipped: SkippedMembers;
  readonly memberEvents: MemberEvents;
  /** What this instance owns on the controller (the observed state). */
  readonly observed: AviStateCache;
  /** The observed state was listed in full in this term (the GslbService controller writes only then). */
  resynced: boolean;
  readonly status: CrStatusWriter;
}

/** The GSLBConfigs of the own namespace, oldest (the one in force) first. */
export function gslbConfigs(s: SyncState): { gc?: GSLBConfig; others: GSLBConfig[] } {
  return configInForce(s.own.list('GSLBConfig') as unknown as GSLBConfig[]);
}

/** A check for work of one term: throws Stopped once the term has ended. */
export function termGuard(s: SyncState): () => void {
  const gen = s.generation;
  return () => {
    if (!s.active || gen !== s.generation) throw new Stopped();
  };
}
