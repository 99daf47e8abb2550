// Field-wise comparison of desired vs actual Avi objects, and the exact list of
// operations for one `tenant/gsName` key. Both sides are projected onto a
// canonical form first (canon.ts): refs by name (uuid refs resolved), defaults
// the controller fills in, order-insensitive lists sorted. Only fields AMKO
// manages are compared, so a field the controller adds never causes a write.
import type { GslbService, HealthMonitor } from '../avi/types.js';
import { hmGsName, hmName, isStored, ownsHm, type ActualGs, type ActualHm, type ActualKeyState } from './avi-state.js';
import { canonGsBase, canonHm, projectGs } from './canon.js';
import type { DesiredGs } from './desired/gslbservice.js';

export type AviOperation =
  | { op: 'create-hm'; key: string; tenant: string; name: string; hm: HealthMonitor }
  | { op: 'update-hm'; key: string; tenant: string; name: string; uuid: string; hm: HealthMonitor; changes: FieldChange[] }
  | { op: 'create-gs'; key: string; tenant: string; name: string; gs: GslbService }
  | { op: 'update-gs'; key: string; tenant: string; name: string; uuid: string; gs: GslbService; changes: FieldChange[] }
  | { op: 'delete-gs'; key: string; tenant: string; name: string; uuid: string }
  | { op: 'delete-hm'; key: string; tenant: string; name: string; uuid: string };

export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

export interface DiffContext {
  createdBy: string;
  /** uuid → name for objects referenced by uuid (health monitors, profiles). */
  refNames: ReadonlyMap<string, string>;
}

/**
 * Canonical form of a GslbService. `desired` (when projecting the actual
 * object) decides which algorithm-dependent and controller-defaulted fields
 * are compared.
 */
export function canonGs(gs: ActualGs, ctx: Pick<DiffContext, 'refNames'>, desired?: GslbService) {
  const base = isStored(gs) ? gs.canon : canonGsBase(gs);
  return projectGs(base, ctx, desired);
}

/** Deep field-wise diff of two canonical values; lists the changed leaf paths. */
export function fieldDiff(from: unknown, to: unknown, path = ''): FieldChange[] {
  if (Object.is(from, to)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (Array.isArray(from) && Array.isArray(to)) {
    if (from.length !== to.length) return [{ path: path || '.', from, to }];
    return from.flatMap((f, i) => fieldDiff(f, to[i], `${path}[${i}]`));
  }
  if (isObj(from) && isObj(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((k) => fieldDiff(from[k], to[k], path ? `${path}.${k}` : k));
  }
  if (from === undefined && to === undefined) return [];
  return [{ path: path || '.', from, to }];
}

export function gsChanges(desired: GslbService, actual: ActualGs, ctx: Pick<DiffContext, 'refNames'>): FieldChange[] {
  return fieldDiff(canonGs(actual, ctx, desired), canonGs(desired, ctx));
}

export function hmChanges(desired: HealthMonitor, actual: ActualHm): FieldChange[] {
  return fieldDiff(isStored(actual) ? actual.canon : canonHm(actual), canonHm(desired));
}

/** Owned monitors that belong to `gsName` (by description). */
export function ownedHmsOf(gsName: string, hms: ReadonlyMap<string, ActualHm>, createdBy: string): ActualHm[] {
  return [...hms.values()].filter((h) => ownsHm(h, createdBy) && hmGsName(h) === gsName);
}

/**
 * The operations that take one key from `actual` to `desired`, in order:
 * monitor creates/updates, then the GslbService create/update/delete, then
 * deletes of this instance's monitors that the key no longer uses.
 */
export function diffKey(
  key: string,
  tenant: string,
  gsName: string,
  desired: DesiredGs | undefined,
  actual: ActualKeyState,
  ctx: DiffContext,
): AviOperation[] {
  const ops: AviOperation[] = [];
  const wanted = new Set<string>();
  for (const hm of desired?.hms ?? []) {
    wanted.add(hm.name);
    const cur = actual.hms.get(hm.name);
    if (!cur) ops.push({ op: 'create-hm', key, tenant, name: hm.name, hm });
    else {
      const changes = hmChanges(hm, cur);
      if (changes.length > 0) ops.push({ op: 'update-hm', key, tenant, name: hm.name, uuid: cur.uuid ?? '', hm, changes });
    }
  }
  if (desired && !actual.gs) ops.push({ op: 'create-gs', key, tenant, name: gsName, gs: desired.gs });
  else if (desired && actual.gs) {
    const changes = gsChanges(desired.gs, actual.gs, ctx);
    if (changes.length > 0) ops.push({ op: 'update-gs', key, tenant, name: gsName, uuid: actual.gs.uuid ?? '', gs: desired.gs, changes });
  } else if (!desired && actual.gs) {
    ops.push({ op: 'delete-gs', key, tenant, name: gsName, uuid: actual.gs.uuid ?? '' });
  }
  const owned = actual.owned ? [...actual.owned] : ownedHmsOf(gsName, actual.hms, ctx.createdBy);
  for (const hm of owned.sort((a, b) => hmName(a).localeCompare(hmName(b)))) {
    const name = hmName(hm);
    if (!wanted.has(name)) ops.push({ op: 'delete-hm', key, tenant, name, uuid: hm.uuid ?? '' });
  }
  return ops;
}

/** The first line of describeOperation: what is done to which object (the worker's log line per write). */
export function operationHeadline(op: AviOperation): string {
  switch (op.op) {
    case 'create-hm':
      return `+ healthmonitor ${op.tenant}/${op.name} (${op.hm.type}, port ${op.hm.monitor_port})`;
    case 'update-hm':
      return `~ healthmonitor ${op.tenant}/${op.name}`;
    case 'delete-hm':
      return `- healthmonitor ${op.tenant}/${op.name}`;
    case 'create-gs':
      return `+ gslbservice ${op.tenant}/${op.name}`;
    case 'update-gs':
      return `~ gslbservice ${op.tenant}/${op.name}`;
    case 'delete-gs':
      return `- gslbservice ${op.tenant}/${op.name}`;
  }
}

/** One line per operation, with the changed fields: for logs and `amko plan`. */
export function describeOperation(op: AviOperation): string {
  const fmt = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  switch (op.op) {
    case 'create-hm':
    case 'delete-hm':
    case 'delete-gs':
      return operationHeadline(op);
    case 'create-gs': {
      const lines = [operationHeadline(op)];
      for (const g of op.gs.groups) {
        lines.push(`    group ${g.name} priority ${g.priority} ${g.algorithm}`);
        for (const m of g.members) lines.push(`      member ${m.ip.addr} ratio ${m.ratio}${m.public_ip ? ` public ${m.public_ip.ip.addr}` : ''}`);
      }
      if (op.gs.ttl !== undefined) lines.push(`    ttl ${op.gs.ttl}`);
      if (op.gs.health_monitor_refs) lines.push(`    health monitors ${op.gs.health_monitor_refs.length}`);
      lines.push(`    members: ${op.gs.description ?? ''}`);
      return lines.join('\n');
    }
    case 'update-hm':
    case 'update-gs':
      return [operationHeadline(op), ...op.changes.map((c) => `    ${c.path}: ${fmt(c.from)} -> ${fmt(c.to)}`)].join('\n');
  }
}

