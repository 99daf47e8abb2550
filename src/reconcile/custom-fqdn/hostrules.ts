// AKO HostRule watches in the member clusters and the naming step built on
// them. For each member cluster the ako.vmware.com/v1beta1 hostrules API is
// discovered first; when it exists, a resilient informer (all namespaces)
// feeds the FqdnMapping snapshot; when it does not, discovery is retried
// periodically so a CRD installed later is picked up. Every change that alters
// the snapshot calls onChange (debounced), on which the worker re-derives its
// members. The naming step always reads the newest snapshot.
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { backoffDelay } from '../../backoff.js';
import { describeError, makeResilientInformer, type ResilientInformer } from '../../kube/informer.js';
import { isStatus, kubeRequest } from '../../kube/http.js';
import type { Logger } from '../../log.js';
import type { MemberRecord, NamingStep } from '../members/types.js';
import { buildMapping, FqdnMapping, type HostRule, type NamingResult } from './mapping.js';
import { boundedDelay } from '../../timers.js';

export const HOSTRULE_GROUP_VERSION = 'ako.vmware.com/v1beta1';
const HOSTRULE_PATH = `/apis/${HOSTRULE_GROUP_VERSION}/hostrules`;

export interface HostRuleNamingOptions {
  log?: Logger;
  /** Called (debounced) after the mapping snapshot changed. */
  onChange: (mapping: FqdnMapping) => void;
  debounceMs?: number;
  /** Re-discovery period while a cluster has no HostRule API (default 30 s). */
  rediscoverMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Time limit for the first sync of a cluster's HostRule informer (default 30 s). */
  syncTimeoutMs?: number;
}

type HostRuleObj = HostRule & KubernetesObject;

interface ClusterState {
  name: string;
  kc: KubeConfig;
  informer?: ResilientInformer<HostRuleObj>;
  /** undefined = not discovered yet. */
  apiPresent?: boolean;
  timer?: NodeJS.Timeout;
  stopped: boolean;
  attempts: number;
  first: Promise<void>;
  resolveFirst: () => void;
}

export class HostRuleNaming {
  private readonly clusters = new Map<string, ClusterState>();
  private custom = false;
  private current: FqdnMapping = new FqdnMapping([], false);
  private lastReported = this.current.fingerprint();
  private debounce?: NodeJS.Timeout;
  private readonly log?: Logger;

  constructor(private readonly o: HostRuleNamingOptions) {
    this.log = o.log?.child({ component: 'custom-fqdn' });
  }

  /** The naming step for the worker (always reads the newest snapshot). */
  readonly naming: NamingStep = (m: MemberRecord): NamingResult | undefined => this.current.name(m);

  mapping(): FqdnMapping {
    return this.current;
  }

  useCustomGlobalFqdn(): boolean {
    return this.custom;
  }

  /** GSLBConfig spec.useCustomGlobalFqdn; applies immediately (onChange fires synchronously when it changes). */
  setMode(useCustomGlobalFqdn: boolean): void {
    if (this.custom === useCustomGlobalFqdn) return;
    this.custom = useCustomGlobalFqdn;
    this.log?.info({ useCustomGlobalFqdn }, 'GslbService naming mode');
    this.rebuild(true);
  }

  /** Starts watching HostRules in a member cluster (idempotent per name+config). */
  addCluster(name: string, kc: KubeConfig): void {
    const existing = this.clusters.get(name);
    if (existing && existing.kc === kc) return;
    if (existing) void this.removeCluster(name);
    let resolveFirst!: () => void;
    const first = new Promise<void>((r) => (resolveFirst = r));
    const st: ClusterState = { name, kc, stopped: false, attempts: 0, first, resolveFirst };
    this.clusters.set(name, st);
    void this.discover(st);
  }

  async removeCluster(name: string): Promise<void> {
    const st = this.clusters.get(name);
    if (!st) return;
    this.clusters.delete(name);
    st.stopped = true;
    clearTimeout(st.timer);
    st.resolveFirst();
    await st.informer?.stop().catch(() => undefined);
    this.rebuild(false);
  }

  async stop(): Promise<void> {
    clearTimeout(this.debounce);
    for (const n of [...this.clusters.keys()]) await this.removeCluster(n);
  }

  /** Resolves once every current cluster made its first discovery attempt (and synced its informer when the API exists). */
  async attempted(): Promise<void> {
    await Promise.all([...this.clusters.values()].map((c) => c.first));
  }

  /** Clusters and whether they serve the HostRule API (undefined: not known yet). */
  status(): Array<{ cluster: string; hostRuleApi?: boolean; synced: boolean }> {
    return [...this.clusters.values()].map((c) => ({ cluster: c.name, hostRuleApi: c.apiPresent, synced: !!c.informer?.isSynced() }));
  }

  private retry(st: ClusterState, delayMs: number): void {
    clearTimeout(st.timer);
    st.timer = setTimeout(() => void this.discover(st), boundedDelay(delayMs));
    st.timer.unref?.();
  }

  private async discover(st: ClusterState): Promise<void> {
    if (st.stopped) return;
    st.attempts++;
    try {
      let present = false;
      try {
        const rl = await kubeRequest<{ resources?: Array<{ name?: string }> }>(st.kc, 'GET', `/apis/${HOSTRULE_GROUP_VERSION}`, { timeoutMs: 10_000 });
        present = (rl.resources ?? []).some((r) => r.name === 'hostrules');
      } catch (err) {
        if (!isStatus(err, 404)) throw err;
      }
      if (st.stopped) return;
      st.apiPresent = present;
      st.attempts = 0;
      if (!present) {
        this.log?.info({ cluster: st.name }, 'no AKO HostRule API (ako.vmware.com/v1beta1 hostrules) in this cluster');
        st.resolveFirst();
        this.retry(st, this.o.rediscoverMs ?? 30_000);
        return;
      }
      const inf = makeResilientInformer<HostRuleObj>(
        st.kc,
        HOSTRULE_PATH,
        () => kubeRequest<KubernetesListObject<HostRuleObj>>(st.kc, 'GET', HOSTRULE_PATH),
        {
          name: `${st.name}/hostrules`,
          log: this.log,
          initialBackoffMs: this.o.initialBackoffMs ?? 500,
          maxBackoffMs: this.o.maxBackoffMs ?? 30_000,
        },
      );
      st.informer = inf;
      inf.onEvent(() => this.rebuild(false));
      void inf.start().catch(() => undefined);
      try {
        await inf.waitForSync(this.o.syncTimeoutMs ?? 30_000);
      } catch (err) {
        this.log?.warn({ cluster: st.name, err: describeError(err) }, 'HostRule informer not synced yet');
      }
      st.resolveFirst();
      this.rebuild(false);
    } catch (err) {
      if (st.stopped) return;
      const base = backoffDelay(st.attempts, this.o.initialBackoffMs ?? 500, this.o.maxBackoffMs ?? 30_000);
      this.log?.warn({ cluster: st.name, err: describeError(err), retryInMs: base }, 'HostRule API discovery failed; retrying');
      st.resolveFirst();
      this.retry(st, base);
    }
  }

  /** Rebuilds the snapshot; reports a change (immediately or debounced). */
  private rebuild(immediate: boolean): void {
    const next = buildMapping(
      [...this.clusters.values()].map((c) => [c.name, (c.informer?.list() ?? []) as HostRule[]] as [string, HostRule[]]),
      this.custom,
    );
    this.current = next;
    const fire = () => {
      const fp = this.current.fingerprint();
      if (fp === this.lastReported) return;
      this.lastReported = fp;
      for (const c of this.current.conflicts) {
        this.log?.warn(c, `alias ${c.alias} is already used by GslbService ${c.owner}; ignored for ${c.ignored}`);
      }
      this.o.onChange(this.current);
    };
    clearTimeout(this.debounce);
    if (immediate) {
      fire();
      return;
    }
    this.debounce = setTimeout(fire, boundedDelay(this.o.debounceMs ?? 50));
    this.debounce.unref?.();
  }
}
