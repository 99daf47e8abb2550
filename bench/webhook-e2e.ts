// The webhook end to end (part of `npm run bench:webhook`; `--only e2e` runs it alone): what a
// registered webhook adds to a GlobalDeploymentPolicy CREATE through a real kube-apiserver.
// Server-side dry-run CREATEs (POST ...?dryRun=All over one HTTP/2 connection, a fixed
// concurrency, bench/lib/dryrun.ts) against one test/harness kube-apiserver + etcd with amko's
// CRDs and a GSLBConfig in avi-system, under these registrations (webhook-config/, by URL with
// caBundle), interleaved with the order rotated every round:
//   none            no webhook: the CRD schema defaults and CEL rules only;
//   amko            `amko serve --no-worker --kubeconfig`: as deployed, with its cluster connection
//                   (informer cache, cross-object rules) and the webhook workers of the chart's
//                   limits.cpu (500m: the server process alone; bench/lib/amko.ts);
//   amko-nocluster  `amko serve --no-worker` without a cluster connection (the peer's rule scope);
//   go              the controller-runtime peer (bench/lib/peer.ts), when given.
// Per run: requests/s, latency percentiles, and the CPU time per request of the API server, etcd
// and the webhook (with its workers) from /proc.
//
// Env: BENCH_E2E_REQUESTS (1000 per run), BENCH_E2E_WARMUP (100), BENCH_E2E_CONCURRENCY (8),
// BENCH_ROUNDS (3).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureLocalCertificates } from '../src/certs/local.js';
import { startControlPlanes, clusterRequest, type ControlPlanes } from '../test/harness/control-plane.js';
import { applyWebhookConfigs, installCrds, unregisterWebhooks } from '../test/e2e/support/amko-server.js';
import { amkoServe } from './lib/amko.js';
import { BENCH_DIR, compileEntries, fmt, log, machine, machineTable, round, updateBenchmarksMd, writeResult } from './lib/common.js';
import { dryRunLoad, dryRunOnce, type Answer, type ApiServerClient } from './lib/dryrun.js';
import type { Peer } from './lib/peer.js';
import { cpuMsOf, freePort, processGroup, processTree, startServer, type Started } from './lib/procs.js';

const N = Number(process.env.BENCH_E2E_REQUESTS ?? 1000);
const WARM = Number(process.env.BENCH_E2E_WARMUP ?? 100);
const CONCURRENCY = Number(process.env.BENCH_E2E_CONCURRENCY ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGET_THROUGHPUT = 0.75;

type Config = 'none' | 'amko' | 'amko-nocluster' | 'go';
const GDP_PATH = (ns: string) => `/apis/amko.vmware.com/v1alpha2/namespaces/${ns}/globaldeploymentpolicies`;

function fixtureObject(name: string, namespace: string): Record<string, any> {
  const o = JSON.parse(readFileSync(path.join(BENCH_DIR, 'fixtures', `${name}.json`), 'utf8')).request.object;
  return { ...o, metadata: { name: o.metadata.name, namespace } };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether the API server calls the intended webhook (or none): each answers the probes in its own words. */
function isActive(cfg: Config, deny: Answer, valid: Answer): boolean {
  const noCluster = valid.warnings.some((w) => w.includes('no cluster connection'));
  switch (cfg) {
    case 'none':
      return deny.status === 201 && valid.status === 201;
    case 'amko':
      return deny.status === 403 && deny.body.includes('only accepted in namespace') && valid.status === 201 && !noCluster;
    case 'amko-nocluster':
      return deny.status === 403 && deny.body.includes('only accepted in namespace') && valid.status === 201 && noCluster;
    case 'go':
      return deny.status === 403 && deny.body.includes('AMKO objects must be in namespace') && valid.status === 201;
  }
}

export async function runE2e(peer: Peer | undefined): Promise<void> {
  const before = machine();
  log(`e2e: ${before.cpus} CPUs, load ${before.loadAvg.join(' ')}; peer: ${peer ? peer.from : 'none given'}`);
  const certDir = mkdtempSync(path.join(os.tmpdir(), 'amko-bench-e2e-certs-'));
  const servers = new Map<Config, Started>();
  let cp: ControlPlanes | undefined;
  const loadAvgs: Array<{ at: string; loadAvg: number[] }> = [];
  const markLoad = (at: string) => loadAvgs.push({ at, loadAvg: os.loadavg().map((l) => round(l, 2)) });
  try {
    const [cliJs] = compileEntries(['src/cli.ts', 'src/admission/workers/worker.ts']);
    log('starting a kube-apiserver + etcd (test/harness)');
    cp = await startControlPlanes({ clusters: 1, watchCache: true, namespaces: ['avi-system'] });
    const cluster = cp.clusters[0]!;
    const [etcdGroup, apiGroup] = cp.processGroups();
    const target = { kubeconfig: cluster.kubeconfigPath };
    await installCrds(target);
    const gc = fixtureObject('gslbconfig-create.validate', 'avi-system');
    const created = await clusterRequest(cluster, 'POST', '/apis/amko.vmware.com/v1alpha1/namespaces/avi-system/gslbconfigs', gc);
    if (created.status !== 201) throw new Error(`creating the GSLBConfig: ${created.status} ${created.body}`);
    const gdp = fixtureObject('gdp-create.mutate', 'avi-system');
    const gdpElsewhere = { ...gdp, metadata: { ...gdp.metadata, namespace: 'default' } };
    const client: ApiServerClient = cluster;

    const certs = await ensureLocalCertificates({ certDir });
    const env = { ...process.env };
    for (const k of ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'PORT', 'HOST', 'LOG_LEVEL', 'GSLB_CONFIG', 'WEBHOOK_WORKERS', 'NODE_OPTIONS']) delete env[k];
    const configs: Config[] = ['none', 'amko', 'amko-nocluster', ...(peer ? (['go'] as const) : [])];
    for (const cfg of configs) {
      if (cfg === 'none') continue;
      const port = await freePort();
      const url = `https://127.0.0.1:${port}`;
      const serve = ['--no-worker', '--host', '127.0.0.1', '--port', String(port), '--tls-cert-file', certs.certFile, '--tls-key-file', certs.keyFile];
      const amko = amkoServe(cliJs!, cfg === 'amko' ? [...serve, '--kubeconfig', cluster.kubeconfigPath] : serve, env);
      const s =
        cfg === 'go'
          ? await startServer(peer!.bin, ['--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir], { url, ca: certs.ca, env })
          : await startServer(amko.cmd, amko.args, { url, ca: certs.ca, env: amko.env });
      servers.set(cfg, s);
      log(`${cfg}: pid ${s.pid} at ${url}`);
    }

    const switchTo = async (cfg: Config) => {
      if (cfg === 'none') await unregisterWebhooks(target);
      else await applyWebhookConfigs(target, certs.ca, servers.get(cfg)!.url);
      let stable = 0;
      for (let i = 0; i < 200; i++) {
        const deny = await dryRunOnce(client, GDP_PATH('default'), gdpElsewhere);
        const valid = await dryRunOnce(client, GDP_PATH('avi-system'), gdp);
        if (isActive(cfg, deny, valid)) {
          if (++stable === 2) return;
          await sleep(1000);
        } else {
          stable = 0;
          if (i === 199) throw new Error(`registration ${cfg} did not become active: ${deny.status} ${deny.body.slice(0, 200)} / ${valid.status} ${valid.warnings.join('; ')}`);
          await sleep(200);
        }
      }
    };

    interface Run {
      config: Config;
      round: number;
      rps: number;
      latencyMs: { p50: number; p90: number; p99: number; max: number };
      statuses: Record<string, number>;
      cpuUsPerRequest: { apiserver: number; etcd: number; webhook: number };
    }
    const runs: Run[] = [];
    markLoad('start');
    for (let r = 1; r <= ROUNDS; r++) {
      const k = (r - 1) % configs.length;
      for (const cfg of [...configs.slice(k), ...configs.slice(0, k)]) {
        await switchTo(cfg);
        const webhookPids = cfg === 'none' ? [] : processTree(servers.get(cfg)!.pid);
        const groups = { apiserver: processGroup(apiGroup!), etcd: processGroup(etcdGroup!) };
        const cpu0 = { apiserver: cpuMsOf(groups.apiserver), etcd: cpuMsOf(groups.etcd), webhook: cpuMsOf(webhookPids) };
        const res = await dryRunLoad(client, GDP_PATH('avi-system'), gdp, { n: N, warmup: WARM, concurrency: CONCURRENCY });
        // The CPU deltas include the warm-up requests: divide by all of them.
        const per = (ms: number) => round((ms * 1000) / (N + WARM), 0);
        const run: Run = {
          config: cfg,
          round: r,
          rps: res.rps,
          latencyMs: res.latencyMs,
          statuses: res.statuses,
          cpuUsPerRequest: {
            apiserver: per(cpuMsOf(groups.apiserver) - cpu0.apiserver),
            etcd: per(cpuMsOf(groups.etcd) - cpu0.etcd),
            webhook: per(cpuMsOf(webhookPids) - cpu0.webhook),
          },
        };
        runs.push(run);
        log(`round ${r} ${cfg}: ${run.rps} req/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, CPU µs/request apiserver ${run.cpuUsPerRequest.apiserver} etcd ${run.cpuUsPerRequest.etcd} webhook ${run.cpuUsPerRequest.webhook}; ${JSON.stringify(run.statuses)}`);
      }
      markLoad(`round ${r} done`);
    }
    await unregisterWebhooks(target);

    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    };
    const spread = (xs: number[], d = 2) => ({ median: round(median(xs), d), min: round(Math.min(...xs), d), max: round(Math.max(...xs), d) });
    const none = (r: number) => runs.find((x) => x.config === 'none' && x.round === r)!;
    const summary = configs.map((cfg) => {
      const rs = runs.filter((x) => x.config === cfg);
      return {
        config: cfg,
        rps: spread(rs.map((x) => x.rps), 0),
        p50: spread(rs.map((x) => x.latencyMs.p50)),
        p99: spread(rs.map((x) => x.latencyMs.p99)),
        addedP50: spread(rs.map((x) => x.latencyMs.p50 - none(x.round).latencyMs.p50)),
        addedP99: spread(rs.map((x) => x.latencyMs.p99 - none(x.round).latencyMs.p99)),
        throughputToNone: spread(rs.map((x) => x.rps / none(x.round).rps)),
        cpuUsPerRequest: {
          apiserver: spread(rs.map((x) => x.cpuUsPerRequest.apiserver), 0),
          etcd: spread(rs.map((x) => x.cpuUsPerRequest.etcd), 0),
          webhook: spread(rs.map((x) => x.cpuUsPerRequest.webhook), 0),
        },
        statuses: rs.reduce<Record<string, number>>((acc, x) => {
          for (const [s, n] of Object.entries(x.statuses)) acc[s] = (acc[s] ?? 0) + n;
          return acc;
        }, {}),
      };
    });
    const amko = summary.find((s) => s.config === 'amko')!;
    const go = summary.find((s) => s.config === 'go');
    const targets = [
      { target: `amko as deployed: throughput ≥ ${TARGET_THROUGHPUT}× no webhook`, measured: amko.throughputToNone.median, met: amko.throughputToNone.median >= TARGET_THROUGHPUT },
      ...(go ? [{ target: "amko as deployed: added p50 ≤ the Go peer's (ms)", measured: amko.addedP50.median, peer: go.addedP50.median, met: amko.addedP50.median <= go.addedP50.median }] : []),
    ];
    const out = {
      benchmark: 'webhook-e2e',
      machine: before,
      loadAvgAfter: os.loadavg().map((l) => round(l, 2)),
      loadAvgs,
      settings: { requestsPerRun: N, warmup: WARM, concurrency: CONCURRENCY, rounds: ROUNDS, peer: peer ? peer.from : null },
      runs,
      summary,
      targets,
    };
    writeResult('webhook-e2e', out);
    updateBenchmarksMd('webhook-e2e', renderE2e(out));
    log('wrote bench/results/webhook-e2e.json and its BENCHMARKS.md section');
    for (const t of targets) log(`${t.met ? 'met    ' : 'NOT MET'} ${t.target}: ${t.measured}`);
  } finally {
    for (const s of servers.values()) await s.stop();
    await cp?.stop();
    rmSync(certDir, { recursive: true, force: true });
  }
}

function renderE2e(out: any): string {
  const sp = (s: any, d = 1) => `${fmt(s.median, d)} (${fmt(s.min, d)}–${fmt(s.max, d)})`;
  const name: Record<string, string> = {
    none: 'none (schema + CEL only)',
    amko: 'amko as deployed (with its cluster connection)',
    'amko-nocluster': 'amko without a cluster connection',
    go: 'Go peer (controller-runtime)',
  };
  return [
    '## Webhook, end to end (`npm run bench:webhook`, through a real kube-apiserver)',
    '',
    machineTable(out.machine, out.loadAvgAfter),
    '',
    `Settings: ${out.settings.rounds} rounds (registrations rotated each round); per run ${out.settings.requestsPerRun} server-side dry-run GDP CREATEs (\`?dryRun=All\`, after ${out.settings.warmup} warm-up) at concurrency ${out.settings.concurrency} over one HTTP/2 connection with the admin client certificate; one test/harness kube-apiserver (watch cache on) + etcd with amko's CRDs and a GSLBConfig; every webhook registered through webhook-config/ (mutating + validating by URL). "Added" is the same round minus \`none\`. Medians over the rounds (min–max).`,
    '',
    '| Registration | req/s | throughput ÷ none | p50 ms | added p50 ms | p99 ms | added p99 ms | API server µs CPU/req | etcd µs CPU/req | webhook µs CPU/req | answers |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...out.summary.map(
      (s: any) =>
        `| ${name[s.config]} | ${sp(s.rps, 0)} | ${s.config === 'none' ? '1' : sp(s.throughputToNone, 2)} | ${sp(s.p50)} | ${s.config === 'none' ? '—' : sp(s.addedP50)} | ${sp(s.p99)} | ${s.config === 'none' ? '—' : sp(s.addedP99)} | ${sp(s.cpuUsPerRequest.apiserver, 0)} | ${sp(s.cpuUsPerRequest.etcd, 0)} | ${s.config === 'none' ? '—' : sp(s.cpuUsPerRequest.webhook, 0)} | ${Object.entries(s.statuses).map(([k, v]) => `${v}× ${k}`).join(', ')} |`,
    ),
    '',
    '| Target | Measured | Met |',
    '|---|---:|---|',
    ...out.targets.map((t: any) => `| ${t.target} | ${fmt(t.measured, 2)}${t.peer !== undefined ? ` (Go peer ${fmt(t.peer, 2)})` : ''} | ${t.met ? '✅' : '❌'} |`),
    '',
    'Load averages during the run:',
    '',
    ...out.loadAvgs.map((l: any) => `- ${l.at}: ${l.loadAvg.join(' / ')}`),
  ].join('\n');
}
