// List, then watch from the list's resourceVersion, keeping a cache of the
// objects by namespace and name: the reflector of client-go, reduced to what the
// informers need. A watch the server ends (its timeoutSeconds) is opened again
// from the last resourceVersion seen (events or bookmarks); a 410 Gone (the
// resourceVersion is too old, as an answer or as an ERROR event) lists again and
// hands the differences to the handlers as events. Any other failure is handed
// to `error` and the loop stops: the caller (ResilientInformer) restarts it on
// its backoff, from the last resourceVersion.
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient, WatchHandle } from './client.js';
import { isStatus, KubeHttpError } from './errors.js';
import type { WatchEvent } from './watch-stream.js';

export interface ListWatchHandlers<T> {
  add(obj: T): void;
  update(obj: T): void;
  delete(obj: T): void;
  /** A list or a watch failed; the loop has stopped. */
  error(err: unknown): void;
}

export interface ListWatchOptions {
  labelSelector?: string;
  /** Applied to every watched object (the list function returns listed objects already transformed). */
  transform?: (obj: KubernetesObject) => KubernetesObject;
}

/** A watch that the server ends sooner than this, without any event or bookmark, counts as failed. */
const EMPTY_WATCH_MS = 1000;

/** client-go's watch timeout: between 5 and 10 minutes, spread so that a fleet of watches does not reconnect at once. */
const watchTimeoutSeconds = () => Math.round(300 * (1 + Math.random()));

export class ListWatch<T extends KubernetesObject> {
  private objects = new Map<string, Map<string, T>>();
  private resourceVersion = '';
  /** Bumped by start() and stop(): callbacks of an older run are ignored. */
  private run = 0;
  private watch: WatchHandle | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly path: string,
    private readonly listFn: () => Promise<KubernetesListObject<T>>,
    private readonly handlers: ListWatchHandlers<T>,
    private readonly options: ListWatchOptions = {},
  ) {}

  /** Lists (unless a resourceVersion is known) and opens the watch; resolves once the watch is open, or after a failure was handed to `error`. */
  async start(): Promise<void> {
    this.stop();
    await this.cycle(++this.run);
  }

  /** Stops listing and watching (no `error` follows). The cache and the resourceVersion are kept. */
  stop(): void {
    this.run++;
    this.watch?.abort();
    this.watch = undefined;
  }

  list(namespace?: string): T[] {
    if (!namespace) return [...this.objects.values()].flatMap((m) => [...m.values()]);
    return [...(this.objects.get(namespace)?.values() ?? [])];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace || '')?.get(name);
  }

  private async cycle(run: number): Promise<void> {
    if (run !== this.run) return;
    if (!this.resourceVersion) {
      let listed: KubernetesListObject<T>;
      try {
        listed = await this.listFn();
      } catch (err) {
        if (run === this.run) this.handlers.error(err);
        return;
      }
      if (run !== this.run) return;
      this.replace(listed.items ?? []);
      this.resourceVersion = listed.metadata?.resourceVersion ?? '';
    }
    let ended = false;
    let events = 0;
    const openedAt = Date.now();
    let handle: WatchHandle;
    try {
      handle = await this.client.watch(
        this.path,
        {
          resourceVersion: this.resourceVersion || undefined,
          allowWatchBookmarks: true,
          labelSelector: this.options.labelSelector,
          timeoutSeconds: watchTimeoutSeconds(),
        },
        (e) => {
          events++;
          if (run === this.run) this.onEvent(e);
        },
        (err) => {
          ended = true;
          if (run !== this.run) return;
          // The API server holds a watch for its timeoutSeconds; one that ends at once with nothing in it (a proxy
          // in between, say) would be reopened in a busy loop: it is a failure, restarted on the caller's backoff.
          if (!err && events === 0 && Date.now() - openedAt < EMPTY_WATCH_MS) err = new Error(`WATCH ${this.path}: closed by the server right after opening, with no event`);
          this.onEnd(run, err);
        },
      );
    } catch (err) {
      if (run === this.run) this.handlers.error(err);
      return;
    }
    if (run !== this.run) handle.abort();
    else if (!ended) this.watch = handle;
  }

  private onEnd(run: number, err: unknown): void {
    this.watch = undefined;
    if (err && !isStatus(err, 410)) {
      this.handlers.error(err);
      return;
    }
    // Closed by the server: watch again from where it ended. Gone: list again.
    if (err) this.resourceVersion = '';
    void this.cycle(run);
  }

  private onEvent(e: WatchEvent): void {
    const { type } = e;
    if (type === 'ERROR') {
      const status = e.object;
      if (status.code === 410) {
        // The server ends the stream next; the cycle after it lists again.
        this.resourceVersion = '';
        return;
      }
      this.stop();
      this.handlers.error(new KubeHttpError(status.code ?? 500, `WATCH ${this.path}: ${status.message ?? 'error event'}`, status));
      return;
    }
    if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
      const t = this.options.transform;
      const obj = (t ? t(e.object as KubernetesObject) : e.object) as T;
      if (type === 'DELETED') this.remove(obj);
      else this.upsert(obj);
    } else if (type !== 'BOOKMARK') {
      return;
    }
    const rv = e.object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
  }

  /** A fresh list: deletes for cached objects it lacks, then adds and updates (same resourceVersion: no event). */
  private replace(items: T[]): void {
    const listed = new Map<string, Set<string>>();
    for (const o of items) {
      const ns = o.metadata?.namespace ?? '';
      let names = listed.get(ns);
      if (!names) listed.set(ns, (names = new Set()));
      names.add(o.metadata?.name ?? '');
    }
    for (const [ns, cached] of this.objects) {
      const names = listed.get(ns);
      for (const [name, old] of cached) {
        if (names?.has(name)) continue;
        cached.delete(name);
        this.handlers.delete(old);
      }
      if (cached.size === 0) this.objects.delete(ns);
    }
    for (const o of items) this.upsert(o);
  }

  private upsert(obj: T): void {
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    let inNs = this.objects.get(ns);
    if (!inNs) this.objects.set(ns, (inNs = new Map()));
    const found = inNs.get(name);
    if (!found) {
      inNs.set(name, obj);
      this.handlers.add(obj);
      return;
    }
    const rv = found.metadata?.resourceVersion;
    if (rv != null && rv === obj.metadata?.resourceVersion) return;
    inNs.set(name, obj);
    this.handlers.update(obj);
  }

  private remove(obj: T): void {
    const ns = obj.metadata?.namespace ?? '';
    const inNs = this.objects.get(ns);
    if (!inNs?.delete(obj.metadata?.name ?? '')) return;
    if (inNs.size === 0) this.objects.delete(ns);
    this.handlers.delete(obj);
  }
}
