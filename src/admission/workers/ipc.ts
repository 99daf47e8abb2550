// Messages between `amko serve`'s primary process and its webhook workers (node:cluster IPC,
// JSON). Every message carries `amko` (its type), so other users of the channel (node:cluster's
// own messages) are left alone. Requests carry an `id`; the answer is a `reply` with the same id.
import type { KindName } from '../../api/kinds.js';
import type { KubeObject } from '../../rules/view.js';
import { boundedDelay } from '../../timers.js';

/** Settings of a worker, in its environment (AMKO_WEBHOOK_WORKER, JSON). */
export interface WorkerSettings {
  host: string;
  port: number;
  /** The primary's log level at the fork; later changes (GSLBConfig spec.logLevel) arrive as `log-level`. */
  logLevel: string;
  /** The primary has a cluster connection: the worker answers from a replica of its cache. */
  clusterView: boolean;
}
export const WORKER_SETTINGS_ENV = 'AMKO_WEBHOOK_WORKER';

/** The primary's state a worker mirrors. */
export type ToWorker =
  | { amko: 'certificate'; cert: string; key: string }
  | { amko: 'view'; kind: KindName; objects: KubeObject[]; watchSynced: boolean }
  | { amko: 'readiness'; reasons: string[] }
  | { amko: 'log-level'; level: string }
  | { amko: 'collect-metrics'; id: number }
  | { amko: 'stop'; graceMs: number }
  | Reply;

export type ToPrimary =
  /** Sent once the worker listens for messages: the primary answers with its whole state. */
  | { amko: 'hello' }
  | { amko: 'listening'; url: string; host: string; port: number }
  | { amko: 'failed'; error: string }
  /** A direct read of these kinds (the primary's one connection pool to the API server). */
  | { amko: 'list-now'; id: number; kinds: KindName[] }
  /** GET /metrics: the primary's and every worker's metrics, aggregated. */
  | { amko: 'metrics'; id: number }
  | Reply;

export interface Reply {
  amko: 'reply';
  id: number;
  value?: unknown;
  error?: string;
}

export function isMessage<T extends { amko: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { amko?: unknown }).amko === 'string';
}

/** Requests over one channel, each answered by a `reply` with its id (or failed after a time limit). */
export class Requests {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  constructor(private readonly send: (m: { amko: string; id: number }) => void) {}

  request<T>(message: { amko: string; [k: string]: unknown }, timeoutMs: number): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${message.amko} within ${timeoutMs} ms`));
      }, boundedDelay(timeoutMs));
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        this.send({ ...message, id });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  /** Settles the request a reply answers; false for any other message. */
  settle(m: unknown): boolean {
    if (!isMessage<Reply>(m) || m.amko !== 'reply') return false;
    const p = this.pending.get(m.id);
    if (!p) return true;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.error !== undefined) p.reject(new Error(m.error));
    else p.resolve(m.value);
    return true;
  }

  /** Fails every pending request (the other side is gone). */
  failAll(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
      this.pending.delete(id);
    }
  }
}

/** Answers request `id` with the outcome of `work`. */
export function answer(send: (m: Reply) => void, id: number, work: () => Promise<unknown>): void {
  work().then(
    (value) => send({ amko: 'reply', id, value }),
    (err: unknown) => send({ amko: 'reply', id, error: err instanceof Error ? err.message : String(err) }),
  );
}
