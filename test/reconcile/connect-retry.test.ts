import assert from 'node:assert/strict';
import { AviError } from '../../src/avi/errors.js';
import { BLOCKED_LOGIN_BACKOFF_MS, ConnectRetry, LOGINS_BEFORE_BLOCK, MAX_CONNECT_BACKOFF_MS, isLoginRefusal } from '../../src/reconcile/connect-retry.js';

const refusal = () => new AviError('Invalid credentials', { status: 401, method: 'POST', path: '/login', errorClass: 'auth', invalidCredentials: true });
const tls = () => new AviError('controller certificate verification failed: unknown CA', { errorClass: 'tls', code: 'SELF_SIGNED_CERT_IN_CHAIN' });
const transport = () => new AviError('connect ECONNREFUSED', { errorClass: 'transport', code: 'ECONNREFUSED' });

describe('connect retry: refused logins, certificate failures, transient failures', () => {
  let now: number;
  let r: ConnectRetry;
  beforeEach(() => {
    now = 1_000_000;
    r = new ConnectRetry(5000, () => now);
  });

  it('one retry after the retry delay, then logins wait: 5, 10, 20, 30, 30 min', () => {
    assert.equal(LOGINS_BEFORE_BLOCK, 2);
    const first = r.loginRefused(refusal(), 'in-1')!;
    assert.deepEqual(first, { refusals: 1, blocked: false, retryInMs: 5000 });
    assert.equal(r.waitMs('in-1'), 5000);
    now += 5000;
    assert.equal(r.waitMs('in-1'), 0);
    const delays = [];
    for (let i = 0; i < 5; i++) {
      const v = r.loginRefused(refusal(), 'in-1')!;
      assert.equal(v.blocked, true);
      delays.push(v.retryInMs / 60_000);
      now += v.retryInMs;
    }
    assert.deepEqual(delays, [5, 10, 20, 30, 30]);
    assert.equal(BLOCKED_LOGIN_BACKOFF_MS, 5 * 60_000);
    assert.equal(MAX_CONNECT_BACKOFF_MS, 30 * 60_000);
  });

  it('while blocked, only changed inputs (Secret or GSLBConfig) may log in before the backoff ends; each change buys one attempt', () => {
    r.loginRefused(refusal(), 'in-1');
    now += 5000;
    r.loginRefused(refusal(), 'in-1');
    assert.equal(r.blocked, true);
    now += 60_000;
    assert.equal(r.waitMs('in-1'), 4 * 60_000);
    assert.equal(r.waitMs('in-2'), 0);
    const v = r.loginRefused(refusal(), 'in-2')!;
    assert.deepEqual(v, { refusals: 3, blocked: true, retryInMs: 10 * 60_000 });
    assert.equal(r.waitMs('in-2'), 10 * 60_000);
    assert.equal(r.waitMs('in-3'), 0);
  });

  it('the same refusal (a client rethrows it on every call) counts once', () => {
    const e = refusal();
    assert.ok(r.loginRefused(e, 'in-1'));
    for (let i = 0; i < 10; i++) assert.equal(r.loginRefused(e, 'in-1'), undefined);
    assert.equal(r.blocked, false);
  });

  it('a successful connection starts over', () => {
    r.loginRefused(refusal(), 'in-1');
    r.loginRefused(refusal(), 'in-1');
    assert.equal(r.failedSinceConnected, true);
    r.connected();
    assert.equal(r.blocked, false);
    assert.equal(r.failedSinceConnected, false);
    assert.equal(r.waitMs('in-1'), 0);
    assert.deepEqual(r.loginRefused(refusal(), 'in-1'), { refusals: 1, blocked: false, retryInMs: 5000 });
  });

  it('certificate failures back off exponentially to the cap; transient failures retry at the retry delay', () => {
    assert.equal(r.failedSinceConnected, false);
    const delays = Array.from({ length: 12 }, () => r.failed(tls(), 'in-1'));
    assert.deepEqual(delays.slice(0, 4), [5000, 10_000, 20_000, 40_000]);
    assert.equal(Math.max(...delays), MAX_CONNECT_BACKOFF_MS);
    assert.equal(r.failed(transport(), 'in-1'), 5000);
    assert.equal(r.failed(tls(), 'in-1'), 5000, 'a transient failure in between restarts the certificate backoff');
    assert.equal(r.failedSinceConnected, true);
  });

  it('a transient failure while logins are blocked does not bring the next login closer', () => {
    r.loginRefused(refusal(), 'in-1');
    r.loginRefused(refusal(), 'in-1');
    assert.equal(r.failed(transport(), 'in-1'), 5 * 60_000);
  });

  it('isLoginRefusal: only a refused login, not another auth error', () => {
    assert.equal(isLoginRefusal(refusal()), true);
    assert.equal(isLoginRefusal(new AviError('forbidden', { status: 403, errorClass: 'auth', method: 'GET', path: '/api/cluster' })), false);
    assert.equal(isLoginRefusal(new Error('x')), false);
  });
});
