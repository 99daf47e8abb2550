// A local CA and serving certificate for running the webhook without any
// certificate infrastructure (`npm start`, tests, a webhook registered by URL).
// Generated with the `selfsigned` package into the cert dir as ca.crt, tls.crt
// and tls.key, and reused on the next start while still valid. The CA key is
// not kept: when the pair needs renewing, both are generated again.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import type { CertificateBundle } from './source.js';

export const CA_FILE = 'ca.crt';
export const CERT_FILE = 'tls.crt';
export const KEY_FILE = 'tls.key';

export interface LocalCertOptions {
  certDir: string;
  /** In-cluster Service name (SANs `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc`, `<svc>.<ns>.svc.cluster.local`). */
  serviceName?: string;
  serviceNamespace?: string;
  /** Extra DNS names or IP addresses. */
  extraNames?: string[];
  /** Validity of a new pair. Default 365 days. */
  validityDays?: number;
  /** Regenerate when less than this remains. Default 7 days. */
  renewBeforeDays?: number;
}

export interface LocalCertResult extends CertificateBundle {
  ca: string;
  certFile: string;
  keyFile: string;
  caFile: string;
  generated: boolean;
}

const DAY = 86_400_000;

/** The SANs a local serving certificate carries. */
export function serviceSans(opts: Pick<LocalCertOptions, 'serviceName' | 'serviceNamespace' | 'extraNames'>): string[] {
  const svc = opts.serviceName ?? 'amko-webhook';
  const ns = opts.serviceNamespace ?? 'avi-system';
  return [
    'localhost',
    '127.0.0.1',
    '::1',
    svc,
    `${svc}.${ns}`,
    `${svc}.${ns}.svc`,
    `${svc}.${ns}.svc.cluster.local`,
    ...(opts.extraNames ?? []),
  ];
}

/** Returns the pair in `certDir`, generating (and writing) a new one when absent, expiring, unreadable or incomplete. */
export async function ensureLocalCertificates(opts: LocalCertOptions): Promise<LocalCertResult> {
  const files = {
    caFile: path.join(opts.certDir, CA_FILE),
    certFile: path.join(opts.certDir, CERT_FILE),
    keyFile: path.join(opts.certDir, KEY_FILE),
  };
  const sans = serviceSans(opts);
  const existing = await readUsable(files, sans, (opts.renewBeforeDays ?? 7) * DAY);
  if (existing) return { ...existing, ...files, generated: false };

  const bundle = await generateLocalCertificates(sans, opts.validityDays ?? 365);
  await mkdir(opts.certDir, { recursive: true });
  await writeAtomic(files.caFile, bundle.ca, 0o644);
  await writeAtomic(files.keyFile, bundle.key, 0o600);
  await writeAtomic(files.certFile, bundle.cert, 0o644);
  return { ...bundle, ...files, generated: true };
}

/** A fresh CA and a serving certificate signed by it (EC P-256, SHA-256). */
export async function generateLocalCertificates(
  sans: string[],
  validityDays = 365,
): Promise<{ ca: string; cert: string; key: string }> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + validityDays * DAY);
  // Loaded only to generate (it is large; a server given its certificate never needs it).
  const { generate } = await import('selfsigned');
  const ca = await generate([{ name: 'commonName', value: 'amko-webhook-ca' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notAfterDate.getTime() + DAY),
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: sans.find((s) => s.endsWith('.svc')) ?? 'amko-webhook' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: sans.map((s) => (isIP(s) ? { type: 7 as const, ip: s } : { type: 2 as const, value: s })),
      },
    ],
  });
  return { ca: ca.cert, cert: leaf.cert, key: leaf.private };
}

/** Checks that a PEM pair matches, is signed by `ca` (when given), is valid for long enough and covers `sans`. */
export function checkPair(bundle: CertificateBundle, opts: { sans?: string[]; minRemainingMs?: number } = {}): string | undefined {
  try {
    const cert = new X509Certificate(bundle.cert);
    if (!cert.checkPrivateKey(createPrivateKey(bundle.key))) return 'private key does not match the certificate';
    const now = Date.now();
    if (Date.parse(cert.validFrom) > now) return 'certificate is not valid yet';
    if (Date.parse(cert.validTo) - now < (opts.minRemainingMs ?? 0)) return 'certificate expires soon or has expired';
    if (bundle.ca) {
      const ca = new X509Certificate(bundle.ca);
      if (!cert.verify(ca.publicKey)) return 'certificate is not signed by the CA';
      if (Date.parse(ca.validTo) - now < (opts.minRemainingMs ?? 0)) return 'CA expires soon or has expired';
    }
    for (const san of opts.sans ?? []) {
      const ok = isIP(san) ? cert.checkIP(san) !== undefined : cert.checkHost(san, { wildcards: false }) !== undefined;
      if (!ok) return `certificate does not cover ${san}`;
    }
    return undefined;
  } catch (err) {
    return `unreadable: ${err instanceof Error ? err.message : String(err)}`;
  }
}

async function readUsable(
  files: { caFile: string; certFile: string; keyFile: string },
  sans: string[],
  minRemainingMs: number,
): Promise<(CertificateBundle & { ca: string }) | undefined> {
  if (![files.caFile, files.certFile, files.keyFile].every((f) => existsSync(f))) return undefined;
  const [ca, cert, key] = await Promise.all([
    readFile(files.caFile, 'utf8'),
    readFile(files.certFile, 'utf8'),
    readFile(files.keyFile, 'utf8'),
  ]);
  return checkPair({ ca, cert, key }, { sans, minRemainingMs }) ? undefined : { ca, cert, key };
}

async function writeAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, file);
}
