// Transport security of the real HTTPS admission server: protocol versions, cipher suites,
// timeouts against slow clients, and the request body limit.
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { gzipSync } from 'node:zlib';
import { DEFAULT_BODY_LIMIT } from '../../src/admission/app.js';
import { loadFixture, startTestServer, type TestServer } from '../admission/support.js';

interface Handshake {
  ok: boolean;
  protocol?: string | null;
  cipher?: string;
  error?: string;
}

function handshake(server: TestServer, opts: tls.ConnectionOptions): Promise<Handshake> {
  const url = new URL(server.url);
  return new Promise((resolve) => {
    const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: server.ca, servername: 'localhost', ...opts }, () => {
      const r = { ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().standardName };
      socket.end();
      resolve(r);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, error: `${e.code ?? ''} ${e.message}` }));
  });
}

function post(server: TestServer, path: string, body: Buffer, headers: Record<string, string | number>): Promise<{ status: number; json: any; contentType: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = https.request({ method: 'POST', hostname: url.hostname, port: url.port, path, ca: server.ca, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode ?? 0, json: JSON.parse(text), contentType: String(res.headers['content-type']) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('security: transport of the admission server', function () {
  this.timeout(60_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer(); // the production defaults: DEFAULT_BODY_LIMIT, the real startHttpsServer
  });
  after(() => server.close());

  for (const version of ['TLSv1', 'TLSv1.1'] as const) {
    it(`refuses ${version}`, async () => {
      // SECLEVEL=0 lets this client offer the old protocol at all; the refusal must come from the server.
      const r = await handshake(server, { minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' });
      assert.equal(r.ok, false, `handshake succeeded with ${r.protocol}`);
      assert.match(r.error!, /protocol version|unsupported protocol|no protocols available/i);
    });
  }

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`accepts ${version} with an AEAD cipher suite`, async () => {
      const r = await handshake(server, { minVersion: version, maxVersion: version });
      assert.equal(r.ok, true, r.error);
      assert.equal(r.protocol, version);
      assert.match(r.cipher!, /_(GCM|CHACHA20_POLY1305)_SHA(256|384)$/);
    });
  }

  for (const cipher of ['ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-ECDSA-AES128-SHA', 'AES128-GCM-SHA256', 'DHE-RSA-AES128-GCM-SHA256']) {
    it(`refuses the TLS 1.2 suite ${cipher} (CBC, SHA-1, no forward secrecy or DHE)`, async () => {
      const r = await handshake(server, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: cipher });
      assert.equal(r.ok, false, `handshake succeeded with ${r.cipher}`);
      assert.match(r.error!, /handshake failure|no cipher|no shared cipher|no ciphers available/i);
    });
  }

  it('sets header, request, keep-alive and idle timeouts', () => {
    const s = server.handle.server;
    assert.equal(s.headersTimeout, 15_000);
    assert.equal(s.requestTimeout, 30_000);
    assert.equal(s.keepAliveTimeout, 10_000);
    assert.equal(s.timeout, 60_000);
    assert.ok(s.headersTimeout < s.requestTimeout);
  });

  it('closes a slowloris connection (headers trickled forever) once the header timeout passes', async () => {
    const url = new URL(server.url);
    const started = Date.now();
    const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: server.ca, servername: 'localhost' });
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    socket.write('POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n');
    let n = 0;
    const trickle = setInterval(() => {
      if (!socket.destroyed && socket.writable) socket.write(`X-Slow-${n++}: a\r\n`);
    }, 500);
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString()));
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    clearInterval(trickle);
    const elapsed = Date.now() - started;
    // 15 s header timeout, enforced within the 1 s connections-checking interval.
    assert.ok(elapsed >= 14_000 && elapsed < 20_000, `closed after ${elapsed} ms`);
    assert.ok(n >= 20, `only ${n} header lines were accepted before the close`);
    // Node answers 408 (or just closes); never a 2xx.
    assert.ok(received === '' || /^HTTP\/1\.1 408/.test(received), received.slice(0, 200));
  });

  it(`refuses a body over the ${DEFAULT_BODY_LIMIT}-byte limit with a 400 Status (content-length, chunked and gzip)`, async () => {
    const review = loadFixture('gslbconfig-create.validate');
    review.request.object.metadata.annotations = { big: 'x'.repeat(DEFAULT_BODY_LIMIT) };
    const body = Buffer.from(JSON.stringify(review));
    const expected = {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 400,
      reason: 'BadRequest',
      message: `request body larger than the limit of ${DEFAULT_BODY_LIMIT} bytes`,
    };
    const withLength = await post(server, '/validate', body, { 'content-type': 'application/json', 'content-length': body.length });
    assert.deepEqual([withLength.status, withLength.json], [400, expected]);
    assert.match(withLength.contentType, /^application\/json/);
    const chunked = await post(server, '/mutate', body, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    assert.deepEqual([chunked.status, chunked.json], [400, expected]);
    // A 16 MiB body compressed to a few KiB: the limit applies to the inflated size.
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20));
    assert.ok(bomb.length < 64 * 1024);
    const gz = await post(server, '/validate', bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': bomb.length });
    assert.deepEqual([gz.status, gz.json], [400, expected]);
  });

  it('accepts a body just under the limit', async () => {
    const review = loadFixture('gslbconfig-create.validate');
    const base = Buffer.byteLength(JSON.stringify(review));
    review.request.object.metadata.annotations = { big: 'x'.repeat(DEFAULT_BODY_LIMIT - base - 64) };
    const body = Buffer.from(JSON.stringify(review));
    assert.ok(body.length <= DEFAULT_BODY_LIMIT);
    const r = await post(server, '/validate', body, { 'content-type': 'application/json', 'content-length': body.length });
    assert.equal(r.status, 200);
    assert.equal(r.json.response.uid, review.request.uid);
  });
});
