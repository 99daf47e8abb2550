// One member cluster: connectivity probe, Route API discovery, and resilient
// informers on Namespaces, Ingresses, Services and (where the API exists)
// Routes. An unreachable cluster is retried on a capped backoff in the
// background; it never blocks the other clusters.
import type { KubeConfig, KubernetesListObject, KubernetesObject, V1Ingress, V1Namespace, V1Service } from '@kubernetes/client-node';
import { backoffDelay, jittered } from '../backoff.js';
import { makeResilientInformer, describeError, type ResilientInformer } from '../kube/informer.js';
import { isStatus, kubeRequest } from '../kube/http.js';
import type { Logger } from '../log.js';
import type { Route } from './members/derive.js';
import { workerMetrics as M } from './metrics.js';
import { intern } from './util.js';
import { boundedDelay } from '../timers.js';

export type MemberResource = 'namespaces' | 'ingresses' | 'services' | 'routes';

export interface MemberClusterOptions {
  name: string;
  kubeConfig: KubeConfig;
  log: Logger;
  onEvent: (resource: MemberResource, event: 'add' | 'update' | 'delete', obj: KubernetesObject) => void;
  /** Called every time the cluster (re)becomes ready (informers synced). */
  onReady: () => void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  syncTimeoutMs?: number;
  /** A watch silent for longer than this is checked by a relist (idle vs stalled). Default 5 min; 0 turns it off. */
  stallAfterMs?: number;
}

const PATHS: Record<MemberResource, string> = {
  namespaces: '/api/v1/namespaces',
  ingresses: '/apis/networking.k8s.io/v1/ingresses',
  services: '/api/v1/services',
  routes: '/apis/route.openshift.io/v1/routes',
};

/** apiVersion and kind of the member objects (list items carry neither). */
export const MEMBER_KINDS: Record<Exclude<MemberResource, 'namespaces'>, { apiVersion: string; kind: string }> = {
  ingresses: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  services: { apiVersion: 'v1', kind: 'Service' },
  routes: { apiVersion: 'route.openshift.io/v1', kind: 'Route' },
};

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Copies `v` without its undefined fields (they would still take a slot in the cached object). */
function defined<T extends object>(v: T): T {
  for (const k of Object.keys(v) as Array<keyof T>) if (v[k] === undefined) delete v[k];
  return v;
}

type Loose = Record<string, any>;

const slimLb = (st: Loose | undefined) =>
  st?.loadBalancer ? { loadBalancer: { ingress: ((st.loadBalancer as Loose).ingress as Loose[] | undefined)?.map((l) => defined({ ip: l.ip, hostname: l.hostname })) } } : undefined;

/**
 * What the member informers cache of an object: the metadata derivation reads (no managedFields, no
 * last-applied annotation) and, per resource, the spec/status parts derive.ts reads. Repeated strings
 * (namespace, labels) are shared.
 */
export function slimMemberObject(resource: MemberResource, obj: KubernetesObject): KubernetesObject {
  const md = obj.metadata ?? {};
  let annotations = md.annotations;
  if (annotations && LAST_APPLIED in annotations) {
    annotations = { ...annotations };
    delete annotations[LAST_APPLIED];
  }
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
            defined({ host: r.host, http: r.http && { paths: ((r.http as Loose).paths as Loose[] | undefined)?.map((p) => defined({ path: p.path })) } }),
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
export async function listSlim(kc: KubeConfig, path: string, resource: MemberResource, pageSize = LIST_PAGE): Promise<KubernetesListObject<KubernetesObject>> {
  const items: KubernetesObject[] = [];
  let cont: string | undefined;
  let first: KubernetesListObject<KubernetesObject> | undefined;
  do {
    const page = await kubeRequest<KubernetesListObject<KubernetesObject>>(
      kc,
      'GET',
      `${path}?limit=${pageSize}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
    );
    first ??= page;
    for (const o of page.items ?? []) items.push(slimMemberObject(resource, o));
    // Raw JSON from the API server: `continue` (client-node's typed V1ListMeta calls it _continue).
    cont = (page.metadata as { continue?: string } | undefined)?.continue || undefined;
  } while (cont);
  return { apiVersion: first.apiVersion, kind: first.kind, metadata: { resourceVersion: first.metadata?.resourceVersion }, items };
}

export class MemberCluster {
  readonly name: string;
  private readonly o: MemberClusterOptions;
  private informers = new Map<MemberResource, ResilientInformer<KubernetesObject>>();
  private stopped = false;
  private ready = false;
  private attempts = 0;
  private timer?: NodeJS.Timeout;
  private stallTimer?: NodeJS.Timeout;
  private checking = false;
  private firstAttempt: Promise<void>;
  private resolveFirst!: () => void;
  lastError?: string;

  constructor(opts: MemberClusterOptions) {
    this.name = opts.name;
    this.o = opts;
    this.firstAttempt = new Promise((r) => (this.resolveFirst = r));
  }

  isReady(): boolean {
    return this.ready;
  }

  /** The client of this member cluster (its kubeconfig context). */
  get kubeConfig(): KubeConfig {
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
    this.resolveFirst();
    await this.stopInformers();
  }

  private async stopInformers(): Promise<void> {
    const infs = [...this.informers.values()];
    this.informers.clear();
    await Promise.all(infs.map((i) => i.stop().catch(() => undefined)));
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.attempts++;
    try {
      const kc = this.o.kubeConfig;
      await kubeRequest(kc, 'GET', '/api/v1/namespaces?limit=1', { timeoutMs: 10_000 });
      let routes = false;
      try {
        await kubeRequest(kc, 'GET', '/apis/route.openshift.io/v1', { timeoutMs: 10_000 });
        routes = true;
      } catch (err) {
        if (!isStatus(err, 404)) throw err;
      }
      const resources: MemberResource[] = ['namespaces', 'ingresses', 'services', ...(routes ? (['routes'] as const) : [])];
      for (const r of resources) {
        const path = PATHS[r];
        // Lists arrive slim already (listSlim); the transform slims watch events (and is a no-op on slim objects).
        const inf = makeResilientInformer<KubernetesObject>(kc, path, () => listSlim(kc, path, r), {
          name: `${this.name}/${r}`,
          log: this.o.log,
          initialBackoffMs: this.o.initialBackoffMs ?? 500,
          maxBackoffMs: this.o.maxBackoffMs ?? 30_000,
          transform: (obj) => slimMemberObject(r, obj),
        });
        inf.onEvent((event, obj) => this.o.onEvent(r, event, obj));
        this.informers.set(r, inf);
      }
      await Promise.all([...this.informers.values()].map((i) => i.start()));
      await Promise.all([...this.informers.values()].map((i) => i.waitForSync(this.o.syncTimeoutMs ?? 30_000)));
      if (this.stopped) return;
      this.ready = true;
      this.attempts = 0;
      this.lastError = undefined;
      this.o.log.info({ cluster: this.name, routes }, 'member cluster connected');
      this.resolveFirst();
      this.startStallChecks();
      this.o.onReady();
    } catch (err) {
      await this.stopInformers();
      if (this.stopped) return;
      this.lastError = describeError(err);
      const delay = jittered(backoffDelay(this.attempts, this.o.initialBackoffMs ?? 500, this.o.maxBackoffMs ?? 30_000));
      this.o.log.warn({ cluster: this.name, err: this.lastError, retryInMs: delay }, 'member cluster unreachable; retrying');
      this.resolveFirst();
      this.timer = setTimeout(() => void this.connect(), boundedDelay(delay));
      this.timer.unref?.();
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
          this.o.log.debug({ cluster: this.name, resource, err: describeError(err) }, 'stall check relist failed');
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
  namespace(name: string): V1Namespace | undefined {
    return this.informers.get('namespaces')?.get(name) as V1Namespace | undefined;
  }
}
