// `npm run soak`: the real admission server (child process, as in the fuzzer) under a steady
// fixed-rate load of captured AdmissionReviews (autocannon, overallRate) for a long time.
//   tsx scripts/soak.ts [--rate 1000] [--duration 600] [--connections 20] [--sample 30]
// Reports the server's RSS every --sample seconds, the error count (non-2xx, errors, timeouts,
// and 200s whose body is not an AdmissionReview answer), and latency percentiles. Exits non-zero
// on any error, or when RSS in the second half of the run grows by more than 20 % over its first sample.
import autocannon, { type AutocannonResult } from 'autocannon';
import { fixtureNames, loadFixture } from '../test/admission/support.js';
import { startServerProcess } from '../test/fuzz/fuzzer.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const rate = arg('rate', 1000);
const duration = arg('duration', 600);
const connections = arg('connections', 20);
const sampleS = arg('sample', 30);

const server = await startServerProcess();
const requests = fixtureNames()
  .filter((n) => !n.includes('delete'))
  .map((n) => ({
    method: 'POST' as const,
    path: `/${n.endsWith('.mutate') ? 'mutate' : 'validate'}?timeout=10s`,
    headers: { 'content-type': 'application/json' },
    body: `${JSON.stringify(loadFixture(n))}\n`,
  }));

const rss: Array<{ t: number; MiB: number }> = [{ t: 0, MiB: server.rssMiB() }];
const started = Date.now();
const sampler = setInterval(() => {
  const s = { t: Math.round((Date.now() - started) / 1000), MiB: server.rssMiB() };
  rss.push(s);
  process.stderr.write(`soak: t=${s.t}s RSS ${s.MiB} MiB\n`);
}, sampleS * 1000);

let badBodies = 0;
const options = {
  url: server.url,
  connections,
  duration,
  overallRate: rate,
  requests,
  timeout: 10,
  tlsOptions: { ca: server.ca },
  setupClient(client: { on(event: 'body', fn: (body: Buffer) => void): void }) {
    client.on('body', (body: Buffer) => {
      const text = body.toString();
      if (!text.startsWith('{"apiVersion":"admission.k8s.io/') || !text.includes('"response":{"uid":')) badBodies++;
    });
  },
};
const result = await new Promise<AutocannonResult>((resolve, reject) => {
  autocannon(options as Parameters<typeof autocannon>[0], (err, r) => (err ? reject(err) : resolve(r)));
});
clearInterval(sampler);
rss.push({ t: Math.round((Date.now() - started) / 1000), MiB: server.rssMiB() });
await server.stop();

const errors = result.errors + result.timeouts + result.non2xx + badBodies;
const lat = result.latency;
const half = rss.filter((s) => s.t >= duration / 2);
const first = rss[1] ?? rss[0]!;
const growth = Math.max(...half.map((s) => s.MiB)) / first.MiB - 1;
const report = {
  target: { rate, duration, connections },
  requests: result.requests.total,
  achievedRate: Math.round(result.requests.total / duration),
  errors: { total: errors, transport: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, badBodies },
  latencyMs: { p50: lat.p50, p90: lat.p90, p99: lat.p99, p99_9: lat.p99_9, max: lat.max },
  rssMiB: rss,
  rssGrowthSecondHalf: `${(growth * 100).toFixed(1)} %`,
};
console.log(JSON.stringify(report, null, 2));
process.exit(errors === 0 && growth <= 0.2 ? 0 : 1);
