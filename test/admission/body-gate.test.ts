// withLargeBodyGate: webhook bodies over 256 KiB (or of unknown size) are handed on one at a
// time, in arrival order; small ones and other routes never wait; a client that leaves while
// waiting does not hold up the rest.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LARGE_BODY_BYTES, withLargeBodyGate } from '../../src/admission/body-gate.js';

describe('admission: one large body at a time', () => {
  let server: http.Server;
  let port: number;
  let inFlight = 0;
  let maxLargeInFlight = 0;
  const order: string[] = [];
  before(async () => {
    // Reads the whole body, then answers 30 ms later (the parse and the rules).
    server = http.createServer(
      withLargeBodyGate((req, res) => {
        const large = req.headers['x-size'] === 'large' && req.url !== '/other';
        if (large) maxLargeInFlight = Math.max(maxLargeInFlight, ++inFlight);
        req.resume();
        req.on('end', () =>
          setTimeout(() => {
            if (large) inFlight--;
            order.push(String(req.headers['x-name']));
            res.end('ok');
          }, 30),
        );
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const send = (name: string, path: string, bytes: number, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        { port, host: '127.0.0.1', method: 'POST', path, agent: false, headers: { 'x-name': name, 'x-size': bytes > LARGE_BODY_BYTES || headers['transfer-encoding'] ? 'large' : 'small', ...headers } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(Buffer.alloc(bytes, 0x20));
    });

  it('runs large /validate and /mutate bodies one by one while small ones pass', async () => {
    order.length = 0;
    maxLargeInFlight = 0;
    const large = [0, 1, 2, 3].map((i) => send(`large-${i}`, i % 2 ? '/mutate' : '/validate?timeout=10s', LARGE_BODY_BYTES + 1));
    await new Promise((r) => setTimeout(r, 10));
    const small = [0, 1].map((i) => send(`small-${i}`, '/validate', 2_000));
    const other = send('healthz-like', '/other', LARGE_BODY_BYTES * 2);
    assert.deepEqual(await Promise.all([...large, ...small, other]), Array(7).fill(200));
    assert.equal(maxLargeInFlight, 1);
    // The small ones and the other route finished while the four large ones (30 ms each) queued.
    assert.ok(order.indexOf('small-0') < order.indexOf('large-2') && order.indexOf('healthz-like') < order.indexOf('large-2'), order.join(' '));
    assert.deepEqual(order.filter((n) => n.startsWith('large')), ['large-0', 'large-1', 'large-2', 'large-3']);
  });

  it('treats a chunked or compressed body as large', async () => {
    maxLargeInFlight = 0;
    const results = await Promise.all([
      send('chunked-0', '/validate', 10, { 'transfer-encoding': 'chunked' }),
      send('chunked-1', '/validate', 10, { 'transfer-encoding': 'chunked' }),
      send('gzip-0', '/mutate', 10, { 'content-encoding': 'gzip', 'x-size': 'large' }),
    ]);
    assert.deepEqual(results, [200, 200, 200]);
    assert.equal(maxLargeInFlight, 1);
  });

  it('moves on when a waiting client leaves', async () => {
    order.length = 0;
    const first = send('first', '/validate', LARGE_BODY_BYTES + 1);
    // A second large request that goes away before its turn.
    const gone = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/validate', agent: false, headers: { 'content-length': LARGE_BODY_BYTES + 1, 'x-name': 'gone' } });
    gone.on('error', () => undefined);
    gone.write(Buffer.alloc(1000));
    await new Promise((r) => setTimeout(r, 5));
    gone.destroy();
    const last = send('last', '/validate', LARGE_BODY_BYTES + 1);
    assert.deepEqual(await Promise.all([first, last]), [200, 200]);
    assert.deepEqual(order, ['first', 'last']);
  });
});
