import assert from 'node:assert/strict';
import { registry } from '../../src/metrics.js';
import { AviClient } from '../../src/avi/client.js';
import { AviError } from '../../src/avi/errors.js';
import type { GslbService, HealthMonitor } from '../../src/avi/types.js';
import { captureLogger, gsBody, hmBody, rig, SIM_USER, type Rig } from './helpers.js';

describe('avi client', () => {
  describe('session', () => {
    let r: Rig;
    beforeEach(async () => {
      r = await rig();
    });
    afterEach(async () => r.close());

    it('logs in lazily, discovers the version, then sends it with the tenant on every call', async () => {
      assert.equal(await r.client.getClusterUuid(), r.sim.store.cluster.uuid);
      assert.deepEqual(r.sim.requestLog.lines(), ['POST /login', 'GET /api/initial-data', 'GET /api/cluster']);
      const [, initial, cluster] = r.sim.requestLog.entries;
      assert.equal(initial?.version, undefined);
      assert.equal(cluster?.version, r.sim.store.controllerVersion);
      assert.equal(cluster?.tenant, 'admin');
      assert.equal(await r.client.version(), '22.1.3');
      await r.client.getGslb();
      assert.equal(r.sim.requestLog.find('POST', '/login').length, 1);
      assert.equal(r.sim.requestLog.find('GET', '/api/initial-data').length, 1);
    });

    it('uses a configured version without asking the controller', async () => {
      const c = AviClient.create({ controller: r.sim.host, username: SIM_USER.username, password: SIM_USER.password, caPem: r.sim.caPem, version: '21.1.4', log: r.logs.log });
      try {
        assert.equal(await c.version(), '21.1.4');
        await c.getClusterUuid();
        assert.deepEqual(r.sim.requestLog.lines(), ['POST /login', 'GET /api/cluster']);
        assert.equal(r.sim.requestLog.entries[1]?.version, '21.1.4');
      } finally {
        await c.close();
      }
    });

    it('writes carry the CSRF token and Referer the controller checks', async () => {
      const hm = await r.client.createHealthMonitor(hmBody('amko--w1') as HealthMonitor);
      assert.match(String(hm.uuid), /^healthmonitor-/);
      assert.deepEqual(r.sim.requestLog.find('POST', '/api/healthmonitor/').map((e) => e.status), [201]);
    });

    it('logs in again once after a controller restart and retries the request', async () => {
      await r.client.getClusterUuid();
      r.sim.restart();
      r.sim.requestLog.clear();
      const gs = await r.client.createGslbService(gsBody('a.example.com') as GslbService);
      assert.equal(gs.name, 'a.example.com');
      assert.deepEqual(
        r.sim.requestLog.entries.map((e) => `${e.method} ${e.path} ${e.status}`),
        ['POST /api/gslbservice/ 401', 'POST /login 200', 'POST /api/gslbservice/ 201'],
      );
    });

    it('re-logs in on a 403 CSRF failure', async () => {
      await r.client.getClusterUuid();
      r.sim.faults.add({ method: 'POST', path: '/api/healthmonitor', status: 403, message: 'CSRF Failed: CSRF token missing or incorrect.', times: 1 });
      r.sim.requestLog.clear();
      await r.client.createHealthMonitor(hmBody('amko--csrf') as HealthMonitor);
      assert.deepEqual(r.sim.requestLog.entries.map((e) => `${e.method} ${e.path} ${e.status}`), [
        'POST /api/healthmonitor/ 403',
        'POST /login 200',
        'POST /api/healthmonitor/ 201',
      ]);
    });

    it('shares one re-login among concurrent requests that got a 401', async () => {
      await r.client.getClusterUuid();
      r.sim.restart();
      r.sim.requestLog.clear();
      r.sim.latencyMs = 20;
      const got = await Promise.all(Array.from({ length: 6 }, () => r.client.getClusterUuid()));
      assert.deepEqual(new Set(got), new Set([r.sim.store.cluster.uuid]));
      assert.equal(r.sim.requestLog.find('POST', '/login').length, 1);
      assert.equal(r.sim.requestLog.find('GET', '/api/cluster').filter((e) => e.status === 401).length, 6);
      assert.equal(r.sim.requestLog.find('GET', '/api/cluster').filter((e) => e.status === 200).length, 6);
    });

    it('logs in once for concurrent first requests', async () => {
      await Promise.all([r.client.getGslb(), r.client.getClusterUuid(), r.client.listHealthMonitors()]);
      assert.equal(r.sim.requestLog.find('POST', '/login').length, 1);
      assert.equal(r.sim.requestLog.find('GET', '/api/initial-data').length, 1);
    });

    it('gives up after one re-login when the controller keeps answering 401', async () => {
      await r.client.getClusterUuid();
      r.sim.faults.add({ path: '/api/cluster', status: 401 });
      r.sim.requestLog.clear();
      await assert.rejects(r.client.getClusterUuid(), (e: AviError) => e.errorClass === 'auth' && e.status === 401 && !e.retryable && !e.invalidCredentials);
      assert.deepEqual(r.sim.requestLog.lines(), ['GET /api/cluster', 'POST /login', 'GET /api/cluster']);
    });

    it('surfaces invalid credentials as a typed, non-retryable error without retrying', async () => {
      const c = AviClient.create({ controller: r.sim.host, username: 'admin', password: 'wrong', caPem: r.sim.caPem, log: r.logs.log });
      try {
        await assert.rejects(c.getClusterUuid(), (e: unknown) => {
          assert.ok(e instanceof AviError);
          assert.equal(e.errorClass, 'auth');
          assert.equal(e.invalidCredentials, true);
          assert.equal(e.retryable, false);
          assert.equal(e.retry, 'none');
          assert.equal(e.status, 401);
          assert.match(e.message, /Invalid credentials/);
          return true;
        });
        assert.deepEqual(r.sim.requestLog.lines(), ['POST /login']);
      } finally {
        await c.close();
      }
    });

    it('a refused login is never repeated by the same client: one POST /login, every later call fails with the same error', async () => {
      const c = AviClient.create({ controller: r.sim.host, username: 'admin', password: 'wrong', caPem: r.sim.caPem, log: r.logs.log });
      const failures = async () => (await registry.getSingleMetric('amko_avi_login_failures_total')?.get())?.values[0]?.value ?? 0;
      const before = await failures();
      try {
        const first = await c.getClusterUuid().catch((e: unknown) => e);
        assert.ok(first instanceof AviError && first.invalidCredentials);
        const later = await Promise.all([c.getGslb(), c.listHealthMonitors(), c.createHealthMonitor(hmBody('amko--x') as HealthMonitor)].map((p) => p.catch((e: unknown) => e)));
        assert.deepEqual(r.sim.requestLog.lines(), ['POST /login']);
        for (const e of later) assert.equal(e, first);
        assert.equal(r.sim.isLocked('admin'), false);
        assert.equal((await failures()) - before, 1);
      } finally {
        await c.close();
      }
    });

    it('a password changed on the controller: the 401 re-login is refused once, and not retried by later calls', async () => {
      await r.client.getClusterUuid();
      r.sim.setPassword('admin', 'rotated-elsewhere');
      r.sim.restart();
      r.sim.requestLog.clear();
      const errs = await Promise.all([r.client.getGslb(), r.client.getClusterUuid()].map((p) => p.catch((e: unknown) => e)));
      for (const e of errs) assert.ok(e instanceof AviError && e.invalidCredentials, String(e));
      for (let i = 0; i < 5; i++) await r.client.getGslb().catch(() => undefined);
      assert.equal(r.sim.requestLog.find('POST', '/login').length, 1);
      assert.equal(r.sim.isLocked('admin'), false);
    });

    it('close() logs out and later calls fail', async () => {
      await r.client.getClusterUuid();
      assert.equal(r.sim.sessionCount, 1);
      await r.client.close();
      assert.equal(r.sim.sessionCount, 0);
      await assert.rejects(r.client.getClusterUuid(), (e: AviError) => e.errorClass === 'transport');
    });
  });

  describe('objects', () => {
    let r: Rig;
    before(async () => {
      r = await rig({ maxPageSize: 3 });
    });
    after(async () => r.close());
    beforeEach(() => r.sim.requestLog.clear());

    it('follows next through more than 3 pages and filters by created_by', async () => {
      for (let i = 0; i < 11; i++) await r.client.createGslbService(gsBody(`p${i}.example.com`, { created_by: 'amko-pages' }) as GslbService);
      await r.client.createGslbService(gsBody('other.example.com', { created_by: 'amko-other' }) as GslbService);
      r.sim.requestLog.clear();
      const all = await r.client.listGslbServices('amko-pages');
      assert.deepEqual(all.map((g) => g.name), Array.from({ length: 11 }, (_, i) => `p${i}.example.com`));
      const gets = r.sim.requestLog.find('GET', '/api/gslbservice');
      assert.deepEqual(gets.map((e) => e.query.page ?? '1'), ['1', '2', '3', '4']);
      assert.ok(gets.every((e) => e.query.created_by === 'amko-pages' && e.query.include_name === 'true'));
    });

    it('lists federated health monitors only, across pages', async () => {
      const hms = await r.client.listHealthMonitors();
      assert.deepEqual(hms.map((h) => h.name).sort(), ['System-GSLB-HTTP', 'System-GSLB-HTTPS', 'System-GSLB-Ping', 'System-GSLB-TCP', 'System-GSLB-UDP', 'my-hm1', 'my-hm2']);
      assert.equal(r.sim.requestLog.find('GET', '/api/healthmonitor').length, 3);
    });

    it('creates, reads, updates and deletes a GslbService with health monitor refs', async () => {
      const hm = await r.client.createHealthMonitor(hmBody('amko--crud') as HealthMonitor);
      const created = await r.client.createGslbService(
        gsBody('crud.example.com', { health_monitor_refs: ['/api/healthmonitor?name=amko--crud', '/api/healthmonitor?name=System-GSLB-HTTP'] }) as GslbService,
      );
      const sysHttp = r.sim.store.getRecordByName('healthmonitor', 'System-GSLB-HTTP');
      assert.match(String(created.uuid), /^gslbservice-[0-9a-f-]{36}$/);
      assert.equal(created.url, `https://${r.sim.host}/api/gslbservice/${created.uuid}#crud.example.com`);
      assert.deepEqual(created.health_monitor_refs, [
        `https://${r.sim.host}/api/healthmonitor/${hm.uuid}#amko--crud`,
        `https://${r.sim.host}/api/healthmonitor/${sysHttp?.uuid}#System-GSLB-HTTP`,
      ]);
      const got = await r.client.getGslbService('crud.example.com');
      assert.equal(got?.uuid, created.uuid);
      const updated = await r.client.updateGslbService(String(created.uuid), { ...gsBody('crud.example.com'), ttl: 30 } as GslbService);
      assert.equal(updated.ttl, 30);
      assert.equal(updated.health_monitor_refs, undefined);
      await r.client.deleteHealthMonitor(String(hm.uuid));
      await r.client.deleteGslbService(String(created.uuid));
      assert.equal(await r.client.getGslbService('crud.example.com'), undefined);
      assert.deepEqual(r.sim.requestLog.lines().slice(-3), ['DELETE /api/healthmonitor/' + hm.uuid, 'DELETE /api/gslbservice/' + created.uuid, 'GET /api/gslbservice']);
    });

    it('creates, reads, updates and deletes a health monitor', async () => {
      const hm = await r.client.createHealthMonitor(hmBody('amko--hm', { markers: [{ key: 'created-by', values: ['amko-1'] }] }) as HealthMonitor);
      assert.deepEqual(hm.markers, [{ key: 'created-by', values: ['amko-1'] }]);
      const up = await r.client.updateHealthMonitor(String(hm.uuid), hmBody('amko--hm', { monitor_port: 8080 }) as HealthMonitor);
      assert.equal(up.monitor_port, 8080);
      assert.equal((await r.client.getHealthMonitor('amko--hm'))?.monitor_port, 8080);
      await r.client.deleteHealthMonitor(String(hm.uuid));
      assert.equal(await r.client.getHealthMonitor('amko--hm'), undefined);
    });

    it('reads persistence and PKI profiles by name, and the federated lists', async () => {
      assert.equal((await r.client.getApplicationPersistenceProfile('gap-1'))?.name, 'gap-1');
      assert.equal(await r.client.getApplicationPersistenceProfile('nope'), undefined);
      assert.equal((await r.client.getPkiProfile('pki2'))?.name, 'pki2');
      assert.deepEqual((await r.client.listApplicationPersistenceProfiles()).map((p) => p.name), ['gap-1', 'gap-2']);
      assert.deepEqual((await r.client.listPkiProfiles()).map((p) => p.name), ['pki', 'pki2']);
    });

    it('reads the gslb leader, third-party sites and the cluster uuid', async () => {
      const gslb = await r.client.getGslb();
      assert.equal(gslb?.leader_cluster_uuid, await r.client.getClusterUuid());
      assert.deepEqual(gslb?.third_party_sites?.map((s) => s.name), ['partner-dc-1']);
      assert.equal(gslb?.maintenance_mode, false);
    });

    it('scopes calls by tenant', async () => {
      const gs = await r.client.createGslbService(gsBody('t.example.com', { tenant_ref: '/api/tenant/?name=team-a' }) as GslbService, 'team-a');
      assert.match(String(gs.tenant_ref), /#team-a$/);
      assert.equal(await r.client.getGslbService('t.example.com'), undefined);
      assert.equal((await r.client.getGslbService('t.example.com', 'team-a'))?.uuid, gs.uuid);
      assert.deepEqual(r.sim.requestLog.entries.map((e) => e.tenant), ['team-a', 'admin', 'team-a']);
      await r.client.deleteGslbService(String(gs.uuid), 'team-a');
    });

    it('counts requests and durations in metrics', async () => {
      await r.client.getClusterUuid();
      const text = await registry.metrics();
      assert.match(text, /amko_avi_requests_total\{method="GET",resource="cluster",result="ok"\} \d+/);
      assert.match(text, /amko_avi_request_duration_seconds_count\{method="GET",resource="cluster"\} \d+/);
    });
  });

  it('rejects an empty controller or username at creation', () => {
    const { log } = captureLogger();
    assert.throws(() => AviClient.create({ controller: '', username: 'a', password: 'b', log }), /controller/);
    assert.throws(() => AviClient.create({ controller: 'x', username: '', password: 'b', log }), /username/);
  });
});
