// The member clusters of the GSLBConfig in force: one MemberCluster (informers
// with backoff) per context, and the derivation of their objects into member
// records (selection by the GDP, naming, tenant; source.ts) kept in a
// MemberIndex; the selected objects that produce no member are kept in
// SkippedMembers.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeConfigLike } from '../kube/config.js';
import type { GDPSpec } from '../api/index.js';
import type { Logger } from '../log.js';
import { MEMBER_KINDS, MemberCluster, type MemberResource } from './cluster.js';
import type { HostRuleNaming } from './custom-fqdn/hostrules.js';
import type { HostRule } from './custom-fqdn/mapping.js';
import type { DeriveContext } from './members/derive.js';
import { parentKey, type HTTPRoute } from './members/gateway-api.js';
import type { NamingStep, Notice, Rejection } from './members/types.js';
import type { MemberIndex } from './member-index.js';
import { workerMetrics as M } from './metrics.js';
import type { SkippedMembers } from './skipped-members.js';
import { AnnotatedControllerUuid, deriveContext, objectId, objectMembers, type SourceResource } from './source.js';

export interface MemberClustersOptions {
  log: Logger;
  index: MemberIndex;
  /** Where selected objects that produce no member are recorded. */
  skipped: SkippedMembers;
  naming: NamingStep;
  /** [custom-fqdn] Rebuilt from the member clusters' HostRules (watched only when set). */
  hostRuleNaming?: HostRuleNaming;
  backoff?: { initialMs?: number; maxMs?: number };
  /** Stall threshold of the member informers (MemberClusterOptions.stallAfterMs). */
  stallAfterMs?: number;
  /** How often an absent optional API (Routes, Gateway API) is looked for again (MemberClusterOptions.rediscoverMs). */
  rediscoverMs?: number;
  /** The worker's term; events of an older term are dropped. */
  generation(): number;
  /** What derivation depends on; undefined while no GSLBConfig is in force (events are ignored). */
  inputs(): { gdp?: GDPSpec; tenant: string; controllerUuids?: ReadonlyMap<string, string> } | undefined;
}

/** Whether an HTTPRoute names the Gateway `namespace/name` (or any Gateway of `namespace` when name is undefined) as a parent. */
function attachesTo(rt: HTTPRoute, namespace: string, name?: string): boolean {
  const ns = rt.metadata?.namespace ?? '';
  const refs = [...(rt.spec?.parentRefs ?? []), ...(rt.status?.parents ?? []).map((p) => p.parentRef)];
  return refs.some((r) => {
    const k = parentKey(r, ns);
    return k.namespace === namespace && (name === undefined || k.name === name);
  });
}

export class MemberClusters {
  private readonly clusters = new Map<string, MemberCluster>();
  /** Per cluster: the controller cluster UUID its AKO annotates on Ingresses/Services (for HTTPRoute members). */
  private readonly annotatedUuids = new Map<string, AnnotatedControllerUuid>();

  constructor(private readonly o: MemberClustersOptions) {}

  has(name: string): boolean {
    return this.clusters.has(name);
  }

  names(): string[] {
    return [...this.clusters.keys()];
  }

  kubeConfigOf(name: string): KubeConfigLike | undefined {
    return this.clusters.get(name)?.kubeConfig;
  }

  list(): MemberCluster[] {
    return [...this.clusters.values()];
  }

  /** Resolves once every cluster made its first attempt (synced or failed). */
  async attempted(): Promise<void> {
    await Promise.all(this.list().map((c) => c.attempted()));
  }

  start(name: string, kc: KubeConfigLike): void {
    const gen = this.o.generation();
    const current = (mc: MemberCluster) => gen === this.o.generation() && this.clusters.get(name) === mc;
    const mc: MemberCluster = new MemberCluster({
      name,
      kubeConfig: kc,
      log: this.o.log,
      initialBackoffMs: this.o.backoff?.initialMs,
      maxBackoffMs: this.o.backoff?.maxMs,
      stallAfterMs: this.o.stallAfterMs,
      rediscoverMs: this.o.rediscoverMs,
      hostRules: this.o.hostRuleNaming !== undefined,
      onEvent: (resource, event, obj) => {
        if (current(mc)) this.o.index.batch(() => this.onEvent(mc, resource, event, obj));
      },
      onReady: () => {
        if (!current(mc)) return;
        this.o.hostRuleNaming?.changed(); // [custom-fqdn]
        this.rederive(mc);
      },
    });
    this.clusters.set(name, mc);
    this.annotatedUuids.set(name, new AnnotatedControllerUuid());
    mc.start();
  }

  async stop(names: string[] = this.names()): Promise<void> {
    await Promise.all(
      names.map(async (n) => {
        const c = this.clusters.get(n);
        this.clusters.delete(n);
        this.annotatedUuids.delete(n);
        M.clusterUp.remove({ cluster: n });
        M.members.remove({ cluster: n });
        this.o.skipped.dropCluster(n);
        await c?.stop();
        this.o.hostRuleNaming?.changed(); // [custom-fqdn]
      }),
    );
  }

  private deriveCtx(mc: MemberCluster): DeriveContext | undefined {
    const inputs = this.o.inputs();
    return (
      inputs &&
      deriveContext(mc.name, { ...inputs, naming: this.o.naming }, (n) => mc.namespace(n), {
        gateway: (ns, name) => mc.gateway(ns, name),
        annotatedControllerUuid: this.annotatedUuids.get(mc.name)?.get(),
      })
    );
  }

  /** Derives one object into the index (its members) and SkippedMembers (why it has none, if selected). */
  private record(mc: MemberCluster, resource: SourceResource, obj: KubernetesObject, ctx: DeriveContext): string {
    const id = objectId(mc.name, resource, obj);
    const rejections: Rejection[] = [];
    const notices: Notice[] = [];
    this.o.index.set(id, objectMembers(resource, obj, ctx, this.o.naming, rejections, notices));
    const md = obj.metadata ?? {};
    this.o.skipped.set(id, { cluster: mc.name, ...MEMBER_KINDS[resource], namespace: md.namespace ?? '', name: md.name ?? '', uid: md.uid }, rejections, notices);
    return id;
  }

  /**
   * Whether the controller UUID AKO annotates in a cluster is needed: it serves HTTPRoutes and the GSLBConfig
   * names no UUID for it (the tracker holds an entry per annotated Ingress/Service, so it is kept only then).
   */
  private needsAnnotatedUuid(mc: MemberCluster): boolean {
    return mc.servesHttpRoutes() && !this.o.inputs()?.controllerUuids?.has(mc.name);
  }

  /** Re-derives the HTTPRoutes of a cluster that `pick` selects (a Gateway or a namespace changed, or the controller UUID). */
  private rederiveHttpRoutes(mc: MemberCluster, pick: (rt: HTTPRoute) => boolean): void {
    const ctx = this.deriveCtx(mc);
    if (!ctx) return;
    for (const rt of mc.httpRoutes()) if (pick(rt)) this.record(mc, 'httproutes', rt as KubernetesObject, ctx);
  }

  private onEvent(mc: MemberCluster, resource: MemberResource, event: 'add' | 'update' | 'delete', obj: KubernetesObject): void {
    if (resource === 'hostrules') {
      this.o.hostRuleNaming?.changed(); // [custom-fqdn]
      return;
    }
    // The cluster's controller UUID comes from its AKO-annotated Ingresses/Services: kept up to date before the inputs check.
    if ((resource === 'ingresses' || resource === 'services') && this.needsAnnotatedUuid(mc)) {
      const changed = this.annotatedUuids.get(mc.name)?.set(objectId(mc.name, resource, obj), event === 'delete' ? undefined : obj.metadata?.annotations);
      if (changed) this.rederiveHttpRoutes(mc, () => true);
    }
    const ctx = this.deriveCtx(mc);
    if (!ctx) return;
    if (resource === 'namespaces') {
      // Its labels select routes (namespaceSelector, allowedRoutes), its tenant annotation names its Gateways' tenant.
      const ns = obj.metadata?.name ?? '';
      this.rederive(mc, ns);
      this.rederiveHttpRoutes(mc, (rt) => rt.metadata?.namespace !== ns && attachesTo(rt, ns));
      return;
    }
    if (resource === 'gateways') {
      this.rederiveHttpRoutes(mc, (rt) => attachesTo(rt, obj.metadata?.namespace ?? '', obj.metadata?.name ?? ''));
      return;
    }
    const r = resource as SourceResource;
    if (event !== 'delete') {
      this.record(mc, r, obj, ctx);
      return;
    }
    const id = objectId(mc.name, r, obj);
    this.o.index.set(id, []);
    this.o.skipped.remove(id);
  }

  /** Re-derives every object of a cluster (or of one namespace in it). */
  rederive(mc: MemberCluster, namespace?: string): void {
    this.o.index.batch(() => this.rederiveNow(mc, namespace));
  }

  private rederiveNow(mc: MemberCluster, namespace?: string): void {
    // A full re-derivation (connected, an API appeared, the GSLBConfig or policy changed) rebuilds the tracker.
    if (namespace === undefined && this.annotatedUuids.has(mc.name)) {
      const uuids = new AnnotatedControllerUuid();
      this.annotatedUuids.set(mc.name, uuids);
      if (this.needsAnnotatedUuid(mc)) {
        for (const r of ['ingresses', 'services'] as const) for (const o of mc[r]() as KubernetesObject[]) uuids.set(objectId(mc.name, r, o), o.metadata?.annotations);
      }
    }
    const ctx = this.deriveCtx(mc);
    if (!ctx) return;
    const seen = new Set<string>();
    const each = (resource: SourceResource, objs: KubernetesObject[]) => {
      for (const o of objs) {
        if (namespace !== undefined && o.metadata?.namespace !== namespace) continue;
        seen.add(this.record(mc, resource, o, ctx));
      }
    };
    each('ingresses', mc.ingresses());
    each('services', mc.services());
    each('routes', mc.routes() as KubernetesObject[]);
    each('httproutes', mc.httpRoutes() as KubernetesObject[]);
    // Objects we had members for but that are no longer in the cache.
    for (const id of this.o.index.objectIds(mc.name)) {
      if (seen.has(id)) continue;
      if (namespace !== undefined && id.split('/')[2] !== namespace) continue;
      this.o.index.set(id, []);
    }
    for (const id of this.o.skipped.objectIds(mc.name)) {
      if (!seen.has(id) && (namespace === undefined || id.split('/')[2] === namespace)) this.o.skipped.remove(id);
    }
  }

  /** [custom-fqdn] The HostRules of every cluster, as cached. */
  hostRules(): Array<[string, HostRule[]]> {
    return this.list().map((c) => [c.name, c.hostRules()]);
  }

  rederiveAll(): void {
    this.o.index.batch(() => {
      for (const mc of this.clusters.values()) this.rederive(mc);
    });
  }

  updateMetrics(now: number): void {
    const perCluster = this.o.index.countsByCluster();
    for (const [name, mc] of this.clusters) {
      M.members.set({ cluster: name }, perCluster.get(name) ?? 0);
      M.clusterUp.set({ cluster: name }, mc.isReady() ? 1 : 0);
      for (const s of mc.informerStats()) {
        M.informerAge.set({ cluster: name, resource: s.resource }, s.lastEventAt ? (now - s.lastEventAt) / 1000 : 0);
        M.informerRestarts.set({ cluster: name, resource: s.resource }, s.restarts);
      }
    }
  }

  snapshot() {
    return this.list().map((c) => ({ name: c.name, ready: c.isReady(), lastError: c.lastError }));
  }
}
