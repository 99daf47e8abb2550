// The policy controller: the key `policy` (any GDP or GSLBHostRule event). The
// verdict is policy.ts's (validation against the controller, cached per object
// content; no writes); this controller writes the statuses it decided
// (cr-status.ts) and tells the GslbService controller what to sync: everything
// when the GDP or its monitor templates changed, the keys of the FQDNs whose
// GSLBHostRule changed, nothing (queue held) while no valid GDP was ever accepted.
import type { GSLBHostRule, GlobalDeploymentPolicy } from '../api/index.js';
import type { GslbServiceController } from './gslbservice-controller.js';
import type { SyncState } from './sync-state.js';
import { byAge } from './util.js';

export class PolicyController {
  constructor(
    private readonly s: SyncState,
    private readonly gs: GslbServiceController,
  ) {}

  /** The `policy` key: re-evaluates once the GSLBConfig is applied and the controller verified. */
  async sync(): Promise<void> {
    const s = this.s;
    if (!s.active || !s.config || !s.session.ok) return;
    await this.evaluate();
    if (s.session.ok && s.policy.evaluated && s.resynced) this.gs.queue.start();
  }

  /** The `skipped-count` key: GDP `status.skippedMembers`, the selected objects that are not synced. */
  async writeSkippedCount(): Promise<void> {
    const s = this.s;
    if (!s.active || !s.resynced) return;
    const [gdp] = [...(s.own.list('GlobalDeploymentPolicy') as unknown as GlobalDeploymentPolicy[])].sort(byAge);
    if (gdp) await s.status.gdpSkippedMembers(gdp, s.skipped.count());
  }

  /** Validates the GDP and GSLBHostRules, writes their status, and queues what the outcome changed. */
  async evaluate(): Promise<void> {
    const s = this.s;
    const cfg = s.config;
    const avi = s.session.client;
    if (!cfg || !avi || !s.session.ok) return;
    const r = await s.policy.evaluate(
      s.own.list('GlobalDeploymentPolicy') as unknown as GlobalDeploymentPolicy[],
      s.own.list('GSLBHostRule') as unknown as GSLBHostRule[],
      { avi, tenant: cfg.tenant, gslbConfig: cfg.name, memberClusters: cfg.memberClusters },
    );
    for (const st of r.statuses) await s.status.policyStatus(st);
    if (r.hold) {
      this.gs.queue.stop();
      return;
    }
    if (r.gdpChanged) {
      s.members.rederiveAll();
      this.gs.enqueueAll();
    } else if (r.changedFqdns.size > 0) {
      this.gs.enqueueFqdns(r.changedFqdns);
    }
  }
}
