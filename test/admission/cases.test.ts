// Every rule case through the real HTTPS server, the way the API server calls
// it: /mutate, apply the patch, /validate the result; then /mutate again must
// give no patch (idempotent defaulting).
import assert from 'node:assert/strict';
import fastJsonPatch from 'fast-json-patch';
import request from 'supertest';
import { KINDS } from '../../src/api/kinds.js';
import { staticView } from '../../src/rules/view.js';
import { CASES, NEW_UUID, caseTitle, expectedValidateResponse, objectOf, oldObjectOf, viewObjectsOf, type RuleCase } from '../rules/cases.js';
import { startTestServer, type TestServer } from './support.js';

let n = 0;
function reviewFor(c: RuleCase, object: any, oldObject?: any) {
  const info = KINDS[c.kind];
  const operation = c.operation ?? 'CREATE';
  return {
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: {
      uid: `00000000-0000-0000-0000-${String(++n).padStart(12, '0')}`,
      kind: { group: 'amko.vmware.com', version: info.version, kind: c.kind },
      resource: { group: 'amko.vmware.com', version: info.version, resource: info.plural },
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      operation,
      userInfo: { username: 'kubernetes-admin' },
      object,
      oldObject: oldObject ?? null,
      dryRun: false,
    },
  };
}

describe('admission: rule cases through /mutate then /validate over HTTPS', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ newUuid: () => NEW_UUID });
  });
  after(() => server.close());

  for (const c of CASES) {
    it(caseTitle(c), async () => {
      const objs = viewObjectsOf(c);
      server.setView(objs && staticView(objs));
      const oldObject = oldObjectOf(c);
      const post = (path: string, body: unknown) => request(server.url).post(path).ca(server.ca).set('content-type', 'application/json').send(JSON.stringify(body));

      const m = await post('/mutate', reviewFor(c, objectOf(c), oldObject));
      assert.equal(m.status, 200);
      assert.equal(m.body.response.allowed, true);
      let object = objectOf(c);
      if (m.body.response.patch) {
        assert.equal(m.body.response.patchType, 'JSONPatch');
        object = fastJsonPatch.applyPatch(object, JSON.parse(Buffer.from(m.body.response.patch, 'base64').toString())).newDocument;
      }
      const again = await post('/mutate', reviewFor(c, object, oldObject));
      assert.deepEqual(again.body.response, { uid: `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`, allowed: true });

      const review = reviewFor(c, object, oldObject);
      const v = await post('/validate', review);
      assert.equal(v.status, 200);
      assert.deepEqual(v.body, {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: expectedValidateResponse(c, review.request.uid, object.metadata.name),
      });
    });
  }
});
