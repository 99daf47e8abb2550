// Webhook benchmark (`npm run bench:webhook [-- --peer-dir DIR | --peer-bin FILE] [--only component|e2e]`).
//
// Two parts, each with its own result file and BENCHMARKS.md section:
// - component (this file): amko's admission server next to a bare node:https server answering one
//   fixed AdmissionReview (the ceiling for Node + TLS) and the controller-runtime peer
//   (bench/lib/peer.ts), under one load generator (this process: autocannon for saturation, an
//   open-loop paced client for a fixed rate), with the same captured AdmissionReviews, rounds
//   interleaved and the order rotated every round;
// - end to end (bench/webhook-e2e.ts): server-side dry-run CREATEs through a real kube-apiserver.
//
// amko runs as the product does: `amko serve --no-worker` compiled to JavaScript (.cache/bench-build),
// with the decision log line (to /dev/null) and metrics on, without a cluster connection (the
// peer has no cross-object rules either).
//
// Component phases:
// 1. one core: bare, amko (--webhook-workers 1) and the peer pinned to CPU 1, the load generator
//    to CPU 0 (when taskset and 2 CPUs are there). CPU time per request (the server's
//    /proc/<pid>/stat utime+stime over the requests answered) is the steady figure on a shared
//    machine; saturated requests/s depend on what else runs.
// 2. two cores: amko with 2 webhook workers (what `auto` gives a pod with limits.cpu 2) and the
//    peer with its default GOMAXPROCS, unpinned, saturated by the same load generator (unpinned too).
// 3. a fixed rate (1,000 requests/s, open loop, a mix of the three bodies): latency percentiles.
// 4. memory after the load: VmRSS, VmHWM (peak) and Pss of each server (with its workers).
//
// Env: BENCH_DURATION (s, 10), BENCH_WARMUP (s, 2), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50),
// BENCH_RATE (1000), BENCH_RATE_CONNECTIONS (20), BENCH_CPU_PROF=1 (profile the one-core amko and
// summarise the profile; its figures go to the `webhook-profiled` result and section).
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import autocannon, { type AutocannonRequest, type AutocannonResult } from 'autocannon';
import { ensureLocalCertificates } from '../src/certs/local.js';
import { amkoServe, chartMemoryLimit } from './lib/amko.js';
import { BENCH_DIR, RESULTS_DIR, compileEntries, fmt, log, machine, machineTable, percentile, round, sortedCopy, updateBenchmarksMd, writeResult } from './lib/common.js';
import { paced } from './lib/paced.js';
import { argValue, resolvePeer, type Peer } from './lib/peer.js';
import { canPin, cpuMsOf, freePort, pinProcess, processTree, startServer, treeMemory, type Memory, type Started } from './lib/procs.js';
import { summariseProfile, type ProfileSummary } from './lib/profile.js';
import { runE2e } from './webhook-e2e.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const RATE_CONNECTIONS = Number(process.env.BENCH_RATE_CONNECTIONS ?? 20);
const PROFILE = process.env.BENCH_CPU_PROF === '1';

const TARGET_CPU_RATIO = 2.0;
const TARGET_RSS_MIB = 100;

/** Compact JSON + newline, as kube-apiserver sends it. */
function body(name: string): string {
  return `${JSON.stringify(JSON.parse(readFileSync(path.join(BENCH_DIR, 'fixtures', `${name}.json`), 'utf8')))}\n`;
}
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, */*', 'user-agent': 'kube-apiserver-admission' };
const req = (p: string, b: string): AutocannonRequest => ({ method: 'POST', path: `${p}?timeout=10s`, headers: HEADERS, body: b });

const VALID = body('gdp-create.validate');
const INVALID = body('gdp-create-invalid.validate');
const MUTATE = body('gdp-create.mutate');

interface Scenario {
  name: string;
  description: string;
  request: AutocannonRequest;
  /** What amko and the peer must answer (the bare server allows everything). */
  expect: { allowed: boolean; patched: boolean };
}
const SCENARIOS: Scenario[] = [
  {
    name: 'validate-valid',
    description: `/validate, the GlobalDeploymentPolicy CREATE of a captured \`kubectl apply\` (${VALID.length} B): allowed`,
    request: req('/validate', VALID),
    expect: { allowed: true, patched: false },
  },
  {
    name: 'validate-invalid',
    description: `/validate, the same GDP with a weight and a ttl out of range (${INVALID.length} B): 422 Invalid with two causes`,
    request: req('/validate', INVALID),
    expect: { allowed: false, patched: false },
  },
  {
    name: 'mutate',
    description: `/mutate, the GDP of the captured apply (weights 8/2, no priorities, ${MUTATE.length} B): a JSONPatch of 5 defaults`,
    request: req('/mutate', MUTATE),
    expect: { allowed: true, patched: true },
  },
];
const MIX = [req('/validate', VALID), req('/mutate', MUTATE), req('/validate', INVALID)];

type ServerName = 'bare' | 'amko' | 'go' | 'amko-2cores' | 'go-2cores';
interface Server extends Started {
  name: ServerName;
}

async function post(url: string, ca: string, r: AutocannonRequest): Promise<any> {
  return new Promise((resolve, reject) => {
    const q = https.request(new URL(r.path!, url), { method: 'POST', ca, headers: { ...r.headers, 'content-length': Buffer.byteLength(String(r.body)) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${r.path}: HTTP ${res.statusCode} ${text}`))));
    });
    q.on('error', reject);
    q.end(r.body);
  });
}

async function checkAnswers(s: Server, ca: string): Promise<void> {
  for (const sc of SCENARIOS) {
    const res = (await post(s.url, ca, sc.request)).response;
    const want = s.name === 'bare' ? { allowed: true, patched: false } : sc.expect;
    if (res.allowed !== want.allowed || (res.patch !== undefined) !== want.patched) {
      throw new Error(`${s.name} ${sc.name}: answered ${JSON.stringify(res)}; expected allowed=${want.allowed} patched=${want.patched}`);
    }
  }
}

interface Saturation {
  server: ServerName;
  scenario: string;
  round: number;
  rps: number;
  requests: number;
  errors: number;
  non2xx: number;
  cpuUsPerRequest: number;
}

async function saturate(s: Server, requests: AutocannonRequest[], durationS: number): Promise<{ rps: number; requests: number; errors: number; non2xx: number; cpuUsPerRequest: number }> {
  const pids = processTree(s.pid);
  const cpu0 = cpuMsOf(pids);
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    autocannon({ url: s.url, connections: CONNECTIONS, duration: durationS, requests, timeout: 10, tlsOptions: { rejectUnauthorized: false } }, (err, r) =>
      err ? reject(err) : resolve(r),
    );
  });
  const cpu = cpuMsOf(pids) - cpu0;
  const n = result.requests.total;
  return {
    rps: round(n / result.duration, 0),
    requests: n,
    errors: result.errors,
    non2xx: result.non2xx,
    cpuUsPerRequest: round((cpu * 1000) / Math.max(1, n), 1),
  };
}

interface RateRun {
  server: ServerName;
  round: number;
  achievedRps: number;
  errors: number;
  non2xx: number;
  latencyMs: { p50: number; p99: number; p99_9: number; max: number };
  cpuUsPerRequest: number;
}

async function fixedRate(s: Server, round_: number): Promise<RateRun> {
  const pids = processTree(s.pid);
  const cpu0 = cpuMsOf(pids);
  const r = await paced(
    s.url,
    MIX.map((q) => ({ path: q.path!, body: String(q.body), headers: q.headers ?? {} })),
    { rate: RATE, durationS: DURATION, connections: RATE_CONNECTIONS, warmupS: WARMUP },
  );
  const cpu = cpuMsOf(pids) - cpu0;
  const sorted = sortedCopy(r.samples);
  return {
    server: s.name,
    round: round_,
    achievedRps: round(r.completed / r.durationS, 0),
    errors: r.errors,
    non2xx: r.non2xx,
    latencyMs: {
      p50: round(percentile(sorted, 50), 2),
      p99: round(percentile(sorted, 99), 2),
      p99_9: round(percentile(sorted, 99.9), 2),
      max: round(sorted[sorted.length - 1] ?? NaN, 2),
    },
    // Includes the warm-up requests (sent at the same rate): divide by all of them.
    cpuUsPerRequest: round((cpu * 1000) / Math.max(1, r.completed + Math.round(RATE * WARMUP)), 1),
  };
}

const rotate = <T>(xs: T[], k: number): T[] => [...xs.slice(k % xs.length), ...xs.slice(0, k % xs.length)];
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
interface Spread {
  median: number;
  min: number;
  max: number;
}
const spread = (xs: number[], digits = 2): Spread => ({ median: round(median(xs), digits), min: round(Math.min(...xs), digits), max: round(Math.max(...xs), digits) });

async function runComponent(peer: Peer | undefined): Promise<void> {
  const before = machine();
  log(`component: ${before.cpus} CPUs (${before.cpuModel}), load ${before.loadAvg.join(' ')}, node ${before.node}; peer: ${peer ? peer.from : 'none given'}`);
  const certDir = mkdtempSync(path.join(os.tmpdir(), 'amko-bench-certs-'));
  const profDir = path.join(RESULTS_DIR, 'profiles');
  const servers: Server[] = [];
  const pin = canPin(before.cpus);
  const allCpus = `0-${before.cpus - 1}`;
  const loadAvgs: Array<{ at: string; loadAvg: number[] }> = [];
  let profiledSince = Date.now();
  const markLoad = (at: string) => loadAvgs.push({ at, loadAvg: os.loadavg().map((l) => round(l, 2)) });
  try {
    const certs = await ensureLocalCertificates({ certDir });
    log('compiling amko and the bare server (tsc -> .cache/bench-build)');
    const [cliJs, , bareJs] = compileEntries(['src/cli.ts', 'src/admission/workers/worker.ts', 'bench/baseline-server.ts']);
    const env = { ...process.env };
    for (const k of ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'PORT', 'HOST', 'LOG_LEVEL', 'GSLB_CONFIG', 'WEBHOOK_WORKERS', 'NODE_OPTIONS']) delete env[k];
    const start = async (name: ServerName, cpus: string | undefined): Promise<Server> => {
      const port = await freePort();
      const url = `https://127.0.0.1:${port}`;
      let started: Started;
      if (name === 'bare') started = await startServer(process.execPath, [bareJs!, certs.certFile, certs.keyFile, String(port)], { url, ca: certs.ca, cpus, env });
      else if (name === 'go' || name === 'go-2cores') started = await startServer(peer!.bin, ['--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir], { url, ca: certs.ca, cpus, env });
      else {
        // Two cores: the workers a pod with limits.cpu 2 would run.
        const workers = ['--webhook-workers', name === 'amko' ? '1' : '2'];
        const profiled = PROFILE && name === 'amko';
        if (profiled) {
          rmSync(profDir, { recursive: true, force: true });
          mkdirSync(profDir, { recursive: true });
        }
        const serve = amkoServe(
          cliJs!,
          ['--no-worker', '--host', '127.0.0.1', '--port', String(port), '--tls-cert-file', certs.certFile, '--tls-key-file', certs.keyFile, ...workers],
          env,
          profiled ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
        );
        if (profiled) profiledSince = Date.now();
        started = await startServer(serve.cmd, serve.args, { url, ca: certs.ca, cpus, env: serve.env });
      }
      const s = { ...started, name };
      servers.push(s);
      log(`${name}: pid ${s.pid} at ${url}${cpus ? ` on CPU ${cpus}` : ''}`);
      return s;
    };
    const oneCore = pin ? '1' : undefined;
    const single: Server[] = [await start('bare', oneCore), await start('amko', oneCore)];
    if (peer) single.push(await start('go', oneCore));
    const twoCores: Server[] = [await start('amko-2cores', undefined)];
    if (peer) twoCores.push(await start('go-2cores', undefined));
    for (const s of servers) await checkAnswers(s, certs.ca);

    log('warm-up');
    for (const s of servers) await saturate(s, MIX, 3);

    // The profile leaves out start-up and warm-up: it starts with the measured runs.
    const profileSkipMs = Date.now() - profiledSince;
    const saturation: Saturation[] = [];
    const rate: RateRun[] = [];
    if (pin) pinProcess(process.pid, '0');
    markLoad('start');
    for (let r = 1; r <= ROUNDS; r++) {
      for (const sc of SCENARIOS) {
        for (const s of rotate(single, r - 1)) {
          await saturate(s, [sc.request], WARMUP);
          const m = await saturate(s, [sc.request], DURATION);
          saturation.push({ server: s.name, scenario: sc.name, round: r, ...m });
          log(`round ${r} one core: ${s.name} ${sc.name}: ${m.rps} req/s, ${m.cpuUsPerRequest} µs CPU/request`);
        }
      }
      for (const s of rotate(single, r - 1)) {
        const m = await fixedRate(s, r);
        rate.push(m);
        log(`round ${r} ${RATE} req/s: ${s.name}: p50 ${m.latencyMs.p50} ms, p99 ${m.latencyMs.p99} ms`);
      }
      markLoad(`round ${r} one core done`);
    }
    if (pin) pinProcess(process.pid, allCpus);
    for (let r = 1; r <= ROUNDS; r++) {
      for (const sc of SCENARIOS) {
        for (const s of rotate(twoCores, r - 1)) {
          await saturate(s, [sc.request], WARMUP);
          const m = await saturate(s, [sc.request], DURATION);
          saturation.push({ server: s.name, scenario: sc.name, round: r, ...m });
          log(`round ${r} two cores: ${s.name} ${sc.name}: ${m.rps} req/s, ${m.cpuUsPerRequest} µs CPU/request`);
        }
      }
      markLoad(`round ${r} two cores done`);
    }

    const memory: Partial<Record<ServerName, Memory & { workers: number }>> = {};
    for (const s of servers) memory[s.name] = { ...treeMemory(s.pid), workers: processTree(s.pid).length };
    for (const s of servers.splice(0)) await s.stop();

    let profile: ProfileSummary | undefined;
    if (PROFILE) {
      const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(profDir, f));
      profile = files.map((f) => summariseProfile(f, 15, profileSkipMs)).sort((a, b) => b.totalMs - b.idleMs - (a.totalMs - a.idleMs))[0];
    }

    const names = (phase: Server[]) => phase.map((s) => s.name);
    const of = (server: ServerName, scenario: string) => saturation.filter((x) => x.server === server && x.scenario === scenario);
    const sameRound = (a: ServerName, b: ServerName, scenario: string, f: (x: Saturation) => number) =>
      of(a, scenario).flatMap((x) => of(b, scenario).filter((y) => y.round === x.round).map((y) => f(x) / f(y)));
    const perScenario = SCENARIOS.map((sc) => {
      const row: Record<string, unknown> = { scenario: sc.name };
      for (const n of [...names(single), ...names(twoCores)]) {
        const runs = of(n, sc.name);
        row[n] = { cpuUsPerRequest: spread(runs.map((x) => x.cpuUsPerRequest), 1), rps: spread(runs.map((x) => x.rps), 0) };
      }
      row.amkoCpuToBare = spread(sameRound('amko', 'bare', sc.name, (x) => x.cpuUsPerRequest));
      if (peer) {
        row.amkoCpuToGo = spread(sameRound('amko', 'go', sc.name, (x) => x.cpuUsPerRequest));
        row.twoCoresAmkoRpsToGo = spread(sameRound('amko-2cores', 'go-2cores', sc.name, (x) => x.rps));
      }
      return row;
    });
    const rateSummary = Object.fromEntries(
      names(single).map((n) => {
        const runs = rate.filter((x) => x.server === n);
        return [n, { p50: spread(runs.map((x) => x.latencyMs.p50)), p99: spread(runs.map((x) => x.latencyMs.p99)), p99_9: spread(runs.map((x) => x.latencyMs.p99_9)), achievedRps: spread(runs.map((x) => x.achievedRps), 0) }];
      }),
    );
    const targets = [
      ...SCENARIOS.map((sc) => {
        const ratio = (perScenario.find((p) => p.scenario === sc.name)!.amkoCpuToBare as Spread).median;
        return { target: `CPU per request ≤ ${TARGET_CPU_RATIO}× bare node:https, ${sc.name}`, measured: ratio, met: ratio <= TARGET_CPU_RATIO };
      }),
      ...(peer
        ? SCENARIOS.map((sc) => {
            const ratio = (perScenario.find((p) => p.scenario === sc.name)!.twoCoresAmkoRpsToGo as Spread).median;
            return { target: `two cores: saturated req/s ≥ the Go peer's, ${sc.name}`, measured: ratio, met: ratio >= 1 };
          })
        : []),
      { target: `webhook-only RSS after load ≤ ${TARGET_RSS_MIB} MiB (one process)`, measured: memory.amko!.rssMiB, met: memory.amko!.rssMiB <= TARGET_RSS_MIB },
    ];
    const out = {
      benchmark: 'webhook',
      machine: before,
      loadAvgAfter: os.loadavg().map((l) => round(l, 2)),
      loadAvgs,
      settings: {
        durationS: DURATION,
        warmupS: WARMUP,
        rounds: ROUNDS,
        saturationConnections: CONNECTIONS,
        fixedRate: RATE,
        fixedRateConnections: RATE_CONNECTIONS,
        pinned: pin ? 'one-core phase: servers on CPU 1, load generator on CPU 0; two-core phase: nothing pinned' : 'not pinned (no taskset or one CPU)',
        amko: `\`amko serve --no-worker\` compiled (.cache/bench-build), run as the image runs it (scripts/entrypoint.sh with the chart's memory limit, ${chartMemoryLimit() / 2 ** 20} MiB: V8 old generation ${chartMemoryLimit() / 2 ** 21} MiB), no cluster connection, log level info to /dev/null, metrics on`,
        peer: peer ? { from: peer.from, note: 'controller-runtime pkg/webhook/admission GDP validator + defaulter, one JSON log line per decision to /dev/null' } : null,
      },
      saturation,
      fixedRate: rate,
      summary: { perScenario, fixedRate: rateSummary },
      memory,
      targets,
      profile,
    };
    const name = PROFILE ? 'webhook-profiled' : 'webhook';
    writeResult(name, out);
    updateBenchmarksMd(name, renderComponent(out));
    log(`wrote bench/results/${name}.json and its BENCHMARKS.md section`);
    for (const t of targets) log(`${t.met ? 'met    ' : 'NOT MET'} ${t.target}: ${t.measured}`);
  } finally {
    for (const s of servers) await s.stop();
    rmSync(certDir, { recursive: true, force: true });
  }
}

const sp = (s: Spread | undefined, digits = 0) => (s ? `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})` : '—');

function renderComponent(out: any): string {
  const peer = out.settings.peer !== null;
  const cols = peer ? ['bare', 'amko', 'go'] : ['bare', 'amko'];
  const head = (x: string) => ({ bare: 'bare node:https', amko: 'amko', go: 'Go peer', 'amko-2cores': 'amko', 'go-2cores': 'Go peer' })[x] ?? x;
  const lines: string[] = [
    out.profile ? '## Webhook, profiled run (`BENCH_CPU_PROF=1 npm run bench:webhook`; amko runs under `--cpu-prof`, so its figures are higher)' : '## Webhook, component (`npm run bench:webhook`)',
    '',
    machineTable(out.machine, out.loadAvgAfter),
    '',
    `Settings: ${out.settings.rounds} rounds (order rotated each round), ${out.settings.durationS} s per run after ${out.settings.warmupS} s of warm-up; saturation with ${out.settings.saturationConnections} keep-alive HTTPS connections (autocannon in the runner process); ${out.settings.pinned}. amko: ${out.settings.amko}. ${peer ? `Go peer: ${out.settings.peer.note}.` : 'No peer given (see "Running the peer").'} Figures are medians over the rounds (min–max).`,
    '',
    '### CPU per request, one core',
    '',
    `| Body | ${cols.map((c) => `${head(c)} µs`).join(' | ')} | amko ÷ bare (≤ ${TARGET_CPU_RATIO}) |${peer ? ' amko ÷ Go |' : ''} ${cols.map((c) => `${head(c)} req/s`).join(' | ')} |`,
    `|---|${cols.map(() => '---:').join('|')}|---:|${peer ? '---:|' : ''}${cols.map(() => '---:').join('|')}|`,
    ...out.summary.perScenario.map(
      (p: any) =>
        `| ${p.scenario} | ${cols.map((c) => sp(p[c]?.cpuUsPerRequest)).join(' | ')} | **${fmt(p.amkoCpuToBare.median, 2)}** ${p.amkoCpuToBare.median <= TARGET_CPU_RATIO ? '✅' : '❌'} (${fmt(p.amkoCpuToBare.min, 2)}–${fmt(p.amkoCpuToBare.max, 2)}) |${peer ? ` ${fmt(p.amkoCpuToGo.median, 2)} |` : ''} ${cols.map((c) => sp(p[c]?.rps)).join(' | ')} |`,
    ),
    '',
  ];
  if (peer) {
    lines.push(
      '### Two cores (nothing pinned; amko with 2 webhook workers, as `auto` runs with limits.cpu 2; the Go peer with its default GOMAXPROCS)',
      '',
      `| Body | amko req/s | Go peer req/s | amko ÷ Go (≥ 1) | amko µs CPU/request | Go µs CPU/request |`,
      '|---|---:|---:|---:|---:|---:|',
      ...out.summary.perScenario.map(
        (p: any) =>
          `| ${p.scenario} | ${sp(p['amko-2cores'].rps)} | ${sp(p['go-2cores'].rps)} | **${fmt(p.twoCoresAmkoRpsToGo.median, 2)}** ${p.twoCoresAmkoRpsToGo.median >= 1 ? '✅' : '❌'} (${fmt(p.twoCoresAmkoRpsToGo.min, 2)}–${fmt(p.twoCoresAmkoRpsToGo.max, 2)}) | ${sp(p['amko-2cores'].cpuUsPerRequest)} | ${sp(p['go-2cores'].cpuUsPerRequest)} |`,
      ),
      '',
    );
  }
  lines.push(
    `### Latency at ${out.settings.fixedRate} requests/s (open loop over ${out.settings.fixedRateConnections} connections, the three bodies in turn, one core)`,
    '',
    '| Server | p50 ms | p99 ms | p99.9 ms | achieved req/s |',
    '|---|---:|---:|---:|---:|',
    ...Object.entries(out.summary.fixedRate).map(([n, r]: [string, any]) => `| ${head(n)} | ${sp(r.p50, 2)} | ${sp(r.p99, 2)} | ${sp(r.p99_9, 2)} | ${sp(r.achievedRps)} |`),
    '',
    '### Memory after the load',
    '',
    '| Server | processes | VmRSS MiB | VmHWM (peak) MiB | Pss MiB |',
    '|---|---:|---:|---:|---:|',
    ...Object.entries(out.memory).map(
      ([n, m]: [string, any]) => `| ${n.endsWith('-2cores') ? `${head(n)}, two cores` : head(n)} | ${m.processes} | ${fmt(m.rssMiB, 1)} | ${fmt(m.peakRssMiB, 1)} | ${fmt(m.pssMiB, 1)} |`,
    ),
    '',
    'Sums over a server and its child processes (amko\'s webhook workers); Pss splits the pages the processes share.',
    '',
    '### Targets',
    '',
    '| Target | Measured | Met |',
    '|---|---:|---|',
    ...out.targets.map((t: any) => `| ${t.target} | ${fmt(t.measured, 2)} | ${t.met ? '✅' : '❌'} |`),
    '',
    'Bodies (captured kube-apiserver AdmissionReviews, bench/fixtures/):',
    ...SCENARIOS.map((s) => `- \`${s.name}\`: ${s.description}`),
    '',
    'Load averages during the run:',
    '',
    ...out.loadAvgs.map((l: any) => `- ${l.at}: ${l.loadAvg.join(' / ')}`),
  );
  if (out.profile) {
    lines.push(
      '',
      `CPU profile of the one-core amko (\`node --cpu-prof\`, whole run, ${fmt(out.profile.totalMs - out.profile.idleMs, 0)} ms busy), self time:`,
      '',
      '| Category | Self ms | % of busy |',
      '|---|---:|---:|',
      ...out.profile.byCategory.map((x: any) => `| ${x.category} | ${fmt(x.selfMs, 0)} | ${fmt(x.pct, 1)} |`),
      '',
      '| Function | Where | Self ms | % of busy |',
      '|---|---|---:|---:|',
      ...out.profile.topFunctions.map((x: any) => `| ${x.fn} | ${x.where} | ${fmt(x.selfMs, 0)} | ${fmt(x.pct, 1)} |`),
    );
  }
  return lines.join('\n');
}

const only = argValue(process.argv.slice(2), '--only');
if (only && only !== 'component' && only !== 'e2e') {
  console.error('usage: npm run bench:webhook -- [--peer-dir DIR | --peer-bin FILE] [--only component|e2e]');
  process.exit(2);
}
const peer = resolvePeer();
if (only !== 'e2e') await runComponent(peer);
if (only !== 'component' && !PROFILE) await runE2e(peer);
