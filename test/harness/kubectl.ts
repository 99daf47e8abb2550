// Runs the harness-built kubectl and helm (never whatever is on the machine's PATH).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureK8sTools } from './tools.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Context name (`cluster1`, ...). kubectl: --context, helm: --kube-context. */
  context?: string;
  /** Kubeconfig path (e.g. ControlPlanes.kubeconfigPath or a cluster's kubeconfigPath). */
  kubeconfig?: string;
  /** Written to stdin (e.g. a manifest for `apply -f -`). */
  input?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  cwd?: string;
  /** Kill the command after this many ms (default 120 000); code is then 124. */
  timeoutMs?: number;
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv, opts: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, opts.timeoutMs ?? 120_000);
    p.stdout.on('data', (c: Buffer) => out.push(c));
    p.stderr.on('data', (c: Buffer) => err.push(c));
    p.stdin.on('error', () => {}); // EPIPE when the command does not read stdin
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        code: timedOut ? 124 : (code ?? (signal ? 128 : 1)),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: timedOut ? `${stderr}\n[harness] ${path.basename(bin)} timed out after ${opts.timeoutMs ?? 120_000} ms` : stderr,
      });
    });
    p.stdin.end(opts.input ?? '');
  });
}

/** `kubectl [--kubeconfig K] [--context C] ...args` with the built kubectl. Never throws on a non-zero exit. */
export async function kubectl(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const t = await ensureK8sTools();
  const pre: string[] = [];
  if (opts.kubeconfig) pre.push(`--kubeconfig=${opts.kubeconfig}`);
  if (opts.context) pre.push(`--context=${opts.context}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Keep discovery/http caches out of ~/.kube (unless the caller chose a place, as the demo does).
    KUBECACHEDIR: process.env.KUBECACHEDIR ?? path.join(os.tmpdir(), 'amko-kubectl-cache'),
    ...opts.env,
  };
  if (!opts.kubeconfig && !opts.env?.KUBECONFIG) delete env.KUBECONFIG;
  return run(t.kubectl, [...pre, ...args], env, opts);
}

/** Like kubectl() but throws (with stderr) on a non-zero exit; returns stdout. */
export async function kubectlOk(args: string[], opts: CliOptions = {}): Promise<string> {
  const r = await kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * `helm [--kubeconfig K] [--kube-context C] ...args` with the built helm. Helm's
 * cache/config/data dirs are isolated under the OS temp dir (never ~/.config/helm).
 */
export async function helm(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const t = await ensureK8sTools();
  const home = path.join(os.tmpdir(), 'amko-helm');
  for (const d of ['cache', 'config', 'data']) mkdirSync(path.join(home, d), { recursive: true });
  const pre: string[] = [];
  if (opts.kubeconfig) pre.push(`--kubeconfig=${opts.kubeconfig}`);
  if (opts.context) pre.push(`--kube-context=${opts.context}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
    ...opts.env,
  };
  if (!opts.kubeconfig && !opts.env?.KUBECONFIG) delete env.KUBECONFIG;
  return run(t.helm, [...pre, ...args], env, opts);
}

/** Like helm() but throws (with stderr) on a non-zero exit; returns stdout. */
export async function helmOk(args: string[], opts: CliOptions = {}): Promise<string> {
  const r = await helm(args, opts);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}
