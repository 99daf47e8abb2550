// The --webhook-workers default: whole CPUs the process may use, the cgroup CPU quota (a pod's
// limits.cpu) included, read from real cgroup files (v2 cpu.max, v1 cfs quota/period) in a temp dir.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { availableCpus, cgroupCpuQuota } from '../../src/cpus.js';

describe('cpus: the CPUs the process may use', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'amko-cgroup-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads a cgroup v2 quota (cpu.max), and none for "max"', () => {
    writeFileSync(path.join(root, 'cpu.max'), '150000 100000\n');
    assert.equal(cgroupCpuQuota(root), 1.5);
    writeFileSync(path.join(root, 'cpu.max'), 'max 100000\n');
    assert.equal(cgroupCpuQuota(root), undefined);
  });

  it('reads a cgroup v1 quota, and none for -1 or no files', () => {
    mkdirSync(path.join(root, 'cpu'));
    writeFileSync(path.join(root, 'cpu', 'cpu.cfs_period_us'), '100000\n');
    writeFileSync(path.join(root, 'cpu', 'cpu.cfs_quota_us'), '50000\n');
    assert.equal(cgroupCpuQuota(root), 0.5);
    writeFileSync(path.join(root, 'cpu', 'cpu.cfs_quota_us'), '-1\n');
    assert.equal(cgroupCpuQuota(root), undefined);
    assert.equal(cgroupCpuQuota(path.join(root, 'missing')), undefined);
  });

  it('is the quota rounded down, at most the parallelism, at least 1', () => {
    assert.equal(availableCpus(0.5, 8), 1); // the chart's limits.cpu 500m: one process
    assert.equal(availableCpus(2.9, 8), 2);
    assert.equal(availableCpus(16, 4), 4);
    assert.equal(availableCpus(undefined, 3), 3);
  });
});
