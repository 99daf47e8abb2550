// Locates the real-Kubernetes test binaries built by scripts/k8s-tools.sh
// (kube-apiserver, kubectl, etcd, etcdctl, helm) in .cache/k8s-tools/<version>/bin.
// When the READY stamp is missing the script is run (a cold build takes many
// minutes; a warm check is instant).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface K8sTools {
  /** Cache key, e.g. `k8s-v1.36.3_etcd-v3.6.16_helm-v3.22.0`. */
  version: string;
  binDir: string;
  kubeApiserver: string;
  kubectl: string;
  etcd: string;
  etcdctl: string;
  helm: string;
}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TOOLS_SCRIPT = path.join(REPO_ROOT, 'scripts', 'k8s-tools.sh');

function describe(): K8sTools {
  const binDir = execFileSync('bash', [TOOLS_SCRIPT, '--print-dir'], { encoding: 'utf8' }).trim();
  const version = path.basename(path.dirname(binDir));
  const b = (n: string) => path.join(binDir, n);
  return {
    version,
    binDir,
    kubeApiserver: b('kube-apiserver'),
    kubectl: b('kubectl'),
    etcd: b('etcd'),
    etcdctl: b('etcdctl'),
    helm: b('helm'),
  };
}

function isReady(t: K8sTools): boolean {
  return existsSync(path.join(path.dirname(t.binDir), 'READY'));
}

let cached: K8sTools | undefined;
let building: Promise<K8sTools> | undefined;

/**
 * Returns the tool paths, building them first (asynchronously, so mocha
 * timeouts still work) when the READY stamp is missing. Build output goes to
 * this process's stderr.
 */
export function ensureK8sTools(): Promise<K8sTools> {
  if (cached) return Promise.resolve(cached);
  const t = describe();
  if (isReady(t)) return Promise.resolve((cached = t));
  building ??= new Promise<K8sTools>((resolve, reject) => {
    process.stderr.write(`[harness] k8s tools ${t.version} not built yet; running ${TOOLS_SCRIPT} (cold build takes minutes)\n`);
    const p = spawn('bash', [TOOLS_SCRIPT], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => {
      building = undefined;
      if (code === 0 && isReady(t)) resolve((cached = t));
      else reject(new Error(`${TOOLS_SCRIPT} failed with exit code ${code}`));
    });
  });
  return building;
}

/** Synchronous variant (blocks the event loop while building, if it must build). */
export function k8sToolsSync(): K8sTools {
  if (cached) return cached;
  const t = describe();
  if (!isReady(t)) {
    execFileSync('bash', [TOOLS_SCRIPT], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (!isReady(t)) throw new Error(`${TOOLS_SCRIPT} finished but ${t.binDir}/../READY is missing`);
  }
  return (cached = t);
}
