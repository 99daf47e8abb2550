// The Avi client lifecycle of the worker: the connection settings taken from
// the GSLBConfig, the default client factory (TLS options from the serve
// flags), call metrics, the write fence (write-fence.ts) and the GSLB
// leadership check done before any write.
import { readFileSync } from 'node:fs';
import type { AviApi } from '../avi/types.js';
import type { Logger } from '../log.js';
import { workerMetrics as M } from './metrics.js';
import type { TokenBucket } from './queue.js';
import type { WriteFence } from './write-fence.js';

export interface AviConnection {
  controller: string;
  username: string;
  password: string;
  version?: string;
  tenant: string;
  /** The write fence's check, for the client to run right before each write leaves (set by AviClientHolder.rebuild). */
  writeGuard?: () => void;
}

export interface AviTlsOptions {
  /** PEM file with the controller's CA(s), read at each client build (default: the system CAs). */
  aviCaFile?: string;
  aviInsecureSkipTlsVerify?: boolean;
}

/** Default client factory settings: TLS, and the User-Agent naming this replica. */
export interface AviClientDefaults extends AviTlsOptions {
  userAgent?: string;
}

export type AviFactory = (c: AviConnection) => AviApi | Promise<AviApi>;

/** Wraps an AviApi so that every call is counted by verb and result. */
export function instrumentAvi(api: AviApi): AviApi {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || prop === 'close') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: unknown[]) => {
        try {
          const r = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          M.aviCalls.inc({ verb: String(prop), result: 'ok' });
          return r;
        } catch (err) {
          M.aviCalls.inc({ verb: String(prop), result: (err as { errorClass?: string }).errorClass ?? 'error' });
          throw err;
        }
      };
    },
  });
}

/** Wraps an AviApi so that every call first takes a token from `bucket` (the worker's Avi-call budget). */
export function limitAvi(api: AviApi, bucket: TokenBucket): AviApi {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || prop === 'close') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: unknown[]) => {
        await bucket.take();
        return (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}

/** The real Avi client (src/avi), loaded lazily. */
export function defaultAviFactory(log: Logger, o: AviClientDefaults): (c: AviConnection) => Promise<AviApi> {
  return async (c) => {
    const { AviClient } = await import('../avi/client.js');
    const caFile = o.aviCaFile;
    return AviClient.create({
      controller: c.controller,
      username: c.username,
      password: c.password,
      version: c.version,
      tenant: c.tenant,
      caPem: caFile ? readFileSync(caFile) : undefined,
      insecureSkipTlsVerify: o.aviInsecureSkipTlsVerify === true,
      userAgent: o.userAgent,
      writeGuard: c.writeGuard,
      log,
    });
  };
}

/** True when the controller is the GSLB leader site (its cluster uuid is the GSLB leader's). Throws on transport errors. */
export async function isGslbLeader(avi: AviApi): Promise<boolean> {
  const [clusterUuid, gslb] = await Promise.all([avi.getClusterUuid(), avi.getGslb()]);
  return !!gslb && gslb.leader_cluster_uuid === clusterUuid;
}

/** The worker's current Avi client (rebuilt when the connection settings change) and whether its controller is the verified GSLB leader. (src/avi/session.ts is the login session inside a client.) */
export class AviClientHolder {
  private api?: AviApi;
  /** Connected and the GSLB leader at the last check. */
  ok = false;

  /**
   * @param bucket the Avi-call budget every call of the client takes a token from (none: unlimited).
   * @param fence checks every write after its token wait (and inside the client, right before it leaves).
   */
  constructor(
    private readonly factory: AviFactory,
    private readonly bucket?: TokenBucket,
    private readonly fence?: WriteFence,
  ) {}

  get client(): AviApi | undefined {
    return this.api;
  }

  async rebuild(conn: AviConnection): Promise<AviApi> {
    await this.close();
    const fence = this.fence;
    const built = await this.factory(fence ? { ...conn, writeGuard: () => fence.check() } : conn);
    const api = fence ? fence.wrap(built) : built;
    this.api = instrumentAvi(this.bucket ? limitAvi(api, this.bucket) : api);
    return this.api;
  }

  async close(): Promise<void> {
    const a = this.api;
    this.api = undefined;
    this.ok = false;
    await a?.close().catch(() => undefined);
  }
}
