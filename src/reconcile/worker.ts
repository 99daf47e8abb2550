// The reconcile worker: own-cluster informers (GSLBConfig, GDP, GSLBHostRule,
// Secrets in avi-system), member-cluster informers, the Avi client lifecycle,
// the keyed work queue, full resyncs, status write-back and Events. Only the
// lease holder runs any of it.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { KubeConfig, type KubernetesListObject, type KubernetesObject, type V1Secret } from '@kubernetes/client-node';
import { AMKO_NAMESPACE, UUID_ANNOTATION, type GDPSpec, type GSLBConfig, type GSLBHostRule, type GSLBHostRuleSpec, type GlobalDeploymentPolicy, type KindName } from '../api/index.js';
import type { AviApi, GslbService, HealthMonitor } from '../avi/types.js';
import { makeResilientInformer, describeError, type ResilientInformer } from '../kube/informer.js';
import { kubeRequest } from '../kube/http.js';
import { kubeConfigForContext } from '../kube/kubeconfig.js';
import { LeaderElector, defaultIdentity, type LeaseSource } from '../kube/lease.js';
import type { Logger } from '../log.js';
import { watchRole, type RoleState, type RoleWatcher } from '../federation/role.js';
import { MemberCluster, type MemberResource } from './cluster.js';
import { buildDesiredGs, type DesiredInputs } from './desired/gslbservice.js';
import { gsNameFromHmDescription, isOwnedHm, type HmTemplate } from './desired/healthmonitors.js';
import { describeOperation, diffKey, type Operation } from './diff.js';
import { deriveIngress, deriveRoute, deriveService, type DeriveContext, type Route } from './members/derive.js';
import { selectionFromGdp } from './members/selection.js';
import { gsKey, identityNaming, parseGsKey, type MemberRecord, type NamedMember, type NamingStep } from './members/types.js';
import { workerMetrics as M } from './metrics.js';
import { WorkQueue, type RetrySpeed, type WorkQueueOptions } from './queue.js';
import { crPath, patchStatus, recordEvent } from './status.js';
import { validateGdp, validateHostRule, type ValidationContext } from './validate.js';
import { HostRuleNaming } from './custom-fqdn/index.js'; // [custom-fqdn]

export const GC_STATE = {
  accepted: 'success: gslb config accepted',
  anotherConfig: "error: can't add another gslbconfig",
  noController: 'error: invalid gslb config with controller IP ',
  noCredentials: 'error: invalid gslb config with leaderSecret ',
  noSecret: (s: string) => `error: secret object doesn't exist ${s}`,
  connect: (e: string) => `error: issue in connecting to the controller API, ${e}`,
  notLeader: 'error: controller not a leader',
  kubeconfig: (e: string) => `error: provided kubeconfig has an error ${e}`,
} as const;

export interface AviConnection {
  controller: string;
  username: string;
  password: string;
  version?: string;
  tenant: string;
}

export interface ReconcileWorkerOptions {
  /** The server's own cluster. */
  kubeConfig: KubeConfig;
  /** Member-cluster kubeconfig file (`--member-kubeconfig`, env GSLB_CONFIG). */
  memberKubeconfigPath?: string;
  namespace?: string;
  log: Logger;
  /** Builds the Avi client (default: src/avi AviClient). */
  aviFactory?: (c: AviConnection) => AviApi | Promise<AviApi>;
  /** Leader election (default on). `false` = this replica always syncs. */
  leaderElection?: false | { leaseName?: string; identity?: string; leaseDurationMs?: number; renewIntervalMs?: number; retryIntervalMs?: number };
  queue?: Partial<Omit<WorkQueueOptions, 'handler' | 'classify' | 'onResult'>>;
  memberBackoff?: { initialMs?: number; maxMs?: number };
  /** Overrides GSLBConfig refreshInterval (tests). */
  refreshIntervalMs?: number;
  /** Retry delay for config/validation steps that failed on a transient error. Default 5000. */
  retryDelayMs?: number;
  /** Naming step (default: local hostname = GslbService name). */
  naming?: NamingStep;
  /**
   * The AMKOCluster role of this instance (federation). The worker syncs only
   * while `role.syncToAvi` is true AND it holds the Lease; both take effect
   * live. Default: watched from the own cluster's namespace (watchRole); a
   * given watcher is started and stopped by its owner. `false`: no role gating
   * (always `syncToAvi`).
   */
  role?: RoleWatcher | false;
  /** PEM file with the CA(s) of the Avi controller for the default Avi client (`--avi-ca-file`), read at each client build; default: env AVI_CA_FILE. */
  aviCaFile?: string;
  /** Skip TLS verification for the default Avi client (`--avi-insecure-skip-tls-verify`); default: env AVI_INSECURE_SKIP_TLS_VERIFY=true. */
  aviInsecureSkipTlsVerify?: boolean;
}

const ALWAYS_SYNC: RoleState = { role: 'none', syncToAvi: true, federate: false, reason: 'role gating disabled' };

type Kinded = KubernetesObject & { spec?: unknown; status?: Record<string, unknown> };

interface ActiveConfig {
  name: string;
  uid?: string;
  tenant: string;
  amkoUuid: string;
  createdBy: string;
  memberClusters: string[];
  refreshIntervalMs: number;
  aviFingerprint: string;
}

class Stopped extends Error {
  constructor() {
    super('worker is not active');
  }
}

function classify(err: unknown): RetrySpeed {
  const e = err as { retry?: RetrySpeed; errorClass?: string } | undefined;
  if (e && typeof e === 'object' && typeof e.retry === 'string') return e.retry;
  if (err instanceof Stopped) return 'none';
  return 'slow';
}

function hash(v: unknown): string {
  return createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16);
}

function tenantOf(ref: string | undefined, fallback: string): string {
  if (!ref) return fallback;
  const i = ref.indexOf('#');
  return i >= 0 ? ref.slice(i + 1) : fallback;
}

function byAge(a: KubernetesObject, b: KubernetesObject): number {
  const ta = a.metadata?.creationTimestamp ? new Date(a.metadata.creationTimestamp).getTime() : 0;
  const tb = b.metadata?.creationTimestamp ? new Date(b.metadata.creationTimestamp).getTime() : 0;
  return ta - tb || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** Wraps an AviApi so that every call is counted by verb and result. */
export function instrumentAvi(api: AviApi): AviApi {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || prop === 'close') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: unknown[]) => {
        try {
          const r = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          M.aviCalls.inc({ verb: String(prop), result: 'ok' });
          return r;
        } catch (err) {
          M.aviCalls.inc({ verb: String(prop), result: (err as { errorClass?: string }).errorClass ?? 'error' });
          throw err;
        }
      };
    },
  });
}

export class ReconcileWorker implements LeaseSource {
  readonly name = 'reconcile-worker';
  readonly identity: string;
  private readonly o: ReconcileWorkerOptions;
  private readonly ns: string;
  private readonly log: Logger;
  private readonly naming: NamingStep;
  /** [custom-fqdn] AKO HostRule watches behind the default naming step (aliases, useCustomGlobalFqdn, HostRule TLS). */
  private readonly hostRuleNaming?: HostRuleNaming;
  private elector?: LeaderElector;
  /** Syncing: lease held and the role says syncToAvi. */
  private active = false;
  private generation = 0;
  private running = false;
  private leaseHeld = false;
  private readonly leaseListeners = new Set<(held: boolean) => void>();
  private readonly roleWatcher?: RoleWatcher;
  private readonly ownsRole: boolean;
  private roleOff?: () => void;
  /** The last start/stop of the sync; a start waits for a stop in progress. */
  private transition: Promise<void> = Promise.resolve();

  // own-cluster informers
  private gcInf?: ResilientInformer<Kinded>;
  private gdpInf?: ResilientInformer<Kinded>;
  private ghrInf?: ResilientInformer<Kinded>;
  private secretInf?: ResilientInformer<V1Secret>;

  // config + Avi
  private config?: ActiveConfig;
  private avi?: AviApi;
  private aviOk = false;
  private kubeconfigStamp = '';
  private clusters = new Map<string, MemberCluster>();
  private resyncTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private metricsTimer?: NodeJS.Timeout;
  private configChain: Promise<void> = Promise.resolve();
  private configQueued = false;

  // policy
  private gdp?: GDPSpec;
  private gdpPresent = false;
  private gdpEvaluated = false;
  private gdpVerdicts = new Map<string, { ok: boolean; error?: string; templates: Map<string, HmTemplate> }>();
  private hostRules = new Map<string, GSLBHostRuleSpec>();
  private ghrVerdicts = new Map<string, { ok: boolean; error?: string; templates: Map<string, HmTemplate> }>();
  private templates = new Map<string, HmTemplate>();
  private policyChain: Promise<void> = Promise.resolve();

  // members
  private objMembers = new Map<string, NamedMember[]>();
  private keyObjs = new Map<string, Set<string>>();

  // actual Avi state (cache)
  private actualGs = new Map<string, GslbService>();
  private actualHms = new Map<string, Map<string, HealthMonitor>>();
  /** Owned monitors by GslbService key (gsKey), so a key's diff need not scan every monitor of its tenant. */
  private ownedHms = new Map<string, Map<string, HealthMonitor>>();
  /** `<tenant>/<monitor name>` -> the key it is indexed under in ownedHms. */
  private ownedHmKey = new Map<string, string>();
  private refNames = new Map<string, string>();
  private writeSeq = 0;
  private gsWrittenAt = new Map<string, number>();
  private hmWrittenAt = new Map<string, number>();
  private resynced = false;
  private resyncing?: Promise<void>;

  readonly queue: WorkQueue;
  private wroteForKey = new Map<string, boolean>();

  constructor(opts: ReconcileWorkerOptions) {
    this.o = opts;
    this.ns = opts.namespace ?? AMKO_NAMESPACE;
    this.log = opts.log.child({ component: 'reconcile' });
    // [custom-fqdn] Unless a naming step is injected, name GslbServices through AKO HostRules.
    this.hostRuleNaming = opts.naming
      ? undefined
      : new HostRuleNaming({
          log: this.log,
          onChange: () => {
            if (this.active && this.config) this.rederiveAll();
          },
          initialBackoffMs: opts.memberBackoff?.initialMs,
          maxBackoffMs: opts.memberBackoff?.maxMs,
        });
    this.naming = opts.naming ?? this.hostRuleNaming?.naming ?? identityNaming;
    this.identity = (opts.leaderElection && opts.leaderElection.identity) || defaultIdentity();
    this.ownsRole = opts.role === undefined;
    this.roleWatcher = opts.role === false ? undefined : (opts.role ?? watchRole(opts.kubeConfig, { namespace: this.ns, log: this.log }));
    this.queue = new WorkQueue({
      concurrency: 4,
      ...opts.queue,
      handler: (key) => this.syncKey(key),
      classify,
      onResult: (key, r) => {
        const wrote = this.wroteForKey.get(key) ?? false;
        this.wroteForKey.delete(key);
        M.syncs.inc({ result: r.ok ? 'ok' : 'error', wrote: String(wrote) });
        if (r.ok && wrote) M.syncLatency.observe((Date.now() - r.queuedAt) / 1000);
        if (!r.ok && !(r.error instanceof Stopped)) {
          this.log.warn({ key, attempt: r.attempt, retryInMs: r.retryInMs, err: describeError(r.error) }, 'sync failed');
        }
      },
    });
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.metricsTimer = setInterval(() => this.updateMetrics(), 1000);
    this.metricsTimer.unref?.();
    if (this.roleWatcher) {
      this.roleOff = this.roleWatcher.onChange((next, prev) => {
        if (next.syncToAvi !== prev.syncToAvi) this.log.info({ role: next.role, syncToAvi: next.syncToAvi, reason: next.reason }, 'role changed');
        this.applyGate();
      });
      if (this.ownsRole) {
        void this.roleWatcher.start().then(
          () => this.applyGate(),
          (err: unknown) => this.log.error({ err: describeError(err) }, 'role watch failed to start'),
        );
      }
    }
    if (this.o.leaderElection === false) {
      this.setLease(true);
      return;
    }
    const le = this.o.leaderElection ?? {};
    this.elector = new LeaderElector({
      kubeConfig: this.o.kubeConfig,
      name: le.leaseName ?? 'amko-reconcile-worker',
      namespace: this.ns,
      identity: this.identity,
      leaseDurationMs: le.leaseDurationMs,
      renewIntervalMs: le.renewIntervalMs,
      retryIntervalMs: le.retryIntervalMs,
      log: this.log,
      onStartedLeading: () => this.setLease(true),
      onStoppedLeading: () => this.setLease(false),
    });
    this.elector.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.metricsTimer);
    this.roleOff?.();
    this.roleOff = undefined;
    if (this.elector) await this.elector.stop();
    this.setLease(false);
    if (this.ownsRole) await this.roleWatcher?.stop().catch(() => undefined);
    await this.transition;
    await this.stopLeading();
  }

  /** Whether this replica holds the Lease (always true with `leaderElection: false` while started). */
  holdsLease(): boolean {
    return this.leaseHeld;
  }

  onLeaseChange(listener: (held: boolean) => void): () => void {
    this.leaseListeners.add(listener);
    return () => this.leaseListeners.delete(listener);
  }

  /** The role the sync is gated on. */
  roleState(): RoleState {
    return this.roleWatcher ? this.roleWatcher.current() : ALWAYS_SYNC;
  }

  /** Lease + role decide whether the sync runs; called on every change of either. */
  private shouldSync(): boolean {
    return this.running && this.leaseHeld && this.roleState().syncToAvi;
  }

  private setLease(held: boolean): void {
    if (held === this.leaseHeld) return;
    this.leaseHeld = held;
    this.applyGate();
    for (const l of [...this.leaseListeners]) {
      try {
        l(held);
      } catch (err) {
        this.log.error({ err }, 'lease listener failed');
      }
    }
  }

  /** Stops at once (writes are fenced by the generation); a start waits for a stop in progress, then re-checks. */
  private applyGate(): void {
    const want = this.shouldSync();
    if (!want && this.active) {
      this.log.info({ lease: this.leaseHeld, role: this.roleState().role }, 'sync stopped');
      this.transition = this.stopLeading();
    } else if (want && !this.active) {
      void this.transition.then(() => {
        if (this.shouldSync() && !this.active) {
          this.log.info({ role: this.roleState().role }, 'sync started');
          this.startLeading();
        }
      });
    }
  }

  /** Ready = not leading (standby), or leading with a connected controller and a first resync done. */
  ready(): boolean {
    if (!this.active) return true;
    return !this.config || (this.aviOk && this.resynced);
  }

  /** Syncing to Avi: this replica holds the Lease and the role says syncToAvi. */
  isLeader(): boolean {
    return this.active;
  }

  /** Resolves when the queue has nothing queued or in flight (tests, plan). */
  async idle(): Promise<void> {
    await this.configChain;
    await this.policyChain;
    await this.resyncing;
    await this.queue.idle();
  }

  private startLeading(): void {
    if (this.active) return;
    this.active = true;
    this.generation++;
    M.leader.set(1);
    const kc = this.o.kubeConfig;
    const mk = <T extends KubernetesObject>(kind: KindName | 'Secret', path: string) =>
      makeResilientInformer<T>(kc, path, () => kubeRequest<KubernetesListObject<T>>(kc, 'GET', path), { name: `own/${kind}`, log: this.log });
    this.gcInf = mk<Kinded>('GSLBConfig', crPath('GSLBConfig', this.ns));
    this.gdpInf = mk<Kinded>('GlobalDeploymentPolicy', crPath('GlobalDeploymentPolicy', this.ns));
    this.ghrInf = mk<Kinded>('GSLBHostRule', crPath('GSLBHostRule', this.ns));
    this.secretInf = mk<V1Secret>('Secret', `/api/v1/namespaces/${this.ns}/secrets`);
    this.gcInf.onEvent(() => this.scheduleConfig());
    this.secretInf.onEvent((_e, s) => {
      if (s.metadata?.name && this.config && this.currentGc()?.spec?.gslbLeader.credentials === s.metadata.name) this.scheduleConfig();
    });
    this.gdpInf.onEvent(() => this.schedulePolicy());
    this.ghrInf.onEvent(() => this.schedulePolicy());
    const gen = this.generation;
    const infs = [this.gcInf, this.gdpInf, this.ghrInf, this.secretInf] as ResilientInformer<KubernetesObject>[];
    void Promise.all(infs.map((i) => i.start().catch(() => undefined)))
      .then(() => Promise.all(infs.map((i) => i.waitForSync())))
      .then(() => {
        if (gen === this.generation && this.active) this.scheduleConfig();
      })
      .catch(() => undefined);
  }

  private async stopLeading(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    this.generation++;
    M.leader.set(0);
    this.queue.stop(true);
    clearTimeout(this.resyncTimer);
    clearTimeout(this.retryTimer);
    const infs = [this.gcInf, this.gdpInf, this.ghrInf, this.secretInf];
    this.gcInf = this.gdpInf = this.ghrInf = undefined;
    this.secretInf = undefined;
    await Promise.all(infs.map((i) => i?.stop().catch(() => undefined)));
    await this.stopClusters([...this.clusters.keys()]);
    await this.closeAvi();
    this.config = undefined;
    this.resetState();
  }

  private resetState(): void {
    this.gdp = undefined;
    this.gdpPresent = false;
    this.gdpEvaluated = false;
    this.gdpVerdicts.clear();
    this.ghrVerdicts.clear();
    this.hostRules.clear();
    this.templates.clear();
    this.objMembers.clear();
    this.keyObjs.clear();
    this.actualGs.clear();
    this.actualHms.clear();
    this.ownedHms.clear();
    this.ownedHmKey.clear();
    this.refNames.clear();
    this.resynced = false;
    this.kubeconfigStamp = '';
  }

  private async closeAvi(): Promise<void> {
    const a = this.avi;
    this.avi = undefined;
    this.aviOk = false;
    await a?.close().catch(() => undefined);
  }

  private async stopClusters(names: string[]): Promise<void> {
    await Promise.all(
      names.map(async (n) => {
        const c = this.clusters.get(n);
        this.clusters.delete(n);
        M.clusterUp.remove({ cluster: n });
        M.members.remove({ cluster: n });
        await this.hostRuleNaming?.removeCluster(n); // [custom-fqdn]
        await c?.stop();
      }),
    );
  }

  // ---------------------------------------------------------------- GSLBConfig

  private currentGc(): GSLBConfig | undefined {
    const all = [...(this.gcInf?.list() ?? [])].sort(byAge) as unknown as GSLBConfig[];
    return all[0];
  }

  private scheduleConfig(): void {
    if (this.configQueued) return;
    this.configQueued = true;
    const gen = this.generation;
    this.configChain = this.configChain.then(async () => {
      this.configQueued = false;
      if (gen !== this.generation || !this.active) return;
      try {
        await this.reconcileConfig();
      } catch (err) {
        this.log.error({ err: describeError(err) }, 'applying the GSLBConfig failed');
        this.retryConfigLater();
      }
    });
  }

  private retryConfigLater(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.scheduleConfig(), this.o.retryDelayMs ?? 5000);
    this.retryTimer.unref?.();
  }

  private async setGcState(gc: GSLBConfig, state: string): Promise<void> {
    if (gc.status?.state === state) return;
    const name = gc.metadata?.name ?? '';
    await patchStatus(this.o.kubeConfig, 'GSLBConfig', this.ns, name, { state }).catch((err: unknown) =>
      this.log.warn({ err: describeError(err) }, 'GSLBConfig status write failed'),
    );
    const ok = state === GC_STATE.accepted;
    await recordEvent(
      this.o.kubeConfig,
      { kind: 'GSLBConfig', name, namespace: this.ns, uid: gc.metadata?.uid },
      ok ? 'Normal' : 'Warning',
      ok ? 'GSLBConfigAccepted' : 'GSLBConfigError',
      state,
      this.log,
    );
  }

  private async reconcileConfig(): Promise<void> {
    const all = [...(this.gcInf?.list() ?? [])].sort(byAge) as unknown as GSLBConfig[];
    for (const extra of all.slice(1)) await this.setGcState(extra, GC_STATE.anotherConfig);
    const gc = all[0];
    if (!gc) {
      if (this.config) {
        this.log.info('GSLBConfig removed; sync stopped (nothing is deleted on the controller)');
        this.queue.stop(true);
        clearTimeout(this.resyncTimer);
        await this.stopClusters([...this.clusters.keys()]);
        await this.closeAvi();
        this.config = undefined;
        this.resetState();
      }
      return;
    }
    const leader = gc.spec.gslbLeader;
    // UUID: annotation, else generate one and store it on the GSLBConfig.
    let amkoUuid = gc.metadata?.annotations?.[UUID_ANNOTATION];
    if (!amkoUuid) {
      amkoUuid = randomUUID();
      await kubeRequest(this.o.kubeConfig, 'PATCH', crPath('GSLBConfig', this.ns, gc.metadata?.name), {
        body: { metadata: { annotations: { [UUID_ANNOTATION]: amkoUuid } } },
        contentType: 'application/merge-patch+json',
      });
      this.log.info({ amkoUuid }, 'stored a new amko UUID on the GSLBConfig');
    }
    if (!leader.controllerIP) return this.setGcState(gc, GC_STATE.noController);
    if (!leader.credentials) return this.setGcState(gc, GC_STATE.noCredentials);
    const secret = this.secretInf?.get(leader.credentials, this.ns);
    if (!secret) return this.setGcState(gc, GC_STATE.noSecret(leader.credentials));
    const dec = (k: string) => Buffer.from(secret.data?.[k] ?? '', 'base64').toString('utf8') || secret.stringData?.[k] || '';
    const conn: AviConnection = {
      controller: leader.controllerIP,
      username: dec('username'),
      password: dec('password'),
      version: leader.controllerVersion || undefined,
      tenant: leader.tenant || 'admin',
    };
    const refreshS = gc.spec.refreshInterval && gc.spec.refreshInterval > 0 ? gc.spec.refreshInterval : 600;
    const next: ActiveConfig = {
      name: gc.metadata?.name ?? '',
      uid: gc.metadata?.uid,
      tenant: conn.tenant,
      amkoUuid,
      createdBy: `amko-${amkoUuid}`,
      memberClusters: (gc.spec.memberClusters ?? []).map((m) => m.clusterContext ?? '').filter((c) => c !== ''),
      refreshIntervalMs: this.o.refreshIntervalMs ?? refreshS * 1000,
      aviFingerprint: hash(conn),
    };
    const prev = this.config;
    const aviChanged = !prev || prev.aviFingerprint !== next.aviFingerprint || !this.avi;
    const ownerChanged = !prev || prev.createdBy !== next.createdBy;
    this.config = next;
    this.hostRuleNaming?.setMode(gc.spec.useCustomGlobalFqdn === true); // [custom-fqdn] live mode switch re-derives members

    // Avi client: rebuild on controller/credentials/version/tenant change, then verify leadership.
    if (aviChanged || !this.aviOk) {
      this.queue.stop();
      if (aviChanged) {
        await this.closeAvi();
        const factory = this.o.aviFactory ?? defaultAviFactory(this.log, this.o);
        this.avi = instrumentAvi(await factory(conn));
      }
      try {
        const [clusterUuid, gslb] = await Promise.all([this.avi!.getClusterUuid(), this.avi!.getGslb()]);
        if (!gslb || gslb.leader_cluster_uuid !== clusterUuid) {
          this.aviOk = false;
          await this.setGcState(gc, GC_STATE.notLeader);
          this.retryConfigLater();
          return;
        }
        this.aviOk = true;
      } catch (err) {
        this.aviOk = false;
        await this.setGcState(gc, GC_STATE.connect(describeError(err)));
        this.retryConfigLater();
        return;
      }
    }

    // Member clusters: start new contexts, stop removed ones; a changed kubeconfig file restarts all.
    const stamp = this.kubeconfigStampNow();
    const kcChanged = stamp !== this.kubeconfigStamp;
    let memberKc: KubeConfig | undefined;
    if (kcChanged || next.memberClusters.some((c) => !this.clusters.has(c))) {
      try {
        memberKc = this.loadMemberKubeconfig();
      } catch (err) {
        await this.setGcState(gc, GC_STATE.kubeconfig(describeError(err)));
        this.retryConfigLater();
        return;
      }
    }
    const toStop = [...this.clusters.keys()].filter((c) => kcChanged || !next.memberClusters.includes(c));
    if (toStop.length > 0) {
      await this.stopClusters(toStop);
      for (const c of toStop) this.dropCluster(c);
    }
    this.kubeconfigStamp = stamp;
    for (const c of next.memberClusters) {
      if (this.clusters.has(c)) continue;
      let kc: KubeConfig;
      try {
        kc = kubeConfigForContext(memberKc!, c);
      } catch (err) {
        this.log.warn({ cluster: c, err: describeError(err) }, 'member cluster context missing');
        continue;
      }
      this.startCluster(c, kc);
    }

    const policyStale = aviChanged || ownerChanged || !prev || prev.memberClusters.join() !== next.memberClusters.join();
    await this.setGcState(gc, GC_STATE.accepted);
    if (policyStale) {
      this.gdpVerdicts.clear();
      this.ghrVerdicts.clear();
    }
    // Wait for every member cluster's first attempt (synced or failed), so a
    // reachable cluster's members are known before anything is written.
    await Promise.all([...this.clusters.values()].map((c) => c.attempted()));
    await this.hostRuleNaming?.attempted(); // [custom-fqdn] HostRules known before names are decided
    await this.evaluatePolicy();
    if (aviChanged || ownerChanged || !this.resynced) {
      await this.fullResync();
    }
    if (!prev || prev.refreshIntervalMs !== next.refreshIntervalMs || aviChanged) this.scheduleResync();
    if (this.aviOk && this.gdpEvaluated) this.queue.start();
  }

  private kubeconfigStampNow(): string {
    const p = this.memberKubeconfigPath();
    if (!p) return 'none';
    try {
      const st = statSync(p);
      return `${p}:${st.mtimeMs}:${st.size}:${hash(readFileSync(p, 'utf8'))}`;
    } catch {
      return `${p}:missing`;
    }
  }

  private memberKubeconfigPath(): string | undefined {
    return this.o.memberKubeconfigPath ?? process.env.GSLB_CONFIG;
  }

  private loadMemberKubeconfig(): KubeConfig {
    const p = this.memberKubeconfigPath();
    if (!p) throw new Error('no member-cluster kubeconfig (--member-kubeconfig or GSLB_CONFIG)');
    const kc = new KubeConfig();
    kc.loadFromFile(p);
    return kc;
  }

  private startCluster(name: string, kc: KubeConfig): void {
    const gen = this.generation;
    const mc = new MemberCluster({
      name,
      kubeConfig: kc,
      log: this.log,
      initialBackoffMs: this.o.memberBackoff?.initialMs,
      maxBackoffMs: this.o.memberBackoff?.maxMs,
      onEvent: (resource, event, obj) => {
        if (gen === this.generation && this.clusters.get(name) === mc) this.onMemberEvent(mc, resource, event, obj);
      },
      onReady: () => {
        if (gen === this.generation && this.clusters.get(name) === mc) this.rederiveCluster(mc);
      },
    });
    this.clusters.set(name, mc);
    this.hostRuleNaming?.addCluster(name, kc); // [custom-fqdn]
    mc.start();
  }

  // ---------------------------------------------------------------- GDP + GSLBHostRules

  private schedulePolicy(): void {
    const gen = this.generation;
    this.policyChain = this.policyChain.then(async () => {
      if (gen !== this.generation || !this.active || !this.config || !this.aviOk) return;
      try {
        await this.evaluatePolicy();
        if (this.aviOk && this.gdpEvaluated && this.resynced) this.queue.start();
      } catch (err) {
        this.log.warn({ err: describeError(err) }, 'policy evaluation failed; retrying');
        setTimeout(() => this.schedulePolicy(), this.o.retryDelayMs ?? 5000).unref?.();
      }
    });
  }

  private validationCtx(): ValidationContext {
    return { avi: this.avi!, tenant: this.config!.tenant, memberClusters: this.config!.memberClusters };
  }

  /** Validates the GDP and GSLBHostRules, writes their status, and applies the accepted ones. */
  private async evaluatePolicy(): Promise<void> {
    if (!this.config || !this.avi || !this.aviOk) return;
    const ctx = this.validationCtx();
    const templates = new Map<string, HmTemplate>();

    // GDP: the oldest in avi-system is the one; others are refused.
    const gdps = [...(this.gdpInf?.list() ?? [])].sort(byAge) as unknown as GlobalDeploymentPolicy[];
    for (const extra of gdps.slice(1)) await this.setGdpStatus(extra, "a GDP object already exists, can't add another");
    const gdpObj = gdps[0];
    let nextGdp: GDPSpec | undefined = this.gdp;
    let hold = false;
    if (!gdpObj) {
      nextGdp = undefined;
    } else {
      const k = `${gdpObj.metadata?.uid}:${hash(gdpObj.spec)}`;
      let v = this.gdpVerdicts.get(k);
      if (!v) {
        const r = await validateGdp(gdpObj.spec, ctx);
        v = r.ok ? { ok: true, templates: r.templates } : { ok: false, error: r.error, templates: new Map() };
        this.gdpVerdicts.clear();
        this.gdpVerdicts.set(k, v);
      }
      await this.setGdpStatus(gdpObj, v.ok ? 'success' : v.error!);
      if (v.ok) {
        nextGdp = gdpObj.spec;
        for (const [n, t] of v.templates) templates.set(n, t);
      } else if (!this.gdpPresent) {
        // Never had a valid GDP: hold the sync rather than delete everything over a typo.
        hold = true;
      } else {
        // Keep applying the last accepted GDP.
        for (const [n, t] of this.templates) templates.set(n, t);
      }
    }

    // GSLBHostRules: first (oldest) accepted rule per fqdn wins.
    const rules = [...(this.ghrInf?.list() ?? [])].sort(byAge) as unknown as GSLBHostRule[];
    const nextRules = new Map<string, GSLBHostRuleSpec>();
    const live = new Set<string>();
    for (const r of rules) {
      const name = r.metadata?.name ?? '';
      const k = `${r.metadata?.uid}:${hash(r.spec)}`;
      live.add(k);
      let v = this.ghrVerdicts.get(k);
      if (!v) {
        const res = await validateHostRule(name, r.spec, ctx);
        v = res.ok ? { ok: true, templates: res.templates } : { ok: false, error: res.error, templates: new Map() };
        this.ghrVerdicts.set(k, v);
      }
      if (v.ok && nextRules.has(r.spec.fqdn)) {
        await this.setGhrStatus(r, 'Rejected', "there's an existing GSLBHostRule for the same FQDN");
        continue;
      }
      await this.setGhrStatus(r, v.ok ? 'Accepted' : 'Rejected', v.ok ? '' : v.error!);
      if (v.ok) {
        nextRules.set(r.spec.fqdn, r.spec);
        for (const [n, t] of v.templates) templates.set(n, t);
      }
    }
    for (const k of [...this.ghrVerdicts.keys()]) if (!live.has(k)) this.ghrVerdicts.delete(k);

    if (hold) {
      this.gdpEvaluated = false;
      this.queue.stop();
      return;
    }
    const gdpChanged = !this.gdpEvaluated || hash(nextGdp ?? null) !== hash(this.gdp ?? null) || hash([...templates]) !== hash([...this.templates]);
    const changedFqdns = new Set<string>();
    for (const f of new Set([...nextRules.keys(), ...this.hostRules.keys()])) {
      if (hash(nextRules.get(f) ?? null) !== hash(this.hostRules.get(f) ?? null)) changedFqdns.add(f);
    }
    this.gdp = nextGdp;
    this.gdpPresent = nextGdp !== undefined;
    this.hostRules = nextRules;
    this.templates = templates;
    this.gdpEvaluated = true;
    if (gdpChanged) {
      this.rederiveAll();
      this.enqueueAll();
    } else if (changedFqdns.size > 0) {
      for (const key of this.allKeys()) if (changedFqdns.has(parseGsKey(key).gsName)) this.queue.add(key);
    }
  }

  private async setGdpStatus(obj: GlobalDeploymentPolicy, errorStatus: string): Promise<void> {
    if (obj.status?.errorStatus === errorStatus) return;
    const name = obj.metadata?.name ?? '';
    await patchStatus(this.o.kubeConfig, 'GlobalDeploymentPolicy', this.ns, name, { errorStatus }).catch((err: unknown) =>
      this.log.warn({ err: describeError(err) }, 'GDP status write failed'),
    );
    const ok = errorStatus === 'success';
    await recordEvent(
      this.o.kubeConfig,
      { kind: 'GlobalDeploymentPolicy', name, namespace: this.ns, uid: obj.metadata?.uid },
      ok ? 'Normal' : 'Warning',
      ok ? 'GDPAccepted' : 'GDPRejected',
      ok ? 'GlobalDeploymentPolicy accepted' : errorStatus,
      this.log,
    );
  }

  private async setGhrStatus(obj: GSLBHostRule, status: 'Accepted' | 'Rejected', error: string): Promise<void> {
    if (obj.status?.status === status && (obj.status?.error ?? '') === error) return;
    const name = obj.metadata?.name ?? '';
    await patchStatus(this.o.kubeConfig, 'GSLBHostRule', this.ns, name, { status, error }).catch((err: unknown) =>
      this.log.warn({ err: describeError(err) }, 'GSLBHostRule status write failed'),
    );
    await recordEvent(
      this.o.kubeConfig,
      { kind: 'GSLBHostRule', name, namespace: this.ns, uid: obj.metadata?.uid },
      status === 'Accepted' ? 'Normal' : 'Warning',
      status === 'Accepted' ? 'GSLBHostRuleAccepted' : 'GSLBHostRuleRejected',
      status === 'Accepted' ? `GSLBHostRule for ${obj.spec.fqdn} accepted` : error,
      this.log,
    );
  }

  // ---------------------------------------------------------------- members

  private deriveCtx(mc: MemberCluster): DeriveContext {
    return {
      cluster: mc.name,
      selection: selectionFromGdp(this.gdp),
      defaultTenant: this.config?.tenant ?? 'admin',
      defaultDomain: this.gdp?.defaultDomain,
      namespace: (n) => mc.namespace(n),
    };
  }

  private deriveObject(mc: MemberCluster, resource: MemberResource, obj: KubernetesObject, ctx = this.deriveCtx(mc)): MemberRecord[] {
    switch (resource) {
      case 'ingresses':
        return deriveIngress(obj, ctx).members;
      case 'services':
        return deriveService(obj, ctx).members;
      case 'routes':
        return deriveRoute(obj as Route, ctx).members;
      default:
        return [];
    }
  }

  private objId(cluster: string, resource: MemberResource, obj: KubernetesObject): string {
    return `${cluster}/${resource}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
  }

  private applyNaming(members: MemberRecord[]): NamedMember[] {
    const out: NamedMember[] = [];
    for (const m of members) {
      const n = this.naming(m);
      if (n) out.push({ ...m, ...(n.tls !== undefined ? { tls: n.tls } : {}), gsName: n.gsName, aliases: n.aliases }); // [custom-fqdn] tls
    }
    return out;
  }

  /** Replaces an object's members; queues the keys whose member set changed. */
  private setObjectMembers(objId: string, members: NamedMember[], enqueue = true): void {
    const old = this.objMembers.get(objId) ?? [];
    if (hash(old) === hash(members)) return;
    const keys = new Set([...old, ...members].map((m) => gsKey(m.tenant, m.gsName)));
    for (const m of old) {
      const k = gsKey(m.tenant, m.gsName);
      const s = this.keyObjs.get(k);
      s?.delete(objId);
      if (s && s.size === 0) this.keyObjs.delete(k);
    }
    if (members.length > 0) this.objMembers.set(objId, members);
    else this.objMembers.delete(objId);
    for (const m of members) {
      const k = gsKey(m.tenant, m.gsName);
      let s = this.keyObjs.get(k);
      if (!s) this.keyObjs.set(k, (s = new Set()));
      s.add(objId);
    }
    if (enqueue) for (const k of keys) this.queue.add(k);
  }

  private onMemberEvent(mc: MemberCluster, resource: MemberResource, event: 'add' | 'update' | 'delete', obj: KubernetesObject): void {
    if (!this.config) return;
    if (resource === 'namespaces') {
      const ns = obj.metadata?.name ?? '';
      this.rederiveCluster(mc, ns);
      return;
    }
    const id = this.objId(mc.name, resource, obj);
    this.setObjectMembers(id, event === 'delete' ? [] : this.applyNaming(this.deriveObject(mc, resource, obj)));
  }

  /** Re-derives every object of a cluster (or of one namespace in it). */
  private rederiveCluster(mc: MemberCluster, namespace?: string): void {
    if (!this.config) return;
    const ctx = this.deriveCtx(mc);
    const seen = new Set<string>();
    const each = (resource: MemberResource, objs: KubernetesObject[]) => {
      for (const o of objs) {
        if (namespace !== undefined && o.metadata?.namespace !== namespace) continue;
        const id = this.objId(mc.name, resource, o);
        seen.add(id);
        this.setObjectMembers(id, this.applyNaming(this.deriveObject(mc, resource, o, ctx)));
      }
    };
    each('ingresses', mc.ingresses());
    each('services', mc.services());
    each('routes', mc.routes() as KubernetesObject[]);
    // Objects we had members for but that are no longer in the cache.
    const prefix = `${mc.name}/`;
    for (const id of [...this.objMembers.keys()]) {
      if (!id.startsWith(prefix) || seen.has(id)) continue;
      if (namespace !== undefined && id.split('/')[2] !== namespace) continue;
      this.setObjectMembers(id, []);
    }
  }

  private rederiveAll(): void {
    for (const mc of this.clusters.values()) this.rederiveCluster(mc);
  }

  /** A cluster removed from the GSLBConfig: its members go away. */
  private dropCluster(name: string): void {
    const prefix = `${name}/`;
    for (const id of [...this.objMembers.keys()]) if (id.startsWith(prefix)) this.setObjectMembers(id, []);
  }

  private membersOf(key: string): NamedMember[] {
    const out: NamedMember[] = [];
    for (const id of this.keyObjs.get(key) ?? []) {
      for (const m of this.objMembers.get(id) ?? []) if (gsKey(m.tenant, m.gsName) === key) out.push(m);
    }
    return out;
  }

  private allKeys(): Set<string> {
    const keys = new Set<string>([...this.keyObjs.keys(), ...this.actualGs.keys()]);
    if (this.config) {
      for (const [tenant, hms] of this.actualHms) {
        for (const hm of hms.values()) {
          const gs = isOwnedHm(hm, this.config.createdBy) ? gsNameFromHmDescription(hm.description) : undefined;
          if (gs) keys.add(gsKey(tenant, gs));
        }
      }
    }
    return keys;
  }

  private enqueueAll(): void {
    for (const k of this.allKeys()) this.queue.add(k);
  }

  // ---------------------------------------------------------------- Avi state

  private scheduleResync(): void {
    clearTimeout(this.resyncTimer);
    if (!this.config) return;
    const gen = this.generation;
    this.resyncTimer = setTimeout(() => {
      if (gen !== this.generation || !this.active) return;
      void this.periodicResync().finally(() => this.scheduleResync());
    }, this.config.refreshIntervalMs);
    this.resyncTimer.unref?.();
  }

  private async periodicResync(): Promise<void> {
    if (!this.aviOk) {
      this.scheduleConfig();
      return;
    }
    // Re-validate rules against the controller (refs may have appeared/disappeared).
    this.gdpVerdicts.clear();
    this.ghrVerdicts.clear();
    this.schedulePolicy();
    await this.policyChain;
    await this.fullResync();
  }

  /** Lists what this instance owns on the controller, replaces the cache, and queues every key. */
  async fullResync(): Promise<void> {
    if (this.resyncing) return this.resyncing;
    this.resyncing = this.doFullResync().finally(() => (this.resyncing = undefined));
    return this.resyncing;
  }

  private async doFullResync(): Promise<void> {
    const cfg = this.config;
    const avi = this.avi;
    if (!cfg || !avi) return;
    const startSeq = this.writeSeq;
    try {
      const [gss, hms] = await Promise.all([avi.listGslbServices(cfg.createdBy, '*'), avi.listHealthMonitors('*')]);
      if (this.config !== cfg || this.avi !== avi) return;
      const nextGs = new Map<string, GslbService>();
      for (const gs of gss) {
        if (gs.created_by !== cfg.createdBy) continue;
        nextGs.set(gsKey(tenantOf(gs.tenant_ref, cfg.tenant), gs.name), gs);
      }
      const nextHms = new Map<string, Map<string, HealthMonitor>>();
      for (const hm of hms) {
        const t = tenantOf(hm.tenant_ref, cfg.tenant);
        let m = nextHms.get(t);
        if (!m) nextHms.set(t, (m = new Map()));
        m.set(hm.name, hm);
        if (hm.uuid) this.refNames.set(hm.uuid, hm.name);
      }
      // Entries written while the lists were in flight are newer than the lists.
      for (const [k, seq] of this.gsWrittenAt) {
        if (seq <= startSeq) continue;
        const cur = this.actualGs.get(k);
        if (cur) nextGs.set(k, cur);
        else nextGs.delete(k);
      }
      for (const [k, seq] of this.hmWrittenAt) {
        if (seq <= startSeq) continue;
        const [t, n] = [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)];
        const cur = this.actualHms.get(t)?.get(n);
        let m = nextHms.get(t);
        if (!m) nextHms.set(t, (m = new Map()));
        if (cur) m.set(n, cur);
        else m.delete(n);
      }
      this.gsWrittenAt.clear();
      this.hmWrittenAt.clear();
      this.actualGs = nextGs;
      this.actualHms = nextHms;
      this.ownedHms.clear();
      this.ownedHmKey.clear();
      for (const [t, m] of nextHms) for (const [n, hm] of m) this.indexHm(t, n, hm);
      this.resynced = true;
      M.resyncs.inc({ result: 'ok' });
      this.enqueueAll();
    } catch (err) {
      M.resyncs.inc({ result: 'error' });
      this.log.warn({ err: describeError(err) }, 'full resync failed');
      if (!this.resynced) this.retryConfigLater();
    }
  }

  private desiredInputs(): DesiredInputs {
    const cfg = this.config!;
    return { createdBy: cfg.createdBy, amkoUuid: cfg.amkoUuid, gdp: this.gdp, hostRules: this.hostRules, templates: this.templates };
  }

  /** The operations for one key against the cache (also used by `amko plan`-style inspection in tests). */
  planKey(key: string): Operation[] {
    const cfg = this.config;
    if (!cfg) return [];
    const { tenant, gsName } = parseGsKey(key);
    const desired = buildDesiredGs(tenant, gsName, this.membersOf(key), this.desiredInputs());
    const actual = { gs: this.actualGs.get(key), hms: this.actualHms.get(tenant) ?? new Map(), owned: [...(this.ownedHms.get(key)?.values() ?? [])] };
    return diffKey(key, tenant, gsName, desired, actual, {
      createdBy: cfg.createdBy,
      refNames: this.refNames,
    });
  }

  private async syncKey(key: string): Promise<void> {
    const gen = this.generation;
    const guard = () => {
      if (!this.active || gen !== this.generation || !this.aviOk || !this.config || !this.resynced) throw new Stopped();
    };
    guard();
    const ops = this.planKey(key);
    for (const op of ops) {
      guard();
      this.log.info({ key, op: op.op, name: op.name }, describeOperation(op).split('\n')[0]!);
      await this.execute(op);
      this.wroteForKey.set(key, true);
    }
  }

  /** Keeps ownedHms in step with actualHms for one monitor (undefined = gone). */
  private indexHm(tenant: string, name: string, hm: HealthMonitor | undefined): void {
    const id = `${tenant}/${name}`;
    const prev = this.ownedHmKey.get(id);
    if (prev !== undefined) {
      const m = this.ownedHms.get(prev);
      m?.delete(name);
      if (m && m.size === 0) this.ownedHms.delete(prev);
      this.ownedHmKey.delete(id);
    }
    const gs = hm && this.config && isOwnedHm(hm, this.config.createdBy) ? gsNameFromHmDescription(hm.description) : undefined;
    if (!hm || gs === undefined) return;
    const key = gsKey(tenant, gs);
    let m = this.ownedHms.get(key);
    if (!m) this.ownedHms.set(key, (m = new Map()));
    m.set(name, hm);
    this.ownedHmKey.set(id, key);
  }

  private setHm(tenant: string, hm: HealthMonitor | undefined, name: string): void {
    this.indexHm(tenant, name, hm);
    let m = this.actualHms.get(tenant);
    if (!m) this.actualHms.set(tenant, (m = new Map()));
    if (hm) {
      m.set(name, hm);
      if (hm.uuid) this.refNames.set(hm.uuid, hm.name);
    } else m.delete(name);
    this.hmWrittenAt.set(`${tenant}/${name}`, ++this.writeSeq);
  }

  private setGs(key: string, gs: GslbService | undefined): void {
    if (gs) this.actualGs.set(key, gs);
    else this.actualGs.delete(key);
    this.gsWrittenAt.set(key, ++this.writeSeq);
  }

  private async execute(op: Operation): Promise<void> {
    const avi = this.avi!;
    const cfg = this.config!;
    const t = op.tenant;
    const errClass = (e: unknown) => (e as { errorClass?: string }).errorClass;
    try {
      switch (op.op) {
        case 'create-hm':
          this.setHm(t, await avi.createHealthMonitor(op.hm, t), op.name);
          break;
        case 'update-hm':
          this.setHm(t, await avi.updateHealthMonitor(op.uuid, op.hm, t), op.name);
          break;
        case 'create-gs':
          this.setGs(op.key, await avi.createGslbService(op.gs, t));
          break;
        case 'update-gs':
          this.setGs(op.key, await avi.updateGslbService(op.uuid, op.gs, t));
          break;
        case 'delete-gs':
          try {
            await avi.deleteGslbService(op.uuid, t);
          } catch (err) {
            if (errClass(err) !== 'not-found') throw err;
          }
          this.setGs(op.key, undefined);
          break;
        case 'delete-hm':
          try {
            await avi.deleteHealthMonitor(op.uuid, t);
          } catch (err) {
            if (errClass(err) === 'not-found') {
              /* already gone */
            } else if ((err as { referenced?: boolean }).referenced) {
              // Still referenced by a GslbService we don't manage: leave it, it is not ours to break.
              this.log.warn({ hm: op.name, tenant: t }, 'stale health monitor is still referenced; not deleted');
              M.operations.inc({ op: op.op, result: 'skipped' });
              return;
            } else throw err;
          }
          this.setHm(t, undefined, op.name);
          break;
      }
      M.operations.inc({ op: op.op, result: 'ok' });
    } catch (err) {
      M.operations.inc({ op: op.op, result: errClass(err) ?? 'error' });
      const cls = errClass(err);
      const alreadyExists = (err as { alreadyExists?: boolean }).alreadyExists === true;
      if (cls === 'not-found' || cls === 'conflict' || alreadyExists) await this.refreshKey(op, cfg).catch(() => undefined);
      throw err;
    }
  }

  /** After a 404/409/"already exists": re-read the objects of the key by name. */
  private async refreshKey(op: Operation, cfg: ActiveConfig): Promise<void> {
    const avi = this.avi!;
    if (op.op === 'create-hm' || op.op === 'update-hm' || op.op === 'delete-hm') {
      this.setHm(op.tenant, await avi.getHealthMonitor(op.name, op.tenant), op.name);
      return;
    }
    const gs = await avi.getGslbService(op.name, op.tenant);
    this.setGs(op.key, gs && gs.created_by === cfg.createdBy ? gs : undefined);
  }

  // ---------------------------------------------------------------- metrics

  private updateMetrics(): void {
    M.queueDepth.set(this.queue.depth());
    M.inFlight.set(this.queue.inFlight());
    M.managedGs.set(this.actualGs.size);
    const now = Date.now();
    const perCluster = new Map<string, number>();
    for (const ms of this.objMembers.values()) for (const m of ms) perCluster.set(m.cluster, (perCluster.get(m.cluster) ?? 0) + 1);
    for (const [name, mc] of this.clusters) {
      M.members.set({ cluster: name }, perCluster.get(name) ?? 0);
      M.clusterUp.set({ cluster: name }, mc.isReady() ? 1 : 0);
      for (const s of mc.informerStats()) {
        M.informerAge.set({ cluster: name, resource: s.resource }, s.lastEventAt ? (now - s.lastEventAt) / 1000 : 0);
        M.informerRestarts.set({ cluster: name, resource: s.resource }, s.restarts);
      }
    }
  }

  /** Introspection for tests and `amko plan`. */
  snapshot() {
    return {
      leader: this.active,
      lease: this.leaseHeld,
      role: this.roleState().role,
      config: this.config ? { ...this.config } : undefined,
      clusters: [...this.clusters.values()].map((c) => ({ name: c.name, ready: c.isReady(), lastError: c.lastError })),
      keys: [...this.allKeys()].sort(),
      actualGs: [...this.actualGs.keys()].sort(),
    };
  }
}

function defaultAviFactory(log: Logger, o: Pick<ReconcileWorkerOptions, 'aviCaFile' | 'aviInsecureSkipTlsVerify'>): (c: AviConnection) => Promise<AviApi> {
  return async (c) => {
    const { AviClient } = await import('../avi/client.js');
    const caFile = o.aviCaFile ?? process.env.AVI_CA_FILE;
    return AviClient.create({
      controller: c.controller,
      username: c.username,
      password: c.password,
      version: c.version,
      tenant: c.tenant,
      caPem: caFile ? readFileSync(caFile) : undefined,
      insecureSkipTlsVerify: o.aviInsecureSkipTlsVerify ?? process.env.AVI_INSECURE_SKIP_TLS_VERIFY === 'true',
      log,
    });
  };
}
