// Writes a CA bundle into caBundle of every webhook of the named
// ValidatingWebhookConfiguration / MutatingWebhookConfiguration, and (when the
// configuration carries the annotation amko.vmware.com/failure-policy) sets the
// webhooks' failurePolicy to it: the Helm chart installs with Ignore so that the
// first install can create its own GSLBConfig/GDP before any replica is up.
//
// Writes are replace-with-resourceVersion (a conflict re-reads and retries) and
// carry the generation of the Secret they come from, so a replica with an older
// view of the Secret never overwrites a newer bundle.
import type { V1MutatingWebhookConfiguration, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { kubeClient, type KubeClient } from '../kube/client.js';
import type { KubeConfigLike } from '../kube/config.js';
import { statusCode } from '../kube/errors.js';
import { webhookConfigPath, type WebhookPlural } from '../kube/paths.js';
import type { Logger } from '../log.js';

export const FAILURE_POLICY_ANNOTATION = 'amko.vmware.com/failure-policy';
export const BUNDLE_GENERATION_ANNOTATION = 'amko.vmware.com/ca-bundle-generation';

export interface WebhookNames {
  /** ValidatingWebhookConfiguration name; empty/undefined: none. */
  validating?: string;
  /** MutatingWebhookConfiguration name; empty/undefined: none. */
  mutating?: string;
}

export type InjectOutcome = 'updated' | 'unchanged' | 'newer-present';

type AnyConfig = V1ValidatingWebhookConfiguration | V1MutatingWebhookConfiguration;

/** Applies bundle + failure policy to a configuration object in place; returns whether anything changed. */
export function applyBundle(cfg: AnyConfig, caBundleB64: string, generation: number): boolean {
  let changed = false;
  const annotations = (cfg.metadata ??= {}).annotations ?? {};
  const policy = annotations[FAILURE_POLICY_ANNOTATION];
  for (const w of cfg.webhooks ?? []) {
    w.clientConfig ??= {};
    if (w.clientConfig.caBundle !== caBundleB64) {
      w.clientConfig.caBundle = caBundleB64;
      changed = true;
    }
    if ((policy === 'Fail' || policy === 'Ignore') && w.failurePolicy !== policy) {
      w.failurePolicy = policy;
      changed = true;
    }
  }
  if (annotations[BUNDLE_GENERATION_ANNOTATION] !== String(generation)) {
    annotations[BUNDLE_GENERATION_ANNOTATION] = String(generation);
    cfg.metadata.annotations = annotations;
    changed = true;
  }
  return changed;
}

export class CaBundleInjector {
  private readonly client: KubeClient;

  constructor(
    kc: KubeConfigLike,
    private readonly names: WebhookNames,
    private readonly log?: Logger,
  ) {
    this.client = kubeClient(kc);
  }

  /** The configurations this injector writes, as `kind/name`. */
  targets(): string[] {
    return [
      ...(this.names.validating ? [`ValidatingWebhookConfiguration/${this.names.validating}`] : []),
      ...(this.names.mutating ? [`MutatingWebhookConfiguration/${this.names.mutating}`] : []),
    ];
  }

  /**
   * Injects `caPem` into both configurations. Throws when a configuration is
   * missing or cannot be written after a few conflict retries.
   */
  async inject(caPem: string, generation: number): Promise<InjectOutcome[]> {
    const b64 = Buffer.from(caPem).toString('base64');
    const out: InjectOutcome[] = [];
    if (this.names.validating) {
      const name = this.names.validating;
      out.push(
        await this.injectOne(
          'ValidatingWebhookConfiguration',
          () => this.read<V1ValidatingWebhookConfiguration>('validatingwebhookconfigurations', name),
          (body) => this.replace('validatingwebhookconfigurations', name, body),
          b64,
          generation,
        ),
      );
    }
    if (this.names.mutating) {
      const name = this.names.mutating;
      out.push(
        await this.injectOne(
          'MutatingWebhookConfiguration',
          () => this.read<V1MutatingWebhookConfiguration>('mutatingwebhookconfigurations', name),
          (body) => this.replace('mutatingwebhookconfigurations', name, body),
          b64,
          generation,
        ),
      );
    }
    return out;
  }

  /** True when both configurations carry exactly `caPem` (read-only check). */
  async isInjected(caPem: string): Promise<boolean> {
    const b64 = Buffer.from(caPem).toString('base64');
    const cfgs: AnyConfig[] = [];
    if (this.names.validating) cfgs.push(await this.read('validatingwebhookconfigurations', this.names.validating));
    if (this.names.mutating) cfgs.push(await this.read('mutatingwebhookconfigurations', this.names.mutating));
    return cfgs.every((c) => (c.webhooks ?? []).every((w) => w.clientConfig?.caBundle === b64));
  }

  private read<T extends AnyConfig>(plural: WebhookPlural, name: string): Promise<T> {
    return this.client.request<T>('GET', webhookConfigPath(plural, name));
  }

  private replace(plural: WebhookPlural, name: string, body: AnyConfig): Promise<AnyConfig> {
    return this.client.request<AnyConfig>('PUT', webhookConfigPath(plural, name), { body });
  }

  private async injectOne(
    kind: string,
    read: () => Promise<AnyConfig>,
    replace: (body: AnyConfig) => Promise<AnyConfig>,
    b64: string,
    generation: number,
  ): Promise<InjectOutcome> {
    for (let attempt = 0; ; attempt++) {
      const cfg = await read();
      const seen = Number(cfg.metadata?.annotations?.[BUNDLE_GENERATION_ANNOTATION] ?? '0');
      if (Number.isFinite(seen) && seen > generation) return 'newer-present';
      if (!applyBundle(cfg, b64, generation)) return 'unchanged';
      try {
        await replace(cfg);
        this.log?.info({ kind, name: cfg.metadata?.name, generation }, 'CA bundle injected');
        return 'updated';
      } catch (err) {
        if (statusCode(err) === 409 && attempt < 5) continue;
        throw err;
      }
    }
  }
}
