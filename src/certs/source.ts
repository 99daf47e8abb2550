// Where the HTTPS server gets its serving certificate. A source hands out the
// current PEM bundle and tells listeners when it changes; the server then swaps
// its TLS context (server.setSecureContext) without dropping connections.
//
// Implementations:
//   - local-files.ts: tls.crt/tls.key files (--tls-cert-file/--tls-key-file, or
//     the generated ones in --cert-dir), polled for changes.
//   - an in-cluster Secret-backed source (certs engineer) implements the same interface.

export interface CertificateBundle {
  /** PEM serving certificate (chain). */
  cert: string;
  /** PEM private key. */
  key: string;
  /** PEM CA that signed `cert`, when known (for caBundle injection and tests). */
  ca?: string;
}

export interface CertificateSource {
  /** The bundle to serve now. Must not throw once the source has started. */
  current(): CertificateBundle;
  /** Registers a listener for a new, already-validated bundle. Returns an unsubscribe function. */
  onChange(cb: (bundle: CertificateBundle) => void): () => void;
  /** Releases timers/watchers. Optional. */
  close?(): void;
}
