// Shared pieces of the benchmark runners: machine description, per-process
// CPU/RSS readings from /proc, percentiles, result files and the BENCHMARKS.md
// section writer.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');

export interface Machine {
  cpus: number;
  cpuModel: string;
  memTotalGiB: number;
  memAvailableGiB: number;
  node: string;
  os: string;
  date: string;
  loadAvg: number[];
}

export function machine(): Machine {
  const cpuinfo = safeRead('/proc/cpuinfo');
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const meminfo = safeRead('/proc/meminfo');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(meminfo)?.[1] ?? 0);
  let cpus = os.availableParallelism();
  try {
    cpus = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || cpus;
  } catch {
    /* keep */
  }
  return {
    cpus,
    cpuModel: model,
    memTotalGiB: round(kb('MemTotal') / 1024 / 1024, 1),
    memAvailableGiB: round(kb('MemAvailable') / 1024 / 1024, 1),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    date: new Date().toISOString(),
    loadAvg: os.loadavg().map((l) => round(l, 2)),
  };
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user+system, ms) of a process from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const stat = safeRead(`/proc/${pid}/stat`);
  // Fields after the command (which may contain spaces) start after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return ((utime + stime) * 1000) / CLK_TCK;
}

/** Current and peak resident set size (MiB) from /proc/<pid>/status. */
export function rssMiB(pid: number): { rss: number; peak: number } {
  const s = safeRead(`/proc/${pid}/status`);
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  return { rss: round(kb('VmRSS') / 1024, 1), peak: round(kb('VmHWM') / 1024, 1) };
}

/** Percentile (0..100) of an unsorted sample, nearest-rank on a sorted copy. */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function sortedCopy(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}

export function writeResult(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/**
 * Replaces the section between `<!-- bench:<name>:start -->` and
 * `<!-- bench:<name>:end -->` in BENCHMARKS.md (appends it when missing).
 */
export function updateBenchmarksMd(name: string, markdown: string): void {
  const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}

export function machineTable(m: Machine, after: number[]): string {
  return [
    '| Machine | |',
    '|---|---|',
    `| CPU | ${m.cpus} × ${m.cpuModel} |`,
    `| Memory | ${m.memTotalGiB} GiB total, ${m.memAvailableGiB} GiB available at start |`,
    `| Node | ${m.node} (${m.os}) |`,
    `| Date | ${m.date} |`,
    `| Load average (1/5/15 min) | before ${m.loadAvg.join(' / ')}, after ${after.join(' / ')} |`,
  ].join('\n');
}

/**
 * Starts `node <script>` (`--import tsx` for .ts) with an IPC channel, or `opts.command` (which must exec that
 * node, e.g. through scripts/entrypoint.sh); resolves with the first message of type `ready`.
 */
export function startChild(
  script: string,
  args: string[],
  opts: {
    env?: Record<string, string | undefined>;
    nodeArgs?: string[];
    stdout?: 'ignore' | 'inherit';
    command?: { cmd: string; args: string[]; env: NodeJS.ProcessEnv };
  } = {},
): Promise<{ child: ChildProcess; ready: Record<string, unknown> }> {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const cmd = opts.command ?? { cmd: process.execPath, args: [...(opts.nodeArgs ?? []), ...loader, script, ...args], env: {} };
  const child = spawn(cmd.cmd, cmd.args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env, ...cmd.env },
    stdio: ['ignore', opts.stdout ?? 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${path.basename(script)} exited with ${code} before it was ready`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.on('message', (m: any) => {
      if (m && m.type === 'ready') {
        child.off('exit', onExit);
        resolve({ child, ready: m });
      }
    });
  });
}

/** Sends `{type}` to a child and resolves with its reply of the same type. */
export function ask<T = any>(child: ChildProcess, type: string, payload: Record<string, unknown> = {}, timeoutMs = 600_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} reply from child`)), timeoutMs);
    const on = (m: any) => {
      if (m && m.type === type) {
        clearTimeout(timer);
        child.off('message', on);
        resolve(m as T);
      }
    };
    child.on('message', on);
    child.send({ type, ...payload });
  });
}

export async function stopChild(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export function fmt(n: number | undefined, digits = 2): string {
  if (n === undefined || Number.isNaN(n)) return '—';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/**
 * Compiles benchmark entry points (and the src/ modules they import) to plain
 * JavaScript under .cache/bench-build, so the processes under test run as the
 * product does (compiled, no tsx loader thread in their CPU time and RSS).
 * Returns the .js path of each entry.
 */
export function compileEntries(entries: string[]): string[] {
  const dir = path.join(REPO_ROOT, '.cache', 'bench-build');
  mkdirSync(dir, { recursive: true });
  const tsconfig = {
    extends: path.relative(dir, path.join(REPO_ROOT, 'tsconfig.json')),
    compilerOptions: { noEmit: false, rootDir: path.relative(dir, REPO_ROOT), outDir: 'out', types: ['node'], sourceMap: false, incremental: true, tsBuildInfoFile: 'out/.tsbuildinfo' },
    include: [],
    files: entries.map((e) => path.relative(dir, path.resolve(REPO_ROOT, e))),
  };
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', dir], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  // src/version.ts reads ../package.json relative to src/, as from the package root (src/ and dist/).
  copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(dir, 'out', 'package.json'));
  return entries.map((e) => path.join(dir, 'out', path.relative(REPO_ROOT, path.resolve(REPO_ROOT, e))).replace(/\.ts$/, '.js'));
}
