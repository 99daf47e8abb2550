// The naming step built on the AKO HostRules of the member clusters. The
// member clusters watch the HostRules (where the API exists; see cluster.ts)
// and call changed() on every change; the snapshot (FqdnMapping) is rebuilt
// from their caches, and when it differs, onChange fires (debounced) so the
// worker re-derives its members. The naming step always reads the newest
// snapshot.
import type { Logger } from '../../log.js';
import { boundedDelay } from '../../timers.js';
import type { MemberRecord, NamingStep } from '../members/types.js';
import { buildMapping, FqdnMapping, type HostRule, type NamingResult } from './mapping.js';

export interface HostRuleNamingOptions {
  log?: Logger;
  /** The HostRules of every member cluster, as cached now. */
  hostRules: () => Array<[cluster: string, rules: HostRule[]]>;
  /** Called (debounced) after the mapping snapshot changed. */
  onChange: (mapping: FqdnMapping) => void;
  debounceMs?: number;
}

export class HostRuleNaming {
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
    this.changed(true);
  }

  /** The HostRules changed (an event, a cluster connected or removed): rebuilds the snapshot and reports a change. */
  changed(immediate = false): void {
    this.current = buildMapping(this.o.hostRules(), this.custom);
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

  stop(): void {
    clearTimeout(this.debounce);
  }
}
