// Status write-back and Events for the amko CRs the worker owns the status of:
// each setter writes only on a change, and records one Event per transition.
import type { KubeConfig } from '@kubernetes/client-node';
import type { GSLBConfig, GSLBHostRule, GlobalDeploymentPolicy } from '../api/index.js';
import { describeError } from '../kube/informer.js';
import type { Logger } from '../log.js';
import { GC_STATE } from './gslb-config.js';
import { patchStatus, recordEvent } from './status.js';

export class CrStatusWriter {
  constructor(
    private readonly kc: KubeConfig,
    private readonly ns: string,
    private readonly log: Logger,
  ) {}

  async gslbConfigState(gc: GSLBConfig, state: string): Promise<void> {
    if (gc.status?.state === state) return;
    const name = gc.metadata?.name ?? '';
    await patchStatus(this.kc, 'GSLBConfig', this.ns, name, { state }).catch((err: unknown) =>
      this.log.warn({ err: describeError(err) }, 'GSLBConfig status write failed'),
    );
    const ok = state === GC_STATE.accepted;
    await recordEvent(
      this.kc,
      { kind: 'GSLBConfig', name, namespace: this.ns, uid: gc.metadata?.uid },
      ok ? 'Normal' : 'Warning',
      ok ? 'GSLBConfigAccepted' : 'GSLBConfigError',
      state,
      this.log,
    );
  }

  async gdpStatus(obj: GlobalDeploymentPolicy, errorStatus: string): Promise<void> {
    if (obj.status?.errorStatus === errorStatus) return;
    const name = obj.metadata?.name ?? '';
    await patchStatus(this.kc, 'GlobalDeploymentPolicy', this.ns, name, { errorStatus }).catch((err: unknown) =>
      this.log.warn({ err: describeError(err) }, 'GDP status write failed'),
    );
    const ok = errorStatus === 'success';
    await recordEvent(
      this.kc,
      { kind: 'GlobalDeploymentPolicy', name, namespace: this.ns, uid: obj.metadata?.uid },
      ok ? 'Normal' : 'Warning',
      ok ? 'GDPAccepted' : 'GDPRejected',
      ok ? 'GlobalDeploymentPolicy accepted' : errorStatus,
      this.log,
    );
  }

  async hostRuleStatus(obj: GSLBHostRule, status: 'Accepted' | 'Rejected', error: string): Promise<void> {
    if (obj.status?.status === status && (obj.status?.error ?? '') === error) return;
    const name = obj.metadata?.name ?? '';
    await patchStatus(this.kc, 'GSLBHostRule', this.ns, name, { status, error }).catch((err: unknown) =>
      this.log.warn({ err: describeError(err) }, 'GSLBHostRule status write failed'),
    );
    await recordEvent(
      this.kc,
      { kind: 'GSLBHostRule', name, namespace: this.ns, uid: obj.metadata?.uid },
      status === 'Accepted' ? 'Normal' : 'Warning',
      status === 'Accepted' ? 'GSLBHostRuleAccepted' : 'GSLBHostRuleRejected',
      status === 'Accepted' ? `GSLBHostRule for ${obj.spec.fqdn} accepted` : error,
      this.log,
    );
  }
}
