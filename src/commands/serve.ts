// `amko serve`: the HTTPS admission webhook (validate + mutate), composed with
// the other long-running parts of the process as a list of components that
// start in order and stop in reverse order.
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { LevelWithSilent } from 'pino';
import { createAdmissionApp, DEFAULT_BODY_LIMIT } from '../admission/app.js';
import { admissionView, type AdmissionView } from '../admission/view.js';
import { OwnClusterCache } from '../manager/cache.js';
import { startHttpsServer, type HttpsServerHandle } from '../admission/server.js';
import { fileCertificateSource } from '../certs/local-files.js';
import { ensureLocalCertificates } from '../certs/local.js';
import { addSecretCertOptions, createSecretCertificateManager, secretCertOptionsFrom, type SecretCertServeOptions } from '../certs/serve-options.js';
import { parseDuration } from '../certs/secret-source.js';
import type { CertificateSource } from '../certs/source.js';
import { loadOwnKubeConfig } from '../kube/kubeconfig.js';
import { createLogger, type Logger } from '../log.js';
import { createFederationComponent } from '../federation/component.js';
import { LEADER_ELECTION_DEFAULTS, leaderElectionTiming, type LeaderElectionTiming, type LeaseSource } from '../kube/lease.js';
import { createReconcileWorker } from '../reconcile/index.js';

/** One long-running part of the process. */
export interface Component {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Contributes to GET /readyz; omit for parts that are ready once started. */
  ready?(): boolean;
  /**
   * First step of a shutdown, before any component stops (the HTTPS server may take 10 s to drain):
   * the worker stops writing to Avi and releases its Lease, so another replica takes over at its next retry.
   */
  handOver?(): Promise<void>;
}

export interface ServeOptions {
  port: number;
  host: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  certDir: string;
  kubeconfig?: string;
  /** false: do not start the reconcile worker (--no-worker). */
  worker: boolean;
  memberKubeconfig?: string;
  /** false: do not run the AMKOCluster federator (--no-federation). Default true. */
  federation?: boolean;
  /** PEM CA file for the Avi controller's certificate (--avi-ca-file, env AVI_CA_FILE). */
  aviCaFile?: string;
  /** Do not verify the Avi controller's certificate (--avi-insecure-skip-tls-verify). */
  aviInsecureSkipTlsVerify?: boolean;
  /** The worker's global Avi-call budget per second (--avi-max-calls-per-second, env AVI_MAX_CALLS_PER_SECOND; default 100). */
  aviMaxCallsPerSecond?: number;
  /** The worker's leader election (--leader-elect-lease-duration, --leader-elect-renew-deadline, --leader-elect-retry-period). */
  leaderElection?: Partial<LeaderElectionTiming>;
  logLevel?: LevelWithSilent;
  serviceName?: string;
  certPollMs?: number;
  /** In-cluster certificate in a Secret (created, injected, rotated); replaces the local files. */
  certSecret?: SecretCertServeOptions;
  log?: Logger;
}

export interface RunningServer {
  url: string;
  port: number;
  components: Component[];
  log: Logger;
  stop(): Promise<void>;
}

export async function startServe(opts: ServeOptions): Promise<RunningServer> {
  const log = opts.log ?? createLogger({ level: opts.logLevel });
  const components: Component[] = [];
  const started: Component[] = [];
  let certs: CertificateSource | undefined;
  let https: HttpsServerHandle | undefined;

  // 1. Serving certificate: given files (hot-reloaded) or a generated local CA + certificate.
  if (!opts.certSecret) components.push({
    name: 'certificates',
    async start() {
      let certFile = opts.tlsCertFile;
      let keyFile = opts.tlsKeyFile;
      let caFile: string | undefined;
      if (!certFile || !keyFile) {
        if (certFile || keyFile) throw new Error('--tls-cert-file and --tls-key-file must be given together');
        const local = await ensureLocalCertificates({ certDir: opts.certDir, serviceName: opts.serviceName });
        log.info({ certDir: path.resolve(opts.certDir), generated: local.generated, caFile: local.caFile }, 'local serving certificate');
        ({ certFile, keyFile, caFile } = local);
      }
      certs = fileCertificateSource({ certFile, keyFile, caFile, pollMs: opts.certPollMs, log });
    },
    async stop() {
      certs?.close?.();
    },
    ready: () => certs !== undefined,
  });

  // 2. Own-cluster cache for cross-object rules (in-cluster or --kubeconfig).
  const kc = loadOwnKubeConfig(opts.kubeconfig, process.env.KUBERNETES_SERVICE_HOST !== undefined);
  let view: AdmissionView | undefined;
  if (kc) {
    const c = new OwnClusterCache(kc, { log });
    view = admissionView(c);
    components.push({ name: 'cluster-cache', start: () => c.start(), stop: () => c.stop(), ready: () => c.isSynced() });
  } else {
    log.warn('no cluster connection (not in a cluster, no --kubeconfig): cross-object rules are skipped');
  }

  // 3. In-cluster certificate manager: the Secret is the source of truth; ready once the CA is injected.
  if (opts.certSecret) {
    if (!kc) throw new Error('--cert-secret needs a cluster connection (in-cluster or --kubeconfig)');
    const manager = createSecretCertificateManager(kc, opts.certSecret, opts.serviceName, log);
    components.push({
      name: 'certificates',
      async start() {
        await manager.start();
        certs = manager;
      },
      stop: () => manager.stop(),
      ready: () => manager.ready(),
    });
  }

  // 4. Reconcile worker: syncs to Avi only while it holds the Lease and the AMKOCluster role says so
  //    (both live; idle until a GSLBConfig exists); --no-worker turns it off.
  let lease: LeaseSource | undefined;
  if (opts.aviInsecureSkipTlsVerify) log.warn('--avi-insecure-skip-tls-verify: the Avi controller certificate is not verified');
  if (opts.worker && kc) {
    const worker = createReconcileWorker({
      kubeConfig: kc,
      memberKubeconfig: opts.memberKubeconfig,
      aviCaFile: opts.aviCaFile,
      aviInsecureSkipTlsVerify: opts.aviInsecureSkipTlsVerify,
      aviMaxCallsPerSecond: opts.aviMaxCallsPerSecond,
      leaderElection: opts.leaderElection,
      log,
    });
    // Not part of /readyz: a replica whose worker waits for Avi (unreachable, refused credentials, first
    // resync) must still answer admission, or a failurePolicy Fail webhook would refuse the very GSLBConfig
    // or Secret fix the worker is waiting for.
    components.push({ name: worker.name, start: () => worker.start(), stop: () => worker.stop(), handOver: () => worker.handOver() });
    lease = worker;
  } else if (opts.worker) {
    log.warn('no cluster connection: the reconcile worker is not started');
  }

  // 4b. Federator: runs next to the worker on the Lease holder only (two replicas never federate at once)
  //     and copies objects only while the AMKOCluster role is leader. Off with --no-worker or --no-federation.
  if (lease && kc && opts.federation !== false) {
    components.push(createFederationComponent({ kubeConfig: kc, memberKubeConfig: opts.memberKubeconfig, lease, log }));
  }

  // 5. The HTTPS admission server, last to start and first to stop.
  const readiness = () => components.filter((c) => c.ready && !c.ready()).map((c) => `${c.name} not ready`);
  const app = createAdmissionApp({ view, log, bodyLimit: DEFAULT_BODY_LIMIT, readiness });
  components.push({
    name: 'https-server',
    async start() {
      if (!certs) throw new Error('no certificate source');
      https = await startHttpsServer(app, certs, { host: opts.host, port: opts.port, log });
      log.info({ url: https.url, host: https.host, port: https.port }, 'admission webhook listening');
    },
    async stop() {
      await https?.close();
    },
    ready: () => https !== undefined,
  });

  const stop = async () => {
    await Promise.all(
      started.map((c) => c.handOver?.().catch((err: unknown) => log.error({ component: c.name, err }, 'hand-over failed'))),
    );
    for (const c of started.splice(0).reverse()) {
      try {
        await c.stop();
      } catch (err) {
        log.error({ component: c.name, err }, 'stop failed');
      }
    }
  };
  try {
    for (const c of components) {
      await c.start();
      started.push(c);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: https!.url, port: https!.port, components, log, stop };
}

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description('serve the validating and defaulting admission webhooks over HTTPS')
    .addOption(new Option('--port <port>', 'HTTPS port').env('PORT').default('8443'))
    .addOption(new Option('--host <host>', 'address to bind').env('HOST').default('0.0.0.0'))
    .option('--tls-cert-file <file>', 'serving certificate (PEM); reloaded when it changes')
    .option('--tls-key-file <file>', 'serving key (PEM); reloaded when it changes')
    .option('--cert-dir <dir>', 'where a generated CA and certificate are kept when no certificate is given', 'certs/')
    .option('--kubeconfig <file>', "kubeconfig of the server's own cluster (default: in-cluster, if running in one)")
    .option('--no-worker', 'do not run the GSLB reconcile worker')
    .option('--no-federation', 'do not run the AMKOCluster federator (it runs with the worker, on the Lease holder)')
    .addOption(new Option('--member-kubeconfig <file>', 'kubeconfig with one context per member cluster').env('GSLB_CONFIG'))
    .addOption(new Option('--avi-ca-file <file>', "PEM CA(s) the Avi controller's certificate must chain to (default: system CAs)").env('AVI_CA_FILE'))
    // Not commander's .env(): that turns a boolean flag on for any value, "false" included.
    .option('--avi-insecure-skip-tls-verify', "do not verify the Avi controller's certificate (insecure; logged at warn; env AVI_INSECURE_SKIP_TLS_VERIFY=true)")
    .addOption(
      new Option('--avi-max-calls-per-second <n>', 'global budget of Avi calls per second for the reconcile worker (0: unlimited)').env('AVI_MAX_CALLS_PER_SECOND').default('100'),
    )
    .addOption(
      new Option('--leader-elect-lease-duration <duration>', 'how long the Lease stays valid without a renewal; a standby takes over after it')
        .env('LEADER_ELECT_LEASE_DURATION')
        .default(seconds(LEADER_ELECTION_DEFAULTS.leaseDurationMs)),
    )
    .addOption(
      new Option('--leader-elect-renew-deadline <duration>', 'a leader that has not renewed the Lease for this long stops writing to Avi (must be < the lease duration)')
        .env('LEADER_ELECT_RENEW_DEADLINE')
        .default(seconds(LEADER_ELECTION_DEFAULTS.renewDeadlineMs)),
    )
    .addOption(
      new Option('--leader-elect-retry-period <duration>', 'interval of Lease renewals and acquisition attempts (must be < the renew deadline)')
        .env('LEADER_ELECT_RETRY_PERIOD')
        .default(seconds(LEADER_ELECTION_DEFAULTS.retryPeriodMs)),
    )
    .addOption(new Option('--service-name <name>', 'in-cluster Service name, for the generated certificate').env('SERVICE_NAME').default('amko-webhook'))
    .addOption(
      new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).env('LOG_LEVEL'),
    );
  addSecretCertOptions(serve).action(async (o: Record<string, string | boolean | undefined>) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        console.error(`amko serve: invalid --port ${String(o.port)}`);
        process.exit(2);
      }
      const aviMaxCallsPerSecond = Number(o.aviMaxCallsPerSecond);
      if (!Number.isFinite(aviMaxCallsPerSecond) || aviMaxCallsPerSecond < 0) {
        console.error(`amko serve: invalid --avi-max-calls-per-second ${String(o.aviMaxCallsPerSecond)}`);
        process.exit(2);
      }
      let leaderElection: LeaderElectionTiming;
      try {
        leaderElection = leaderElectionTiming({
          leaseDurationMs: parseDuration(String(o.leaderElectLeaseDuration)),
          renewDeadlineMs: parseDuration(String(o.leaderElectRenewDeadline)),
          retryPeriodMs: parseDuration(String(o.leaderElectRetryPeriod)),
        });
      } catch (err) {
        console.error(`amko serve: invalid --leader-elect-* flags: ${(err as Error).message}`);
        process.exit(2);
      }
      const log = createLogger({ level: o.logLevel as LevelWithSilent | undefined, asyncStdout: true });
      // Handlers first: a SIGTERM during start-up (the webhook may already listen) stops what has started.
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'shutting down: finishing in-flight requests');
        starting.then((running) => running.stop()).then(
          () => {
            log.info('stopped');
            process.exit(0);
          },
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      const starting = startServe({
        port,
        host: String(o.host),
        tlsCertFile: o.tlsCertFile as string | undefined,
        tlsKeyFile: o.tlsKeyFile as string | undefined,
        certDir: String(o.certDir),
        kubeconfig: o.kubeconfig as string | undefined,
        worker: o.worker !== false,
        memberKubeconfig: o.memberKubeconfig as string | undefined,
        federation: o.federation !== false,
        aviCaFile: (o.aviCaFile as string | undefined) || undefined,
        aviInsecureSkipTlsVerify: o.aviInsecureSkipTlsVerify === true || process.env.AVI_INSECURE_SKIP_TLS_VERIFY === 'true',
        aviMaxCallsPerSecond,
        leaderElection,
        serviceName: o.serviceName as string | undefined,
        certSecret: secretCertOptionsFrom(o),
        log,
      });
      try {
        await starting;
      } catch (err) {
        log.fatal({ err }, 'amko serve failed to start');
        process.exit(1);
      }
    });
}

/** A duration flag's default, in the form the flag takes (`15s`). */
function seconds(ms: number): string {
  return `${ms / 1000}s`;
}
