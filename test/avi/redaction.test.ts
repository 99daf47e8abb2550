import assert from 'node:assert/strict';
import type { GslbService } from '../../src/avi/types.js';
import { AviClient } from '../../src/avi/client.js';
import { AviError } from '../../src/avi/errors.js';
import { gsBody, rig, SIM_USER } from './helpers.js';

describe('avi client log redaction', () => {
  it('no password, session cookie or CSRF token reaches a log line, at any level', async () => {
    const r = await rig({}, { timeoutMs: 300 });
    try {
      // login, version discovery, reads and writes
      await r.client.getClusterUuid();
      await r.client.createGslbService(gsBody('redact.example.com') as GslbService);
      // re-login after a restart, a CSRF failure, failures of every kind
      r.sim.restart();
      await r.client.listGslbServices('amko-test');
      r.sim.faults.add({ method: 'POST', status: 403, message: 'CSRF Failed: CSRF token missing or incorrect.', times: 1 });
      await r.client.createGslbService(gsBody('redact2.example.com') as GslbService);
      r.sim.faults.add({ path: '/api/gslb', dropConnection: true, times: 1 });
      await assert.rejects(r.client.getGslb());
      r.sim.faults.add({ path: '/api/gslb', latencyMs: 400, times: 1 });
      await assert.rejects(r.client.getGslb());
      r.sim.faults.add({ path: '/api/gslb', status: 401 });
      const authErr = await r.client.getGslb().catch((e: unknown) => e);
      assert.ok(authErr instanceof AviError);
      // a caller logging the error object and the client's own options must not leak either
      r.logs.log.error({ err: authErr }, 'caller logs the error');
      r.logs.log.debug({ options: { username: SIM_USER.username, password: SIM_USER.password } }, 'caller logs options');
      const bad = AviClient.create({ controller: r.sim.host, username: SIM_USER.username, password: 'wr0ng-Secret-value', caPem: r.sim.caPem, log: r.logs.log });
      await assert.rejects(bad.getGslb());
      await bad.close();
      await r.client.close();

      const text = r.logs.text();
      assert.ok(r.logs.lines().some((l) => l.level === 20), 'debug lines were captured');
      assert.ok(text.includes('avi login succeeded'));
      const secrets = [SIM_USER.password, 'wr0ng-Secret-value', ...r.sim.issuedSecrets];
      assert.ok(r.sim.issuedSecrets.length >= 6);
      for (const s of secrets) assert.ok(!text.includes(s), `secret leaked into logs: ${s.slice(0, 3)}…`);
      assert.doesNotMatch(text, /csrftoken=|sessionid=|X-CSRFToken"\s*:\s*"[^[]/i);
    } finally {
      await r.sim.close();
    }
  });

  it('the AviError itself carries no secret', async () => {
    const r = await rig();
    try {
      await r.client.getGslb();
      r.sim.restart();
      r.sim.faults.add({ path: '/api/gslb', status: 401 });
      const err = await r.client.getGslb().then(
        () => assert.fail('expected an error'),
        (e: unknown) => e as AviError,
      );
      const dump = JSON.stringify({ ...err, message: err.message, stack: err.stack });
      for (const s of [SIM_USER.password, ...r.sim.issuedSecrets]) assert.ok(!dump.includes(s));
    } finally {
      await r.close();
    }
  });
});
