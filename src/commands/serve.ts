// `amko serve`: the HTTPS admission webhook (validate + mutate) and the AMKO
// controllers on one process manager (src/manager, src/controllers.ts): the
// serving certificate and the admission server run on every replica; the
// reconcile worker and the federator only on the Lease holder. Flags and the
// environment are read once, here, into a ServeOptions object.
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { LevelWithSilent } from 'pino';
import { startHttpsServer, type HttpsServerHandle } from '../admission/server.js';
import type { CachedAdmissionView } from '../admission/view.js';
import { fileCertificateSource } from '../certs/local-files.js';
import { ensureLocalCertificates } from '../certs/local.js';
import { addSecretCertOptions, createSecretCertificateManager, secretCertOptionsFrom, type SecretCertServeOptions } from '../certs/serve-options.js';
import type { CertificateSource } from '../certs/source.js';
import { availableCpus } from '../cpus.js';
import { parseDuration } from '../duration.js';
import { LEADER_ELECTION_DEFAULTS, leaderElectionTiming, type LeaderElectionTiming } from '../kube/lease.js';
import { createLogger, type Logger } from '../log.js';
import { Manager } from '../manager/manager.js';

/** Everything `amko serve` runs with: its flags and environment, read once. */
export interface ServeOptions {
  port: number;
  host: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  certDir: string;
  /** Kubeconfig of the own cluster (`--kubeconfig`); else the in-cluster service account when `inCluster`. */
  kubeconfig?: string;
  /** Running in a pod (env KUBERNETES_SERVICE_HOST). */
  inCluster?: boolean;
  /** This replica's name (env POD_NAME): its Lease identity and the Events' reporting instance. */
  identity?: string;
  /** false: do not run the reconcile worker (--no-worker). */
  worker: boolean;
  /** The member-cluster kubeconfig: a file path or the kubeconfig text (--member-kubeconfig, env GSLB_CONFIG). */
  memberKubeconfig?: string;
  /** false: do not run the AMKOCluster federator (--no-federation). Default true. */
  federation?: boolean;
  /** PEM CA file for the Avi controller's certificate (--avi-ca-file, env AVI_CA_FILE). */
  aviCaFile?: string;
  /** Do not verify the Avi controller's certificate (--avi-insecure-skip-tls-verify, env AVI_INSECURE_SKIP_TLS_VERIFY=true). */
  aviInsecureSkipTlsVerify?: boolean;
  /** The worker's global Avi-call budget per second (--avi-max-calls-per-second, env AVI_MAX_CALLS_PER_SECOND; default 100). */
  aviMaxCallsPerSecond?: number;
  /** The process Lease (--leader-elect-lease-duration, --leader-elect-renew-deadline, --leader-elect-retry-period). */
  leaderElection?: Partial<LeaderElectionTiming>;
  logLevel?: LevelWithSilent;
  serviceName?: string;
  certPollMs?: number;
  /** In-cluster certificate in a Secret (created, injected, rotated); replaces the local files. */
  certSecret?: SecretCertServeOptions;
  /**
   * Processes serving the webhook (--webhook-workers). 1 (the default here): this process serves it.
   * N > 1: N node:cluster workers share the listening socket and this process runs everything else.
   */
  webhookWorkers?: number;
  log?: Logger;
}

export interface RunningServer {
  url: string;
  port: number;
  manager: Manager;
  log: Logger;
  stop(): Promise<void>;
}

export async function startServe(opts: ServeOptions): Promise<RunningServer> {
  const log = opts.log ?? createLogger({ level: opts.logLevel });
  let certs: CertificateSource | undefined;
  let https: HttpsServerHandle | undefined;

  // The own cluster (in-cluster or --kubeconfig): the shared cache, the Lease and the controllers live on it.
  // The controllers are loaded only with one.
  const kc =
    opts.kubeconfig || opts.inCluster ? (await import('../kube/kubeconfig.js')).loadOwnKubeConfig(opts.kubeconfig, opts.inCluster === true) : undefined;
  if (opts.aviInsecureSkipTlsVerify) log.warn('--avi-insecure-skip-tls-verify: the Avi controller certificate is not verified');
  let manager: Manager;
  let view: CachedAdmissionView | undefined;
  if (kc) {
    const { admissionView } = await import('../admission/view.js');
    const { createControllers, processIdentity } = await import('../controllers.js');
    const identity = opts.identity ?? processIdentity();
    const c = createControllers({
      kubeConfig: kc,
      log,
      identity,
      leaderElection: opts.leaderElection,
      worker: opts.worker && {
        memberKubeconfig: opts.memberKubeconfig,
        aviCaFile: opts.aviCaFile,
        aviInsecureSkipTlsVerify: opts.aviInsecureSkipTlsVerify,
        aviMaxCallsPerSecond: opts.aviMaxCallsPerSecond,
      },
      federation: opts.federation !== false && { memberKubeConfig: opts.memberKubeconfig },
    });
    manager = c.manager;
    view = admissionView(c.cache);
  } else {
    manager = new Manager({ log, leaderElection: false });
    log.warn('no cluster connection (not in a cluster, no --kubeconfig): cross-object rules are skipped; no worker, no federation');
  }

  // 1. Serving certificate: given files (hot-reloaded), a generated local CA + certificate, or the in-cluster
  //    certificate manager (the Secret is the source of truth; ready once the CA is injected).
  if (opts.certSecret) {
    if (!kc) throw new Error('--cert-secret needs a cluster connection (in-cluster or --kubeconfig)');
    const secretCerts = await createSecretCertificateManager(kc, opts.certSecret, opts.serviceName, log);
    manager.add({
      name: 'certificates',
      async start() {
        await secretCerts.start();
        certs = secretCerts;
      },
      stop: () => secretCerts.stop(),
      ready: () => secretCerts.ready(),
    });
  } else {
    manager.add({
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
  }

  // 2. The HTTPS admission server, last to start and first to stop: in this process, or in
  //    --webhook-workers processes that share its listening socket (admission/workers/).
  const workers = opts.webhookWorkers ?? 1;
  let listening: { url: string; host: string; port: number } | undefined;
  if (workers > 1) {
    const pool = (await import('../admission/workers/pool.js')).createWebhookWorkerPool({
      workers,
      settings: { host: opts.host, port: opts.port, logLevel: log.level },
      certificates: () => certs!,
      cache: view,
      readiness: () => manager.notReady(),
      log,
    });
    manager.add({
      name: 'https-server',
      async start() {
        listening = await pool.start();
        log.info({ ...listening, workers, pids: pool.pids() }, 'admission webhook listening');
      },
      stop: () => pool.stop(),
      ready: () => listening !== undefined,
    });
  } else {
    // Loaded here, not at the top: a primary with webhook workers never serves, so it never loads the rules.
    const { createAdmissionApp } = await import('../admission/app.js');
    const app = createAdmissionApp({ view, log, readiness: () => manager.notReady() });
    manager.add({
      name: 'https-server',
      async start() {
        if (!certs) throw new Error('no certificate source');
        https = await startHttpsServer(app, certs, { host: opts.host, port: opts.port, log });
        listening = { url: https.url, host: https.host, port: https.port };
        log.info(listening, 'admission webhook listening');
      },
      async stop() {
        await https?.close();
      },
      ready: () => https !== undefined,
    });
  }

  await manager.start();
  return { url: listening!.url, port: listening!.port, manager, log, stop: () => manager.stop() };
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
    .option('--no-federation', 'do not run the AMKOCluster federator (it runs on the Lease holder)')
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
    .addOption(
      new Option('--webhook-workers <n>', 'processes serving the webhook ("auto": one per CPU the process may use, cgroup CPU quota included; 1: this process)')
        .env('WEBHOOK_WORKERS')
        .default('auto'),
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
      const webhookWorkers = o.webhookWorkers === 'auto' ? availableCpus() : Number(o.webhookWorkers);
      if (!Number.isInteger(webhookWorkers) || webhookWorkers < 1) {
        console.error(`amko serve: invalid --webhook-workers ${String(o.webhookWorkers)} (a whole number >= 1, or auto)`);
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
      const env = process.env;
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
        inCluster: Boolean(env.KUBERNETES_SERVICE_HOST),
        identity: env.POD_NAME || undefined,
        worker: o.worker !== false,
        memberKubeconfig: o.memberKubeconfig as string | undefined,
        federation: o.federation !== false,
        aviCaFile: (o.aviCaFile as string | undefined) || undefined,
        aviInsecureSkipTlsVerify: o.aviInsecureSkipTlsVerify === true || env.AVI_INSECURE_SKIP_TLS_VERIFY === 'true',
        aviMaxCallsPerSecond,
        leaderElection,
        serviceName: o.serviceName as string | undefined,
        certSecret: secretCertOptionsFrom(o, Boolean(env.KUBERNETES_SERVICE_HOST)),
        webhookWorkers,
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
