// The worker's Avi cache keeps objects in stored.ts's form (own fields + a shared rest) and a full resync
// converts listed objects page by page, reusing the cached object where the controller's is unchanged. What the
// diff reads must be exactly canon.ts's form, key order included, and a changed object must never be kept.
import assert from 'node:assert/strict';
import type { GslbService, HealthMonitor } from '../../src/avi/types.js';
import { AviStateCache, storeGs, storeHm } from '../../src/reconcile/avi-state.js';
import { canonGsBase, canonHm } from '../../src/reconcile/canon.js';
import { buildDesiredGs } from '../../src/reconcile/desired/gslbservice.js';
import { CREATED_BY, desiredInputs, namedMember } from './fixtures.js';

const desired = buildDesiredGs('admin', 'app.example.com', [namedMember({ cluster: 'c1', ip: '10.0.0.1', paths: ['/', '/a'] }), namedMember({ cluster: 'c2', ip: '10.0.0.2' })], desiredInputs({}))!;
/** As the controller lists them: uuids, tenant refs, monitor refs by uuid with #name. */
const hms: HealthMonitor[] = desired.hms.map((h, i) => ({ ...h, uuid: `healthmonitor-${i}`, tenant_ref: 'https://ctrl/api/tenant/admin#admin' }));
const listedGs = (extra: Partial<GslbService> = {}): GslbService => ({
  ...desired.gs,
  uuid: 'gslbservice-1',
  tenant_ref: 'https://ctrl/api/tenant/admin#admin',
  health_monitor_refs: hms.map((h) => `https://ctrl/api/healthmonitor/${h.uuid}#${h.name}`),
  ...extra,
});

function resync(cache: AviStateCache, gss: GslbService[], monitors: HealthMonitor[]): void {
  const seq = cache.mark();
  cache.replace(gss.map(cache.listedGs('admin')), monitors.map(cache.listedHm('admin')), CREATED_BY, 'admin', seq);
}

describe('AviStateCache: stored form and full resyncs', () => {
  it('the stored form reads back as canon.ts made it, key order included', () => {
    for (const gs of [listedGs(), listedGs({ ttl: 30, down_response: { type: 'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP', fallback_ip: { addr: '10.9.9.9', type: 'V4' } } })]) {
      assert.equal(JSON.stringify(storeGs(gs).canon), JSON.stringify(canonGsBase(gs)));
    }
    for (const hm of hms) assert.equal(JSON.stringify(storeHm(hm).canon), JSON.stringify(canonHm(hm)));
  });

  it('a resync of an unchanged controller keeps the cached objects; a changed one is replaced', () => {
    const cache = new AviStateCache(() => CREATED_BY);
    resync(cache, [listedGs()], hms);
    const gs = cache.gs.get(desired.key)!;
    const hm0 = cache.hms.get('admin')!.get(hms[0]!.name)!;
    assert.equal(cache.actual(desired.key, 'admin').owned.length, hms.length);

    resync(cache, [listedGs()], hms);
    assert.equal(cache.gs.get(desired.key), gs, 'unchanged GslbService: the cached object');
    assert.equal(cache.hms.get('admin')!.get(hms[0]!.name), hm0, 'unchanged monitor: the cached object');

    const changedHm = { ...hms[0]!, monitor_port: 8080 };
    resync(cache, [listedGs({ ttl: 30 })], [changedHm, ...hms.slice(1)]);
    const gs2 = cache.gs.get(desired.key)!;
    assert.notEqual(gs2, gs);
    assert.equal(gs2.canon.ttl, 30);
    assert.equal(cache.hms.get('admin')!.get(hms[0]!.name)!.canon.monitor_port, 8080);
    assert.equal(cache.actual(desired.key, 'admin').owned.length, hms.length);

    resync(cache, [listedGs({ ttl: 30, uuid: 'gslbservice-2' })], [changedHm, ...hms.slice(1)]);
    assert.equal(cache.gs.get(desired.key)!.uuid, 'gslbservice-2', 'same content, new uuid: replaced');
  });
});
