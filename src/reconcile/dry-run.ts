// `amko plan`: one pass of the worker's pipeline, read-only. The inputs are read
// once — the own cluster's GSLBConfig, credentials Secret, GDP and
// GSLBHostRules, one list of each member cluster, and what this instance owns
// on the controller — and go through the worker's own stages: gslb-config.ts
// (the GSLBConfig in force, the Secret, the tenant), policy.ts (verdicts),
// source.ts (members), plan.ts (planKeys against an AviStateCache). Nothing is
// written anywhere.
import type { KubernetesObject, V1Namespace, V1Secret } from '@kubernetes/client-node';
import type { KubeConfigLike } from '../kube/config.js';
import { AMKO_NAMESPACE, type GSLBConfig, type GSLBHostRule, type GlobalDeploymentPolicy } from '../api/index.js';
import { kubeClient } from '../kube/client.js';
import { errorText, isStatus } from '../kube/errors.js';
import { MemberKubeconfig, kubeConfigForContext } from '../kube/kubeconfig.js';
import { corePath, crPath } from '../kube/paths.js';
import type { Logger } from '../log.js';
import type { AviFactory } from './avi-session.js';
import { AviStateCache } from './avi-state.js';
import { listResource } from './cluster.js';
import { buildMapping, type HostRule } from './custom-fqdn/mapping.js'; // [custom-fqdn]
import { describeOperation, type AviOperation } from './diff.js';
import { activeConfigOf, amkoUuidOf, aviConnectionOf, configInForce, configProblem } from './gslb-config.js';
import { MemberIndex } from './member-index.js';
import { selectionFromGdp } from './members/selection.js';
import type { NamedMember, NamingStep, Notice, Rejection } from './members/types.js';
import { planKeySet, planKeys } from './plan.js';
import { PolicyState } from './policy.js';
import { indexCluster, type ClusterLists } from './source.js';

export interface PlanOptions {
  kubeConfig: KubeConfigLike;
  /** The member-cluster kubeconfig: a file path or the kubeconfig text (`--member-kubeconfig`, env GSLB_CONFIG). */
  memberKubeconfig?: string;
  namespace?: string;
  log: Logger;
  aviFactory: AviFactory;
  naming?: NamingStep;
}

export interface PlanResult {
  operations: AviOperation[];
  rejections: Rejection[];
  /** Members synced with a caveat (an HTTPRoute synced by IP alone). */
  notices: Notice[];
  /** The members of the HTTPRoutes (with the rejections, every HTTPRoute considered). */
  httpRouteMembers: NamedMember[];
  warnings: string[];
  createdBy: string;
}

async function getSecret(kc: KubeConfigLike, ns: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await kubeClient(kc).request<V1Secret>('GET', corePath('secrets', ns, name));
  } catch (err) {
    if (isStatus(err, 404)) return undefined;
    throw err;
  }
}

export async function computePlan(opts: PlanOptions): Promise<PlanResult> {
  const ns = opts.namespace ?? AMKO_NAMESPACE;
  const own = kubeClient(opts.kubeConfig);
  const warnings: string[] = [];
  const { gc, others } = configInForce(await own.list<GSLBConfig>(crPath('GSLBConfig', ns)));
  if (!gc) throw new Error(`no GSLBConfig in ${ns}`);
  if (others.length > 0) warnings.push(`${others.length + 1} GSLBConfigs in ${ns}; using the oldest, ${gc.metadata?.name}`);
  const amkoUuid = amkoUuidOf(gc);
  if (!amkoUuid) throw new Error(`GSLBConfig ${gc.metadata?.name} has no amko-uuid annotation yet (the worker adds it on first start)`);
  const credentials = gc.spec.gslbLeader.credentials;
  const secret = credentials ? await getSecret(opts.kubeConfig, ns, credentials) : undefined;
  const problem = configProblem(gc, secret);
  if (problem) throw new Error(`GSLBConfig ${gc.metadata?.name}: ${problem}`);
  const conn = aviConnectionOf(gc, secret!);
  const cfg = activeConfigOf(gc, amkoUuid, conn);
  const avi = await opts.aviFactory(conn);
  try {
    const policy = new PolicyState();
    const outcome = await policy.evaluate(
      await own.list<GlobalDeploymentPolicy>(crPath('GlobalDeploymentPolicy', ns)),
      await own.list<GSLBHostRule>(crPath('GSLBHostRule', ns)),
      { avi, tenant: cfg.tenant, gslbConfig: cfg.name, memberClusters: cfg.memberClusters },
    );
    for (const s of outcome.statuses) {
      if (s.kind === 'GlobalDeploymentPolicy' && s.errorStatus !== 'success') warnings.push(`GDP ${s.obj.metadata?.name} rejected: ${s.errorStatus}`);
      if (s.kind === 'GSLBHostRule' && s.status === 'Rejected') warnings.push(`GSLBHostRule ${s.obj.metadata?.name} rejected: ${s.error}`);
    }
    if (outcome.hold) {
      warnings.push('no valid GDP accepted yet: the worker holds the sync (writes nothing) until the GDP is valid');
      return { operations: [], rejections: [], notices: [], httpRouteMembers: [], warnings, createdBy: cfg.createdBy };
    }
    if (!policy.gdp) warnings.push('no GDP: every GslbService this instance owns would be deleted');

    // Member clusters: one list of each kind; the naming step needs the HostRules of all of them (alias ownership is global).
    const memberKc = new MemberKubeconfig(opts.memberKubeconfig).load();
    const lists = new Map<string, ClusterLists>();
    const hostRules: Array<[string, HostRule[]]> = [];
    for (const cluster of cfg.memberClusters) {
      try {
        const client = kubeClient(kubeConfigForContext(memberKc, cluster));
        const [namespaces, ingresses, services, routes, rules, gateways, httproutes] = await Promise.all(
          (['namespaces', 'ingresses', 'services', 'routes', 'hostrules', 'gateways', 'httproutes'] as const).map((r) => listResource(client, r)),
        );
        lists.set(cluster, { namespaces: namespaces as V1Namespace[], ingresses: ingresses!, services: services!, routes: routes!, gateways, httproutes });
        hostRules.push([cluster, rules as KubernetesObject[] as HostRule[]]);
      } catch (err) {
        warnings.push(`member cluster ${cluster} unreachable (${errorText(err)}): its members are missing from this plan`);
      }
    }
    const naming = opts.naming ?? buildMapping(hostRules, gc.spec.useCustomGlobalFqdn === true).naming();
    const index = new MemberIndex(() => undefined);
    const selected = selectionFromGdp(policy.gdp).clusters;
    const rejections: Rejection[] = [];
    const notices: Notice[] = [];
    const httpRouteMembers: NamedMember[] = [];
    for (const [cluster, l] of lists) {
      const r = indexCluster(index, cluster, l, { gdp: policy.gdp, tenant: cfg.tenant, naming, controllerUuids: cfg.controllerUuids });
      rejections.push(...r.rejections.filter((x) => selected.has(x.cluster)));
      notices.push(...r.notices);
      httpRouteMembers.push(...r.httpRouteMembers);
    }

    // What this instance owns on the controller, as the worker's full resync reads it.
    const observed = new AviStateCache(() => cfg.createdBy);
    const seq = observed.mark();
    const [gss, hms] = await Promise.all([
      avi.listGslbServices(cfg.createdBy, '*', observed.listedGs(cfg.tenant)),
      avi.listHealthMonitors('*', observed.listedHm(cfg.tenant)),
    ]);
    observed.replace(gss, hms, cfg.createdBy, cfg.tenant, seq);

    const inputs = { ...policy.inputs(cfg), members: (key: string) => index.membersOf(key) };
    const operations = planKeys(planKeySet(index, observed, cfg.createdBy), inputs, observed);
    return { operations, rejections, notices, httpRouteMembers, warnings, createdBy: cfg.createdBy };
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
    for (const m of p.httpRouteMembers) {
      const how = `${m.tls ? 'HTTPS' : 'HTTP'} port ${m.port}, paths ${m.paths.join(' ')}${m.syncVipOnly ? ', IP only' : ''}`;
      lines.push(`  selected: ${m.kind} ${m.cluster}/${m.namespace}/${m.name}: ${m.hostname} -> ${m.ip} (${how})${m.gsName !== m.hostname ? ` as ${m.gsName}` : ''}`);
    }
    for (const n of p.notices) lines.push(`  ${n.code}: ${n.kind} ${n.cluster}/${n.namespace}/${n.name}: ${n.reason}`);
  }
  for (const op of p.operations) lines.push(describeOperation(op));
  const count = (pred: (o: AviOperation) => boolean) => p.operations.filter(pred).length;
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
