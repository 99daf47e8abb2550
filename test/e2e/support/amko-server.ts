// `amko serve` as a local process for the end-to-end tests: a generated CA and
// serving certificate (files, so a test can rotate them), an ephemeral port,
// and the JSON log parsed into admission decisions. registerWebhooks() applies
// webhook-config/ (url + caBundle) to a cluster and waits until the API server
// actually calls both webhooks.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServingCert, processGroupAlive } from '../../harness/control-plane.js';
import { kubectl, type CliResult } from '../../harness/kubectl.js';
import { REPO_ROOT } from '../../harness/tools.js';

export interface AdmissionDecision {
  webhook: 'validate' | 'mutate';
  kind: string;
  namespace?: string;
  name?: string;
  operation: string;
  dryRun: boolean;
  allowed: boolean;
  code?: number;
  warnings: number;
  patched: boolean;
}

export interface AmkoServerOptions {
  /** Kubeconfig of the server's own cluster (cluster cache for cross-object rules; the worker's cluster). */
  kubeconfig?: string;
  /** Run the reconcile worker too (default false: --no-worker). */
  worker?: boolean;
  /** Run the federator (default: as `worker`; false: --no-federation). */
  federation?: boolean;
  /** --member-kubeconfig (the worker's member clusters). */
  memberKubeconfig?: string;
  /** Address to bind. Default 127.0.0.1. */
  host?: string;
  /** Port. Default 0 (ephemeral). */
  port?: number;
  /** SANs of the generated serving certificate. Default 127.0.0.1, localhost. */
  certHosts?: string[];
  /** Use this certificate instead of generating one. */
  cert?: { caPem: string; certPem: string; keyPem: string };
  /** Extra environment variables. */
  env?: Record<string, string>;
  /**
   * Extra `serve` flags, appended last (e.g. the chart Deployment's --cert-secret...).
   * With --cert-secret the server manages its own certificate: no files are generated.
   */
  args?: string[];
  /** Time limit for the process to start listening. Default 60 s. */
  startTimeoutMs?: number;
  /** Append every log line to this file too (e.g. for a person to follow with `tail -f`). */
  logFile?: string;
  /**
   * Run the server in its own process group (a terminal's Ctrl-C does not reach it;
   * stop() and the exit hook signal the whole group). Default false.
   */
  ownProcessGroup?: boolean;
}

export interface AmkoServer {
  /** https://HOST:PORT as the server logged it. */
  url: string;
  port: number;
  /** Process id of the server (e.g. to SIGSTOP/SIGCONT it). */
  pid: number;
  /** The CA the serving certificate chains to (PEM); the webhook caBundle. Empty with --cert-secret. */
  caPem: string;
  certFile: string;
  keyFile: string;
  dir: string;
  /** Every 'admission decision' log line so far. */
  decisions: AdmissionDecision[];
  /** Every log line (parsed JSON, or {raw}) so far. */
  logs: Record<string, unknown>[];
  /** Log tail for assertion messages. */
  logTail(lines?: number): string;
  /** Replace the serving certificate files atomically (the server polls them). */
  writeCertificate(cert: { certPem: string; keyPem: string }): void;
  /** The exit code once the process has exited (null: killed by a signal), undefined while it runs. */
  exitCode(): number | null | undefined;
  stop(): Promise<void>;
}

/** Running servers: the child, and whether it leads its own process group. */
const live = new Map<ChildProcess, boolean>();
let exitHook = false;

/** Signals the child, or its whole process group when it has one; false when it is already gone. */
function signal(child: ChildProcess, group: boolean, sig: NodeJS.Signals): boolean {
  try {
    if (group) process.kill(-child.pid!, sig);
    else child.kill(sig);
    return true;
  } catch {
    return false;
  }
}

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const [c, group] of live) signal(c, group, 'SIGKILL');
  });
}

/** Starts `amko serve` (tsx, from the source tree) and resolves once it listens. */
export async function startAmkoServer(opts: AmkoServerOptions = {}): Promise<AmkoServer> {
  installExitHook();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amko-e2e-server-'));
  const fromSecret = (opts.args ?? []).some((a) => a.startsWith('--cert-secret'));
  const cert = fromSecret ? { caPem: '', certPem: '', keyPem: '' } : (opts.cert ?? (await createServingCert(opts.certHosts ?? ['127.0.0.1', 'localhost'])));
  const certFile = path.join(dir, 'tls.crt');
  const keyFile = path.join(dir, 'tls.key');
  const fileArgs: string[] = [];
  if (!fromSecret) {
    writeFileSync(certFile, cert.certPem);
    writeFileSync(keyFile, cert.keyPem, { mode: 0o600 });
    fileArgs.push(`--tls-cert-file=${certFile}`, `--tls-key-file=${keyFile}`);
  }
  const args = [
    '--import',
    'tsx',
    path.join(REPO_ROOT, 'src', 'cli.ts'),
    'serve',
    `--host=${opts.host ?? '127.0.0.1'}`,
    `--port=${opts.port ?? 0}`,
    ...fileArgs,
    `--cert-dir=${path.join(dir, 'certs')}`,
    '--log-level=info',
  ];
  if (opts.kubeconfig) args.push(`--kubeconfig=${opts.kubeconfig}`);
  if (!opts.worker) args.push('--no-worker');
  // The federator runs whenever it is not switched off; the admission-only servers switch it off too.
  if (!(opts.federation ?? opts.worker)) args.push('--no-federation');
  if (opts.memberKubeconfig) args.push(`--member-kubeconfig=${opts.memberKubeconfig}`);
  args.push(...(opts.args ?? []));
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.KUBECONFIG;
  delete env.PORT;
  delete env.HOST;
  delete env.GSLB_CONFIG;
  delete env.LOG_LEVEL;
  delete env.POD_NAMESPACE;
  delete env.POD_NAME;
  delete env.SERVICE_NAME;
  delete env.KUBERNETES_SERVICE_HOST;
  // One process serves the webhook unless a test asks for workers (--webhook-workers in `args`, or the
  // env): `auto` would follow this machine's CPUs, not the chart's limits.cpu (500m: one process).
  env.WEBHOOK_WORKERS = '1';
  Object.assign(env, opts.env); // after the deletes: a test may set e.g. POD_NAME (the Lease identity)
  const group = opts.ownProcessGroup === true;
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: group });
  live.set(child, group);
  const logs: Record<string, unknown>[] = [];
  const decisions: AdmissionDecision[] = [];
  const raw: string[] = [];
  let listening: ((v: { url: string; port: number }) => void) | undefined;
  const listen = new Promise<{ url: string; port: number }>((resolve) => (listening = resolve));
  const onLine = (line: string) => {
    if (!line.trim()) return;
    if (opts.logFile) appendFileSync(opts.logFile, line + '\n');
    raw.push(line);
    if (raw.length > 2000) raw.shift();
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      rec = { raw: line };
    }
    logs.push(rec);
    if (rec.msg === 'admission decision') decisions.push(rec as unknown as AdmissionDecision);
    if (rec.msg === 'admission webhook listening') listening?.({ url: String(rec.url), port: Number(rec.port) });
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }
  let exited = false;
  let exitCode: number | null | undefined;
  const exitP = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exited = true;
      exitCode = code;
      live.delete(child);
      resolve(code);
    }),
  );
  const logTail = (n = 30) => raw.slice(-n).join('\n');
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  let addr: { url: string; port: number };
  try {
    addr = await Promise.race([
      listen,
      exitP.then((code) => {
        throw new Error(`amko serve exited (${code}) before listening:\n${logTail()}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`amko serve did not listen within ${timeoutMs} ms:\n${logTail()}`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    signal(child, group, 'SIGKILL');
    await exitP;
    rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    clearTimeout(timer);
  }
  const port = addr.port;
  return {
    url: addr.url,
    port,
    pid: child.pid!,
    caPem: cert.caPem,
    certFile,
    keyFile,
    dir,
    decisions,
    logs,
    logTail,
    writeCertificate(c) {
      // Key first, then certificate, each by rename: the server only takes a pair that matches.
      writeFileSync(`${keyFile}.new`, c.keyPem, { mode: 0o600 });
      writeFileSync(`${certFile}.new`, c.certPem);
      renameSync(`${keyFile}.new`, keyFile);
      renameSync(`${certFile}.new`, certFile);
    },
    exitCode: () => exitCode,
    async stop() {
      if (!exited) {
        signal(child, group, 'SIGTERM');
        const t = setTimeout(() => signal(child, group, 'SIGKILL'), 5_000);
        await exitP;
        clearTimeout(t);
      }
      // Anything the server started in its group goes with it.
      if (group && processGroupAlive(child.pid!)) {
        signal(child, group, 'SIGKILL');
        while (processGroupAlive(child.pid!)) await sleep(50);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The manifests of webhook-config/ with the caBundle (one or more PEM CAs) and URL base filled in. */
export function webhookConfigManifests(caPem: string, urlBase: string): string {
  const bundle = Buffer.from(caPem).toString('base64');
  return ['validating.yaml', 'mutating.yaml']
    .map((f) =>
      readFileSync(path.join(REPO_ROOT, 'webhook-config', f), 'utf8')
        .replaceAll('${CA_BUNDLE}', bundle)
        .replaceAll('https://127.0.0.1:8443', urlBase),
    )
    .join('\n---\n');
}

export const WEBHOOK_CONFIG_NAMES = { validating: 'amko-validating-webhook', mutating: 'amko-mutating-webhook' };

export interface KubeTarget {
  kubeconfig: string;
  context?: string;
}

/** `kubectl apply -f -` of both webhook-config/ registrations; throws on failure. */
export async function applyWebhookConfigs(target: KubeTarget, caPem: string, urlBase: string): Promise<void> {
  const r = await kubectl(['apply', '-f', '-'], { ...target, input: webhookConfigManifests(caPem, urlBase) });
  if (r.code !== 0) throw new Error(`applying webhook-config/ failed: ${r.stderr}`);
}

/**
 * Registers webhook-config/ for `server` and waits until the API server calls
 * both webhooks: a server-side dry-run create of a GSLBHostRule outside
 * avi-system must come back denied by validate.amko.vmware.com, after the
 * mutating webhook was seen for it.
 */
export async function registerWebhooks(target: KubeTarget, server: AmkoServer, timeoutMs = 30_000): Promise<void> {
  await applyWebhookConfigs(target, server.caPem, server.url);
  await waitForWebhooks(target, server, timeoutMs);
}

export async function waitForWebhooks(target: KubeTarget, server: AmkoServer, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: CliResult | undefined;
  for (let i = 0; ; i++) {
    const name = `webhook-probe-${Date.now().toString(36)}-${i}`;
    const probe = `apiVersion: amko.vmware.com/v1alpha1
kind: GSLBHostRule
metadata:
  name: ${name}
  namespace: default
spec:
  fqdn: probe.example.com
`;
    last = await kubectl(['create', '--dry-run=server', '-f', '-'], { ...target, input: probe });
    const mutated = server.decisions.some((d) => d.webhook === 'mutate' && d.name === name);
    if (last.code !== 0 && last.stderr.includes('admission webhook "validate.amko.vmware.com" denied the request') && mutated) return;
    if (Date.now() > deadline) {
      throw new Error(`webhooks not answering after ${timeoutMs} ms; last probe: ${last.code} ${last.stderr}\nserver log:\n${server.logTail()}`);
    }
    await sleep(250);
  }
}

/** Deletes both webhook-config/ registrations (ignores missing ones). */
export async function unregisterWebhooks(target: KubeTarget): Promise<void> {
  await kubectl(
    ['delete', '--ignore-not-found', 'validatingwebhookconfiguration', WEBHOOK_CONFIG_NAMES.validating],
    target,
  );
  await kubectl(['delete', '--ignore-not-found', 'mutatingwebhookconfiguration', WEBHOOK_CONFIG_NAMES.mutating], target);
}

/**
 * Waits until the webhook registrations are gone from the API server's view:
 * a dry-run create outside avi-system is allowed again (only the webhook denies it).
 */
export async function waitForWebhooksGone(target: KubeTarget, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    const probe = `apiVersion: amko.vmware.com/v1alpha1
kind: GSLBHostRule
metadata:
  name: webhook-gone-probe-${i}
  namespace: default
spec:
  fqdn: probe.example.com
`;
    const r = await kubectl(['create', '--dry-run=server', '-f', '-'], { ...target, input: probe });
    if (r.code === 0) return;
    if (Date.now() > deadline) throw new Error(`webhooks still called after ${timeoutMs} ms: ${r.stderr}`);
    await sleep(250);
  }
}

/** Installs the generated CRDs from charts/amko/crds and waits until they are Established. */
export async function installCrds(target: KubeTarget): Promise<void> {
  const dir = path.join(REPO_ROOT, 'charts', 'amko', 'crds');
  const r = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', dir], target);
  if (r.code !== 0) throw new Error(`installing CRDs failed: ${r.stderr}`);
  const w = await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', dir], target);
  if (w.code !== 0) throw new Error(`CRDs not established: ${w.stderr}`);
}
