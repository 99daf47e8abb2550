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
import { readFileSync, existsSync } from 'node:fs';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { AMKO_NAMESPACE, UUID_ANNOTATION } from '../api/common.js';
import type { AMKOCluster, Condition } from '../api/amkocluster.js';
import { KINDS, apiVersionOf, type KindName } from '../api/kinds.js';
import type { Logger } from '../log.js';
import { counter, gauge, histogram } from '../metrics.js';
import { makeResilientInformer, type ResilientInformer } from '../kube/informer.js';
import { kubeConfigForContext } from '../kube/kubeconfig.js';
import {
  ConditionType,
  Reason,
  changedConditions,
  conditionsEqual,
  falseCondition,
  mergeConditions,
  trueCondition,
  type DesiredCondition,
} from './conditions.js';
import { isEmptyPlan, planFollower, type FederatedObject } from './copy.js';
import { AmkoObjects, customObjectInformerArgs, errorText, statusCode } from './kube.js';
import { roleFromAMKOClusters, type Role } from './role.js';
import { checkOwnAMKOCluster, memberContexts, validateMember, type MemberVerdict } from './validate-members.js';

type Obj = FederatedObject & KubernetesObject;
type AmkoClusterObj = AMKOCluster & KubernetesObject;

/** The kinds copied to followers, in order. */
export const FEDERATED_KINDS = ['GSLBConfig', 'GlobalDeploymentPolicy'] as const satisfies readonly KindName[];
export type FederatedKind = (typeof FEDERATED_KINDS)[number];

const CONDITION_OF: Record<FederatedKind, ConditionType> = {
  GSLBConfig: ConditionType.GSLBConfigFederated,
  GlobalDeploymentPolicy: ConditionType.GDPFederated,
};

export interface FederatorOptions {
  /** The own cluster (where the AMKOCluster, GSLBConfig and GDP live). */
  kubeConfig: KubeConfig;
  /**
   * The member-cluster kubeconfig (one context per cluster): a KubeConfig, a
   * file path, or a loader called on every reconcile (so a rotated file is
   * picked up). Default: loadMemberKubeConfig() (GSLB_CONFIG).
   */
  memberKubeConfig?: KubeConfig | string | (() => KubeConfig | undefined);
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

const reconcileCount = counter({
  name: 'amko_federation_reconciles_total',
  help: 'Federation reconciles by outcome (ok, error, follower, none, invalid).',
  labelNames: ['result'] as const,
});
const reconcileSeconds = histogram({
  name: 'amko_federation_reconcile_duration_seconds',
  help: 'Duration of one federation reconcile.',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});
const writeCount = counter({
  name: 'amko_federation_object_writes_total',
  help: 'Objects written to member clusters by the federator.',
  labelNames: ['cluster', 'kind', 'op'] as const,
});
const memberUp = gauge({
  name: 'amko_federation_member_up',
  help: '1 when the member cluster was reachable and valid at the last reconcile, else 0.',
  labelNames: ['cluster'] as const,
});

/**
 * The member kubeconfig: `path` if given, else env GSLB_CONFIG (a file path or
 * the kubeconfig text itself). Undefined when neither is set.
 */
export function loadMemberKubeConfig(path?: string, env: NodeJS.ProcessEnv = process.env): KubeConfig | undefined {
  const kc = new KubeConfig();
  if (path) {
    kc.loadFromFile(path);
    return kc;
  }
  const v = env.GSLB_CONFIG;
  if (!v) return undefined;
  if (!v.includes('\n') && existsSync(v)) kc.loadFromString(readFileSync(v, 'utf8'));
  else kc.loadFromString(v);
  return kc;
}

interface MemberState {
  cluster: string;
  configKey: string;
  objects: AmkoObjects;
  failures: number;
  retryAt: number;
  lastError?: string;
  informers: ResilientInformer<Obj>[];
}

function fingerprint(o: Obj): string {
  const m = o.metadata as { annotations?: Record<string, string>; deletionTimestamp?: unknown } | undefined;
  return JSON.stringify([o.spec ?? null, m?.annotations?.[UUID_ANNOTATION] ?? null, m?.deletionTimestamp ? 1 : 0]);
}

function names(list: readonly string[]): string {
  return list.join(', ');
}

export class Federator {
  private readonly ns: string;
  private readonly log?: Logger;
  private readonly own: AmkoObjects;
  private readonly ownInformers: Record<'AMKOCluster' | FederatedKind, ResilientInformer<Obj>>;
  private readonly members = new Map<string, MemberState>();
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
    this.own = new AmkoObjects(options.kubeConfig, this.opts.callTimeoutMs);
    const mk = (kind: KindName) => {
      const inf = makeResilientInformer<Obj>(
        ...customObjectInformerArgs<Obj>(options.kubeConfig, kind, this.ns, {
          name: `own/${KINDS[kind].plural}`,
          log: this.log,
          treatMissingApiAsEmpty: true,
        }),
      );
      inf.onEvent((ev, obj) => this.onObjectEvent(`own/${kind}`, ev, obj));
      return inf;
    };
    this.ownInformers = {
      AMKOCluster: mk('AMKOCluster'),
      GSLBConfig: mk('GSLBConfig'),
      GlobalDeploymentPolicy: mk('GlobalDeploymentPolicy'),
    };
  }

  /** Starts the own-cluster watches and runs the first reconcile. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const infs = Object.values(this.ownInformers);
    for (const inf of infs) void inf.start().catch(() => undefined);
    await Promise.all(infs.map((i) => i.waitForSync()));
    await this.reconcileNow();
  }

  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.debounceTimer);
    clearTimeout(this.wakeTimer);
    await Promise.all(Object.values(this.ownInformers).map((i) => i.stop()));
    for (const m of [...this.members.values()]) await this.dropMember(m.cluster);
    await this.running?.catch(() => undefined);
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
    this.debounceTimer = setTimeout(() => void this.reconcileNow(), this.opts.debounceMs);
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
        const end = reconcileSeconds.startTimer();
        try {
          const r = await this.reconcile();
          this.last = r;
          for (const l of [...this.listeners]) l(r);
        } catch (err) {
          reconcileCount.inc({ result: 'error' });
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
    this.wakeTimer = setTimeout(() => void this.reconcileNow(), Math.max(0, at - Date.now()));
    this.wakeTimer.unref?.();
  }

  private memberKubeConfig(): KubeConfig | undefined {
    const src = this.options.memberKubeConfig;
    if (src === undefined) return loadMemberKubeConfig();
    if (typeof src === 'string') return loadMemberKubeConfig(src);
    if (typeof src === 'function') return src();
    return src;
  }

  private async dropMember(cluster: string): Promise<void> {
    const m = this.members.get(cluster);
    if (!m) return;
    this.members.delete(cluster);
    memberUp.remove({ cluster });
    for (const [k] of this.seen) if (k.startsWith(`member/${cluster}/`)) this.seen.delete(k);
    await Promise.all(m.informers.map((i) => i.stop().catch(() => undefined)));
  }

  private async dropAllMembers(): Promise<void> {
    for (const c of [...this.members.keys()]) await this.dropMember(c);
  }

  private async ensureMember(cluster: string, memberKc: KubeConfig): Promise<MemberState> {
    const kc = kubeConfigForContext(memberKc, cluster);
    const configKey = kc.exportConfig();
    const existing = this.members.get(cluster);
    if (existing && existing.configKey === configKey) return existing;
    if (existing) await this.dropMember(cluster);
    const m: MemberState = {
      cluster,
      configKey,
      objects: new AmkoObjects(kc, this.opts.callTimeoutMs),
      failures: 0,
      retryAt: 0,
      informers: [],
    };
    if (this.opts.watchMembers) {
      for (const kind of ['AMKOCluster', ...FEDERATED_KINDS] as const) {
        const inf = makeResilientInformer<Obj>(
          ...customObjectInformerArgs<Obj>(kc, kind, this.ns, {
            name: `${cluster}/${KINDS[kind].plural}`,
            log: this.log,
            treatMissingApiAsEmpty: true,
            initialBackoffMs: this.opts.retryInitialMs,
            maxBackoffMs: Math.max(this.opts.retryInitialMs, Math.min(this.opts.retryMaxMs, 30_000)),
          }),
        );
        inf.onEvent((ev, obj) => this.onObjectEvent(`member/${cluster}/${kind}`, ev, obj));
        m.informers.push(inf);
        void inf.start().catch(() => undefined);
      }
    }
    this.members.set(cluster, m);
    return m;
  }

  private memberFailed(m: MemberState, err: string, now: number): void {
    m.failures++;
    m.lastError = err;
    const delay = Math.min(this.opts.retryMaxMs, this.opts.retryInitialMs * 2 ** Math.min(m.failures - 1, 20));
    m.retryAt = now + delay;
    this.log?.warn({ cluster: m.cluster, err, retryInMs: delay }, 'member cluster unreachable');
  }

  private memberSucceeded(m: MemberState): void {
    if (m.failures > 0) this.log?.info({ cluster: m.cluster }, 'member cluster reachable again');
    m.failures = 0;
    m.retryAt = 0;
    m.lastError = undefined;
  }

  /** Errors that mean "could not talk to the cluster" (transport, timeouts, 5xx, 429) rather than a rejected write. */
  private static isTransient(err: unknown): boolean {
    const c = statusCode(err);
    return c === undefined || c >= 500 || c === 429;
  }

  private async reconcile(): Promise<FederationResult> {
    const now = Date.now();
    const all = this.ownInformers.AMKOCluster.list(this.ns) as AmkoClusterObj[];
    const live = all.filter((a) => !(a.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp);
    const role = roleFromAMKOClusters(live, this.ns);
    const result: FederationResult = { role: role.role, conditions: [], members: [], at: now };

    if (live.length === 0) {
      await this.dropAllMembers();
      reconcileCount.inc({ result: 'none' });
      this.scheduleWake(now + this.opts.resyncIntervalMs);
      return result;
    }

    const sanity = checkOwnAMKOCluster(live, this.ns);
    if (live.length > 1) {
      await this.dropAllMembers();
      const conds = [
        falseCondition(ConditionType.Valid, sanity!.reason, sanity!.message),
        ...this.notEvaluated(`the AMKOCluster is invalid: ${sanity!.message}`),
      ];
      for (const a of live) await this.writeStatus(a, conds);
      result.conditions = conds;
      reconcileCount.inc({ result: 'invalid' });
      this.scheduleWake(now + this.opts.resyncIntervalMs);
      return result;
    }

    const amko = live[0]!;
    result.amkoCluster = amko.metadata?.name;
    const valid = sanity
      ? falseCondition(ConditionType.Valid, sanity.reason, sanity.message)
      : trueCondition(ConditionType.Valid, Reason.Valid, 'the AMKOCluster object is valid');

    if (!amko.spec?.isLeader) {
      await this.dropAllMembers();
      const msg = `this AMKO is a follower (spec.isLeader is not true): it does not sync to Avi and does not federate`;
      result.conditions = [
        valid,
        falseCondition(ConditionType.MemberClientsReady, Reason.NotLeader, msg),
        falseCondition(ConditionType.MembersValidated, Reason.NotLeader, msg),
        falseCondition(ConditionType.GSLBConfigFederated, Reason.NotLeader, msg),
        falseCondition(ConditionType.GDPFederated, Reason.NotLeader, msg),
      ];
      await this.writeStatus(amko, result.conditions);
      reconcileCount.inc({ result: 'follower' });
      this.scheduleWake(now + this.opts.resyncIntervalMs);
      return result;
    }

    if (sanity) {
      await this.dropAllMembers();
      result.conditions = [valid, ...this.notEvaluated(`the AMKOCluster is invalid: ${sanity.message}`)];
      await this.writeStatus(amko, result.conditions);
      reconcileCount.inc({ result: 'error' });
      this.scheduleWake(now + this.opts.resyncIntervalMs);
      return result;
    }

    const contexts = memberContexts(amko.spec);
    if (contexts.length === 0) {
      await this.dropAllMembers();
      const msg = 'spec.clusters names no member cluster besides this one: nothing to federate';
      result.conditions = [
        valid,
        trueCondition(ConditionType.MemberClientsReady, Reason.NoMembers, msg),
        trueCondition(ConditionType.MembersValidated, Reason.NoMembers, msg),
        trueCondition(ConditionType.GSLBConfigFederated, Reason.NoMembers, msg),
        trueCondition(ConditionType.GDPFederated, Reason.NoMembers, msg),
      ];
      await this.writeStatus(amko, result.conditions);
      reconcileCount.inc({ result: 'ok' });
      this.scheduleWake(now + this.opts.resyncIntervalMs);
      return result;
    }

    // Member clients.
    let memberKc: KubeConfig | undefined;
    let kcError: string | undefined;
    try {
      memberKc = this.memberKubeConfig();
      if (!memberKc) kcError = 'no member-cluster kubeconfig configured (--member-kubeconfig or env GSLB_CONFIG)';
    } catch (err) {
      kcError = `cannot load the member-cluster kubeconfig: ${errorText(err)}`;
    }
    if (!memberKc) {
      await this.dropAllMembers();
      result.conditions = [
        valid,
        falseCondition(ConditionType.MemberClientsReady, Reason.NoMemberKubeconfig, kcError!),
        ...this.notEvaluated(kcError!).slice(1),
      ];
      await this.writeStatus(amko, result.conditions);
      reconcileCount.inc({ result: 'error' });
      this.scheduleWake(now + this.opts.resyncIntervalMs);
      return result;
    }
    for (const c of [...this.members.keys()]) if (!contexts.includes(c)) await this.dropMember(c);
    const outcomes: MemberOutcome[] = [];
    const ready: MemberState[] = [];
    for (const cluster of contexts) {
      const o: MemberOutcome = { cluster, kinds: {} };
      outcomes.push(o);
      try {
        ready.push(await this.ensureMember(cluster, memberKc));
      } catch (err) {
        await this.dropMember(cluster);
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
          this.memberFailed(m, text, now);
          o.verdict = validateMember(leaderVersion, { cluster: m.cluster, error: text }, this.ns);
          o.retryAt = m.retryAt;
        }
      }),
    );
    const verdicts = ready.map((m) => outcomeOf(m.cluster).verdict!);
    for (const v of verdicts) memberUp.set({ cluster: v.cluster }, v.ok ? 1 : 0);
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
      await Promise.all(validMembers.map((m) => this.federateMember(m, outcomeOf(m.cluster), now)));
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
    reconcileCount.inc({ result: ok ? 'ok' : 'error' });

    const retryAts = [...this.members.values()].map((m) => m.retryAt).filter((t) => t > 0);
    const nextRetry = retryAts.length ? Math.min(...retryAts) : Infinity;
    // Anything else failing (a rejected write, a missing AMKOCluster) is retried at the initial backoff pace, capped by the resync.
    const softRetry = ok ? Infinity : now + Math.min(this.opts.resyncIntervalMs, Math.max(this.opts.retryInitialMs, 5_000));
    this.scheduleWake(Math.min(nextRetry, softRetry, now + this.opts.resyncIntervalMs));
    return result;
  }

  private notEvaluated(why: string): DesiredCondition[] {
    const msg = `not evaluated: ${why}`;
    return [
      falseCondition(ConditionType.MemberClientsReady, Reason.NotEvaluated, msg),
      falseCondition(ConditionType.MembersValidated, Reason.NotEvaluated, msg),
      falseCondition(ConditionType.GSLBConfigFederated, Reason.NotEvaluated, msg),
      falseCondition(ConditionType.GDPFederated, Reason.NotEvaluated, msg),
    ];
  }

  private leaderObjects(kind: FederatedKind): Obj[] {
    return [...this.ownInformers[kind].list(this.ns)].sort((a, b) =>
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
    );
  }

  /** Brings one valid member's copies of every federated kind in line with the leader. */
  private async federateMember(m: MemberState, o: MemberOutcome, now: number): Promise<void> {
    let transient: string | undefined;
    for (const kind of FEDERATED_KINDS) {
      if (transient) {
        o.kinds[kind] = transient;
        continue;
      }
      try {
        const errs = await this.federateKind(m, kind);
        o.kinds[kind] = errs.join('; ');
      } catch (err) {
        const text = errorText(err);
        o.kinds[kind] = text;
        if (Federator.isTransient(err)) transient = text;
      }
    }
    if (transient) {
      this.memberFailed(m, transient, now);
      o.retryAt = m.retryAt;
    } else {
      this.memberSucceeded(m);
    }
  }

  /** Returns per-object write errors (rejected writes); throws when the member cannot be listed or reached. */
  private async federateKind(m: MemberState, kind: FederatedKind): Promise<string[]> {
    const copyOpts = {
      apiVersion: apiVersionOf(kind),
      kind: KINDS[kind].kind,
      namespace: this.ns,
      copyUuidAnnotation: kind === 'GSLBConfig',
    };
    const current = (await m.objects.list<Obj>(kind, this.ns)).items;
    const plan = planFollower(this.leaderObjects(kind), current, copyOpts);
    if (isEmptyPlan(plan)) return [];
    const errors: string[] = [];
    const run = async (op: string, name: string, f: () => Promise<unknown>) => {
      try {
        await f();
        writeCount.inc({ cluster: m.cluster, kind, op });
        this.log?.info({ cluster: m.cluster, kind, name, op }, 'federated');
      } catch (err) {
        if (Federator.isTransient(err)) throw err;
        errors.push(`${op} ${KINDS[kind].singular} ${name}: ${errorText(err)}`);
      }
    };
    for (const name of plan.delete) await run('delete', name, () => m.objects.delete(kind, this.ns, name));
    for (const obj of plan.update) {
      const name = obj.metadata!.name!;
      await run('update', name, () => m.objects.replace(kind, this.ns, name, obj));
    }
    for (const obj of plan.create) {
      const name = obj.metadata!.name!;
      await run('create', name, () => m.objects.create(kind, this.ns, obj));
    }
    return errors;
  }

  private async writeStatus(amko: AmkoClusterObj, desired: DesiredCondition[]): Promise<void> {
    const name = amko.metadata?.name;
    if (!name) return;
    // Re-read from the cache: the informer holds the newest status we wrote.
    const currentObj = (this.ownInformers.AMKOCluster.get(name, this.ns) as AmkoClusterObj | undefined) ?? amko;
    const current = currentObj.status?.conditions;
    const next = mergeConditions(current, desired, currentObj.metadata?.generation);
    if (conditionsEqual(current, next)) return;
    try {
      await this.own.patchStatus('AMKOCluster', this.ns, name, { conditions: next });
    } catch (err) {
      this.log?.warn({ amkoCluster: name, err: errorText(err) }, 'cannot write AMKOCluster status');
      this.scheduleWake(Date.now() + this.opts.retryInitialMs);
      return;
    }
    // Keep the cached object current so that a reconcile before the watch event does not rewrite the same status.
    (currentObj as { status?: { conditions?: Condition[] } }).status = { ...(currentObj.status ?? {}), conditions: next };
    if (this.opts.events) {
      for (const c of changedConditions(current, next)) await this.emitEvent(currentObj, c);
    }
  }

  private async emitEvent(amko: AmkoClusterObj, c: Condition): Promise<void> {
    const name = amko.metadata?.name ?? '';
    const now = new Date();
    try {
      await this.own.createEvent(this.ns, {
        metadata: { generateName: `${name}.`, namespace: this.ns },
        involvedObject: {
          apiVersion: apiVersionOf('AMKOCluster'),
          kind: 'AMKOCluster',
          name,
          namespace: this.ns,
          uid: amko.metadata?.uid,
          resourceVersion: amko.metadata?.resourceVersion,
        },
        reason: c.reason,
        message: `${c.type}=${c.status}: ${c.message ?? ''}`.slice(0, 1024),
        type: c.status === 'True' ? 'Normal' : 'Warning',
        source: { component: 'amko-federator' },
        reportingComponent: 'amko-federator',
        reportingInstance: process.env.POD_NAME ?? 'amko',
        firstTimestamp: now.toISOString(),
        lastTimestamp: now.toISOString(),
        count: 1,
      });
    } catch (err) {
      this.log?.debug({ err: errorText(err) }, 'cannot create event');
    }
  }
}

/** Convenience: constructs and starts a Federator. */
export async function startFederator(options: FederatorOptions): Promise<Federator> {
  const f = new Federator(options);
  await f.start();
  return f;
}
