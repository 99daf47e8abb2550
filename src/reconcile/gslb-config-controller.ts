// The GSLBConfig controller: the GSLBConfig in force, the Avi session it
// names, the member clusters, and full resyncs of the observed state. Its keys
// share one serialized queue with the policy controller's key `policy` (both use
// the Avi session and decide whether the GslbService controller may write):
//   config       apply the GSLBConfig (any GSLBConfig or credentials Secret event;
//                retried after retryDelayMs while it cannot be applied)
//   resync       the periodic full resync (every refreshInterval): re-validate the
//                policy, re-check leadership, list the observed state
//   full-resync  re-check leadership and list the observed state (fullResync())
//   synced       every key of a full sync was processed once: report it
// (and the policy controller's skipped-count: the GDP's count of skipped members).
// When to connect to the controller again after a failure is connect-retry.ts's
// decision (a refused login waits for a change of the Secret or the GSLBConfig).
import { randomUUID } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { KubeConfigLike } from '../kube/config.js';
import { UUID_ANNOTATION, type GSLBConfig } from '../api/index.js';
import { isAviError, type AviError } from '../avi/errors.js';
import type { KubeClient } from '../kube/client.js';
import { errorText } from '../kube/errors.js';
import { kubeConfigForContext, type MemberKubeconfig } from '../kube/kubeconfig.js';
import { crPath } from '../kube/paths.js';
import { isGslbLeader } from './avi-session.js';
import { ConnectRetry, isLoginRefusal } from './connect-retry.js';
import type { HostRuleNaming } from './custom-fqdn/hostrules.js';
import { GC_STATE, activeConfigOf, amkoUuidOf, aviConnectionOf, configProblem } from './gslb-config.js';
import { hash } from './util.js';
import type { GslbServiceController } from './gslbservice-controller.js';
import { workerMetrics as M } from './metrics.js';
import type { PolicyController } from './policy-controller.js';
import type { WorkQueue } from './queue.js';
import { gslbConfigs, type SyncState } from './sync-state.js';

/** The keys of the control queue (this controller's and the policy controller's). */
export const CONTROL_KEYS = {
  config: 'config',
  policy: 'policy',
  resync: 'resync',
  fullResync: 'full-resync',
  synced: 'synced',
  skippedCount: 'skipped-count',
} as const;

/** `850 ms`, `20 s`, `5 min`: for status texts. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export interface GslbConfigControllerOptions {
  client: KubeClient;
  memberKubeconfig: MemberKubeconfig;
  /** Overrides GSLBConfig refreshInterval (tests). */
  refreshIntervalMs?: number;
  /** Delay before a GSLBConfig that cannot be applied yet is tried again. */
  retryDelayMs: number;
  /** [custom-fqdn] Its mode follows spec.useCustomGlobalFqdn. */
  hostRuleNaming?: HostRuleNaming;
}

/** The progress report of a full sync: `synced all objects` once each of its keys was processed once. */
interface FullSyncReport {
  gen: number;
  gcUid?: string;
  keys: Set<string>;
}

export class GslbConfigController {
  private kubeconfigStamp = '';
  private report?: FullSyncReport;
  private readonly connectRetry: ConnectRetry;
  /** Fingerprint of the GSLBConfig spec and the credentials Secret in force (a change lifts a login block). */
  private connInputs = '';

  constructor(
    private readonly s: SyncState,
    private readonly control: WorkQueue,
    private readonly policy: PolicyController,
    private readonly gs: GslbServiceController,
    private readonly o: GslbConfigControllerOptions,
  ) {
    this.connectRetry = new ConnectRetry(o.retryDelayMs);
  }

  /** Forgets what a term learnt (the member kubeconfig in use, a pending report). */
  reset(): void {
    this.kubeconfigStamp = '';
    this.report = undefined;
  }

  /** Stops syncing: the GSLBConfig is gone (nothing is deleted on the controller). */
  private async unapply(): Promise<void> {
    this.s.log.info('GSLBConfig removed; sync stopped (nothing is deleted on the controller)');
    this.gs.queue.stop(true);
    await this.s.members.stop();
    await this.s.session.close();
    this.s.config = undefined;
    this.s.policy.reset();
    this.s.index.clear();
    this.s.observed.clear();
    this.s.resynced = false;
    this.reset();
  }

  private retryLater(delayMs = this.o.retryDelayMs): void {
    this.control.addAfter(CONTROL_KEYS.config, delayMs);
  }

  /**
   * The first "not the leader" answer to a write (the write fence): no further write (the fence checks
   * session.ok) until the config key has verified leadership again; that is followed by a full resync, which
   * queues the refused keys.
   */
  controllerNotLeader(): void {
    const s = this.s;
    s.session.ok = false;
    s.resynced = false;
    this.gs.queue.stop();
    s.log.warn({ gslbConfig: s.config?.name }, 'the controller answered "not the leader": no further writes until it is verified as the GSLB leader again');
    const { gc } = gslbConfigs(s);
    if (gc) void s.status.gslbConfigState(gc, GC_STATE.notLeader).catch(() => undefined);
    this.retryLater();
  }

  /**
   * The controller refused a login (the config key, a GslbService key, a resync or a validation read): stop using
   * the client, say so (status, Event, metric), and retry once after the retry delay; after LOGINS_BEFORE_BLOCK
   * refusals in a row, only when the Secret or the GSLBConfig changes or the capped backoff ends.
   */
  async onLoginRefused(err: AviError): Promise<void> {
    const s = this.s;
    const v = this.connectRetry.loginRefused(err, this.connInputs);
    if (!v || !s.active) return;
    s.session.ok = false;
    s.resynced = false; // what failed meanwhile is caught up by a full sync once logged in
    this.gs.queue.stop();
    M.aviAuthBlocked.set(v.blocked ? 1 : 0);
    const { gc } = gslbConfigs(s);
    const secret = gc?.spec?.gslbLeader.credentials ?? '';
    const retryIn = formatDuration(v.retryInMs);
    const detail = err.controllerMessage;
    s.log.error(
      { refusals: v.refusals, blocked: v.blocked, retryInMs: v.retryInMs, secret, controllerMessage: detail },
      v.blocked
        ? 'the Avi controller refused the login again; no more logins until the credentials Secret or the GSLBConfig changes (or the backoff ends), so the account is not locked'
        : 'the Avi controller refused the login; trying once more',
    );
    if (gc) await s.status.gslbConfigState(gc, v.blocked ? GC_STATE.loginBlocked(detail, v.refusals, secret, retryIn) : GC_STATE.loginRefused(detail, retryIn));
    this.retryLater(v.retryInMs);
  }

  /** The `config` key: applies the GSLBConfig in force. */
  async sync(): Promise<void> {
    const s = this.s;
    const { gc, others } = gslbConfigs(s);
    for (const extra of others) await s.status.gslbConfigState(extra, GC_STATE.anotherConfig);
    if (!gc) {
      if (s.config) await this.unapply();
      return;
    }
    // UUID: annotation, else generate one and store it on the GSLBConfig.
    let amkoUuid = amkoUuidOf(gc);
    if (!amkoUuid) {
      amkoUuid = randomUUID();
      await this.o.client.request('PATCH', crPath('GSLBConfig', s.namespace, gc.metadata?.name), {
        body: { metadata: { annotations: { [UUID_ANNOTATION]: amkoUuid } } },
        contentType: 'application/merge-patch+json',
      });
      s.log.info({ amkoUuid }, 'stored a new amko UUID on the GSLBConfig');
    }
    const credentials = gc.spec.gslbLeader.credentials;
    const secret = credentials ? s.own.get<V1Secret>('Secret', credentials) : undefined;
    const problem = configProblem(gc, secret);
    if (problem) return s.status.gslbConfigState(gc, problem);
    const conn = aviConnectionOf(gc, secret!);
    const next = activeConfigOf(gc, amkoUuid, conn, this.o.refreshIntervalMs);
    // What a user changes to retry at once: the GSLBConfig spec or annotations, the Secret (not our status writes).
    const inputs = hash([gc.metadata?.uid, gc.metadata?.generation, gc.metadata?.annotations ?? {}, secret!.metadata?.uid, secret!.metadata?.resourceVersion]);
    this.connInputs = inputs;
    const prev = s.config;
    const aviChanged = !prev || prev.aviFingerprint !== next.aviFingerprint || !s.session.client;
    const ownerChanged = !prev || prev.createdBy !== next.createdBy;
    s.config = next;
    this.o.hostRuleNaming?.setMode(gc.spec.useCustomGlobalFqdn === true); // [custom-fqdn] live mode switch re-derives members

    // Avi client: rebuild on controller/credentials/version/tenant change, then verify leadership.
    const checkLeader = aviChanged || !s.session.ok;
    if (checkLeader) {
      this.gs.queue.stop();
      // After a failure, wait for the retry time unless the Secret or the GSLBConfig changed (our own status writes do not count).
      const waitMs = this.connectRetry.waitMs(inputs);
      if (waitMs > 0) {
        M.aviAuthBlocked.set(this.connectRetry.blocked ? 1 : 0);
        this.retryLater(waitMs);
        return;
      }
      // Each attempt after a failure is a new client: one whose login was refused never logs in again (so each
      // attempt is one login), and the controller CA is read when a client is built.
      if (aviChanged || this.connectRetry.failedSinceConnected) await s.session.rebuild(conn);
      try {
        const leading = await isGslbLeader(s.session.client!);
        this.connectRetry.connected();
        M.aviAuthBlocked.set(0);
        if (!leading) {
          s.session.ok = false;
          await s.status.gslbConfigState(gc, GC_STATE.notLeader);
          this.retryLater();
          return;
        }
        s.session.ok = true;
      } catch (err) {
        s.session.ok = false;
        if (isLoginRefusal(err)) return this.onLoginRefused(err);
        const retryInMs = this.connectRetry.failed(err, inputs);
        s.log.warn({ err: errorText(err), retryInMs }, 'connecting to the Avi controller failed');
        await s.status.gslbConfigState(gc, GC_STATE.connect(isAviError(err) ? err.message : errorText(err)));
        this.retryLater(retryInMs);
        return;
      }
    }

    if (!(await this.syncMemberClusters(gc, next.memberClusters))) return;
    // The controller cluster UUIDs set for HTTPRoute members go into their derivation.
    if (prev && hash([...prev.controllerUuids]) !== hash([...next.controllerUuids])) s.members.rederiveAll();

    const policyStale = aviChanged || ownerChanged || !prev || prev.memberClusters.join() !== next.memberClusters.join();
    // A full sync reports its progress: syncing all objects -> synced all objects -> accepted.
    const fullSync = aviChanged || ownerChanged || !s.resynced;
    const reporting = this.report?.gen === s.generation;
    if (fullSync) await s.status.gslbConfigState(gc, GC_STATE.syncing);
    else if (!reporting) await s.status.gslbConfigState(gc, GC_STATE.accepted);
    if (policyStale) s.policy.clearVerdicts();
    // Wait for every member cluster's first attempt (synced or failed), so a
    // reachable cluster's members are known before anything is written.
    await s.members.attempted();
    await this.policy.evaluate();
    if (fullSync) await this.fullResync(!checkLeader, s.session.ok && s.policy.evaluated ? gc : undefined);
    if (!prev || prev.refreshIntervalMs !== next.refreshIntervalMs || aviChanged) this.control.addAfter(CONTROL_KEYS.resync, next.refreshIntervalMs);
    if (s.session.ok && s.policy.evaluated) this.gs.queue.start();
    if (fullSync && s.resynced && s.session.ok && !s.policy.evaluated) await s.status.gslbConfigState(gc, GC_STATE.accepted); // GDP held: nothing to sync
  }

  /** Member clusters: starts new contexts, stops removed ones; a changed kubeconfig restarts all. False: retry later. */
  private async syncMemberClusters(gc: GSLBConfig, wanted: readonly string[]): Promise<boolean> {
    const s = this.s;
    const stamp = this.o.memberKubeconfig.stamp();
    const kcChanged = stamp !== this.kubeconfigStamp;
    let memberKc: KubeConfigLike | undefined;
    if (kcChanged || wanted.some((c) => !s.members.has(c))) {
      try {
        memberKc = this.o.memberKubeconfig.load();
      } catch (err) {
        await s.status.gslbConfigState(gc, GC_STATE.kubeconfig(errorText(err)));
        this.retryLater();
        return false;
      }
    }
    const toStop = s.members.names().filter((c) => kcChanged || !wanted.includes(c));
    if (toStop.length > 0) {
      await s.members.stop(toStop);
      for (const c of toStop) s.index.dropCluster(c);
    }
    this.kubeconfigStamp = stamp;
    for (const c of wanted) {
      if (s.members.has(c)) continue;
      let kc: KubeConfigLike;
      try {
        kc = kubeConfigForContext(memberKc!, c);
      } catch (err) {
        s.log.warn({ cluster: c, err: errorText(err) }, 'member cluster context missing');
        continue;
      }
      s.members.start(c, kc);
    }
    return true;
  }

  /** The `resync` key: re-validates the policy against the controller (refs may have come or gone), then a full resync. */
  async periodicResync(): Promise<void> {
    const s = this.s;
    if (!s.config) return;
    this.control.addAfter(CONTROL_KEYS.resync, s.config.refreshIntervalMs);
    if (!s.session.ok) {
      this.control.add(CONTROL_KEYS.config);
      return;
    }
    s.policy.clearVerdicts();
    await this.policy.sync();
    await this.fullResync(false);
  }

  /**
   * Re-checks that the controller is the GSLB leader (GET /api/cluster + /api/gslb; not when `leaderChecked`),
   * lists what this instance owns on it, replaces the observed state, and queues every key whose plan is not
   * empty. A controller that is no longer the leader is not written to: the queue stops, the GSLBConfig says
   * `error: controller not a leader`, and the config key is retried until it leads again. With `reportFor`, the
   * full sync's progress is reported on that GSLBConfig.
   */
  async fullResync(leaderChecked: boolean, reportFor?: GSLBConfig): Promise<void> {
    const s = this.s;
    const cfg = s.config;
    const avi = s.session.client;
    if (!cfg || !avi) return;
    const startSeq = s.observed.mark();
    try {
      if (!leaderChecked && !(await isGslbLeader(avi))) {
        if (s.config !== cfg || s.session.client !== avi) return;
        s.session.ok = false;
        s.resynced = false;
        this.gs.queue.stop();
        M.resyncs.inc({ result: 'not-leader' });
        s.log.warn({ controller: cfg.name }, 'the controller is no longer the GSLB leader; not writing');
        const { gc } = gslbConfigs(s);
        if (gc) await s.status.gslbConfigState(gc, GC_STATE.notLeader);
        this.retryLater();
        return;
      }
      // Converted page by page to what the cache keeps (a 30k-FQDN resync would otherwise hold every listed object whole).
      const [gss, hms] = await Promise.all([
        avi.listGslbServices(cfg.createdBy, '*', s.observed.listedGs(cfg.tenant)),
        avi.listHealthMonitors('*', s.observed.listedHm(cfg.tenant)),
      ]);
      if (s.config !== cfg || s.session.client !== avi) return;
      s.observed.replace(gss, hms, cfg.createdBy, cfg.tenant, startSeq);
      s.resynced = true;
      M.resyncs.inc({ result: 'ok' });
      this.control.add(CONTROL_KEYS.skippedCount); // the members of the term are known: GDP status.skippedMembers
      if (reportFor) this.startReport(reportFor);
      await this.gs.enqueueNeeded();
    } catch (err) {
      M.resyncs.inc({ result: 'error' });
      s.log.warn({ err: errorText(err) }, 'full resync failed');
      if (isLoginRefusal(err)) return this.onLoginRefused(err);
      if (!s.resynced) this.retryLater();
    }
  }

  /**
   * A full sync is done once every key it queued has been processed once (ok or failed; later changes don't
   * hold it up): then `synced all objects`, then `success: gslb config accepted`.
   */
  private startReport(gc: GSLBConfig): void {
    this.report = { gen: this.s.generation, gcUid: gc.metadata?.uid, keys: this.gs.keys() };
    if (this.report.keys.size === 0) this.control.add(CONTROL_KEYS.synced);
  }

  /** A GslbService key was processed (the GslbService controller's onResult). */
  keyDone(key: string): void {
    const r = this.report;
    if (!r || r.gen !== this.s.generation || !r.keys.delete(key) || r.keys.size > 0) return;
    this.control.add(CONTROL_KEYS.synced);
  }

  /** The `synced` key: writes the end of the full sync. */
  async reportSynced(): Promise<void> {
    const s = this.s;
    const r = this.report;
    if (!r || r.keys.size > 0) return;
    this.report = undefined;
    const { gc } = gslbConfigs(s);
    if (!gc || r.gen !== s.generation || !s.active || !s.session.ok || gc.metadata?.uid !== r.gcUid) return;
    await s.status.gslbConfigState(gc, GC_STATE.synced);
    await s.status.gslbConfigState(gc, GC_STATE.accepted);
  }
}
