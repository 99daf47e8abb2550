// The source stage of the pipeline: member-cluster objects -> member records
// (members/derive.ts, selected by the GDP) -> named members (the naming step)
// -> a MemberIndex by GslbService key. The worker feeds it object by object from
// its informers (member-clusters.ts); `amko plan` and the benchmarks feed it one
// list of each kind per cluster (indexCluster). Both go through objectMembers.
// Kinds: Ingress, LoadBalancer Service, OpenShift Route, and Gateway API HTTPRoute (with the Gateways it attaches to).
import type { KubernetesObject, V1Ingress, V1Namespace, V1Service } from '@kubernetes/client-node';
import type { GDPSpec } from '../api/index.js';
import { annotatedControllerUuid, deriveIngress, deriveRoute, deriveService, type DeriveContext, type Route } from './members/derive.js';
import type { Gateway, HTTPRoute } from './members/gateway-api.js';
import { deriveHttpRoute } from './members/httproute.js';
import { selectionFromGdp } from './members/selection.js';
import type { MemberRecord, NamedMember, NamingStep, Notice, Rejection } from './members/types.js';
import type { MemberIndex } from './member-index.js';
import { intern } from './util.js';

/** The member-cluster resources members are derived from (cluster.ts watches them). */
export type SourceResource = 'ingresses' | 'services' | 'routes' | 'httproutes';

/** What derivation depends on besides the object: the policy and the GSLBConfig in force. */
export interface SourceInputs {
  gdp?: GDPSpec;
  /** The GSLBConfig tenant (objects without a tenant of their own or of their namespace). */
  tenant: string;
  naming: NamingStep;
  /** GSLBConfig memberClusters[].controllerClusterUuid by cluster context. */
  controllerUuids?: ReadonlyMap<string, string>;
}

/** What a cluster's caches add to its derivation context: Gateways, and the controller UUID its AKO annotates. */
export interface ClusterLookups {
  gateway?(namespace: string, name: string): Gateway | undefined;
  /** The controller cluster UUID on the cluster's AKO-annotated Ingresses/Services (the GSLBConfig setting wins). */
  annotatedControllerUuid?: string;
}

export function deriveContext(
  cluster: string,
  inputs: SourceInputs,
  namespace: (name: string) => V1Namespace | undefined,
  lookups: ClusterLookups = {},
): DeriveContext {
  return {
    cluster,
    selection: selectionFromGdp(inputs.gdp),
    defaultTenant: inputs.tenant,
    defaultDomain: inputs.gdp?.defaultDomain,
    namespace,
    gateway: lookups.gateway,
    controllerUuid: inputs.controllerUuids?.get(cluster) ?? lookups.annotatedControllerUuid,
  };
}

/**
 * The controller cluster UUID of a cluster's AKO-annotated objects: the smallest one seen (one AKO per cluster
 * writes one; the order only makes the choice stable). Kept per object so an update or delete is accounted for.
 */
export class AnnotatedControllerUuid {
  private readonly byObject = new Map<string, string>();
  /** How many objects carry each UUID (one or a few keys: the choice below costs nothing per object). */
  private readonly counts = new Map<string, number>();
  private current: string | undefined;

  /** Records an object's UUID (undefined: none, or deleted); true when the cluster's UUID changed. */
  set(objId: string, annotations: Record<string, string> | undefined): boolean {
    const uuid = annotatedControllerUuid(annotations);
    const old = this.byObject.get(objId);
    if (uuid === old) return false;
    if (old !== undefined) {
      const n = this.counts.get(old)! - 1;
      if (n === 0) this.counts.delete(old);
      else this.counts.set(old, n);
    }
    if (uuid) {
      this.byObject.set(objId, uuid);
      this.counts.set(uuid, (this.counts.get(uuid) ?? 0) + 1);
    } else this.byObject.delete(objId);
    const next = [...this.counts.keys()].sort()[0];
    const changed = next !== this.current;
    this.current = next;
    return changed;
  }

  get(): string | undefined {
    return this.current;
  }
}

/** The MemberIndex id of an object: `<cluster>/<resource>/<namespace>/<name>`. */
export function objectId(cluster: string, resource: SourceResource, obj: KubernetesObject): string {
  // One flat string (gsKey says why).
  return [cluster, resource, obj.metadata?.namespace ?? '', obj.metadata?.name ?? ''].join('/');
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
  // Object.assign, not `{ ...m, gsName, … }`: V8 gives every object made by a spread followed by new keys a
  // hidden class of its own (~370 bytes per record, measured), where records of one shape share one. The
  // stores after it only overwrite keys `m` has.
  const out: NamedMember = Object.assign({}, m, {
    namespace: intern(m.namespace),
    tenant: intern(m.tenant),
    paths: sharedPaths(m.paths),
    gsName: n.gsName === m.hostname ? m.hostname : n.gsName,
    aliases: n.aliases.length > 0 ? n.aliases : NO_ALIASES,
  });
  if (m.controllerUuid !== undefined) out.controllerUuid = intern(m.controllerUuid);
  if (n.tls !== undefined) out.tls = n.tls; // [custom-fqdn] tls
  return out;
}

function derive(resource: SourceResource, obj: KubernetesObject, ctx: DeriveContext) {
  switch (resource) {
    case 'ingresses':
      return deriveIngress(obj as V1Ingress, ctx);
    case 'services':
      return deriveService(obj as V1Service, ctx);
    case 'routes':
      return deriveRoute(obj as Route, ctx);
    case 'httproutes':
      return deriveHttpRoute(obj as HTTPRoute, ctx);
  }
}

/**
 * The named members of one object; its rejections (objects that give no member, with the reason) go to
 * `rejections`, and what a user should know about its members (notices) to `notices`.
 */
export function objectMembers(
  resource: SourceResource,
  obj: KubernetesObject,
  ctx: DeriveContext,
  naming: NamingStep,
  rejections?: Rejection[],
  notices?: Notice[],
): NamedMember[] {
  const r = derive(resource, obj, ctx);
  if (rejections) rejections.push(...r.rejections);
  if (notices && r.notices) notices.push(...r.notices);
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
  /** Empty where the Gateway API is not served. */
  gateways?: readonly KubernetesObject[];
  httproutes?: readonly KubernetesObject[];
}

/** The source kinds, in derivation order. */
const SOURCE_RESOURCES: readonly SourceResource[] = ['ingresses', 'services', 'routes', 'httproutes'];

/** Indexes every object of a cluster's lists (the one-shot form of the informer-fed path); returns the rejections and notices. */
export function indexCluster(
  index: MemberIndex,
  cluster: string,
  lists: ClusterLists,
  inputs: SourceInputs,
): { rejections: Rejection[]; notices: Notice[]; httpRouteMembers: NamedMember[] } {
  const namespaces = new Map(lists.namespaces.map((n) => [n.metadata?.name ?? '', n]));
  const gateways = new Map((lists.gateways ?? []).map((g) => [`${g.metadata?.namespace}/${g.metadata?.name}`, g as Gateway]));
  const annotated = new AnnotatedControllerUuid();
  for (const resource of ['ingresses', 'services'] as const) for (const o of lists[resource]) annotated.set(objectId(cluster, resource, o), o.metadata?.annotations);
  const ctx = deriveContext(cluster, inputs, (n) => namespaces.get(n), {
    gateway: (ns, name) => gateways.get(`${ns}/${name}`),
    annotatedControllerUuid: annotated.get(),
  });
  const rejections: Rejection[] = [];
  const notices: Notice[] = [];
  const httpRouteMembers: NamedMember[] = [];
  for (const resource of SOURCE_RESOURCES) {
    for (const obj of lists[resource] ?? []) {
      const members = objectMembers(resource, obj, ctx, inputs.naming, rejections, notices);
      if (resource === 'httproutes') httpRouteMembers.push(...members);
      index.set(objectId(cluster, resource, obj), members, false);
    }
  }
  return { rejections, notices, httpRouteMembers };
}
