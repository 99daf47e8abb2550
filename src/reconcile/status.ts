// Status write-back and Events on the amko CRs. Status goes through the
// /status subresource (merge patch) and falls back to the main resource when
// the CRD has no status subresource (404 on /status).
import type { KubeConfig } from '@kubernetes/client-node';
import { GROUP, KINDS, type KindName } from '../api/index.js';
import { isStatus, kubeRequest } from '../kube/http.js';
import type { Logger } from '../log.js';

export const EVENT_COMPONENT = 'amko-reconcile-worker';

export function crPath(kind: KindName, namespace: string, name?: string): string {
  const k = KINDS[kind];
  const base = `/apis/${GROUP}/${k.version}/namespaces/${namespace}/${k.plural}`;
  return name ? `${base}/${encodeURIComponent(name)}` : base;
}

/** Merge-patches `status` onto a CR. Returns false when the object is gone. */
export async function patchStatus(
  kc: KubeConfig,
  kind: KindName,
  namespace: string,
  name: string,
  status: Record<string, unknown>,
): Promise<boolean> {
  const body = { status };
  const opts = { body, contentType: 'application/merge-patch+json' };
  try {
    await kubeRequest(kc, 'PATCH', `${crPath(kind, namespace, name)}/status`, opts);
    return true;
  } catch (err) {
    if (!isStatus(err, 404)) throw err;
  }
  try {
    await kubeRequest(kc, 'PATCH', crPath(kind, namespace, name), opts);
    return true;
  } catch (err) {
    if (isStatus(err, 404)) return false;
    throw err;
  }
}

export interface EventTarget {
  kind: KindName;
  name: string;
  namespace: string;
  uid?: string;
}

/** The object an Event is about. */
export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

/** Records a core/v1 Event on any namespaced object, with the given client. Rejects when the API server refuses it. */
export async function recordObjectEvent(kc: KubeConfig, involved: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
  const now = new Date().toISOString();
  const { uid, ...ref } = involved;
  const body = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${involved.name}.`, namespace: involved.namespace },
    involvedObject: { ...ref, ...(uid ? { uid } : {}) },
    type,
    reason,
    message: message.slice(0, 1024),
    source: { component: EVENT_COMPONENT },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
  await kubeRequest(kc, 'POST', `/api/v1/namespaces/${involved.namespace}/events`, { body });
}

/** Records a core/v1 Event on a CR. Failures are logged, never thrown. */
export async function recordEvent(
  kc: KubeConfig,
  target: EventTarget,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  log?: Logger,
): Promise<void> {
  const involved = { apiVersion: `${GROUP}/${KINDS[target.kind].version}`, kind: target.kind, name: target.name, namespace: target.namespace, uid: target.uid };
  try {
    await recordObjectEvent(kc, involved, type, reason, message);
  } catch (err) {
    log?.warn({ err: String(err), reason }, 'could not record event');
  }
}
