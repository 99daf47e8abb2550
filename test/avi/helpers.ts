// Shared helpers for the Avi client and simulator tests.
import https from 'node:https';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.js';
import { AviClient, type AviClientOptions } from '../../src/avi/client.js';
import { defaultSeed, startAviSimulator, type AviSimulator, type AviSimulatorOptions } from '../avi-sim/server.js';

export const SIM_USER = defaultSeed().users[0] as { username: string; password: string };

/** A debug-level pino logger writing into memory. */
export function captureLogger(): { log: Logger; text: () => string; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  const log = createLogger({ level: 'debug', destination: sink });
  const text = () => chunks.join('');
  return {
    log,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export interface Rig {
  sim: AviSimulator;
  client: AviClient;
  logs: ReturnType<typeof captureLogger>;
  close(): Promise<void>;
}

/** A simulator plus a client trusting its CA. */
export async function rig(simOpts: AviSimulatorOptions = {}, clientOpts: Partial<AviClientOptions> = {}): Promise<Rig> {
  const sim = await startAviSimulator(simOpts);
  const logs = captureLogger();
  const client = AviClient.create({
    controller: sim.host,
    username: SIM_USER.username,
    password: SIM_USER.password,
    caPem: sim.caPem,
    timeoutMs: 5000,
    log: logs.log,
    ...clientOpts,
  });
  return {
    sim,
    client,
    logs,
    async close() {
      await client.close();
      await sim.close();
    },
  };
}

export interface RawResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One HTTPS request to the simulator with exactly the given headers. */
export function raw(
  sim: AviSimulator,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: unknown; rawBody?: string } = {},
): Promise<RawResult> {
  const payload = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: sim.port,
        method,
        path,
        ca: sim.caPem,
        agent: false,
        headers: {
          ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // keep text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export interface RawSession {
  cookie: string;
  csrf: string;
  /** Headers a well-behaved client sends on every API call. */
  headers(tenant?: string): Record<string, string>;
}

/** Log in with raw HTTP and return the cookies/CSRF token. */
export async function rawLogin(sim: AviSimulator, user = SIM_USER): Promise<RawSession> {
  const res = await raw(sim, 'POST', '/login', { body: user });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  const setCookie = (res.headers['set-cookie'] as string[]) ?? [];
  const pairs = setCookie.map((c) => c.split(';', 1)[0] as string);
  const csrf = (pairs.find((p) => p.startsWith('csrftoken=')) ?? '').slice('csrftoken='.length);
  const cookie = pairs.join('; ');
  return {
    cookie,
    csrf,
    headers: (tenant = 'admin') => ({
      Cookie: cookie,
      'X-CSRFToken': csrf,
      Referer: `${sim.url}/`,
      'X-Avi-Version': sim.store.controllerVersion,
      'X-Avi-Tenant': tenant,
    }),
  };
}

/** A minimal valid GslbService body. */
export function gsBody(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> & { name: string; domain_names: string[]; groups: any[] } {
  return {
    name,
    domain_names: [name],
    created_by: 'amko-test',
    is_federated: true,
    controller_health_status_enabled: true,
    enabled: true,
    health_monitor_scope: 'GSLB_SERVICE_HEALTH_MONITOR_ALL_MEMBERS',
    pool_algorithm: 'GSLB_SERVICE_ALGORITHM_PRIORITY',
    site_persistence_enabled: false,
    groups: [
      {
        name: 'amko-gs-group-10',
        priority: 10,
        enabled: true,
        algorithm: 'GSLB_ALGORITHM_ROUND_ROBIN',
        members: [{ enabled: true, ratio: 1, ip: { addr: '10.1.1.1', type: 'V4' } }],
      },
    ],
    ...extra,
  };
}

/** A minimal valid federated health monitor body. */
export function hmBody(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> & { name: string; type: string } {
  return {
    name,
    type: 'HEALTH_MONITOR_TCP',
    is_federated: true,
    monitor_port: 80,
    send_interval: 10,
    receive_timeout: 4,
    successful_checks: 3,
    failed_checks: 3,
    tcp_monitor: { tcp_half_open: false },
    ...extra,
  };
}
