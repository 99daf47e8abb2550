// Real Kubernetes control planes for e2e tests: ONE etcd and N kube-apiservers
// (each with its own --etcd-prefix, CA, serving cert, admin client cert and
// service-account key pair). No kubelet, scheduler or controller-manager: API
// objects are stored and admitted (webhooks included) but nothing reconciles
// them (no pods from Deployments, no namespace finalization, no GC).
//
// Every process is started in its own process group under a tiny bash
// supervisor whose stdin is a pipe from this Node process: if Node dies for any
// reason (even SIGKILL) the pipe closes and the supervisor kills its group, so a
// crashed test run leaves no orphans. stop() and a process 'exit' hook also
// kill the groups explicitly.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import { ensureK8sTools, type K8sTools } from './tools.js';

const execFileP = promisify(execFile);

export interface ControlPlaneOptions {
  /** Number of kube-apiservers (clusters) to start. Default 2. */
  clusters?: number;
  /** Base directory for certs, kubeconfigs, logs and etcd data. Default: a fresh temp dir (removed by stop()). */
  dir?: string;
  /**
   * kube-apiserver --watch-cache. Default true (like a real cluster). With the
   * watch cache off every watch goes straight to etcd, so compactEtcd() makes
   * a watch from an older resourceVersion fail with 410 Gone.
   */
  watchCache?: boolean;
  /** Namespaces to create in every cluster after it is ready. Default ['avi-system']. */
  namespaces?: string[];
  /** Extra kube-apiserver flags, appended last (so they override ours). */
  extraApiServerArgs?: string[];
  /** Time limit for etcd and each kube-apiserver to become ready. Default 120 s. */
  startTimeoutMs?: number;
  /** Progress messages (default: silent). */
  log?: (msg: string) => void;
}

export interface ClusterHandle {
  /** `cluster1`, `cluster2`, ... (also the kubeconfig context, cluster and user name). */
  name: string;
  /** https://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Kubeconfig with only this cluster (context `name`, current). */
  kubeconfigPath: string;
  /** CA that signed the serving cert and that the API server trusts for client certs. */
  caPem: string;
  /** Admin client cert/key (CN=admin, O=system:masters). */
  clientCertPem: string;
  clientKeyPem: string;
  /** @kubernetes/client-node KubeConfig whose current context is this cluster. */
  kubeConfig: KubeConfig;
  etcdPrefix: string;
  /** This cluster's folder (certs, logs). */
  dir: string;
  /** kube-apiserver stdout+stderr log (appended across restarts). */
  logPath: string;
}

/**
 * A second kube-apiserver for an existing cluster: same etcd prefix, certificates and service-account
 * keys, its own port and process. Both serve the same objects, like two control-plane nodes of one
 * cluster, so a client of each can be frozen (SIGSTOP) independently.
 */
export interface ApiServerReplica {
  /** The cluster it serves (also its kubeconfig context). */
  name: string;
  /** https://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Kubeconfig with only this replica (context `name`). */
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  logPath: string;
  /** Signals the replica's process group: SIGSTOP freezes it (connections stay open, nothing answers), SIGCONT resumes it. */
  signal(sig: NodeJS.Signals): void;
  /** Kills it (resuming it first if frozen). Idempotent. */
  stop(): Promise<void>;
}

export interface ControlPlanes {
  dir: string;
  /** One kubeconfig with contexts cluster1..N (embedded certs); current context cluster1. */
  kubeconfigPath: string;
  etcdUrl: string;
  clusters: ClusterHandle[];
  tools: K8sTools;
  /** Wall time startControlPlanes() took, in ms. */
  startupMs: number;
  cluster(name: string): ClusterHandle;
  /** Process-group ids (== supervisor pids) of etcd and the running kube-apiservers. */
  processGroups(): number[];
  isApiServerRunning(name: string): boolean;
  /** Kill everything this handle started (process groups) and remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Stop (SIGTERM, SIGKILL after 10 s; or `signal`) one kube-apiserver and wait until it is gone. */
  stopApiServer(name: string, opts?: { signal?: NodeJS.Signals }): Promise<void>;
  /** Start a stopped kube-apiserver again (same port, certs, prefix) and wait for /readyz. */
  startApiServer(name: string): Promise<void>;
  /** Starts another kube-apiserver for cluster `name` (see ApiServerReplica); stop() of the control planes stops it too. */
  startApiServerReplica(name: string): Promise<ApiServerReplica>;
  /** stopApiServer, wait `downMs` (default 0), startApiServer. Data persists (etcd keeps running). */
  restartApiServer(name: string, opts?: { downMs?: number; signal?: NodeJS.Signals }): Promise<void>;
  /** Current etcd revision (== newest resourceVersion across all clusters). */
  etcdRevision(): Promise<number>;
  /**
   * Physically compact etcd up to (a bump of) its current revision. Afterwards a
   * watch from any resourceVersion older than the newest one (or a list with
   * resourceVersionMatch=Exact) that reaches etcd gets 410 Gone ("Expired" /
   * "too old resource version"), in every cluster (they share etcd). With watchCache:true the
   * watch cache may still serve recent old versions; use watchCache:false for
   * deterministic expiry.
   */
  compactEtcd(): Promise<{ revision: number }>;
}

// ---------------------------------------------------------------------------
// process supervision

/** Runs "$@" in the background; exits with its code; kills the whole group when stdin hits EOF (parent died). */
const SUPERVISOR = `
exec 3<&0 </dev/null
"$@" 3<&- &
child=$!
( while read -r -u 3 _; do :; done; kill -KILL 0 ) &
dog=$!
exec 3<&-
trap ':' TERM INT HUP
rc=0
while :; do
  wait "$child"; rc=$?
  kill -0 "$child" 2>/dev/null || break
done
kill -KILL "$dog" 2>/dev/null
exit $rc
`;

interface Proc {
  name: string;
  child: ChildProcess;
  pgid: number;
  exited: boolean;
  exitCode: number | null;
  logPath: string;
  exitPromise: Promise<void>;
}

const liveGroups = new Set<number>();
let hooksInstalled = false;
const liveDirs = new Set<string>();

function killGroupSync(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    /* already gone */
  }
}

/**
 * True while any non-zombie process is in the group. (An orphaned member that
 * was killed stays a zombie until PID 1 reaps it, which some container inits
 * do only every few seconds; zombies hold no ports or files.)
 */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // no procfs: trust kill(0)
  }
  for (const ent of entries) {
    if (!/^\d+$/.test(ent)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${ent}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...  -- comm may contain spaces/parens
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) === pgid && f[0] !== 'Z' && f[0] !== 'X') return true;
  }
  return false;
}
const groupAlive = processGroupAlive;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = () => {
    for (const g of liveGroups) killGroupSync(g, 'SIGKILL');
    liveGroups.clear();
    for (const d of liveDirs) {
      try {
        rmSync(d, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        /* best effort */
      }
    }
    liveDirs.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      killAll();
      process.removeListener(sig, handler);
      // Re-raise only if nobody else (e.g. mocha) handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

function startProc(name: string, bin: string, args: string[], logPath: string): Proc {
  installExitHooks();
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn('bash', ['-c', SUPERVISOR, `supervise-${name}`, bin, ...args], {
      detached: true, // own process group; pgid == child.pid
      stdio: ['pipe', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`failed to spawn ${bin}`);
  const pgid = child.pid;
  liveGroups.add(pgid);
  child.unref();
  // Keep the pipe open (the supervisor's lifeline) without holding the event loop.
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  child.stdin?.on('error', () => {});
  const p: Proc = { name, child, pgid, exited: false, exitCode: null, logPath, exitPromise: Promise.resolve() };
  p.exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      p.exited = true;
      p.exitCode = code ?? (signal ? 128 : null);
      resolve();
    });
  });
  return p;
}

/** Kill a process group and wait until every member is gone. */
async function stopProc(p: Proc, sig: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  killGroupSync(p.pgid, sig);
  const deadline = Date.now() + graceMs;
  while (groupAlive(p.pgid)) {
    if (Date.now() > deadline) {
      killGroupSync(p.pgid, 'SIGKILL');
      if (Date.now() > deadline + 5_000) throw new Error(`process group ${p.pgid} (${p.name}) survived SIGKILL`);
    }
    await sleep(50);
  }
  await Promise.race([p.exitPromise, sleep(1000)]);
  liveGroups.delete(p.pgid);
  p.child.stdin?.destroy();
}

function tail(file: string, lines = 40): string {
  try {
    const all = readFileSync(file, 'utf8').trimEnd().split('\n');
    return all.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------------------
// small helpers

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.listen(0, '127.0.0.1', () => res());
      });
      ports.push((s.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

interface TlsClient {
  ca: string;
  cert: string;
  key: string;
}

function httpsRequest(
  url: string,
  tls: TlsClient,
  opts: { method?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = https.request(
      url,
      {
        method: opts.method ?? 'GET',
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        agent: false,
        timeout: opts.timeoutMs ?? 5000,
        headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {},
      },
      (res) => readResponse(res, resolve, reject),
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/** Collects a response body as text: resolves `{status, body}` when it ends. */
function readResponse(
  res: http.IncomingMessage,
  resolve: (r: { status: number; body: string }) => void,
  reject: (err: Error) => void,
): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
  res.on('error', reject);
}

function httpPost(url: string, body: unknown, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: false,
        timeout: timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => readResponse(res, resolve, reject),
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(data);
  });
}

// ---------------------------------------------------------------------------
// certificates (openssl CLI, EC P-256: fast)

const OPENSSL_CNF = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
`;

async function openssl(cwd: string, args: string[]): Promise<void> {
  try {
    await execFileP('openssl', args, { cwd, env: { ...process.env, OPENSSL_CONF: path.join(cwd, 'openssl.cnf') } });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCerts(dir: string, name: string): Promise<void> {
  writeFileSync(path.join(dir, 'openssl.cnf'), OPENSSL_CNF);
  const cnf = ['-config', 'openssl.cnf'];
  await openssl(dir, [
    'req', ...cnf, '-x509', '-new', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650',
    '-subj', `/CN=${name}-ca`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
  const leaf = (base: string, subj: string, ext: string[]) =>
    openssl(dir, [
      'req', ...cnf, '-x509', '-new', ...EC, '-keyout', `${base}.key`, '-out', `${base}.crt`, '-days', '3650',
      '-subj', subj, '-CA', 'ca.crt', '-CAkey', 'ca.key',
      '-addext', 'basicConstraints=critical,CA:FALSE',
      '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
      ...ext.flatMap((e) => ['-addext', e]),
    ]);
  await Promise.all([
    leaf('serving', '/CN=kube-apiserver', [
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
    ]),
    leaf('admin', '/O=system:masters/CN=admin', ['extendedKeyUsage=clientAuth']),
  ]);
  const sa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(path.join(dir, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(path.join(dir, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
}

// ---------------------------------------------------------------------------
// kubeconfig

interface KcEntry {
  name: string;
  url: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

function kubeconfigYaml(entries: KcEntry[]): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': entries[0]?.name,
    clusters: entries.map((e) => ({
      name: e.name,
      cluster: { server: e.url, 'certificate-authority-data': b64(e.caPem) },
    })),
    users: entries.map((e) => ({
      name: e.name,
      user: { 'client-certificate-data': b64(e.certPem), 'client-key-data': b64(e.keyPem) },
    })),
    contexts: entries.map((e) => ({ name: e.name, context: { cluster: e.name, user: e.name } })),
  });
}

// ---------------------------------------------------------------------------

interface ApiServerState {
  handle: ClusterHandle;
  args: string[];
  proc?: Proc;
  tls: TlsClient;
}

export async function startControlPlanes(opts: ControlPlaneOptions = {}): Promise<ControlPlanes> {
  const t0 = Date.now();
  const n = opts.clusters ?? 2;
  if (!Number.isInteger(n) || n < 1) throw new Error(`clusters must be a positive integer, got ${n}`);
  const log = opts.log ?? (() => {});
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const tools = await ensureK8sTools();

  installExitHooks();
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'amko-k8s-'));
  mkdirSync(dir, { recursive: true });
  if (ownDir) liveDirs.add(dir);

  const servers: ApiServerState[] = [];
  const replicas: Proc[] = [];
  let etcd: Proc | undefined;
  let stopped = false;

  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    const all = [...servers.map((s) => s.proc).filter((p): p is Proc => !!p), ...replicas, ...(etcd ? [etcd] : [])];
    // Nothing to persist: SIGKILL is fastest and equally clean for throwaway clusters.
    await Promise.all(all.map((p) => stopProc(p, 'SIGKILL', 5_000)));
    if (ownDir) {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
      liveDirs.delete(dir);
    }
  };

  try {
    // ports: etcd client, etcd peer, one per apiserver
    const [etcdPort, peerPort, ...apiPorts] = await freePorts(2 + n);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;

    // etcd
    const etcdDir = path.join(dir, 'etcd');
    mkdirSync(etcdDir, { recursive: true });
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    etcd = startProc('etcd', tools.etcd, [
      '--name=default',
      `--data-dir=${path.join(etcdDir, 'data')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      '--initial-cluster-state=new',
      '--unsafe-no-fsync',
      '--log-level=warn',
      '--quota-backend-bytes=4294967296',
    ], path.join(etcdDir, 'etcd.log'));

    // certs for every cluster while etcd starts
    const clusterDirs = Array.from({ length: n }, (_, i) => path.join(dir, `cluster${i + 1}`));
    await Promise.all(
      clusterDirs.map(async (d, i) => {
        mkdirSync(d, { recursive: true });
        await makeCerts(d, `cluster${i + 1}`);
      }),
    );

    const etcdProc = etcd;
    await waitFor(`etcd (${etcdUrl})`, etcdProc, timeoutMs, async () => {
      const r = await httpGetPlain(`${etcdUrl}/health`);
      return r.status === 200 && r.body.includes('"true"');
    });
    log(`etcd ready at ${etcdUrl} after ${Date.now() - t0} ms`);

    const entries: KcEntry[] = [];
    for (let i = 0; i < n; i++) {
      const name = `cluster${i + 1}`;
      const d = clusterDirs[i]!;
      const port = apiPorts[i]!;
      const url = `https://127.0.0.1:${port}`;
      const f = (x: string) => path.join(d, x);
      const caPem = readFileSync(f('ca.crt'), 'utf8');
      const certPem = readFileSync(f('admin.crt'), 'utf8');
      const keyPem = readFileSync(f('admin.key'), 'utf8');
      const entry = { name, url, caPem, certPem, keyPem };
      entries.push(entry);
      const kubeconfigPath = f('kubeconfig.yaml');
      writeFileSync(kubeconfigPath, kubeconfigYaml([entry]), { mode: 0o600 });
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(kubeconfigPath);
      kubeConfig.setCurrentContext(name);
      mkdirSync(f('cert-dir'), { recursive: true });
      const args = [
        `--etcd-servers=${etcdUrl}`,
        `--etcd-prefix=/${name}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--cert-dir=${f('cert-dir')}`,
        `--tls-cert-file=${f('serving.crt')}`,
        `--tls-private-key-file=${f('serving.key')}`,
        `--client-ca-file=${f('ca.crt')}`,
        '--authorization-mode=RBAC',
        `--service-account-key-file=${f('sa.pub')}`,
        `--service-account-signing-key-file=${f('sa.key')}`,
        `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
        '--service-cluster-ip-range=10.96.0.0/16',
        // No controller-manager creates the "default" ServiceAccount, so the
        // ServiceAccount admission plugin would reject every Pod. Webhook
        // admission plugins stay enabled (they are on by default).
        '--disable-admission-plugins=ServiceAccount',
        '--allow-privileged=true',
        // The "kubernetes" Service endpoints would point at 127.0.0.1 (invalid).
        '--endpoint-reconciler-type=none',
        // Webhooks/APIServices referenced by Service are dialed at an endpoint
        // IP (from EndpointSlices) instead of the ClusterIP, which nothing routes.
        '--enable-aggregator-routing=true',
        '--enable-priority-and-fairness=false',
        `--watch-cache=${opts.watchCache === false ? 'false' : 'true'}`,
        '--profiling=false',
        '--v=0',
        ...(opts.extraApiServerArgs ?? []),
      ];
      servers.push({
        handle: {
          name,
          url,
          port,
          kubeconfigPath,
          caPem,
          clientCertPem: certPem,
          clientKeyPem: keyPem,
          kubeConfig,
          etcdPrefix: `/${name}`,
          dir: d,
          logPath: f('kube-apiserver.log'),
        },
        args,
        tls: { ca: caPem, cert: certPem, key: keyPem },
      });
    }
    const kubeconfigPath = path.join(dir, 'kubeconfig.yaml');
    writeFileSync(kubeconfigPath, kubeconfigYaml(entries), { mode: 0o600 });

    const byName = (name: string): ApiServerState => {
      const s = servers.find((x) => x.handle.name === name);
      if (!s) throw new Error(`no cluster named ${name} (have ${servers.map((x) => x.handle.name).join(', ')})`);
      return s;
    };

    const startOne = async (s: ApiServerState): Promise<void> => {
      if (stopped) throw new Error('control planes were stopped');
      if (s.proc && !s.proc.exited) throw new Error(`${s.handle.name} kube-apiserver is already running`);
      const ts = Date.now();
      s.proc = startProc(s.handle.name, tools.kubeApiserver, s.args, s.handle.logPath);
      const proc = s.proc;
      await waitFor(`${s.handle.name} kube-apiserver (${s.handle.url})`, proc, timeoutMs, async () => {
        const r = await httpsRequest(`${s.handle.url}/readyz`, s.tls, { timeoutMs: 2000 });
        return r.status === 200;
      });
      log(`${s.handle.name} ready at ${s.handle.url} in ${Date.now() - ts} ms`);
    };

    const ensureNamespaces = async (s: ApiServerState): Promise<void> => {
      // "default" is created by the bootstrap controller shortly after /readyz.
      await waitFor(`${s.handle.name} namespace default`, s.proc!, timeoutMs, async () => {
        const r = await httpsRequest(`${s.handle.url}/api/v1/namespaces/default`, s.tls);
        return r.status === 200;
      });
      for (const ns of opts.namespaces ?? ['avi-system']) {
        const r = await httpsRequest(`${s.handle.url}/api/v1/namespaces`, s.tls, {
          method: 'POST',
          body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
        });
        if (r.status !== 201 && r.status !== 409) {
          throw new Error(`${s.handle.name}: creating namespace ${ns} failed: HTTP ${r.status} ${r.body}`);
        }
      }
    };

    await Promise.all(servers.map(async (s) => {
      await startOne(s);
      await ensureNamespaces(s);
    }));

    const handle: ControlPlanes = {
      dir,
      kubeconfigPath,
      etcdUrl,
      clusters: servers.map((s) => s.handle),
      tools,
      startupMs: Date.now() - t0,
      cluster: (name) => byName(name).handle,
      isApiServerRunning: (name) => {
        const p = byName(name).proc;
        return !!p && !p.exited;
      },
      processGroups: () =>
        [etcd, ...servers.map((s) => s.proc), ...replicas].filter((p): p is Proc => !!p && !p.exited).map((p) => p.pgid),
      stop: stopAll,
      async stopApiServer(name, o = {}) {
        const s = byName(name);
        if (!s.proc || s.proc.exited) {
          if (s.proc) liveGroups.delete(s.proc.pgid);
          return;
        }
        await stopProc(s.proc, o.signal ?? 'SIGTERM');
      },
      async startApiServer(name) {
        await startOne(byName(name));
      },
      async startApiServerReplica(name) {
        if (stopped) throw new Error('control planes were stopped');
        const s = byName(name);
        const [port] = await freePorts(1);
        const url = `https://127.0.0.1:${port}`;
        const d = path.join(s.handle.dir, `replica-${port}`);
        mkdirSync(path.join(d, 'cert-dir'), { recursive: true });
        const args = s.args.map((a) =>
          a.startsWith('--secure-port=') ? `--secure-port=${port}` : a.startsWith('--cert-dir=') ? `--cert-dir=${path.join(d, 'cert-dir')}` : a,
        );
        const logPath = path.join(d, 'kube-apiserver.log');
        const proc = startProc(`${name}-replica-${port}`, tools.kubeApiserver, args, logPath);
        replicas.push(proc);
        await waitFor(`${name} kube-apiserver replica (${url})`, proc, timeoutMs, async () => (await httpsRequest(`${url}/readyz`, s.tls, { timeoutMs: 2000 })).status === 200);
        const kubeconfigPath = path.join(d, 'kubeconfig.yaml');
        writeFileSync(kubeconfigPath, kubeconfigYaml([{ name, url, caPem: s.tls.ca, certPem: s.tls.cert, keyPem: s.tls.key }]), { mode: 0o600 });
        const kubeConfig = new KubeConfig();
        kubeConfig.loadFromFile(kubeconfigPath);
        kubeConfig.setCurrentContext(name);
        log(`${name} replica ready at ${url}`);
        return {
          name,
          url,
          port: port!,
          kubeconfigPath,
          kubeConfig,
          logPath,
          signal: (sig) => {
            if (!proc.exited) killGroupSync(proc.pgid, sig);
          },
          async stop() {
            if (proc.exited) return;
            killGroupSync(proc.pgid, 'SIGCONT');
            await stopProc(proc, 'SIGKILL', 5_000);
          },
        };
      },
      async restartApiServer(name, o = {}) {
        await handle.stopApiServer(name, { signal: o.signal });
        if (o.downMs) await sleep(o.downMs);
        await handle.startApiServer(name);
      },
      async etcdRevision() {
        const r = await httpPost(`${etcdUrl}/v3/kv/range`, { key: Buffer.from('/').toString('base64') });
        if (r.status !== 200) throw new Error(`etcd range failed: HTTP ${r.status} ${r.body}`);
        return Number((JSON.parse(r.body) as { header: { revision: string } }).header.revision);
      },
      async compactEtcd() {
        // Bump the revision with a write outside every cluster prefix first:
        // compacting exactly at the newest object's revision would leave a
        // watch from the previous resourceVersion starting *at* the compacted
        // revision, which etcd serves without PrevKv (kube-apiserver then
        // answers 500, not 410).
        const put = await httpPost(`${etcdUrl}/v3/kv/put`, {
          key: Buffer.from('/amko-harness/compaction-marker').toString('base64'),
          value: Buffer.from(String(Date.now())).toString('base64'),
        });
        if (put.status !== 200) throw new Error(`etcd put failed: HTTP ${put.status} ${put.body}`);
        const revision = Number((JSON.parse(put.body) as { header: { revision: string } }).header.revision);
        const r = await httpPost(`${etcdUrl}/v3/kv/compaction`, { revision: String(revision), physical: true }, 30_000);
        if (r.status !== 200 && !/compacted/.test(r.body)) {
          throw new Error(`etcd compaction to ${revision} failed: HTTP ${r.status} ${r.body}`);
        }
        return { revision };
      },
    };
    log(`${n} control plane(s) ready in ${handle.startupMs} ms (${dir})`);
    return handle;
  } catch (e) {
    await stopAll().catch(() => {});
    throw e;
  }
}

function httpGetPlain(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Poll `check` until true; fail fast (with the log tail) if the process exits, or on timeout. */
async function waitFor(what: string, proc: Proc, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  for (let delay = 20; ; delay = Math.min(delay * 2, 100)) {
    if (proc.exited) {
      throw new Error(`${what} exited (code ${proc.exitCode}) before becoming ready; log tail (${proc.logPath}):\n${tail(proc.logPath)}`);
    }
    try {
      if (await check()) return;
      lastErr = 'not ready';
    } catch (e) {
      lastErr = (e as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not ready after ${timeoutMs} ms (${lastErr}); log tail (${proc.logPath}):\n${tail(proc.logPath)}`);
    }
    await sleep(delay);
  }
}

/** True when a kube-apiserver/etcd group started by this module is still alive (for tests). */
export function liveProcessGroups(): number[] {
  return [...liveGroups].filter(groupAlive);
}

/**
 * Raw HTTPS request to a cluster as admin (client cert). `body` is sent as
 * JSON; `json` is the parsed response (undefined if not JSON). Never throws on
 * HTTP errors; throws on connection errors.
 */
export async function clusterRequest(
  cluster: Pick<ClusterHandle, 'url' | 'caPem' | 'clientCertPem' | 'clientKeyPem'>,
  method: string,
  urlPath: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<{ status: number; body: string; json: unknown }> {
  const r = await httpsRequest(
    cluster.url + urlPath,
    { ca: cluster.caPem, cert: cluster.clientCertPem, key: cluster.clientKeyPem },
    { method, body, timeoutMs },
  );
  let json: unknown;
  try {
    json = JSON.parse(r.body);
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

/**
 * A fresh CA plus a serving cert for a local HTTPS server (e.g. a webhook at
 * https://127.0.0.1:PORT). Use `caPem` (base64) as the webhook caBundle.
 * Default hosts: 127.0.0.1, localhost. IPs and DNS names may be mixed.
 */
export async function createServingCert(hosts: string[] = ['127.0.0.1', 'localhost']): Promise<{
  caPem: string;
  certPem: string;
  keyPem: string;
}> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amko-cert-'));
  try {
    writeFileSync(path.join(dir, 'openssl.cnf'), OPENSSL_CNF);
    const cnf = ['-config', 'openssl.cnf'];
    await openssl(dir, [
      'req', ...cnf, '-x509', '-new', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650',
      '-subj', '/CN=amko-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ]);
    const san = hosts.map((h) => (net.isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    await openssl(dir, [
      'req', ...cnf, '-x509', '-new', ...EC, '-keyout', 'tls.key', '-out', 'tls.crt', '-days', '3650',
      '-subj', `/CN=${hosts[0] ?? 'localhost'}`, '-CA', 'ca.crt', '-CAkey', 'ca.key',
      '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
      '-addext', 'extendedKeyUsage=serverAuth', '-addext', `subjectAltName=${san}`,
    ]);
    const rd = (f: string) => readFileSync(path.join(dir, f), 'utf8');
    return { caPem: rd('ca.crt'), certPem: rd('tls.crt'), keyPem: rd('tls.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** First non-internal IPv4 address of this machine (undefined if none). */
export function hostIPv4(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/**
 * Make Service `namespace/name` (port `port`) route to a server running on
 * this machine at `hostPort`, for webhooks (or APIServices) configured with
 * `clientConfig.service` — e.g. the ones the Helm chart installs. Works because
 * the API servers run with --enable-aggregator-routing (they dial an
 * EndpointSlice address instead of the ClusterIP). EndpointSlices may not hold
 * loopback addresses, so the address is the machine's non-loopback IPv4
 * (`ip`, default hostIPv4()) and the server must listen on it or on 0.0.0.0,
 * with a cert whose SANs include `<name>.<namespace>.svc`.
 * Creates the Service if missing (keeps an existing one, e.g. from the chart)
 * and creates or replaces the EndpointSlice `<name>-harness`.
 */
export async function routeServiceToHost(
  cluster: Pick<ClusterHandle, 'url' | 'caPem' | 'clientCertPem' | 'clientKeyPem'>,
  opts: { namespace: string; name: string; port?: number; hostPort: number; ip?: string; portName?: string },
): Promise<{ ip: string }> {
  const ip = opts.ip ?? hostIPv4();
  if (!ip) throw new Error('routeServiceToHost: this machine has no non-loopback IPv4 address');
  const port = opts.port ?? 443;
  const portName = opts.portName ?? 'https';
  const ns = encodeURIComponent(opts.namespace);
  const svc = await clusterRequest(cluster, 'GET', `/api/v1/namespaces/${ns}/services/${encodeURIComponent(opts.name)}`);
  let targetPortName = portName;
  if (svc.status === 404) {
    const r = await clusterRequest(cluster, 'POST', `/api/v1/namespaces/${ns}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: opts.name },
      spec: { ports: [{ name: portName, port, targetPort: opts.hostPort, protocol: 'TCP' }] },
    });
    if (r.status !== 201) throw new Error(`creating Service ${opts.namespace}/${opts.name}: HTTP ${r.status} ${r.body}`);
  } else if (svc.status === 200) {
    // The resolver matches the Service port to the EndpointSlice port by name.
    const ports = (svc.json as { spec: { ports?: { name?: string; port: number }[] } }).spec.ports ?? [];
    targetPortName = ports.find((p) => p.port === port)?.name ?? '';
  } else {
    throw new Error(`reading Service ${opts.namespace}/${opts.name}: HTTP ${svc.status} ${svc.body}`);
  }
  const sliceName = `${opts.name}-harness`;
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: sliceName, labels: { 'kubernetes.io/service-name': opts.name, 'endpointslice.kubernetes.io/managed-by': 'amko-test-harness' } },
    addressType: 'IPv4',
    ports: [{ name: targetPortName, port: opts.hostPort, protocol: 'TCP' }],
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
  };
  const base = `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`;
  await clusterRequest(cluster, 'DELETE', `${base}/${sliceName}`);
  const r = await clusterRequest(cluster, 'POST', base, slice);
  if (r.status !== 201) throw new Error(`creating EndpointSlice ${opts.namespace}/${sliceName}: HTTP ${r.status} ${r.body}`);
  return { ip };
}
