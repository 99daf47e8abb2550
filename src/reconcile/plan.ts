// `amko plan`: the worker's computation run once, read-only. Reads the
// GSLBConfig/GDP/GSLBHostRules/Secret from the own cluster, lists the member
// clusters, reads what this instance owns on the controller, and returns the
// operations the worker would perform. Nothing is written anywhere.
import { readFileSync } from 'node:fs';
import { KubeConfig, type KubernetesListObject, type KubernetesObject, type V1Ingress, type V1Namespace, type V1Secret, type V1Service } from '@kubernetes/client-node';
import { AMKO_NAMESPACE, UUID_ANNOTATION, type GDPSpec, type GSLBConfig, type GSLBHostRule, type GSLBHostRuleSpec, type GlobalDeploymentPolicy } from '../api/index.js';
import type { AviApi } from '../avi/types.js';
import { describeError } from '../kube/informer.js';
import { isStatus, kubeRequest } from '../kube/http.js';
import { kubeConfigForContext } from '../kube/kubeconfig.js';
import type { Logger } from '../log.js';
import { buildDesired } from './desired/gslbservice.js';
import { gsNameFromHmDescription, isOwnedHm, type HmTemplate } from './desired/healthmonitors.js';
import { describeOperation, diffKey, type Operation } from './diff.js';
import { deriveCluster, type Route } from './members/derive.js';
import { selectionFromGdp } from './members/selection.js';
import { gsKey, parseGsKey, type MemberRecord, type NamedMember, type NamingStep, type Rejection } from './members/types.js';
import { buildMapping, type HostRule } from './custom-fqdn/mapping.js'; // [custom-fqdn]
import { crPath } from './status.js';
import { validateGdp, validateHostRule } from './validate.js';
import { needsDefaultPki } from './desired/gslbservice.js';
import type { AviConnection } from './worker.js';

export interface PlanOptions {
  kubeConfig: KubeConfig;
  memberKubeconfigPath?: string;
  namespace?: string;
  log: Logger;
  aviFactory: (c: AviConnection) => AviApi | Promise<AviApi>;
  naming?: NamingStep;
}

export interface PlanResult {
  operations: Operation[];
  rejections: Rejection[];
  warnings: string[];
  createdBy: string;
}

async function list<T extends KubernetesObject>(kc: KubeConfig, path: string): Promise<T[]> {
  return (await kubeRequest<KubernetesListObject<T>>(kc, 'GET', path)).items ?? [];
}

const byAge = (a: KubernetesObject, b: KubernetesObject) =>
  (a.metadata?.creationTimestamp ? new Date(a.metadata.creationTimestamp).getTime() : 0) -
    (b.metadata?.creationTimestamp ? new Date(b.metadata.creationTimestamp).getTime() : 0) ||
  (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

export async function computePlan(opts: PlanOptions): Promise<PlanResult> {
  const ns = opts.namespace ?? AMKO_NAMESPACE;
  const kc = opts.kubeConfig;
  const warnings: string[] = [];
  const gcs = (await list<KubernetesObject>(kc, crPath('GSLBConfig', ns))).sort(byAge) as unknown as GSLBConfig[];
  const gc = gcs[0];
  if (!gc) throw new Error(`no GSLBConfig in ${ns}`);
  if (gcs.length > 1) warnings.push(`${gcs.length} GSLBConfigs in ${ns}; using the oldest, ${gc.metadata?.name}`);
  const amkoUuid = gc.metadata?.annotations?.[UUID_ANNOTATION];
  if (!amkoUuid) throw new Error(`GSLBConfig ${gc.metadata?.name} has no ${UUID_ANNOTATION} annotation yet (the worker adds it on first start)`);
  const createdBy = `amko-${amkoUuid}`;
  const leader = gc.spec.gslbLeader;
  if (!leader.controllerIP || !leader.credentials) throw new Error('GSLBConfig has no controllerIP or credentials');
  const secret = await kubeRequest<V1Secret>(kc, 'GET', `/api/v1/namespaces/${ns}/secrets/${leader.credentials}`);
  const dec = (k: string) => Buffer.from(secret.data?.[k] ?? '', 'base64').toString('utf8');
  const tenant = leader.tenant || 'admin';
  const avi = await opts.aviFactory({
    controller: leader.controllerIP,
    username: dec('username'),
    password: dec('password'),
    version: leader.controllerVersion || undefined,
    tenant,
  });
  try {
    const memberClusters = (gc.spec.memberClusters ?? []).map((m) => m.clusterContext ?? '').filter(Boolean);
    const vctx = { avi, tenant, memberClusters };
    const templates = new Map<string, HmTemplate>();

    const gdpObj = ((await list<KubernetesObject>(kc, crPath('GlobalDeploymentPolicy', ns))).sort(byAge) as unknown as GlobalDeploymentPolicy[])[0];
    let gdp: GDPSpec | undefined;
    if (gdpObj) {
      const v = await validateGdp(gdpObj.spec, vctx);
      if (!v.ok) throw new Error(`GDP ${gdpObj.metadata?.name} is invalid: ${v.error} (the worker keeps the last accepted GDP)`);
      gdp = gdpObj.spec;
      for (const [n, t] of v.templates) templates.set(n, t);
    } else warnings.push('no GDP: every GslbService this instance owns would be deleted');

    const rules = (await list<KubernetesObject>(kc, crPath('GSLBHostRule', ns))).sort(byAge) as unknown as GSLBHostRule[];
    const hostRules = new Map<string, GSLBHostRuleSpec>();
    for (const r of rules) {
      const v = await validateHostRule(r.metadata?.name ?? '', r.spec, vctx);
      if (!v.ok) {
        warnings.push(`GSLBHostRule ${r.metadata?.name} rejected: ${v.error}`);
        continue;
      }
      if (hostRules.has(r.spec.fqdn)) {
        warnings.push(`GSLBHostRule ${r.metadata?.name} rejected: there's an existing GSLBHostRule for the same FQDN`);
        continue;
      }
      hostRules.set(r.spec.fqdn, r.spec);
      for (const [n, t] of v.templates) templates.set(n, t);
    }

    // Member clusters.
    const memberPath = opts.memberKubeconfigPath ?? process.env.GSLB_CONFIG;
    if (!memberPath) throw new Error('no member-cluster kubeconfig (--member-kubeconfig or GSLB_CONFIG)');
    const memberKc = new KubeConfig();
    memberKc.loadFromString(readFileSync(memberPath, 'utf8'));
    const members: NamedMember[] = [];
    // [custom-fqdn] Derive every cluster first, then name with the HostRules of all clusters (alias ownership is global).
    const derived: MemberRecord[] = [];
    const hostRuleLists: Array<[string, HostRule[]]> = [];
    const rejections: Rejection[] = [];
    const selection = selectionFromGdp(gdp);
    for (const cluster of memberClusters) {
      try {
        const ckc = kubeConfigForContext(memberKc, cluster);
        let routes: Route[] = [];
        try {
          routes = await list<KubernetesObject>(ckc, '/apis/route.openshift.io/v1/routes') as unknown as Route[];
        } catch (err) {
          if (!isStatus(err, 404)) throw err;
        }
        const r = deriveCluster(
          {
            cluster,
            namespaces: await list<V1Namespace>(ckc, '/api/v1/namespaces'),
            ingresses: await list<V1Ingress>(ckc, '/apis/networking.k8s.io/v1/ingresses'),
            services: await list<V1Service>(ckc, '/api/v1/services'),
            routes,
          },
          { selection, defaultTenant: tenant, defaultDomain: gdp?.defaultDomain },
        );
        derived.push(...r.members);
        try {
          hostRuleLists.push([cluster, await list<KubernetesObject>(ckc, '/apis/ako.vmware.com/v1beta1/hostrules') as unknown as HostRule[]]);
        } catch (err) {
          if (!isStatus(err, 404)) throw err;
        }
        rejections.push(...r.rejections.filter((x) => selection.clusters.has(x.cluster)));
      } catch (err) {
        warnings.push(`member cluster ${cluster} unreachable (${describeError(err)}): its members are missing from this plan`);
      }
    }

    const naming = opts.naming ?? buildMapping(hostRuleLists, gc.spec.useCustomGlobalFqdn === true).naming();
    for (const m of derived) {
      const n = naming(m);
      if (n) members.push({ ...m, ...(n.tls !== undefined ? { tls: n.tls } : {}), gsName: n.gsName, aliases: n.aliases });
    }

    const defaultPki = needsDefaultPki(gdp, hostRules.values()) && avi.listPkiProfiles ? (await avi.listPkiProfiles(tenant))[0]?.name : undefined;
    const desired = buildDesired(members, { createdBy, amkoUuid, gdp, hostRules, templates, defaultPki });
    const [gss, hms] = await Promise.all([avi.listGslbServices(createdBy, '*'), avi.listHealthMonitors('*')]);
    const tenantOf = (ref: string | undefined) => (ref && ref.includes('#') ? ref.slice(ref.indexOf('#') + 1) : tenant);
    const actualGs = new Map(gss.filter((g) => g.created_by === createdBy).map((g) => [gsKey(tenantOf(g.tenant_ref), g.name), g]));
    const actualHms = new Map<string, Map<string, (typeof hms)[number]>>();
    const refNames = new Map<string, string>();
    const keys = new Set([...desired.keys(), ...actualGs.keys()]);
    for (const hm of hms) {
      const t = tenantOf(hm.tenant_ref);
      if (!actualHms.has(t)) actualHms.set(t, new Map());
      actualHms.get(t)!.set(hm.name, hm);
      if (hm.uuid) refNames.set(hm.uuid, hm.name);
      const gs = isOwnedHm(hm, createdBy) ? gsNameFromHmDescription(hm.description) : undefined;
      if (gs) keys.add(gsKey(t, gs));
    }
    const operations: Operation[] = [];
    for (const key of [...keys].sort()) {
      const { tenant: t, gsName } = parseGsKey(key);
      operations.push(
        ...diffKey(key, t, gsName, desired.get(key), { gs: actualGs.get(key), hms: actualHms.get(t) ?? new Map() }, { createdBy, refNames }),
      );
    }
    return { operations, rejections, warnings, createdBy };
  } finally {
    await avi.close().catch(() => undefined);
  }
}

/** The plan as readable text: one block per operation and a summary line. */
export function formatPlan(p: PlanResult, opts: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  for (const w of p.warnings) lines.push(`! ${w}`);
  if (opts.verbose) {
    for (const r of p.rejections) lines.push(`  ${r.code === 'not-selected' ? 'not selected' : `skipped (${r.code})`}: ${r.kind} ${r.cluster}/${r.namespace}/${r.name}: ${r.reason}`);
  }
  for (const op of p.operations) lines.push(describeOperation(op));
  const count = (pred: (o: Operation) => boolean) => p.operations.filter(pred).length;
  const gs = (k: string) => count((o) => o.op === `${k}-gs`);
  const hm = (k: string) => count((o) => o.op === `${k}-hm`);
  lines.push(
    p.operations.length === 0
      ? `No changes (${p.createdBy}): the controller matches the desired state.`
      : `Plan (${p.createdBy}): gslbservices ${gs('create')} to create, ${gs('update')} to update, ${gs('delete')} to delete; ` +
          `health monitors ${hm('create')} to create, ${hm('update')} to update, ${hm('delete')} to delete.`,
  );
  return lines.join('\n');
}
