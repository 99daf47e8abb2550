// Transport and robustness: bad input, internal errors, versions, health,
// metrics, cache confirmation, certificate hot reload.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { generateLocalCertificates, serviceSans } from '../../src/certs/local.js';
import type { KindName } from '../../src/api/kinds.js';
import { staticView } from '../../src/rules/view.js';
import { GC, GDP } from '../rules/cases.js';
import { fixtureBytes, loadFixture, startTestServer, type TestServer } from './support.js';

const badRequest = (message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, reason: 'BadRequest', message });

describe('admission: transport and bad input', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ view: staticView([GC]), bodyLimit: 64 * 1024 });
  });
  after(() => server.close());
  const post = (p: string) => request(server.url).post(p).ca(server.ca);

  it('rejects malformed JSON with 400', async () => {
    const res = await post('/validate').set('content-type', 'application/json').send('{"kind": "AdmissionReview",');
    assert.equal(res.status, 400);
    assert.equal(res.body.reason, 'BadRequest');
    assert.match(res.body.message, /^request body is not valid JSON: /);
  });

  it('rejects a wrong content type with 400', async () => {
    const res = await post('/mutate').set('content-type', 'text/plain').send(fixtureBytes('gslbconfig-create.mutate'));
    assert.deepEqual([res.status, res.body], [400, badRequest('content-type must be application/json')]);
  });

  it('rejects a body over the limit with 400', async () => {
    const body = loadFixture('gslbconfig-create.validate');
    body.request.object.metadata.annotations = { big: 'x'.repeat(70 * 1024) };
    const res = await post('/validate').set('content-type', 'application/json').send(JSON.stringify(body));
    assert.deepEqual([res.status, res.body], [400, badRequest('request body larger than the limit of 65536 bytes')]);
  });

  it('rejects a review without request or uid with 400', async () => {
    const noRequest = { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1' };
    const r1 = await post('/validate').send(noRequest);
    assert.deepEqual([r1.status, r1.body], [400, badRequest('request is missing')]);
    const body = loadFixture('gslbconfig-create.validate');
    delete body.request.uid;
    const r2 = await post('/validate').send(body);
    assert.deepEqual([r2.status, r2.body], [400, badRequest('request.uid is missing')]);
    const r3 = await post('/mutate').send({ ...loadFixture('gslbconfig-create.mutate'), apiVersion: 'admission.k8s.io/v2' });
    assert.deepEqual([r3.status, r3.body], [400, badRequest('apiVersion must be one of admission.k8s.io/v1, admission.k8s.io/v1beta1')]);
    const r4 = await post('/mutate').send([1, 2]);
    assert.deepEqual([r4.status, r4.body], [400, badRequest('body must be a JSON object')]);
  });

  it('answers v1beta1 in kind', async () => {
    const body = loadFixture('gslbconfig-create.validate');
    body.apiVersion = 'admission.k8s.io/v1beta1';
    const res = await post('/validate').send(body);
    assert.deepEqual(res.body, { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', response: { uid: body.request.uid, allowed: true } });
  });

  it('allows kinds that are not ours, without a patch', async () => {
    const body = loadFixture('gslbconfig-create.mutate');
    body.request.kind = { group: '', version: 'v1', kind: 'ConfigMap' };
    body.request.object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } };
    for (const p of ['/mutate', '/validate']) {
      const res = await post(p).send(body);
      assert.deepEqual(res.body.response, { uid: body.request.uid, allowed: true });
    }
  });

  it('fails closed with status 500 on an internal error, in a 200 response', async () => {
    server.setView({
      list: () => {
        throw new Error('cache exploded');
      },
    });
    try {
      const body = loadFixture('globaldeploymentpolicy-create.validate');
      const res = await post('/validate').send(body);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.response, {
        uid: body.request.uid,
        allowed: false,
        status: {
          status: 'Failure',
          code: 500,
          reason: 'InternalError',
          message: 'amko validate webhook failed on GlobalDeploymentPolicy "global-gdp": cache exploded',
        },
      });
    } finally {
      server.setView(staticView([GC]));
    }
  });

  it('confirms a singleton CREATE with a direct read when the cache lags', async () => {
    const stale = staticView([GC]);
    const fresh = staticView([GC, { ...GDP, metadata: { name: 'gdp-0', namespace: 'avi-system' } }]);
    const asked: string[][] = [];
    server.setView({ list: stale.list, confirm: async (kinds) => (asked.push(kinds), fresh) });
    try {
      const body = loadFixture('globaldeploymentpolicy-create.validate');
      const res = await post('/validate').send(body);
      assert.deepEqual(asked, [['GlobalDeploymentPolicy']]);
      assert.equal(res.body.response.status.message, 'globaldeploymentpolicies.amko.vmware.com "global-gdp" is forbidden: only one GlobalDeploymentPolicy is allowed, and avi-system/gdp-0 already exists');
    } finally {
      server.setView(staticView([GC]));
    }
  });

  it('confirms a missing GSLBConfig with a direct read (one apply of GSLBConfig + GDP)', async () => {
    const asked: string[][] = [];
    const empty = staticView([]);
    server.setView({ list: empty.list, confirm: async (kinds) => (asked.push(kinds), staticView([GC])) });
    try {
      const body = loadFixture('globaldeploymentpolicy-update-apply.validate');
      const res = await post('/validate').send(body);
      assert.deepEqual(asked, [['GSLBConfig']]);
      assert.deepEqual(res.body.response, { uid: body.request.uid, allowed: true });
    } finally {
      server.setView(staticView([GC]));
    }
  });

  describe('a cache that follows a live watch (watchSynced)', () => {
    const gdpCreate = () => loadFixture('globaldeploymentpolicy-create.validate');
    const otherGdp = { ...GDP, metadata: { name: 'gdp-0', namespace: 'avi-system' } };
    const synced = (cached: ReturnType<typeof staticView>, fresh: ReturnType<typeof staticView>, asked: string[][]) => ({
      list: cached.list,
      watchSynced: () => true,
      confirm: async (kinds: KindName[]) => (asked.push(kinds), fresh),
    });

    it('answers an allowed singleton CREATE from the cache, with no direct read', async () => {
      const asked: string[][] = [];
      server.setView(synced(staticView([GC]), staticView([GC]), asked));
      try {
        const body = gdpCreate();
        const res = await post('/validate').send(body);
        assert.deepEqual(res.body.response, { uid: body.request.uid, allowed: true });
        assert.deepEqual(asked, []);
      } finally {
        server.setView(staticView([GC]));
      }
    });

    it('confirms a denial with a direct read: the cached singleton is gone, so the CREATE is allowed', async () => {
      const asked: string[][] = [];
      server.setView(synced(staticView([GC, otherGdp]), staticView([GC]), asked));
      try {
        const body = gdpCreate();
        const res = await post('/validate').send(body);
        assert.deepEqual(asked, [['GlobalDeploymentPolicy']]);
        assert.deepEqual(res.body.response, { uid: body.request.uid, allowed: true });
      } finally {
        server.setView(staticView([GC]));
      }
    });

    it('confirms a denial with a direct read: the singleton is still there, so the CREATE is denied', async () => {
      const asked: string[][] = [];
      server.setView(synced(staticView([GC, otherGdp]), staticView([GC, otherGdp]), asked));
      try {
        const res = await post('/validate').send(gdpCreate());
        assert.deepEqual(asked, [['GlobalDeploymentPolicy']]);
        assert.equal(res.body.response.status.message, 'globaldeploymentpolicies.amko.vmware.com "global-gdp" is forbidden: only one GlobalDeploymentPolicy is allowed, and avi-system/gdp-0 already exists');
      } finally {
        server.setView(staticView([GC]));
      }
    });

    it('still reads a missing GSLBConfig before deciding (one apply of GSLBConfig + GDP)', async () => {
      const asked: string[][] = [];
      server.setView(synced(staticView([]), staticView([GC]), asked));
      try {
        const body = gdpCreate();
        const res = await post('/validate').send(body);
        assert.deepEqual(asked, [['GSLBConfig']]);
        assert.deepEqual(res.body.response, { uid: body.request.uid, allowed: true });
      } finally {
        server.setView(staticView([GC]));
      }
    });

    it('confirms before deciding while the watch is not live', async () => {
      const asked: string[][] = [];
      const fresh = staticView([GC, otherGdp]);
      server.setView({ list: staticView([GC]).list, watchSynced: () => false, confirm: async (kinds) => (asked.push(kinds), fresh) });
      try {
        const res = await post('/validate').send(gdpCreate());
        assert.deepEqual(asked, [['GlobalDeploymentPolicy']]);
        assert.equal(res.body.response.allowed, false);
      } finally {
        server.setView(staticView([GC]));
      }
    });
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    assert.deepEqual((await request(server.url).get('/healthz').ca(server.ca)).body, { status: 'ok' });
    assert.deepEqual((await request(server.url).get('/readyz').ca(server.ca)).body, { status: 'ok' });
    await post('/validate').send(fixtureBytes('gslbhostrule-create.validate')).set('content-type', 'application/json');
    const m = await request(server.url).get('/metrics').ca(server.ca);
    assert.equal(m.status, 200);
    assert.match(m.text, /amko_admission_requests_total\{webhook="validate",kind="GSLBHostRule",operation="CREATE",result="denied"\} \d+/);
    assert.match(m.text, /amko_admission_rejections_total\{kind="GSLBHostRule",rule="gslbhostrule.third-party-site-persistence"\} \d+/);
    assert.match(m.text, /amko_admission_request_duration_seconds_bucket\{le="0.005",webhook="validate"\} \d+/);
    const nf = await request(server.url).get('/nope').ca(server.ca);
    assert.equal(nf.status, 404);
  });

  it('probes: GET (answered before express) and HEAD (answered by express) send the same status and headers', async () => {
    const s = await startTestServer({ readiness: () => ['cluster-cache not ready'] });
    try {
      for (const p of ['/healthz', '/readyz', '/metrics']) {
        const get = await request(s.url).get(p).ca(s.ca);
        const head = await request(s.url).head(p).ca(s.ca);
        // The metrics text changes between two requests (the process metrics), so its length may too.
        const headers = (r: { headers: Record<string, string> }) =>
          Object.fromEntries(Object.entries(r.headers).filter(([k]) => k !== 'date' && !(p === '/metrics' && k === 'content-length')));
        assert.deepEqual([head.status, headers(head)], [get.status, headers(get)], p);
        assert.equal(Number(get.headers['content-length']), Buffer.byteLength(get.text), p);
      }
    } finally {
      await s.close();
    }
  });

  it('reports not ready with reasons', async () => {
    const s = await startTestServer({ readiness: () => ['cluster-cache not ready'] });
    try {
      const res = await request(s.url).get('/readyz').ca(s.ca);
      assert.deepEqual([res.status, res.body], [503, { status: 'not ready', reasons: ['cluster-cache not ready'] }]);
    } finally {
      await s.close();
    }
  });

  it('reloads the serving certificate when the files change, without a restart', async () => {
    const s = await startTestServer({ certPollMs: 50 });
    try {
      const next = await generateLocalCertificates(serviceSans({}));
      writeFileSync(path.join(s.certDir, 'tls.key'), next.key);
      writeFileSync(path.join(s.certDir, 'tls.crt'), next.cert);
      const deadline = Date.now() + 5000;
      let ok = false;
      while (Date.now() < deadline && !ok) {
        await new Promise((r) => setTimeout(r, 100));
        ok = (await request(s.url).get('/healthz').ca(next.ca).then(() => true, () => false));
      }
      assert.ok(ok, 'new certificate not served');
      const old = await request(s.url).get('/healthz').ca(s.ca).then(() => 'accepted', () => 'rejected');
      assert.equal(old, 'rejected');
      assert.ok(new X509Certificate(next.cert).checkHost('amko-webhook.avi-system.svc'));
    } finally {
      await s.close();
    }
  });
});
