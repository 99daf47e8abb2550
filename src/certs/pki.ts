// Certificate generation and inspection for the webhook's own PKI: a CA and a
// serving certificate it signs. ECDSA P-256 / SHA-256, random 128-bit serials,
// PEM in and out. Generation uses @peculiar/x509 on Node's WebCrypto;
// inspection uses node:crypto's X509Certificate.
import { X509Certificate, createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Certificates start this far in the past, so a peer with a slightly slow clock accepts them. */
export const BACKDATE_MS = 60_000;

export interface KeyPairPem {
  cert: string;
  key: string;
}

function serial(): string {
  const b = randomBytes(16);
  b[0]! &= 0x7f; // positive
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(k: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', k));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']) as Promise<CryptoKey>;
}

export interface CaOptions {
  commonName?: string;
  lifetimeMs: number;
  now?: number;
}

/** A self-signed CA (basicConstraints CA, pathLen 0, keyCertSign + cRLSign). */
export async function generateCa(opts: CaOptions): Promise<KeyPairPem> {
  const now = opts.now ?? Date.now();
  const keys = await keyPair();
  const name = `CN=${opts.commonName ?? 'amko-webhook-ca'}, O=amko`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + opts.lifetimeMs),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}

export interface ServingOptions {
  ca: KeyPairPem;
  /** DNS names and IP addresses for subjectAltName; the first is also the CN. */
  hosts: string[];
  lifetimeMs: number;
  now?: number;
}

/** A serving certificate signed by `ca`, never valid longer than the CA. */
export async function issueServing(opts: ServingOptions): Promise<KeyPairPem> {
  if (opts.hosts.length === 0) throw new Error('a serving certificate needs at least one host');
  const now = opts.now ?? Date.now();
  const caCert = new x509.X509Certificate(opts.ca.cert);
  const caKey = await importKey(opts.ca.key);
  const keys = await keyPair();
  const notAfter = Math.min(now + opts.lifetimeMs, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${opts.hosts[0]}, O=amko`,
    issuer: caCert.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(notAfter),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        opts.hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}

export interface CertInfo {
  notBefore: number;
  notAfter: number;
  subject: string;
  issuer: string;
  isCa: boolean;
  /** DNS names and IPs from subjectAltName. */
  hosts: string[];
  fingerprint: string;
  x509: X509Certificate;
}

/** Parses one PEM certificate; undefined when it is not one. */
export function inspect(pem: string | undefined): CertInfo | undefined {
  if (!pem) return undefined;
  try {
    const c = new X509Certificate(pem);
    const hosts = (c.subjectAltName ?? '')
      .split(/,\s*/)
      .map((s) => s.replace(/^(DNS|IP Address):/, ''))
      .filter(Boolean);
    return {
      notBefore: Date.parse(c.validFrom),
      notAfter: Date.parse(c.validTo),
      subject: c.subject,
      issuer: c.issuer,
      isCa: c.ca,
      hosts,
      fingerprint: c.fingerprint256,
      x509: c,
    };
  } catch {
    return undefined;
  }
}

/** True when `cert` was signed by `ca` (issuer name and signature). */
export function signedBy(cert: CertInfo, ca: CertInfo): boolean {
  return cert.x509.checkIssued(ca.x509) && cert.x509.verify(ca.x509.publicKey);
}

/** True when `keyPem` is the private key of `cert`. */
export function keyMatches(cert: CertInfo, keyPem: string | undefined): boolean {
  if (!keyPem) return false;
  try {
    const pub = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    const certPub = cert.x509.publicKey.export({ type: 'spki', format: 'der' });
    return Buffer.compare(pub, certPub) === 0;
  } catch {
    return false;
  }
}

/** Splits a PEM bundle into its certificates. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((s) => `${s}\n`) ?? [];
}

/** The standard in-cluster names of a Service: svc, svc.ns, svc.ns.svc, svc.ns.svc.cluster.local. */
export function serviceHosts(service: string, namespace: string): string[] {
  return [`${service}.${namespace}.svc`, service, `${service}.${namespace}`, `${service}.${namespace}.svc.cluster.local`];
}
