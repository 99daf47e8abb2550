// Pure mapping from AKO HostRules (ako.vmware.com/v1beta1) to GslbService
// naming, domain names (aliases) and TLS, for both modes of
// GSLBConfig spec.useCustomGlobalFqdn:
//
// - default (false): GS name = the member's local hostname; aliases = those of
//   every Accepted HostRule (any member cluster) whose virtualhost.fqdn is that
//   hostname (includeAliases is ignored).
// - custom (true): a member is kept only if an Accepted HostRule in its own
//   cluster maps its hostname (virtualhost.fqdn) to a global FQDN
//   (virtualhost.gslb.fqdn); GS name = that global FQDN; aliases = the mapping
//   HostRule's aliases when gslb.includeAliases is true. Passthrough members
//   (OpenShift passthrough routes, Ingresses annotated
//   passthrough.ako.vmware.com/enabled=true) are dropped.
//
// An alias is never claimed by two GslbServices: the claimant of the oldest
// HostRule (creationTimestamp, then cluster/namespace/name) wins, and the
// losers are reported in `conflicts`.
//
// TLS: an Accepted HostRule in the member's cluster and namespace, for the
// member's hostname, with spec.virtualhost.tls.sslKeyCertificate.name makes an
// Ingress/Route member TLS (which selects HTTPS health monitors).
import type { MemberRecord } from '../members/types.js';

/** The HostRule fields read (AKO ako.vmware.com/v1beta1). */
export interface HostRule {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string | Date; uid?: string };
  spec?: {
    virtualhost?: {
      fqdn?: string;
      aliases?: string[];
      gslb?: { fqdn?: string; includeAliases?: boolean };
      tls?: { sslKeyCertificate?: { name?: string; type?: string } };
    };
  };
  status?: { status?: string; error?: string };
}

/** One Accepted HostRule, flattened. */
export interface HostRuleEntry {
  cluster: string;
  namespace: string;
  name: string;
  fqdn: string;
  aliases: string[];
  gslbFqdn?: string;
  includeAliases: boolean;
  tlsCert: boolean;
  /** ms since epoch (0 when unknown). */
  createdAt: number;
}

/** An Accepted HostRule with a non-empty virtualhost.fqdn as an entry; undefined otherwise. */
export function hostRuleEntry(cluster: string, hr: HostRule): HostRuleEntry | undefined {
  const vh = hr.spec?.virtualhost;
  if (hr.status?.status !== 'Accepted' || !vh?.fqdn) return undefined;
  const ts = hr.metadata?.creationTimestamp;
  const createdAt = ts ? new Date(ts).getTime() : 0;
  return {
    cluster,
    namespace: hr.metadata?.namespace ?? '',
    name: hr.metadata?.name ?? '',
    fqdn: vh.fqdn,
    aliases: [...new Set((vh.aliases ?? []).filter((a) => typeof a === 'string' && a !== ''))],
    gslbFqdn: vh.gslb?.fqdn || undefined,
    includeAliases: vh.gslb?.includeAliases === true,
    tlsCert: !!vh.tls?.sslKeyCertificate?.name,
    createdAt: Number.isFinite(createdAt) ? createdAt : 0,
  };
}

function entryOrder(a: HostRuleEntry, b: HostRuleEntry): number {
  return (
    a.createdAt - b.createdAt ||
    a.cluster.localeCompare(b.cluster) ||
    a.namespace.localeCompare(b.namespace) ||
    a.name.localeCompare(b.name)
  );
}

export interface AliasConflict {
  alias: string;
  /** GS name that keeps the alias. */
  owner: string;
  /** GS name whose claim was ignored, and the HostRule that made it. */
  ignored: string;
  hostRule: string;
}

export interface NamingResult {
  gsName: string;
  aliases: string[];
  /** Set when a HostRule certificate makes the member TLS. */
  tls?: boolean;
}

/** Why a member got no name (custom mode). */
export type DropReason = 'passthrough' | 'no-mapping';

const ruleId = (e: HostRuleEntry) => `${e.cluster}/${e.namespace}/${e.name}`;
const k2 = (a: string, b: string) => `${a}\u0000${b}`;

/** An immutable snapshot: HostRules of all member clusters + the mode. */
export class FqdnMapping {
  readonly entries: readonly HostRuleEntry[];
  /** alias → owning GS name. */
  readonly aliasOwner: ReadonlyMap<string, string>;
  readonly conflicts: readonly AliasConflict[];
  /** (cluster, local fqdn) → mapping entry (custom mode). */
  private readonly mapping = new Map<string, HostRuleEntry>();
  /** local fqdn → entries (default mode aliases). */
  private readonly byFqdn = new Map<string, HostRuleEntry[]>();
  /** (cluster, namespace\0fqdn) → has a TLS certificate. */
  private readonly tls = new Set<string>();

  constructor(
    entries: readonly HostRuleEntry[],
    readonly useCustomGlobalFqdn: boolean,
  ) {
    this.entries = [...entries].sort(entryOrder);
    const owner = new Map<string, string>();
    const conflicts: AliasConflict[] = [];
    for (const e of this.entries) {
      if (e.gslbFqdn && !this.mapping.has(k2(e.cluster, e.fqdn))) this.mapping.set(k2(e.cluster, e.fqdn), e);
      const list = this.byFqdn.get(e.fqdn) ?? [];
      list.push(e);
      this.byFqdn.set(e.fqdn, list);
      if (e.tlsCert) this.tls.add(k2(e.cluster, k2(e.namespace, e.fqdn)));
    }
    for (const e of this.entries) {
      let claimant: string | undefined;
      if (useCustomGlobalFqdn) {
        // Only a HostRule that actually maps (the chosen one for its cluster+fqdn) contributes aliases.
        if (e.includeAliases && e.gslbFqdn && this.mapping.get(k2(e.cluster, e.fqdn)) === e) claimant = e.gslbFqdn;
      } else {
        claimant = e.fqdn;
      }
      if (!claimant) continue;
      for (const a of e.aliases) {
        if (a === claimant) continue;
        const cur = owner.get(a);
        if (cur === undefined) owner.set(a, claimant);
        else if (cur !== claimant) conflicts.push({ alias: a, owner: cur, ignored: claimant, hostRule: ruleId(e) });
      }
    }
    this.aliasOwner = owner;
    this.conflicts = conflicts;
  }

  private hostRuleTls(m: MemberRecord): boolean {
    if (m.kind === 'LBSVC') return false;
    return this.tls.has(k2(m.cluster, k2(m.namespace, m.hostname)));
  }

  private owned(aliases: Iterable<string>, gsName: string): string[] {
    return [...new Set([...aliases].filter((a) => this.aliasOwner.get(a) === gsName))].sort();
  }

  /** The naming of one member, or why it is dropped. */
  explain(m: MemberRecord & { akoPassthrough?: boolean }): NamingResult | { drop: DropReason } {
    const tls = m.tls || this.hostRuleTls(m) ? true : undefined;
    if (!this.useCustomGlobalFqdn) {
      const aliases = this.owned((this.byFqdn.get(m.hostname) ?? []).flatMap((e) => e.aliases), m.hostname);
      return { gsName: m.hostname, aliases, ...(tls && !m.tls ? { tls } : {}) };
    }
    if (m.passthrough || m.akoPassthrough) return { drop: 'passthrough' };
    const e = this.mapping.get(k2(m.cluster, m.hostname));
    if (!e) return { drop: 'no-mapping' };
    const gsName = e.gslbFqdn!;
    const aliases = e.includeAliases ? this.owned(e.aliases, gsName) : [];
    return { gsName, aliases, ...(tls && !m.tls ? { tls } : {}) };
  }

  /** NamingStep-compatible: undefined drops the member. */
  name(m: MemberRecord): NamingResult | undefined {
    const r = this.explain(m);
    return 'drop' in r ? undefined : r;
  }

  /** This snapshot as a NamingStep. */
  naming(): (m: MemberRecord) => NamingResult | undefined {
    return (m) => this.name(m);
  }

  /** A stable fingerprint of everything naming depends on (to skip no-op re-derivations). */
  fingerprint(): string {
    return JSON.stringify([
      this.useCustomGlobalFqdn,
      this.entries.map((e) => [e.cluster, e.namespace, e.name, e.fqdn, e.aliases, e.gslbFqdn ?? '', e.includeAliases, e.tlsCert, e.createdAt]),
    ]);
  }
}

/** Builds a snapshot from raw HostRules per cluster. */
export function buildMapping(hostRules: Iterable<[cluster: string, rules: Iterable<HostRule>]>, useCustomGlobalFqdn: boolean): FqdnMapping {
  const entries: HostRuleEntry[] = [];
  for (const [cluster, rules] of hostRules) {
    for (const hr of rules) {
      const e = hostRuleEntry(cluster, hr);
      if (e) entries.push(e);
    }
  }
  return new FqdnMapping(entries, useCustomGlobalFqdn);
}
