// A CertificateSource over a certificate and key file on disk. The files are
// polled (content comparison, so it also sees Kubernetes' atomic symlink swaps
// of mounted Secrets); a new pair is only handed out once it parses and
// matches, so a half-written rotation never breaks the server.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../log.js';
import { checkPair } from './local.js';
import type { CertificateBundle, CertificateSource } from './source.js';
import { boundedDelay } from '../timers.js';

export interface FileSourceOptions {
  certFile: string;
  keyFile: string;
  caFile?: string;
  /** Poll interval. Default 2000 ms. */
  pollMs?: number;
  log?: Logger;
}

/** Reads the files once (throws if they are unusable) and watches them from then on. */
export function fileCertificateSource(opts: FileSourceOptions): CertificateSource {
  const read = (): CertificateBundle => {
    const bundle: CertificateBundle = { cert: readFileSync(opts.certFile, 'utf8'), key: readFileSync(opts.keyFile, 'utf8') };
    if (opts.caFile) bundle.ca = readFileSync(opts.caFile, 'utf8');
    return bundle;
  };
  const usable = (b: CertificateBundle): string | undefined => {
    const problem = checkPair({ cert: b.cert, key: b.key });
    if (problem) return problem;
    try {
      createSecureContext({ cert: b.cert, key: b.key });
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
    return undefined;
  };

  let current = read();
  const problem = usable(current);
  if (problem) throw new Error(`TLS certificate ${opts.certFile} / key ${opts.keyFile}: ${problem}`);

  const listeners = new Set<(b: CertificateBundle) => void>();
  let lastRejected = '';
  const timer = setInterval(() => {
    let next: CertificateBundle;
    try {
      next = read();
    } catch {
      return; // mid-rotation: a file is briefly missing
    }
    if (next.cert === current.cert && next.key === current.key && next.ca === current.ca) return;
    const p = usable(next);
    if (p) {
      const id = next.cert + next.key;
      if (id !== lastRejected) opts.log?.warn({ certFile: opts.certFile, problem: p }, 'new TLS files not usable yet; keeping the current certificate');
      lastRejected = id;
      return;
    }
    current = next;
    opts.log?.info({ certFile: opts.certFile }, 'TLS certificate reloaded');
    for (const cb of listeners) cb(current);
  }, boundedDelay(opts.pollMs ?? 2000));
  timer.unref();

  return {
    current: () => current,
    onChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    close: () => clearInterval(timer),
  };
}
