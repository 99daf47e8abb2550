// The running parts of `npm run demo`: etcd and one kube-apiserver per member
// cluster of examples/gslbconfig.yaml (test/harness, tools from
// scripts/k8s-tools.sh), the Avi simulator (test/avi-sim, in this process), and
// `amko serve` with the reconcile worker, registered as the admission webhook by
// URL with its CA (webhook-config/). etcd, the kube-apiservers and amko serve
// each run in their own process group; everything is stopped through Resources.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { AviClient } from '../../src/avi/client.js';
import { createLogger } from '../../src/log.js';
import { defaultSeed, startAviSimulator, type AviSimulator } from '../../test/avi-sim/server.js';
import { installCrds, registerWebhooks, startAmkoServer, type AmkoServer } from '../../test/e2e/support/amko-server.js';
import { startControlPlanes } from '../../test/harness/control-plane.js';
import { kubectl, type CliResult } from '../../test/harness/kubectl.js';
import { ensureK8sTools, REPO_ROOT, type K8sTools } from '../../test/harness/tools.js';
import type { Resources } from './resources.js';

export const NS = 'avi-system';
export const GSLB_CONFIG_FILE = 'examples/gslbconfig.yaml';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

/** A repository file (path relative to the repository root) as YAML documents. */
export function readManifests(file: string): Manifest[] {
  return YAML.parseAllDocuments(readFileSync(path.join(REPO_ROOT, file), 'utf8')).map((d) => d.toJS() as Manifest);
}

/** The member cluster contexts of the example GSLBConfig: one kube-apiserver each, the first is amko's own. */
export function memberContexts(): string[] {
  const gc = readManifests(GSLB_CONFIG_FILE)[0]!;
  return (gc.spec.memberClusters as Array<{ clusterContext: string }>).map((m) => m.clusterContext);
}

export interface DemoStack {
  /** Temp folder with the kubeconfig, the simulator's CA and amko's log. */
  dir: string;
  /** Kubeconfig with one context per member cluster (the first is current): amko's own cluster and its members. */
  kubeconfig: string;
  contexts: string[];
  aviCaFile: string;
  serverLog: string;
  tools: K8sTools;
  sim: AviSimulator;
  /** The simulator's login (the default seed's user). */
  aviUser: { username: string; password: string };
  /** Reads the simulator through the product's Avi client. */
  avi: AviClient;
  server: AmkoServer;
  /** The built kubectl against `context` of the demo kubeconfig, from the repository root. Never throws on a non-zero exit. */
  kubectl(context: string, args: string[], input?: string): Promise<CliResult>;
}

/** The harness kubeconfig (contexts cluster1..N) with the contexts renamed to the member cluster contexts. */
function renameContexts(harnessKubeconfig: string, contexts: string[]): string {
  const kc = YAML.parse(readFileSync(harnessKubeconfig, 'utf8')) as { contexts: Array<{ name: string }>; 'current-context': string };
  kc.contexts = kc.contexts.map((c) => ({ ...c, name: contexts[Number(c.name.replace('cluster', '')) - 1]! }));
  kc['current-context'] = contexts[0]!;
  return YAML.stringify(kc);
}

export async function startDemoStack(res: Resources, progress: (msg: string) => void): Promise<DemoStack> {
  const contexts = memberContexts();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amko-demo-'));
  // Removed on every way out, also when the process exits without stopping.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  // kubectl's discovery cache (test/harness kubectl() and every call below) goes there too.
  process.env.KUBECACHEDIR = path.join(dir, 'kubectl-cache');
  await res.adopt('the demo folder', async () => {
    removeDir();
    process.removeListener('exit', removeDir);
  });

  let t = Date.now();
  const tools = await ensureK8sTools(); // builds them on the first run (minutes), else instant
  if (Date.now() - t > 1000) progress(`Kubernetes tools built by scripts/k8s-tools.sh in ${secs(t)}`);
  t = Date.now();
  const cp = await startControlPlanes({ clusters: contexts.length, namespaces: [NS] });
  await res.adopt('the kube-apiservers', () => cp.stop());
  progress(`etcd and ${contexts.length} kube-apiservers (${contexts.join(', ')}) ready in ${secs(t)}`);

  const kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, renameContexts(cp.kubeconfigPath, contexts), { mode: 0o600 });
  const own = { kubeconfig, context: contexts[0]! };
  const sim = await startAviSimulator();
  await res.adopt('the Avi simulator', () => sim.close());
  const aviUser = defaultSeed().users[0]!;
  const avi = AviClient.create({ controller: sim.host, ...aviUser, caPem: sim.caPem, log: createLogger({ level: 'silent' }) });
  await res.adopt('the Avi client', () => avi.close());
  const aviCaFile = path.join(dir, 'avi-ca.pem');
  writeFileSync(aviCaFile, sim.caPem);
  progress(`Avi simulator at ${sim.url}`);

  // amko serve starts (seconds of TypeScript loading) while the CRDs are installed; its informers wait for them.
  t = Date.now();
  const serverLog = path.join(dir, 'amko-serve.log');
  const [started, crds] = await Promise.allSettled([
    startAmkoServer({
      kubeconfig,
      worker: true,
      memberKubeconfig: kubeconfig,
      env: { AVI_CA_FILE: aviCaFile },
      logFile: serverLog,
      ownProcessGroup: true,
    }),
    installCrds(own),
  ]);
  if (started.status === 'rejected') throw started.reason;
  const server = started.value;
  await res.adopt('amko serve', () => server.stop());
  if (crds.status === 'rejected') throw crds.reason;
  await registerWebhooks(own, server);
  progress(`amko serve (webhook + reconcile worker) at ${server.url}, registered as the admission webhook, in ${secs(t)}`);

  return { dir, kubeconfig, contexts, aviCaFile, serverLog, tools, sim, aviUser, avi, server, kubectl: (context, args, input) => kubectl(args, { kubeconfig, context, input, cwd: REPO_ROOT }) };
}

export const secs = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;
