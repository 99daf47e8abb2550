// One member cluster: connectivity probe, discovery of the optional APIs
// (OpenShift Routes, AKO HostRules, Gateway API Gateways and HTTPRoutes), and resilient informers on Namespaces,
// Ingresses, Services and the optional APIs that exist. An unreachable cluster
// is retried on a capped backoff in the background; it never blocks the other
// clusters. An optional API that is absent is looked for again periodically, so
// a CRD installed later is picked up.
import type { KubernetesListObject, KubernetesObject, V1Ingress, V1Namespace, V1Service } from '@kubernetes/client-node';
import type { KubeConfigLike } from '../kube/config.js';
import { backoffDelay, jittered } from '../backoff.js';
import { kubeClient, type KubeClient } from '../kube/client.js';
import { errorText, isStatus } from '../kube/errors.js';
import { makeResilientInformer, type ResilientInformer } from '../kube/informer.js';
import { HOSTRULE_API, HOSTRULE_PATH, MEMBER_PATHS, ROUTE_API } from '../kube/paths.js';
import type { Logger } from '../log.js';
import type { HostRule } from './custom-fqdn/mapping.js';
import type { Route } from './members/derive.js';
import { GATEWAY_API, GATEWAY_PATHS, type Gateway, type HTTPRoute } from './members/gateway-api.js';
import { workerMetrics as M } from './metrics.js';
import { intern } from './util.js';
import { ANN_CONTROLLER_UUID } from './members/derive.js';
import { boundedDelay } from '../timers.js';

export type MemberResource = 'namespaces' | 'ingresses' | 'services' | 'routes' | 'hostrules' | 'gateways' | 'httproutes';

/** Where each resource lives; `api`: an optional API, watched only where discovery finds the resource. */
const RESOURCES: Record<MemberResource, { path: string; api?: string; slim: boolean }> = {
  namespaces: { path: MEMBER_PATHS.namespaces, slim: true },
  ingresses: { path: MEMBER_PATHS.ingresses, slim: true },
  services: { path: MEMBER_PATHS.services, slim: true },
  routes: { path: MEMBER_PATHS.routes, api: ROUTE_API, slim: true },
  // The FQDN mapping reads HostRules whole (spec.virtualhost, status).
  hostrules: { path: HOSTRULE_PATH, api: HOSTRULE_API, slim: false },
  gateways: { path: GATEWAY_PATHS.gateways, api: GATEWAY_API, slim: true },
  httproutes: { path: GATEWAY_PATHS.httproutes, api: GATEWAY_API, slim: true },
};

/** apiVersion and kind of the member objects (list items carry neither). */
export const MEMBER_KINDS: Record<'ingresses' | 'services' | 'routes' | 'httproutes', { apiVersion: string; kind: string }> = {
  ingresses: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  services: { apiVersion: 'v1', kind: 'Service' },
  routes: { apiVersion: 'route.openshift.io/v1', kind: 'Route' },
  httproutes: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' },
};

export interface MemberClusterOptions {
  name: string;
  kubeConfig: KubeConfigLike;
  log: Logger;
  onEvent: (resource: MemberResource, event: 'add' | 'update' | 'delete', obj: KubernetesObject) => void;
  /** Called every time the cluster (re)becomes ready (informers synced), and when an optional API appears. */
  onReady: () => void;
  /** Watch AKO HostRules where the API exists (the HostRule naming step reads them). */
  hostRules?: boolean;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  syncTimeoutMs?: number;
  /** A watch silent for longer than this is checked by a relist (idle vs stalled). Default 5 min; 0 turns it off. */
  stallAfterMs?: number;
  /** How often an absent optional API is looked for again. Default 30 s. */
  rediscoverMs?: number;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Copies `v` without its undefined fields (they would still take a slot in the cached object). Into a new
 * object: deleting a field turns an object into a hash table (V8's dictionary mode), several times its size.
 */
function defined<T extends object>(v: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = x;
  return out as T;
}

/** The annotations the member informers keep: all but kubectl's last-applied copy; AKO's controller UUID shared. */
function slimAnnotations(annotations: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) {
    if (k === LAST_APPLIED) continue;
    out[k] = k === ANN_CONTROLLER_UUID ? intern(v) : v;
  }
  return out;
}

const httpPaths = new Map<string, { readonly paths: ReadonlyArray<{ readonly path?: string }> }>();
/** An Ingress rule's `http` as derivation reads it: one shared, frozen copy per distinct path list (bounded like intern()). */
function slimHttp(http: Loose): { readonly paths?: ReadonlyArray<{ readonly path?: string }> } {
  const paths = (http.paths as Loose[] | undefined)?.map((p) => defined({ path: p.path as string | undefined }));
  if (!paths) return {};
  const key = JSON.stringify(paths);
  const hit = httpPaths.get(key);
  if (hit) return hit;
  const shared = Object.freeze({ paths: Object.freeze(paths.map((p) => Object.freeze(p))) });
  if (httpPaths.size < 10_000) httpPaths.set(key, shared);
  return shared;
}

type Loose = Record<string, any>;

const slimConditions = (cs: Loose[] | undefined) => cs?.map((c) => defined({ type: intern(c.type as string | undefined), status: intern(c.status as string | undefined), message: c.message }));
const slimParentRef = (r: Loose | undefined) =>
  r && defined({ group: intern(r.group as string | undefined), kind: intern(r.kind as string | undefined), namespace: intern(r.namespace as string | undefined), name: r.name, sectionName: r.sectionName, port: r.port });

const slimLb = (st: Loose | undefined) =>
  st?.loadBalancer ? { loadBalancer: { ingress: ((st.loadBalancer as Loose).ingress as Loose[] | undefined)?.map((l) => defined({ ip: l.ip, hostname: l.hostname })) } } : undefined;

/**
 * What the member informers cache of an object: the metadata derivation reads (no managedFields, no
 * last-applied annotation) and, per resource, the spec/status parts derive.ts reads. Repeated strings
 * (namespace, labels) are shared.
 */
export function slimMemberObject(resource: MemberResource, obj: KubernetesObject): KubernetesObject {
  const md = obj.metadata ?? {};
  const annotations = md.annotations && slimAnnotations(md.annotations);
  let labels = md.labels;
  if (labels) {
    labels = {};
    for (const [k, v] of Object.entries(md.labels!)) labels[k] = intern(v);
  }
  const metadata = defined({
    name: md.name,
    namespace: intern(md.namespace),
    uid: md.uid,
    resourceVersion: md.resourceVersion,
    creationTimestamp: md.creationTimestamp,
    labels,
    annotations,
  });
  const o = obj as Loose;
  const spec = (o.spec ?? undefined) as Loose | undefined;
  const status = (o.status ?? undefined) as Loose | undefined;
  const base = { apiVersion: obj.apiVersion, kind: obj.kind, metadata };
  switch (resource) {
    case 'ingresses':
      return defined({
        ...base,
        spec: spec && {
          rules: (spec.rules as Loose[] | undefined)?.map((r) =>
            defined({ host: r.host, http: r.http && slimHttp(r.http as Loose) }),
          ),
          tls: (spec.tls as Loose[] | undefined)?.map((t) => ({ hosts: t.hosts })),
        },
        status: slimLb(status),
      }) as KubernetesObject;
    case 'services':
      return defined({
        ...base,
        spec: spec && { type: intern(spec.type as string | undefined), ports: (spec.ports as Loose[] | undefined)?.map((p) => defined({ port: p.port, protocol: intern(p.protocol as string | undefined) })) },
        status: slimLb(status),
      }) as KubernetesObject;
    case 'routes':
      return defined({
        ...base,
        spec: spec && defined({ host: spec.host, subdomain: spec.subdomain, path: spec.path, tls: spec.tls && { termination: intern((spec.tls as Loose).termination as string | undefined) } }),
        status: status && {
          ingress: (status.ingress as Loose[] | undefined)?.map((i) =>
            defined({
              host: i.host,
              routerName: intern(i.routerName as string | undefined),
              conditions: (i.conditions as Loose[] | undefined)?.map((c) => defined({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
            }),
          ),
        },
      }) as KubernetesObject;
    case 'gateways':
      return defined({
        ...base,
        spec: spec && {
          listeners: (spec.listeners as Loose[] | undefined)?.map((l) =>
            defined({ name: l.name, hostname: l.hostname, port: l.port, protocol: intern(l.protocol as string | undefined), allowedRoutes: l.allowedRoutes }),
          ),
        },
        status: status && defined({ addresses: status.addresses, conditions: slimConditions(status.conditions as Loose[] | undefined) }),
      }) as KubernetesObject;
    case 'httproutes':
      return defined({
        ...base,
        spec: spec && defined({
          parentRefs: (spec.parentRefs as Loose[] | undefined)?.map(slimParentRef),
          hostnames: spec.hostnames,
          rules: (spec.rules as Loose[] | undefined)?.map((r) => ({
            matches: (r.matches as Loose[] | undefined)?.map((mt) => defined({ path: mt.path && defined({ type: intern((mt.path as Loose).type as string | undefined), value: (mt.path as Loose).value }) })),
          })),
        }),
        status: status && {
          parents: (status.parents as Loose[] | undefined)?.map((p) =>
            defined({ parentRef: slimParentRef(p.parentRef as Loose | undefined), controllerName: intern(p.controllerName as string | undefined), conditions: slimConditions(p.conditions as Loose[] | undefined) }),
          ),
        },
      }) as KubernetesObject;
    default:
      return base as KubernetesObject;
  }
}

/** Page size of the member informers' lists. */
const LIST_PAGE = 500;

/**
 * Lists `path` in pages of LIST_PAGE and slims every item as its page arrives, so a large cluster's list never
 * holds all of its whole objects (managedFields and all) in memory at once. The pages share the first page's
 * snapshot resourceVersion, from which the watch resumes.
 */
export async function listSlim(client: KubeClient, path: string, resource: MemberResource, pageSize = LIST_PAGE): Promise<KubernetesListObject<KubernetesObject>> {
  const slim = RESOURCES[resource].slim;
  const items: KubernetesObject[] = [];
  let cont: string | undefined;
  let first: KubernetesListObject<KubernetesObject> | undefined;
  do {
    const page = await client.request<KubernetesListObject<KubernetesObject>>(
      'GET',
      `${path}?limit=${pageSize}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
    );
    first ??= page;
    for (const o of page.items ?? []) items.push(slim ? slimMemberObject(resource, o) : o);
    // Raw JSON from the API server: `continue` (client-node's typed V1ListMeta calls it _continue).
    cont = (page.metadata as { continue?: string } | undefined)?.continue || undefined;
  } while (cont);
  return { apiVersion: first.apiVersion, kind: first.kind, metadata: { resourceVersion: first.metadata?.resourceVersion }, items };
}

/** One list of a resource (slim as the informers cache it); an optional API the cluster does not serve lists empty. */
export async function listResource(client: KubeClient, resource: MemberResource): Promise<KubernetesObject[]> {
  try {
    return (await listSlim(client, RESOURCES[resource].path, resource)).items;
  } catch (err) {
    if (RESOURCES[resource].api && isStatus(err, 404)) return [];
    throw err;
  }
}

export class MemberCluster {
  readonly name: string;
  private readonly o: MemberClusterOptions;
  private readonly client: KubeClient;
  private informers = new Map<MemberResource, ResilientInformer<KubernetesObject>>();
  /** Optional APIs not found at the last discovery (looked for again every rediscoverMs). */
  private absent: MemberResource[] = [];
  private stopped = false;
  private ready = false;
  private attempts = 0;
  private timer?: NodeJS.Timeout;
  private stallTimer?: NodeJS.Timeout;
  private rediscoverTimer?: NodeJS.Timeout;
  private checking = false;
  /** The Gateway API's absence is logged once per cluster (it is looked for again every rediscoverMs). */
  private gatewayApiOffLogged = false;
  private firstAttempt: Promise<void>;
  private resolveFirst!: () => void;
  lastError?: string;

  constructor(opts: MemberClusterOptions) {
    this.name = opts.name;
    this.o = opts;
    this.client = kubeClient(opts.kubeConfig);
    this.firstAttempt = new Promise((r) => (this.resolveFirst = r));
  }

  isReady(): boolean {
    return this.ready;
  }

  /** The kubeconfig of this member cluster (its context). */
  get kubeConfig(): KubeConfigLike {
    return this.o.kubeConfig;
  }

  /** Resolves after the first connection attempt finished (success or failure). */
  attempted(): Promise<void> {
    return this.firstAttempt;
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ready = false;
    clearTimeout(this.timer);
    clearInterval(this.stallTimer);
    clearTimeout(this.rediscoverTimer);
    this.resolveFirst();
    await this.stopInformers();
  }

  private async stopInformers(): Promise<void> {
    const infs = [...this.informers.values()];
    this.informers.clear();
    await Promise.all(infs.map((i) => i.stop().catch(() => undefined)));
  }

  /**
   * The optional APIs' resources the cluster serves (their API group/version lists them): one read per
   * group/version (gateways and httproutes share one), all at once.
   */
  private async discover(resources: readonly MemberResource[]): Promise<Set<MemberResource>> {
    const byApi = new Map<string, MemberResource[]>();
    for (const r of resources) byApi.set(RESOURCES[r].api!, [...(byApi.get(RESOURCES[r].api!) ?? []), r]);
    const served = new Set<MemberResource>();
    await Promise.all(
      [...byApi].map(async ([api, wanted]) => {
        let names: Array<string | undefined>;
        try {
          names = ((await this.client.request<{ resources?: Array<{ name?: string }> }>('GET', api, { timeoutMs: 10_000 })).resources ?? []).map((r) => r.name);
        } catch (err) {
          if (isStatus(err, 404)) return;
          throw err;
        }
        for (const r of wanted) if (names.includes(r)) served.add(r);
      }),
    );
    return served;
  }

  private optional(): MemberResource[] {
    return ['routes', 'gateways', 'httproutes', ...(this.o.hostRules ? (['hostrules'] as const) : [])];
  }

  private informerFor(r: MemberResource): ResilientInformer<KubernetesObject> {
    const path = RESOURCES[r].path;
    // Lists arrive slim already (listSlim); the transform slims watch events (and is a no-op on slim objects).
    const inf = makeResilientInformer<KubernetesObject>(this.client, path, {
      name: `${this.name}/${r}`,
      log: this.o.log,
      list: () => listSlim(this.client, path, r),
      initialBackoffMs: this.o.initialBackoffMs ?? 500,
      maxBackoffMs: this.o.maxBackoffMs ?? 30_000,
      transform: RESOURCES[r].slim ? (obj) => slimMemberObject(r, obj) : undefined,
    });
    inf.onEvent((event, obj) => this.o.onEvent(r, event, obj));
    this.informers.set(r, inf);
    return inf;
  }

  private async startInformers(infs: ResilientInformer<KubernetesObject>[]): Promise<void> {
    await Promise.all(infs.map((i) => i.start()));
    await Promise.all(infs.map((i) => i.waitForSync(this.o.syncTimeoutMs ?? 30_000)));
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.attempts++;
    try {
      await this.client.request('GET', `${MEMBER_PATHS.namespaces}?limit=1`, { timeoutMs: 10_000 });
      const served = await this.discover(this.optional());
      const found = this.optional().filter((r) => served.has(r));
      this.absent = this.optional().filter((r) => !served.has(r));
      const resources: MemberResource[] = ['namespaces', 'ingresses', 'services', ...found];
      await this.startInformers(resources.map((r) => this.informerFor(r)));
      if (this.stopped) return;
      this.ready = true;
      this.attempts = 0;
      this.lastError = undefined;
      this.o.log.info({ cluster: this.name, optionalApis: found }, 'member cluster connected');
      if (this.absent.includes('httproutes') && !this.gatewayApiOffLogged) {
        this.gatewayApiOffLogged = true;
        this.o.log.info({ cluster: this.name }, 'the Gateway API (gateway.networking.k8s.io/v1) is not served: no HTTPRoute members from this cluster until its CRDs are installed');
      }
      this.resolveFirst();
      this.startStallChecks();
      this.scheduleRediscovery();
      this.o.onReady();
    } catch (err) {
      await this.stopInformers();
      if (this.stopped) return;
      this.lastError = errorText(err);
      const delay = jittered(backoffDelay(this.attempts, this.o.initialBackoffMs ?? 500, this.o.maxBackoffMs ?? 30_000));
      this.o.log.warn({ cluster: this.name, err: this.lastError, retryInMs: delay }, 'member cluster unreachable; retrying');
      this.resolveFirst();
      this.timer = setTimeout(() => void this.connect(), boundedDelay(delay));
      this.timer.unref?.();
    }
  }

  /** Looks for the absent optional APIs again; one that appeared is watched and the cluster re-derived. */
  private scheduleRediscovery(): void {
    clearTimeout(this.rediscoverTimer);
    if (this.absent.length === 0 || this.stopped) return;
    this.rediscoverTimer = setTimeout(() => void this.rediscover(), boundedDelay(this.o.rediscoverMs ?? 30_000));
    this.rediscoverTimer.unref?.();
  }

  private async rediscover(): Promise<void> {
    try {
      const served = await this.discover(this.absent);
      const appeared = this.absent.filter((r) => served.has(r));
      if (this.stopped || !this.ready || appeared.length === 0) return;
      this.absent = this.absent.filter((r) => !appeared.includes(r));
      await this.startInformers(appeared.map((r) => this.informerFor(r)));
      if (this.stopped) return;
      this.o.log.info({ cluster: this.name, optionalApis: appeared }, 'member cluster API appeared');
      this.o.onReady();
    } catch (err) {
      this.o.log.debug({ cluster: this.name, err: errorText(err) }, 'API discovery failed');
    } finally {
      this.scheduleRediscovery();
    }
  }

  private startStallChecks(): void {
    const after = this.o.stallAfterMs ?? 300_000;
    clearInterval(this.stallTimer);
    if (after <= 0) return;
    this.stallTimer = setInterval(() => void this.checkStalls(after), boundedDelay(Math.max(50, Math.floor(after / 2))));
    this.stallTimer.unref?.();
  }

  /** Relists every informer whose watch was silent longer than `after` ms: idle ones are left alone, stalled ones restart. */
  async checkStalls(after = this.o.stallAfterMs ?? 300_000): Promise<Array<{ resource: MemberResource; result: 'idle' | 'stalled' | 'error' }>> {
    if (this.checking || this.stopped || !this.ready) return [];
    this.checking = true;
    const out: Array<{ resource: MemberResource; result: 'idle' | 'stalled' | 'error' }> = [];
    try {
      const now = Date.now();
      for (const [resource, inf] of this.informers) {
        if (now - inf.lastVerifiedAt() < after) continue;
        let result: 'idle' | 'stalled' | 'error';
        try {
          result = await inf.relist();
        } catch (err) {
          result = 'error';
          this.o.log.debug({ cluster: this.name, resource, err: errorText(err) }, 'stall check relist failed');
        }
        M.informerRelists.inc({ cluster: this.name, resource, result });
        out.push({ resource, result });
      }
    } finally {
      this.checking = false;
    }
    return out;
  }

  informerStats(): Array<{ resource: MemberResource; lastEventAt: number; restarts: number }> {
    return [...this.informers.entries()].map(([resource, i]) => ({ resource, lastEventAt: i.lastEventAt(), restarts: i.restarts() }));
  }

  private list<T>(r: MemberResource): T[] {
    return (this.informers.get(r)?.list() ?? []) as unknown as T[];
  }
  namespaces = () => this.list<V1Namespace>('namespaces');
  ingresses = () => this.list<V1Ingress>('ingresses');
  services = () => this.list<V1Service>('services');
  routes = () => this.list<Route>('routes');
  hostRules = () => this.list<HostRule>('hostrules');
  httpRoutes = () => this.list<HTTPRoute>('httproutes');
  /** Whether the cluster serves HTTPRoutes (the Gateway API was discovered and is watched). */
  servesHttpRoutes(): boolean {
    return this.informers.has('httproutes');
  }
  namespace(name: string): V1Namespace | undefined {
    return this.informers.get('namespaces')?.get(name) as V1Namespace | undefined;
  }
  gateway(namespace: string, name: string): Gateway | undefined {
    return this.informers.get('gateways')?.get(name, namespace) as Gateway | undefined;
  }
}
