// Runs the first container of a rendered Deployment's pod template with podman, the way the
// kubelet would run it: the container's image, args and env (fieldRef/resourceFieldRef resolved),
// runAsUser/runAsGroup/fsGroup, a read-only root with exactly the pod's volumes (emptyDir as
// tmpfs of its sizeLimit, Secret and ConfigMap volumes as files read from the live cluster at the
// same paths), the service-account token mount, dropped capabilities, no privilege escalation,
// the memory and CPU limits, and the termination grace period on stop. What a kubelet adds that
// cannot exist here is substituted and said so: the pod IP is this machine's address (host
// network), and KUBERNETES_SERVICE_HOST/PORT name the API server directly (no ClusterIP routing).
// A container or volume setting that this runner does not translate fails the test (scheduling
// fields such as affinity do not apply to one container).
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ClusterHandle } from '../harness/control-plane.js';
import { kubectlOk } from '../harness/kubectl.js';
import { REPO_ROOT } from '../harness/tools.js';

const execFileP = promisify(execFile);
export const IMAGE_SH = path.join(REPO_ROOT, 'scripts', 'image.sh');
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `bash scripts/image.sh podman ...args` (this machine's runtime flags); throws on failure. */
export async function podman(args: string[]): Promise<string> {
  try {
    return (await execFileP('bash', [IMAGE_SH, 'podman', ...args], { maxBuffer: 16 << 20 })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`podman ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
  }
}

/** Kubernetes quantity (`64Mi`, `500m`, `1`, `1G`) as a number of units (bytes, cores). */
export function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) throw new Error(`unsupported quantity ${q}`);
  const mult: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  return Number(m[1]) * mult[m[2] ?? '']!;
}

export interface PodContext {
  /** The pod's namespace (the release namespace). */
  namespace: string;
  /** metadata.name of the pod (the kubelet's hostname too). */
  podName: string;
  /** The pod IP: this machine's address (host network). */
  ip: string;
  /** The cluster the pod runs in: Secrets/ConfigMaps/tokens come from here, the API server is reached here. */
  cluster: ClusterHandle;
  kubeconfig: string;
  context: string;
}

export interface ProbeResult {
  status: number;
  body: string;
}

/** The kubelet's httpGet success range. */
export const probeOk = (r: ProbeResult): boolean => r.status >= 200 && r.status < 400;

export interface PodRun {
  /** podman container name. */
  name: string;
  container: Obj;
  /** Every output line so far (the server logs pino JSON to stdout). */
  lines: string[];
  /** Parsed JSON log records so far. */
  logs: Obj[];
  logTail(n?: number): string;
  /** One kubelet probe of `kind` (httpGet, as the kubelet does it: no certificate check): the HTTP status (0: no answer) and body. */
  probe(kind: 'startupProbe' | 'readinessProbe' | 'livenessProbe'): Promise<ProbeResult>;
  /** `podman stop` with the pod's terminationGracePeriodSeconds: exit code, OOM kill, and how long the stop took. */
  stop(): Promise<{ exitCode: number; oomKilled: boolean; ms: number }>;
  /** Remove the container and the files made for its volumes. Idempotent. */
  remove(): Promise<void>;
}

/** The podman flags for the pod's first container, and the host folders made for its volumes. */
export async function podmanRunArgs(deployment: Obj, ctx: PodContext, dir: string): Promise<{ args: string[]; container: Obj }> {
  const pod = deployment.spec.template.spec as Obj;
  assert.equal(pod.containers.length, 1, 'one container');
  assert.equal(pod.initContainers, undefined, 'no init containers');
  const c = pod.containers[0] as Obj;
  const psc = (pod.securityContext ?? {}) as Obj;
  const csc = (c.securityContext ?? {}) as Obj;
  const sc = { ...psc, ...csc };
  const args: string[] = ['--pull=never', `--hostname=${ctx.podName}`];

  // Identity and privileges.
  assert.ok(Number.isInteger(sc.runAsUser), 'runAsUser is set');
  if (sc.runAsNonRoot) assert.notEqual(sc.runAsUser, 0, 'runAsNonRoot with uid 0');
  args.push(`--user=${sc.runAsUser}:${sc.runAsGroup ?? 0}`);
  if (psc.fsGroup !== undefined) args.push(`--group-add=${psc.fsGroup}`);
  if (sc.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false');
  for (const cap of sc.capabilities?.drop ?? []) args.push(`--cap-drop=${cap}`);
  for (const cap of sc.capabilities?.add ?? []) args.push(`--cap-add=${cap}`);
  if (sc.allowPrivilegeEscalation === false) args.push('--security-opt=no-new-privileges');
  assert.notEqual(sc.privileged, true, 'privileged containers are not run');
  if (sc.seccompProfile) assert.equal(sc.seccompProfile.type, 'RuntimeDefault', 'seccomp: podman applies its default profile');

  // Resources: limits are enforced (requests only schedule).
  const limits = (c.resources?.limits ?? {}) as Obj;
  if (limits.memory) args.push(`--memory=${Math.round(quantity(limits.memory))}b`);
  if (limits.cpu) args.push(`--cpus=${quantity(limits.cpu)}`);

  // Environment: what the kubelet injects, then the container's env in order.
  const env: [string, string][] = [
    ['KUBERNETES_SERVICE_HOST', new URL(ctx.cluster.url).hostname],
    ['KUBERNETES_SERVICE_PORT', String(ctx.cluster.port)],
  ];
  for (const e of (c.env ?? []) as Obj[]) {
    if ('value' in e) env.push([e.name, String(e.value)]);
    else if (e.valueFrom?.fieldRef) {
      const field = e.valueFrom.fieldRef.fieldPath as string;
      const v = { 'metadata.name': ctx.podName, 'metadata.namespace': ctx.namespace, 'status.podIP': ctx.ip }[field];
      assert.ok(v !== undefined, `env ${e.name}: fieldRef ${field} is not translated`);
      env.push([e.name, v]);
    } else if (e.valueFrom?.resourceFieldRef) {
      const { resource, divisor } = e.valueFrom.resourceFieldRef as Obj;
      const [kind, res] = String(resource).split('.');
      const v = (c.resources?.[kind!] ?? {})[res!];
      assert.ok(v !== undefined, `env ${e.name}: ${resource} is not set`);
      env.push([e.name, String(Math.ceil(quantity(v) / quantity(divisor ?? 1)))]);
    } else {
      assert.fail(`env ${e.name}: ${JSON.stringify(e.valueFrom)} is not translated`);
    }
  }
  for (const [k, v] of env) args.push(`--env=${k}=${v}`);
  assert.equal(c.envFrom, undefined, 'envFrom is not translated');

  // Volumes, at the container's mount paths.
  const volumes = new Map(((pod.volumes ?? []) as Obj[]).map((v) => [v.name as string, v]));
  const files = async (name: string, kind: 'secret' | 'configmap', objName: string, optional: boolean, items?: Obj[], mode = 0o644) => {
    const host = path.join(dir, 'volumes', name);
    mkdirSync(host, { recursive: true, mode: 0o755 });
    chmodSync(host, 0o755);
    const r = await kubectlOk(['get', kind, objName, '-n', ctx.namespace, '-o', 'json', '--ignore-not-found'], { kubeconfig: ctx.kubeconfig, context: ctx.context });
    if (!r.trim()) {
      assert.ok(optional, `${kind} ${objName} is missing and not optional`);
      return host;
    }
    const obj = JSON.parse(r) as Obj;
    const data: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) data[k] = kind === 'secret' ? Buffer.from(v, 'base64') : Buffer.from(v);
    for (const [k, v] of Object.entries((obj.binaryData ?? {}) as Record<string, string>)) data[k] = Buffer.from(v, 'base64');
    const wanted: Obj[] = items ?? Object.keys(data).map((key) => ({ key, path: key }));
    for (const it of wanted) {
      if (!(it.key in data)) {
        assert.ok(optional, `${kind} ${objName} has no key ${it.key}`);
        continue;
      }
      const f = path.join(host, it.path);
      mkdirSync(path.dirname(f), { recursive: true, mode: 0o755 });
      writeFileSync(f, data[it.key]!, { mode: it.mode ?? mode });
      if (psc.fsGroup !== undefined) chownSync(f, 0, psc.fsGroup);
    }
    return host;
  };
  for (const m of (c.volumeMounts ?? []) as Obj[]) {
    const v = volumes.get(m.name);
    assert.ok(v, `volumeMount ${m.name} has a volume`);
    assert.equal(m.subPath, undefined, 'subPath mounts are not translated');
    if (v.emptyDir) {
      assert.notEqual(v.emptyDir.medium, 'Memory', 'emptyDir medium Memory is not translated');
      const size = v.emptyDir.sizeLimit ? `,size=${Math.round(quantity(v.emptyDir.sizeLimit))}` : '';
      args.push(`--tmpfs=${m.mountPath}:rw${size},mode=0777`);
    } else if (v.secret || v.configMap) {
      const src = v.secret
        ? await files(v.name, 'secret', v.secret.secretName, v.secret.optional === true, v.secret.items, v.secret.defaultMode)
        : await files(v.name, 'configmap', v.configMap.name, v.configMap.optional === true, v.configMap.items, v.configMap.defaultMode);
      args.push(`--mount=type=bind,src=${src},dst=${m.mountPath},${m.readOnly ? 'ro' : 'rw'}`);
    } else {
      assert.fail(`volume ${v.name}: ${Object.keys(v).filter((k) => k !== 'name').join(',')} is not translated`);
    }
  }

  // The service-account token mount (the kubelet's projected volume), from a TokenRequest.
  if (pod.automountServiceAccountToken !== false) {
    const sa = (pod.serviceAccountName as string | undefined) ?? 'default';
    const token = (await kubectlOk(['create', 'token', sa, '-n', ctx.namespace, '--duration=2h'], { kubeconfig: ctx.kubeconfig, context: ctx.context })).trim();
    const host = path.join(dir, 'serviceaccount');
    mkdirSync(host, { recursive: true, mode: 0o755 });
    writeFileSync(path.join(host, 'token'), token, { mode: 0o644 });
    writeFileSync(path.join(host, 'ca.crt'), ctx.cluster.caPem, { mode: 0o644 });
    writeFileSync(path.join(host, 'namespace'), ctx.namespace, { mode: 0o644 });
    args.push(`--mount=type=bind,src=${host},dst=/var/run/secrets/kubernetes.io/serviceaccount,ro`);
  }

  if (c.command) args.push(`--entrypoint=${JSON.stringify(c.command)}`);
  args.push(c.image as string, ...((c.args ?? []) as string[]));
  return { args, container: c };
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  // Closing the supervisors' stdin makes them remove their containers.
  for (const p of live) p.stdin?.destroy();
});

/**
 * A shell that runs `image.sh run ...` and removes the container when its stdin closes, so a
 * test process that dies (even by SIGKILL) leaves no container behind.
 */
const SUPERVISOR = `
sh=$1; name=$2; shift 2
bash "$sh" run --name "$name" "$@" </dev/null &
run=$!
while read -r _; do :; done
bash "$sh" podman rm -f -t 0 "$name" >/dev/null 2>&1
wait "$run"
`;

/** Starts the pod's container and resolves once podman has created it. */
export async function runPod(deployment: Obj, ctx: PodContext): Promise<PodRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amko-pod-'));
  chmodSync(dir, 0o755);
  const { args, container } = await podmanRunArgs(deployment, ctx, dir);
  const name = `amko-e2e-${process.pid}-${Date.now().toString(36)}`;
  const child = spawn('bash', ['-c', SUPERVISOR, 'pod-supervisor', IMAGE_SH, name, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdin.on('error', () => {});
  live.add(child);
  const lines: string[] = [];
  const logs: Obj[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        try {
          logs.push(JSON.parse(line) as Obj);
        } catch {
          /* not a log record (podman's own messages) */
        }
      }
    });
  }
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const logTail = (n = 30) => lines.slice(-n).join('\n');
  // Wait until the container exists (podman prints nothing on success).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const out = await podman(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.State}}']).catch(() => '');
    if (out.trim()) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`container ${name} was not created:\n${logTail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const ports = new Map(((container.ports ?? []) as Obj[]).map((p) => [p.name as string, p.containerPort as number]));
  let removed = false;
  return {
    name,
    container,
    lines,
    logs,
    logTail,
    probe(kind) {
      const p = container[kind] as Obj | undefined;
      assert.ok(p?.httpGet, `${kind} is an httpGet probe`);
      const port = typeof p.httpGet.port === 'number' ? p.httpGet.port : ports.get(p.httpGet.port);
      assert.ok(port, `${kind} port ${p.httpGet.port} is a container port`);
      const scheme = String(p.httpGet.scheme ?? 'HTTP').toLowerCase();
      assert.equal(scheme, 'https', `${kind} scheme`);
      return new Promise<ProbeResult>((resolve) => {
        const req = https.request(
          { host: p.httpGet.host ?? ctx.ip, port, path: p.httpGet.path, method: 'GET', rejectUnauthorized: false, agent: false, timeout: (p.timeoutSeconds ?? 1) * 1000, headers: { 'user-agent': 'kube-probe/1.36', accept: '*/*' } },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', (e) => resolve({ status: 0, body: e.message }));
        req.end();
      });
    },
    async stop() {
      const grace = (deployment.spec.template.spec.terminationGracePeriodSeconds as number | undefined) ?? 30;
      const t0 = Date.now();
      await podman(['stop', '-t', String(grace), name]);
      const ms = Date.now() - t0;
      const [exitCode, oom] = (await podman(['inspect', '--format', '{{.State.ExitCode}} {{.State.OOMKilled}}', name])).trim().split(' ');
      return { exitCode: Number(exitCode), oomKilled: oom === 'true', ms };
    },
    async remove() {
      if (removed) return;
      removed = true;
      child.stdin.end();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 30_000))]);
      live.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Probe a PodRun the way the kubelet does for `kind`: initialDelaySeconds, then every periodSeconds until success. Returns the attempts it took; fails after failureThreshold failures. */
export async function probeUntilSuccess(pod: PodRun, kind: 'startupProbe' | 'readinessProbe' | 'livenessProbe', maxFailures?: number): Promise<number> {
  const p = pod.container[kind] as Obj;
  const threshold = maxFailures ?? (p.failureThreshold as number | undefined) ?? 3;
  await new Promise((r) => setTimeout(r, (p.initialDelaySeconds ?? 0) * 1000));
  for (let attempt = 1; ; attempt++) {
    const r = await pod.probe(kind);
    if (probeOk(r)) return attempt;
    if (attempt >= threshold) throw new Error(`${kind} failed ${attempt} times (last: ${r.status} ${r.body}):\n${pod.logTail()}`);
    await new Promise((r) => setTimeout(r, (p.periodSeconds ?? 10) * 1000));
  }
}
