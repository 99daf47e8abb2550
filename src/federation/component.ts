// The federator as a long-running part of `amko serve`: it runs only on the
// replica that holds the Lease, so two replicas never federate at once. While
// it runs, the Federator itself follows the AMKOCluster role: it copies objects
// only when the role is `leader` (role.federate) and otherwise just records on
// the AMKOCluster status that this instance does not federate.
import type { LeaseSource } from '../kube/lease.js';
import { Federator, type FederatorOptions } from './federator.js';

export interface FederationComponentOptions extends FederatorOptions {
  /** Who holds the Lease (the reconcile worker). */
  lease: LeaseSource;
}

export interface FederationComponent {
  readonly name: 'federator';
  start(): Promise<void>;
  stop(): Promise<void>;
  ready(): boolean;
  /** The running Federator (undefined while this replica does not hold the Lease). */
  federator(): Federator | undefined;
  /** Resolves when the last lease-driven start/stop has finished. */
  settled(): Promise<void>;
}

export function createFederationComponent(options: FederationComponentOptions): FederationComponent {
  const { lease, ...fedOptions } = options;
  const log = fedOptions.log?.child({ component: 'federation' });
  let running = false;
  let current: Federator | undefined;
  let chain: Promise<void> = Promise.resolve();
  let off: (() => void) | undefined;

  /** Serialized: brings the Federator in line with (running && lease held). */
  const apply = () => {
    chain = chain.then(async () => {
      const want = running && lease.holdsLease();
      if (want && !current) {
        const f = new Federator(fedOptions);
        current = f;
        log?.info('lease held: federator started');
        try {
          await f.start();
        } catch (err) {
          log?.error({ err }, 'federator failed to start');
        }
      } else if (!want && current) {
        const f = current;
        current = undefined;
        log?.info('lease not held: federator stopped');
        await f.stop().catch((err: unknown) => log?.error({ err }, 'federator stop failed'));
      }
    });
  };

  return {
    name: 'federator',
    async start() {
      if (running) return;
      running = true;
      off = lease.onLeaseChange(() => apply());
      apply();
    },
    async stop() {
      running = false;
      off?.();
      off = undefined;
      apply();
      await chain;
    },
    ready: () => true,
    federator: () => current,
    settled: () => chain,
  };
}
