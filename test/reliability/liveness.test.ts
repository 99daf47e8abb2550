// The server keeps answering while clients send it bodies nested 1.45 million levels deep:
// four clients post 2.8 MiB of them back to back for a few seconds, and a fifth probes /healthz
// the way the kubelet does (a new TLS connection each time). The real `amko serve`
// composition runs in a child process, so the probe measures the server's event loop,
// not the test's.
//
// Bounds: every probe answers within 3 s, the chart's livenessProbe timeoutSeconds (a slower
// answer counts as a failed probe), and the server spends under 200 ms of CPU per body. Before
// the depth check one such body cost 440 ms of CPU in JSON.parse (1.4-1.7 s of wall time on a
// loaded machine), and probes took 1.4 s on a quiet machine and 5.4 s on a loaded one. The CPU
// bound does not depend on the machine's load; the probe bound is the outcome that matters.
// Measured after: 4 ms of CPU per body; probes 82-130 ms at load average 3, 0.5-1.1 s at 16-20.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { startServerProcess, type ServerProcess } from '../fuzz/fuzzer.js';
import { loadFixture } from '../admission/support.js';

const LOAD_MS = 4_000;
const PROBE_EVERY_MS = 100;
const BOUND_MS = 3_000;
const CPU_PER_BODY_BOUND_MS = 200;

/** CPU time (user + system) the process has used, in ms (/proc/<pid>/stat, in clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  // After "pid (comm) ": state is field 3, utime 14 and stime 15 (1-based) -> indexes 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function post(server: ServerProcess, agent: https.Agent, path: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const req = https.request(
      { method: 'POST', hostname: url.hostname, port: url.port, path, ca: server.ca, agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function probe(server: ServerProcess): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    https
      .get(`${server.url}/healthz`, { ca: server.ca, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      })
      .on('error', reject);
  });
}

/** Four clients post `body` back to back while /healthz is probed; returns the probes and the answers' statuses. */
async function underLoad(server: ServerProcess, body: Buffer) {
  const until = Date.now() + LOAD_MS;
  const statuses: number[] = [];
  const clients = Array.from({ length: 4 }, async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    while (Date.now() < until) statuses.push(await post(server, agent, '/validate', body));
    agent.destroy();
  });
  const probes: Array<{ status: number; ms: number }> = [];
  const prober = (async () => {
    while (Date.now() < until) {
      probes.push(await probe(server));
      await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
    }
  })();
  await Promise.all([...clients, prober]);
  return { probes, statuses, worstMs: Math.max(...probes.map((p) => p.ms)) };
}

describe('reliability: /healthz answers while four clients send 2.8 MiB bodies nested 1.45 million levels deep', function () {
  this.timeout(60_000);
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess();
  });
  after(() => server.stop());

  it(`refuses every body with 400, under ${CPU_PER_BODY_BOUND_MS} ms of CPU each, and answers every probe within ${BOUND_MS} ms`, async () => {
    const n = 1_450_000;
    const review = JSON.stringify({ ...loadFixture('gslbconfig-create.validate'), request: { ...loadFixture('gslbconfig-create.validate').request, object: 0 } });
    const body = Buffer.from(review.replace('"object":0', `"object":${'['.repeat(n)}${']'.repeat(n)}`));
    assert.ok(body.length > 2.75 * 1024 * 1024, `${body.length} bytes`);
    const cpuBefore = cpuMsOf(server.pid);
    const r = await underLoad(server, body);
    const cpuPerBody = (cpuMsOf(server.pid) - cpuBefore) / r.statuses.length;
    process.stderr.write(
      `      deep bodies: ${r.statuses.length} answered, ${Math.round(cpuPerBody)} ms CPU each, ${r.probes.length} probes, worst ${Math.round(r.worstMs)} ms\n`,
    );
    assert.ok(r.statuses.length >= 4, `only ${r.statuses.length} bodies answered`);
    assert.deepEqual([...new Set(r.statuses)], [400]);
    assert.ok(r.probes.length >= 2 && r.probes.every((p) => p.status === 200));
    assert.ok(cpuPerBody < CPU_PER_BODY_BOUND_MS, `${Math.round(cpuPerBody)} ms of CPU per body`);
    assert.ok(r.worstMs < BOUND_MS, `a probe took ${Math.round(r.worstMs)} ms`);
    assert.equal(server.exited(), false);
  });

});
