// Executes one planned operation on the controller and records the result in
// the cache. After a 404/409/"already exists" the key's objects are re-read by
// name so the retry plans against the controller's real state.
import type { AviApi } from '../avi/types.js';
import type { Logger } from '../log.js';
import type { AviStateCache } from './avi-state.js';
import type { AviOperation } from './diff.js';
import { workerMetrics as M } from './metrics.js';

const errClass = (e: unknown) => (e as { errorClass?: string }).errorClass;

export async function applyOperation(avi: AviApi, cache: AviStateCache, op: AviOperation, createdBy: string, log: Logger): Promise<void> {
  const t = op.tenant;
  try {
    switch (op.op) {
      case 'create-hm':
        cache.setHm(t, await avi.createHealthMonitor(op.hm, t), op.name);
        break;
      case 'update-hm':
        cache.setHm(t, await avi.updateHealthMonitor(op.uuid, op.hm, t), op.name);
        break;
      case 'create-gs':
        cache.setGs(op.key, await avi.createGslbService(op.gs, t));
        break;
      case 'update-gs':
        cache.setGs(op.key, await avi.updateGslbService(op.uuid, op.gs, t));
        break;
      case 'delete-gs':
        try {
          await avi.deleteGslbService(op.uuid, t);
        } catch (err) {
          if (errClass(err) !== 'not-found') throw err;
        }
        cache.setGs(op.key, undefined);
        break;
      case 'delete-hm':
        try {
          await avi.deleteHealthMonitor(op.uuid, t);
        } catch (err) {
          if (errClass(err) === 'not-found') {
            /* already gone */
          } else if ((err as { referenced?: boolean }).referenced) {
            // Still referenced by a GslbService we don't manage: leave it, it is not ours to break.
            log.warn({ hm: op.name, tenant: t }, 'stale health monitor is still referenced; not deleted');
            M.operations.inc({ op: op.op, result: 'skipped' });
            return;
          } else throw err;
        }
        cache.setHm(t, undefined, op.name);
        break;
    }
    M.operations.inc({ op: op.op, result: 'ok' });
  } catch (err) {
    M.operations.inc({ op: op.op, result: errClass(err) ?? 'error' });
    const cls = errClass(err);
    const alreadyExists = (err as { alreadyExists?: boolean }).alreadyExists === true;
    if (cls === 'not-found' || cls === 'conflict' || alreadyExists) await refreshKey(avi, cache, op, createdBy).catch(() => undefined);
    throw err;
  }
}

async function refreshKey(avi: AviApi, cache: AviStateCache, op: AviOperation, createdBy: string): Promise<void> {
  if (op.op === 'create-hm' || op.op === 'update-hm' || op.op === 'delete-hm') {
    cache.setHm(op.tenant, await avi.getHealthMonitor(op.name, op.tenant), op.name);
    return;
  }
  const gs = await avi.getGslbService(op.name, op.tenant);
  cache.setGs(op.key, gs && gs.created_by === createdBy ? gs : undefined);
}
