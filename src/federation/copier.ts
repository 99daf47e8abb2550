// Copies the leader's objects of every federated kind to one valid member:
// plan (create / replace / delete) against the member's current objects, then
// write. A transport-level failure (unreachable, timeout, 5xx, 429) stops the
// member for this round and backs it off; a rejected write is reported per
// object and the rest continues.
import { KINDS, apiVersionOf } from '../api/kinds.js';
import type { Logger } from '../log.js';
import { isEmptyPlan, planFollower } from './copy.js';
import { errorText, statusCode } from '../kube/errors.js';
import { FEDERATED_KINDS, type FederatedKind, type MemberPool, type MemberState, type Obj } from './members.js';
import { federationMetrics as M } from './metrics.js';

/** Errors that mean "could not talk to the cluster" (transport, timeouts, 5xx, 429) rather than a rejected write. */
export function isTransient(err: unknown): boolean {
  const c = statusCode(err);
  return c === undefined || c >= 500 || c === 429;
}

export interface CopyOutcome {
  /** Per federated kind: '' = in sync, otherwise the error. */
  kinds: Partial<Record<FederatedKind, string>>;
  retryAt?: number;
}

export class Copier {
  constructor(
    private readonly namespace: string,
    private readonly pool: MemberPool,
    /** The leader's objects of a kind, sorted by name. */
    private readonly leaderObjects: (kind: FederatedKind) => Obj[],
    private readonly log?: Logger,
  ) {}

  /** Brings one valid member's copies of every federated kind in line with the leader. */
  async federateMember(m: MemberState, o: CopyOutcome, now: number): Promise<void> {
    let transient: string | undefined;
    for (const kind of FEDERATED_KINDS) {
      if (transient) {
        o.kinds[kind] = transient;
        continue;
      }
      try {
        const errs = await this.federateKind(m, kind);
        o.kinds[kind] = errs.join('; ');
      } catch (err) {
        const text = errorText(err);
        o.kinds[kind] = text;
        if (isTransient(err)) transient = text;
      }
    }
    if (transient) {
      this.pool.failed(m, transient, now);
      o.retryAt = m.retryAt;
    } else {
      this.pool.succeeded(m);
    }
  }

  /** Returns per-object write errors (rejected writes); throws when the member cannot be listed or reached. */
  private async federateKind(m: MemberState, kind: FederatedKind): Promise<string[]> {
    const ns = this.namespace;
    const copyOpts = {
      apiVersion: apiVersionOf(kind),
      kind: KINDS[kind].kind,
      namespace: ns,
      copyUuidAnnotation: kind === 'GSLBConfig',
    };
    const current = (await m.objects.list<Obj>(kind, ns)).items;
    const plan = planFollower(this.leaderObjects(kind), current, copyOpts);
    if (isEmptyPlan(plan)) return [];
    const errors: string[] = [];
    const run = async (op: string, name: string, f: () => Promise<unknown>) => {
      try {
        await f();
        M.writes.inc({ cluster: m.cluster, kind, op });
        this.log?.info({ cluster: m.cluster, kind, name, op }, 'federated');
      } catch (err) {
        if (isTransient(err)) throw err;
        errors.push(`${op} ${KINDS[kind].singular} ${name}: ${errorText(err)}`);
      }
    };
    for (const name of plan.delete) await run('delete', name, () => m.objects.delete(kind, ns, name));
    for (const obj of plan.update) {
      const name = obj.metadata!.name!;
      await run('update', name, () => m.objects.replace(kind, ns, name, obj));
    }
    for (const obj of plan.create) {
      const name = obj.metadata!.name!;
      await run('create', name, () => m.objects.create(kind, ns, obj));
    }
    return errors;
  }
}
