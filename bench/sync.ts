// Sync benchmark (`npm run bench:sync`).
//
// Member clusters: three real kube-apiservers + etcd from test/harness (cluster1
// is also the server's own cluster, with the CRDs, GSLBConfig, GDP and Secret;
// cluster2 serves route.openshift.io/v1). The Avi side: the simulator
// (test/avi-sim) with a per-call latency (default 20 ms), in this runner
// process. The worker under test: bench/sync-worker.ts, a child process.
//
// Figures: time from worker start to fully converged (every GslbService present
// with the expected members and ratios, every health monitor ref resolving),
// Avi calls and calls/s, Avi calls per converged GslbService, event-to-Avi-write
// latency p50/p99 for single changes under steady load, Avi writes during an
// unchanged full resync (from the simulator's request log; must be 0), RSS of
// the worker at 10k FQDNs, and RSS of the member-model layer at 10k and 30k
// FQDNs (bench/sync-model.ts).
//
// Env: BENCH_FQDNS (default 10000), BENCH_AVI_LATENCY_MS (20),
// BENCH_SYNC_CONCURRENCY (8), BENCH_SYNC_RATE (the worker's Avi-call budget,
// calls/s, default 1000, above what the simulator's latency allows, so that Avi
// latency bounds convergence; the worker's own default is 100), BENCH_CHANGES (200),
// BENCH_CHANGE_RATE (changes/s, 10), LOG_LEVEL (info), BENCH_MODEL=0 (no member-model runs),
// BENCH_WORKER_MEMORY_LIMIT (the container memory limit the worker child runs under, as a Kubernetes quantity:
// it starts through scripts/entrypoint.sh, which gives V8's old generation half of it, as in the image;
// default the chart's limit; `none`: plain node, V8's own heap default). BENCH_SYNC_ONLY=worker runs only this part,
// BENCH_SYNC_ONLY=serve only the run of the whole `amko serve` process (bench/sync-serve.ts), which
// otherwise follows it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ChildProcess } from 'node:child_process';
import { startControlPlanes, clusterRequest, type ClusterHandle, type ControlPlanes } from '../test/harness/control-plane.js';
import { startAviSimulator, type AviSimulator } from '../test/avi-sim/server.js';
import { mergePatch } from '../test/reconcile/e2e-helpers.js';
import {
  RESULTS_DIR,
  ask,
  compileEntries,
  fmt,
  log,
  machine,
  machineTable,
  percentile,
  round,
  rssMiB,
  sortedCopy,
  startChild,
  stopChild,
  updateBenchmarksMd,
  writeResult,
} from './lib/common.js';
import { CLUSTERS, COLLECTIONS, NAMESPACE, fqdn, ip, kindOf } from './sync-objects.js';
import { NS, aviCallsDuring, createObjects, isWrite, recordArrivals, setup, sleep, verify } from './sync-setup.js';
import { chartMemoryLimit, memoryBytes, viaEntrypoint } from './lib/amko.js';
import { runServe } from './sync-serve.js';

const N = Number(process.env.BENCH_FQDNS ?? 10_000);
const LATENCY = Number(process.env.BENCH_AVI_LATENCY_MS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_SYNC_CONCURRENCY ?? 8);
const QUEUE_RATE = Number(process.env.BENCH_SYNC_RATE ?? 1000);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 200);
const CHANGE_RATE = Number(process.env.BENCH_CHANGE_RATE ?? 10);
const LOG_LEVEL = process.env.LOG_LEVEL ?? 'info';
/** BENCH_MODEL=0 skips the member-model runs (e.g. a 30k run, where the worker's RSS is measured directly). */
const MODEL = process.env.BENCH_MODEL !== '0';
/** Result file and BENCHMARKS.md section (a variant run, e.g. with the worker's default queue settings, keeps its own). */
const RESULT_NAME = process.env.BENCH_NAME ?? 'sync';
/** Bytes of the modelled container memory limit (undefined: none). */
const WORKER_MEMORY_LIMIT = ((v) => (v === 'none' ? undefined : v ? memoryBytes(v) : chartMemoryLimit()))(process.env.BENCH_WORKER_MEMORY_LIMIT);
async function main(): Promise<void> {
  const before = machine();
  log(`machine: ${before.cpus} CPUs (${before.cpuModel}), load ${before.loadAvg.join(' ')}, node ${before.node}`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'amko-bench-sync-'));
  let cp: ControlPlanes | undefined;
  let sim: AviSimulator | undefined;
  let worker: ChildProcess | undefined;
  try {
    log('compiling the worker (tsc -> .cache/bench-build)');
    const [workerJs, modelJs] = compileEntries(['bench/sync-worker.ts', 'bench/sync-model.ts']) as [string, string];
    log('starting 3 kube-apiservers + etcd (test/harness)');
    cp = await startControlPlanes({ clusters: 3, watchCache: true, namespaces: [NS, NAMESPACE] });
    log(`  control planes up in ${cp.startupMs} ms`);
    sim = await startAviSimulator({ latencyMs: LATENCY, requestLogLimit: 2_000_000 });
    const arrived = recordArrivals(sim);
    await setup(cp, sim);
    log(`creating ${N} FQDNs of member objects (with load-balancer status)`);
    const created = await createObjects(cp, N);
    log(`  ${created.objects} objects in ${round(created.ms / 1000, 1)} s`);

    // --- initial convergence ------------------------------------------------
    const simCaFile = path.join(tmp, 'sim-ca.pem');
    writeFileSync(simCaFile, sim.caPem);
    sim.requestLog.clear();
    const cfg = {
      ownKubeconfig: cp.cluster('cluster1').kubeconfigPath,
      memberKubeconfig: cp.kubeconfigPath,
      simCaFile,
      concurrency: CONCURRENCY,
      queueRate: QUEUE_RATE,
      logLevel: LOG_LEVEL,
    };
    log(`starting the worker (concurrency ${CONCURRENCY}, Avi-call budget ${QUEUE_RATE} calls/s, Avi latency ${LATENCY} ms)`);
    const t0 = performance.now();
    const nodeArgs = ['--expose-gc'];
    const started = await startChild(workerJs, [JSON.stringify(cfg)], {
      nodeArgs,
      // As the image runs node (NODE_OPTIONS of this runner must not set the heap instead).
      command: WORKER_MEMORY_LIMIT === undefined ? undefined : ((run) => ({ ...run, env: { ...run.env, NODE_OPTIONS: undefined } }))(viaEntrypoint(workerJs, [JSON.stringify(cfg)], WORKER_MEMORY_LIMIT, nodeArgs)),
    });
    worker = started.child;
    const pid = worker.pid!;
    let v = verify(sim, created.expected);
    let lastReport = 0;
    let peakRssDuring = 0;
    for (;;) {
      await sleep(250);
      peakRssDuring = Math.max(peakRssDuring, rssMiB(pid).rss);
      if (sim.store.count('gslbservice') >= created.expected.size) {
        v = verify(sim, created.expected);
        if (v.problems.length === 0) break;
      }
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        log(`  ${sim.store.count('gslbservice')} GslbServices, ${sim.store.count('healthmonitor')} health monitors, ${sim.requestLog.entries.length} Avi calls`);
      }
      if (performance.now() - t0 > 1_800_000) throw new Error(`not converged after 30 min: ${verify(sim, created.expected).problems.join('; ')}`);
    }
    await ask(worker, 'idle');
    const entries = sim.requestLog.entries;
    const writes = entries.filter(isWrite);
    const lastWriteAt = Math.max(...writes.map((e) => arrived.get(e) ?? 0));
    const convergedMs = lastWriteAt - t0;
    const firstCallAt = Math.min(...entries.map((e) => arrived.get(e) ?? Infinity));
    const callWindowS = (lastWriteAt - firstCallAt) / 1000;
    const byKind = (method: string, type: string) => entries.filter((e) => e.method === method && e.path.startsWith(`/api/${type}`)).length;
    const convergence = {
      convergedS: round(convergedMs / 1000, 1),
      workerStartToFirstAviCallS: round((firstCallAt - t0) / 1000, 1),
      gslbServices: v.gs,
      healthMonitors: v.hms,
      aviCalls: entries.length,
      aviWrites: writes.length,
      calls: {
        gsCreate: byKind('POST', 'gslbservice'),
        hmCreate: byKind('POST', 'healthmonitor'),
        gsUpdate: byKind('PUT', 'gslbservice'),
        hmUpdate: byKind('PUT', 'healthmonitor'),
        gets: entries.filter((e) => e.method === 'GET').length,
      },
      aviCallsPerGs: round(entries.length / v.gs, 3),
      /** Worker CPU (user+system) from its start to convergence, as a share of one core. */
      workerCpuShareOfOneCore: 0,
      aviCallsPerSecond: round(entries.length / callWindowS, 1),
      callBudgetPerSecond: round((CONCURRENCY * 1000) / LATENCY, 0),
      concurrency: CONCURRENCY,
    };
    const s10 = await ask(worker, 'stats');
    convergence.workerCpuShareOfOneCore = round((s10.cpu.user + s10.cpu.system) / 1000 / convergedMs, 2);
    const rss10 = rssMiB(pid);
    log(
      `converged: ${v.gs} GslbServices, ${v.hms} monitors in ${convergence.convergedS} s; ${entries.length} Avi calls (${convergence.aviCallsPerGs}/GS) at ${convergence.aviCallsPerSecond}/s (budget ${convergence.callBudgetPerSecond}/s); worker CPU ${round((s10.cpu.user + s10.cpu.system) / 1e6, 1)} s; RSS ${rss10.rss} MiB`,
    );

    // --- unchanged full resync -----------------------------------------------
    const resyncCalls = await aviCallsDuring(sim, () => ask(started.child, 'resync'));
    const resync = {
      durationS: round(resyncCalls.ms / 1000, 2),
      aviCalls: resyncCalls.aviCalls,
      aviWrites: resyncCalls.aviWrites,
      writeLines: resyncCalls.writeLines,
    };
    log(`unchanged resync: ${resync.aviWrites} writes, ${resync.aviCalls} calls, ${resync.durationS} s`);

    // --- single changes under steady load ------------------------------------
    // One LoadBalancer Service at a time gets a new IP in its status, at
    // CHANGE_RATE changes/s; latency = PATCH sent -> the simulator receives the
    // GslbService PUT carrying the new IP.
    const serviceIdx = Array.from({ length: N }, (_, i) => i).filter((i) => kindOf(i) === 'service');
    let generation = 0;
    const measureChanges = async (count: number, until?: () => boolean) => {
      sim!.requestLog.clear();
      generation++;
      const pending = new Map<string, { sentAt: number; fqdn: string }>();
      const cpuBefore = (await ask(worker!, 'stats')).cpu;
      const c0 = performance.now();
      const changes: Array<Promise<void>> = [];
      for (let c = 0; c < count || (until && !until()); c++) {
        const due = c0 + (c * 1000) / CHANGE_RATE;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const i = serviceIdx[(c * 7919 + generation) % serviceIdx.length]!;
        const cluster = CLUSTERS[i % 3]!;
        const newIp = ip(cluster, i, generation * 4 + Math.floor(c / serviceIdx.length));
        const handle: ClusterHandle = cp!.cluster(cluster);
        pending.set(newIp, { sentAt: performance.now(), fqdn: fqdn(i) });
        changes.push(
          mergePatch(handle, `${COLLECTIONS.services}/svc-${i}/status`, { status: { loadBalancer: { ingress: [{ hostname: fqdn(i), ip: newIp }] } } }).then(() => undefined),
        );
      }
      await Promise.all(changes);
      const deadline = performance.now() + 120_000;
      const latencies: number[] = [];
      for (;;) {
        latencies.length = 0;
        for (const e of sim!.requestLog.entries) {
          if (e.method !== 'PUT' || !e.path.startsWith('/api/gslbservice/') || !e.body) continue;
          const groups = (e.body as { groups?: Array<{ members?: Array<{ ip?: { addr?: string } }> }> }).groups ?? [];
          for (const g of groups)
            for (const m of g.members ?? []) {
              const p = pending.get(m.ip?.addr ?? '');
              if (p) latencies.push((arrived.get(e) ?? NaN) - p.sentAt);
            }
        }
        if (latencies.length >= pending.size || performance.now() > deadline) break;
        await sleep(250);
      }
      const cpuAfter = (await ask(worker!, 'stats')).cpu;
      const sorted = sortedCopy(latencies);
      return {
        changes: pending.size,
        ratePerSecond: CHANGE_RATE,
        observed: latencies.length,
        p50Ms: round(percentile(sorted, 50), 1),
        p99Ms: round(percentile(sorted, 99), 1),
        maxMs: round(sorted[sorted.length - 1] ?? NaN, 1),
        aviWrites: sim!.requestLog.entries.filter(isWrite).length,
        workerCpuMsPerChange: round((cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / 1000 / Math.max(1, pending.size), 2),
      };
    };
    const changeLatency = await measureChanges(CHANGES);
    log(`changes: ${changeLatency.observed}/${changeLatency.changes} observed, p50 ${changeLatency.p50Ms} ms, p99 ${changeLatency.p99Ms} ms`);

    // --- single changes while a full resync runs --------------------------------
    // A resync (every refreshInterval) lists everything and queues every key; a
    // change that arrives meanwhile waits behind those keys.
    let resyncDone = false;
    const resyncRun = ask(worker, 'resync').then(() => (resyncDone = true));
    const duringResync = await measureChanges(10, () => resyncDone);
    await resyncRun;
    log(`changes during a resync: ${duringResync.observed}/${duringResync.changes} observed, p50 ${duringResync.p50Ms} ms, p99 ${duringResync.p99Ms} ms, max ${duringResync.maxMs} ms`);

    const workerStats = await ask(worker, 'stats');
    const workerCpuS = round((workerStats.cpu.user + workerStats.cpu.system) / 1e6, 1);
    // VmHWM before the worker stops: the peak of the whole run, the resyncs included (a full resync lists everything).
    const endRss = rssMiB(pid);
    await stopChild(worker);
    worker = undefined;
    await cp.stop();
    cp = undefined;
    await sim.close();
    sim = undefined;

    // --- member-model memory at 10k and 30k ----------------------------------
    const model: Record<string, unknown> = {};
    for (const n of MODEL ? [N, 3 * N] : []) {
      log(`member-model layer at ${n} FQDNs`);
      const { ready } = await startChild(modelJs, [String(n)], { nodeArgs: ['--expose-gc'] });
      model[String(n)] = ready.result;
      log(`  ${JSON.stringify(ready.result)}`);
    }

    const after = machine().loadAvg;
    const out = {
      benchmark: 'sync',
      machine: before,
      loadAvgAfter: after,
      settings: {
        fqdns: N,
        memberObjects: created.objects,
        mix: '60% Ingress FQDNs (4 hosts per Ingress, paths / and /api, in cluster1 and cluster2), 30% LoadBalancer Services (one cluster each), 10% Routes (cluster2)',
        clusters: 'test/harness: 3 real kube-apiservers + etcd (watch cache on)',
        avi: `test/avi-sim, ${LATENCY} ms per call`,
        queueConcurrency: CONCURRENCY,
        queueRatePerSecond: QUEUE_RATE,
        logLevel: LOG_LEVEL,
        workerMemoryLimitEnv: process.env.BENCH_WORKER_MEMORY_LIMIT ?? null,
        workerMemoryLimitMiB: WORKER_MEMORY_LIMIT === undefined ? null : round(WORKER_MEMORY_LIMIT / 1048576, 0),
        workerHeapLimitMiB: round(s10.heapLimit / 1048576, 0),
        objectCreationS: round(created.ms / 1000, 1),
        resultName: RESULT_NAME,
      },
      convergence,
      resync,
      changeLatency,
      changeLatencyDuringResync: duringResync,
      worker: {
        cpuS: workerCpuS,
        rssAt10kMiB: rss10.rss,
        /** VmHWM at convergence. */
        peakRssToConvergeMiB: rss10.peak,
        /** VmHWM over the whole run (convergence, an unchanged full resync, a resync with changes). */
        peakRssMiB: Math.max(peakRssDuring, endRss.peak, rss10.peak),
        heapUsedAfterGcMiB: round(s10.memory.heapUsed / 1048576, 1),
      },
      model,
    };
    const file = writeResult(RESULT_NAME, out);
    log(`wrote ${path.relative(process.cwd(), file)}`);
    updateBenchmarksMd(RESULT_NAME, renderMarkdown(out));
    log('updated BENCHMARKS.md');
  } finally {
    if (worker) await stopChild(worker);
    await sim?.close().catch(() => undefined);
    await cp?.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The peak to convergence, where the run recorded it apart (older results have only the peak). */
function peakToConverge(worker: { peakRssToConvergeMiB?: number }): string {
  return worker.peakRssToConvergeMiB === undefined ? '' : `peak to converge ${worker.peakRssToConvergeMiB} MiB, `;
}

/** How the worker's heap was set up (runs before the setting existed ran plain node). */
function workerHeap(settings: { workerMemoryLimitMiB?: number | null; workerHeapLimitMiB?: number }): string {
  if (settings.workerMemoryLimitMiB === undefined) return 'worker child run as plain node (V8 heap default)';
  if (settings.workerMemoryLimitMiB === null) return `worker child run as plain node (\`BENCH_WORKER_MEMORY_LIMIT=none\`; V8 heap limit ${settings.workerHeapLimitMiB} MiB)`;
  return `worker child run as the image runs node: scripts/entrypoint.sh with a container memory limit of ${settings.workerMemoryLimitMiB}Mi (\`BENCH_WORKER_MEMORY_LIMIT\`), V8 old generation ${settings.workerMemoryLimitMiB / 2} MiB (heap limit ${settings.workerHeapLimitMiB} MiB with the young generation)`;
}

function renderMarkdown(out: any): string {
  const c = out.convergence;
  const m10 = out.model[String(out.settings.fqdns)];
  const m30 = out.model[String(3 * out.settings.fqdns)];
  const est30 = m10 && m30 ? round(out.worker.rssAt10kMiB + (m30.rssMiB - m10.rssMiB), 0) : undefined;
  const growth = m10 && m30 ? round((m30.rssMiB - m10.baseRssMiB) / (m10.rssMiB - m10.baseRssMiB), 2) : undefined;
  return [
    out.settings.resultName && out.settings.resultName !== 'sync'
      ? `## Sync loop, variant \`${out.settings.resultName}\` (\`BENCH_NAME=${out.settings.resultName} BENCH_FQDNS=${out.settings.fqdns} BENCH_SYNC_CONCURRENCY=${out.settings.queueConcurrency} BENCH_SYNC_RATE=${out.settings.queueRatePerSecond}${out.changeLatency.changes === 0 ? ' BENCH_CHANGES=0' : ''}${Object.keys(out.model).length === 0 ? ' BENCH_MODEL=0' : ''}${out.settings.workerMemoryLimitEnv ? ` BENCH_WORKER_MEMORY_LIMIT=${out.settings.workerMemoryLimitEnv}` : ''} BENCH_SYNC_ONLY=worker npm run bench:sync\`)`
      : '## Sync loop (`npm run bench:sync`)',
    '',
    machineTable(out.machine, out.loadAvgAfter),
    '',
    `Settings: ${out.settings.fqdns} FQDNs in ${out.settings.memberObjects} member objects (${out.settings.mix}); ${out.settings.clusters}; ${out.settings.avi}; work queue concurrency ${out.settings.queueConcurrency}, Avi-call budget ${out.settings.queueRatePerSecond} calls/s (no limit on keys/s); log level ${out.settings.logLevel}; ${workerHeap(out.settings)}. Creating the objects took ${out.settings.objectCreationS} s (not counted).`,
    '',
    '| Figure | Measured | Target | Met? |',
    '|---|---|---|---|',
    `| Start → fully converged (${c.gslbServices} GslbServices, ${c.healthMonitors} health monitors) | ${c.convergedS} s; ${c.aviCallsPerSecond} Avi calls/s at concurrency ${c.concurrency} (${round(c.aviCallsPerSecond / c.callBudgetPerSecond, 2)} of the ${c.callBudgetPerSecond} calls/s that ${c.concurrency} × 1/${out.settings.avi.match(/\d+/)?.[0]} ms allows); worker CPU ${round(c.workerCpuShareOfOneCore * 100, 0)}% of one core | limited by the Avi call budget (≥ 0.7 of it used), not by our CPU (< 50% of a core) | ${c.workerCpuShareOfOneCore < 0.5 && c.aviCallsPerSecond >= 0.7 * c.callBudgetPerSecond ? '✅' : '❌'} |`,
    `| Avi calls per converged GslbService | ${c.aviCallsPerGs} (${c.aviCalls} calls: ${c.calls.hmCreate} HM POST, ${c.calls.gsCreate} GS POST, ${c.calls.hmUpdate + c.calls.gsUpdate} PUT, ${c.calls.gets} GET) | — | — |`,
    out.changeLatency.changes > 0
      ? `| Change → Avi write latency, ${out.changeLatency.observed}/${out.changeLatency.changes} single changes at ${out.changeLatency.ratePerSecond}/s | p50 ${out.changeLatency.p50Ms} ms, p99 ${out.changeLatency.p99Ms} ms | p99 ≤ 1000 ms | ${out.changeLatency.p99Ms <= 1000 && out.changeLatency.observed === out.changeLatency.changes ? '✅' : '❌'} |`
      : null,
    out.changeLatencyDuringResync
      ? `| Change → Avi write latency while a full resync runs (${out.changeLatencyDuringResync.observed}/${out.changeLatencyDuringResync.changes} changes at ${out.changeLatencyDuringResync.ratePerSecond}/s) | p50 ${out.changeLatencyDuringResync.p50Ms} ms, p99 ${out.changeLatencyDuringResync.p99Ms} ms, max ${out.changeLatencyDuringResync.maxMs} ms | p99 ≤ 1000 ms | ${out.changeLatencyDuringResync.p99Ms <= 1000 && out.changeLatencyDuringResync.observed === out.changeLatencyDuringResync.changes ? '✅' : '❌'} |`
      : null,
    `| Avi writes during an unchanged full resync | ${out.resync.aviWrites} (${out.resync.aviCalls} calls, ${out.resync.durationS} s) | exactly 0 | ${out.resync.aviWrites === 0 ? '✅' : '❌'} |`,
    out.settings.fqdns >= 30_000
      ? `| Worker peak RSS at ${out.settings.fqdns} FQDNs over the whole run, measured (VmHWM read before the worker stops: convergence and two full resyncs; ${peakToConverge(out.worker)}${out.worker.rssAt10kMiB} MiB after convergence, heap ${out.worker.heapUsedAfterGcMiB} MiB after a full GC) | ${out.worker.peakRssMiB} MiB (${round(out.worker.peakRssMiB * 1.048576, 0)} MB) | ≤ 300 MB | ${out.worker.peakRssMiB * 1.048576 <= 300 ? '✅' : '❌'} |`
      : `| Worker RSS at ${out.settings.fqdns} FQDNs (after convergence; ${peakToConverge(out.worker)}peak over the run ${out.worker.peakRssMiB} MiB) | ${out.worker.rssAt10kMiB} MiB | — | — |`,
    m10 && m30
      ? `| RSS at ${3 * out.settings.fqdns} FQDNs | ≈ ${est30} MiB (worker at ${out.settings.fqdns} + model-layer growth ${m10.rssMiB} → ${m30.rssMiB} MiB) | ${3 * out.settings.fqdns >= 30_000 ? `≤ 300 MB | ${est30 !== undefined && est30 * 1.048576 <= 300 ? '✅' : '❌'}` : '(target is at 30,000) | —'} |`
      : null,
    m10 && m30 ? `| Memory growth 3× FQDNs (model layer, above its empty baseline) | ${growth}× | linear (≈ 3×) | ${growth !== undefined && growth <= 3.3 ? '✅' : '❌'} |` : null,
    '',
    `Worker CPU for the whole run: ${out.worker.cpuS} s. Change latency is PATCH of a Service's load-balancer status sent → the GslbService PUT with the new IP arriving at the simulator (API server, watch, queue, Avi client).`,
  ]
    .filter((l) => l !== null)
    .join('\n');
}

if (process.argv.includes('--render')) {
  // Re-renders the BENCHMARKS.md section from bench/results/sync.json (no run).
  const { readFileSync } = await import('node:fs');
  updateBenchmarksMd(RESULT_NAME, renderMarkdown(JSON.parse(readFileSync(path.join(RESULTS_DIR, `${RESULT_NAME}.json`), 'utf8'))));
} else {
  const only = process.env.BENCH_SYNC_ONLY;
  if (only !== 'serve') await main();
  if (only !== 'worker') await runServe();
}
