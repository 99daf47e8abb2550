// The real `amko serve` composition (certificates + HTTPS admission server, no
// cluster, no worker) on 127.0.0.1:0, in its own process so the fuzzer can
// watch its memory and notice a crash. Prints one JSON line: { url, caFile, pid }.
// Logs (info level) go to AMKO_FUZZ_LOG (default /dev/null).
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServe } from '../../src/commands/serve.js';
import { CA_FILE } from '../../src/certs/local.js';
import { createLogger } from '../../src/log.js';

const certDir = process.env.AMKO_FUZZ_CERT_DIR ?? mkdtempSync(path.join(tmpdir(), 'amko-fuzz-certs-'));
const log = createLogger({ level: 'info', destination: createWriteStream(process.env.AMKO_FUZZ_LOG ?? '/dev/null') });
const running = await startServe({ port: 0, host: '127.0.0.1', certDir, worker: false, log });
process.stdout.write(`${JSON.stringify({ url: running.url, caFile: path.join(certDir, CA_FILE), pid: process.pid })}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void running.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
