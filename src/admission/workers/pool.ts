// The primary side of `amko serve --webhook-workers N` (N > 1): N node:cluster workers
// (worker.ts) serve the webhook on one listening socket, which the primary owns and hands each new
// connection to the next worker in turn (node:cluster's round robin). Everything that must run once
// per process group stays in the primary: the certificate source, the own-cluster cache and its
// connection pool, the reconcile worker and its Lease, the federator. The pool
//   - sends each worker the serving certificate (and every replacement), the primary's readiness,
//     its log level (GSLBConfig spec.logLevel applies to every process) and a replica of the
//     own-cluster cache (each kind's list after it changes);
//   - answers a worker's direct read through the cache's connection pool, and its GET /metrics
//     with the primary's and every worker's metrics summed (prom-client's aggregator);
//   - starts a new worker when one exits unexpectedly, and on stop lets every worker drain.
import cluster, { type Worker } from 'node:cluster';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AggregatorRegistry } from 'prom-client';
import { KIND_NAMES, type KindName } from '../../api/kinds.js';
import type { CertificateSource } from '../../certs/source.js';
import type { Logger } from '../../log.js';
import type { KubeObject } from '../../rules/view.js';
import { registry } from '../../metrics.js';
import { boundedDelay } from '../../timers.js';
import type { CachedAdmissionView } from '../view.js';
import { Requests, WORKER_SETTINGS_ENV, answer, isMessage, type ToPrimary, type ToWorker, type WorkerSettings } from './ipc.js';

export interface WebhookWorkerPoolOptions {
  workers: number;
  settings: Omit<WorkerSettings, 'clusterView'>;
  /** The serving certificate (the certificates component has started by the time the pool starts). */
  certificates: () => CertificateSource;
  /** The admission view of the primary's own-cluster cache (absent without a cluster connection). */
  cache?: CachedAdmissionView;
  /** The primary's not-ready reasons (its other components). */
  readiness: () => string[];
  log: Logger;
  /** How long a stopping worker lets in-flight requests finish. Default 10 s. */
  graceMs?: number;
}

export interface WebhookWorkerPool {
  start(): Promise<{ url: string; host: string; port: number }>;
  stop(): Promise<void>;
  /** Worker process ids (for tests and logs). */
  pids(): number[];
}

/** worker.ts next to this file (worker.js in the build, worker.ts under tsx). */
const WORKER_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), `worker${path.extname(fileURLToPath(import.meta.url))}`);
const RESTART_DELAY_MS = 1000;

export function createWebhookWorkerPool(opts: WebhookWorkerPoolOptions): WebhookWorkerPool {
  const log = opts.log;
  const graceMs = opts.graceMs ?? 10_000;
  const settings: WorkerSettings = { ...opts.settings, clusterView: opts.cache !== undefined };
  const workers = new Map<Worker, Requests>();
  let stopping = false;
  let lastReadiness = '';
  const cleanups: Array<() => void> = [];

  const send = (w: Worker, m: ToWorker) => {
    if (w.isConnected()) w.send(m);
  };
  const broadcast = (m: ToWorker) => {
    for (const w of workers.keys()) send(w, m);
  };
  const viewMessage = (kind: KindName): ToWorker => ({
    amko: 'view',
    kind,
    objects: opts.cache!.list(kind) as KubeObject[],
    watchSynced: opts.cache!.watchSynced([kind]),
  });
  const stateFor = (w: Worker) => {
    const { cert, key } = opts.certificates().current();
    send(w, { amko: 'certificate', cert, key });
    send(w, { amko: 'readiness', reasons: opts.readiness() });
    send(w, { amko: 'log-level', level: log.level });
    if (opts.cache) for (const kind of KIND_NAMES) send(w, viewMessage(kind));
  };

  /** Every process's metrics, summed by prom-client's aggregator (e.g. request counters add up). */
  const metrics = async (): Promise<string> => {
    const collected = await Promise.all([...workers].map(([w, r]) => (w.isConnected() ? r.request<unknown[]>({ amko: 'collect-metrics' }, 5000) : [])));
    return AggregatorRegistry.aggregate([await registry.getMetricsAsJSON(), ...(collected as never[])]).metrics();
  };

  const onMessage = (w: Worker, m: unknown) => {
    const requests = workers.get(w);
    if (!requests || requests.settle(m) || !isMessage<ToPrimary>(m)) return;
    switch (m.amko) {
      case 'hello':
        stateFor(w);
        break;
      case 'list-now':
        answer((r) => send(w, r), m.id, async () => {
          if (!opts.cache) throw new Error('no cluster connection');
          return opts.cache.listNow(m.kinds);
        });
        break;
      case 'metrics':
        answer((r) => send(w, r), m.id, metrics);
        break;
    }
  };

  const fork = (): Worker => {
    const w = cluster.fork({ [WORKER_SETTINGS_ENV]: JSON.stringify(settings) });
    workers.set(w, new Requests((m) => send(w, m as ToWorker)));
    w.on('message', (m: unknown) => onMessage(w, m));
    w.on('exit', (code, signal) => {
      workers.get(w)?.failAll('webhook worker exited');
      workers.delete(w);
      if (stopping) return;
      log.error({ worker: w.id, code, signal, restartInMs: RESTART_DELAY_MS }, 'webhook worker exited; starting another');
      setTimeout(() => {
        if (!stopping) fork();
      }, boundedDelay(RESTART_DELAY_MS)).unref();
    });
    return w;
  };

  return {
    async start() {
      cluster.setupPrimary({ exec: WORKER_ENTRY, args: [] });
      const certificates = opts.certificates();
      cleanups.push(certificates.onChange((b) => broadcast({ amko: 'certificate', cert: b.cert, key: b.key })));
      if (opts.cache) {
        // Kinds that changed in one turn of the event loop go out once (an initial list is many events).
        const dirty = new Set<KindName>();
        cleanups.push(
          opts.cache.onChange((kind) => {
            if (dirty.size === 0) setImmediate(() => {
              for (const k of dirty) broadcast(viewMessage(k));
              dirty.clear();
            });
            dirty.add(kind);
          }),
        );
      }
      // Readiness, the log level (GSLBConfig spec.logLevel, applied to this process's logger) and a
      // kind's watch state change without an event here: checked twice a second.
      const watched = new Map<KindName, boolean>();
      let level = log.level;
      const readinessTimer = setInterval(() => {
        if (log.level !== level) broadcast({ amko: 'log-level', level: (level = log.level) });
        const reasons = opts.readiness();
        const text = JSON.stringify(reasons);
        if (text !== lastReadiness) broadcast({ amko: 'readiness', reasons });
        lastReadiness = text;
        for (const kind of opts.cache ? KIND_NAMES : []) {
          const was = watched.get(kind);
          const now = opts.cache!.watchSynced([kind]);
          if (was !== undefined && was !== now) broadcast(viewMessage(kind));
          watched.set(kind, now);
        }
      }, 500);
      readinessTimer.unref();
      cleanups.push(() => clearInterval(readinessTimer));

      const listening = Array.from({ length: opts.workers }, () => {
        const w = fork();
        return new Promise<{ url: string; host: string; port: number }>((resolve, reject) => {
          const onExit = (code: number | null) => reject(new Error(`webhook worker ${w.id} exited (${code}) before listening`));
          w.once('exit', onExit);
          w.on('message', (m: unknown) => {
            if (!isMessage<ToPrimary>(m)) return;
            if (m.amko === 'listening') {
              w.off('exit', onExit);
              resolve({ url: m.url, host: m.host, port: m.port });
            } else if (m.amko === 'failed') reject(new Error(`webhook worker ${w.id} failed to listen: ${m.error}`));
          });
        });
      });
      try {
        const [first] = await Promise.all(listening);
        return first!;
      } catch (err) {
        await this.stop();
        throw err;
      }
    },
    async stop() {
      stopping = true;
      for (const c of cleanups.splice(0)) c();
      const exited = [...workers.keys()].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            const kill = setTimeout(() => w.process.kill('SIGKILL'), boundedDelay(graceMs + 5000));
            kill.unref();
            w.once('exit', () => clearTimeout(kill));
            send(w, { amko: 'stop', graceMs });
          }),
      );
      await Promise.all(exited);
    },
    pids: () => [...workers.keys()].map((w) => w.process.pid!).filter((p) => p !== undefined),
  };
}
