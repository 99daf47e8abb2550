// One pino logger for the whole process. Secrets are redacted by key wherever
// they appear (top level or one/two levels down), so callers can log request
// and config objects without thinking about it.
import { writeSync } from 'node:fs';
import { pino, type Logger, type LevelWithSilent } from 'pino';

const SECRET_KEYS = [
  'password',
  'token',
  'bearerToken',
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'csrftoken',
  'x-csrftoken',
  'X-CSRFToken',
  'kubeconfig',
  'clientKey',
  'client-key-data',
  'tls.key',
  'privateKey',
  'secret',
];

export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const join = (prefix: string) => (key.startsWith('[') ? `${prefix}${key}` : `${prefix}.${key}`);
  return [key, join('*'), join('*.*'), join('*.*.*')];
});

/** pino's isoTime (`,"time":"…Z"`), formatted once per millisecond rather than once per line. */
let stampMs = -1;
let stamp = '';
function isoTime(): string {
  const now = Date.now();
  if (now !== stampMs) {
    stampMs = now;
    stamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

export interface LoggerOptions {
  level?: LevelWithSilent;
  destination?: NodeJS.WritableStream;
  /**
   * Without a destination: write stdout asynchronously (sonic-boom; lines logged while a write
   * is in flight go out together in the next one) rather than one blocking write() per line,
   * which stalls the event loop whenever the reader of a stdout pipe is slow. The lines of one
   * event-loop turn are handed over together at its end (batchedStdout), so a busy webhook pays
   * one write — one thread-pool round trip — per turn, not per decision line. Every write is
   * whole lines of at most PIPE_BUF bytes, so webhook worker processes sharing the stdout pipe
   * never interleave within a line. What is pending is flushed synchronously on exit. For the
   * long-running server.
   */
  asyncStdout?: boolean;
}

/** Writes of at most this many bytes are atomic on a pipe (Linux PIPE_BUF). */
const PIPE_BUF = 4096;

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? ((process.env.LOG_LEVEL as LevelWithSilent | undefined) || 'info');
  return pino(
    {
      level,
      base: { app: 'amko' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: isoTime,
    },
    options.destination ?? (options.asyncStdout ? batchedStdout() : process.stdout),
  );
}

/**
 * stdout through sonic-boom, the lines of one event-loop turn joined into one write (or one per
 * PIPE_BUF bytes), handed over in the turn's check phase (setImmediate): no later than a single
 * asynchronous write would have gone out. Each asynchronous write is a thread-pool round trip (a
 * wake-up, two context switches, the completion callback).
 */
function batchedStdout(): pino.DestinationStream & { flush(cb?: (err?: Error) => void): void; flushSync(): void } {
  const boom = pino.destination({ dest: 1, sync: false, maxWrite: PIPE_BUF });
  let pending = '';
  let pendingBytes = 0;
  let scheduled = false;
  const handOver = () => {
    scheduled = false;
    if (pending === '') return;
    const lines = pending;
    pending = '';
    pendingBytes = 0;
    boom.write(lines);
  };
  // On exit (no more event loop): what sonic-boom holds, then the lines not handed over yet, synchronously.
  process.once('exit', () => {
    if (pending === '') return;
    if (!(boom as { destroyed?: boolean }).destroyed) boom.flushSync();
    writeAllSync(1, pending);
  });
  return {
    write(line: string) {
      // sonic-boom keeps what it is given whole in one write while it fits in maxWrite.
      const bytes = Buffer.byteLength(line);
      if (pendingBytes + bytes > PIPE_BUF) handOver();
      pending += line;
      pendingBytes += bytes;
      if (!scheduled) {
        scheduled = true;
        setImmediate(handOver);
      }
    },
    flush(cb) {
      handOver();
      boom.flush(cb);
    },
    flushSync() {
      handOver();
      boom.flushSync();
    },
  };
}

function writeAllSync(fd: number, text: string): void {
  let rest = Buffer.from(text);
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (err) {
      // A non-blocking pipe that is full: try again; anything else (the reader is gone): give up.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    }
  }
}

/**
 * A child for lines that carry only scalars the caller picks (no request objects, headers or config), so
 * pino's redaction pass, the dearest part of such a line, is skipped. It follows the parent's level, live
 * changes included. A logger without child() (a test double) is returned as it is.
 */
export function unredacted(log: Logger): Logger {
  return typeof log.child === 'function' ? log.child({}, { redact: [] }) : log;
}

/** AMKO's logLevel values (GSLBConfig spec.logLevel) mapped onto pino levels. */
export function pinoLevel(amkoLevel: string | undefined): LevelWithSilent {
  switch (amkoLevel) {
    case 'DEBUG':
      return 'debug';
    case 'WARN':
      return 'warn';
    case 'ERROR':
      return 'error';
    default:
      return 'info';
  }
}

export type { Logger };
