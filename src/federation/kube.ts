// Typed CRUD on the amko.vmware.com objects of one cluster for the federator,
// with a per-call time limit (an unreachable or hung member must not stall it).
// Requests, paths, errors and status patches are the shared Kubernetes I/O
// layer's (src/kube).
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { KindName } from '../api/kinds.js';
import type { KubeClient } from '../kube/client.js';
import { isStatus } from '../kube/errors.js';
import { crPath } from '../kube/paths.js';
import { patchStatus } from '../kube/status.js';

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
const FIELD_MANAGER = 'amko-federator';

/** CRUD on the amko.vmware.com kinds in one cluster. */
export class AmkoObjects {
  constructor(
    readonly client: KubeClient,
    readonly timeoutMs: number = DEFAULT_CALL_TIMEOUT_MS,
  ) {}

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.client.request<T>(method, path, { body, timeoutMs: this.timeoutMs });
  }

  private fm(): string {
    return `?fieldManager=${encodeURIComponent(FIELD_MANAGER)}`;
  }

  async list<T extends KubernetesObject>(kind: KindName, namespace: string): Promise<KubernetesListObject<T>> {
    return this.call('GET', crPath(kind, namespace));
  }

  async create<T extends KubernetesObject>(kind: KindName, namespace: string, body: T): Promise<T> {
    return this.call('POST', `${crPath(kind, namespace)}${this.fm()}`, body);
  }

  async replace<T extends KubernetesObject>(kind: KindName, namespace: string, name: string, body: T): Promise<T> {
    return this.call('PUT', `${crPath(kind, namespace, name)}${this.fm()}`, body);
  }

  /** Deletes; a 404 counts as success. */
  async delete(kind: KindName, namespace: string, name: string): Promise<void> {
    try {
      await this.call('DELETE', crPath(kind, namespace, name));
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
  }

  /** JSON merge patch of the status. */
  async patchStatus(kind: KindName, namespace: string, name: string, status: Record<string, unknown>): Promise<void> {
    await patchStatus(this.client, kind, namespace, name, status, FIELD_MANAGER);
  }
}
