// Writes the federator's Conditions to the AMKOCluster status (merge patch on
// /status, only on a change) and records an Event for every condition whose
// status or reason changed.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { AMKOCluster, Condition } from '../api/amkocluster.js';
import { apiVersionOf } from '../api/kinds.js';
import { errorText } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import type { Logger } from '../log.js';
import { changedConditions, conditionsEqual, mergeConditions, type DesiredCondition } from './conditions.js';
import type { AmkoObjects } from './kube.js';

export type AmkoClusterObj = AMKOCluster & KubernetesObject;

export class AmkoClusterStatusWriter {
  constructor(
    private readonly own: AmkoObjects,
    private readonly namespace: string,
    /** The newest cached AMKOCluster by name (the informer holds the status we wrote last). */
    private readonly cached: (name: string) => AmkoClusterObj | undefined,
    /** Undefined: no Events. */
    private readonly events: EventRecorder | undefined,
    private readonly log?: Logger,
  ) {}

  /** Returns false when the write failed (the caller retries soon). */
  async write(amko: AmkoClusterObj, desired: DesiredCondition[]): Promise<boolean> {
    const name = amko.metadata?.name;
    if (!name) return true;
    const currentObj = this.cached(name) ?? amko;
    const current = currentObj.status?.conditions;
    const next = mergeConditions(current, desired, currentObj.metadata?.generation);
    if (conditionsEqual(current, next)) return true;
    try {
      await this.own.patchStatus('AMKOCluster', this.namespace, name, { conditions: next });
    } catch (err) {
      this.log?.warn({ amkoCluster: name, err: errorText(err) }, 'cannot write AMKOCluster status');
      return false;
    }
    // Keep the cached object current so that a reconcile before the watch event does not rewrite the same status.
    (currentObj as { status?: { conditions?: Condition[] } }).status = { ...(currentObj.status ?? {}), conditions: next };
    if (this.events) {
      for (const c of changedConditions(current, next)) await this.emitEvent(this.events, currentObj, c);
    }
    return true;
  }

  private async emitEvent(events: EventRecorder, amko: AmkoClusterObj, c: Condition): Promise<void> {
    await events.record(
      {
        apiVersion: apiVersionOf('AMKOCluster'),
        kind: 'AMKOCluster',
        name: amko.metadata?.name ?? '',
        namespace: this.namespace,
        uid: amko.metadata?.uid,
        resourceVersion: amko.metadata?.resourceVersion,
      },
      c.status === 'True' ? 'Normal' : 'Warning',
      c.reason ?? '',
      `${c.type}=${c.status}: ${c.message ?? ''}`,
    );
  }
}
