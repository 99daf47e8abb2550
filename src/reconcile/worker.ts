// The reconcile worker, composed of one part per concern:
//   sync-gate.ts        syncs only while holding the Lease and the AMKOCluster role says syncToAvi
//   gslb-config.ts      the GSLBConfig in force, its states, the member kubeconfig file
//   avi-session.ts      the Avi client lifecycle (factory, TLS options, metrics, leadership check)
//   connect-retry.ts    when to connect again after a failure (refused logins wait for a change)
//   write-fence.ts      every Avi write checked against the lease deadline and the controller's leadership
//   member-clusters.ts  member-cluster informers and the derivation of member records
//   member-index.ts     objects -> members -> GslbService keys
//   skipped-members.ts  selected objects that produce no member (+ member-events.ts: their Events)
//   policy.ts           GDP + GSLBHostRule validation and the policy in force
//   avi-state.ts        what this instance owns on the controller (cache, full-resync merge)
//   apply-op.ts         one Avi write and its cache update
//   cr-status.ts        status write-back and Events on the CRs
// This file wires them: own-cluster informers, the config and policy steps
// (serialized), the work queue (one key = plan + writes), resyncs, metrics.
import { randomUUID } from 'node:crypto';
import type { KubeConfig, KubernetesListObject, KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { AMKO_NAMESPACE, UUID_ANNOTATION, type GSLBConfig, type GSLBHostRule, type GlobalDeploymentPolicy, type KindName } from '../api/index.js';
import { isAviError, type AviError } from '../avi/errors.js';
import type { AviApi } from '../avi/types.js';
import type { RoleState, RoleWatcher } from '../federation/role.js';
import { kubeClient, type KubeClient } from '../kube/client.js';
import { errorText } from '../kube/errors.js';
import { EventRecorder } from '../kube/events.js';
import { makeResilientInformer, type ResilientInformer } from '../kube/informer.js';
import { MemberKubeconfig, kubeConfigForContext } from '../kube/kubeconfig.js';
import { corePath, crPath } from '../kube/paths.js';
import { defaultIdentity, type LeaseSource } from '../kube/lease.js';
import type { Logger } from '../log.js';
import { withDefaults } from '../options.js';
import { applyOperation } from './apply-op.js';
import { AviSession, defaultAviFactory, isGslbLeader, type AviConnection } from './avi-session.js';
import { AviStateCache } from './avi-state.js';
import { ConnectRetry, isLoginRefusal } from './connect-retry.js';
import { CrStatusWriter } from './cr-status.js';
import { HostRuleNaming } from './custom-fqdn/hostrules.js'; // [custom-fqdn]
import { describeOperation, type AviOperation } from './diff.js';
import { planKey, planKeySet } from './plan.js';
import { GC_STATE, activeConfigOf, aviConnectionOf, type ActiveConfig } from './gslb-config.js';
import { MemberClusters } from './member-clusters.js';
import { MemberEvents } from './member-events.js';
import { MemberIndex } from './member-index.js';
import { identityNaming, parseGsKey, type NamingStep } from './members/types.js';
import { workerMetrics as M } from './metrics.js';
import { PolicyState } from './policy.js';
import { TokenBucket, WorkQueue, type RetrySpeed, type WorkQueueOptions } from './queue.js';
import { SkippedMembers } from './skipped-members.js';
import { SyncGate, type LeaderElectionOptions } from './sync-gate.js';
import { Stopped, byAge, hash } from './util.js';
import type { ValidationContext } from './validate.js';
import { WriteFence } from './write-fence.js';
import { boundedDelay } from '../timers.js';

export { GC_STATE } from './gslb-config.js';
export { instrumentAvi, type AviConnection } from './avi-session.js';

export interface ReconcileWorkerOptions {
  /** The server's own cluster. */
  kubeConfig: KubeConfig;
  /** Member-cluster kubeconfig file (`--member-kubeconfig`, env GSLB_CONFIG). */
  memberKubeconfig?: string;
  namespace?: string;
  log: Logger;
  /** Builds the Avi client (default: src/avi AviClient). */
  aviFactory?: (c: AviConnection) => AviApi | Promise<AviApi>;
  /** Leader election (default on). `false` = this replica always syncs. */
  leaderElection?: false | LeaderElectionOptions;
  /**
   * Work queue settings. Default: concurrency 8 (keys in flight), no limit on keys per second: the global rate
   * limit is on Avi calls (aviMaxCallsPerSecond), with the per-key backoff of the queue.
   */
  queue?: Partial<Omit<WorkQueueOptions, 'handler' | 'classify' | 'onResult'>>;
  /**
   * Global budget of Avi calls per second (`--avi-max-calls-per-second`): every call of the worker's Avi client
   * (writes, re-reads after a conflict, full-resync lists, validation reads) takes a token. Default 100; the burst
   * is the same number. 0 or Infinity: unlimited.
   */
  aviMaxCallsPerSecond?: number;
  memberBackoff?: { initialMs?: number; maxMs?: number };
  /**
   * A member-cluster watch silent for longer than this is checked with a relist: unchanged = idle (left alone),
   * changed = stalled (the watch restarts). Default 300000 (5 min); 0 turns the check off.
   */
  informerStallMs?: number;
  /** Overrides GSLBConfig refreshInterval (tests). */
  refreshIntervalMs?: number;
  /**
   * Retry delay for config/validation steps that failed on a transient error. Default 5000. Also the first delay
   * of the capped backoff after a non-retryable controller failure (certificate) and the delay before the one
   * retry of a refused login.
   */
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

/** Default worker Avi-call budget (calls per second). */
export const DEFAULT_AVI_CALLS_PER_SECOND = 100;
/** Default `retryDelayMs`. */
export const DEFAULT_RETRY_DELAY_MS = 5000;
/** How long a hand-over (stop) waits for the Avi writes in flight to settle before it releases the Lease. */
const HANDOVER_SETTLE_MS = 500;

type Kinded = KubernetesObject & { spec?: unknown; status?: Record<string, unknown> };

/** `850 ms`, `20 s`, `5 min`: for status texts. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function classify(err: unknown): RetrySpeed {
  const e = err as { retry?: RetrySpeed; errorClass?: string } | undefined;
  if (e && typeof e === 'object' && typeof e.retry === 'string') return e.retry;
  if (err instanceof Stopped) return 'none';
  return 'slow';
}

export class ReconcileWorker implements LeaseSource {
  readonly name = 'reconcile-worker';
  readonly identity: string;
  private readonly o: ReconcileWorkerOptions;
  private readonly ns: string;
  private readonly log: Logger;
  /** [custom-fqdn] AKO HostRule watches behind the default naming step (aliases, useCustomGlobalFqdn, HostRule TLS). */
  private readonly hostRuleNaming?: HostRuleNaming;
  private readonly gate: SyncGate;
  /** Syncing: lease held and the role says syncToAvi. */
  private active = false;
  private generation = 0;

  // own-cluster informers
  private gcInf?: ResilientInformer<Kinded>;
  private gdpInf?: ResilientInformer<Kinded>;
  private ghrInf?: ResilientInformer<Kinded>;
  private secretInf?: ResilientInformer<V1Secret>;

  // config + Avi
  private config?: ActiveConfig;
  private readonly session: AviSession;
  private readonly retryDelayMs: number;
  private readonly connectRetry: ConnectRetry;
  /** Fingerprint of the GSLBConfig spec and the credentials Secret in force (a change lifts a login block). */
  private connInputs = '';
  private readonly fence: WriteFence;
  private readonly memberKubeconfig: MemberKubeconfig;
  private readonly client: KubeClient;
  private kubeconfigStamp = '';
  private readonly status: CrStatusWriter;
  private resyncTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private metricsTimer?: NodeJS.Timeout;
  private configChain: Promise<void> = Promise.resolve();
  private configQueued = false;

  private readonly policy = new PolicyState();
  private policyChain: Promise<void> = Promise.resolve();

  private readonly index: MemberIndex;
  private readonly members: MemberClusters;
  private readonly skipped: SkippedMembers;
  private readonly memberEvents: MemberEvents;
  private writingSkipped = false;

  private readonly cache: AviStateCache;
  private resynced = false;
  private resyncing?: Promise<void>;
  /** The `synced all objects` report of the current full sync (waits for the queue to drain). */
  private syncReport?: { gen: number; keys: Set<string>; pending: boolean; done: Promise<void>; resolve: () => void };
  /** Set by a full sync of the config step: the resync that follows reports `synced all objects` for this GSLBConfig. */
  private reportAfterResync?: GSLBConfig;
  /** Own-cluster informers listed (config and policy steps wait for every one of them). */
  private ownSynced = false;

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
          hostRules: () => this.members.hostRules(),
          onChange: () => {
            if (this.active && this.config) this.members.rederiveAll();
          },
        });
    this.identity = (opts.leaderElection && opts.leaderElection.identity) || defaultIdentity();
    const callRate = opts.aviMaxCallsPerSecond ?? DEFAULT_AVI_CALLS_PER_SECOND;
    this.fence = new WriteFence({
      leaseValid: () => this.active && this.gate.mayWrite(),
      controllerLeads: () => this.session.ok,
      onNotLeader: () => this.controllerNotLeader(),
    });
    this.session = new AviSession(
      opts.aviFactory ?? defaultAviFactory(this.log, { aviCaFile: opts.aviCaFile, aviInsecureSkipTlsVerify: opts.aviInsecureSkipTlsVerify, userAgent: `amko (${this.identity})` }),
      callRate > 0 && callRate !== Infinity ? new TokenBucket(callRate) : undefined,
      this.fence,
    );
    this.retryDelayMs = opts.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.connectRetry = new ConnectRetry(this.retryDelayMs);
    this.memberKubeconfig = new MemberKubeconfig(opts.memberKubeconfig);
    this.client = kubeClient(opts.kubeConfig);
    this.status = new CrStatusWriter(this.client, new EventRecorder(this.client, 'amko-reconcile-worker', this.identity, this.log), this.ns, this.log);
    this.cache = new AviStateCache(() => this.config?.createdBy);
    this.index = new MemberIndex((key) => this.queue.add(key));
    this.memberEvents = new MemberEvents((c) => {
      const kc = this.members.kubeConfigOf(c);
      return kc && new EventRecorder(kubeClient(kc), 'amko-reconcile-worker', this.identity, this.log);
    }, this.log);
    this.skipped = new SkippedMembers((n) => this.memberEvents.post(n));
    this.members = new MemberClusters({
      log: this.log,
      index: this.index,
      skipped: this.skipped,
      naming: opts.naming ?? this.hostRuleNaming?.naming ?? identityNaming,
      hostRuleNaming: this.hostRuleNaming,
      backoff: opts.memberBackoff,
      stallAfterMs: opts.informerStallMs,
      generation: () => this.generation,
      inputs: () => (this.config ? { gdp: this.policy.gdp, tenant: this.config.tenant ?? 'admin' } : undefined),
    });
    this.gate = new SyncGate({
      kubeConfig: opts.kubeConfig,
      namespace: this.ns,
      identity: this.identity,
      log: this.log,
      leaderElection: opts.leaderElection,
      role: opts.role,
      onStart: () => this.startLeading(),
      onStop: () => this.stopLeading(),
      settleWrites: () => this.fence.settled(HANDOVER_SETTLE_MS),
      isActive: () => this.active,
    });
    this.queue = new WorkQueue({
      ...withDefaults({ concurrency: 8 }, opts.queue),
      handler: (key) => this.syncKey(key),
      classify,
      onResult: (key, r) => {
        this.fullSyncKeyDone(key);
        const wrote = this.wroteForKey.get(key) ?? false;
        this.wroteForKey.delete(key);
        M.syncs.inc({ result: r.ok ? 'ok' : 'error', wrote: String(wrote) });
        if (r.ok && wrote) M.syncLatency.observe((Date.now() - r.queuedAt) / 1000);
        if (!r.ok && !(r.error instanceof Stopped)) {
          this.log.warn({ key, attempt: r.attempt, retryInMs: r.retryInMs, err: errorText(r.error) }, 'sync failed');
          if (isLoginRefusal(r.error)) void this.onLoginRefused(r.error);
        }
      },
    });
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.metricsTimer) return;
    this.metricsTimer = setInterval(() => this.updateMetrics(), 1000);
    this.metricsTimer.unref?.();
    this.gate.start();
  }

  async stop(): Promise<void> {
    clearInterval(this.metricsTimer);
    this.metricsTimer = undefined;
    await this.gate.stop();
    await this.stopLeading();
  }

  /** First step of a shutdown: no further Avi write, the writes in flight settle, the Lease is released. */
  handOver(): Promise<void> {
    return this.gate.stop();
  }

  /** Whether this replica holds the Lease (always true with `leaderElection: false` while started). */
  holdsLease(): boolean {
    return this.gate.holdsLease();
  }

  onLeaseChange(listener: (held: boolean) => void): () => void {
    return this.gate.onLeaseChange(listener);
  }

  /** The role the sync is gated on. */
  roleState(): RoleState {
    return this.gate.roleState();
  }

  /** Ready = not leading (standby), or leading with a connected controller and a first resync done. */
  ready(): boolean {
    if (!this.active) return true;
    return !this.config || (this.session.ok && this.resynced);
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
    if (this.syncReport?.gen === this.generation && this.syncReport.keys.size === 0) await this.syncReport.done;
  }

  private startLeading(): void {
    if (this.active) return;
    this.active = true;
    this.generation++;
    this.status.reset();
    M.leader.set(1);
    const mk = <T extends KubernetesObject>(kind: KindName | 'Secret', path: string) => makeResilientInformer<T>(this.client, path, { name: `own/${kind}`, log: this.log });
    this.gcInf = mk<Kinded>('GSLBConfig', crPath('GSLBConfig', this.ns));
    this.gdpInf = mk<Kinded>('GlobalDeploymentPolicy', crPath('GlobalDeploymentPolicy', this.ns));
    this.ghrInf = mk<Kinded>('GSLBHostRule', crPath('GSLBHostRule', this.ns));
    this.secretInf = mk<V1Secret>('Secret', corePath('secrets', this.ns));
    // Nothing is decided before every own-cluster informer has listed (e.g. the credentials Secret).
    this.ownSynced = false;
    this.gcInf.onEvent(() => {
      if (this.ownSynced) this.scheduleConfig();
    });
    this.secretInf.onEvent((_e, s) => {
      if (!this.ownSynced) return;
      if (s.metadata?.name && this.currentGc()?.spec?.gslbLeader.credentials === s.metadata.name) this.scheduleConfig();
    });
    this.gdpInf.onEvent(() => {
      if (this.ownSynced) this.schedulePolicy();
    });
    this.ghrInf.onEvent(() => {
      if (this.ownSynced) this.schedulePolicy();
    });
    const gen = this.generation;
    const infs = [this.gcInf, this.gdpInf, this.ghrInf, this.secretInf] as ResilientInformer<KubernetesObject>[];
    void Promise.all(infs.map((i) => i.start().catch(() => undefined)))
      .then(() => Promise.all(infs.map((i) => i.waitForSync())))
      .then(() => {
        if (gen !== this.generation || !this.active) return;
        this.ownSynced = true;
        this.scheduleConfig();
      })
      .catch(() => undefined);
  }

  private async stopLeading(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    this.generation++;
    M.leader.set(0);
    M.aviAuthBlocked.set(0); // a replica that does not sync makes no login
    this.queue.stop(true);
    clearTimeout(this.resyncTimer);
    clearTimeout(this.retryTimer);
    const infs = [this.gcInf, this.gdpInf, this.ghrInf, this.secretInf];
    this.gcInf = this.gdpInf = this.ghrInf = undefined;
    this.secretInf = undefined;
    await Promise.all(infs.map((i) => i?.stop().catch(() => undefined)));
    await this.members.stop();
    await this.session.close();
    this.config = undefined;
    this.resetState();
  }

  private resetState(): void {
    this.policy.reset();
    this.index.clear();
    this.skipped.clear();
    this.memberEvents.clear();
    M.membersSkipped.reset();
    this.cache.clear();
    this.resynced = false;
    this.kubeconfigStamp = '';
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
        if (isLoginRefusal(err)) return this.onLoginRefused(err);
        this.log.error({ err: errorText(err) }, 'applying the GSLBConfig failed');
        this.retryConfigLater();
      }
    });
  }

  /**
   * The first "not the leader" answer to a write: no further write (the fence checks session.ok) until the
   * config step has verified leadership again; that is followed by a full resync, which queues the refused keys.
   */
  private controllerNotLeader(): void {
    this.session.ok = false;
    this.resynced = false;
    this.queue.stop();
    this.log.warn({ gslbConfig: this.config?.name }, 'the controller answered "not the leader": no further writes until it is verified as the GSLB leader again');
    const gc = this.currentGc();
    if (gc) void this.status.gslbConfigState(gc, GC_STATE.notLeader).catch(() => undefined);
    this.retryConfigLater();
  }

  private retryConfigLater(delayMs = this.retryDelayMs): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.scheduleConfig(), boundedDelay(delayMs));
    this.retryTimer.unref?.();
  }

  /**
   * The controller refused a login (config step, a key's sync, a resync or a validation read): stop using the
   * client, say so (status, Event, metric), and retry once after the retry delay; after LOGINS_BEFORE_BLOCK
   * refusals in a row, only when the Secret or the GSLBConfig changes or the capped backoff ends.
   */
  private async onLoginRefused(err: AviError): Promise<void> {
    const v = this.connectRetry.loginRefused(err, this.connInputs);
    if (!v || !this.active) return;
    this.session.ok = false;
    this.resynced = false; // what failed meanwhile is caught up by a full sync once logged in
    this.queue.stop();
    M.aviAuthBlocked.set(v.blocked ? 1 : 0);
    const gc = this.currentGc();
    const secret = gc?.spec?.gslbLeader.credentials ?? '';
    const retryIn = formatDuration(v.retryInMs);
    const detail = err.controllerMessage;
    this.log.error(
      { refusals: v.refusals, blocked: v.blocked, retryInMs: v.retryInMs, secret, controllerMessage: detail },
      v.blocked
        ? 'the Avi controller refused the login again; no more logins until the credentials Secret or the GSLBConfig changes (or the backoff ends), so the account is not locked'
        : 'the Avi controller refused the login; trying once more',
    );
    if (gc) await this.status.gslbConfigState(gc, v.blocked ? GC_STATE.loginBlocked(detail, v.refusals, secret, retryIn) : GC_STATE.loginRefused(detail, retryIn));
    this.retryConfigLater(v.retryInMs);
  }

  private async reconcileConfig(): Promise<void> {
    const all = [...(this.gcInf?.list() ?? [])].sort(byAge) as unknown as GSLBConfig[];
    for (const extra of all.slice(1)) await this.status.gslbConfigState(extra, GC_STATE.anotherConfig);
    const gc = all[0];
    if (!gc) {
      if (this.config) {
        this.log.info('GSLBConfig removed; sync stopped (nothing is deleted on the controller)');
        this.queue.stop(true);
        clearTimeout(this.resyncTimer);
        await this.members.stop();
        await this.session.close();
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
      await this.client.request('PATCH', crPath('GSLBConfig', this.ns, gc.metadata?.name), {
        body: { metadata: { annotations: { [UUID_ANNOTATION]: amkoUuid } } },
        contentType: 'application/merge-patch+json',
      });
      this.log.info({ amkoUuid }, 'stored a new amko UUID on the GSLBConfig');
    }
    if (!leader.controllerIP) return this.status.gslbConfigState(gc, GC_STATE.noController);
    if (!leader.credentials) return this.status.gslbConfigState(gc, GC_STATE.noCredentials);
    const secret = this.secretInf?.get(leader.credentials, this.ns);
    if (!secret) return this.status.gslbConfigState(gc, GC_STATE.noSecret(leader.credentials));
    const conn = aviConnectionOf(gc, secret);
    const next = activeConfigOf(gc, amkoUuid, conn, this.o.refreshIntervalMs);
    // What a user changes to retry at once: the GSLBConfig spec or annotations, the Secret (not our status writes).
    const inputs = hash([gc.metadata?.uid, gc.metadata?.generation, gc.metadata?.annotations ?? {}, secret.metadata?.uid, secret.metadata?.resourceVersion]);
    this.connInputs = inputs;
    const prev = this.config;
    const aviChanged = !prev || prev.aviFingerprint !== next.aviFingerprint || !this.session.client;
    const ownerChanged = !prev || prev.createdBy !== next.createdBy;
    this.config = next;
    this.hostRuleNaming?.setMode(gc.spec.useCustomGlobalFqdn === true); // [custom-fqdn] live mode switch re-derives members

    // Avi client: rebuild on controller/credentials/version/tenant change, then verify leadership.
    const checkLeader = aviChanged || !this.session.ok;
    if (checkLeader) {
      this.queue.stop();
      // After a failure, wait for the retry time unless the Secret or the GSLBConfig changed (our own status writes do not count).
      const waitMs = this.connectRetry.waitMs(inputs);
      if (waitMs > 0) {
        M.aviAuthBlocked.set(this.connectRetry.blocked ? 1 : 0);
        this.retryConfigLater(waitMs);
        return;
      }
      // Each attempt after a failure is a new client: one whose login was refused never logs in again (so each
      // attempt is one login), and the controller CA is read when a client is built.
      if (aviChanged || this.connectRetry.failedSinceConnected) await this.session.rebuild(conn);
      try {
        const leading = await isGslbLeader(this.session.client!);
        this.connectRetry.connected();
        M.aviAuthBlocked.set(0);
        if (!leading) {
          this.session.ok = false;
          await this.status.gslbConfigState(gc, GC_STATE.notLeader);
          this.retryConfigLater();
          return;
        }
        this.session.ok = true;
      } catch (err) {
        this.session.ok = false;
        if (isLoginRefusal(err)) return this.onLoginRefused(err);
        const retryInMs = this.connectRetry.failed(err, inputs);
        this.log.warn({ err: errorText(err), retryInMs }, 'connecting to the Avi controller failed');
        await this.status.gslbConfigState(gc, GC_STATE.connect(isAviError(err) ? err.message : errorText(err)));
        this.retryConfigLater(retryInMs);
        return;
      }
    }

    // Member clusters: start new contexts, stop removed ones; a changed kubeconfig file restarts all.
    const stamp = this.memberKubeconfig.stamp();
    const kcChanged = stamp !== this.kubeconfigStamp;
    let memberKc: KubeConfig | undefined;
    if (kcChanged || next.memberClusters.some((c) => !this.members.has(c))) {
      try {
        memberKc = this.memberKubeconfig.load();
      } catch (err) {
        await this.status.gslbConfigState(gc, GC_STATE.kubeconfig(errorText(err)));
        this.retryConfigLater();
        return;
      }
    }
    const toStop = this.members.names().filter((c) => kcChanged || !next.memberClusters.includes(c));
    if (toStop.length > 0) {
      await this.members.stop(toStop);
      for (const c of toStop) this.index.dropCluster(c);
    }
    this.kubeconfigStamp = stamp;
    for (const c of next.memberClusters) {
      if (this.members.has(c)) continue;
      let kc: KubeConfig;
      try {
        kc = kubeConfigForContext(memberKc!, c);
      } catch (err) {
        this.log.warn({ cluster: c, err: errorText(err) }, 'member cluster context missing');
        continue;
      }
      this.members.start(c, kc);
    }

    const policyStale = aviChanged || ownerChanged || !prev || prev.memberClusters.join() !== next.memberClusters.join();
    // A full sync reports its progress: syncing all objects -> synced all objects -> accepted.
    const fullSync = aviChanged || ownerChanged || !this.resynced;
    const reporting = this.syncReport?.gen === this.generation && this.syncReport.pending;
    if (fullSync) await this.status.gslbConfigState(gc, GC_STATE.syncing);
    else if (!reporting) await this.status.gslbConfigState(gc, GC_STATE.accepted);
    if (policyStale) this.policy.clearVerdicts();
    // Wait for every member cluster's first attempt (synced or failed), so a
    // reachable cluster's members are known before anything is written.
    await this.members.attempted();
    await this.evaluatePolicy();
    if (fullSync) {
      this.reportAfterResync = this.session.ok && this.policy.evaluated ? gc : undefined;
      await this.fullResync(!checkLeader);
      this.reportAfterResync = undefined;
    }
    if (!prev || prev.refreshIntervalMs !== next.refreshIntervalMs || aviChanged) this.scheduleResync();
    if (this.session.ok && this.policy.evaluated) this.queue.start();
    if (fullSync && this.resynced && this.session.ok && !this.policy.evaluated) await this.status.gslbConfigState(gc, GC_STATE.accepted); // GDP held: nothing to sync
  }

  /**
   * A full sync is done once every key it queued has been processed once (ok or failed; later changes don't
   * hold it up): then `synced all objects`, then `success: gslb config accepted`.
   */
  private reportSynced(gc: GSLBConfig): void {
    const gen = this.generation;
    let resolve!: () => void;
    const report = { gen, keys: new Set(this.allKeys()), pending: true, done: new Promise<void>((r) => (resolve = r)), resolve };
    report.done = report.done.then(async () => {
      try {
        const cur = this.currentGc();
        if (!cur || gen !== this.generation || !this.active || !this.session.ok || cur.metadata?.uid !== gc.metadata?.uid) return;
        await this.status.gslbConfigState(cur, GC_STATE.synced);
        await this.status.gslbConfigState(cur, GC_STATE.accepted);
      } finally {
        report.pending = false;
      }
    });
    this.syncReport = report;
    if (report.keys.size === 0) resolve();
  }

  /** A key's first processing after the full sync that queued it. */
  private fullSyncKeyDone(key: string): void {
    const r = this.syncReport;
    if (!r || r.gen !== this.generation || !r.keys.delete(key) || r.keys.size > 0) return;
    r.resolve();
  }

  // ---------------------------------------------------------------- GDP + GSLBHostRules

  private schedulePolicy(): void {
    const gen = this.generation;
    this.policyChain = this.policyChain.then(async () => {
      if (gen !== this.generation || !this.active || !this.config || !this.session.ok) return;
      try {
        await this.evaluatePolicy();
        if (this.session.ok && this.policy.evaluated && this.resynced) this.queue.start();
      } catch (err) {
        if (isLoginRefusal(err)) return this.onLoginRefused(err);
        this.log.warn({ err: errorText(err) }, 'policy evaluation failed; retrying');
        setTimeout(() => this.schedulePolicy(), boundedDelay(this.retryDelayMs)).unref?.();
      }
    });
  }

  private validationCtx(): ValidationContext {
    return { avi: this.session.client!, tenant: this.config!.tenant, memberClusters: this.config!.memberClusters };
  }

  /** Validates the GDP and GSLBHostRules, writes their status, and applies the accepted ones. */
  private async evaluatePolicy(): Promise<void> {
    if (!this.config || !this.session.client || !this.session.ok) return;
    const gdps = (this.gdpInf?.list() ?? []) as unknown as GlobalDeploymentPolicy[];
    const rules = (this.ghrInf?.list() ?? []) as unknown as GSLBHostRule[];
    const r = await this.policy.evaluate(gdps, rules, this.validationCtx());
    for (const st of r.statuses) await this.status.policyStatus(st);
    if (r.hold) {
      this.queue.stop();
      return;
    }
    if (r.gdpChanged) {
      this.members.rederiveAll();
      this.enqueueAll();
    } else if (r.changedFqdns.size > 0) {
      for (const key of this.allKeys()) if (r.changedFqdns.has(parseGsKey(key).gsName)) this.queue.add(key);
    }
  }

  // ---------------------------------------------------------------- keys

  private allKeys(): Set<string> {
    return planKeySet(this.index, this.cache, this.config?.createdBy);
  }

  private enqueueAll(): void {
    for (const k of this.allKeys()) this.queue.add(k);
  }

  /**
   * After a full resync: queues only the keys whose plan against the fresh cache is not empty, so
   * unchanged keys never occupy the queue (and its token bucket) and a change arriving meanwhile does
   * not wait behind all of them (bench/sync.ts: p99 7.6 s during a 10k-key resync). Plans in slices
   * to keep the event loop responsive; a key that changes meanwhile is queued by its own event.
   */
  private async enqueueNeeded(): Promise<void> {
    let n = 0;
    for (const k of this.allKeys()) {
      if (this.planKey(k).length > 0) this.queue.add(k);
      if (++n % 500 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  // ---------------------------------------------------------------- Avi state

  private scheduleResync(): void {
    clearTimeout(this.resyncTimer);
    if (!this.config) return;
    const gen = this.generation;
    this.resyncTimer = setTimeout(() => {
      if (gen !== this.generation || !this.active) return;
      void this.periodicResync().finally(() => this.scheduleResync());
    }, boundedDelay(this.config.refreshIntervalMs));
    this.resyncTimer.unref?.();
  }

  private async periodicResync(): Promise<void> {
    if (!this.session.ok) {
      this.scheduleConfig();
      return;
    }
    // Re-validate rules against the controller (refs may have appeared/disappeared).
    this.policy.clearVerdicts();
    this.schedulePolicy();
    await this.policyChain;
    await this.fullResync();
  }

  /**
   * Re-checks that the controller is the GSLB leader (GET /api/cluster + /api/gslb; not when `leaderChecked`),
   * lists what this instance owns on it, replaces the cache, and queues every key. A controller that is no
   * longer the leader is not written to: the queue stops, the GSLBConfig says `error: controller not a leader`,
   * and the config step retries until it leads again.
   */
  async fullResync(leaderChecked = false): Promise<void> {
    if (this.resyncing) return this.resyncing;
    this.resyncing = this.doFullResync(!leaderChecked).finally(() => (this.resyncing = undefined));
    return this.resyncing;
  }

  private async doFullResync(checkLeader: boolean): Promise<void> {
    const cfg = this.config;
    const avi = this.session.client;
    if (!cfg || !avi) return;
    const startSeq = this.cache.mark();
    try {
      if (checkLeader && !(await isGslbLeader(avi))) {
        if (this.config !== cfg || this.session.client !== avi) return;
        this.session.ok = false;
        this.resynced = false;
        this.queue.stop();
        M.resyncs.inc({ result: 'not-leader' });
        this.log.warn({ controller: cfg.name }, 'the controller is no longer the GSLB leader; not writing');
        const gc = this.currentGc();
        if (gc) await this.status.gslbConfigState(gc, GC_STATE.notLeader);
        this.retryConfigLater();
        return;
      }
      const [gss, hms] = await Promise.all([avi.listGslbServices(cfg.createdBy, '*'), avi.listHealthMonitors('*')]);
      if (this.config !== cfg || this.session.client !== avi) return;
      this.cache.replace(gss, hms, cfg.createdBy, cfg.tenant, startSeq);
      this.resynced = true;
      M.resyncs.inc({ result: 'ok' });
      if (this.reportAfterResync) this.reportSynced(this.reportAfterResync);
      await this.enqueueNeeded();
    } catch (err) {
      M.resyncs.inc({ result: 'error' });
      this.log.warn({ err: errorText(err) }, 'full resync failed');
      if (isLoginRefusal(err)) return this.onLoginRefused(err);
      if (!this.resynced) this.retryConfigLater();
    }
  }

  /** The operations for one key against the cache (plan.ts: the same computation as `amko plan`). */
  planKey(key: string): AviOperation[] {
    const cfg = this.config;
    if (!cfg) return [];
    return planKey(key, { ...this.policy.inputs(cfg), members: (k) => this.index.membersOf(k) }, this.cache);
  }

  private async syncKey(key: string): Promise<void> {
    const gen = this.generation;
    const guard = () => {
      if (!this.active || gen !== this.generation || !this.session.ok || !this.config || !this.resynced) throw new Stopped();
    };
    guard();
    const ops = this.planKey(key);
    for (const op of ops) {
      guard();
      this.log.info({ key, op: op.op, name: op.name }, describeOperation(op).split('\n')[0]!);
      await applyOperation(this.session.client!, this.cache, op, this.config!.createdBy, this.log);
      this.wroteForKey.set(key, true);
    }
  }

  // ---------------------------------------------------------------- metrics

  private updateMetrics(): void {
    M.queueDepth.set(this.queue.depth());
    M.inFlight.set(this.queue.inFlight());
    M.managedGs.set(this.cache.gs.size);
    this.members.updateMetrics(Date.now());
    M.membersSkipped.reset();
    for (const [cluster, byReason] of this.skipped.countsByReason()) for (const [reason, n] of byReason) M.membersSkipped.set({ cluster, reason }, n);
    void this.writeSkippedCount();
  }

  /** GDP `status.skippedMembers`, once the members of this term are known (after the first full sync). */
  private async writeSkippedCount(): Promise<void> {
    if (!this.active || !this.resynced || this.writingSkipped) return;
    const gdp = ([...(this.gdpInf?.list() ?? [])].sort(byAge) as unknown as GlobalDeploymentPolicy[])[0];
    if (!gdp) return;
    this.writingSkipped = true;
    try {
      await this.status.gdpSkippedMembers(gdp, this.skipped.count());
    } finally {
      this.writingSkipped = false;
    }
  }

  /** Introspection for tests and `amko plan`. */
  snapshot() {
    return {
      leader: this.active,
      lease: this.gate.holdsLease(),
      role: this.gate.roleState().role,
      config: this.config ? { ...this.config } : undefined,
      clusters: this.members.snapshot(),
      keys: [...this.allKeys()].sort(),
      actualGs: [...this.cache.gs.keys()].sort(),
    };
  }
}
