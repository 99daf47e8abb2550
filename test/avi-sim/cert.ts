// Self-signed certificates for the simulator. Generating a key costs tens of
// milliseconds, so the default certificate is created once per process.
import { generate } from 'selfsigned';

export interface SimCert {
  /** PEM certificate; it is self-signed, so it is also the CA to trust. */
  cert: string;
  key: string;
}

let shared: Promise<SimCert> | undefined;

export interface SimCertOptions {
  /** DNS names and IPs the certificate is issued for. Default 127.0.0.1 and localhost. */
  names?: { ips?: string[]; dns?: string[] };
  /** Validity window. Default: from a minute ago, for 30 days. */
  notBefore?: Date;
  notAfter?: Date;
}

/** A fresh self-signed certificate, by default for 127.0.0.1/localhost (EC P-256, 30 days). */
export async function generateSimCert(commonName = 'avi-sim.local', opts: SimCertOptions = {}): Promise<SimCert> {
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + 30 * 24 * 3600 * 1000);
  const ips = opts.names?.ips ?? ['127.0.0.1'];
  const dns = opts.names?.dns ?? ['localhost'];
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...ips.map((ip) => ({ type: 7 as const, ip })), ...dns.map((value) => ({ type: 2 as const, value }))],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** The process-wide simulator certificate. */
export function sharedSimCert(): Promise<SimCert> {
  shared ??= generateSimCert();
  return shared;
}
