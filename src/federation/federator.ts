// The federation controller. On the leader it copies the own cluster's
// GSLBConfig and GlobalDeploymentPolicy objects (AMKO namespace) to every
// member cluster of the AMKOCluster, so that each follower holds exactly the
// leader's objects, and it records the outcome as standard Conditions on the
// AMKOCluster status. On a follower it only records that it does not federate.
//
// Triggers: own-cluster informers (AMKOCluster, GSLBConfig, GDP), member
// informers on the same kinds (so edits on a follower are undone within
// seconds), a periodic resync, and per-member retry timers with exponential
// backoff for members that could not be reached. Reconciles are serialized and
// debounced. Roles change live: the same controller starts or stops federating
// when spec.isLeader flips.
import type { KubeConfigLike } from '../kube/config.js';
import { AMKO_NAMESPACE, UUID_ANNOTATION } from '../api/common.js';
import { KINDS } from '../api/kinds.js';
import type { Logger } from '../log.js';
import { kubeClient } from '../kube/client.js';
import { errorText, statusCode } from '../kube/errors.js';
import { EventRecorder } from '../kube/events.js';
import { MemberKubeconfig } from '../kube/kubeconfig.js';
import { OwnClusterCache } from '../manager/cache.js';
import type { Runnable } from '../manager/manager.js';
import { AmkoClusterStatusWriter, type AmkoClusterObj } from './amkocluster-status.js';
import { ConditionType } from '../api/amkocluster.js';
import { Reason, falseCondition, trueCondition, type DesiredCondition } from './conditions.js';
import { Copier } from './copier.js';
import { AmkoObjects } from './kube.js';
import { FEDERATED_KINDS, MemberPool, type FederatedKind, type MemberState, type Obj } from './members.js';
import { federationMetrics as M } from './metrics.js';
import { roleFromAMKOClusters, type Role } from './role.js';
import { checkOwnAMKOCluster, memberContexts, validateMember, type MemberVerdict } from './validate-members.js';
import { boundedDelay } from '../timers.js';


const CONDITION_OF: Record<FederatedKind, ConditionType> = {
  GSLBConfig: ConditionType.GSLBConfigFederated,
  GlobalDeploymentPolicy: ConditionType.GDPFederated,
};

export interface FederatorOptions {
  /** The own cluster (where the AMKOCluster, GSLBConfig and GDP live). */
  kubeConfig: KubeConfigLike;
  /**
   * The member-cluster kubeconfig (one context per cluster): a KubeConfigLike, or the configured value
   * (a file path or the kubeconfig text; a file is read again on every reconcile, so a rotated one is picked up).
   */
  memberKubeConfig?: KubeConfigLike | string;
  /** Default avi-system. */
  namespace?: string;
  log?: Logger;
  /** Quiet period after a change before reconciling. Default 200 ms. */
  debounceMs?: number;
  /** Periodic full reconcile. Default 30 s. */
  resyncIntervalMs?: number;
  /** Backoff for unreachable members: first retry after this, doubling. Default 1 s. */
  retryInitialMs?: number;
  /** Backoff cap. Default 60 s. */
  retryMaxMs?: number;
  /** Time limit of each API call. Default 10 s. */
  callTimeoutMs?: number;
  /** Watch the members' objects to undo follower-side edits quickly. Default true. */
  watchMembers?: boolean;
  /** Emit Kubernetes Events on the AMKOCluster when a condition changes. Default true. */
  events?: boolean;
  /** This replica's name, reported as the Events' reportingInstance. */
  identity?: string;
  /** The process's shared own-cluster cache; default: one of its own (started and stopped with the federator). */
  cache?: OwnClusterCache;
}

export interface MemberOutcome {
  cluster: string;
  /** Set when no client could be built for the context. */
  clientError?: string;
  verdict?: MemberVerdict;
  /** Per federated kind: undefined = not attempted, '' = in sync, otherwise the error. */
  kinds: Partial<Record<FederatedKind, string>>;
  /** Epoch ms of the next attempt when the member is backing off. */
  retryAt?: number;
}

export interface FederationResult {
  role: Role;
  /** The AMKOCluster the conditions were written to (undefined: none, or several). */
  amkoCluster?: string;
  conditions: DesiredCondition[];
  members: MemberOutcome[];
  at: number;
}

function fingerprint(o: Obj): string {
  const m = o.metadata as { annotations?: Record<string, string>; deletionTimestamp?: unknown } | undefined;
  return JSON.stringify([o.spec ?? null, m?.annotations?.[UUID_ANNOTATION] ?? null, m?.deletionTimestamp ? 1 : 0]);
}

function names(list: readonly string[]): string {
  return list.join(', ');
}

/** The own-cluster kinds the federator reads. */
const OWN_KINDS = ['AMKOCluster', ...FEDERATED_KINDS] as const;

export class Federator implements Runnable {
  readonly name = 'federator';
  /** Two replicas never federate at once: only the Lease holder runs it. */
  readonly needLeaderElection = true;
  private readonly ns: string;
  private readonly log?: Logger;
  private readonly own: AmkoObjects;
  /** The own cluster's objects (shared with the rest of the process, or owned when none was given). */
  private readonly cache: OwnClusterCache;
  private readonly ownsCache: boolean;
  private unsubscribe: Array<() => void> = [];
  private readonly pool: MemberPool;
  private readonly copier: Copier;
  private readonly statusWriter: AmkoClusterStatusWriter;
  private readonly seen = new Map<string, string>();
  private readonly listeners = new Set<(r: FederationResult) => void>();
  private readonly opts: Required<
    Pick<FederatorOptions, 'debounceMs' | 'resyncIntervalMs' | 'retryInitialMs' | 'retryMaxMs' | 'callTimeoutMs' | 'watchMembers' | 'events'>
  >;
  private started = false;
  private running: Promise<void> | undefined;
  private again = false;
  private debounceTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private last: FederationResult | undefined;

  constructor(private readonly options: FederatorOptions) {
    this.ns = options.namespace ?? AMKO_NAMESPACE;
    this.log = options.log?.child({ component: 'federator' });
    this.opts = {
      debounceMs: options.debounceMs ?? 200,
      resyncIntervalMs: options.resyncIntervalMs ?? 30_000,
      retryInitialMs: options.retryInitialMs ?? 1_000,
      retryMaxMs: options.retryMaxMs ?? 60_000,
      callTimeoutMs: options.callTimeoutMs ?? 10_000,
      watchMembers: options.watchMembers ?? true,
      events: options.events ?? true,
    };
    const client = kubeClient(options.kubeConfig);
    this.own = new AmkoObjects(client, this.opts.callTimeoutMs);
    this.pool = new MemberPool({
      namespace: this.ns,
      log: this.log,
      callTimeoutMs: this.opts.callTimeoutMs,
      retryInitialMs: this.opts.retryInitialMs,
      retryMaxMs: this.opts.retryMaxMs,
      watchMembers: this.opts.watchMembers,
      onObjectEvent: (source, ev, obj) => this.onObjectEvent(source, ev, obj),
      onDropped: (cluster) => {
        for (const [k] of this.seen) if (k.startsWith(`member/${cluster}/`)) this.seen.delete(k);
      },
    });
    this.copier = new Copier(this.ns, this.pool, (kind) => this.leaderObjects(kind), this.log);
    this.statusWriter = new AmkoClusterStatusWriter(
      this.own,
      this.ns,
      (name) => this.cache.get<AmkoClusterObj>('AMKOCluster', name),
      this.opts.events ? new EventRecorder(client, 'amko-federator', options.identity ?? 'amko', this.log) : undefined,
      this.log,
    );
    this.ownsCache = !options.cache;
    this.cache = options.cache ?? new OwnClusterCache(options.kubeConfig, { namespace: this.ns, log: this.log });
    for (const kind of OWN_KINDS) this.cache.informer(kind);
  }

  /** Subscribes to the own-cluster kinds and runs the first reconcile once they are listed. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.unsubscribe = OWN_KINDS.map((kind) => this.cache.onEvent<Obj>(kind, (ev, obj) => this.onObjectEvent(`own/${kind}`, ev, obj)));
    if (this.ownsCache) await this.cache.start();
    await this.cache.waitForSync([...OWN_KINDS]);
    await this.reconcileNow();
  }

  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.debounceTimer);
    clearTimeout(this.wakeTimer);
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.ownsCache) await this.cache.stop();
    await this.pool.dropAll();
    await this.running?.catch(() => undefined);
    this.seen.clear();
  }

  ready(): boolean {
    return true;
  }

  /** The result of the last completed reconcile. */
  lastResult(): FederationResult | undefined {
    return this.last;
  }

  /** Called after every reconcile; returns an unsubscribe function. */
  onReconciled(listener: (r: FederationResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Schedules a reconcile after the debounce period. */
  trigger(): void {
    if (!this.started) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => void this.reconcileNow(), boundedDelay(this.opts.debounceMs));
    this.debounceTimer.unref?.();
  }

  /** Reconciles now (serialized: a call during a running reconcile runs once more after it). */
  async reconcileNow(): Promise<FederationResult | undefined> {
    clearTimeout(this.debounceTimer);
    if (this.running) {
      this.again = true;
      await this.running;
      return this.last;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const end = M.reconcileSeconds.startTimer();
        try {
          const r = await this.reconcile();
          this.last = r;
          for (const l of [...this.listeners]) l(r);
        } catch (err) {
          M.reconciles.inc({ result: 'error' });
          this.log?.error({ err }, 'federation reconcile failed');
          this.scheduleWake(Date.now() + this.opts.retryInitialMs);
        } finally {
          end();
        }
      } while (this.again && this.started);
    })();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
    return this.last;
  }

  private onObjectEvent(source: string, ev: string, obj: Obj): void {
    const key = `${source}/${obj.metadata?.name ?? ''}`;
    if (ev === 'delete') {
      this.seen.delete(key);
      this.trigger();
      return;
    }
    const fp = fingerprint(obj);
    if (this.seen.get(key) === fp) return; // status-only or no-op update
    this.seen.set(key, fp);
    this.trigger();
  }

  private scheduleWake(at: number): void {
    if (!this.started) return;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => void this.reconcileNow(), boundedDelay(at - Date.now()));
    this.wakeTimer.unref?.();
  }

  /** Undefined when none is configured; throws when the configured one cannot be read. */
  private memberKubeConfig(): KubeConfigLike | undefined {
    const src = this.options.memberKubeConfig;
    if (typeof src !== 'string') return src;
    return src ? new MemberKubeconfig(src).load() : undefined;
  }

  private async reconcile(): Promise<FederationResult> {
    const now = Date.now();
    const all = this.cache.list<AmkoClusterObj>('AMKOCluster');
    const live = all.filter((a) => !(a.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp);
    const role = roleFromAMKOClusters(live, this.ns);
    const result: FederationResult = { role: role.role, conditions: [], members: [], at: now };

    if (live.length === 0) return this.endWithoutFederating(result, 'none', [], []);

    const sanity = checkOwnAMKOCluster(live, this.ns);
    if (live.length > 1) {
      const conds = [
        falseCondition(ConditionType.Valid, sanity!.reason, sanity!.message),
        ...this.notEvaluated(`the AMKOCluster is invalid: ${sanity!.message}`),
      ];
      return this.endWithoutFederating(result, 'invalid', conds, live);
    }

    const amko = live[0]!;
    result.amkoCluster = amko.metadata?.name;
    const valid = sanity
      ? falseCondition(ConditionType.Valid, sanity.reason, sanity.message)
      : trueCondition(ConditionType.Valid, Reason.Valid, 'the AMKOCluster object is valid');

    if (!amko.spec?.isLeader) {
      const msg = `this AMKO is a follower (spec.isLeader is not true): it does not sync to Avi and does not federate`;
      return this.endWithoutFederating(result, 'follower', [valid, ...memberConditions(falseCondition, Reason.NotLeader, msg)], [amko]);
    }

    if (sanity) {
      return this.endWithoutFederating(result, 'error', [valid, ...this.notEvaluated(`the AMKOCluster is invalid: ${sanity.message}`)], [amko]);
    }

    const contexts = memberContexts(amko.spec);
    if (contexts.length === 0) {
      const msg = 'spec.clusters names no member cluster besides this one: nothing to federate';
      return this.endWithoutFederating(result, 'ok', [valid, ...memberConditions(trueCondition, Reason.NoMembers, msg)], [amko]);
    }

    // Member clients.
    let memberKc: KubeConfigLike | undefined;
    let kcError: string | undefined;
    try {
      memberKc = this.memberKubeConfig();
      if (!memberKc) kcError = 'no member-cluster kubeconfig configured (--member-kubeconfig or env GSLB_CONFIG)';
    } catch (err) {
      kcError = `cannot load the member-cluster kubeconfig: ${errorText(err)}`;
    }
    if (!memberKc) {
      const conds = [
        valid,
        falseCondition(ConditionType.MemberClientsReady, Reason.NoMemberKubeconfig, kcError!),
        ...this.notEvaluated(kcError!).slice(1),
      ];
      return this.endWithoutFederating(result, 'error', conds, [amko]);
    }
    for (const c of this.pool.clusters()) if (!contexts.includes(c)) await this.pool.drop(c);
    const outcomes: MemberOutcome[] = [];
    const ready: MemberState[] = [];
    for (const cluster of contexts) {
      const o: MemberOutcome = { cluster, kinds: {} };
      outcomes.push(o);
      try {
        ready.push(await this.pool.ensure(cluster, memberKc));
      } catch (err) {
        await this.pool.drop(cluster);
        o.clientError = `${cluster}: cannot build a client: ${errorText(err)}`;
      }
    }
    result.members = outcomes;
    const clientErrors = outcomes.filter((o) => o.clientError).map((o) => o.clientError!);
    const clientsCond =
      clientErrors.length === 0
        ? trueCondition(ConditionType.MemberClientsReady, Reason.ClientsReady, `clients ready for ${names(contexts)}`)
        : falseCondition(
            ConditionType.MemberClientsReady,
            ready.length === 0 ? Reason.ClientsFailed : Reason.SomeClientsFailed,
            clientErrors.join('; '),
          );

    // Member validation (reads each member's AMKOClusters; backs off on unreachable ones).
    const leaderVersion = amko.spec.version;
    const outcomeOf = (c: string) => outcomes.find((o) => o.cluster === c)!;
    await Promise.all(
      ready.map(async (m) => {
        const o = outcomeOf(m.cluster);
        if (m.retryAt > now) {
          o.verdict = validateMember(leaderVersion, { cluster: m.cluster, error: m.lastError ?? 'unreachable' }, this.ns);
          o.retryAt = m.retryAt;
          return;
        }
        try {
          const list = await m.objects.list<AmkoClusterObj>('AMKOCluster', this.ns);
          const items = list.items.filter((a) => !(a.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp);
          o.verdict = validateMember(leaderVersion, { cluster: m.cluster, amkoClusters: items }, this.ns);
        } catch (err) {
          if (Object.is(statusCode(err), 404)) {
            // The AMKOCluster API is not installed on the member: same as "no AMKOCluster".
            o.verdict = validateMember(leaderVersion, { cluster: m.cluster, amkoClusters: [] }, this.ns);
            return;
          }
          const text = errorText(err);
          this.pool.failed(m, text, now);
          o.verdict = validateMember(leaderVersion, { cluster: m.cluster, error: text }, this.ns);
          o.retryAt = m.retryAt;
        }
      }),
    );
    const verdicts = ready.map((m) => outcomeOf(m.cluster).verdict!);
    for (const v of verdicts) M.memberUp.set({ cluster: v.cluster }, v.ok ? 1 : 0);
    const fatal = verdicts.find((v) => !v.ok && v.fatal);
    const skipped = verdicts.filter((v) => !v.ok);
    const validMembers = ready.filter((m) => outcomeOf(m.cluster).verdict!.ok);
    const retryNote = (v: MemberVerdict) => {
      const at = outcomeOf(v.cluster).retryAt;
      return at ? ` (retrying in ${Math.max(1, Math.round((at - now) / 1000))}s)` : '';
    };
    const skippedText = skipped.map((v) => (v.ok ? '' : v.message + retryNote(v))).join('; ');

    let membersCond: DesiredCondition;
    if (fatal && !fatal.ok) {
      membersCond = falseCondition(ConditionType.MembersValidated, Reason.ConflictingLeader, fatal.message);
    } else if (ready.length > 0 && validMembers.length === 0) {
      membersCond = falseCondition(ConditionType.MembersValidated, Reason.NoValidMembers, `no valid member cluster left to federate to: ${skippedText}`);
    } else if (ready.length === 0) {
      membersCond = falseCondition(ConditionType.MembersValidated, Reason.NoValidMembers, 'no member cluster has a client');
    } else if (skipped.length > 0) {
      membersCond = falseCondition(ConditionType.MembersValidated, Reason.SomeMembersSkipped, `skipped: ${skippedText}`);
    } else {
      membersCond = trueCondition(ConditionType.MembersValidated, Reason.MembersValid, `validated ${names(validMembers.map((m) => m.cluster))}`);
    }

    const kindConds: DesiredCondition[] = [];
    if (fatal && !fatal.ok) {
      for (const kind of FEDERATED_KINDS) {
        kindConds.push(falseCondition(CONDITION_OF[kind], Reason.FederationBlocked, `federation stopped: ${fatal.message}`));
      }
    } else if (validMembers.length === 0) {
      for (const kind of FEDERATED_KINDS) {
        kindConds.push(falseCondition(CONDITION_OF[kind], Reason.NoValidMembers, 'no valid member cluster to federate to'));
      }
    } else {
      await Promise.all(validMembers.map((m) => this.copier.federateMember(m, outcomeOf(m.cluster), now)));
      const skippedClusters = [
        ...outcomes.filter((o) => o.clientError).map((o) => o.cluster),
        ...skipped.map((v) => v.cluster),
      ];
      for (const kind of FEDERATED_KINDS) {
        const failed = validMembers.filter((m) => outcomeOf(m.cluster).kinds[kind]);
        const done = validMembers.filter((m) => outcomeOf(m.cluster).kinds[kind] === '');
        const skipNote = skippedClusters.length ? `; skipped ${names(skippedClusters)} (see MemberClientsReady/MembersValidated)` : '';
        const leaderNames = this.leaderObjects(kind).map((o) => o.metadata?.name ?? '?');
        const what = leaderNames.length ? names(leaderNames) : `no ${KINDS[kind].kind} (copies removed)`;
        if (failed.length === 0) {
          kindConds.push(trueCondition(CONDITION_OF[kind], Reason.Federated, `federated ${what} to ${names(done.map((m) => m.cluster))}${skipNote}`));
        } else {
          const errs = failed.map((m) => `${m.cluster}: ${outcomeOf(m.cluster).kinds[kind]}${outcomeOf(m.cluster).retryAt ? retryNote({ cluster: m.cluster, ok: true }) : ''}`);
          kindConds.push(
            falseCondition(
              CONDITION_OF[kind],
              done.length === 0 ? Reason.FederationFailed : Reason.PartiallyFederated,
              `${errs.join('; ')}${done.length ? `; federated to ${names(done.map((m) => m.cluster))}` : ''}${skipNote}`,
            ),
          );
        }
      }
    }

    result.conditions = [valid, clientsCond, membersCond, ...kindConds];
    await this.writeStatus(amko, result.conditions);
    const ok = result.conditions.every((c) => c.status === 'True');
    M.reconciles.inc({ result: ok ? 'ok' : 'error' });

    const nextRetry = this.pool.nextRetry();
    // Anything else failing (a rejected write, a missing AMKOCluster) is retried at the initial backoff pace, capped by the resync.
    const softRetry = ok ? Infinity : now + Math.min(this.opts.resyncIntervalMs, Math.max(this.opts.retryInitialMs, 5_000));
    this.scheduleWake(Math.min(nextRetry, softRetry, now + this.opts.resyncIntervalMs));
    return result;
  }

  private notEvaluated(why: string): DesiredCondition[] {
    return memberConditions(falseCondition, Reason.NotEvaluated, `not evaluated: ${why}`);
  }

  /**
   * A reconcile that federates nothing (no, several or an invalid AMKOCluster, a
   * follower, no members, no member kubeconfig): member clients are dropped,
   * `conditions` written to each of `amkos`, and the next look is the periodic resync.
   */
  private async endWithoutFederating(
    result: FederationResult,
    outcome: 'none' | 'invalid' | 'follower' | 'error' | 'ok',
    conditions: DesiredCondition[],
    amkos: AmkoClusterObj[],
  ): Promise<FederationResult> {
    await this.pool.dropAll();
    for (const a of amkos) await this.writeStatus(a, conditions);
    result.conditions = conditions;
    M.reconciles.inc({ result: outcome });
    this.scheduleWake(result.at + this.opts.resyncIntervalMs);
    return result;
  }

  private leaderObjects(kind: FederatedKind): Obj[] {
    return this.cache.list<Obj>(kind).sort((a, b) =>
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
    );
  }

  private async writeStatus(amko: AmkoClusterObj, desired: DesiredCondition[]): Promise<void> {
    if (!(await this.statusWriter.write(amko, desired))) this.scheduleWake(Date.now() + this.opts.retryInitialMs);
  }
}

/** Convenience: constructs and starts a Federator. */
export async function startFederator(options: FederatorOptions): Promise<Federator> {
  const f = new Federator(options);
  await f.start();
  return f;
}

/** The four member-side conditions (clients, validation, GSLBConfig and GDP federation), all with one status, reason and message. */
function memberConditions(make: typeof trueCondition, reason: Reason, message: string): DesiredCondition[] {
  return [ConditionType.MemberClientsReady, ConditionType.MembersValidated, ConditionType.GSLBConfigFederated, ConditionType.GDPFederated].map((type) =>
    make(type, reason, message),
  );
}
