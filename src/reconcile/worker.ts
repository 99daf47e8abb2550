// The reconcile worker: a leader-only part of the process (the manager starts it
// when this replica holds the Lease and stops it when the Lease is lost) that
// syncs while the AMKOCluster role says syncToAvi (sync-gate.ts). It composes
// three keyed controllers over the shared own-cluster cache, whose event
// handlers only enqueue keys:
//   gslb-config-controller.ts  config / resync / full-resync / synced keys
//   policy-controller.ts       the policy key (GDP + GSLBHostRules)
//   gslbservice-controller.ts  one key per GslbService (plan + apply)
// The first two share one serialized queue (both use the Avi session); the
// pipeline stages they run are source.ts (member-clusters.ts feeds it),
// policy.ts + desired/, plan.ts, apply-op.ts + avi-state.ts.
import type { V1Secret } from '@kubernetes/client-node';
import type { KubeConfigLike } from '../kube/config.js';
import { AMKO_NAMESPACE } from '../api/index.js';
import type { AviApi } from '../avi/types.js';
import type { RoleState, RoleWatcher } from '../federation/role.js';
import { kubeClient } from '../kube/client.js';
import { errorText } from '../kube/errors.js';
import { EventRecorder } from '../kube/events.js';
import { MemberKubeconfig } from '../kube/kubeconfig.js';
import type { Logger } from '../log.js';
import type { OwnClusterCache, OwnKind } from '../manager/cache.js';
import type { Runnable } from '../manager/manager.js';
import { compileSchemas } from '../rules/schema.js';
import { AviClientHolder, defaultAviFactory, type AviConnection } from './avi-session.js';
import { AviStateCache } from './avi-state.js';
import { CrStatusWriter } from './cr-status.js';
import type { AviOperation } from './diff.js';
import { HostRuleNaming } from './custom-fqdn/hostrules.js'; // [custom-fqdn]
import { CONTROL_KEYS, GslbConfigController } from './gslb-config-controller.js';
import { classify, GslbServiceController, type GslbServiceQueueOptions } from './gslbservice-controller.js';
import { isLoginRefusal } from './connect-retry.js';
import { MemberClusters } from './member-clusters.js';
import { MemberEvents } from './member-events.js';
import { MemberIndex } from './member-index.js';
import { identityNaming, type NamingStep } from './members/types.js';
import { readOnScrape, workerMetrics as M } from './metrics.js';
import { PolicyController } from './policy-controller.js';
import { PolicyState } from './policy.js';
import { SkippedMembers } from './skipped-members.js';
import { TokenBucket, WorkQueue } from './queue.js';
import { WriteFence } from './write-fence.js';
import { SyncGate } from './sync-gate.js';
import { gslbConfigs, type SyncState } from './sync-state.js';
import { Stopped } from './util.js';

export { GC_STATE } from './gslb-config.js';

/** Default worker Avi-call budget (calls per second). */
export const DEFAULT_AVI_CALLS_PER_SECOND = 100;
/** Default `retryDelayMs`. */
export const DEFAULT_RETRY_DELAY_MS = 5000;
/** How long a hand-over (stop) waits for the Avi writes in flight to settle before the Lease is released. */
const HANDOVER_SETTLE_MS = 500;

export interface ReconcileWorkerOptions {
  /** The server's own cluster. */
  kubeConfig: KubeConfigLike;
  /** Member-cluster kubeconfig: a file path or the kubeconfig text (`--member-kubeconfig`, env GSLB_CONFIG). */
  memberKubeconfig?: string;
  namespace?: string;
  log: Logger;
  /** This replica's name (Events' reportingInstance). */
  identity?: string;
  /** Builds the Avi client (default: src/avi AviClient). */
  aviFactory?: (c: AviConnection) => AviApi | Promise<AviApi>;
  /**
   * GslbService queue settings. Default: concurrency 8 (keys in flight), no limit on keys per second: the global
   * rate limit is on Avi calls (aviMaxCallsPerSecond), with the per-key backoff of the queue.
   */
  queue?: GslbServiceQueueOptions;
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
  /** How often a member cluster's absent optional APIs (OpenShift Routes, Gateway API) are looked for again. Default 30000. */
  memberRediscoverMs?: number;
  /** Overrides GSLBConfig refreshInterval (tests). */
  refreshIntervalMs?: number;
  /** Retry delay of the GSLBConfig and policy keys after a failure, and while a GSLBConfig cannot be applied. Default 5000. */
  retryDelayMs?: number;
  /** Naming step (default: local hostname = GslbService name, through AKO HostRules). */
  naming?: NamingStep;
  /** PEM file with the CA(s) of the Avi controller for the default Avi client (`--avi-ca-file`), read at each client build. */
  aviCaFile?: string;
  /** Skip TLS verification for the default Avi client (`--avi-insecure-skip-tls-verify`). */
  aviInsecureSkipTlsVerify?: boolean;
}

/** What the process gives the worker: the shared own-cluster cache, the Lease and the role to follow. */
export interface WorkerParts {
  cache: OwnClusterCache;
  /** The lease side of the write fence (Manager.mayWrite: held and within the renew deadline). */
  lease: { mayWrite(): boolean };
  /** The AMKOCluster role (undefined: no role gating, always syncToAvi). */
  role?: RoleWatcher;
}

/** The own-cluster kinds the worker reads. */
export const WORKER_KINDS: readonly OwnKind[] = ['GSLBConfig', 'GlobalDeploymentPolicy', 'GSLBHostRule', 'Secret'];

export class ReconcileWorker implements Runnable {
  readonly name = 'reconcile-worker';
  readonly needLeaderElection = true;
  private readonly s: SyncState;
  private readonly gate: SyncGate;
  private readonly control: WorkQueue;
  private readonly gs: GslbServiceController;
  private readonly policyCtl: PolicyController;
  private readonly configCtl: GslbConfigController;
  /** [custom-fqdn] AKO HostRules behind the default naming step (aliases, useCustomGlobalFqdn, HostRule TLS). */
  private readonly hostRuleNaming?: HostRuleNaming;
  private readonly fence: WriteFence;
  private unsubscribe: Array<() => void> = [];
  /** Unregisters the gauge update of /metrics scrapes (set while started). */
  private stopMetrics?: () => void;

  constructor(o: ReconcileWorkerOptions, parts: WorkerParts) {
    const log = o.log.child({ component: 'reconcile' });
    const client = kubeClient(o.kubeConfig);
    const namespace = o.namespace ?? AMKO_NAMESPACE;
    const callRate = o.aviMaxCallsPerSecond ?? DEFAULT_AVI_CALLS_PER_SECOND;
    const retryDelayMs = o.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    // [custom-fqdn] Unless a naming step is injected, name GslbServices through AKO HostRules.
    this.hostRuleNaming = o.naming
      ? undefined
      : new HostRuleNaming({
          log,
          hostRules: () => this.s.members.hostRules(),
          onChange: () => {
            if (this.s.active && this.s.config) this.s.members.rederiveAll();
          },
        });
    const index = new MemberIndex((key) => this.gs.queue.add(key));
    const identity = o.identity ?? 'amko';
    const memberEvents = new MemberEvents((c) => {
      const kc = this.s.members.kubeConfigOf(c);
      return kc && new EventRecorder(kubeClient(kc), 'amko-reconcile-worker', identity, log);
    }, log);
    const skipped = new SkippedMembers((n) => memberEvents.post(n));
    // GDP status.skippedMembers follows the count, once the members of this term are known (after the first full sync).
    skipped.onCountChange(() => this.writeSkippedCount());
    this.fence = new WriteFence({
      leaseValid: () => this.s.active && parts.lease.mayWrite(),
      controllerLeads: () => this.s.session.ok,
      onNotLeader: () => this.configCtl.controllerNotLeader(),
    });
    this.s = {
      log,
      namespace,
      own: parts.cache,
      generation: 0,
      active: false,
      session: new AviClientHolder(
        o.aviFactory ?? defaultAviFactory(log, { aviCaFile: o.aviCaFile, aviInsecureSkipTlsVerify: o.aviInsecureSkipTlsVerify, userAgent: `amko (${identity})` }),
        callRate > 0 && callRate !== Infinity ? new TokenBucket(callRate) : undefined,
        this.fence,
      ),
      policy: new PolicyState(),
      index,
      skipped,
      memberEvents,
      members: new MemberClusters({
        log,
        index,
        skipped,
        naming: o.naming ?? this.hostRuleNaming?.naming ?? identityNaming,
        hostRuleNaming: this.hostRuleNaming,
        backoff: o.memberBackoff,
        stallAfterMs: o.informerStallMs,
        rediscoverMs: o.memberRediscoverMs,
        generation: () => this.s.generation,
        inputs: () => (this.s.config ? { gdp: this.s.policy.gdp, tenant: this.s.config.tenant, controllerUuids: this.s.config.controllerUuids } : undefined),
      }),
      observed: new AviStateCache(() => this.s.config?.createdBy),
      resynced: false,
      status: new CrStatusWriter(client, new EventRecorder(client, 'amko-reconcile-worker', identity, log), namespace, log),
    };
    this.control = new WorkQueue({
      concurrency: 1,
      fastBaseDelayMs: retryDelayMs,
      slowBaseDelayMs: retryDelayMs,
      maxDelayMs: retryDelayMs,
      handler: (key) => this.syncControlKey(key),
      classify,
      onResult: (key, r) => {
        if (r.ok || r.error instanceof Stopped) return;
        // A refused login waits as connect-retry.ts decides (the key is not retried on the queue's backoff).
        if (isLoginRefusal(r.error)) void this.configCtl.onLoginRefused(r.error);
        else log.warn({ key, retryInMs: r.retryInMs, err: errorText(r.error) }, `${key} failed; retrying`);
      },
    });
    this.gs = new GslbServiceController(this.s, o.queue, (key) => this.configCtl.keyDone(key), (err) => void this.configCtl.onLoginRefused(err));
    this.policyCtl = new PolicyController(this.s, this.gs);
    this.configCtl = new GslbConfigController(this.s, this.control, this.policyCtl, this.gs, {
      client,
      memberKubeconfig: new MemberKubeconfig(o.memberKubeconfig),
      refreshIntervalMs: o.refreshIntervalMs,
      retryDelayMs,
      hostRuleNaming: this.hostRuleNaming,
    });
    this.gate = new SyncGate({
      role: parts.role,
      log,
      onStart: () => this.startTerm(),
      onStop: () => this.stopTerm(),
      isActive: () => this.s.active,
    });
  }

  /** The GslbService queue (tests and metrics read its depth). */
  get queue(): WorkQueue {
    return this.gs.queue;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts following the role: the sync runs while the role says syncToAvi. */
  async start(): Promise<void> {
    if (this.stopMetrics) return;
    this.stopMetrics = readOnScrape(() => this.updateMetrics());
    this.gate.start();
  }

  /** The Avi writes in flight have settled (at most HANDOVER_SETTLE_MS after stop() fenced them). */
  settled(): Promise<void> {
    return this.fence.settled(HANDOVER_SETTLE_MS);
  }

  /** Stops the sync (writes are fenced at once) and waits for it to wind down. */
  async stop(): Promise<void> {
    this.stopMetrics?.();
    this.stopMetrics = undefined;
    await this.gate.stop();
  }

  /** The role the sync is gated on. */
  roleState(): RoleState {
    return this.gate.roleState();
  }

  /** Ready = not syncing (standby), or syncing with a connected controller and a first resync done. */
  ready(): boolean {
    const s = this.s;
    if (!s.active) return true;
    return !s.config || (s.session.ok && s.resynced);
  }

  /** Syncing to Avi: running (the Lease is held) and the role says syncToAvi. */
  isLeader(): boolean {
    return this.s.active;
  }

  /** Resolves when no key of any controller is queued or in flight (tests, bench). */
  async idle(): Promise<void> {
    for (;;) {
      await this.control.idle();
      await this.gs.queue.idle();
      if (this.control.isIdle() && this.gs.queue.isIdle()) return;
    }
  }

  /** Re-checks leadership and lists the observed state now (tests, bench); resolves once done. */
  async fullResync(): Promise<void> {
    if (!this.s.active) return;
    this.control.add(CONTROL_KEYS.fullResync);
    await this.control.idle();
  }

  /** A term starts: subscribe to the own-cluster kinds (handlers only enqueue keys), apply the GSLBConfig once they are listed. */
  private startTerm(): void {
    const s = this.s;
    if (s.active) return;
    s.active = true;
    s.generation++;
    s.status.reset();
    M.leader.set(1);
    const gen = s.generation;
    const config = () => this.control.add(CONTROL_KEYS.config);
    const policy = () => {
      this.control.add(CONTROL_KEYS.policy);
      this.writeSkippedCount(); // a new GDP gets the count too
    };
    this.unsubscribe = [
      s.own.onEvent('GSLBConfig', config),
      s.own.onEvent<V1Secret>('Secret', (_e, secret) => {
        if (secret.metadata?.name && gslbConfigs(s).gc?.spec?.gslbLeader.credentials === secret.metadata.name) config();
      }),
      s.own.onEvent('GlobalDeploymentPolicy', policy),
      s.own.onEvent('GSLBHostRule', policy),
    ];
    // The policy's validators are compiled now, while the term waits for the cache, Avi and the member
    // clusters, not on the first evaluation right before the first Avi write.
    setImmediate(compileSchemas);
    // Nothing is decided before every kind the worker reads has been listed (e.g. the credentials Secret).
    void s.own.waitForSync([...WORKER_KINDS]).then(
      () => {
        if (gen !== s.generation || !s.active) return;
        this.control.start();
        config();
      },
      () => undefined,
    );
  }

  /** A term ends: the synchronous part fences further writes; then everything of the term is released. */
  private async stopTerm(): Promise<void> {
    const s = this.s;
    if (!s.active) return;
    s.active = false;
    s.generation++;
    M.leader.set(0);
    M.aviAuthBlocked.set(0); // a replica that does not sync makes no login
    for (const off of this.unsubscribe.splice(0)) off();
    this.control.stop(true);
    this.gs.queue.stop(true);
    this.hostRuleNaming?.stop();
    await s.members.stop();
    await s.session.close();
    s.config = undefined;
    s.policy.reset();
    s.index.clear();
    s.skipped.clear();
    s.memberEvents.clear();
    M.membersSkipped.reset();
    s.observed.clear();
    s.resynced = false;
    this.configCtl.reset();
  }

  private async syncControlKey(key: string): Promise<void> {
    if (!this.s.active) throw new Stopped();
    switch (key) {
      case CONTROL_KEYS.config:
        return this.configCtl.sync();
      case CONTROL_KEYS.policy:
        return this.policyCtl.sync();
      case CONTROL_KEYS.resync:
        return this.configCtl.periodicResync();
      case CONTROL_KEYS.fullResync:
        return this.configCtl.fullResync(false);
      case CONTROL_KEYS.synced:
        return this.configCtl.reportSynced();
      case CONTROL_KEYS.skippedCount:
        return this.policyCtl.writeSkippedCount();
    }
  }

  /** Queues the GDP's status.skippedMembers (written on a change only; the key waits for the first full sync of the term). */
  private writeSkippedCount(): void {
    if (this.s.active) this.control.add(CONTROL_KEYS.skippedCount);
  }

  // ---------------------------------------------------------------- metrics

  /** The gauges of the worker's state, set when /metrics is scraped. */
  private updateMetrics(): void {
    M.queueDepth.set(this.gs.queue.depth());
    M.inFlight.set(this.gs.queue.inFlight());
    M.managedGs.set(this.s.observed.gs.size);
    this.s.members.updateMetrics(Date.now());
    M.membersSkipped.reset();
    for (const [cluster, byReason] of this.s.skipped.countsByReason()) for (const [reason, n] of byReason) M.membersSkipped.set({ cluster, reason }, n);
  }

  /** Introspection for tests. */
  snapshot() {
    const s = this.s;
    return {
      leader: s.active,
      role: this.gate.roleState().role,
      config: s.config ? { ...s.config } : undefined,
      clusters: s.members.snapshot(),
      keys: [...this.gs.keys()].sort(),
      actualGs: [...s.observed.gs.keys()].sort(),
    };
  }

  /** The plan of every key against the observed state, as the GslbService controller would apply it (none while the policy holds). */
  plan(): AviOperation[] {
    if (!this.s.policy.evaluated) return [];
    return [...this.gs.keys()].sort().flatMap((k) => this.gs.plan(k));
  }
}

