// Thin typed access to the amko.vmware.com custom objects of one cluster, with
// a per-call time limit (an unreachable or hung member must not stall the
// federator), plus the arguments for a namespaced resilient informer.
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ListPromise,
} from '@kubernetes/client-node';
import { GROUP } from '../api/common.js';
import { KINDS, type KindName } from '../api/kinds.js';
import type { InformerOptions } from '../kube/informer.js';
import { describeError } from '../kube/informer.js';

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

export class CallTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'CallTimeoutError';
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallTimeoutError(what, ms)), ms);
    timer.unref?.();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** HTTP status of a client-node ApiException (undefined for transport errors). */
export function statusCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

/** A short error text for status messages: the API's message when there is one. */
export function errorText(err: unknown): string {
  const e = err as { code?: unknown; body?: unknown } | null;
  if (e && typeof e.code === 'number') {
    let msg: string | undefined;
    const body = e.body;
    if (typeof body === 'string') {
      try {
        msg = (JSON.parse(body) as { message?: string }).message;
      } catch {
        msg = body.slice(0, 200);
      }
    } else if (body && typeof body === 'object') {
      msg = (body as { message?: string }).message;
    }
    return `HTTP ${e.code}${msg ? `: ${msg}` : ''}`;
  }
  const d = describeError(err);
  const cause = (err as { cause?: { code?: string } } | null)?.cause?.code;
  return cause && !d.includes(cause) ? `${d} (${cause})` : d;
}

export function resourcePath(kind: KindName, namespace: string): string {
  return `/apis/${GROUP}/${KINDS[kind].version}/namespaces/${namespace}/${KINDS[kind].plural}`;
}

/** CRUD on the amko.vmware.com kinds in one cluster. */
export class AmkoObjects {
  readonly api: CustomObjectsApi;
  readonly core: CoreV1Api;

  constructor(
    readonly kc: KubeConfig,
    readonly timeoutMs: number = DEFAULT_CALL_TIMEOUT_MS,
    readonly fieldManager = 'amko-federator',
  ) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  private p(kind: KindName, namespace: string) {
    return { group: GROUP, version: KINDS[kind].version, namespace, plural: KINDS[kind].plural };
  }

  async list<T extends KubernetesObject>(kind: KindName, namespace: string): Promise<KubernetesListObject<T>> {
    return (await withTimeout(
      this.api.listNamespacedCustomObject(this.p(kind, namespace)),
      this.timeoutMs,
      `list ${KINDS[kind].plural}`,
    )) as KubernetesListObject<T>;
  }

  async create<T extends KubernetesObject>(kind: KindName, namespace: string, body: T): Promise<T> {
    return (await withTimeout(
      this.api.createNamespacedCustomObject({ ...this.p(kind, namespace), body, fieldManager: this.fieldManager }),
      this.timeoutMs,
      `create ${KINDS[kind].singular}`,
    )) as T;
  }

  async replace<T extends KubernetesObject>(kind: KindName, namespace: string, name: string, body: T): Promise<T> {
    return (await withTimeout(
      this.api.replaceNamespacedCustomObject({ ...this.p(kind, namespace), name, body, fieldManager: this.fieldManager }),
      this.timeoutMs,
      `update ${KINDS[kind].singular}`,
    )) as T;
  }

  /** Deletes; a 404 counts as success. */
  async delete(kind: KindName, namespace: string, name: string): Promise<void> {
    try {
      await withTimeout(
        this.api.deleteNamespacedCustomObject({ ...this.p(kind, namespace), name }),
        this.timeoutMs,
        `delete ${KINDS[kind].singular}`,
      );
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }

  /** JSON merge patch of the status subresource. */
  async patchStatus(kind: KindName, namespace: string, name: string, status: unknown): Promise<void> {
    await withTimeout(
      this.api.patchNamespacedCustomObjectStatus(
        { ...this.p(kind, namespace), name, body: { status }, fieldManager: this.fieldManager },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
      this.timeoutMs,
      `patch ${KINDS[kind].singular} status`,
    );
  }
}

/**
 * Arguments for makeResilientInformer on one amko.vmware.com kind in one
 * namespace. With `treatMissingApiAsEmpty`, a 404 on list (CRD not installed)
 * reads as an empty list instead of an error.
 */
export function customObjectInformerArgs<T extends KubernetesObject>(
  kc: KubeConfig,
  kind: KindName,
  namespace: string,
  options: InformerOptions & { treatMissingApiAsEmpty?: boolean },
): [KubeConfig, string, ListPromise<T>, InformerOptions] {
  const api = kc.makeApiClient(CustomObjectsApi);
  const { treatMissingApiAsEmpty, ...informerOptions } = options;
  const listFn: ListPromise<T> = async () => {
    try {
      return (await api.listNamespacedCustomObject({
        group: GROUP,
        version: KINDS[kind].version,
        namespace,
        plural: KINDS[kind].plural,
      })) as KubernetesListObject<T>;
    } catch (err) {
      if (treatMissingApiAsEmpty && statusCode(err) === 404) {
        return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [] } as KubernetesListObject<T>;
      }
      throw err;
    }
  };
  return [kc, resourcePath(kind, namespace), listFn, informerOptions];
}
