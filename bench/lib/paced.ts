// An open-loop, paced HTTPS load generator: request i is due at
// t0 + i/rate whatever happened to earlier ones, over a pool of keep-alive
// connections. Latency is measured from the due time to the end of the
// response, so queueing (in the client pool, the network or the server) is
// included and a stalled server cannot hide behind a client that waits
// (coordinated omission). autocannon's rate limit sends each connection's
// per-second quota back to back and then idles, which measures bursts, not a
// fixed rate; this is what the fixed-rate figures use instead.
import https from 'node:https';
import { performance } from 'node:perf_hooks';

export interface PacedRequest {
  path: string;
  body: string;
  headers: Record<string, string>;
}

export interface PacedResult {
  sent: number;
  completed: number;
  errors: number;
  non2xx: number;
  durationS: number;
  /** Latency samples (ms), due time -> response end. */
  samples: number[];
}

export async function paced(
  url: string,
  requests: PacedRequest[],
  opts: { rate: number; durationS: number; connections: number; warmupS?: number },
): Promise<PacedResult> {
  // The first warmupS seconds (connection setup, TLS handshakes) are sent but not recorded.
  const warmup = opts.warmupS ?? 1;
  const agent = new https.Agent({ keepAlive: true, maxSockets: opts.connections, rejectUnauthorized: false });
  const u = new URL(url);
  const total = Math.round(opts.rate * (opts.durationS + warmup));
  const samples: number[] = [];
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let non2xx = 0;
  let warm = 0;
  const bodies = requests.map((r) => ({ ...r, buf: Buffer.from(r.body) }));
  const t0 = performance.now() + 50;
  await new Promise<void>((resolve) => {
    const finish = () => {
      if (completed + warm + errors === total) resolve();
    };
    const fire = (i: number, due: number) => {
      const r = bodies[i % bodies.length]!;
      const req = https.request(
        {
          host: u.hostname,
          port: u.port,
          method: 'POST',
          path: r.path,
          agent,
          headers: { ...r.headers, 'content-length': r.buf.length },
        },
        (res) => {
          if ((res.statusCode ?? 0) >= 300) non2xx++;
          res.on('data', () => undefined);
          res.on('end', () => {
            if (due >= t0 + warmup * 1000) {
              samples.push(performance.now() - due);
              completed++;
            } else warm++;
            finish();
          });
        },
      );
      req.on('error', () => {
        errors++;
        finish();
      });
      req.end(r.buf);
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && t0 + (sent * 1000) / opts.rate <= now) {
        fire(sent, t0 + (sent * 1000) / opts.rate);
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, t0 + (sent * 1000) / opts.rate - performance.now()));
    };
    setTimeout(tick, 50);
  });
  agent.destroy();
  return { sent: sent - warm, completed, errors, non2xx, durationS: (performance.now() - t0) / 1000 - warmup, samples };
}
