// Inputs the API server never sends, against the real HTTPS server with captured
// AdmissionReview bodies changed in one place: numbers JSON cannot hold (1e309, 2^64),
// nesting deeper than the API server's decoder allows, subresources other than "status",
// and objects with thousands of errors. Each answer is exact, and bounded.
import assert from 'node:assert/strict';
import https from 'node:https';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { MAX_CAUSES, MAX_CAUSE_CHARS, MAX_MESSAGE_CHARS } from '../../src/admission/review.js';
import { MAX_JSON_DEPTH } from '../../src/admission/json-depth.js';
import { validate } from '../../src/rules/index.js';
import { NO_VIEW } from '../rules/cases.js';
import { loadFixture, startTestServer, type TestServer } from './support.js';

const GC_INVALID = 'GSLBConfig.amko.vmware.com "gc-1" is invalid';

describe('admission: bounded inputs', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    request(server.url).post(path).ca(server.ca).set({ 'content-type': 'application/json', ...headers }).send(body);
  /** These bytes as they are (supertest would serialize a Buffer). */
  const postBytes = (path: string, body: Buffer, headers: Record<string, string>) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const url = new URL(server.url);
      const req = https.request(
        { method: 'POST', hostname: url.hostname, port: url.port, path, ca: server.ca, headers: { 'content-length': body.length, ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  /** The captured GSLBConfig create with its refreshInterval replaced by `literal` in the JSON text. */
  const gcWithRefresh = (literal: string) => {
    const text = JSON.stringify(loadFixture('gslbconfig-create.validate'));
    assert.ok(text.includes('"refreshInterval":1800'));
    return text.replace('"refreshInterval":1800', `"refreshInterval":${literal}`);
  };

  describe('refreshInterval', () => {
    for (const [literal, shown, detail] of [
      ['1e309', 'Infinity', 'must be of type integer'],
      ['-1e309', '-Infinity', 'must be of type integer'],
      ['18446744073709551616', '18446744073709552000', 'must be between 1 and 86400'],
      ['3000000', '3000000', 'must be between 1 and 86400'],
      ['86401', '86401', 'must be between 1 and 86400'],
    ] as const) {
      it(`denies ${literal}`, async () => {
        const r = await post('/validate', gcWithRefresh(literal));
        assert.equal(r.status, 200);
        assert.equal(r.body.response.allowed, false);
        assert.equal(r.body.response.status.code, 422);
        assert.equal(r.body.response.status.message, `${GC_INVALID}: spec.refreshInterval: Invalid value: ${shown}: ${detail}`);
      });
    }

    it('allows 86400 (a day)', async () => {
      const r = await post('/validate', gcWithRefresh('86400'));
      assert.deepEqual(r.body.response, { uid: 'c32bfbfb-21d7-4644-ac5b-a1cbdef550cb', allowed: true, warnings: [NO_VIEW] });
    });
  });

  describe(`nesting deeper than ${MAX_JSON_DEPTH} levels`, () => {
    // The review nests its object two levels down (review, request), so an object of
    // `levels` nested arrays makes a body `levels + 2` deep.
    const nested = (bodyDepth: number, name = 'gslbconfig-create.validate') => {
      const levels = bodyDepth - 2;
      const text = JSON.stringify({ ...loadFixture(name), request: { ...loadFixture(name).request, object: 0 } });
      return text.replace('"object":0', `"object":${'['.repeat(levels)}${']'.repeat(levels)}`);
    };
    const TOO_DEEP = {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 400,
      reason: 'BadRequest',
      message: `request body nests deeper than ${MAX_JSON_DEPTH} levels (the limit of the API server's JSON decoder)`,
    };

    for (const webhook of ['/validate', '/mutate']) {
      it(`${webhook}: refuses ${MAX_JSON_DEPTH + 1} levels with 400 and answers ${MAX_JSON_DEPTH}`, async () => {
        const refused = await post(webhook, nested(MAX_JSON_DEPTH + 1));
        assert.equal(refused.status, 400);
        assert.deepEqual(refused.body, TOO_DEEP);
        const answered = await post(webhook, nested(MAX_JSON_DEPTH));
        assert.equal(answered.status, 200);
        assert.equal(answered.body.response.uid, 'c32bfbfb-21d7-4644-ac5b-a1cbdef550cb');
      });
    }

    it('refuses it on the express path too (gzip, a charset other than UTF-8)', async () => {
      const gzip = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
      const gz = await postBytes('/validate', gzipSync(nested(MAX_JSON_DEPTH + 1)), gzip);
      assert.deepEqual([gz.status, gz.body], [400, TOO_DEEP]);
      const utf16 = await postBytes('/validate', Buffer.from(nested(MAX_JSON_DEPTH + 1), 'utf16le'), { 'content-type': 'application/json; charset=utf-16le' });
      assert.deepEqual([utf16.status, utf16.body], [400, TOO_DEEP]);
      // JSON between systems is UTF-8 (RFC 8259); UTF-16 is still read, a charset the check cannot decode is refused.
      const utf32 = await postBytes('/validate', Buffer.from(nested(5)), { 'content-type': 'application/json; charset=utf-32' });
      assert.deepEqual([utf32.status, utf32.body.message], [400, 'unsupported charset "UTF-32"']);
      const fine = await postBytes('/validate', gzipSync(nested(MAX_JSON_DEPTH)), gzip);
      assert.equal(fine.status, 200);
      assert.equal(fine.body.response.allowed, false); // an array is no GSLBConfig: denied, not refused
    });

    it('counts brackets outside strings only, with escaped quotes and backslashes', async () => {
      const review = loadFixture('gslbconfig-create.validate');
      // 30,000 opening brackets inside strings, next to escaped quotes and escaped backslashes
      // (a string ending in \\ ends there; a \" does not end it).
      review.request.object.metadata.annotations = {
        a: `${'['.repeat(10_000)}\\"${'{'.repeat(10_000)}`,
        b: `x\\`,
        c: `"${'['.repeat(10_000)}\\\\"`,
      };
      const r = await post('/validate', JSON.stringify(review));
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.response, { uid: 'c32bfbfb-21d7-4644-ac5b-a1cbdef550cb', allowed: true, warnings: [NO_VIEW] });
    });
  });

  describe('subResource', () => {
    /** The captured GDP status update, with an invalid spec (weight 25) and the given subResource. */
    const statusUpdate = (subResource: unknown) => {
      const review = loadFixture('globaldeploymentpolicy-update-status.validate');
      review.request.object.spec.trafficSplit[0].weight = 25;
      if (subResource === undefined) delete review.request.subResource;
      else review.request.subResource = subResource;
      return JSON.stringify(review);
    };

    it('skips the checks for "status" only (the worker writes status; spec cannot change there)', async () => {
      const r = await post('/validate', statusUpdate('status'));
      assert.deepEqual(r.body.response, { uid: '971e5fbe-af3f-4454-9636-513a6de02f57', allowed: true });
    });

    for (const sub of ['spec', 'scale', 'Status', 1, {}, true, undefined]) {
      it(`validates a write with subResource ${JSON.stringify(sub) ?? 'absent'}`, async () => {
        const r = await post('/validate', statusUpdate(sub));
        assert.equal(r.body.response.allowed, false);
        assert.equal(r.body.response.status.code, 422);
        assert.equal(
          r.body.response.status.message,
          'GlobalDeploymentPolicy.amko.vmware.com "global-gdp" is invalid: spec.trafficSplit[0].weight: Invalid value: 25: must be between 1 and 20',
        );
      });
    }

    it('defaults on /mutate unless the subResource is exactly "status"', async () => {
      const review = (sub: unknown) => {
        const r = loadFixture('globaldeploymentpolicy-update-status.mutate');
        r.request.subResource = sub;
        delete r.request.object.spec.trafficSplit[0].priority;
        return JSON.stringify(r);
      };
      const status = await post('/mutate', review('status'));
      assert.equal(status.body.response.patch, undefined);
      const spec = await post('/mutate', review('spec'));
      assert.equal(spec.body.response.patchType, 'JSONPatch');
    });
  });

  describe('answers', () => {
    /** The captured GSLBHostRule create with `n` third-party members whose vip is no IP address. */
    const manyBad = (n: number) => {
      const review = loadFixture('gslbhostrule-create.validate');
      review.request.object.spec.sitePersistence = { enabled: false };
      review.request.object.spec.thirdPartyMembers = Array.from({ length: n }, (_, i) => ({ site: 'non-avi-site', vip: `vip-${i}` }));
      return review;
    };

    it('10,000 invalid list entries: 100 causes and one that counts the rest, a message under 8 KiB', async () => {
      const review = manyBad(10_000);
      const errors = validate('GSLBHostRule', review.request.object, { namespace: 'avi-system' }).errors.length;
      assert.ok(errors >= 10_000, `${errors} errors`);
      const r = await post('/validate', JSON.stringify(review));
      const bytes = Buffer.byteLength(r.text);
      const status = r.body.response.status;
      assert.equal(status.code, 422);
      assert.equal(status.details.causes.length, MAX_CAUSES + 1);
      assert.deepEqual(status.details.causes[0], {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "vip-0": must be a valid IPv4 or IPv6 address',
        field: 'spec.thirdPartyMembers[0].vip',
      });
      assert.deepEqual(status.details.causes[MAX_CAUSES], {
        reason: 'TooManyErrors',
        message: `${errors - MAX_CAUSES} more errors not listed`,
        field: '<root>',
      });
      const prefix = 'GSLBHostRule.amko.vmware.com "gslb-host-rule-1" is invalid: [';
      assert.ok(status.message.startsWith(`${prefix}spec.thirdPartyMembers[0].vip: Invalid value: "vip-0": must be a valid IPv4 or IPv6 address, `));
      const listed = (status.message.match(/must be a valid IPv4 or IPv6 address/g) ?? []).length;
      assert.ok(status.message.endsWith(`, and ${errors - listed} more errors]`), status.message.slice(-80));
      assert.ok(status.message.length <= prefix.length + MAX_MESSAGE_CHARS + 40, `message ${status.message.length} chars`);
      // 5 MB before the cap; 100 causes of ~120 bytes and the message now.
      assert.ok(bytes < 32 * 1024, `answer ${bytes} bytes`);
    });

    it('clips a MiB-long value in the message and the cause', async () => {
      const review = loadFixture('gslbhostrule-create.validate');
      review.request.object.spec.fqdn = `${'a'.repeat(1024 * 1024)}_.example.com`;
      const r = await post('/validate', JSON.stringify(review));
      const cause = r.body.response.status.details.causes[0];
      assert.equal(cause.field, 'spec.fqdn');
      assert.equal(cause.message.length, MAX_CAUSE_CHARS);
      assert.ok(cause.message.startsWith('Invalid value: "aaaa') && cause.message.endsWith('aaa...'));
      assert.ok(Buffer.byteLength(r.text) < 4 * MAX_CAUSE_CHARS, `answer ${Buffer.byteLength(r.text)} bytes`);
    });

    it('a few errors come back whole, exactly as before', async () => {
      const r = await post('/validate', JSON.stringify(manyBad(2)));
      const status = r.body.response.status;
      assert.equal(status.details.causes.length, 2);
      assert.equal(
        status.message,
        'GSLBHostRule.amko.vmware.com "gslb-host-rule-1" is invalid: [spec.thirdPartyMembers[0].vip: Invalid value: "vip-0": must be a valid IPv4 or IPv6 address, ' +
          'spec.thirdPartyMembers[1].vip: Invalid value: "vip-1": must be a valid IPv4 or IPv6 address]',
      );
    });
  });
});
