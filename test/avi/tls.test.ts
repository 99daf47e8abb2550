import assert from 'node:assert/strict';
import { AviClient } from '../../src/avi/client.js';
import { AviError } from '../../src/avi/errors.js';
import { generateSimCert, startAviSimulator, type AviSimulator } from '../avi-sim/server.js';
import { captureLogger, SIM_USER } from './helpers.js';

describe('avi client TLS', () => {
  let sim: AviSimulator;
  before(async () => {
    sim = await startAviSimulator();
  });
  after(async () => sim.close());

  function client(extra: { caPem?: string; insecureSkipTlsVerify?: boolean }, logs = captureLogger()) {
    return { logs, c: AviClient.create({ controller: sim.host, username: SIM_USER.username, password: SIM_USER.password, log: logs.log, ...extra }) };
  }

  it('verifies the controller certificate against the given CA bundle', async () => {
    const { c, logs } = client({ caPem: sim.caPem });
    try {
      assert.equal(await c.getClusterUuid(), sim.store.cluster.uuid);
      assert.equal(logs.lines().filter((l) => (l.level as number) >= 40).length, 0);
    } finally {
      await c.close();
    }
  });

  it('fails with the tls class (not retryable) when the certificate is signed by another CA', async () => {
    const other = await generateSimCert('some-other-ca');
    const { c } = client({ caPem: other.cert });
    sim.requestLog.clear();
    try {
      await assert.rejects(c.getClusterUuid(), (e: unknown) => {
        assert.ok(e instanceof AviError);
        assert.equal(e.errorClass, 'tls', `${e.code}: ${e.message}`);
        assert.equal(e.retryable, false);
        assert.equal(e.path, '/login');
        return true;
      });
      assert.deepEqual(sim.requestLog.entries, [], 'no request got through the handshake');
    } finally {
      await c.close();
    }
  });

  it('fails with the tls class when no CA is given (system roots do not trust the controller)', async () => {
    const { c } = client({});
    try {
      await assert.rejects(c.getGslb(), (e: AviError) => e.errorClass === 'tls');
    } finally {
      await c.close();
    }
  });

  it('connects without verification only with insecureSkipTlsVerify, and warns about it', async () => {
    const other = await generateSimCert('ignored-ca');
    const { c, logs } = client({ insecureSkipTlsVerify: true, caPem: other.cert });
    try {
      assert.equal(await c.getClusterUuid(), sim.store.cluster.uuid);
      const warns = logs.lines().filter((l) => l.level === 40);
      assert.equal(warns.length, 1);
      assert.match(String(warns[0]?.msg), /TLS verification .* disabled/);
    } finally {
      await c.close();
    }
  });
});
