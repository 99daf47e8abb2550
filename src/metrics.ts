// One Prometheus registry for the process. Metrics are created through these
// get-or-create helpers so that tests starting several servers or workers in one
// process don't trip prom-client's "already registered" error. With webhook
// workers, GET /metrics sums every process's registry (a metric's `aggregator`
// says otherwise: 'first' for values every process holds alike).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Aggregator } from 'prom-client';
import { VERSION } from './version.js';

export const registry = new Registry();
/**
 * How often the default metrics sample the event-loop delay. prom-client's default, 10 ms, is a timer waking
 * the process 100 times a second, about a fifth of an idle replica's CPU. Each sample is the time between two
 * wake-ups, so the lag gauges read this interval at rest (the dashboard plots p99 minus min); a block of the
 * event loop still shows in full in the sample it delays.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;
collectDefaultMetrics({ register: registry, prefix: 'amko_process_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });

/** `collect`: sets the metric's values when it is read (a scrape), for values read from state instead of updated as they change. */
type Config<L extends string> = { name: string; help: string; labelNames?: readonly L[]; aggregator?: Aggregator; collect?: () => void };

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
