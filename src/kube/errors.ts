// Errors of Kubernetes API calls: the error our client throws, the HTTP status of
// any error (ours, or any with a numeric code), and the short, secret-free text
// that logs, status fields and Conditions show.

export class KubeHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'KubeHttpError';
  }
}

/** HTTP status of a KubeHttpError (or an error with a numeric code/statusCode); undefined for transport errors. */
export function statusCode(err: unknown): number | undefined {
  if (err instanceof KubeHttpError) return err.statusCode;
  const e = err as { code?: unknown; statusCode?: unknown; response?: { statusCode?: unknown } } | null;
  const c = e?.code ?? e?.statusCode ?? e?.response?.statusCode;
  return typeof c === 'number' ? c : undefined;
}

export function isStatus(err: unknown, code: number): boolean {
  return statusCode(err) === code;
}

/**
 * A short error text for logs, status fields and Conditions: `HTTP <code>: <API message>` for an
 * answer from an API server, else the error's code and message (plus the cause's code, e.g. ECONNREFUSED).
 */
export function errorText(err: unknown): string {
  const code = statusCode(err);
  const body = (err as { body?: unknown } | null)?.body;
  if (code !== undefined && body !== undefined) {
    let msg: string | undefined;
    if (typeof body === 'string') {
      try {
        msg = (JSON.parse(body) as { message?: string }).message;
      } catch {
        msg = body.slice(0, 200);
      }
    } else if (body && typeof body === 'object') {
      msg = (body as { message?: string }).message;
    }
    return `HTTP ${code}${msg ? `: ${msg}` : ''}`;
  }
  if (!err || typeof err !== 'object') return String(err);
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown; cause?: { code?: string } };
  const status = e.statusCode ?? e.code;
  const msg = typeof e.message === 'string' ? e.message : String(err);
  const text = status !== undefined ? `${String(status)}: ${msg}` : msg;
  const cause = e.cause?.code;
  return cause && !text.includes(cause) ? `${text} (${cause})` : text;
}
