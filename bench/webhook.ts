// Webhook benchmark (`npm run bench:webhook`).
//
// Three processes: this runner (the autocannon load generator), the admission
// server under test (bench/webhook-server.ts) and the baseline, a bare
// node:https server answering one fixed AdmissionReview
// (bench/baseline-server.ts). Both servers use the same generated certificate
// and TLS settings; all requests are HTTPS keep-alive.
//
// Figures: requests/s at saturation, p50/p99/p99.9 latency at a fixed rate
// (default 1,000 requests/s), CPU time per request and peak RSS of each server.
// Every amko figure is also given as a ratio to the baseline of the same run;
// the baseline is measured before and after amko and averaged.
//
// Env: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (default 50),
// BENCH_RATE (default 1000), BENCH_RATE_CONNECTIONS (default 20),
// BENCH_CPU_PROF=1 (profile the amko server and summarise the profile).
import https from 'node:https';
import { mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon, { type AutocannonRequest, type AutocannonResult } from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { ensureLocalCertificates } from '../src/certs/local.js';
import {
  BENCH_DIR,
  RESULTS_DIR,
  compileEntries,
  cpuMs,
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
import { paced } from './lib/paced.js';
import { summariseProfile, type ProfileSummary } from './lib/profile.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const RATE_CONNECTIONS = Number(process.env.BENCH_RATE_CONNECTIONS ?? 20);
const PROFILE = process.env.BENCH_CPU_PROF === '1';

const TARGET_RATIO = 0.7;
const TARGET_P99_MS = 5;

/** Compact JSON + newline, as kube-apiserver sends it. */
function body(name: string): string {
  return `${JSON.stringify(JSON.parse(readFileSync(path.join(BENCH_DIR, 'fixtures', `${name}.json`), 'utf8')))}\n`;
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, */*', 'user-agent': 'kube-apiserver-admission' };
const req = (p: string, b: string): AutocannonRequest => ({ method: 'POST', path: `${p}?timeout=10s`, headers: HEADERS, body: b });

const GDP = body('gdp-create.validate');
const GDP_INVALID = body('gdp-create-invalid.validate');
const GHR_MUTATE = body('gslbhostrule-create.mutate');
const GHR_VALIDATE = body('gslbhostrule-create.validate');

interface Scenario {
  name: string;
  description: string;
  requests: AutocannonRequest[];
  /** Expected answers, checked once before the load (path -> allowed, patched). */
  expect: Array<{ path: string; body: string; allowed: boolean; patched: boolean }>;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'validate-gdp',
    description: `/validate, GlobalDeploymentPolicy CREATE (captured kubectl apply, ${GDP.length} B): allowed; member clusters checked against the cached GSLBConfig`,
    requests: [req('/validate', GDP)],
    expect: [{ path: '/validate', body: GDP, allowed: true, patched: false }],
  },
  {
    name: 'mutate-ghr',
    description: `/mutate, GSLBHostRule CREATE (${GHR_MUTATE.length} B) whose trafficSplit needs priority defaults: JSONPatch answer`,
    requests: [req('/mutate', GHR_MUTATE)],
    expect: [{ path: '/mutate', body: GHR_MUTATE, allowed: true, patched: true }],
  },
  {
    name: 'mix',
    description:
      'mix per 10 requests: 4 /validate GDP allowed, 2 /validate GDP denied (422: weight out of range, ttl), 2 /mutate GSLBHostRule, 2 /validate GSLBHostRule denied (non-member clusters, read from the cache, among 500 cached GSLBHostRules)',
    requests: [
      req('/validate', GDP),
      req('/mutate', GHR_MUTATE),
      req('/validate', GDP_INVALID),
      req('/validate', GDP),
      req('/validate', GHR_VALIDATE),
      req('/validate', GDP),
      req('/mutate', GHR_MUTATE),
      req('/validate', GDP_INVALID),
      req('/validate', GDP),
      req('/validate', GHR_VALIDATE),
    ],
    expect: [
      { path: '/validate', body: GDP_INVALID, allowed: false, patched: false },
      { path: '/validate', body: GHR_VALIDATE, allowed: false, patched: false },
    ],
  },
];

interface Server {
  name: 'baseline' | 'amko' | 'reference';
  child: ChildProcess;
  pid: number;
  url: string;
}

interface SaturationRun {
  rps: number;
  requests: number;
  errors: number;
  non2xx: number;
  cpuMsPerRequest: number;
  latencyMs: { p50: number; p99: number };
}
interface RateRun {
  targetRps: number;
  achievedRps: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** Open-loop paced client (bench/lib/paced.ts): due time -> response end, sub-millisecond precision. */
  latencyMs: { p50: number; p99: number; p99_9: number; max: number };
  cpuMsPerRequest: number;
}

function load(
  server: Server,
  requests: AutocannonRequest[],
  opts: { duration: number; connections: number; rate?: number },
): Promise<{ result: AutocannonResult; cpuMs: number }> {
  const cpu0 = cpuMs(server.pid);
  return new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: server.url,
        connections: opts.connections,
        duration: opts.duration,
        requests,
        overallRate: opts.rate,
        timeout: 10,
      },
      (err, result) => {
        if (err) reject(err);
        else resolve({ result, cpuMs: cpuMs(server.pid) - cpu0 });
      },
    );
    void inst;
  });
}

async function saturate(server: Server, requests: AutocannonRequest[]): Promise<SaturationRun> {
  const { result, cpuMs: cpu } = await load(server, requests, { duration: DURATION, connections: CONNECTIONS });
  const n = result.requests.total;
  return {
    rps: round(n / result.duration, 0),
    requests: n,
    errors: result.errors,
    non2xx: result.non2xx,
    cpuMsPerRequest: round(cpu / Math.max(1, n), 4),
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
  };
}

async function fixedRate(server: Server, requests: AutocannonRequest[]): Promise<RateRun> {
  const cpu0 = cpuMs(server.pid);
  const r = await paced(
    server.url,
    requests.map((q) => ({ path: q.path!, body: String(q.body), headers: q.headers ?? {} })),
    { rate: RATE, durationS: DURATION, connections: RATE_CONNECTIONS },
  );
  const cpu = cpuMs(server.pid) - cpu0;
  const sorted = sortedCopy(r.samples);
  return {
    targetRps: RATE,
    achievedRps: round(r.completed / r.durationS, 0),
    requests: r.completed,
    errors: r.errors,
    non2xx: r.non2xx,
    latencyMs: {
      p50: round(percentile(sorted, 50), 3),
      p99: round(percentile(sorted, 99), 3),
      p99_9: round(percentile(sorted, 99.9), 3),
      max: round(sorted[sorted.length - 1] ?? NaN, 3),
    },
    cpuMsPerRequest: round(cpu / Math.max(1, r.completed), 4),
  };
}

function post(url: string, ca: string, p: string, b: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const u = new URL(p, url);
    const r = https.request(u, { method: 'POST', ca, headers: { ...HEADERS, 'content-length': Buffer.byteLength(b) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${p}: HTTP ${res.statusCode} ${text}`))));
    });
    r.on('error', reject);
    r.end(b);
  });
}

async function checkAnswers(amko: Server, ca: string): Promise<void> {
  for (const s of SCENARIOS) {
    for (const e of s.expect) {
      const res = (await post(amko.url, ca, e.path, e.body)).response;
      if (res.allowed !== e.allowed || (res.patch !== undefined) !== e.patched) {
        throw new Error(`${s.name}: ${e.path} answered ${JSON.stringify(res)}; expected allowed=${e.allowed} patched=${e.patched}`);
      }
    }
  }
}

async function main(): Promise<void> {
  const before = machine();
  log(`machine: ${before.cpus} CPUs (${before.cpuModel}), load ${before.loadAvg.join(' ')}, node ${before.node}`);
  const certDir = mkdtempSync(path.join(os.tmpdir(), 'amko-bench-certs-'));
  const profDir = path.join(RESULTS_DIR, 'profiles');
  const children: ChildProcess[] = [];
  try {
    const certs = await ensureLocalCertificates({ certDir });
    log('compiling the servers (tsc -> .cache/bench-build)');
    const [amkoJs, baselineJs, referenceJs] = compileEntries(['bench/webhook-server.ts', 'bench/baseline-server.ts', 'bench/rules-server.ts']);
    const compiled = { amko: amkoJs!, baseline: baselineJs!, reference: referenceJs! };
    process.env.BENCH_FIXTURES = path.join(BENCH_DIR, 'fixtures');
    const start = async (name: Server['name']): Promise<Server> => {
      const script = compiled[name];
      const nodeArgs = PROFILE && name === 'amko' ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
      if (nodeArgs.length) {
        rmSync(profDir, { recursive: true, force: true });
        mkdirSync(profDir, { recursive: true });
      }
      const { child, ready } = await startChild(script, [certs.certFile, certs.keyFile], { nodeArgs });
      children.push(child);
      return { name, child, pid: child.pid!, url: `https://127.0.0.1:${String(ready.port)}` };
    };
    const baseline = await start('baseline');
    const amko = await start('amko');
    const reference = await start('reference');
    log(`baseline pid ${baseline.pid} at ${baseline.url}; amko pid ${amko.pid} at ${amko.url}; reference pid ${reference.pid}`);
    await checkAnswers(amko, certs.ca);
    await checkAnswers(reference, certs.ca);

    // Warm-up (JIT, TLS session setup) for both servers.
    log('warm-up');
    await load(baseline, [req('/validate', GDP)], { duration: 3, connections: CONNECTIONS });
    await load(amko, SCENARIOS[2]!.requests, { duration: 3, connections: CONNECTIONS });
    await load(reference, SCENARIOS[2]!.requests, { duration: 3, connections: CONNECTIONS });

    const results: Record<string, { saturation?: SaturationRun; fixedRate?: RateRun }> = {};
    const runBaseline = async (tag: string) => {
      log(`baseline saturation (${tag})`);
      const sat = await saturate(baseline, [req('/validate', GDP)]);
      log(`  ${sat.rps} req/s`);
      log(`baseline at ${RATE} req/s (${tag})`);
      const fr = await fixedRate(baseline, [req('/validate', GDP)]);
      log(`  p50 ${fr.latencyMs.p50} ms, p99 ${fr.latencyMs.p99} ms`);
      return { saturation: sat, fixedRate: fr };
    };
    results['baseline-before'] = await runBaseline('before');
    for (const s of SCENARIOS) {
      log(`amko ${s.name} saturation`);
      const sat = await saturate(amko, s.requests);
      log(`  ${sat.rps} req/s`);
      log(`amko ${s.name} at ${RATE} req/s`);
      const fr = await fixedRate(amko, s.requests);
      log(`  p50 ${fr.latencyMs.p50} ms, p99 ${fr.latencyMs.p99} ms, p99.9 ${fr.latencyMs.p99_9} ms`);
      results[s.name] = { saturation: sat, fixedRate: fr };
    }
    const referenceRuns: Record<string, SaturationRun> = {};
    for (const s of SCENARIOS) {
      log(`reference (rules on bare node:https) ${s.name} saturation`);
      referenceRuns[s.name] = await saturate(reference, s.requests);
      log(`  ${referenceRuns[s.name]!.rps} req/s`);
    }
    results['baseline-after'] = await runBaseline('after');

    const rss = { baseline: rssMiB(baseline.pid), amko: rssMiB(amko.pid) };
    for (const c of children.splice(0)) await stopChild(c);

    let profile: ProfileSummary | undefined;
    if (PROFILE) {
      const files = readdirSync(profDir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => path.join(profDir, f))
        .sort();
      // tsx's loader thread writes its own (small) profile; keep the main thread's, the busiest.
      const summaries = files.map((f) => summariseProfile(f));
      profile = summaries.sort((a, b) => b.totalMs - b.idleMs - (a.totalMs - a.idleMs))[0];
    }

    const b0 = results['baseline-before']!;
    const b1 = results['baseline-after']!;
    const baselineRps = (b0.saturation!.rps + b1.saturation!.rps) / 2;
    const baselineCpu = (b0.saturation!.cpuMsPerRequest + b1.saturation!.cpuMsPerRequest) / 2;
    const after = machine().loadAvg;
    const scenarios = SCENARIOS.map((s) => {
      const r = results[s.name]!;
      const ratio = round(r.saturation!.rps / baselineRps, 3);
      return {
        name: s.name,
        description: s.description,
        ...r,
        ratioToBaseline: ratio,
        reference: { ...referenceRuns[s.name]!, ratioToBaseline: round(referenceRuns[s.name]!.rps / baselineRps, 3) },
        cpuRatioToBaseline: round(r.saturation!.cpuMsPerRequest / baselineCpu, 2),
        targets: {
          throughputRatio: { target: `>= ${TARGET_RATIO}`, measured: ratio, met: ratio >= TARGET_RATIO },
          p99AtRate: { target: `<= ${TARGET_P99_MS} ms at ${RATE} req/s`, measured: r.fixedRate!.latencyMs.p99, met: r.fixedRate!.latencyMs.p99 <= TARGET_P99_MS },
        },
      };
    });
    const out = {
      benchmark: 'webhook',
      machine: before,
      loadAvgAfter: after,
      settings: {
        durationS: DURATION,
        saturationConnections: CONNECTIONS,
        fixedRate: RATE,
        fixedRateConnections: RATE_CONNECTIONS,
        loadGenerator: 'saturation: autocannon 8 (API); fixed rate: an open-loop paced keep-alive HTTPS client (bench/lib/paced.ts; latency from each request\'s due time). Both in the runner process; the servers are separate child processes',
        view: 'in-memory view with the informer cache interface (GSLBConfig gc-1 with 2 member clusters, 500 GSLBHostRules); no direct API reads',
        logLevel: process.env.LOG_LEVEL ?? 'info',
      },
      baseline: { before: b0, after: b1, meanRps: round(baselineRps, 0), meanCpuMsPerRequest: round(baselineCpu, 4) },
      scenarios,
      peakRssMiB: { baseline: rss.baseline.peak, amko: rss.amko.peak },
      profile,
    };
    // A profiled run (slower amko) keeps its own result file and section, so it never replaces the plain figures.
    const name = PROFILE ? 'webhook-profiled' : 'webhook';
    const file = writeResult(name, out);
    log(`wrote ${path.relative(process.cwd(), file)}`);
    updateBenchmarksMd(name, renderMarkdown(out));
    log('updated BENCHMARKS.md');
    const failed = scenarios.flatMap((s) => Object.entries(s.targets).filter(([, t]) => !t.met).map(([k]) => `${s.name}.${k}`));
    if (failed.length) log(`targets not met: ${failed.join(', ')}`);
    else log('all webhook targets met');
  } finally {
    for (const c of children) await stopChild(c);
    rmSync(certDir, { recursive: true, force: true });
  }
}

function renderMarkdown(out: any): string {
  const b = out.baseline;
  const rows = [
    '| Scenario | Saturated req/s | Ratio to baseline (≥ 0.7) | p50 / p99 / p99.9 at ' +
      `${out.settings.fixedRate} req/s (ms) | p99 ≤ 5 ms | CPU ms/request (ratio) |`,
    '|---|---:|---:|---|---|---:|',
    `| baseline (bare node:https), before | ${fmt(b.before.saturation.rps, 0)} | 1 | ${lat(b.before.fixedRate)} | — | ${fmt(b.before.saturation.cpuMsPerRequest, 3)} |`,
    `| baseline (bare node:https), after | ${fmt(b.after.saturation.rps, 0)} | 1 | ${lat(b.after.fixedRate)} | — | ${fmt(b.after.saturation.cpuMsPerRequest, 3)} |`,
    ...out.scenarios.map(
      (s: any) =>
        `| amko ${s.name} | ${fmt(s.saturation.rps, 0)} | **${fmt(s.ratioToBaseline, 2)}** ${s.targets.throughputRatio.met ? '✅' : '❌'} | ${lat(s.fixedRate)} | ${s.targets.p99AtRate.met ? '✅' : '❌'} | ${fmt(s.saturation.cpuMsPerRequest, 3)} (${fmt(s.cpuRatioToBaseline, 2)}×) |`,
    ),
    ...out.scenarios.map(
      (s: any) =>
        `| reference: same rules on bare node:https, ${s.name} | ${fmt(s.reference.rps, 0)} | ${fmt(s.reference.ratioToBaseline, 2)} | — | — | ${fmt(s.reference.cpuMsPerRequest, 3)} |`,
    ),
  ];
  const m = out.machine;
  return [
    out.profile ? '## Webhook, profiled run (`BENCH_CPU_PROF=1 npm run bench:webhook`; amko runs under `--cpu-prof`, so its figures are lower)' : '## Webhook (`npm run bench:webhook`)',
    '',
    machineTable(m, out.loadAvgAfter),
    '',
    `Settings: ${out.settings.durationS} s per run; saturation with ${out.settings.saturationConnections} keep-alive HTTPS connections; fixed rate ${out.settings.fixedRate} req/s (open loop) over up to ${out.settings.fixedRateConnections} keep-alive connections. Load generator: ${out.settings.loadGenerator}. View: ${out.settings.view}. Log level: ${out.settings.logLevel}. The baseline ratio uses the mean of the baseline before and after (${fmt(b.meanRps, 0)} req/s).`,
    '',
    ...rows,
    '',
    `Peak RSS (VmHWM): baseline ${out.peakRssMiB.baseline} MiB, amko ${out.peakRssMiB.amko} MiB.`,
    '',
    'The reference rows are not a product path: bench/rules-server.ts does the same admission work (decode, rules with the same view, defaults + JSONPatch, Status bodies, metrics, decision log line) directly on node:https without express, to show what the framework costs.',
    '',
    'Scenarios:',
    ...out.scenarios.map((s: any) => `- \`${s.name}\`: ${s.description}`),
    ...(out.profile
      ? [
          '',
          `CPU profile of the amko server (\`node --cpu-prof\`, whole run, ${fmt(out.profile.totalMs - out.profile.idleMs, 0)} ms busy), self time by module:`,
          '',
          '| Module | Self ms | % of busy |',
          '|---|---:|---:|',
          ...out.profile.byModule.slice(0, 10).map((x: any) => `| ${x.module} | ${fmt(x.selfMs, 0)} | ${fmt(x.pct, 1)} |`),
          '',
          'By category:',
          '',
          '| Category | Self ms | % of busy |',
          '|---|---:|---:|',
          ...out.profile.byCategory.map((x: any) => `| ${x.category} | ${fmt(x.selfMs, 0)} | ${fmt(x.pct, 1)} |`),
        ]
      : []),
  ].join('\n');
}

function lat(r: RateRun): string {
  return `${fmt(r.latencyMs.p50, 2)} / ${fmt(r.latencyMs.p99, 2)} / ${fmt(r.latencyMs.p99_9, 2)} (${fmt(r.achievedRps, 0)} req/s achieved)`;
}

await main();
