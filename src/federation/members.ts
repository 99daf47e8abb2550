// The follower clusters the federator talks to: one client (and, optionally,
// watches on the federated kinds) per member context, and a per-member
// exponential backoff for members that could not be reached.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeConfigLike } from '../kube/config.js';
import { KINDS, type KindName } from '../api/kinds.js';
import { backoffDelay } from '../backoff.js';
import { kubeClient } from '../kube/client.js';
import { makeResilientInformer, type ResilientInformer } from '../kube/informer.js';
import { kubeConfigForContext } from '../kube/kubeconfig.js';
import { crPath } from '../kube/paths.js';
import type { Logger } from '../log.js';
import type { FederatedObject } from './copy.js';
import { AmkoObjects } from './kube.js';
import { federationMetrics as M } from './metrics.js';

export type Obj = FederatedObject & KubernetesObject;

/** The kinds copied to followers, in order. */
export const FEDERATED_KINDS = ['GSLBConfig', 'GlobalDeploymentPolicy'] as const satisfies readonly KindName[];
export type FederatedKind = (typeof FEDERATED_KINDS)[number];

export interface MemberState {
  cluster: string;
  configKey: string;
  objects: AmkoObjects;
  failures: number;
  retryAt: number;
  lastError?: string;
  informers: ResilientInformer<Obj>[];
}

export interface MemberPoolOptions {
  namespace: string;
  log?: Logger;
  callTimeoutMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  watchMembers: boolean;
  /** A watch event on a member's object (source `member/<cluster>/<kind>`). */
  onObjectEvent(source: string, ev: string, obj: Obj): void;
  /** A member was dropped: forget what was seen of it. */
  onDropped(cluster: string): void;
}

export class MemberPool {
  private readonly members = new Map<string, MemberState>();

  constructor(private readonly o: MemberPoolOptions) {}

  clusters(): string[] {
    return [...this.members.keys()];
  }

  states(): MemberState[] {
    return [...this.members.values()];
  }

  async drop(cluster: string): Promise<void> {
    const m = this.members.get(cluster);
    if (!m) return;
    this.members.delete(cluster);
    M.memberUp.remove({ cluster });
    this.o.onDropped(cluster);
    await Promise.all(m.informers.map((i) => i.stop().catch(() => undefined)));
  }

  async dropAll(): Promise<void> {
    for (const c of this.clusters()) await this.drop(c);
  }

  /** The member's client for the context (rebuilt when its kubeconfig entry changed). Throws when the context is missing. */
  async ensure(cluster: string, memberKc: KubeConfigLike): Promise<MemberState> {
    const kc = kubeConfigForContext(memberKc, cluster);
    const configKey = kc.exportConfig();
    const existing = this.members.get(cluster);
    if (existing && existing.configKey === configKey) return existing;
    if (existing) await this.drop(cluster);
    const m: MemberState = {
      cluster,
      configKey,
      objects: new AmkoObjects(kubeClient(kc), this.o.callTimeoutMs),
      failures: 0,
      retryAt: 0,
      informers: [],
    };
    if (this.o.watchMembers) {
      for (const kind of ['AMKOCluster', ...FEDERATED_KINDS] as const) {
        const inf = makeResilientInformer<Obj>(m.objects.client, crPath(kind, this.o.namespace), {
          name: `${cluster}/${KINDS[kind].plural}`,
          log: this.o.log,
          treatMissingApiAsEmpty: true,
          initialBackoffMs: this.o.retryInitialMs,
          maxBackoffMs: Math.max(this.o.retryInitialMs, Math.min(this.o.retryMaxMs, 30_000)),
        });
        inf.onEvent((ev, obj) => this.o.onObjectEvent(`member/${cluster}/${kind}`, ev, obj));
        m.informers.push(inf);
        void inf.start().catch(() => undefined);
      }
    }
    this.members.set(cluster, m);
    return m;
  }

  failed(m: MemberState, err: string, now: number): void {
    m.failures++;
    m.lastError = err;
    const delay = backoffDelay(m.failures, this.o.retryInitialMs, this.o.retryMaxMs);
    m.retryAt = now + delay;
    this.o.log?.warn({ cluster: m.cluster, err, retryInMs: delay }, 'member cluster unreachable');
  }

  succeeded(m: MemberState): void {
    if (m.failures > 0) this.o.log?.info({ cluster: m.cluster }, 'member cluster reachable again');
    m.failures = 0;
    m.retryAt = 0;
    m.lastError = undefined;
  }

  /** The earliest pending retry (Infinity: none). */
  nextRetry(): number {
    const at = this.states()
      .map((m) => m.retryAt)
      .filter((t) => t > 0);
    return at.length ? Math.min(...at) : Infinity;
  }
}
