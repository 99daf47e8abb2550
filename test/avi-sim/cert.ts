// Self-signed certificates for the simulator. Generating a key costs tens of
// milliseconds, so the default certificate is created once per process.
import { generate } from 'selfsigned';

export interface SimCert {
  /** PEM certificate; it is self-signed, so it is also the CA to trust. */
  cert: string;
  key: string;
}

let shared: Promise<SimCert> | undefined;

/** A fresh self-signed certificate for 127.0.0.1/localhost (EC P-256, 30 days). */
export async function generateSimCert(commonName = 'avi-sim.local'): Promise<SimCert> {
  const now = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: new Date(now.getTime() + 30 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
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
