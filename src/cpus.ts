// How many CPUs this process may use: the CPUs it may run on, capped by the cgroup's CPU quota
// (a container's limits.cpu), which os.availableParallelism() does not see.
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The CPU quota in CPUs (e.g. 1.5), or undefined when there is none. cgroup v2, then v1. */
export function cgroupCpuQuota(root = '/sys/fs/cgroup'): number | undefined {
  const read = (file: string) => {
    try {
      return readFileSync(`${root}/${file}`, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const v2 = read('cpu.max');
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    return quota === 'max' ? undefined : positiveRatio(Number(quota), Number(period));
  }
  return positiveRatio(Number(read('cpu/cpu.cfs_quota_us')), Number(read('cpu/cpu.cfs_period_us')));
}

function positiveRatio(quota: number, period: number): number | undefined {
  return quota > 0 && period > 0 ? quota / period : undefined;
}

/** Whole CPUs available: min(available parallelism, the quota rounded down), at least 1. */
export function availableCpus(quota = cgroupCpuQuota(), parallelism = os.availableParallelism()): number {
  return Math.max(1, Math.min(parallelism, quota === undefined ? parallelism : Math.floor(quota)));
}
