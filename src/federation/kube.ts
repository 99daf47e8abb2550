// Thin typed access to the amko.vmware.com custom objects of one cluster, with
// a per-call time limit (an unreachable or hung member must not stall the
// federator), plus the arguments for a namespaced resilient informer. Requests
// go through the shared JSON helper (src/kube/http.ts), like the worker's.
import type { KubeConfig, KubernetesListObject, KubernetesObject, ListPromise } from '@kubernetes/client-node';
import { GROUP } from '../api/common.js';
import { KINDS, type KindName } from '../api/kinds.js';
import { KubeHttpError, kubeRequest } from '../kube/http.js';
import type { InformerOptions } from '../kube/informer.js';
import { describeError } from '../kube/informer.js';
import { boundedDelay } from '../timers.js';

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
    timer = setTimeout(() => reject(new CallTimeoutError(what, ms)), boundedDelay(ms));
    timer.unref?.();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** HTTP status of a KubeHttpError (or a client-node ApiException); undefined for transport errors. */
export function statusCode(err: unknown): number | undefined {
  if (err instanceof KubeHttpError) return err.statusCode;
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

/** A short error text for status messages: the API's message when there is one. */
export function errorText(err: unknown): string {
  const e = err as { code?: unknown; body?: unknown } | null;
  const code = statusCode(err);
  if (e && code !== undefined) {
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
    return `HTTP ${code}${msg ? `: ${msg}` : ''}`;
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
  constructor(
    readonly kc: KubeConfig,
    readonly timeoutMs: number = DEFAULT_CALL_TIMEOUT_MS,
    readonly fieldManager = 'amko-federator',
  ) {}

  private call<T>(method: string, path: string, what: string, body?: unknown, contentType?: string): Promise<T> {
    return withTimeout(kubeRequest<T>(this.kc, method, path, { body, contentType, timeoutMs: this.timeoutMs }), this.timeoutMs, what);
  }

  private fm(): string {
    return `?fieldManager=${encodeURIComponent(this.fieldManager)}`;
  }

  async list<T extends KubernetesObject>(kind: KindName, namespace: string): Promise<KubernetesListObject<T>> {
    return this.call('GET', resourcePath(kind, namespace), `list ${KINDS[kind].plural}`);
  }

  async create<T extends KubernetesObject>(kind: KindName, namespace: string, body: T): Promise<T> {
    return this.call('POST', `${resourcePath(kind, namespace)}${this.fm()}`, `create ${KINDS[kind].singular}`, body);
  }

  async replace<T extends KubernetesObject>(kind: KindName, namespace: string, name: string, body: T): Promise<T> {
    return this.call('PUT', `${resourcePath(kind, namespace)}/${encodeURIComponent(name)}${this.fm()}`, `update ${KINDS[kind].singular}`, body);
  }

  /** Deletes; a 404 counts as success. */
  async delete(kind: KindName, namespace: string, name: string): Promise<void> {
    try {
      await this.call('DELETE', `${resourcePath(kind, namespace)}/${encodeURIComponent(name)}`, `delete ${KINDS[kind].singular}`);
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }

  /** JSON merge patch of the status subresource. */
  async patchStatus(kind: KindName, namespace: string, name: string, status: unknown): Promise<void> {
    await this.call(
      'PATCH',
      `${resourcePath(kind, namespace)}/${encodeURIComponent(name)}/status${this.fm()}`,
      `patch ${KINDS[kind].singular} status`,
      { status },
      'application/merge-patch+json',
    );
  }

  /** Creates a core/v1 Event. */
  async createEvent(namespace: string, body: Record<string, unknown>): Promise<void> {
    await this.call('POST', `/api/v1/namespaces/${namespace}/events`, 'create event', { apiVersion: 'v1', kind: 'Event', ...body });
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
  const { treatMissingApiAsEmpty, ...informerOptions } = options;
  const path = resourcePath(kind, namespace);
  const listFn: ListPromise<T> = async () => {
    try {
      return await kubeRequest<KubernetesListObject<T>>(kc, 'GET', path);
    } catch (err) {
      if (treatMissingApiAsEmpty && statusCode(err) === 404) {
        return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [] } as KubernetesListObject<T>;
      }
      throw err;
    }
  };
  return [kc, path, listFn, informerOptions];
}
