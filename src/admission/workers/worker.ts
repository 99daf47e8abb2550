// A webhook worker of `amko serve --webhook-workers N` (N > 1): a node:cluster child process that
// answers the admission webhook on the listening socket the primary shares, and nothing else. It
// mirrors what it needs from the primary (pool.ts): the serving certificate (hot reload reaches
// every worker), the primary's readiness and log level, and a replica of its own-cluster cache; direct reads and
// GET /metrics go to the primary, which holds the one connection pool to the API server and sums
// every process's metrics. It loads only the admission modules (no kube client: the primary has it).
import cluster from 'node:cluster';
import type { KindName } from '../../api/kinds.js';
import type { CertificateBundle, CertificateSource } from '../../certs/source.js';
import { createLogger } from '../../log.js';
import { registry } from '../../metrics.js';
import { overlayView, type ClusterView, type KubeObject } from '../../rules/view.js';
import { createAdmissionApp } from '../app.js';
import { startHttpsServer, type HttpsServerHandle } from '../server.js';
import type { AdmissionView } from '../view.js';
import { Requests, WORKER_SETTINGS_ENV, answer, isMessage, type ToPrimary, type ToWorker, type WorkerSettings } from './ipc.js';

const send = (m: ToPrimary) => process.send!(m);
const settings = JSON.parse(process.env[WORKER_SETTINGS_ENV] ?? '{}') as WorkerSettings;
// The root follows the primary's level (log-level messages); its children follow the root.
const rootLog = createLogger({ level: settings.logLevel as never, asyncStdout: true });
const log = rootLog.child({ worker: cluster.worker?.id });
const requests = new Requests((m) => process.send!(m));

// What the primary tells: the certificate, its readiness, its log level, its cache.
let certificate: CertificateBundle | undefined;
const certificateListeners = new Set<(b: CertificateBundle) => void>();
let primaryNotReady: string[] = ['primary not heard from'];
const lists = new Map<KindName, KubeObject[]>();
const watched = new Map<KindName, boolean>();
let https: HttpsServerHandle | undefined;
let stopping = false;

const certificates: CertificateSource = {
  current: () => certificate!,
  onChange(cb) {
    certificateListeners.add(cb);
    return () => certificateListeners.delete(cb);
  },
};

const cached: ClusterView = { list: (kind) => lists.get(kind) ?? [] };
const view: AdmissionView = {
  list: cached.list,
  watchSynced: (kinds) => kinds.every((k) => watched.get(k) === true),
  async confirm(kinds) {
    return overlayView(cached, await requests.request<Partial<Record<KindName, KubeObject[]>>>({ amko: 'list-now', kinds }, 10_000));
  },
};

function stop(graceMs?: number): void {
  if (stopping) return;
  stopping = true;
  void (https?.close(graceMs) ?? Promise.resolve()).then(() => process.exit(0));
}

let gotCertificate: () => void;
const firstCertificate = new Promise<void>((resolve) => (gotCertificate = resolve));
process.on('message', (m: unknown) => {
  if (requests.settle(m) || !isMessage<ToWorker>(m)) return;
  switch (m.amko) {
    case 'certificate': {
      certificate = { cert: m.cert, key: m.key };
      for (const l of certificateListeners) l(certificate);
      gotCertificate();
      break;
    }
    case 'view':
      lists.set(m.kind, m.objects);
      watched.set(m.kind, m.watchSynced);
      break;
    case 'log-level':
      rootLog.level = m.level;
      break;
    case 'readiness':
      primaryNotReady = m.reasons;
      break;
    case 'collect-metrics':
      answer((r) => send(r), m.id, () => registry.getMetricsAsJSON());
      break;
    case 'stop':
      stop(m.graceMs);
      break;
  }
});
// The primary is gone: nothing will stop this worker but itself.
process.on('disconnect', () => {
  requests.failAll('the primary process is gone');
  stop();
});
// SIGTERM to this worker alone drains and exits (the primary starts another); a terminal's
// Ctrl-C reaches the whole process group, and the primary stops the workers in order.
process.on('SIGTERM', () => stop());
process.on('SIGINT', () => undefined);

send({ amko: 'hello' });
await firstCertificate;
const app = createAdmissionApp({
  view: settings.clusterView ? view : undefined,
  log,
  readiness: () => primaryNotReady,
  metrics: () => requests.request<string>({ amko: 'metrics' }, 10_000),
});
try {
  https = await startHttpsServer(app, certificates, { host: settings.host, port: settings.port, log });
  send({ amko: 'listening', url: https.url, host: https.host, port: https.port });
} catch (err) {
  log.error({ err }, 'webhook worker failed to listen');
  process.send!({ amko: 'failed', error: err instanceof Error ? err.message : String(err) } satisfies ToPrimary, () => process.exit(1));
}
