// The answers to the benchmark's three AdmissionReview bodies (bench/fixtures: a valid GDP CREATE,
// the same with a weight and a ttl out of range in another namespace, the mutate call), pinned byte
// for byte: the hot path's serialisation may change, its output may not. Served as the benchmark runs
// amko: no cluster connection, so every answer carries the no-view warning.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { repoRoot, startTestServer, type TestServer } from './support.js';

const ANSWERS: Record<string, string> = {
  'gdp-create.validate':
    '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"fb7f1774-f6d2-4d79-9a12-db90c7688a99","allowed":true,"warnings":["metadata.name: cross-object checks skipped: amko has no cluster connection"]}}',
  'gdp-create-invalid.validate':
    '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"f74b44ba-e16c-4621-b572-affc758d968c","allowed":false,"status":{"status":"Failure","code":403,"reason":"Forbidden","message":"globaldeploymentpolicies.amko.vmware.com \\"bad-gdp\\" is forbidden: GlobalDeploymentPolicy objects are only accepted in namespace avi-system; the object is also invalid: [spec.trafficSplit[0].weight: Invalid value: 25: must be between 1 and 20, spec.ttl: Invalid value: 0: must be between 1 and 86400]","details":{"name":"bad-gdp","group":"amko.vmware.com","kind":"globaldeploymentpolicies","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: 25: must be between 1 and 20","field":"spec.trafficSplit[0].weight"},{"reason":"FieldValueInvalid","message":"Invalid value: 0: must be between 1 and 86400","field":"spec.ttl"}]}},"warnings":["metadata.name: cross-object checks skipped: amko has no cluster connection"]}}',
  'gdp-create.mutate':
    '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"0069ecad-3d06-46a8-8ee9-996f8bd0edda","allowed":true,"patchType":"JSONPatch","patch":"W3sib3AiOiJhZGQiLCJwYXRoIjoiL3NwZWMvdHJhZmZpY1NwbGl0LzEvcHJpb3JpdHkiLCJ2YWx1ZSI6MTB9LHsib3AiOiJhZGQiLCJwYXRoIjoiL3NwZWMvdHJhZmZpY1NwbGl0LzAvcHJpb3JpdHkiLCJ2YWx1ZSI6MTB9LHsib3AiOiJhZGQiLCJwYXRoIjoiL3NwZWMvbWF0Y2hDbHVzdGVycy8xL3N5bmNWaXBPbmx5IiwidmFsdWUiOmZhbHNlfSx7Im9wIjoiYWRkIiwicGF0aCI6Ii9zcGVjL21hdGNoQ2x1c3RlcnMvMC9zeW5jVmlwT25seSIsInZhbHVlIjpmYWxzZX0seyJvcCI6ImFkZCIsInBhdGgiOiIvc3BlYy9wb29sQWxnb3JpdGhtU2V0dGluZ3MiLCJ2YWx1ZSI6eyJsYkFsZ29yaXRobSI6IkdTTEJfQUxHT1JJVEhNX1JPVU5EX1JPQklOIn19XQ=="}}',
};

describe('admission: exact answer bytes for the benchmark bodies', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  for (const [name, answer] of Object.entries(ANSWERS)) {
    it(`${name}: the pinned bytes and their length`, async () => {
      const body = `${JSON.stringify(JSON.parse(readFileSync(path.join(repoRoot, 'bench/fixtures', `${name}.json`), 'utf8')))}\n`;
      // Twice: what the first answer caches (metric children, compiled validators) must not change the second.
      for (let i = 0; i < 2; i++) {
        const res = await request(server.url)
          .post(`/${name.endsWith('.mutate') ? 'mutate' : 'validate'}?timeout=10s`)
          .ca(server.ca)
          .set('content-type', 'application/json')
          .send(body);
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(res.text, answer);
        assert.equal(res.headers['content-length'], String(Buffer.byteLength(answer)));
      }
    });
  }
});
