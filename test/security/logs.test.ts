// No secret in any log line, at DEBUG (no API servers; the worker's run with a credentials
// Secret and member kubeconfigs is scanned in test/reliability/faults.e2e.test.ts):
// - the admission server, answering requests that carry bearer tokens, cookies and passwords
//   in headers and in the reviewed objects, and failing closed on an internal error;
// - an Avi client session: login, CSRF-protected writes, a controller restart (re-login),
//   errors with controller messages, and a refused login with a wrong password.
import assert from 'node:assert/strict';
import https from 'node:https';
import { Writable } from 'node:stream';
import { AviClient } from '../../src/avi/client.js';
import { createLogger } from '../../src/log.js';
import { startAviSimulator } from '../avi-sim/server.js';
import { loadFixture, startTestServer } from '../admission/support.js';

function captured() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { lines, log: createLogger({ level: 'trace', destination: stream }) };
}

const SECRETS = {
  bearer: 'eyJhbGciOiJSUzI1NiJ9.rel-bearer-Tok3n.sig',
  cookie: 'sessionid=rel-cookie-V4lue',
  objectPassword: 'rel-object-Passw0rd!',
  userToken: 'rel-userinfo-T0ken',
  aviPassword: 'rel-avi-Login-Pw#42',
  wrongPassword: 'rel-wrong-Pw#43',
};

function post(url: string, ca: string, path: string, body: unknown): Promise<number> {
  const u = new URL(url);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        method: 'POST',
        hostname: u.hostname,
        port: u.port,
        path,
        ca,
        agent: false,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.bearer}`, cookie: SECRETS.cookie, 'x-csrftoken': SECRETS.bearer },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('security: no secret in log lines at DEBUG', function () {
  this.timeout(60_000);

  it('admission server', async () => {
    const { lines, log } = captured();
    const throwingView = {
      list: () => {
        throw new Error('cache exploded');
      },
    };
    const server = await startTestServer({ log });
    try {
      for (const name of ['gslbconfig-create.validate', 'gslbconfig-create.mutate', 'globaldeploymentpolicy-create.validate', 'gslbhostrule-update.validate']) {
        const review = loadFixture(name);
        review.request.userInfo = { username: 'u', extra: { token: [SECRETS.userToken] } };
        review.request.object.spec.password = SECRETS.objectPassword;
        review.request.object.metadata.annotations = { ...(review.request.object.metadata.annotations ?? {}), token: SECRETS.userToken };
        assert.equal(await post(server.url, server.ca, name.endsWith('.mutate') ? '/mutate' : '/validate', review), 200);
      }
      assert.equal(await post(server.url, server.ca, '/validate', { kind: 'AdmissionReview', password: SECRETS.objectPassword }), 400);
      server.setView(throwingView);
      const gdp = loadFixture('globaldeploymentpolicy-create.validate');
      gdp.request.object.spec.password = SECRETS.objectPassword;
      assert.equal(await post(server.url, server.ca, '/validate', gdp), 200); // fails closed, logs the error
    } finally {
      await server.close();
    }
    const text = lines.join('');
    assert.ok(lines.length >= 6, `only ${lines.length} lines`);
    for (const s of Object.values(SECRETS)) assert.ok(!text.includes(s), `secret ${s.slice(0, 8)}… logged`);
    assert.ok(!text.includes('rel-cookie-V4lue'));
  });

  it('Avi client session: login, writes, re-login after a restart, errors, refused login', async () => {
    const { lines, log } = captured();
    const sim = await startAviSimulator({ users: [{ username: 'admin', password: SECRETS.aviPassword }] });
    try {
      const client = AviClient.create({ controller: sim.host, username: 'admin', password: SECRETS.aviPassword, caPem: sim.caPem, log, timeoutMs: 1000 });
      await client.listGslbServices('amko-x', '*');
      await client.createHealthMonitor({ name: 'rel-hm', type: 'HEALTH_MONITOR_PING', is_federated: true } as never, 'admin');
      sim.restart(); // every session and CSRF token becomes invalid
      await client.listHealthMonitors('admin');
      sim.faults.add({ method: 'POST', path: '/api/healthmonitor', status: 400, message: 'bad things', times: 1 });
      await client.createHealthMonitor({ name: 'rel-hm-2', type: 'HEALTH_MONITOR_PING', is_federated: true } as never, 'admin').catch(() => undefined);
      sim.faults.add({ path: '/api/gslbservice', dropConnection: true, times: 3 });
      await client.listGslbServices('amko-x', '*').catch(() => undefined);
      await client.close();
      const wrong = AviClient.create({ controller: sim.host, username: 'admin', password: SECRETS.wrongPassword, caPem: sim.caPem, log });
      await assert.rejects(wrong.listHealthMonitors('admin'));
      await wrong.close();
      assert.ok(sim.issuedSecrets.length >= 4);
      const text = lines.join('');
      assert.ok(lines.some((l) => l.includes('"level":20') || l.includes('"level":10')), 'no DEBUG/TRACE line');
      for (const s of [SECRETS.aviPassword, SECRETS.wrongPassword, ...sim.issuedSecrets]) assert.ok(!text.includes(s), `secret ${s.slice(0, 6)}… logged`);
    } finally {
      await sim.close();
    }
  });
});
