// Records every process that ever ran under a root process (polling /proc), so
// a test can check afterwards that none of them, and none of their process
// groups, is left. A process is identified by pid AND start time, so a reused
// pid is not mistaken for a survivor.
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  start: string;
  /** R, S, D, Z, ... */
  state: string;
  comm: string;
  cmdline: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      /* exited meanwhile */
    }
    return { pid, ppid: Number(f[1]), pgid: Number(f[2]), start: f[19]!, state: f[0]!, comm, cmdline };
  } catch {
    return undefined;
  }
}

function allProcs(): ProcInfo[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map((e) => readProc(Number(e)))
    .filter((p): p is ProcInfo => p !== undefined);
}

/** True while the same process (pid and start time) exists and is not a zombie. */
export function stillRunning(p: ProcInfo): boolean {
  const now = readProc(p.pid);
  return !!now && now.start === p.start && now.state !== 'Z' && now.state !== 'X';
}

export class ProcessTreeRecorder {
  /** Every descendant of the root seen so far (and the root), by `pid/start`. */
  readonly seen = new Map<string, ProcInfo>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly rootPid: number) {}

  /** One pass over /proc: adds the root and everything below it. */
  poll(): void {
    const procs = allProcs();
    const children = new Map<number, ProcInfo[]>();
    for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
    const root = procs.find((p) => p.pid === this.rootPid);
    for (let todo = root ? [root] : []; todo.length > 0; ) {
      const p = todo.pop()!;
      const key = `${p.pid}/${p.start}`;
      // A zombie's cmdline reads empty: keep the one seen while it ran (after its exec).
      this.seen.set(key, p.cmdline ? p : { ...p, cmdline: this.seen.get(key)?.cmdline ?? '' });
      todo.push(...(children.get(p.pid) ?? []));
    }
  }

  start(intervalMs = 100): this {
    this.poll();
    this.timer = setInterval(() => this.poll(), intervalMs);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  processes(): ProcInfo[] {
    return [...this.seen.values()];
  }

  /** The distinct process groups of everything seen. */
  groups(): number[] {
    return [...new Set(this.processes().map((p) => p.pgid))];
  }
}
