// `npm run demo` as a user runs it: once non-interactively (--once), once
// interactively, where the printed kubectl and curl commands are run against it
// and a Ctrl-C (SIGINT to its process group, as a terminal sends it) ends it.
// Each run gets its own TMPDIR; every process that ever ran under it is
// recorded from /proc, and after it exits none of them, none of their process
// groups and none of its temp folders may be left.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { processGroupAlive } from '../harness/control-plane.js';
import { ensureK8sTools, REPO_ROOT } from '../harness/tools.js';
import { invalidOutput } from '../e2e/support/manifests.js';
import { ProcessTreeRecorder, stillRunning } from './process-tree.js';

const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Start-up on a busy 2-core machine (several test runs and Go builds at once) has taken 90 s; a fresh clone also installs packages. */
const READY_TIMEOUT_MS = 300_000;
/** tsx keeps its compile cache in TMPDIR (tsx-<uid>); that is the only entry a run may leave there. */
const TSX_CACHE = /^tsx-\d+$/;

const notMember = (c: string) => `Not found: "${c}": must be a member cluster of GSLBConfig amko-gc: "cluster1-admin", "cluster2-admin"`;
const REJECTION =
  '$ kubectl apply -f scripts/demo/manifests/gdp-invalid.yaml\n' +
  invalidOutput('GlobalDeploymentPolicy', 'global-gdp', [
    `spec.matchClusters[1].cluster: ${notMember('cluster3-admin')}`,
    `spec.trafficSplit[1].cluster: ${notMember('cluster3-admin')}`,
  ]);
/** The simulator's GslbService as the demo prints it, with these `ip ratio` members (in order). */
const gsTable = (members: Array<[string, number]>) =>
  '  GSLBSERVICE                PRIORITY  ALGORITHM    MEMBER      RATIO\n' +
  members
    .map(([ip, ratio], i) => (i === 0 ? '  web.gslb-demo.example.com  10        ROUND_ROBIN  ' : ' '.repeat(52)) + `${ip}  ${ratio}`)
    .join('\n') +
  '\n  HEALTH MONITOR';

class DemoRun {
  readonly tmp = mkdtempSync(path.join(os.tmpdir(), 'amko-demo-test-'));
  /** Every entry that appeared in TMPDIR while the demo ran. */
  readonly tmpSeen = new Set<string>();
  readonly child: ChildProcess;
  readonly recorder: ProcessTreeRecorder;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = '';
  stderr = '';
  private readonly tmpTimer: NodeJS.Timeout;

  constructor(args: string[], binDir: string) {
    this.child = spawn('npm', ['run', 'demo', ...(args.length ? ['--', ...args] : [])], {
      cwd: REPO_ROOT,
      detached: true, // its own process group, like a job in a terminal
      stdio: ['ignore', 'pipe', 'pipe'],
      // The built kubectl first on PATH, so the printed `kubectl ...` lines run it.
      env: { ...process.env, TMPDIR: this.tmp, PATH: `${binDir}:${process.env.PATH ?? ''}` },
    });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    this.recorder = new ProcessTreeRecorder(this.child.pid!).start();
    this.tmpTimer = setInterval(() => this.noteTmp(), 100);
    void this.exited.then(() => {
      this.recorder.stop();
      clearInterval(this.tmpTimer);
    });
  }

  private noteTmp(): void {
    for (const e of readdirSync(this.tmp)) this.tmpSeen.add(e);
  }

  get output(): string {
    return `--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`;
  }

  /** Resolves once stdout (from `from` on) contains `text`; fails if the demo exits first. */
  async waitForOutput(text: string | RegExp, timeoutMs: number, from = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let gone = false;
    void this.exited.then(() => (gone = true));
    for (;;) {
      const s = this.stdout.slice(from);
      if (typeof text === 'string' ? s.includes(text) : text.test(s)) return;
      if (gone) throw new Error(`the demo exited before printing ${String(text)}\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`no ${String(text)} after ${timeoutMs} ms\n${this.output}`);
      await sleep(200);
    }
  }

  async waitForExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`demo still running after ${timeoutMs} ms\n${this.output}`)), timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Asserts nothing the demo started is left: no process (pid + start time), no process group, no temp folder. */
  assertNothingLeft(): void {
    this.recorder.poll();
    const procs = this.recorder.processes();
    // The record must hold what the demo runs, or the checks below prove nothing.
    const comms = procs.map((p) => p.comm);
    assert.ok(comms.includes('etcd'), `no etcd seen: ${comms.join(' ')}`);
    assert.equal(procs.filter((p) => p.comm === 'kube-apiserver').length, 2, `kube-apiservers seen: ${comms.join(' ')}`);
    assert.ok(procs.some((p) => /src\/cli\.ts serve/.test(p.cmdline)), 'no `amko serve` process seen');
    assert.ok(this.recorder.groups().length >= 5, `process groups seen: ${this.recorder.groups().join(' ')}`);
    const alive = procs.filter(stillRunning).map((p) => `${p.pid} ${p.comm} (${p.cmdline.slice(0, 80)})`);
    assert.deepEqual(alive, [], 'processes left running');
    assert.deepEqual(this.recorder.groups().filter(processGroupAlive), [], 'process groups left with members');
    const seen = [...this.tmpSeen];
    assert.ok(seen.some((e) => e.startsWith('amko-demo-')) && seen.some((e) => e.startsWith('amko-k8s-')), `temp folders seen: ${seen.join(' ')}`);
    assert.deepEqual(readdirSync(this.tmp).filter((e) => !TSX_CACHE.test(e)), [], 'temp folders left');
  }

  /** After a failure: kill whatever is left, remove the TMPDIR. */
  async cleanUp(): Promise<void> {
    this.recorder.stop();
    clearInterval(this.tmpTimer);
    for (const g of [this.child.pid!, ...this.recorder.groups()]) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await Promise.race([this.exited, sleep(5_000)]);
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** Runs a printed command line as a user pastes it into a shell (kubectl's cache outside the demo's TMPDIR). */
async function shell(line: string, binDir: string, cacheDir: string): Promise<string> {
  const { stdout } = await execFileP('bash', ['-c', line], {
    env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}`, KUBECACHEDIR: cacheDir },
    timeout: 60_000,
  });
  return stdout;
}

/** `ip -> ratio` of every member of the only GslbService in a GET /api/gslbservice answer. */
function ratios(body: string): Record<string, number> {
  const list = JSON.parse(body) as { count: number; results: Array<{ groups: Array<{ members: Array<{ ip: { addr: string }; ratio: number }> }> }> };
  assert.equal(list.count, 1);
  return Object.fromEntries(list.results[0]!.groups.flatMap((g) => g.members.map((m) => [m.ip.addr, m.ratio])));
}

describe('npm run demo -- --once', function () {
  this.timeout(READY_TIMEOUT_MS + 120_000);
  let run: DemoRun;
  let exit: { code: number | null; signal: NodeJS.Signals | null };

  before(async function () {
    this.timeout(READY_TIMEOUT_MS + 3_600_000); // a cold machine builds the k8s tools first
    const tools = await ensureK8sTools();
    run = new DemoRun(['--once'], tools.binDir);
    exit = await run.waitForExit(READY_TIMEOUT_MS + 60_000);
  });
  after(async () => run?.cleanUp());

  it('exits 0 after printing the report', () => {
    assert.deepEqual(exit, { code: 0, signal: null }, run.output);
    assert.match(run.stdout, /amko demo ready in \d+\.\d s: 2 kube-apiservers, the Avi simulator, amko serve with the reconcile worker\./);
  });

  it("prints the webhook's rejection of the invalid GDP exactly as kubectl prints it", () => {
    assert.ok(run.stdout.includes(REJECTION), run.output);
  });

  it("prints the simulator's GslbService with the GDP's 8:2 split and the health monitor the worker created", () => {
    assert.ok(run.stdout.includes(gsTable([['10.10.1.10', 8], ['10.10.2.10', 2]])), run.output);
    assert.match(run.stdout, /\n {2}amko--[0-9a-f]{40} {2}HEALTH_MONITOR_HTTP {2}80 {4}HEAD \/ HTTP\/1\.0\n/);
  });

  it('prints the GSLBConfig and GDP status from kubectl get', () => {
    assert.match(run.stdout, /gslbconfig\.amko\.vmware\.com\/amko-gc +127\.0\.0\.1:\d+ +success: gslb config accepted /);
    assert.match(run.stdout, /globaldeploymentpolicy\.amko\.vmware\.com\/global-gdp +success /);
  });

  it('leaves no process, process group or temp folder behind', () => {
    run.assertNothingLeft();
  });
});

describe('npm run demo (interactive), then Ctrl-C', function () {
  this.timeout(120_000);
  let run: DemoRun;
  let binDir: string;
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'amko-demo-test-kubectl-'));
  const printed = (prefix: string) => run.stdout.split('\n').filter((l) => l.startsWith(`  ${prefix} `)).map((l) => l.trim());

  before(async function () {
    this.timeout(READY_TIMEOUT_MS + 3_600_000);
    binDir = (await ensureK8sTools()).binDir;
    run = new DemoRun([], binDir);
    await run.waitForOutput('Ctrl-C stops the demo and everything it started.', READY_TIMEOUT_MS);
  });
  after(async () => {
    await run?.cleanUp();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('the printed curl commands read the 8:2 split from the simulator', async () => {
    const [login, get] = printed('curl');
    assert.ok(login && get, run.output);
    await shell(login, binDir, cacheDir);
    assert.deepEqual(ratios(await shell(get, binDir, cacheDir)), { '10.10.1.10': 8, '10.10.2.10': 2 });
  });

  it('the printed kubectl commands change the split and a VIP; the demo prints each new state of the simulator', async () => {
    const [splitChange, vipChange] = printed('kubectl --kubeconfig');
    assert.ok(splitChange && vipChange, run.output);
    assert.match(splitChange, /^kubectl --kubeconfig \S+\/amko-demo-\w+\/kubeconfig -n avi-system patch gdp global-gdp /);
    let from = run.stdout.length;
    await shell(splitChange, binDir, cacheDir);
    await run.waitForOutput(`the Avi simulator now holds:\n${gsTable([['10.10.1.10', 5], ['10.10.2.10', 5]])}`, 60_000, from);
    const [login, get] = printed('curl');
    await shell(login!, binDir, cacheDir);
    assert.deepEqual(ratios(await shell(get!, binDir, cacheDir)), { '10.10.1.10': 5, '10.10.2.10': 5 });

    from = run.stdout.length;
    await shell(vipChange, binDir, cacheDir);
    await run.waitForOutput(`the Avi simulator now holds:\n${gsTable([['10.10.1.10', 5], ['10.10.2.20', 5]])}`, 60_000, from);
  });

  it('SIGINT to its process group (Ctrl-C) stops it: exit 0, nothing left running, temp folders removed', async () => {
    const kubeconfig = /--kubeconfig (\S+)/.exec(run.stdout)![1]!;
    assert.ok(existsSync(kubeconfig));
    process.kill(-run.child.pid!, 'SIGINT');
    const exit = await run.waitForExit(60_000);
    assert.deepEqual(exit, { code: 0, signal: null }, run.output);
    assert.match(run.stderr, /amko demo: SIGINT: stopping\namko demo: stopped; nothing it started is left running\n$/);
    assert.equal(existsSync(kubeconfig), false);
    run.assertNothingLeft();
  });
});
