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

  describe('says why the certificate was not trusted, at error, in the error and the log', () => {
    const DAY = 24 * 3600 * 1000;
    const cases: Array<{ reason: string; codes: string[]; serve: () => ReturnType<typeof generateSimCert>; trust: (served: { cert: string }) => Promise<string> }> = [
      { reason: 'unknown CA', codes: ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'], serve: () => generateSimCert('ctrl'), trust: async () => (await generateSimCert('another-ca')).cert },
      { reason: 'name mismatch', codes: ['ERR_TLS_CERT_ALTNAME_INVALID'], serve: () => generateSimCert('ctrl', { names: { ips: [], dns: ['avi.elsewhere.example'] } }), trust: async (c) => c.cert },
      { reason: 'expired', codes: ['CERT_HAS_EXPIRED'], serve: () => generateSimCert('ctrl', { notBefore: new Date(Date.now() - 60 * DAY), notAfter: new Date(Date.now() - 30 * DAY) }), trust: async (c) => c.cert },
    ];
    for (const t of cases) {
      it(t.reason, async () => {
        const served = await t.serve();
        const s = await startAviSimulator({ cert: served });
        const logs = captureLogger();
        const c = AviClient.create({ controller: s.host, username: SIM_USER.username, password: SIM_USER.password, caPem: await t.trust(served), log: logs.log });
        try {
          const e = await c.getClusterUuid().catch((x: unknown) => x);
          assert.ok(e instanceof AviError, String(e));
          assert.equal(e.errorClass, 'tls');
          assert.ok(t.codes.includes(String(e.code)), String(e.code));
          assert.equal(e.tlsReason, t.reason);
          assert.match(e.message, new RegExp(`certificate verification failed: ${t.reason} \\(${e.code}\\)`));
          const errors = logs.lines().filter((l) => l.level === 50);
          assert.equal(errors.length, 1, JSON.stringify(errors));
          assert.equal(errors[0]!.reason, t.reason);
          assert.equal(errors[0]!.code, e.code);
          assert.match(String(errors[0]!.msg), new RegExp(`certificate verification failed: ${t.reason}`));
          assert.deepEqual(s.requestLog.entries, []);
        } finally {
          await c.close();
          await s.close();
        }
      });
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
