// The process's one cache of its own cluster's AMKO namespace: one resilient
// informer per kind (the four amko.vmware.com kinds and Secrets), created on
// first use and started once, whatever number of parts read it. The admission
// view, the role watcher, the reconcile worker and the federator all read and
// subscribe here, so each kind is listed and watched once per process.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeConfigLike } from '../kube/config.js';
import { AMKO_NAMESPACE } from '../api/common.js';
import { KINDS, type KindName } from '../api/kinds.js';
import { kubeClient, type KubeClient } from '../kube/client.js';
import { errorText } from '../kube/errors.js';
import { makeResilientInformer, type InformerHandler, type ResilientInformer } from '../kube/informer.js';
import { corePath, crPath } from '../kube/paths.js';
import type { Logger } from '../log.js';

export type OwnKind = KindName | 'Secret';

export interface OwnClusterCacheOptions {
  namespace?: string;
  log?: Logger;
}

export class OwnClusterCache {
  readonly namespace: string;
  readonly client: KubeClient;
  private readonly informers = new Map<OwnKind, ResilientInformer<KubernetesObject>>();
  private started = false;

  constructor(
    kc: KubeConfigLike,
    private readonly o: OwnClusterCacheOptions = {},
  ) {
    this.namespace = o.namespace ?? AMKO_NAMESPACE;
    this.client = kubeClient(kc);
  }

  /** The path of a kind's collection in the namespace. */
  path(kind: OwnKind): string {
    return kind === 'Secret' ? corePath('secrets', this.namespace) : crPath(kind, this.namespace);
  }

  /** The shared informer of a kind (created on first use; started with the cache, or now if it runs already). */
  informer<T extends KubernetesObject = KubernetesObject>(kind: OwnKind): ResilientInformer<T> {
    let inf = this.informers.get(kind);
    if (!inf) {
      inf = makeResilientInformer<KubernetesObject>(this.client, this.path(kind), {
        name: `own/${kind === 'Secret' ? 'secrets' : KINDS[kind].plural}`,
        log: this.o.log,
        // An AMKO CRD that is not installed (yet) reads as no objects.
        treatMissingApiAsEmpty: kind !== 'Secret',
      });
      this.informers.set(kind, inf);
      if (this.started) this.startInformer(inf);
    }
    return inf as unknown as ResilientInformer<T>;
  }

  list<T extends KubernetesObject = KubernetesObject>(kind: OwnKind): T[] {
    return [...this.informer<T>(kind).list(this.namespace)];
  }

  get<T extends KubernetesObject = KubernetesObject>(kind: OwnKind, name: string): T | undefined {
    return this.informer<T>(kind).get(name, this.namespace);
  }

  /** Subscribes to a kind's events; returns an unsubscribe function. */
  onEvent<T extends KubernetesObject = KubernetesObject>(kind: OwnKind, handler: InformerHandler<T>): () => void {
    return this.informer<T>(kind).onEvent(handler);
  }

  /** A direct read of a kind (no cache lag). */
  async listNow<T extends KubernetesObject = KubernetesObject>(kind: OwnKind): Promise<T[]> {
    return this.client.list<T>(this.path(kind));
  }

  /** The kinds with an informer. */
  kinds(): OwnKind[] {
    return [...this.informers.keys()];
  }

  /** Starts every informer in the background (readiness reports them until synced). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const inf of this.informers.values()) this.startInformer(inf);
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop().catch(() => undefined)));
  }

  isSynced(kinds: OwnKind[] = this.kinds()): boolean {
    return kinds.every((k) => this.informer(k).isSynced());
  }

  async waitForSync(kinds: OwnKind[] = this.kinds(), timeoutMs?: number): Promise<void> {
    await Promise.all(kinds.map((k) => this.informer(k).waitForSync(timeoutMs)));
  }

  private startInformer(inf: ResilientInformer<KubernetesObject>): void {
    inf.start().catch((err: unknown) => this.o.log?.warn({ informer: inf.name, err: errorText(err) }, 'informer start failed; retrying'));
  }
}
