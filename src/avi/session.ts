// Avi session: POST /login, the session and CSRF cookies, and the headers that
// authenticate every other request. One login runs at a time; a 401 seen by any
// number of concurrent requests triggers a single re-login that they all share.
// A refused login is never repeated by the same session: the controller locks an
// account after a few failed logins, so one client costs it at most one.
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '../log.js';
import { counter } from '../metrics.js';
import { AviError, controllerMessage } from './errors.js';

const loginFailures = counter({
  name: 'amko_avi_login_failures_total',
  help: 'Logins the Avi controller refused (wrong username/password or a locked account).',
});

export interface RawRequest {
  method: string;
  /** Path and query, e.g. `/api/gslbservice?name=x`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends one HTTP request; rejects with an AviError (transport/timeout/tls) when there is no response. */
export type Transport = (req: RawRequest) => Promise<RawResponse>;

export interface SessionOptions {
  username: string;
  password: string;
  /** `https://host[:port]/`, sent as Referer (the controller's CSRF check requires it). */
  referer: string;
  transport: Transport;
  log: Logger;
  timeoutMs?: number;
}

/** The cookies a controller sets on login and expects back. */
const SESSION_COOKIES = ['csrftoken', 'avi-sessionid', 'sessionid'];

export class AviSession {
  private readonly cookies = new Map<string, string>();
  private gen = 0;
  private inflight?: Promise<number>;
  /** The refusal of a login: every later login of this session fails with this same error, without a request. */
  private refused?: AviError;
  private readonly opts: SessionOptions;

  constructor(opts: SessionOptions) {
    this.opts = opts;
  }

  /** Increments on every successful login; requests remember it to detect a login done by someone else. */
  get generation(): number {
    return this.gen;
  }

  get loggedIn(): boolean {
    return this.gen > 0 && this.cookies.has('csrftoken');
  }

  /** Logs in unless a session exists; returns the session generation to use. */
  async ensure(): Promise<number> {
    if (this.loggedIn) return this.gen;
    return this.login();
  }

  /**
   * Called after a request sent with session `staleGen` got a 401: logs in
   * again, unless another caller already did (then its session is reused).
   */
  async relogin(staleGen: number): Promise<number> {
    if (this.gen !== staleGen && this.loggedIn) return this.gen;
    return this.login();
  }

  /** Forget the session (next request logs in). */
  invalidate(): void {
    this.cookies.clear();
  }

  /** Headers that authenticate a request: Cookie and X-CSRFToken. Never log these. */
  authHeaders(): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.cookies.size > 0) h.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const csrf = this.cookies.get('csrftoken');
    if (csrf) h['X-CSRFToken'] = csrf;
    return h;
  }

  /** The error of the refused login, once the controller refused these credentials. */
  get refusal(): AviError | undefined {
    return this.refused;
  }

  /** Single-flight login: concurrent callers share one POST /login. After a refusal, fails at once with it. */
  login(): Promise<number> {
    if (this.refused) return Promise.reject(this.refused);
    if (!this.inflight) {
      this.inflight = this.doLogin().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private async doLogin(): Promise<number> {
    const { username, password, referer, transport, log } = this.opts;
    this.cookies.clear();
    const res = await transport({
      method: 'POST',
      path: '/login',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Referer: referer },
      body: JSON.stringify({ username, password }),
      timeoutMs: this.opts.timeoutMs,
    });
    if (res.status < 200 || res.status >= 300) {
      const message = controllerMessage(res.body) || `HTTP ${res.status}`;
      const refused = res.status === 401 || res.status === 403;
      log.error({ status: res.status, username, controllerMessage: message }, 'avi login failed');
      const err = new AviError(message, {
        status: res.status,
        method: 'POST',
        path: '/login',
        errorClass: refused ? 'auth' : res.status >= 500 || res.status === 429 ? 'server' : 'bad-request',
        invalidCredentials: refused,
      });
      if (refused) {
        loginFailures.inc();
        this.refused = err;
      }
      throw err;
    }
    for (const [name, value] of parseSetCookie(res.headers['set-cookie'])) {
      if (SESSION_COOKIES.includes(name) || name.endsWith('sessionid')) this.cookies.set(name, value);
    }
    if (!this.cookies.has('csrftoken')) {
      throw new AviError('login response carried no csrftoken cookie', {
        status: res.status,
        method: 'POST',
        path: '/login',
        errorClass: 'server',
      });
    }
    this.gen += 1;
    log.info({ username, generation: this.gen }, 'avi login succeeded');
    return this.gen;
  }
}

/** name/value pairs of Set-Cookie headers (attributes dropped, empty values mean "cleared"). */
export function parseSetCookie(header: string[] | string | undefined): Array<[string, string]> {
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: Array<[string, string]> = [];
  for (const line of lines) {
    const first = line.split(';', 1)[0] ?? '';
    const eq = first.indexOf('=');
    if (eq <= 0) continue;
    const value = first.slice(eq + 1).trim();
    if (value) out.push([first.slice(0, eq).trim(), value]);
  }
  return out;
}
