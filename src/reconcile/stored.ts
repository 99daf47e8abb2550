// How the worker's cache (AviStateCache) keeps a controller object: its uuid and the canonical form the diff
// compares (canon.ts), split into what differs from object to object (names, description, monitor refs,
// members) and the rest, which thousands of objects have alike (the settings of one GDP, one monitor
// template) and which is kept once. `canon` puts the two together again, key for key as canon.ts made it.
// A canonical field that differs per object (as names do) belongs with the own fields: in the shared part it
// would be kept per object anyway, past POOL_LIMIT distinct parts.
import type { GslbService, HealthMonitor } from '../avi/types.js';
import { canonGsBase, canonHm, type CanonGsBase, type CanonHm } from './canon.js';

type CanonGroup = CanonGsBase['groups'][number];

/** Distinct shared parts kept (a few per GDP and template); past this, parts are kept per object. */
const POOL_LIMIT = 1_000;

/**
 * One frozen copy per distinct part (by its JSON). The part has every key of its canonical form, those kept per
 * object set to undefined, so that spreading it first and the object's own values after keeps canon.ts's key order.
 */
function pooled<T extends object>(pool: Map<string, T>, part: T): T {
  const key = JSON.stringify(part);
  const hit = pool.get(key);
  if (hit) return hit;
  const frozen = Object.freeze(part);
  if (pool.size < POOL_LIMIT) pool.set(key, frozen);
  return frozen;
}

/** Deep equality, leaves by Object.is (as the diff compares them). */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const hmParts = new Map<string, CanonHm>();
const gsParts = new Map<string, CanonGsBase>();
const groupParts = new Map<string, readonly CanonGroup[]>();

/** What the cache keeps of a controller health monitor. */
export class StoredHm {
  readonly uuid: string | undefined;
  readonly name: string;
  readonly description: string;
  private readonly shared: CanonHm;

  constructor(hm: HealthMonitor) {
    const c = canonHm(hm);
    this.uuid = hm.uuid;
    this.name = c.name;
    this.description = c.description;
    this.shared = pooled(hmParts, { ...c, name: undefined!, description: undefined! });
  }

  get createdBy(): string | undefined {
    return this.shared.created_by;
  }

  /** Whether `o` stores the same monitor (uuid and canonical form). */
  sameAs(o: StoredHm): boolean {
    return this.uuid === o.uuid && same(this.canon, o.canon);
  }

  /** canonHm of the monitor. */
  get canon(): CanonHm {
    return { ...this.shared, name: this.name, description: this.description };
  }
}

/** What the cache keeps of a controller GslbService. */
export class StoredGs {
  readonly uuid: string | undefined;
  readonly name: string;
  private readonly domainNames: string[];
  private readonly description: string;
  private hmRefs: string[];
  private readonly shared: CanonGsBase;
  /** The groups without their members (shared), and the members of each group. */
  private readonly groups: readonly CanonGroup[];
  private readonly members: ReadonlyArray<CanonGroup['members']>;

  /** @param known uuid → name of the monitors the cache knows (canonGsBase: monitor refs share those names) */
  constructor(gs: GslbService, known?: ReadonlyMap<string, string>) {
    const c = canonGsBase(gs, known);
    this.uuid = gs.uuid;
    this.name = c.name;
    this.domainNames = c.domain_names;
    this.description = c.description;
    this.hmRefs = c.health_monitor_refs;
    this.shared = pooled(gsParts, { ...c, name: undefined!, domain_names: undefined!, description: undefined!, health_monitor_refs: undefined!, groups: undefined! });
    this.groups = pooled(groupParts, c.groups.map((g) => Object.freeze({ ...g, members: undefined! })));
    this.members = c.groups.map((g) => g.members);
  }

  get createdBy(): string | undefined {
    return this.shared.created_by;
  }

  /**
   * Makes the monitor refs share the names `names` holds (name → that name as the cache keeps it): a name parsed
   * out of a ref is a slice that keeps the whole ref alive. The refs read the same after.
   */
  shareRefNames(names: ReadonlyMap<string, string>): void {
    this.hmRefs = this.hmRefs.map((r) => names.get(r) ?? r);
  }

  /** Whether `o` stores the same GslbService (uuid and canonical form). */
  sameAs(o: StoredGs): boolean {
    return this.uuid === o.uuid && same(this.canon, o.canon);
  }

  /** canonGsBase of the GslbService. */
  get canon(): CanonGsBase {
    return {
      ...this.shared,
      name: this.name,
      domain_names: this.domainNames,
      description: this.description,
      health_monitor_refs: this.hmRefs,
      groups: this.groups.map((g, i) => ({ ...g, members: this.members[i]! })),
    };
  }
}
