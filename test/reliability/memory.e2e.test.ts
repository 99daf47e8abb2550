// Memory inside the chart's limit. The server runs with the NODE_OPTIONS the image's entrypoint
// derives from the chart's resources.limits.memory (scripts/entrypoint.sh: half of it for V8's
// heap), under the soak scenario (scripts/soak.ts, shortened: two real kube-apiservers, the
// Avi simulator, `amko serve` with the worker, webhook load and sync churn) and under attack
// (the fuzzer, 32 connections: deep and huge bodies, bombs, slow senders). Either way: no crash,
// no error, and the server's peak RSS (VmHWM, the kernel's high-water mark) below the limit.
//
// The server runs from source through tsx, which adds about 75 MiB over the compiled image
// (idle: 222 MiB against 147 MiB), so the margin in the image is larger than here.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { runFuzz } from '../fuzz/fuzzer.js';
import { repoRoot } from '../admission/support.js';
import { entrypointFor } from './entrypoint-run.js';

const UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

/** A Kubernetes memory quantity (512Mi, 1G, 400000000) in bytes. */
function quantityBytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(q);
  assert.ok(m, `memory quantity ${q}`);
  return Number(m[1]) * UNITS[m[2] ?? '']!;
}

const values = YAML.parse(readFileSync(path.join(repoRoot, 'charts/amko/values.yaml'), 'utf8'));
const LIMIT_BYTES = quantityBytes(String(values.resources.limits.memory));
const LIMIT_MIB = LIMIT_BYTES / 2 ** 20;
const NODE_OPTIONS = entrypointFor({ AMKO_MEMORY_LIMIT: String(LIMIT_BYTES) }).nodeOptions;

describe(`reliability: memory within the chart's ${values.resources.limits.memory} limit (${NODE_OPTIONS})`, function () {
  this.timeout(15 * 60_000);

  it('the entrypoint gives the heap a limit for the chart default', () => {
    assert.match(NODE_OPTIONS, /^--max-old-space-size=\d+$/);
  });

  it('soak (shortened): no error, converged, peak RSS under the limit', async () => {
    const args = ['--import', 'tsx', 'scripts/soak.ts', '--rate', '500', '--duration', '60', '--sample', '5', '--server-node-options', NODE_OPTIONS];
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    await new Promise((r) => child.on('exit', r));
    assert.ok(stdout.trim().startsWith('{'), `no report; stderr:\n${stderr}`);
    const report = JSON.parse(stdout);
    process.stderr.write(`      soak: ${report.requests} requests, ${report.churn.opsApplied} churn ops, peak RSS ${report.peakRssMiB} MiB of ${LIMIT_MIB}\n`);
    assert.equal(report.serverNodeOptions, NODE_OPTIONS);
    assert.deepEqual(report.errors, { total: 0, transport: 0, timeouts: 0, non2xx: 0, badBodies: 0 });
    assert.equal(report.churn.opsFailed, 0);
    assert.equal(report.churn.converged, true, JSON.stringify(report.churn.drift));
    assert.ok(report.requests > 1000, `${report.requests} requests`);
    assert.ok(report.peakRssMiB < LIMIT_MIB, `peak RSS ${report.peakRssMiB} MiB`);
  });

  it('attack (3,000 fuzzer requests, 32 connections): no crash, every answer well formed, peak RSS under the limit', async () => {
    const r = await runFuzz({ requests: 3000, concurrency: 32, seed: 7, serverEnv: { NODE_OPTIONS } });
    process.stderr.write(`      attack: ${r.requests} requests, peak RSS ${r.rss.peakMiB} MiB of ${LIMIT_MIB}\n`);
    assert.equal(r.serverCrashed, false);
    assert.equal(r.healthyAfter, true);
    assert.equal(r.malformed, 0);
    assert.equal(r.failClosed, 0);
    assert.ok(r.rss.peakMiB < LIMIT_MIB, `peak RSS ${r.rss.peakMiB} MiB`);
  });
});
