// `amko serve` as the image runs it: through scripts/entrypoint.sh, which gives V8's old
// generation half the container's memory limit, with the chart's default limit (the
// `resources.limits.memory` of charts/amko/values.yaml) in AMKO_MEMORY_LIMIT, as the chart sets it;
// and with the webhook workers `--webhook-workers auto` gives the chart's `resources.limits.cpu`
// (this machine has no CPU quota of its own), unless the arguments name a number.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { availableCpus } from '../../src/cpus.js';
import { REPO_ROOT } from './common.js';

const UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 1e3, M: 1e6, G: 1e9, '': 1 };

type Limits = { memory: string; cpu: string | number };
const chartLimits = (): Limits =>
  (YAML.parse(readFileSync(path.join(REPO_ROOT, 'charts', 'amko', 'values.yaml'), 'utf8')) as { resources: { limits: Limits } }).resources.limits;

/** The chart's default CPU limit in CPUs (500m: 0.5). */
export function chartCpuLimit(): number {
  const cpu = String(chartLimits().cpu);
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(cpu);
  if (!m) throw new Error(`cannot read the chart's CPU limit ${cpu}`);
  return Number(m[1]) / (m[2] ? 1000 : 1);
}

/** A Kubernetes memory quantity (`512Mi`, `1G`, bytes) in bytes. */
export function memoryBytes(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|K|M|G|)$/.exec(quantity);
  if (!m) throw new Error(`cannot read the memory quantity ${quantity}`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** The chart's default memory limit in bytes. */
export function chartMemoryLimit(): number {
  return memoryBytes(chartLimits().memory);
}

/**
 * The command, arguments and environment that run `node <nodeArgs> <script> <args>` as the image's entrypoint
 * runs node (scripts/entrypoint.sh: V8's old generation sized from the container's memory limit, here
 * `memoryLimit` bytes in AMKO_MEMORY_LIMIT as the chart sets it). The entrypoint execs node, so the process id
 * (and an IPC channel) stays the same.
 */
export function viaEntrypoint(script: string, args: string[], memoryLimit: number, nodeArgs: string[] = []): { cmd: string; args: string[]; env: NodeJS.ProcessEnv } {
  return {
    cmd: '/bin/sh',
    args: [path.join(REPO_ROOT, 'scripts', 'entrypoint.sh'), ...nodeArgs, script, ...args],
    env: { AMKO_MEMORY_LIMIT: String(memoryLimit) },
  };
}

/**
 * The command, arguments and environment that run `<cliJs> serve <args>` as the image does.
 * `nodeArgs` go to node before the script (e.g. --cpu-prof, which Node 20 refuses in NODE_OPTIONS).
 */
export function amkoServe(cliJs: string, args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []): { cmd: string; args: string[]; env: NodeJS.ProcessEnv } {
  const run = viaEntrypoint(cliJs, ['serve', ...args], chartMemoryLimit(), nodeArgs);
  return { ...run, env: { ...env, ...run.env, WEBHOOK_WORKERS: String(availableCpus(chartCpuLimit())) } };
}
