// Status write-back and Events for the amko CRs the worker owns the status of:
// each setter writes only on a change, and records one Event per transition.
import { apiVersionOf, type GSLBConfig, type GSLBHostRule, type GlobalDeploymentPolicy, type KindName } from '../api/index.js';
import type { KubeClient } from '../kube/client.js';
import { errorText } from '../kube/errors.js';
import type { EventRecorder, EventType } from '../kube/events.js';
import { patchStatus } from '../kube/status.js';
import type { Logger } from '../log.js';
import { GC_STATE, LOGIN_REFUSED } from './gslb-config.js';
import type { PolicyStatus } from './policy.js';

/** Event type and reason for a GSLBConfig state; undefined: no Event (the start of a sync). */
export function gcStateEvent(state: string): { type: 'Normal' | 'Warning'; reason: string } | undefined {
  if (state === GC_STATE.syncing) return undefined;
  if (state === GC_STATE.synced) return { type: 'Normal', reason: 'GSLBConfigSynced' };
  if (state === GC_STATE.accepted) return { type: 'Normal', reason: 'GSLBConfigAccepted' };
  if (state === GC_STATE.notLeader) return { type: 'Warning', reason: 'ControllerNotLeader' };
  if (state.startsWith(LOGIN_REFUSED)) return { type: 'Warning', reason: 'AviLoginRefused' };
  return { type: 'Warning', reason: 'GSLBConfigError' };
}

export class CrStatusWriter {
  /** State last written per GSLBConfig (uid) in this term: the informer copy can lag behind quick successive writes. */
  private readonly gcWritten = new Map<string, string>();
  /** `skippedMembers` last written per GDP (uid) in this term. */
  private readonly skippedWritten = new Map<string, number>();

  constructor(
    private readonly client: KubeClient,
    private readonly events: EventRecorder,
    private readonly ns: string,
    private readonly log: Logger,
  ) {}

  private event(kind: KindName, obj: { metadata?: { name?: string; uid?: string } }, type: EventType, reason: string, message: string): Promise<void> {
    const target = { apiVersion: apiVersionOf(kind), kind, name: obj.metadata?.name ?? '', namespace: this.ns, uid: obj.metadata?.uid };
    return this.events.record(target, type, reason, message);
  }

  /** Forgets the states written (a new term starts from what the objects say). */
  reset(): void {
    this.gcWritten.clear();
    this.skippedWritten.clear();
  }

  async gslbConfigState(gc: GSLBConfig, state: string): Promise<void> {
    const name = gc.metadata?.name ?? '';
    const id = gc.metadata?.uid ?? name;
    if ((this.gcWritten.get(id) ?? gc.status?.state) === state) return;
    this.gcWritten.set(id, state);
    await patchStatus(this.client, 'GSLBConfig', this.ns, name, { state }).catch((err: unknown) => {
      this.gcWritten.delete(id);
      this.log.warn({ err: errorText(err) }, 'GSLBConfig status write failed');
    });
    const ev = gcStateEvent(state);
    if (ev) await this.event('GSLBConfig', gc, ev.type, ev.reason, state);
  }

  /** Writes the status the policy evaluation decided for a GDP or GSLBHostRule. */
  async policyStatus(s: PolicyStatus): Promise<void> {
    if (s.kind === 'GlobalDeploymentPolicy') await this.gdpStatus(s.obj, s.errorStatus);
    else await this.hostRuleStatus(s.obj, s.status, s.error);
  }

  async gdpStatus(obj: GlobalDeploymentPolicy, errorStatus: string): Promise<void> {
    if (obj.status?.errorStatus === errorStatus) return;
    const name = obj.metadata?.name ?? '';
    await patchStatus(this.client, 'GlobalDeploymentPolicy', this.ns, name, { errorStatus }).catch((err: unknown) =>
      this.log.warn({ err: errorText(err) }, 'GDP status write failed'),
    );
    const ok = errorStatus === 'success';
    await this.event('GlobalDeploymentPolicy', obj, ok ? 'Normal' : 'Warning', ok ? 'GDPAccepted' : 'GDPRejected', ok ? 'GlobalDeploymentPolicy accepted' : errorStatus);
  }

  /** GDP `status.skippedMembers`: selected objects that are not synced (written on a change only). */
  async gdpSkippedMembers(obj: GlobalDeploymentPolicy, count: number): Promise<void> {
    const id = obj.metadata?.uid ?? obj.metadata?.name ?? '';
    if ((this.skippedWritten.get(id) ?? obj.status?.skippedMembers) === count) return;
    this.skippedWritten.set(id, count);
    await patchStatus(this.client, 'GlobalDeploymentPolicy', this.ns, obj.metadata?.name ?? '', { skippedMembers: count }).catch((err: unknown) => {
      this.skippedWritten.delete(id);
      this.log.warn({ err: errorText(err) }, 'GDP status write failed');
    });
  }

  async hostRuleStatus(obj: GSLBHostRule, status: 'Accepted' | 'Rejected', error: string): Promise<void> {
    if (obj.status?.status === status && (obj.status?.error ?? '') === error) return;
    const name = obj.metadata?.name ?? '';
    await patchStatus(this.client, 'GSLBHostRule', this.ns, name, { status, error }).catch((err: unknown) =>
      this.log.warn({ err: errorText(err) }, 'GSLBHostRule status write failed'),
    );
    const ok = status === 'Accepted';
    await this.event('GSLBHostRule', obj, ok ? 'Normal' : 'Warning', ok ? 'GSLBHostRuleAccepted' : 'GSLBHostRuleRejected', ok ? `GSLBHostRule for ${obj.spec.fqdn} accepted` : error);
  }
}
