// The captured kube-apiserver v1.28 AdmissionReview bodies, sent byte for byte
// to the real HTTPS server (generated CA), with exact answers.
import assert from 'node:assert/strict';
import request from 'supertest';
import { staticView } from '../../src/rules/view.js';
import { causeOf, NEW_UUID, NO_VIEW } from '../rules/cases.js';
import { fixtureBytes, fixtureNames, loadFixture, startTestServer, type TestServer } from './support.js';

const RR = { op: 'add', path: '/spec/poolAlgorithmSettings', value: { lbAlgorithm: 'GSLB_ALGORITHM_ROUND_ROBIN' } };
const GDP_PATCH = [
  { op: 'add', path: '/spec/trafficSplit/1/priority', value: 10 },
  { op: 'add', path: '/spec/trafficSplit/0/priority', value: 10 },
  { op: 'add', path: '/spec/matchClusters/1/syncVipOnly', value: false },
  { op: 'add', path: '/spec/matchClusters/0/syncVipOnly', value: false },
  RR,
];
const GHR_PATCH = [
  { op: 'add', path: '/spec/trafficSplit/1/priority', value: 10 },
  { op: 'add', path: '/spec/trafficSplit/0/priority', value: 10 },
];
const GC_PATCH = [
  { op: 'add', path: '/spec/gslbLeader/tenant', value: 'admin' },
  { op: 'add', path: '/spec/useCustomGlobalFqdn', value: false },
  { op: 'add', path: '/metadata/annotations', value: { 'amko.vmware.com/amko-uuid': NEW_UUID } },
];

/** Expected patches of the mutate calls (absent: allowed, no patch). */
const PATCHES: Record<string, unknown[]> = {
  'gslbconfig-create.mutate': GC_PATCH,
  'gslbconfig-update.mutate': GC_PATCH,
  'gslbconfig-create-dryrun.mutate': [
    GC_PATCH[0],
    GC_PATCH[1],
    { op: 'add', path: '/metadata/annotations/amko.vmware.com~1amko-uuid', value: NEW_UUID },
  ],
  'globaldeploymentpolicy-create.mutate': GDP_PATCH,
  'globaldeploymentpolicy-create-invalid.mutate': GDP_PATCH,
  'globaldeploymentpolicy-update-apply.mutate': GDP_PATCH,
  'globaldeploymentpolicy-update-patch-merge.mutate': GDP_PATCH,
  'gslbhostrule-create.mutate': GHR_PATCH,
  'gslbhostrule-update.mutate': GHR_PATCH,
};

const SITES = 'must be a member cluster or a thirdPartyMembers site of GSLBConfig gc-1: "cluster1-admin", "cluster2-admin", "non-avi-site"';
const GHR_ERRORS = [
  'spec.thirdPartyMembers: Forbidden: may not be set while sitePersistence.enabled is true',
  `spec.trafficSplit[0].cluster: Not found: "k8s": ${SITES}`,
  `spec.trafficSplit[1].cluster: Not found: "oshift": ${SITES}`,
];
const ghrDenial = {
  status: 'Failure',
  code: 422,
  reason: 'Invalid',
  message: `GSLBHostRule.amko.vmware.com "gslb-host-rule-1" is invalid: [${GHR_ERRORS.join(', ')}]`,
  details: { name: 'gslb-host-rule-1', group: 'amko.vmware.com', kind: 'GSLBHostRule', causes: GHR_ERRORS.map(causeOf) },
};
const GDP_ERRORS = [
  'spec.trafficSplit[0].weight: Invalid value: 25: must be between 1 and 20',
  'spec.ttl: Invalid value: 0: must be between 1 and 86400',
];

/** Expected denials of the validate calls (absent: allowed). */
const DENIALS: Record<string, unknown> = {
  'gslbconfig-create-dryrun.validate': {
    status: 'Failure',
    code: 403,
    reason: 'Forbidden',
    message: 'gslbconfigs.amko.vmware.com "gc-2" is forbidden: only one GSLBConfig is allowed, and avi-system/gc-1 already exists',
    details: { name: 'gc-2', group: 'amko.vmware.com', kind: 'gslbconfigs' },
  },
  'globaldeploymentpolicy-create-invalid.validate': {
    status: 'Failure',
    code: 403,
    reason: 'Forbidden',
    message:
      'globaldeploymentpolicies.amko.vmware.com "bad-gdp" is forbidden: GlobalDeploymentPolicy objects are only accepted in namespace avi-system' +
      `; the object is also invalid: [${GDP_ERRORS.join(', ')}]`,
    details: { name: 'bad-gdp', group: 'amko.vmware.com', kind: 'globaldeploymentpolicies', causes: GDP_ERRORS.map(causeOf) },
  },
  'gslbhostrule-create.validate': ghrDenial,
  'gslbhostrule-update.validate': ghrDenial,
};

describe('admission: captured AdmissionReview bodies over HTTPS', () => {
  let server: TestServer;
  before(async () => {
    const gc1 = loadFixture('gslbconfig-create.validate').request.object;
    server = await startTestServer({ view: staticView([gc1]), newUuid: () => NEW_UUID });
  });
  after(() => server.close());

  it('has all 30 fixtures', () => {
    assert.equal(fixtureNames().length, 30);
  });

  for (const name of fixtureNames()) {
    const webhook = name.endsWith('.mutate') ? 'mutate' : 'validate';
    it(`${name}: exact answer`, async () => {
      const res = await request(server.url)
        .post(`/${webhook}?timeout=10s`)
        .ca(server.ca)
        .set('content-type', 'application/json')
        .set('user-agent', 'kube-apiserver-admission')
        .send(fixtureBytes(name));
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'] ?? '', /^application\/json/);
      const uid = loadFixture(name).request.uid;
      const expected: Record<string, unknown> = { uid, allowed: true };
      if (PATCHES[name]) {
        expected.patchType = 'JSONPatch';
        expected.patch = Buffer.from(JSON.stringify(PATCHES[name])).toString('base64');
      }
      if (DENIALS[name]) {
        expected.allowed = false;
        expected.status = DENIALS[name];
      }
      assert.deepEqual(res.body, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: expected });
    });
  }

  it('answers without a cluster connection with a warning, and skips cross-object rules', async () => {
    server.setView(undefined);
    try {
      const res = await request(server.url).post('/validate').ca(server.ca).set('content-type', 'application/json').send(fixtureBytes('gslbconfig-create-dryrun.validate'));
      assert.deepEqual(res.body.response, { uid: '98434b05-7474-4852-8209-bc323e1ea04a', allowed: true, warnings: [NO_VIEW] });
    } finally {
      server.setView(staticView([loadFixture('gslbconfig-create.validate').request.object]));
    }
  });

  it('gives dry-run requests the same answer as real ones', async () => {
    const dry = loadFixture('gslbconfig-create-dryrun.validate');
    const real = structuredClone(dry);
    real.request.dryRun = false;
    const a = await request(server.url).post('/validate').ca(server.ca).send(dry);
    const b = await request(server.url).post('/validate').ca(server.ca).send(real);
    assert.deepEqual(a.body, b.body);
  });

  it('mutate patches are idempotent: re-applying gives no patch', async () => {
    const { applyPatch } = (await import('fast-json-patch')).default;
    for (const name of Object.keys(PATCHES)) {
      const body = loadFixture(name);
      body.request.object = applyPatch(body.request.object, PATCHES[name] as never).newDocument;
      const res = await request(server.url).post('/mutate').ca(server.ca).send(body);
      assert.deepEqual(res.body.response, { uid: body.request.uid, allowed: true }, name);
    }
  });
});
