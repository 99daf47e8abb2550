// The worker's verdict on a GDP / GSLBHostRule: the catalogue's object rules (the ones
// the webhook runs, same text) against the GSLBConfig in force, then the Avi rules.
import assert from 'node:assert/strict';
import type { GlobalDeploymentPolicy, GSLBHostRule } from '../../src/api/index.js';
import type { HealthMonitor } from '../../src/avi/types.js';
import { validateGdp, validateHostRule, type ValidationContext } from '../../src/reconcile/validate.js';
import { formatFieldError, staticView, validate } from '../../src/rules/index.js';
import { GC, GDP, GHR } from '../rules/cases.js';

function context(monitors: Record<string, HealthMonitor>, lookups: string[] = []): ValidationContext {
  return {
    tenant: 'admin',
    gslbConfig: 'gc-1',
    memberClusters: ['cluster1-admin', 'cluster2-admin'],
    avi: {
      getHealthMonitor: async (name) => (lookups.push(`hm ${name}`), monitors[name]),
      getApplicationPersistenceProfile: async (name) => (lookups.push(`persistence ${name}`), { name, uuid: `u-${name}` }),
      getPkiProfile: async (name) => (lookups.push(`pki ${name}`), { name, uuid: `u-${name}` }),
      getGslb: async () => (lookups.push('gslb'), { name: 'leader', third_party_sites: [{ name: 'non-avi-site' }] } as never),
    },
  };
}
const federated = (name: string): HealthMonitor => ({ name, type: 'HEALTH_MONITOR_HTTP', is_federated: true }) as HealthMonitor;

describe('reconcile: validate (the worker runs the webhook rules, then the Avi rules)', () => {
  it('rejects a GDP with the webhook error text when a cluster is not a member, and asks Avi nothing', async () => {
    const gdp = structuredClone(GDP) as unknown as GlobalDeploymentPolicy;
    gdp.spec.trafficSplit![1]!.cluster = 'cluster9';
    const lookups: string[] = [];
    const v = await validateGdp(gdp, context({}, lookups));
    const webhook = validate('GlobalDeploymentPolicy', gdp, { view: staticView([GC]) }).errors.map(formatFieldError);
    assert.deepEqual(webhook, ['spec.trafficSplit[1].cluster: Not found: "cluster9": must be a member cluster of GSLBConfig gc-1: "cluster1-admin", "cluster2-admin"']);
    assert.deepEqual(v, { ok: false, error: webhook[0] });
    assert.deepEqual(lookups, []);
  });

  it('rejects a GSLBHostRule with refs and a template by the catalogue rule', async () => {
    const ghr = structuredClone(GHR) as unknown as GSLBHostRule;
    ghr.spec.healthMonitorTemplate = 'tpl';
    const v = await validateHostRule(ghr, context({ hm1: federated('hm1'), hm2: federated('hm2') }));
    assert.deepEqual(v, { ok: false, error: 'spec.healthMonitorTemplate: Forbidden: may not be set together with healthMonitorRefs' });
  });

  it('accepts a valid GSLBHostRule after the Avi rules, and rejects one whose ref is not federated', async () => {
    const ghr = structuredClone(GHR) as unknown as GSLBHostRule;
    const lookups: string[] = [];
    assert.deepEqual(await validateHostRule(ghr, context({ hm1: federated('hm1'), hm2: federated('hm2') }, lookups)), { ok: true, templates: new Map() });
    assert.deepEqual(lookups, ['gslb', 'hm hm1', 'hm hm2']);
    assert.deepEqual(await validateHostRule(ghr, context({ hm1: federated('hm1') })), {
      ok: false,
      error: 'Health Monitor Ref hm2 error for ghr-1 GSLBHostRule',
    });
  });

  it('resolves a GDP health monitor template', async () => {
    const gdp = structuredClone(GDP) as unknown as GlobalDeploymentPolicy;
    gdp.spec.healthMonitorTemplate = 'tpl';
    const tpl = { ...federated('tpl'), http_monitor: { http_request: 'GET / HTTP/1.1' } } as HealthMonitor;
    const v = await validateGdp(gdp, context({ tpl }));
    assert.ok(v.ok);
    assert.deepEqual([...v.templates.values()], [{ name: 'tpl', request: 'GET / HTTP/1.1', responseCodes: ['HTTP_2XX', 'HTTP_3XX'] }]);
  });
});
