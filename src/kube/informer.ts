// A list/watch cache that keeps itself alive. The list/watch loop (list-watch.ts)
// relists on 410 Gone and re-opens a watch the server ends, but on any other
// error it stops; this wrapper restarts it on a capped, jittered exponential
// backoff and tracks sync state and event age. An optional transform slims
// every listed and watched object before it is cached.
// Lists and watches go through the cluster's KubeClient (its pooled connections).
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import { backoffDelay, jittered } from '../backoff.js';
import type { KubeClient } from './client.js';
import { errorText, isStatus } from './errors.js';
import { ListWatch } from './list-watch.js';
import { boundedDelay } from '../timers.js';

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler<T> = (event: InformerEvent, obj: T) => void;

/** One list of the collection. */
export type ListFn<T extends KubernetesObject> = () => Promise<KubernetesListObject<T>>;

export interface InformerOptions {
  /** Name used in logs and metrics, e.g. "cluster1/ingresses". */
  name: string;
  log?: Logger;
  labelSelector?: string;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Applied to every listed and watched object before it is cached and handed to the handlers (e.g. dropping
   * managedFields). It must keep metadata.name, namespace and resourceVersion.
   */
  transform?: (obj: KubernetesObject) => KubernetesObject;
  /** How to list (default: one GET of the path). */
  list?: ListFn<KubernetesObject>;
  /**
   * A 404 on list (the API is not installed, e.g. a CRD) reads as an empty list. Such a list does not reset
   * the backoff: the watch that follows fails the same way, and the retries back off to maxBackoffMs until
   * the API appears (without that, a missing CRD cost a list, a failed watch and a warning every 0.5 s).
   */
  treatMissingApiAsEmpty?: boolean;
}

export interface ResilientInformer<T extends KubernetesObject> {
  readonly name: string;
  /** Starts list+watch; resolves once the first list has been applied, or rejects on stop(). */
  start(): Promise<void>;
  stop(): Promise<void>;
  isSynced(): boolean;
  /** True while the cache follows the watch: listed, and no failed watch waiting for its restart. */
  isWatching(): boolean;
  waitForSync(timeoutMs?: number): Promise<void>;
  list(namespace?: string): ReadonlyArray<T>;
  get(name: string, namespace?: string): T | undefined;
  /** Registers a handler; returns an unsubscribe function. */
  onEvent(handler: InformerHandler<T>): () => void;
  /** Milliseconds since epoch of the last list or watch event (0 before the first). */
  lastEventAt(): number;
  /** How many times the informer was restarted (after an error, or a relist that found the watch stalled). */
  restarts(): number;
  /**
   * Lists again and compares with the cache (names and resourceVersions). `idle`: the cache is current (a quiet
   * watch); `stalled`: the watch missed changes, so it is restarted from its resourceVersion (replaying what it
   * missed, or relisting on 410) and the handlers see the changes. Throws when the list fails.
   */
  relist(): Promise<'idle' | 'stalled'>;
  /** Milliseconds since epoch when the cache was last known current: the last event or the last idle relist. */
  lastVerifiedAt(): number;
  lastError(): unknown;
}

export function makeResilientInformer<T extends KubernetesObject>(client: KubeClient, path: string, options: InformerOptions): ResilientInformer<T> {
  const listOnce = (options.list as ListFn<T> | undefined) ?? (() => client.request<KubernetesListObject<T>>('GET', path));
  /** The last list found the API missing (read as empty). */
  let apiMissing = false;
  const listFn: ListFn<T> = async () => {
    apiMissing = false;
    try {
      return await listOnce();
    } catch (err) {
      if (options.treatMissingApiAsEmpty && isStatus(err, 404)) {
        apiMissing = true;
        return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [] } as KubernetesListObject<T>;
      }
      throw err;
    }
  };
  const initialBackoff = options.initialBackoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const handlers = new Set<InformerHandler<T>>();
  let synced = false;
  let watching = false;
  let stopped = true;
  let lastEvent = 0;
  let lastVerified = 0;
  let restartCount = 0;
  let failures = 0;
  let lastErr: unknown;
  let retryTimer: NodeJS.Timeout | undefined;
  let syncWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  // ListWatch.start() resolves once its watch is open, or after reporting a failed list or watch as an
  // error. A start with no error since follows the server (a watch resumed from its resourceVersion
  // replays what it missed), so the cache is watched again.
  let errors = 0;
  const startWatching = async () => {
    const before = errors;
    await informer.start();
    if (!stopped && errors === before) watching = true;
  };

  const transform = options.transform as ((obj: T) => T) | undefined;
  const listAndMark: ListFn<T> = async () => {
    const listed = await listFn();
    const result = transform && listed.items ? { ...listed, items: listed.items.map((o) => transform(o)) } : listed;
    lastEvent = Date.now();
    lastVerified = lastEvent;
    // The loop applies the list right after this promise settles.
    setImmediate(() => {
      if (!apiMissing) failures = 0;
      watching = !stopped;
      if (!synced) {
        synced = true;
        for (const w of syncWaiters.splice(0)) w.resolve();
      }
    });
    return result;
  };

  const emit = (event: InformerEvent) => (obj: T) => {
    lastEvent = Date.now();
    lastVerified = lastEvent;
    for (const h of [...handlers]) {
      try {
        h(event, obj);
      } catch (err) {
        options.log?.error({ err, informer: options.name }, 'informer handler failed');
      }
    }
  };
  const onError = (err: unknown) => {
    lastErr = err;
    errors++;
    watching = false;
    if (stopped) return;
    failures++;
    const delay = jittered(backoffDelay(failures, initialBackoff, maxBackoff));
    options.log?.warn(
      { informer: options.name, err: errorText(err), retryInMs: delay },
      'watch failed; restarting',
    );
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      if (stopped) return;
      restartCount++;
      startWatching().catch((e: unknown) => options.log?.warn({ informer: options.name, err: errorText(e) }, 'restart failed'));
    }, boundedDelay(delay));
    retryTimer.unref?.();
  };
  const informer = new ListWatch<T>(
    client,
    path,
    listAndMark,
    { add: emit('add'), update: emit('update'), delete: emit('delete'), error: onError },
    { labelSelector: options.labelSelector, transform: options.transform },
  );

  return {
    name: options.name,
    async start() {
      stopped = false;
      await startWatching();
    },
    async stop() {
      stopped = true;
      watching = false;
      clearTimeout(retryTimer);
      for (const w of syncWaiters.splice(0)) w.reject(new Error(`informer ${options.name} stopped`));
      informer.stop();
    },
    isSynced: () => synced,
    isWatching: () => watching,
    waitForSync(timeoutMs?: number) {
      if (synced) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter = { resolve, reject };
        syncWaiters.push(waiter);
        if (timeoutMs !== undefined) {
          const t = setTimeout(() => {
            syncWaiters = syncWaiters.filter((w) => w !== waiter);
            reject(new Error(`informer ${options.name} not synced after ${timeoutMs} ms`));
          }, boundedDelay(timeoutMs));
          t.unref?.();
        }
      });
    },
    list: (namespace?: string) => informer.list(namespace),
    get: (name: string, namespace?: string) => informer.get(name, namespace),
    onEvent(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    lastEventAt: () => lastEvent,
    lastVerifiedAt: () => lastVerified,
    restarts: () => restartCount,
    async relist() {
      const at = Date.now();
      const fresh = await listFn();
      const id = (o: KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}@${o.metadata?.resourceVersion ?? ''}`;
      const cached = new Set(informer.list().map(id));
      const items = fresh.items ?? [];
      const same = items.length === cached.size && items.every((o) => cached.has(id(o)));
      if (same) {
        lastVerified = Math.max(lastVerified, at);
        return 'idle';
      }
      if (stopped) return 'stalled';
      options.log?.warn({ informer: options.name, cached: cached.size, listed: items.length }, 'watch stalled: the cache missed changes; restarting the watch');
      restartCount++;
      watching = false;
      informer.stop();
      if (!stopped) {
        await startWatching();
      }
      return 'stalled';
    },
    lastError: () => lastErr,
  };
}
