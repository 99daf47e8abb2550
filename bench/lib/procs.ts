// Processes under test: free ports, starting a server (optionally pinned to CPUs with taskset)
// and waiting for its /healthz, and the CPU time and memory of a process with its children
// (amko's webhook workers are child processes of the primary).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { cpuMs, REPO_ROOT, round, stopChild } from './common.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

let tasksetChecked: boolean | undefined;
/** True when CPUs can be pinned (taskset present, at least 2 CPUs). */
export function canPin(cpus: number): boolean {
  if (tasksetChecked === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      tasksetChecked = true;
    } catch {
      tasksetChecked = false;
    }
  }
  return tasksetChecked && cpus >= 2;
}

/** Sets the CPU affinity of every thread of a running process (e.g. the load generator, this process). */
export function pinProcess(pid: number, cpuList: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}

export interface Started {
  child: ChildProcess;
  pid: number;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `cmd args` (under `taskset -c cpus` when given), stdout and stdin to /dev/null (the
 * decision logs are written and thrown away, as with a log shipper that keeps up), stderr
 * inherited, and waits until GET <url>/healthz answers 200 with the CA.
 */
export async function startServer(
  cmd: string,
  args: string[],
  opts: { url: string; ca: string; cpus?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Started> {
  const [file, argv] = opts.cpus ? ['taskset', ['-c', opts.cpus, cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { cwd: REPO_ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  for (;;) {
    if (exited !== undefined) throw new Error(`${cmd} exited (${exited}) before answering /healthz`);
    if (await healthy(opts.url, opts.ca)) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`${cmd} did not answer ${opts.url}/healthz in time`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, pid: child.pid!, url: opts.url, stop: () => stopChild(child) };
}

function healthy(url: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(new URL('/healthz', url), { ca, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** The pid and all its descendants (from /proc/<pid>/stat parent ids). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** Every process whose process group is `pgid` (a test/harness supervisor and what it started). */
export function processGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** CPU time (user + system, ms) of several processes together. */
export function cpuMsOf(pids: number[]): number {
  return pids.reduce((sum, p) => sum + cpuMs(p), 0);
}

export interface Memory {
  processes: number;
  /** Sum of VmRSS (MiB): pages shared between the processes count once per process. */
  rssMiB: number;
  /** Sum of VmHWM, the peak RSS of each process (MiB). */
  peakRssMiB: number;
  /** Sum of Pss (MiB): shared pages split between the processes that map them. */
  pssMiB: number;
}

/** Memory of a process and its descendants. */
export function treeMemory(pid: number): Memory {
  let rss = 0;
  let hwm = 0;
  let pss = 0;
  const pids = processTree(pid);
  for (const p of pids) {
    const status = safeRead(`/proc/${p}/status`);
    rss += kib(status, 'VmRSS');
    hwm += kib(status, 'VmHWM');
    pss += kib(safeRead(`/proc/${p}/smaps_rollup`), 'Pss');
  }
  return { processes: pids.length, rssMiB: round(rss / 1024, 1), peakRssMiB: round(hwm / 1024, 1), pssMiB: round(pss / 1024, 1) };
}

function kib(text: string, key: string): number {
  return Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
