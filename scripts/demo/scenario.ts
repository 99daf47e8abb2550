// What `npm run demo` applies, with kubectl, as a user would (and as AKO would
// in the member clusters): the credentials Secret, the example GSLBConfig
// pointed at the simulator, the example GDP with its 8:2 split, an Ingress in
// every member cluster with AKO's annotations and VIP, and one invalid change,
// which the webhook refuses. Then it waits until the GslbService on the
// simulator carries the split and the GSLBConfig and GDP report success.
import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import type { GslbService } from '../../src/avi/types.js';
import { ANN_CONTROLLER_UUID, ANN_VS_UUID_MAP } from '../../src/reconcile/members/derive.js';
import { GSLB_CONFIG_FILE, NS, readManifests, type DemoStack } from './stack.js';

export const GDP_FILE = 'examples/gdp-traffic-split.yaml';
export const INGRESS_FILE = 'scripts/demo/manifests/ingress.yaml';
export const INVALID_FILE = 'scripts/demo/manifests/gdp-invalid.yaml';
const AMKO_UUID_ANNOTATION = 'amko.vmware.com/amko-uuid';

/** The VIP AKO reports for the Ingress in the i-th member cluster (`host` 20 is the one the printed change sets). */
export const vip = (i: number, host = 10): string => `10.10.${i + 1}.${host}`;

export interface DemoIngress {
  name: string;
  namespace: string;
  host: string;
}

export interface ScenarioOutcome {
  /** One line per step, for the report. */
  applied: string[];
  /** The kubectl command of the invalid change (as a user types it) and kubectl's stderr, verbatim. */
  rejection: { command: string; stderr: string };
  /** `amko-<uuid>`: what the worker marks its GslbServices and health monitors with. */
  createdBy: string;
  ingress: DemoIngress;
  gslbConfigName: string;
  gdpName: string;
}

export function demoIngress(): DemoIngress {
  const ing = readManifests(INGRESS_FILE).find((m) => m.kind === 'Ingress')!;
  const host = (ing.spec.rules as Array<{ host: string }>)[0]!.host;
  return { name: ing.metadata.name, namespace: ing.metadata.namespace!, host };
}

/** `ip/ratio` of every member, sorted: the comparable form of a GslbService's split. */
export function split(gs: GslbService | undefined): string[] {
  return (gs?.groups ?? []).flatMap((g) => g.members.map((m) => `${m.ip.addr}/${m.ratio}`)).sort();
}

export async function runScenario(stack: DemoStack, progress: (msg: string) => void): Promise<ScenarioOutcome> {
  const [own] = stack.contexts as [string, ...string[]];
  const ok = async (context: string, args: string[], input?: string): Promise<string> => {
    const r = await stack.kubectl(context, args, input);
    if (r.code !== 0) throw new Error(`kubectl --context ${context} ${args.join(' ')} failed: ${r.stderr.trim()}`);
    return r.stdout;
  };
  const applied: string[] = [];

  const gc = readManifests(GSLB_CONFIG_FILE)[0]!;
  const leader = gc.spec.gslbLeader as { credentials: string; controllerIP: string };
  leader.controllerIP = stack.sim.host;
  const { username, password } = stack.aviUser;
  await ok(own, ['create', 'secret', 'generic', leader.credentials, '-n', NS, `--from-literal=username=${username}`, `--from-literal=password=${password}`]);
  applied.push(`Secret ${NS}/${leader.credentials}: the simulator's login`);
  await ok(own, ['apply', '-f', '-'], YAML.stringify(gc));
  applied.push(`${GSLB_CONFIG_FILE}, controllerIP set to the simulator (${stack.sim.host})`);
  const gdp = readManifests(GDP_FILE)[0]!;
  await ok(own, ['apply', '-f', GDP_FILE]);
  const weights = new Map((gdp.spec.trafficSplit as Array<{ cluster: string; weight: number }>).map((t) => [t.cluster, t.weight]));
  applied.push(`${GDP_FILE}: ${[...weights].map(([c, w]) => `${c} ${w}`).join(', ')}`);

  const ingress = demoIngress();
  const sites = (stack.sim.store.gslb.sites ?? []) as Array<{ cluster_uuid: string }>;
  await Promise.all(
    stack.contexts.map(async (context, i) => {
      const ns = ['-n', ingress.namespace];
      await ok(context, ['apply', '-f', INGRESS_FILE]);
      // What AKO writes once its virtual service exists: the UUIDs and the VIP.
      const vsMap = JSON.stringify({ [ingress.host]: `virtualservice-${randomUUID()}` });
      const controller = sites[i]?.cluster_uuid ?? stack.sim.store.cluster.uuid;
      await ok(context, ['annotate', 'ingress', ingress.name, ...ns, `${ANN_VS_UUID_MAP}=${vsMap}`, `${ANN_CONTROLLER_UUID}=${controller}`]);
      const status = { status: { loadBalancer: { ingress: [{ ip: vip(i), hostname: ingress.host }] } } };
      await ok(context, ['patch', 'ingress', ingress.name, ...ns, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    }),
  );
  applied.push(`${INGRESS_FILE} in ${stack.contexts.join(' and ')}`);
  applied.push(`as AKO would: the UUID annotations and the VIP ${stack.contexts.map((c, i) => `${vip(i)} (${c})`).join(', ')}`);

  const r = await stack.kubectl(own, ['apply', '-f', INVALID_FILE]);
  if (r.code === 0) throw new Error(`${INVALID_FILE} was accepted; the webhook should have refused it`);
  const rejection = { command: `kubectl apply -f ${INVALID_FILE}`, stderr: r.stderr };

  const uuid = (await ok(own, ['get', 'gslbconfig', gc.metadata.name, '-n', NS, '-o', `jsonpath={.metadata.annotations.${AMKO_UUID_ANNOTATION.replaceAll('.', '\\.')}}`])).trim();
  const createdBy = `amko-${uuid}`;
  progress(`applied the examples; waiting for the GslbService ${ingress.host} on the simulator`);

  const want = stack.contexts.map((c, i) => `${vip(i)}/${weights.get(c)}`).sort();
  let last: string[] = [];
  await waitUntil(`GslbService ${ingress.host} with members ${want.join(', ')}`, async () => {
    const gs = (await stack.avi.listGslbServices(createdBy, '*')).find((g) => g.name === ingress.host);
    last = split(gs);
    return JSON.stringify(last) === JSON.stringify(want);
  }, () => `now: ${last.join(', ') || 'none'}\namko serve log (${stack.serverLog}):\n${stack.server.logTail(15)}`);

  const statusOf = (kind: string, name: string, field: string) =>
    ok(own, ['get', kind, name, '-n', NS, '-o', `jsonpath={.status.${field}}`]).then((s) => s.trim());
  let states: string[] = [];
  await waitUntil('GSLBConfig and GDP status success', async () => {
    states = [await statusOf('gslbconfig', gc.metadata.name, 'state'), await statusOf('gdp', gdp.metadata.name, 'errorStatus')];
    return states[0]!.startsWith('success') && states[1] === 'success';
  }, () => `GSLBConfig state "${states[0]}", GDP status "${states[1]}"\n${stack.server.logTail(15)}`);

  return { applied, rejection, createdBy, ingress, gslbConfigName: gc.metadata.name, gdpName: gdp.metadata.name };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every 250 ms; fails after `timeoutMs` (generous: the machine may be busy) with `detail()`. */
async function waitUntil(what: string, check: () => Promise<boolean>, detail: () => string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let err = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      err = ` (${(e as Error).message})`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${err}\n${detail()}`);
    await sleep(250);
  }
}
