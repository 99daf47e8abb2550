// The certificate lifecycle as a pure function: given what the Secret holds and
// the time, what should it hold next? Every replica runs the same plan; the
// Secret's resourceVersion decides which write wins.
//
// CA rotation keeps every request verifiable (caBundle = current + previous CA):
//   1. at renewFraction of the CA's life: new CA becomes current, the old one
//      "previous"; the serving certificate (old CA) is kept; both are injected.
//   2. caOverlap later (every API server has the new bundle): the serving
//      certificate is re-issued by the new CA.
//   3. caOverlap later (every replica serves the new certificate): the
//      previous CA is dropped from the bundle.
// The serving certificate is renewed at renewFraction of its life.
import { BACKDATE_MS, generateCa, inspect, issueServing, keyMatches, signedBy, type CertInfo } from './pki.js';

export interface CertMaterial {
  caCert?: string;
  caKey?: string;
  tlsCert?: string;
  tlsKey?: string;
  previousCaCert?: string;
  /** When the current CA replaced `previousCaCert` (ms since epoch). */
  caRotatedAt?: number;
  /** When the serving certificate moved to the current CA during a CA rotation. */
  servingSwitchedAt?: number;
}

export interface LifecycleConfig {
  caLifetimeMs: number;
  servingLifetimeMs: number;
  caOverlapMs: number;
  /** Renew at this fraction of a certificate's lifetime (default 2/3). */
  renewFraction?: number;
  /** DNS names / IPs of the serving certificate. */
  hosts: string[];
  caCommonName?: string;
}

export interface Plan {
  next: CertMaterial;
  reason: string;
}

/** When a certificate is due: at fraction `f` of its life, counted from its issue time (notBefore is backdated). */
const renewAt = (c: CertInfo, f: number) => {
  const issued = Math.min(c.notBefore + BACKDATE_MS, c.notAfter);
  return issued + (c.notAfter - issued) * f;
};

/** The PEM CA bundle for caBundle: current CA, then the previous one during a rotation. */
export function caBundleOf(m: CertMaterial): string {
  return [m.caCert, m.previousCaCert].filter((x): x is string => !!x).join('');
}

/** Next time (ms) at which planNext may have something to do, given unchanged material. */
export function nextDeadline(m: CertMaterial, cfg: LifecycleConfig): number {
  const f = cfg.renewFraction ?? 2 / 3;
  const times: number[] = [];
  const ca = inspect(m.caCert);
  const tls = inspect(m.tlsCert);
  if (ca) times.push(renewAt(ca, f), ca.notAfter);
  if (tls) times.push(renewAt(tls, f), tls.notAfter);
  if (m.previousCaCert) {
    if (m.caRotatedAt !== undefined) times.push(m.caRotatedAt + cfg.caOverlapMs);
    if (m.servingSwitchedAt !== undefined) times.push(m.servingSwitchedAt + cfg.caOverlapMs);
  }
  return times.length ? Math.min(...times) : 0;
}

/** What to change now, or undefined when the material is fine as it is. */
export async function planNext(m: CertMaterial, cfg: LifecycleConfig, now = Date.now()): Promise<Plan | undefined> {
  const f = cfg.renewFraction ?? 2 / 3;
  const ca = inspect(m.caCert);
  const caOk = !!ca && ca.isCa && keyMatches(ca, m.caKey) && now < ca.notAfter;

  const issue = async (caPair: { cert: string; key: string }) =>
    issueServing({ ca: caPair, hosts: cfg.hosts, lifetimeMs: cfg.servingLifetimeMs, now });

  // 1. No usable CA: start over (nothing to overlap with).
  if (!caOk) {
    const newCa = await generateCa({ commonName: cfg.caCommonName, lifetimeMs: cfg.caLifetimeMs, now });
    const tls = await issue(newCa);
    return {
      next: { caCert: newCa.cert, caKey: newCa.key, tlsCert: tls.cert, tlsKey: tls.key },
      reason: ca ? 'CA unusable or expired: new CA and serving certificate' : 'no CA: new CA and serving certificate',
    };
  }
  const caPair = { cert: m.caCert!, key: m.caKey! };
  const tls = inspect(m.tlsCert);
  const prev = inspect(m.previousCaCert);
  const tlsByCurrent = !!tls && signedBy(tls, ca);
  const tlsByPrev = !!tls && !!prev && signedBy(tls, prev);
  const tlsUsable =
    !!tls &&
    keyMatches(tls, m.tlsKey) &&
    (tlsByCurrent || tlsByPrev) &&
    now < tls.notAfter &&
    cfg.hosts.every((h) => tls.hosts.includes(h));

  // 2. A CA rotation in progress.
  if (m.previousCaCert) {
    if (!prev || now >= prev.notAfter) {
      return { next: withoutPrevious(m), reason: 'previous CA expired: dropped from the bundle' };
    }
    if (tlsUsable && tlsByPrev && now >= (m.caRotatedAt ?? 0) + cfg.caOverlapMs) {
      const t = await issue(caPair);
      return { next: { ...m, tlsCert: t.cert, tlsKey: t.key, servingSwitchedAt: now }, reason: 'CA rotation: serving certificate moved to the new CA' };
    }
    if (tlsUsable && tlsByCurrent && now >= (m.servingSwitchedAt ?? m.caRotatedAt ?? 0) + cfg.caOverlapMs) {
      return { next: withoutPrevious(m), reason: 'CA rotation done: previous CA dropped from the bundle' };
    }
  } else if (now >= renewAt(ca, f)) {
    // 3. Start a CA rotation.
    const newCa = await generateCa({ commonName: cfg.caCommonName, lifetimeMs: cfg.caLifetimeMs, now });
    const next: CertMaterial = { caCert: newCa.cert, caKey: newCa.key, previousCaCert: m.caCert, caRotatedAt: now };
    if (tlsUsable) {
      next.tlsCert = m.tlsCert;
      next.tlsKey = m.tlsKey;
    } else {
      const t = await issue(newCa);
      next.tlsCert = t.cert;
      next.tlsKey = t.key;
      next.servingSwitchedAt = now;
    }
    return { next, reason: 'CA rotation started: new CA added to the bundle' };
  }

  // 4. Serving certificate missing, broken, for other hosts, or due.
  if (!tlsUsable) {
    const t = await issue(caPair);
    return {
      next: { ...m, tlsCert: t.cert, tlsKey: t.key, ...(m.previousCaCert ? { servingSwitchedAt: now } : {}) },
      reason: tls ? 'serving certificate unusable: re-issued' : 'no serving certificate: issued',
    };
  }
  if (now >= renewAt(tls, f)) {
    const t = await issue(caPair);
    return {
      next: { ...m, tlsCert: t.cert, tlsKey: t.key, ...(tlsByPrev ? { servingSwitchedAt: now } : {}) },
      reason: 'serving certificate renewed',
    };
  }
  return undefined;
}

function withoutPrevious(m: CertMaterial): CertMaterial {
  const { previousCaCert: _p, caRotatedAt: _r, servingSwitchedAt: _s, ...rest } = m;
  return rest;
}
