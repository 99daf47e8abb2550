// The source stage of the pipeline: member-cluster objects -> member records
// (members/derive.ts, selected by the GDP) -> named members (the naming step)
// -> a MemberIndex by GslbService key. The worker feeds it object by object from
// its informers (member-clusters.ts); `amko plan` and the benchmarks feed it one
// list of each kind per cluster (indexCluster). Both go through objectMembers.
import type { KubernetesObject, V1Ingress, V1Namespace, V1Service } from '@kubernetes/client-node';
import type { GDPSpec } from '../api/index.js';
import { deriveIngress, deriveRoute, deriveService, type DeriveContext, type Route } from './members/derive.js';
import { selectionFromGdp } from './members/selection.js';
import type { MemberRecord, NamedMember, NamingStep, Rejection } from './members/types.js';
import type { MemberIndex } from './member-index.js';
import { intern } from './util.js';

/** The member-cluster resources members are derived from (cluster.ts watches them). */
export type SourceResource = 'ingresses' | 'services' | 'routes';

/** What derivation depends on besides the object: the policy and the GSLBConfig in force. */
export interface SourceInputs {
  gdp?: GDPSpec;
  /** The GSLBConfig tenant (objects without a tenant of their own or of their namespace). */
  tenant: string;
  naming: NamingStep;
}

export function deriveContext(cluster: string, inputs: SourceInputs, namespace: (name: string) => V1Namespace | undefined): DeriveContext {
  return {
    cluster,
    selection: selectionFromGdp(inputs.gdp),
    defaultTenant: inputs.tenant,
    defaultDomain: inputs.gdp?.defaultDomain,
    namespace,
  };
}

/** The MemberIndex id of an object: `<cluster>/<resource>/<namespace>/<name>`. */
export function objectId(cluster: string, resource: SourceResource, obj: KubernetesObject): string {
  return `${cluster}/${resource}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

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

/** The named members of one object; its rejections (objects that give no member, with the reason) go to `rejections`. */
export function objectMembers(resource: SourceResource, obj: KubernetesObject, ctx: DeriveContext, naming: NamingStep, rejections?: Rejection[]): NamedMember[] {
  const r =
    resource === 'ingresses' ? deriveIngress(obj as V1Ingress, ctx) : resource === 'services' ? deriveService(obj as V1Service, ctx) : deriveRoute(obj as Route, ctx);
  if (rejections) rejections.push(...r.rejections);
  const out: NamedMember[] = [];
  for (const m of r.members) {
    const n = naming(m);
    if (n) out.push(namedRecord(m, n));
  }
  return out;
}

/** One list of each kind of a member cluster. */
export interface ClusterLists {
  namespaces: readonly V1Namespace[];
  ingresses: readonly KubernetesObject[];
  services: readonly KubernetesObject[];
  routes: readonly KubernetesObject[];
}

/** Indexes every object of a cluster's lists (the one-shot form of the informer-fed path); returns the rejections. */
export function indexCluster(index: MemberIndex, cluster: string, lists: ClusterLists, inputs: SourceInputs): Rejection[] {
  const namespaces = new Map(lists.namespaces.map((n) => [n.metadata?.name ?? '', n]));
  const ctx = deriveContext(cluster, inputs, (n) => namespaces.get(n));
  const rejections: Rejection[] = [];
  for (const resource of ['ingresses', 'services', 'routes'] as const) {
    for (const obj of lists[resource]) index.set(objectId(cluster, resource, obj), objectMembers(resource, obj, ctx, inputs.naming, rejections), false);
  }
  return rejections;
}
