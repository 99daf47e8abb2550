// The reconcile worker under test, as `amko serve` runs it (createReconcileWorker
// with the real Avi client), in a child process of bench/sync.ts so its CPU
// time and RSS are its own. Configuration comes as one JSON argument:
//   { ownKubeconfig, memberKubeconfig, simCaPem, concurrency, logLevel }
// IPC: 'ready' once started; 'stats' -> cpu/memory; 'idle' -> waits for an idle
// queue; 'resync' -> fullResync() then idle.
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { AviClient } from '../src/avi/client.js';
import { createLogger } from '../src/log.js';
import { createReconcileWorker } from '../src/controllers.js';
import { loadOwnKubeConfig } from '../src/kube/kubeconfig.js';
import type { LevelWithSilent } from 'pino';

const cfg = JSON.parse(process.argv[2] ?? '{}') as {
  ownKubeconfig: string;
  memberKubeconfig: string;
  simCaFile: string;
  concurrency: number;
  queueRate: number;
  logLevel: LevelWithSilent;
};
if (!process.send || !cfg.ownKubeconfig) {
  console.error('usage: sync-worker.ts <json config> (as a child process with IPC)');
  process.exit(2);
}
const log = createLogger({ level: cfg.logLevel });
// The own cluster's kubeconfig read as `amko serve --kubeconfig` reads it.
const kc = loadOwnKubeConfig(cfg.ownKubeconfig, false)!;
const caPem = readFileSync(cfg.simCaFile, 'utf8');
const worker = createReconcileWorker({
  kubeConfig: kc,
  memberKubeconfig: cfg.memberKubeconfig,
  log,
  aviFactory: (c) => AviClient.create({ ...c, caPem, log, maxSockets: Math.max(8, cfg.concurrency) }),
  leaderElection: false,
  role: false,
  queue: { concurrency: cfg.concurrency },
  aviMaxCallsPerSecond: cfg.queueRate,
});
const cpu0 = process.cpuUsage();
await worker.start();
process.send({ type: 'ready' });

process.on('message', (m: { type?: string }) => {
  void (async () => {
    switch (m?.type) {
      case 'stats': {
        if (global.gc) global.gc();
        const snap = worker.snapshot();
        process.send!({
          type: 'stats',
          cpu: process.cpuUsage(cpu0),
          memory: process.memoryUsage(),
          heapLimit: getHeapStatistics().heap_size_limit,
          keys: snap.keys.length,
          actualGs: snap.actualGs.length,
          ready: worker.ready(),
          clusters: snap.clusters,
        });
        break;
      }
      case 'idle':
        await worker.idle();
        process.send!({ type: 'idle' });
        break;
      case 'resync':
        await worker.fullResync();
        await worker.idle();
        process.send!({ type: 'resync' });
        break;
    }
  })();
});
const stop = () => void worker.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('disconnect', stop);
