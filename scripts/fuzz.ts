// `npm run fuzz`: fuzzes the live HTTPS admission endpoints (see test/fuzz/fuzzer.ts).
//   tsx scripts/fuzz.ts [--requests N] [--seed S] [--concurrency C] [--json]
//                       [--server-node-options '--max-old-space-size=256']  (NODE_OPTIONS of the server only)
// Exits non-zero on any malformed answer, a fail-closed answer, a crash, or an unhealthy server afterwards.
import { formatReport, runFuzz } from '../test/fuzz/fuzzer.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const requests = Number(arg('requests') ?? 100_000);
const seed = arg('seed') !== undefined ? Number(arg('seed')) : undefined;
const concurrency = Number(arg('concurrency') ?? 8);
if (!Number.isInteger(requests) || requests < 1) {
  console.error('fuzz: --requests must be a positive integer');
  process.exit(2);
}
const serverNodeOptions = arg('server-node-options');
const report = await runFuzz({
  requests,
  serverEnv: serverNodeOptions === undefined ? undefined : { NODE_OPTIONS: serverNodeOptions },
  seed,
  concurrency,
  progressEvery: Math.max(1000, Math.floor(requests / 20)),
  onProgress: (done, r) => process.stderr.write(`fuzz: ${done}/${requests}, malformed ${r.malformed}, fail-closed ${r.failClosed}, RSS peak ${r.rss.peakMiB} MiB\n`),
});
console.log(process.argv.includes('--json') ? JSON.stringify(report, null, 2) : formatReport(report));
const ok = report.malformed === 0 && report.failClosed === 0 && !report.serverCrashed && report.healthyAfter;
process.exit(ok ? 0 : 1);
