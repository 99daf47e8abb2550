// The policy in force: the GlobalDeploymentPolicy and the GSLBHostRules of the
// own cluster, validated against the controller (verdicts cached per object
// content), with their status written back. Pure state + one evaluate step;
// the worker decides what to re-derive and queue from the outcome.
import type { GDPSpec, GSLBHostRule, GSLBHostRuleSpec, GlobalDeploymentPolicy } from '../api/index.js';
import type { CrStatusWriter } from './cr-status.js';
import { needsDefaultPki } from './desired/gslbservice.js';
import type { HmTemplate } from './desired/healthmonitors.js';
import { hash } from './util.js';
import { validateGdp, validateHostRule, type ValidationContext } from './validate.js';

interface Verdict {
  ok: boolean;
  error?: string;
  templates: Map<string, HmTemplate>;
}

export interface PolicyOutcome {
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

  /** Validates the GDPs (oldest wins) and GSLBHostRules (oldest accepted per fqdn wins), writes their status, and applies the accepted ones. */
  async evaluate(gdps: GlobalDeploymentPolicy[], rules: GSLBHostRule[], ctx: ValidationContext, status: CrStatusWriter): Promise<PolicyOutcome> {
    const templates = new Map<string, HmTemplate>();

    for (const extra of gdps.slice(1)) await status.gdpStatus(extra, "a GDP object already exists, can't add another");
    const gdpObj = gdps[0];
    let nextGdp: GDPSpec | undefined = this.gdp;
    let hold = false;
    if (!gdpObj) {
      nextGdp = undefined;
    } else {
      const k = `${gdpObj.metadata?.uid}:${hash(gdpObj.spec)}`;
      let v = this.gdpVerdicts.get(k);
      if (!v) {
        const r = await validateGdp(gdpObj.spec, ctx);
        v = r.ok ? { ok: true, templates: r.templates } : { ok: false, error: r.error, templates: new Map() };
        this.gdpVerdicts.clear();
        this.gdpVerdicts.set(k, v);
      }
      await status.gdpStatus(gdpObj, v.ok ? 'success' : v.error!);
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
      const name = r.metadata?.name ?? '';
      const k = `${r.metadata?.uid}:${hash(r.spec)}`;
      live.add(k);
      let v = this.ghrVerdicts.get(k);
      if (!v) {
        const res = await validateHostRule(name, r.spec, ctx);
        v = res.ok ? { ok: true, templates: res.templates } : { ok: false, error: res.error, templates: new Map() };
        this.ghrVerdicts.set(k, v);
      }
      if (v.ok && nextRules.has(r.spec.fqdn)) {
        await status.hostRuleStatus(r, 'Rejected', "there's an existing GSLBHostRule for the same FQDN");
        continue;
      }
      await status.hostRuleStatus(r, v.ok ? 'Accepted' : 'Rejected', v.ok ? '' : v.error!);
      if (v.ok) {
        nextRules.set(r.spec.fqdn, r.spec);
        for (const [n, t] of v.templates) templates.set(n, t);
      }
    }
    for (const k of [...this.ghrVerdicts.keys()]) if (!live.has(k)) this.ghrVerdicts.delete(k);

    if (hold) {
      this.evaluated = false;
      return { hold: true, gdpChanged: false, changedFqdns: new Set() };
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
    return { hold: false, gdpChanged, changedFqdns };
  }
}
