// HTTPS transport for the admission app: TLS 1.2+, certificate hot reload
// from a CertificateSource, bounded timeouts, graceful close.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import type { Logger } from '../log.js';
import type { CertificateSource } from '../certs/source.js';

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

export async function startHttpsServer(app: RequestListener, certs: CertificateSource, opts: HttpsServerOptions): Promise<HttpsServerHandle> {
  const { cert, key } = certs.current();
  const server = https.createServer({ cert, key, minVersion: 'TLSv1.2' }, app);
  // Slow or stuck clients never hold a socket for long.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  server.keepAliveTimeout = 10_000;
  server.setTimeout(60_000, (socket) => socket.destroy());

  const unsubscribe = certs.onChange((b) => {
    try {
      server.setSecureContext({ cert: b.cert, key: b.key, minVersion: 'TLSv1.2' });
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
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
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
