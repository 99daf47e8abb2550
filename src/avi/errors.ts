// Error model of the Avi client. Every failure the client returns is an
// AviError carrying a retry class (AviErrorClass), so callers decide between
// fast retry, slow retry and drop without parsing controller messages.
import type { AviErrorClass, AviRetry } from './types.js';

/** Controller message fragments the classification keys on (matched case-insensitively). */
export const AVI_MESSAGES = {
  notLeader: 'Config Operations can be done ONLY on leader',
  maintenance: 'GSLB system is in maintenance mode.',
  domainConflict: 'domain name conflicting with existing domain name',
  alreadyExists: 'already exists',
  invalidCredentials: 'Invalid credentials',
  referenced: 'object is referred by',
  csrf: 'CSRF Failed',
} as const;

/** Retry policy per class; the worker may refine it, but this is the default reading. */
export const AVI_RETRY: Readonly<Record<AviErrorClass, AviRetry>> = {
  transport: 'fast',
  timeout: 'fast',
  tls: 'none',
  server: 'slow',
  maintenance: 'slow',
  'not-leader': 'slow',
  'domain-conflict': 'slow',
  'not-found': 'fast',
  conflict: 'fast',
  'bad-request': 'none',
  auth: 'none',
};

/**
 * Node/OpenSSL error codes that mean the controller certificate failed verification, with the reason a user
 * acts on (trust the right CA with --avi-ca-file, use the name the certificate was issued for, renew it).
 */
const TLS_VERIFY_REASONS: Readonly<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown CA',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown CA',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown CA',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'unknown CA',
  CERT_UNTRUSTED: 'unknown CA',
  INVALID_CA: 'unknown CA',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name mismatch',
  HOSTNAME_MISMATCH: 'name mismatch',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not yet valid',
  CERT_SIGNATURE_FAILURE: 'bad signature',
  CERT_REVOKED: 'revoked',
  CERT_REJECTED: 'rejected',
};

/** Why the controller certificate was not trusted (`unknown CA`, `name mismatch`, `expired`, ...), from a Node TLS error code. */
export function tlsFailureReason(code: string | undefined): string | undefined {
  return code !== undefined && Object.hasOwn(TLS_VERIFY_REASONS, code) ? TLS_VERIFY_REASONS[code] : undefined;
}

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'AVI_TIMEOUT', 'ABORT_ERR']);

export interface AviErrorInit {
  errorClass: AviErrorClass;
  status?: number;
  method?: string;
  path?: string;
  tenant?: string;
  code?: string;
  cause?: unknown;
  /** Set by the session when POST /login itself is refused. */
  invalidCredentials?: boolean;
}

export class AviError extends Error {
  override readonly name = 'AviError';
  /** HTTP status, absent for transport/timeout/TLS failures. */
  readonly status?: number;
  readonly errorClass: AviErrorClass;
  /** False only for classes whose retry policy is 'none' (tls, bad-request, auth). */
  readonly retryable: boolean;
  readonly retry: AviRetry;
  /** Controller message (the `error`/`detail` of the body) or the transport error text. */
  readonly controllerMessage: string;
  readonly method?: string;
  /** Request path without query string. */
  readonly path?: string;
  readonly tenant?: string;
  /** Node error code for transport/TLS failures (e.g. ECONNRESET, UNABLE_TO_VERIFY_LEAF_SIGNATURE). */
  readonly code?: string;
  /** Login was refused: the configured username/password are wrong (or the account is locked). Never retried. */
  readonly invalidCredentials: boolean;
  /** For the tls class: why the controller certificate was not trusted (`unknown CA`, `name mismatch`, `expired`, ...). */
  readonly tlsReason?: string;
  /** Duplicate name: "... with this Name and Tenant ref already exists". */
  readonly alreadyExists: boolean;
  /** Delete refused because another object refers to this one. */
  readonly referenced: boolean;

  constructor(message: string, init: AviErrorInit) {
    const where = init.method && init.path ? `${init.method} ${init.path}: ` : '';
    const status = init.status !== undefined ? `${init.status} ` : '';
    super(`avi ${where}${status}${message}`, init.cause !== undefined ? { cause: init.cause } : undefined);
    this.status = init.status;
    this.errorClass = init.errorClass;
    this.retry = AVI_RETRY[init.errorClass];
    this.retryable = this.retry !== 'none';
    this.controllerMessage = message;
    this.method = init.method;
    this.path = init.path;
    this.tenant = init.tenant;
    this.code = init.code;
    this.tlsReason = init.errorClass === 'tls' ? (tlsFailureReason(init.code) ?? 'not trusted') : undefined;
    const lower = message.toLowerCase();
    this.invalidCredentials =
      init.invalidCredentials ?? (init.errorClass === 'auth' && lower.includes(AVI_MESSAGES.invalidCredentials.toLowerCase()));
    this.alreadyExists = lower.includes(AVI_MESSAGES.alreadyExists);
    this.referenced = lower.includes(AVI_MESSAGES.referenced);
  }
}

export function isAviError(e: unknown): e is AviError {
  return e instanceof AviError;
}

/**
 * The retry class for an HTTP failure (status + controller message) or a
 * transport failure (Node error, no status). Message matches win over status,
 * because the controller reports leadership/maintenance/domain problems as 400s.
 */
export function classifyAviError(input: { status?: number; message?: string; code?: string }): AviErrorClass {
  const { status, code } = input;
  const msg = (input.message ?? '').toLowerCase();
  if (status === undefined) {
    if (tlsFailureReason(code)) return 'tls';
    if (code && TIMEOUT_CODES.has(code)) return 'timeout';
    return 'transport';
  }
  if (msg.includes(AVI_MESSAGES.notLeader.toLowerCase())) return 'not-leader';
  if (msg.includes('maintenance mode')) return 'maintenance';
  if (msg.includes(AVI_MESSAGES.domainConflict)) return 'domain-conflict';
  if (status === 401 || status === 403 || status === 419) return 'auth';
  if (status === 404) return 'not-found';
  if (status === 409 || status === 412) return 'conflict';
  if (msg.includes(AVI_MESSAGES.referenced)) return 'conflict';
  if (status === 429 || status >= 500) return 'server';
  return 'bad-request';
}

/** Build the AviError for an HTTP response with a non-2xx status. */
export function httpError(status: number, body: string, ctx: { method: string; path: string; tenant?: string }): AviError {
  const message = controllerMessage(body) || `HTTP ${status}`;
  return new AviError(message, { ...ctx, status, errorClass: classifyAviError({ status, message }) });
}

/** Build the AviError for a request that got no HTTP response. */
export function transportError(err: unknown, ctx: { method: string; path: string; tenant?: string }): AviError {
  if (err instanceof AviError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const errorClass = classifyAviError({ code });
  const detail = e?.message ? String(e.message) : String(err);
  const message = errorClass === 'tls' ? `controller certificate verification failed: ${tlsFailureReason(code)} (${code}): ${detail}` : detail;
  return new AviError(message, { ...ctx, code, errorClass, cause: err });
}

/** The human message of an Avi error body: `{"error": ...}`, `{"detail": ...}` or plain text. */
export function controllerMessage(body: string): string {
  const text = body.trim();
  if (!text) return '';
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object') {
      const o = parsed as Record<string, unknown>;
      for (const k of ['error', 'detail', 'message', 'msg']) {
        const v = o[k];
        if (typeof v === 'string') return v;
        if (v !== undefined) return JSON.stringify(v);
      }
    }
    if (typeof parsed === 'string') return parsed;
  } catch {
    // not JSON
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
