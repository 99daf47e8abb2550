// HTTPS transport for the admission app: TLS 1.2+, certificate hot reload
// from a CertificateSource, bounded timeouts, graceful close.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import type { Logger } from '../log.js';
import type { CertificateSource } from '../certs/source.js';
import { boundedDelay } from '../timers.js';

export interface HttpsServerOptions {
  host: string;
  port: number;
  log?: Logger;
}

export interface HttpsServerHandle {
  server: https.Server;
  /** Bound address (useful with port 0). */
  port: number;
  host: string;
  /** `https://<host>:<port>` (IPv6 hosts bracketed). */
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to graceMs, default 10 s), then closes. */
  close(graceMs?: number): Promise<void>;
}

/**
 * TLS 1.2 suites: forward-secret ECDHE with AEAD only (no CBC, no SHA-1, no static RSA, no DHE).
 * TLS 1.3 suites are all AEAD and listed explicitly so they stay enabled.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

const TLS_OPTIONS = { minVersion: 'TLSv1.2', ciphers: TLS_CIPHERS, honorCipherOrder: true } as const;

export async function startHttpsServer(app: RequestListener, certs: CertificateSource, opts: HttpsServerOptions): Promise<HttpsServerHandle> {
  const { cert, key } = certs.current();
  // connectionsCheckingInterval: how often the header/request timeouts are enforced (Node's default
  // is 30 s, which would let a slow-header client hold a socket up to 45 s instead of 15 s).
  const server = https.createServer({ cert, key, ...TLS_OPTIONS, connectionsCheckingInterval: 1000 }, app);
  // Slow or stuck clients never hold a socket for long.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  server.keepAliveTimeout = 10_000;
  server.setTimeout(60_000, (socket) => socket.destroy());

  const unsubscribe = certs.onChange((b) => {
    try {
      server.setSecureContext({ cert: b.cert, key: b.key, ...TLS_OPTIONS });
      opts.log?.info('serving certificate replaced');
    } catch (err) {
      opts.log?.error({ err }, 'could not apply the new serving certificate; keeping the old one');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.address;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;

  let closing: Promise<void> | undefined;
  return {
    server,
    port: addr.port,
    host,
    url,
    close(graceMs = 10_000) {
      closing ??= new Promise<void>((resolve) => {
        unsubscribe();
        const force = setTimeout(() => server.closeAllConnections(), boundedDelay(graceMs));
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
