// The whole `amko serve` process against the sync benchmark's clusters (part of `npm run bench:sync`;
// `BENCH_SYNC_ONLY=serve` runs it alone): compiled, started through scripts/entrypoint.sh with the
// chart's memory limit and webhook workers (bench/lib/amko.ts), with its webhook, its reconcile worker,
// the federator and the Lease at their default timings and the default Avi-call budget, on fresh
// harness clusters (3 kube-apiservers + etcd) and a fresh Avi simulator. The member objects are
// created before the process starts.
//
// Figures (the simulator's request log, timestamped on arrival, and /proc of the process and its
// webhook workers): process start → first Avi call and first Avi write; start → converged (the last
// write that made the simulator match the expectation); Avi calls to converge; writes and CPU seconds
// in an idle window after convergence (no change anywhere; must be 0 writes); CPU seconds to
// converge; peak RSS (VmHWM).
//
// Env: BENCH_SERVE_FQDNS (1000), BENCH_IDLE_S (idle window, s, default 30), BENCH_AVI_LATENCY_MS (20),
// BENCH_SERVE_CPU_PROF=1 (node --cpu-prof into .cache/bench-prof/), LOG_LEVEL (info).
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureLocalCertificates } from '../src/certs/local.js';
import { startControlPlanes, type ControlPlanes } from '../test/harness/control-plane.js';
import { startAviSimulator, type AviSimulator, type RequestLogEntry } from '../test/avi-sim/server.js';
import { amkoServe, chartMemoryLimit } from './lib/amko.js';
import { REPO_ROOT, RESULTS_DIR, compileEntries, cpuMs, log, machine, machineTable, round, rssMiB, stopChild, updateBenchmarksMd, writeResult } from './lib/common.js';
import { cpuMsOf, freePort, processTree, treeMemory } from './lib/procs.js';
import { NAMESPACE } from './sync-objects.js';
import { NS, aviCallsDuring, createObjects, isWrite, recordArrivals, setup, sleep, verify } from './sync-setup.js';

const N = Number(process.env.BENCH_SERVE_FQDNS ?? 1000);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 30);
const LATENCY = Number(process.env.BENCH_AVI_LATENCY_MS ?? 20);
const CPU_PROF = process.env.BENCH_SERVE_CPU_PROF === '1';
const LOG_LEVEL = process.env.LOG_LEVEL ?? 'info';
const RESULT_NAME = 'sync-serve';

/** The original AMKO (Go) at 1,000 FQDNs as issue 15 records it (built from its source and run on this machine; not part of this run). */
const ORIGINAL = {
  convergeS: '24.1–31.2',
  aviCalls: '2,920–3,182',
  idleWrites: '0 (120 s)',
  cpuToConvergeS: '2.7',
  idleCpuPer120S: '0.6–0.7',
  peakRssMiB: '84–86',
  at100: 'converge 6.4 s; first Avi call not recorded',
};

export async function runServe(): Promise<void> {
  const before = machine();
  log(`serve: ${N} FQDNs, ${before.cpus} CPUs, load ${before.loadAvg.join(' ')}`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'amko-bench-serve-'));
  let cp: ControlPlanes | undefined;
  let sim: AviSimulator | undefined;
  let child: ChildProcess | undefined;
  try {
    const [cliJs] = compileEntries(['src/cli.ts', 'src/admission/workers/worker.ts']);
    cp = await startControlPlanes({ clusters: 3, watchCache: true, namespaces: [NS, NAMESPACE] });
    log(`  control planes up in ${cp.startupMs} ms`);
    sim = await startAviSimulator({ latencyMs: LATENCY, requestLogLimit: 2_000_000 });
    const arrived = recordArrivals(sim);
    await setup(cp, sim);
    const created = await createObjects(cp, N);
    log(`  ${created.objects} objects in ${round(created.ms / 1000, 1)} s`);

    const simCaFile = path.join(tmp, 'sim-ca.pem');
    writeFileSync(simCaFile, sim.caPem);
    const certs = await ensureLocalCertificates({ certDir: path.join(tmp, 'certs') });
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL };
    for (const k of ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'PORT', 'HOST', 'GSLB_CONFIG', 'WEBHOOK_WORKERS', 'NODE_OPTIONS', 'AVI_MAX_CALLS_PER_SECOND']) delete env[k];
    const profDir = path.join(REPO_ROOT, '.cache', 'bench-prof', `sync-serve-${Date.now()}`);
    if (CPU_PROF) mkdirSync(profDir, { recursive: true });
    const amko = amkoServe(
      cliJs!,
      [
        ...['--host', '127.0.0.1', '--port', String(port), '--tls-cert-file', certs.certFile, '--tls-key-file', certs.keyFile],
        ...['--kubeconfig', cp.cluster('cluster1').kubeconfigPath, '--member-kubeconfig', cp.kubeconfigPath, '--avi-ca-file', simCaFile],
      ],
      env,
      CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
    );
    const logFile = path.join(REPO_ROOT, '.cache', 'bench-sync-serve.log');
    mkdirSync(path.dirname(logFile), { recursive: true });
    const out = openSync(logFile, 'w');
    sim.requestLog.clear();
    const t0 = performance.now();
    const spawnedAtMs = Date.now();
    child = spawn(amko.cmd, amko.args, { cwd: REPO_ROOT, env: amko.env, stdio: ['ignore', out, 'inherit'] });
    closeSync(out);
    const pid = child.pid!;
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code));

    let v = verify(sim, created.expected);
    let peakTree = 0;
    for (;;) {
      await sleep(200);
      if (exited !== undefined) throw new Error(`amko serve exited (${exited}); log: ${logFile}`);
      peakTree = Math.max(peakTree, treeMemory(pid).rssMiB);
      if (sim.store.count('gslbservice') >= created.expected.size) {
        v = verify(sim, created.expected);
        if (v.problems.length === 0) break;
      }
      if (performance.now() - t0 > 900_000) throw new Error(`not converged after 15 min: ${verify(sim, created.expected).problems.join('; ')}`);
    }
    const tree = processTree(pid);
    // Converged = the last write that made the store match; let the queue drain a moment first (a write
    // still in flight would count as idle).
    await sleep(2000);
    const convergedAt = performance.now();
    const cpuConverged = { main: cpuMs(pid), tree: cpuMsOf(tree) };
    const entries = [...sim.requestLog.entries];
    const at = (e: RequestLogEntry) => arrived.get(e) ?? NaN;
    const writes = entries.filter(isWrite);
    const lastWriteAt = Math.max(...writes.map(at));
    const convergence = {
      convergedS: round((lastWriteAt - t0) / 1000, 1),
      firstAviCallS: round((Math.min(...entries.map(at)) - t0) / 1000, 2),
      firstAviWriteS: round((Math.min(...writes.map(at)) - t0) / 1000, 2),
      gslbServices: v.gs,
      healthMonitors: v.hms,
      aviCalls: entries.length,
      aviWrites: writes.length,
      cpuS: round(cpuConverged.main / 1000, 2),
      cpuWithWebhookWorkersS: round(cpuConverged.tree / 1000, 2),
      cpuMeasuredAtS: round((convergedAt - t0) / 1000, 1),
    };
    const startup = startupSteps(logFile, spawnedAtMs);
    log(`  converged in ${convergence.convergedS} s (first Avi call ${convergence.firstAviCallS} s, first write ${convergence.firstAviWriteS} s), ${entries.length} Avi calls, CPU ${convergence.cpuS} s`);

    // --- idle window: nothing changes anywhere --------------------------------
    const idleCalls = await aviCallsDuring(sim, () => sleep(IDLE_S * 1000));
    const idle = {
      windowS: round(idleCalls.ms / 1000, 1),
      aviCalls: idleCalls.aviCalls,
      aviWrites: idleCalls.aviWrites,
      writeLines: idleCalls.writeLines,
      cpuS: round((cpuMs(pid) - cpuConverged.main) / 1000, 2),
      cpuWithWebhookWorkersS: round((cpuMsOf(processTree(pid)) - cpuConverged.tree) / 1000, 2),
      cpuPer120S: round(((cpuMs(pid) - cpuConverged.main) / idleCalls.ms) * 120, 2),
    };
    log(`  idle ${idle.windowS} s: ${idle.aviWrites} writes (${idle.aviCalls} calls), CPU ${idle.cpuS} s`);
    const mem = rssMiB(pid);
    const memTree = treeMemory(pid);
    const memory = { peakRssMiB: mem.peak, rssAfterIdleMiB: mem.rss, processes: memTree.processes, treePeakRssMiB: memTree.peakRssMiB, treeRssSampledPeakMiB: peakTree };

    await stopChild(child);
    child = undefined;
    const result = {
      benchmark: RESULT_NAME,
      machine: before,
      loadAvgAfter: machine().loadAvg,
      settings: {
        fqdns: N,
        memberObjects: created.objects,
        avi: `test/avi-sim, ${LATENCY} ms per call`,
        clusters: 'test/harness: 3 real kube-apiservers + etcd (watch cache on)',
        process: `amko serve through scripts/entrypoint.sh, AMKO_MEMORY_LIMIT ${chartMemoryLimit()} (the chart's limit), webhook workers ${amko.env.WEBHOOK_WORKERS}, Lease and Avi-call budget at their defaults, log level ${LOG_LEVEL}`,
        idleWindowS: IDLE_S,
        cpuProfile: CPU_PROF ? path.relative(REPO_ROOT, profDir) : undefined,
        objectCreationS: round(created.ms / 1000, 1),
      },
      convergence,
      startup,
      idle,
      memory,
    };
    const file = writeResult(RESULT_NAME, result);
    log(`wrote ${path.relative(process.cwd(), file)}; amko's log: ${path.relative(process.cwd(), logFile)}`);
    updateBenchmarksMd(RESULT_NAME, renderMarkdown(result));
  } finally {
    if (child) await stopChild(child);
    await sim?.close().catch(() => undefined);
    await cp?.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Seconds from spawn to the first log line of each start-up step of `amko serve` (its log is JSON, one line each). */
function startupSteps(logFile: string, spawnedAtMs: number): Record<string, number> {
  const steps: Record<string, string> = {
    webhookListening: 'admission webhook listening',
    leaseAcquired: 'became leader',
    syncStarted: 'sync started',
    aviLogin: 'avi login succeeded',
    lastMemberClusterConnected: 'member cluster connected',
  };
  const out: Record<string, number> = {};
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    let rec: { msg?: string; time?: string };
    try {
      rec = JSON.parse(line) as { msg?: string; time?: string };
    } catch {
      continue;
    }
    for (const [step, msg] of Object.entries(steps)) {
      if (rec.msg !== msg || !rec.time) continue;
      if (out[step] === undefined || step === 'lastMemberClusterConnected') out[step] = round((Date.parse(rec.time) - spawnedAtMs) / 1000, 2);
    }
  }
  return out;
}

function renderMarkdown(r: any): string {
  const c = r.convergence;
  const i = r.idle;
  const per120 = (s: number) => round((s / i.windowS) * 120, 2);
  return [
    `## Sync loop, the whole \`amko serve\` process (\`BENCH_SYNC_ONLY=serve BENCH_SERVE_FQDNS=${r.settings.fqdns} BENCH_IDLE_S=${r.settings.idleWindowS} npm run bench:sync\`)`,
    '',
    machineTable(r.machine, r.loadAvgAfter),
    '',
    `Settings: ${r.settings.fqdns} FQDNs in ${r.settings.memberObjects} member objects (the mix of the sync loop above); ${r.settings.clusters}; ${r.settings.avi}; ${r.settings.process}. Creating the objects took ${r.settings.objectCreationS} s before the process started (not counted). Idle window: ${i.windowS} s.`,
    '',
    `The original AMKO column is what issue 15 records for its side-by-side run at 1,000 FQDNs (same harness clusters and simulator, 120 s idle window), **not this run**: the original's source is not available on this machine.`,
    '',
    '| Figure | amko (this run) | original AMKO (issue 15) | amko ahead? |',
    '|---|---|---|---|',
    `| Process start → converged (${c.gslbServices} GslbServices, ${c.healthMonitors} health monitors) | ${c.convergedS} s | ${ORIGINAL.convergeS} s | ${c.convergedS < 24.1 ? '✅' : '❌'} |`,
    `| Process start → first Avi call / first Avi write | ${c.firstAviCallS} s / ${c.firstAviWriteS} s | 100 FQDNs: ${ORIGINAL.at100} | ${c.firstAviWriteS <= 2 ? '✅ (target ≤ 2 s)' : '❌ (target ≤ 2 s)'} |`,
    `| Start-up steps (s after spawn, from the process's log) | ${Object.entries(r.startup ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')} | — | — |`,
    `| Avi calls to converge | ${c.aviCalls} (${c.aviWrites} writes) | ${ORIGINAL.aviCalls} | ${c.aviCalls < 2920 ? '✅' : '❌'} |`,
    `| Avi writes in the idle window | ${i.aviWrites} (${i.aviCalls} calls in ${i.windowS} s) | ${ORIGINAL.idleWrites} | ${i.aviWrites === 0 ? '✅' : '❌'} |`,
    `| CPU seconds to converge (main process; with webhook workers) | ${c.cpuS} s; ${c.cpuWithWebhookWorkersS} s (read ${c.cpuMeasuredAtS} s after start) | ${ORIGINAL.cpuToConvergeS} s | ${c.cpuWithWebhookWorkersS <= 2.7 ? '✅' : '❌'} |`,
    `| CPU seconds in the idle window (per 120 s) | ${i.cpuS} s in ${i.windowS} s (${per120(i.cpuWithWebhookWorkersS)} s per 120 s with webhook workers) | ${ORIGINAL.idleCpuPer120S} s | ${per120(i.cpuWithWebhookWorkersS) <= 0.7 ? '✅' : '❌'} |`,
    `| Peak RSS (VmHWM, main process; all ${r.memory.processes} processes) | ${r.memory.peakRssMiB} MiB; ${r.memory.treePeakRssMiB} MiB | ${ORIGINAL.peakRssMiB} MiB | ${r.memory.peakRssMiB <= 1.5 * 84 ? '✅ (≤ 1.5×)' : '❌ (target ≤ 1.5×)'} |`,
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(RESULTS_DIR, '..', 'sync-serve.ts')) {
  if (process.argv.includes('--render')) updateBenchmarksMd(RESULT_NAME, renderMarkdown(JSON.parse(readFileSync(path.join(RESULTS_DIR, `${RESULT_NAME}.json`), 'utf8'))));
  else await runServe();
}
