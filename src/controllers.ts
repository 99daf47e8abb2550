// The AMKO controllers on one process manager: the shared own-cluster cache,
// the one Lease, the AMKOCluster role (read from the cache), the reconcile
// worker and the federator (both leader-only), and the live log level. `amko
// serve` adds the certificates and the admission server to the same manager;
// tests and benchmarks run it as it is.
import os from 'node:os';
import type { KubeConfigLike } from './kube/config.js';
import { AMKO_NAMESPACE } from './api/common.js';
import type { AMKOCluster } from './api/amkocluster.js';
import { Federator, type FederatorOptions } from './federation/federator.js';
import { watchRole, type RoleWatcher } from './federation/role.js';
import type { Logger } from './log.js';
import { OwnClusterCache } from './manager/cache.js';
import { logLevelFollower } from './reconcile/log-level.js';
import { Manager, type LeaderElectionConfig } from './manager/manager.js';
import { withDefaults } from './options.js';
import { ReconcileWorker, type ReconcileWorkerOptions } from './reconcile/worker.js';

/** The name of the process's Lease (the chart's RBAC grants it). */
export const LEASE_NAME = 'amko-reconcile-worker';

export type LeaderElectionOptions = Partial<Omit<LeaderElectionConfig, 'kubeConfig' | 'namespace' | 'identity'>>;

export interface ControllersOptions {
  kubeConfig: KubeConfigLike;
  namespace?: string;
  log: Logger;
  /** This replica's name: its Lease identity and the Events' reportingInstance. */
  identity: string;
  /** The Lease (default on, named LEASE_NAME); `false`: this replica always leads. */
  leaderElection?: LeaderElectionOptions | false;
  /** The AMKOCluster role; default: watched through the cache; `false`: no role gating (always syncToAvi). */
  role?: RoleWatcher | false;
  /** The reconcile worker (`false`: none, `--no-worker`). */
  worker: Omit<ReconcileWorkerOptions, 'kubeConfig' | 'namespace' | 'log' | 'identity'> | false;
  /** The federator (`false`: none, `--no-federation`). */
  federation: Omit<FederatorOptions, 'kubeConfig' | 'namespace' | 'log' | 'identity' | 'cache'> | false;
  /** Follow the GSLBConfig's spec.logLevel live (on every replica). Default true. */
  followLogLevel?: boolean;
}

export interface Controllers {
  manager: Manager;
  cache: OwnClusterCache;
  role?: RoleWatcher;
  worker?: ReconcileWorker;
  federator?: Federator;
}

export function createControllers(o: ControllersOptions): Controllers {
  const namespace = o.namespace ?? AMKO_NAMESPACE;
  const cache = new OwnClusterCache(o.kubeConfig, { namespace, log: o.log });
  const le = o.leaderElection ?? {};
  const manager = new Manager({
    log: o.log,
    cache,
    leaderElection: le === false ? false : withDefaults({ kubeConfig: o.kubeConfig, namespace, identity: o.identity, leaseName: LEASE_NAME }, le),
  });
  const role =
    o.role === false
      ? undefined
      : (o.role ?? watchRole(o.kubeConfig, { namespace, log: o.log, informer: cache.informer<AMKOCluster & { metadata?: { name?: string } }>('AMKOCluster') }));
  const out: Controllers = { manager, cache, role };
  if (o.followLogLevel !== false) manager.add(logLevelFollower(cache, o.log));
  if (o.worker) {
    out.worker = new ReconcileWorker({ ...o.worker, kubeConfig: o.kubeConfig, namespace, log: o.log, identity: o.identity }, { cache, lease: manager, role });
    manager.add(out.worker);
  }
  if (o.federation) {
    out.federator = new Federator({ ...o.federation, kubeConfig: o.kubeConfig, namespace, log: o.log, identity: o.identity, cache });
    manager.add(out.federator);
  }
  return out;
}

/** This process's name when none is configured (`amko serve` uses the pod name). */
export function processIdentity(): string {
  return `${os.hostname()}-${process.pid}`;
}

export interface StandaloneWorkerOptions extends ReconcileWorkerOptions {
  /** The Lease (default on); `false`: this replica always leads. */
  leaderElection?: (LeaderElectionOptions & { identity?: string }) | false;
  /** The AMKOCluster role; default: watched; `false`: no role gating. */
  role?: RoleWatcher | false;
}

/**
 * The reconcile worker as a process of its own (tests, benchmarks): a manager with its own cache and Lease
 * that runs one worker, exactly as `amko serve` runs it, without the admission server and the federator.
 */
export class StandaloneWorker {
  readonly manager: Manager;
  readonly worker: ReconcileWorker;
  private readonly roleWatcher?: RoleWatcher;

  constructor(o: StandaloneWorkerOptions) {
    const { leaderElection, role, ...worker } = o;
    const { identity: leaseIdentity, ...lease } = leaderElection || {};
    const c = createControllers({
      kubeConfig: o.kubeConfig,
      namespace: o.namespace,
      log: o.log,
      identity: o.identity ?? leaseIdentity ?? processIdentity(),
      leaderElection: leaderElection === false ? false : lease,
      role,
      worker,
      federation: false,
      followLogLevel: false,
    });
    this.manager = c.manager;
    this.worker = c.worker!;
    this.roleWatcher = c.role;
  }

  start(): Promise<void> {
    return this.manager.start();
  }

  stop(): Promise<void> {
    return this.manager.stop();
  }

  holdsLease(): boolean {
    return this.manager.holdsLease();
  }

  onLeaseChange(listener: (held: boolean) => void): () => void {
    return this.manager.onLeaseChange(listener);
  }

  /** Syncing to Avi: the Lease is held and the role says syncToAvi. */
  isLeader(): boolean {
    return this.worker.isLeader();
  }

  ready(): boolean {
    return this.worker.ready();
  }

  roleState() {
    return this.worker.roleState();
  }

  idle(): Promise<void> {
    return this.worker.idle();
  }

  fullResync(): Promise<void> {
    return this.worker.fullResync();
  }

  get queue() {
    return this.worker.queue;
  }

  snapshot() {
    return { ...this.worker.snapshot(), lease: this.manager.holdsLease(), role: (this.roleWatcher?.current() ?? this.worker.roleState()).role };
  }
}

export function createReconcileWorker(o: StandaloneWorkerOptions): StandaloneWorker {
  return new StandaloneWorker(o);
}
