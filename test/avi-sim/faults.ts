// Fault injection for the simulator: per route and method, added latency, an
// error status with a controller's message, a dropped connection, a rate of
// failures (deterministic: with rate r, the n-th matching request fails when
// floor(n*r) > floor((n-1)*r), so rate 0.5 fails every second request) and a
// maximum number of triggers.

export interface FaultSpec {
  /** HTTP method to match (any when unset). */
  method?: string;
  /** String: the path or a path prefix ending at a `/` boundary; RegExp: tested against path+query. */
  path?: RegExp | string;
  /** X-Avi-Tenant to match (any when unset). */
  tenant?: string;
  /** Respond with this status... */
  status?: number;
  /** ...and `{"error": message}` (a default text per status when unset)... */
  message?: string;
  /** ...or exactly this JSON body. */
  body?: unknown;
  /** Delay before handling (or before failing) the request. */
  latencyMs?: number;
  /** Destroy the connection without a response. */
  dropConnection?: boolean;
  /** Fraction of matching requests the fault applies to (default 1). */
  rate?: number;
  /** Stop after triggering this many times. */
  times?: number;
}

export interface Fault extends FaultSpec {
  readonly id: number;
  /** Matching requests seen. */
  seen: number;
  /** Times the fault triggered. */
  hits: number;
  remove(): void;
}

export interface FaultAction {
  latencyMs: number;
  drop: boolean;
  status?: number;
  body?: unknown;
}

const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Bad request',
  401: 'Authentication credentials were not provided.',
  403: 'You do not have permission to perform this action.',
  404: 'Object not found!',
  409: 'Conflict',
  412: 'Precondition failed: object was modified',
  419: 'Session expired',
  429: 'Too many requests',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

export class Faults {
  private readonly faults: Fault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): Fault {
    const fault: Fault = {
      ...spec,
      id: this.nextId++,
      seen: 0,
      hits: 0,
      remove: () => {
        const i = this.faults.indexOf(fault);
        if (i >= 0) this.faults.splice(i, 1);
      },
    };
    this.faults.push(fault);
    return fault;
  }

  clear(): void {
    this.faults.length = 0;
  }

  list(): readonly Fault[] {
    return this.faults;
  }

  /** Combined action of the faults that trigger for this request (latency adds up; the first failure wins). */
  apply(method: string, path: string, search: string, tenant: string): FaultAction {
    const action: FaultAction = { latencyMs: 0, drop: false };
    for (const f of [...this.faults]) {
      if (!matches(f, method, path, search, tenant)) continue;
      f.seen++;
      const rate = f.rate ?? 1;
      if (Math.floor(f.seen * rate) <= Math.floor((f.seen - 1) * rate)) continue;
      f.hits++;
      if (f.times !== undefined && f.hits >= f.times) f.remove();
      action.latencyMs += f.latencyMs ?? 0;
      if (action.drop || action.status !== undefined) continue;
      if (f.dropConnection) action.drop = true;
      else if (f.status !== undefined) {
        action.status = f.status;
        action.body = f.body ?? { error: f.message ?? DEFAULT_MESSAGES[f.status] ?? `HTTP ${f.status}` };
      }
    }
    return action;
  }
}

function matches(f: FaultSpec, method: string, path: string, search: string, tenant: string): boolean {
  if (f.method && f.method.toUpperCase() !== method) return false;
  if (f.tenant && f.tenant !== tenant) return false;
  if (f.path === undefined) return true;
  if (f.path instanceof RegExp) {
    f.path.lastIndex = 0;
    return f.path.test(path + search);
  }
  const p = f.path.replace(/\/+$/, '');
  return path === f.path || path === p || path.startsWith(`${p}/`);
}
