// The policy in force: the GlobalDeploymentPolicy and the GSLBHostRules of the
// own cluster, validated against the controller (verdicts cached per object
// content). evaluate() decides and writes nothing: it returns the outcome and
// the status each object should show; the policy controller writes those, the
// worker decides what to re-derive and queue from the outcome, and `amko plan`
// reports them.
import type { GDPSpec, GSLBHostRule, GSLBHostRuleSpec, GlobalDeploymentPolicy } from '../api/index.js';
import { needsDefaultPki, type DesiredInputs } from './desired/gslbservice.js';
import type { HmTemplate } from './desired/healthmonitors.js';
import { byAge, hash } from './util.js';
import { validateGdp, validateHostRule, type ValidationContext, type Verdict } from './validate.js';

/** The status a policy object should show (written by the policy controller). */
export type PolicyStatus =
  | { kind: 'GlobalDeploymentPolicy'; obj: GlobalDeploymentPolicy; errorStatus: string }
  | { kind: 'GSLBHostRule'; obj: GSLBHostRule; status: 'Accepted' | 'Rejected'; error: string };

export const ANOTHER_GDP = "a GDP object already exists, can't add another";
export const SAME_FQDN = "there's an existing GSLBHostRule for the same FQDN";

export interface PolicyOutcome {
  /** The status of every GDP and GSLBHostRule, in evaluation order. */
  statuses: PolicyStatus[];
  /** No valid GDP was ever accepted and the current one is invalid: hold the sync. */
  hold: boolean;
  /** The GDP (or the monitor templates) changed: every member is re-derived and every key queued. */
  gdpChanged: boolean;
  /** FQDNs whose GSLBHostRule changed. */
  changedFqdns: Set<string>;
}

export class PolicyState {
  gdp?: GDPSpec;
  /** A valid GDP is in force. */
  gdpPresent = false;
  /** The policy was evaluated at least once in this term (and not held). */
  evaluated = false;
  hostRules = new Map<string, GSLBHostRuleSpec>();
  templates = new Map<string, HmTemplate>();
  /** The first federated PKI profile, looked up when site persistence is set without a PKI ref. */
  defaultPki?: string;
  private defaultPkiChecked = false;
  private gdpVerdicts = new Map<string, Verdict>();
  private ghrVerdicts = new Map<string, Verdict>();

  /** What the desired state is built from: the policy in force and the owner marker of the GSLBConfig in force. */
  inputs(cfg: { createdBy: string; amkoUuid: string }): DesiredInputs {
    return { createdBy: cfg.createdBy, amkoUuid: cfg.amkoUuid, gdp: this.gdp, hostRules: this.hostRules, templates: this.templates, defaultPki: this.defaultPki };
  }

  /** Re-validate every object against the controller at the next evaluation. */
  clearVerdicts(): void {
    this.defaultPkiChecked = false;
    this.gdpVerdicts.clear();
    this.ghrVerdicts.clear();
  }

  reset(): void {
    this.gdp = undefined;
    this.gdpPresent = false;
    this.evaluated = false;
    this.clearVerdicts();
    this.defaultPki = undefined;
    this.hostRules.clear();
    this.templates.clear();
  }

  /**
   * Validates the GDPs (oldest wins) and GSLBHostRules (oldest accepted per fqdn wins) and applies the accepted
   * ones; returns what changed and the status of each object.
   */
  async evaluate(gdpList: readonly GlobalDeploymentPolicy[], ruleList: readonly GSLBHostRule[], ctx: ValidationContext): Promise<PolicyOutcome> {
    const templates = new Map<string, HmTemplate>();
    const statuses: PolicyStatus[] = [];
    const gdps = [...gdpList].sort(byAge);
    const rules = [...ruleList].sort(byAge);

    for (const extra of gdps.slice(1)) statuses.push({ kind: 'GlobalDeploymentPolicy', obj: extra, errorStatus: ANOTHER_GDP });
    const gdpObj = gdps[0];
    let nextGdp: GDPSpec | undefined = this.gdp;
    let hold = false;
    if (!gdpObj) {
      nextGdp = undefined;
    } else {
      const k = `${gdpObj.metadata?.uid}:${hash(gdpObj.spec)}`;
      let v = this.gdpVerdicts.get(k);
      if (!v) {
        v = await validateGdp(gdpObj, ctx);
        this.gdpVerdicts.clear();
        this.gdpVerdicts.set(k, v);
      }
      statuses.push({ kind: 'GlobalDeploymentPolicy', obj: gdpObj, errorStatus: v.ok ? 'success' : v.error });
      if (v.ok) {
        nextGdp = gdpObj.spec;
        for (const [n, t] of v.templates) templates.set(n, t);
      } else if (!this.gdpPresent) {
        // Never had a valid GDP: hold the sync rather than delete everything over a typo.
        hold = true;
      } else {
        // Keep applying the last accepted GDP.
        for (const [n, t] of this.templates) templates.set(n, t);
      }
    }

    const nextRules = new Map<string, GSLBHostRuleSpec>();
    const live = new Set<string>();
    for (const r of rules) {
      const k = `${r.metadata?.uid}:${hash(r.spec)}`;
      live.add(k);
      let v = this.ghrVerdicts.get(k);
      if (!v) {
        v = await validateHostRule(r, ctx);
        this.ghrVerdicts.set(k, v);
      }
      if (v.ok && nextRules.has(r.spec.fqdn)) {
        statuses.push({ kind: 'GSLBHostRule', obj: r, status: 'Rejected', error: SAME_FQDN });
        continue;
      }
      statuses.push({ kind: 'GSLBHostRule', obj: r, status: v.ok ? 'Accepted' : 'Rejected', error: v.ok ? '' : v.error });
      if (v.ok) {
        nextRules.set(r.spec.fqdn, r.spec);
        for (const [n, t] of v.templates) templates.set(n, t);
      }
    }
    for (const k of [...this.ghrVerdicts.keys()]) if (!live.has(k)) this.ghrVerdicts.delete(k);

    if (hold) {
      this.evaluated = false;
      return { statuses, hold: true, gdpChanged: false, changedFqdns: new Set() };
    }
    let pkiChanged = false;
    if (needsDefaultPki(nextGdp, nextRules.values()) && !this.defaultPkiChecked && ctx.avi.listPkiProfiles) {
      const first = (await ctx.avi.listPkiProfiles(ctx.tenant))[0]?.name;
      this.defaultPkiChecked = true;
      pkiChanged = first !== this.defaultPki;
      this.defaultPki = first;
    }
    const gdpChanged = pkiChanged || !this.evaluated || hash(nextGdp ?? null) !== hash(this.gdp ?? null) || hash([...templates]) !== hash([...this.templates]);
    const changedFqdns = new Set<string>();
    for (const f of new Set([...nextRules.keys(), ...this.hostRules.keys()])) {
      if (hash(nextRules.get(f) ?? null) !== hash(this.hostRules.get(f) ?? null)) changedFqdns.add(f);
    }
    this.gdp = nextGdp;
    this.gdpPresent = nextGdp !== undefined;
    this.hostRules = nextRules;
    this.templates = templates;
    this.evaluated = true;
    return { statuses, hold: false, gdpChanged, changedFqdns };
  }
}
