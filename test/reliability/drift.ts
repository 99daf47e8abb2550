// What `amko plan` (the worker's own computation, read-only) would still do against the Avi
// simulator, plus duplicate names: empty means the Avi state equals the desired state.
// Shared by the fault tests (faults.e2e.test.ts, kill9.e2e.test.ts).
import type { KubeConfig } from '@kubernetes/client-node';
import { AviClient } from '../../src/avi/client.js';
import type { AviApi } from '../../src/avi/types.js';
import { createLogger } from '../../src/log.js';
import { computePlan, formatPlan } from '../../src/reconcile/dry-run.js';
import type { AviSimulator } from '../avi-sim/server.js';

export async function aviDrift(o: {
  kubeConfig: KubeConfig;
  memberKubeconfig: string;
  sim: AviSimulator;
  reader: AviApi;
  createdBy: string;
  expectedGs: number;
}): Promise<string[]> {
  const plan = await computePlan({
    kubeConfig: o.kubeConfig,
    memberKubeconfig: o.memberKubeconfig,
    log: createLogger({ level: 'silent' }),
    aviFactory: (c) => AviClient.create({ ...c, caPem: o.sim.caPem, log: createLogger({ level: 'silent' }) }),
  });
  const out = plan.operations.length ? [formatPlan(plan)] : [];
  const gs = (await o.reader.listGslbServices(o.createdBy, '*')).map((g) => g.name);
  const hm = (await o.reader.listHealthMonitors('*')).map((h) => h.name);
  for (const [what, names] of [['GslbService', gs], ['HealthMonitor', hm]] as const) {
    const dup = names.filter((n, i) => names.indexOf(n) !== i);
    if (dup.length) out.push(`duplicate ${what}: ${dup.join(', ')}`);
  }
  if (gs.length !== o.expectedGs) out.push(`${gs.length} GslbServices, expected ${o.expectedGs}`);
  return out;
}
