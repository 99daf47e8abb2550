// The member clusters of the GSLBConfig in force: one MemberCluster (informers
// with backoff) per context, and the derivation of their objects into member
// records (selection by the GDP, naming, tenant) kept in a MemberIndex; the
// selected objects that produce no member are kept in SkippedMembers.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { GDPSpec } from '../api/index.js';
import type { Logger } from '../log.js';
import { MEMBER_KINDS, MemberCluster, type MemberResource } from './cluster.js';
import type { HostRuleNaming } from './custom-fqdn/index.js';
import { deriveIngress, deriveRoute, deriveService, type DeriveContext, type Route } from './members/derive.js';
import { selectionFromGdp } from './members/selection.js';
import type { DerivationResult, MemberRecord, NamedMember, NamingStep } from './members/types.js';
import type { MemberIndex } from './member-index.js';
import { workerMetrics as M } from './metrics.js';
import type { SkippedMembers } from './skipped-members.js';
import { intern } from './util.js';

/** Shared by every member without aliases (never mutated). */
const NO_ALIASES: string[] = [];
const pathLists = new Map<string, string[]>();
/** One shared array per distinct path list (most members have ['/']); bounded like intern(). Never mutated. */
function sharedPaths(paths: string[]): string[] {
  const key = paths.join('\u0000');
  const hit = pathLists.get(key);
  if (hit) return hit;
  if (pathLists.size < 10_000) pathLists.set(key, paths);
  return paths;
}

/**
 * A member record after the naming step, as the index keeps it: repeated strings and lists are shared between
 * records (they are held for every member of every cluster).
 */
export function namedRecord(m: MemberRecord, n: NonNullable<ReturnType<NamingStep>>): NamedMember {
  return {
    ...m,
    namespace: intern(m.namespace),
    tenant: intern(m.tenant),
    paths: sharedPaths(m.paths),
    ...(n.tls !== undefined ? { tls: n.tls } : {}), // [custom-fqdn] tls
    gsName: n.gsName === m.hostname ? m.hostname : n.gsName,
    aliases: n.aliases.length > 0 ? n.aliases : NO_ALIASES,
  };
}

export interface MemberClustersOptions {
  log: Logger;
  index: MemberIndex;
  /** Where selected objects that produce no member are recorded. */
  skipped: SkippedMembers;
  naming: NamingStep;
  /** [custom-fqdn] HostRule watches follow the member clusters. */
  hostRuleNaming?: HostRuleNaming;
  backoff?: { initialMs?: number; maxMs?: number };
  /** Stall threshold of the member informers (MemberClusterOptions.stallAfterMs). */
  stallAfterMs?: number;
  /** The worker's term; events of an older term are dropped. */
  generation(): number;
  /** What derivation depends on; undefined while no GSLBConfig is in force (events are ignored). */
  inputs(): { gdp?: GDPSpec; tenant: string } | undefined;
}

export class MemberClusters {
  private readonly clusters = new Map<string, MemberCluster>();

  constructor(private readonly o: MemberClustersOptions) {}

  has(name: string): boolean {
    return this.clusters.has(name);
  }

  names(): string[] {
    return [...this.clusters.keys()];
  }

  list(): MemberCluster[] {
    return [...this.clusters.values()];
  }

  kubeConfigOf(name: string): KubeConfig | undefined {
    return this.clusters.get(name)?.kubeConfig;
  }

  /** Resolves once every cluster made its first attempt (synced or failed). */
  async attempted(): Promise<void> {
    await Promise.all(this.list().map((c) => c.attempted()));
  }

  start(name: string, kc: KubeConfig): void {
    const gen = this.o.generation();
    const current = (mc: MemberCluster) => gen === this.o.generation() && this.clusters.get(name) === mc;
    const mc: MemberCluster = new MemberCluster({
      name,
      kubeConfig: kc,
      log: this.o.log,
      initialBackoffMs: this.o.backoff?.initialMs,
      maxBackoffMs: this.o.backoff?.maxMs,
      stallAfterMs: this.o.stallAfterMs,
      onEvent: (resource, event, obj) => {
        if (current(mc)) this.onEvent(mc, resource, event, obj);
      },
      onReady: () => {
        if (current(mc)) this.rederive(mc);
      },
    });
    this.clusters.set(name, mc);
    this.o.hostRuleNaming?.addCluster(name, kc); // [custom-fqdn]
    mc.start();
  }

  async stop(names: string[] = this.names()): Promise<void> {
    await Promise.all(
      names.map(async (n) => {
        const c = this.clusters.get(n);
        this.clusters.delete(n);
        M.clusterUp.remove({ cluster: n });
        M.members.remove({ cluster: n });
        this.o.skipped.dropCluster(n);
        await this.o.hostRuleNaming?.removeCluster(n); // [custom-fqdn]
        await c?.stop();
      }),
    );
  }

  private deriveCtx(mc: MemberCluster): DeriveContext | undefined {
    const inputs = this.o.inputs();
    if (!inputs) return undefined;
    return {
      cluster: mc.name,
      selection: selectionFromGdp(inputs.gdp),
      defaultTenant: inputs.tenant,
      defaultDomain: inputs.gdp?.defaultDomain,
      namespace: (n) => mc.namespace(n),
    };
  }

  private deriveObject(resource: MemberResource, obj: KubernetesObject, ctx: DeriveContext): DerivationResult {
    switch (resource) {
      case 'ingresses':
        return deriveIngress(obj, ctx);
      case 'services':
        return deriveService(obj, ctx);
      case 'routes':
        return deriveRoute(obj as Route, ctx);
      default:
        return { members: [], rejections: [] };
    }
  }

  /** Derives one object into the index (its members) and SkippedMembers (why it has none, if selected). */
  private record(mc: MemberCluster, resource: Exclude<MemberResource, 'namespaces'>, obj: KubernetesObject, ctx: DeriveContext): string {
    const id = this.objId(mc.name, resource, obj);
    const r = this.deriveObject(resource, obj, ctx);
    this.o.index.set(id, this.applyNaming(r.members));
    const md = obj.metadata ?? {};
    this.o.skipped.set(id, { cluster: mc.name, ...MEMBER_KINDS[resource], namespace: md.namespace ?? '', name: md.name ?? '', uid: md.uid }, r.rejections);
    return id;
  }

  private objId(cluster: string, resource: MemberResource, obj: KubernetesObject): string {
    return `${cluster}/${resource}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
  }

  private applyNaming(members: MemberRecord[]): NamedMember[] {
    const out: NamedMember[] = [];
    for (const m of members) {
      const n = this.o.naming(m);
      if (n) out.push(namedRecord(m, n));
    }
    return out;
  }

  private onEvent(mc: MemberCluster, resource: MemberResource, event: 'add' | 'update' | 'delete', obj: KubernetesObject): void {
    const ctx = this.deriveCtx(mc);
    if (!ctx) return;
    if (resource === 'namespaces') {
      this.rederive(mc, obj.metadata?.name ?? '');
      return;
    }
    if (event !== 'delete') {
      this.record(mc, resource, obj, ctx);
      return;
    }
    const id = this.objId(mc.name, resource, obj);
    this.o.index.set(id, []);
    this.o.skipped.remove(id);
  }

  /** Re-derives every object of a cluster (or of one namespace in it). */
  rederive(mc: MemberCluster, namespace?: string): void {
    const ctx = this.deriveCtx(mc);
    if (!ctx) return;
    const seen = new Set<string>();
    const each = (resource: Exclude<MemberResource, 'namespaces'>, objs: KubernetesObject[]) => {
      for (const o of objs) {
        if (namespace !== undefined && o.metadata?.namespace !== namespace) continue;
        seen.add(this.record(mc, resource, o, ctx));
      }
    };
    each('ingresses', mc.ingresses());
    each('services', mc.services());
    each('routes', mc.routes() as KubernetesObject[]);
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

  rederiveAll(): void {
    for (const mc of this.clusters.values()) this.rederive(mc);
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
