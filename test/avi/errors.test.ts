import assert from 'node:assert/strict';
import { AviClient } from '../../src/avi/client.js';
import { AVI_RETRY, AviError, classifyAviError, controllerMessage } from '../../src/avi/errors.js';
import type { AviErrorClass, GslbService, HealthMonitor } from '../../src/avi/types.js';
import { SIM_MESSAGES } from '../avi-sim/server.js';
import { gsBody, hmBody, rig, SIM_USER, type Rig } from './helpers.js';

function isClass(cls: AviErrorClass, extra: (e: AviError) => boolean = () => true) {
  return (e: unknown) => {
    assert.ok(e instanceof AviError, `expected AviError, got ${String(e)}`);
    assert.equal(e.errorClass, cls, e.message);
    assert.equal(e.retry, AVI_RETRY[cls]);
    assert.equal(e.retryable, AVI_RETRY[cls] !== 'none');
    assert.ok(extra(e), `extra check failed for ${e.message}`);
    return true;
  };
}

describe('avi error classification', () => {
  it('classifies statuses, controller messages and transport codes', () => {
    const cases: Array<[Parameters<typeof classifyAviError>[0], AviErrorClass]> = [
      [{ code: 'ECONNRESET' }, 'transport'],
      [{ code: 'ECONNREFUSED' }, 'transport'],
      [{ code: 'ENOTFOUND' }, 'transport'],
      [{ code: 'AVI_TIMEOUT' }, 'timeout'],
      [{ code: 'ETIMEDOUT' }, 'timeout'],
      [{ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'tls'],
      [{ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'tls'],
      [{ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'tls'],
      [{ status: 500 }, 'server'],
      [{ status: 502 }, 'server'],
      [{ status: 503 }, 'server'],
      [{ status: 429 }, 'server'],
      [{ status: 400, message: 'GSLB system is in maintenance mode.' }, 'maintenance'],
      [{ status: 400, message: 'Config Operations can be done ONLY on leader' }, 'not-leader'],
      [{ status: 403, message: 'Config Operations can be done ONLY on leader' }, 'not-leader'],
      [{ status: 400, message: 'gs x: domain name conflicting with existing domain name a.com' }, 'domain-conflict'],
      [{ status: 404 }, 'not-found'],
      [{ status: 409, message: 'Health monitor with this Name and Tenant ref already exists.' }, 'conflict'],
      [{ status: 412 }, 'conflict'],
      [{ status: 400, message: "Cannot delete, object is referred by: ['GslbService a']" }, 'conflict'],
      [{ status: 400, message: 'Cannot find object healthmonitor with name x' }, 'bad-request'],
      [{ status: 422 }, 'bad-request'],
      [{ status: 401, message: 'Invalid credentials' }, 'auth'],
      [{ status: 403 }, 'auth'],
      [{ status: 419 }, 'auth'],
    ];
    for (const [input, cls] of cases) assert.equal(classifyAviError(input), cls, JSON.stringify(input));
  });

  it('extracts the controller message from error/detail bodies and plain text', () => {
    assert.equal(controllerMessage('{"error": "boom"}'), 'boom');
    assert.equal(controllerMessage('{"detail": "CSRF Failed"}'), 'CSRF Failed');
    assert.equal(controllerMessage('{"error": {"field": ["bad"]}}'), '{"field":["bad"]}');
    assert.equal(controllerMessage('<html>oops</html>'), '<html>oops</html>');
    assert.equal(controllerMessage(''), '');
  });

  describe('from the simulator', () => {
    let r: Rig;
    before(async () => {
      r = await rig({}, { timeoutMs: 300 });
    });
    after(async () => r.close());
    afterEach(() => {
      r.sim.faults.clear();
      r.sim.store.setLeader(true);
      r.sim.store.setMaintenance(false);
    });

    it('transport: a dropped connection', async () => {
      r.sim.faults.add({ path: '/api/cluster', dropConnection: true, times: 1 });
      await assert.rejects(r.client.getClusterUuid(), isClass('transport', (e) => e.status === undefined && e.path === '/api/cluster'));
      assert.equal(await r.client.getClusterUuid(), r.sim.store.cluster.uuid);
    });

    it('transport: connection refused', async () => {
      const c = AviClient.create({ controller: '127.0.0.1:1', username: 'u', password: 'p', caPem: r.sim.caPem, log: r.logs.log });
      await assert.rejects(c.getClusterUuid(), isClass('transport', (e) => e.code === 'ECONNREFUSED'));
      await c.close();
    });

    it('timeout: the per-request deadline', async () => {
      await r.client.getClusterUuid();
      r.sim.faults.add({ path: '/api/gslb', latencyMs: 600, times: 1 });
      const t0 = Date.now();
      await assert.rejects(r.client.getGslb(), isClass('timeout', (e) => e.code === 'AVI_TIMEOUT'));
      assert.ok(Date.now() - t0 < 590);
      r.sim.faults.add({ path: '/api/gslb', latencyMs: 200, times: 1 });
      await assert.rejects(r.client.request('GET', '/api/gslb', { timeoutMs: 50 }), isClass('timeout'));
      assert.equal((await r.client.getGslb())?.name, 'Default');
    });

    it('server: 5xx', async () => {
      r.sim.faults.add({ method: 'GET', path: '/api/gslbservice', status: 503, message: 'Service unavailable' });
      await assert.rejects(r.client.listGslbServices('amko-x'), isClass('server', (e) => e.status === 503 && e.controllerMessage === 'Service unavailable'));
    });

    it('maintenance: the controller is in maintenance mode', async () => {
      r.sim.store.setMaintenance(true);
      await assert.rejects(r.client.createGslbService(gsBody('m.example.com') as GslbService), isClass('maintenance', (e) => e.status === 400));
    });

    it('not-leader: writes on a follower', async () => {
      r.sim.store.setLeader(false);
      await assert.rejects(
        r.client.createHealthMonitor(hmBody('amko--nl') as HealthMonitor),
        isClass('not-leader', (e) => e.controllerMessage === SIM_MESSAGES.notLeader),
      );
    });

    it('domain-conflict: a domain already served by another GslbService', async () => {
      await r.client.createGslbService(gsBody('d1.example.com', { domain_names: ['d1.example.com', 'shared.example.com'] }) as GslbService);
      await assert.rejects(
        r.client.createGslbService(gsBody('d2.example.com', { domain_names: ['d2.example.com', 'shared.example.com'] }) as GslbService),
        isClass('domain-conflict'),
      );
    });

    it('not-found: update of an unknown uuid', async () => {
      await assert.rejects(r.client.updateGslbService('gslbservice-nope', gsBody('nf.example.com') as GslbService), isClass('not-found', (e) => e.status === 404));
      await assert.rejects(r.client.deleteHealthMonitor('healthmonitor-nope'), isClass('not-found'));
    });

    it('conflict: a duplicate name (409, flagged alreadyExists)', async () => {
      await r.client.createHealthMonitor(hmBody('amko--dup') as HealthMonitor);
      await assert.rejects(
        r.client.createHealthMonitor(hmBody('amko--dup') as HealthMonitor),
        isClass('conflict', (e) => e.status === 409 && e.alreadyExists && /Health monitor with this Name and Tenant ref already exists/.test(e.message)),
      );
    });

    it('conflict: deleting a health monitor still referred to (flagged referenced)', async () => {
      const hm = await r.client.createHealthMonitor(hmBody('amko--ref') as HealthMonitor);
      await r.client.createGslbService(gsBody('ref.example.com', { health_monitor_refs: ['/api/healthmonitor?name=amko--ref'] }) as GslbService);
      await assert.rejects(r.client.deleteHealthMonitor(String(hm.uuid)), isClass('conflict', (e) => e.referenced));
    });

    it('bad-request: a ref to a missing object', async () => {
      await assert.rejects(
        r.client.createGslbService(gsBody('br.example.com', { health_monitor_refs: ['/api/healthmonitor?name=does-not-exist'] }) as GslbService),
        isClass('bad-request', (e) => e.status === 400 && /does-not-exist/.test(e.controllerMessage)),
      );
    });

    it('auth: invalid credentials', async () => {
      const c = AviClient.create({ controller: r.sim.host, username: SIM_USER.username, password: 'nope', caPem: r.sim.caPem, log: r.logs.log });
      await assert.rejects(c.getGslb(), isClass('auth', (e) => e.invalidCredentials));
      await c.close();
    });

    it('each class is exercised with the retry policy the worker expects', () => {
      assert.deepEqual(AVI_RETRY, {
        transport: 'fast',
        timeout: 'fast',
        tls: 'none',
        server: 'slow',
        maintenance: 'slow',
        'not-leader': 'slow',
        'domain-conflict': 'slow',
        'not-found': 'fast',
        conflict: 'fast',
        'bad-request': 'none',
        auth: 'none',
      });
    });
  });
});
