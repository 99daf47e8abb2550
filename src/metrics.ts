// One Prometheus registry for the process. Metrics are created through these
// get-or-create helpers so that tests starting several servers or workers in one
// process don't trip prom-client's "already registered" error. With webhook
// workers, GET /metrics sums every process's registry (a metric's `aggregator`
// says otherwise: 'first' for values every process holds alike).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Aggregator } from 'prom-client';
import { VERSION } from './version.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'amko_process_' });

type Config<L extends string> = { name: string; help: string; labelNames?: readonly L[]; aggregator?: Aggregator };

export function counter<L extends string>(cfg: Config<L>): Counter<L> {
  return (registry.getSingleMetric(cfg.name) as Counter<L> | undefined) ?? new Counter<L>({ ...cfg, registers: [registry] });
}

export function gauge<L extends string>(cfg: Config<L>): Gauge<L> {
  return (registry.getSingleMetric(cfg.name) as Gauge<L> | undefined) ?? new Gauge<L>({ ...cfg, registers: [registry] });
}

export function histogram<L extends string>(cfg: Config<L> & { buckets?: number[] }): Histogram<L> {
  return (
    (registry.getSingleMetric(cfg.name) as Histogram<L> | undefined) ?? new Histogram<L>({ ...cfg, registers: [registry] })
  );
}

// Which build is running: always 1, the labels carry the amko and Node.js versions.
gauge({
  name: 'amko_build_info',
  help: 'amko build information: the amko version and the Node.js version running it (always 1).',
  labelNames: ['version', 'node'] as const,
  aggregator: 'first',
}).set({ version: VERSION, node: process.versions.node }, 1);
