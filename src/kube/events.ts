// core/v1 Events, for every part that reports on an object: the reconcile
// worker on the amko CRs, the federator on the AMKOCluster. Recording an Event
// never fails the caller; a refused write is logged.
import type { Logger } from '../log.js';
import type { KubeClient } from './client.js';
import { errorText } from './errors.js';
import { corePath } from './paths.js';

/** The object an Event is about. */
export interface EventTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
}

export type EventType = 'Normal' | 'Warning';

/** Kubernetes caps an Event message; ours stay far shorter. */
const MAX_MESSAGE = 1024;

export class EventRecorder {
  /**
   * @param component the reporting component (`source.component`, `reportingComponent`)
   * @param instance the reporting instance (the pod name)
   */
  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly instance: string,
    private readonly log?: Logger,
  ) {}

  /** Records an Event; a refused write is logged, never thrown. */
  async record(target: EventTarget, type: EventType, reason: string, message: string): Promise<void> {
    try {
      await this.post(target, type, reason, message);
    } catch (err) {
      this.log?.warn({ err: errorText(err), reason, kind: target.kind, name: target.name }, 'could not record event');
    }
  }

  /** Records an Event; rejects when the API server refuses it (e.g. 403: the user may not create Events there). */
  async post(target: EventTarget, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date().toISOString();
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${target.name}.`, namespace: target.namespace },
      involvedObject: Object.fromEntries(Object.entries(target).filter(([, v]) => v !== undefined)),
      type,
      reason,
      message: message.slice(0, MAX_MESSAGE),
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    await this.client.request('POST', corePath('events', target.namespace), { body });
  }
}
