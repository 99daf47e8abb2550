// In-cluster serving certificate, owned by the server itself.
//
// The Secret (default avi-system/amko-webhook-tls) holds ca.crt, ca.key,
// tls.crt, tls.key, and ca-previous.crt during a CA rotation. At start the
// manager loads it, or creates it when missing or empty (create -> 409 means
// another replica won: read theirs); it writes the CA bundle into caBundle of
// both webhook configurations and only then serves (ready()). It renews the
// serving certificate and rotates the CA with an overlap (see rotation.ts), and
// hot-swaps the certificate through CertificateSource.onChange. Replicas run the
// same plan and write with the Secret's resourceVersion, so exactly one write
// wins each step; the others see it through a watch on the Secret (and a
// periodic re-read) and follow.
//
// managed: false is for user-supplied certificates (Helm values or an existing
// Secret with ca.crt, tls.crt, tls.key): read and watched, never written; its
// ca.crt is injected.
import type { V1Secret } from '@kubernetes/client-node';
import { AMKO_NAMESPACE } from '../api/common.js';
import { backoffDelay } from '../backoff.js';
import { kubeClient, type KubeClient, type WatchHandle } from '../kube/client.js';
import type { KubeConfigLike } from '../kube/config.js';
import { errorText, statusCode } from '../kube/errors.js';
import { corePath } from '../kube/paths.js';
import type { Logger } from '../log.js';
import { counter, gauge } from '../metrics.js';
import { CaBundleInjector, type WebhookNames } from './inject.js';
import { DEFAULT_CERT_SECRET, DEFAULT_WEBHOOKS } from './secret-defaults.js';
import { inspect, serviceHosts } from './pki.js';
import { caBundleOf, nextDeadline, planNext, type CertMaterial, type LifecycleConfig } from './rotation.js';
import type { CertificateBundle, CertificateSource } from './source.js';
import { boundedDelay } from '../timers.js';

export const DEFAULT_LIFETIMES = {
  caLifetimeMs: 10 * 365 * 24 * 3600_000,
  servingLifetimeMs: 90 * 24 * 3600_000,
  caOverlapMs: 3600_000,
};

const A = {
  generation: 'amko.vmware.com/generation',
  caRotatedAt: 'amko.vmware.com/ca-rotated-at',
  servingSwitchedAt: 'amko.vmware.com/serving-switched-at',
} as const;
const K = { ca: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key', prev: 'ca-previous.crt' } as const;

const metrics = {
  expiry: gauge<'certificate'>({
    name: 'amko_webhook_certificate_expiry_timestamp_seconds',
    help: 'notAfter of the serving certificate and CA this replica uses (unix seconds).',
    labelNames: ['certificate'],
  }),
  writes: counter<'result'>({
    name: 'amko_webhook_certificate_secret_writes_total',
    help: 'Writes of the certificate Secret by this replica (result: created, updated, conflict).',
    labelNames: ['result'],
  }),
  reloads: counter({ name: 'amko_webhook_certificate_reloads_total', help: 'Serving certificate hot reloads.' }),
  injections: counter<'result'>({
    name: 'amko_webhook_ca_bundle_injections_total',
    help: 'caBundle injections (result: updated, unchanged, newer-present, error).',
    labelNames: ['result'],
  }),
};

export interface SecretCertificateOptions {
  kubeConfig: KubeConfigLike;
  namespace?: string;
  secretName?: string;
  /** false: a user-supplied certificate, read-only. Default true. */
  managed?: boolean;
  /** Service name for the default hosts (svc, svc.ns, svc.ns.svc, svc.ns.svc.cluster.local). */
  serviceName?: string;
  /** Subject alternative names; overrides the Service names. */
  hosts?: string[];
  /** Webhook configurations to inject into (default: the chart's names); an empty name skips one. */
  webhooks?: WebhookNames;
  caLifetimeMs?: number;
  servingLifetimeMs?: number;
  caOverlapMs?: number;
  renewFraction?: number;
  /** Re-read the Secret and re-check the webhook configurations at least this often. Default 30 s. */
  resyncMs?: number;
  /** Backoff after a failure: from retryMinMs doubling up to retryMaxMs. Defaults 200 ms / 30 s. */
  retryMinMs?: number;
  retryMaxMs?: number;
  log?: Logger;
}

export interface CertificateManagerStats {
  generation: number;
  writes: number;
  creates: number;
  conflicts: number;
  reloads: number;
  injections: number;
}

/** Reads the material out of a Secret. */
export function materialFromSecret(s: V1Secret | undefined): CertMaterial {
  const d = s?.data ?? {};
  const get = (k: string) => (d[k] ? Buffer.from(d[k], 'base64').toString('utf8') : undefined);
  const a = s?.metadata?.annotations ?? {};
  const num = (k: string) => (a[k] !== undefined && Number.isFinite(Date.parse(a[k]!)) ? Date.parse(a[k]!) : undefined);
  const m: CertMaterial = {
    caCert: get(K.ca),
    caKey: get(K.caKey),
    tlsCert: get(K.cert),
    tlsKey: get(K.key),
    previousCaCert: get(K.prev),
    caRotatedAt: num(A.caRotatedAt),
    servingSwitchedAt: num(A.servingSwitchedAt),
  };
  for (const k of Object.keys(m) as Array<keyof CertMaterial>) if (m[k] === undefined) delete m[k];
  return m;
}

function generationOf(s: V1Secret | undefined): number {
  const g = Number(s?.metadata?.annotations?.[A.generation] ?? '0');
  return Number.isFinite(g) ? g : 0;
}

/** The Secret (data + annotations) for `m`, keeping the other metadata of `base`. */
export function secretWith(base: V1Secret | undefined, m: CertMaterial, name: string, namespace: string, generation: number): V1Secret {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const data: Record<string, string> = {};
  if (m.caCert) data[K.ca] = b64(m.caCert);
  if (m.caKey) data[K.caKey] = b64(m.caKey);
  if (m.tlsCert) data[K.cert] = b64(m.tlsCert);
  if (m.tlsKey) data[K.key] = b64(m.tlsKey);
  if (m.previousCaCert) data[K.prev] = b64(m.previousCaCert);
  const annotations = { ...(base?.metadata?.annotations ?? {}) };
  for (const k of Object.values(A)) delete annotations[k];
  annotations[A.generation] = String(generation);
  if (m.caRotatedAt !== undefined) annotations[A.caRotatedAt] = new Date(m.caRotatedAt).toISOString();
  if (m.servingSwitchedAt !== undefined) annotations[A.servingSwitchedAt] = new Date(m.servingSwitchedAt).toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: base?.type ?? 'Opaque',
    metadata: {
      ...(base?.metadata ?? {}),
      name,
      namespace,
      labels: { 'app.kubernetes.io/name': 'amko', 'app.kubernetes.io/component': 'webhook-certificate', ...(base?.metadata?.labels ?? {}) },
      annotations,
    },
    data,
  };
}

export class SecretCertificateManager implements CertificateSource {
  readonly name = 'certificates';
  private readonly client: KubeClient;
  private readonly injector: CaBundleInjector;
  private readonly ns: string;
  private readonly secretName: string;
  private readonly managed: boolean;
  private readonly cfg: LifecycleConfig;
  private readonly o: SecretCertificateOptions;
  private readonly listeners = new Set<(b: CertificateBundle) => void>();

  private bundle: CertificateBundle | undefined;
  private injectedBundle: string | undefined;
  private isReady = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private syncing: Promise<void> | undefined;
  private again = false;
  private watchReq: WatchHandle | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private firstReady: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void };
  private readonly counts: CertificateManagerStats = { generation: 0, writes: 0, creates: 0, conflicts: 0, reloads: 0, injections: 0 };

  constructor(opts: SecretCertificateOptions) {
    this.o = opts;
    this.ns = opts.namespace ?? AMKO_NAMESPACE;
    this.secretName = opts.secretName ?? DEFAULT_CERT_SECRET;
    this.managed = opts.managed ?? true;
    this.client = kubeClient(opts.kubeConfig);
    this.injector = new CaBundleInjector(opts.kubeConfig, opts.webhooks ?? DEFAULT_WEBHOOKS, opts.log);
    this.cfg = {
      caLifetimeMs: opts.caLifetimeMs ?? DEFAULT_LIFETIMES.caLifetimeMs,
      servingLifetimeMs: opts.servingLifetimeMs ?? DEFAULT_LIFETIMES.servingLifetimeMs,
      caOverlapMs: opts.caOverlapMs ?? DEFAULT_LIFETIMES.caOverlapMs,
      renewFraction: opts.renewFraction,
      hosts: opts.hosts ?? serviceHosts(opts.serviceName ?? 'amko-webhook', this.ns),
    };
    if (this.cfg.servingLifetimeMs > this.cfg.caLifetimeMs) throw new Error('the serving certificate lifetime must not exceed the CA lifetime');
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => undefined);
    this.firstReady = { promise, resolve, reject };
  }

  /** Loads or creates the certificate, injects the CA, starts watching; resolves once serving is possible. */
  async start(): Promise<void> {
    this.stopped = false;
    this.startWatch();
    this.kick();
    await this.firstReady.promise;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchTimer);
    this.watchReq?.abort();
    this.firstReady.reject(new Error('certificate manager stopped'));
    await this.syncing?.catch(() => undefined);
  }

  close(): void {
    void this.stop();
  }

  /** True once the served certificate's CA is in both webhook configurations. */
  ready(): boolean {
    return this.isReady;
  }

  current(): CertificateBundle {
    if (!this.bundle) throw new Error('no serving certificate yet (start() has not finished)');
    return this.bundle;
  }

  onChange(cb: (bundle: CertificateBundle) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** The PEM bundle last injected into caBundle. */
  caBundle(): string | undefined {
    return this.injectedBundle;
  }

  stats(): CertificateManagerStats {
    return { ...this.counts };
  }

  /** Runs a sync now (serialized; a request during a sync runs another one after it). */
  kick(): void {
    if (this.stopped) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.syncing = this.sync()
      .then(
        (nextAt) => {
          this.failures = 0;
          this.schedule(nextAt - Date.now());
        },
        (err: unknown) => {
          this.failures++;
          const delay = backoffDelay(this.failures, this.o.retryMinMs ?? 200, this.o.retryMaxMs ?? 30_000);
          this.o.log?.warn({ err: errorText(err), retryInMs: delay, secret: `${this.ns}/${this.secretName}` }, 'certificate sync failed');
          this.schedule(delay);
        },
      )
      .finally(() => {
        this.syncing = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const resync = this.o.resyncMs ?? 30_000;
    this.timer = setTimeout(() => this.kick(), boundedDelay(Math.min(ms, resync)));
    this.timer.unref?.();
  }

  /** One pass: read, (managed) plan and write, inject, swap. Returns when to run next (ms epoch). */
  private async sync(): Promise<number> {
    let secret = await this.read();
    if (this.managed) {
      for (let attempt = 0; ; attempt++) {
        const plan = await planNext(materialFromSecret(secret), this.cfg);
        if (!plan) break;
        const generation = generationOf(secret) + 1;
        const body = secretWith(secret, plan.next, this.secretName, this.ns, generation);
        try {
          secret = secret ? await this.replace(body) : await this.create(body);
          this.o.log?.info({ secret: `${this.ns}/${this.secretName}`, generation, reason: plan.reason }, 'certificate Secret written');
          break;
        } catch (err) {
          const code = statusCode(err);
          if ((code === 409 || code === 404) && attempt < 5) {
            // Another replica wrote first (or the Secret vanished): read theirs and plan again.
            this.counts.conflicts++;
            metrics.writes.inc({ result: 'conflict' });
            secret = await this.read();
            continue;
          }
          throw err;
        }
      }
    }
    const m = materialFromSecret(secret);
    const generation = generationOf(secret);
    this.counts.generation = generation;
    if (!m.tlsCert || !m.tlsKey) {
      throw new Error(`Secret ${this.ns}/${this.secretName} has no ${K.cert}/${K.key} yet`);
    }
    const caPem = this.managed ? caBundleOf(m) : (m.caCert ?? '');
    if (caPem) {
      const outcomes = await this.injector.inject(caPem, generation).catch((err: unknown) => {
        metrics.injections.inc({ result: 'error' });
        throw err;
      });
      for (const r of outcomes) metrics.injections.inc({ result: r });
      this.counts.injections += outcomes.filter((r) => r === 'updated').length;
      if (outcomes.includes('newer-present')) {
        // Our view of the Secret is older than what another replica injected: read again soon.
        return Date.now() + (this.o.retryMinMs ?? 200);
      }
      this.injectedBundle = caPem;
    } else {
      this.o.log?.warn({ secret: `${this.ns}/${this.secretName}` }, `no ${K.ca} in the Secret: caBundle not injected (managed elsewhere)`);
    }
    this.swap({ cert: m.tlsCert, key: m.tlsKey, ca: m.caCert });
    if (!this.isReady) {
      this.isReady = true;
      this.firstReady.resolve();
    }
    return this.managed ? nextDeadline(m, this.cfg) : Date.now() + (this.o.resyncMs ?? 30_000);
  }

  private swap(b: CertificateBundle): void {
    const tls = inspect(b.cert);
    const ca = inspect(b.ca);
    if (tls) metrics.expiry.set({ certificate: 'serving' }, Math.floor(tls.notAfter / 1000));
    if (ca) metrics.expiry.set({ certificate: 'ca' }, Math.floor(ca.notAfter / 1000));
    if (this.bundle && this.bundle.cert === b.cert && this.bundle.key === b.key && this.bundle.ca === b.ca) return;
    const first = !this.bundle;
    this.bundle = b;
    if (first) return;
    this.counts.reloads++;
    metrics.reloads.inc();
    this.o.log?.info({ notAfter: tls ? new Date(tls.notAfter).toISOString() : undefined }, 'serving certificate reloaded');
    for (const cb of this.listeners) {
      try {
        cb(b);
      } catch (err) {
        this.o.log?.error({ err }, 'certificate change listener failed');
      }
    }
  }

  private async read(): Promise<V1Secret | undefined> {
    try {
      return await this.client.request<V1Secret>('GET', corePath('secrets', this.ns, this.secretName));
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  private async create(body: V1Secret): Promise<V1Secret> {
    delete body.metadata!.resourceVersion;
    const s = await this.client.request<V1Secret>('POST', corePath('secrets', this.ns), { body });
    this.counts.writes++;
    this.counts.creates++;
    metrics.writes.inc({ result: 'created' });
    return s;
  }

  private async replace(body: V1Secret): Promise<V1Secret> {
    const s = await this.client.request<V1Secret>('PUT', corePath('secrets', this.ns, this.secretName), { body });
    this.counts.writes++;
    metrics.writes.inc({ result: 'updated' });
    return s;
  }

  /** Watches the one Secret; every event triggers a sync. Restarts on end or error. */
  private startWatch(): void {
    if (this.stopped) return;
    const restart = (err?: unknown) => {
      this.watchReq = undefined;
      if (this.stopped) return;
      if (err) this.o.log?.debug({ err: errorText(err) }, 'certificate Secret watch ended; restarting');
      clearTimeout(this.watchTimer);
      this.watchTimer = setTimeout(() => this.startWatch(), err ? 1000 : 0);
      this.watchTimer.unref?.();
    };
    this.client
      .watch(
        corePath('secrets', this.ns),
        { fieldSelector: `metadata.name=${this.secretName}` },
        ({ type }) => {
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.kick();
        },
        restart,
      )
      .then(
        (req) => {
          this.watchReq = req;
          if (this.stopped) req.abort();
        },
        (err: unknown) => restart(err ?? new Error('watch failed')),
      );
  }
}
