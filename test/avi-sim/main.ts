// Run the Avi controller simulator on its own (demos, benchmarks):
//   npm run avi-sim -- [--port 9443] [--page-size 25] [--latency-ms 0] [--seed file.json] [--ca-out path]
// Prints the URL, the CA file to pass as --avi-ca-file, and the version; runs until SIGINT/SIGTERM.
import { writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAviSimulator, type SimSeed } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'page-size': { type: 'string' },
    'latency-ms': { type: 'string' },
    seed: { type: 'string' },
    'ca-out': { type: 'string' },
  },
});

const sim = await startAviSimulator({
  port: Number(values.port),
  pageSize: values['page-size'] ? Number(values['page-size']) : undefined,
  latencyMs: values['latency-ms'] ? Number(values['latency-ms']) : undefined,
  seed: values.seed ? (JSON.parse(readFileSync(values.seed, 'utf8')) as SimSeed) : undefined,
});
const caPath = values['ca-out'] ?? join(tmpdir(), `avi-sim-ca-${sim.port}.pem`);
writeFileSync(caPath, sim.caPem);
console.log(
  JSON.stringify({
    url: sim.url,
    controller: sim.host,
    caFile: caPath,
    version: sim.store.controllerVersion,
    users: 'see the seed file (default: test/avi-sim/fixtures/default-seed.json)',
  }),
);
const stop = () => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
