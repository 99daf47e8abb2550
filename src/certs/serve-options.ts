// `amko serve` flags of the in-cluster certificate manager, and the component
// that serve composes (it is the CertificateSource of the HTTPS server). The
// manager is loaded only when it is used.
import { Option, type Command } from 'commander';
import type { KubeConfigLike } from '../kube/config.js';
import { AMKO_NAMESPACE } from '../api/common.js';
import type { Logger } from '../log.js';
import { parseDuration } from '../duration.js';
import { DEFAULT_CERT_SECRET, DEFAULT_WEBHOOKS } from './secret-defaults.js';
import type { SecretCertificateManager } from './secret-source.js';

export interface SecretCertServeOptions {
  secretName: string;
  namespace: string;
  managed: boolean;
  validatingWebhook: string;
  mutatingWebhook: string;
  caLifetimeMs?: number;
  servingLifetimeMs?: number;
  caOverlapMs?: number;
}

export function addSecretCertOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--cert-secret <name>', `keep the serving certificate in this Secret (default in a cluster: ${DEFAULT_CERT_SECRET})`).env(
        'CERT_SECRET',
      ),
    )
    .addOption(new Option('--cert-namespace <ns>', 'namespace of --cert-secret').env('POD_NAMESPACE').default(AMKO_NAMESPACE))
    .option('--cert-unmanaged', 'the Secret is supplied by the user: only read it (and inject its ca.crt), never write it')
    .addOption(new Option('--validating-webhook <name>', 'ValidatingWebhookConfiguration to inject the CA into ("" = none)').default(DEFAULT_WEBHOOKS.validating))
    .addOption(new Option('--mutating-webhook <name>', 'MutatingWebhookConfiguration to inject the CA into ("" = none)').default(DEFAULT_WEBHOOKS.mutating))
    .option('--ca-lifetime <duration>', 'lifetime of a generated CA (e.g. 87600h)')
    .option('--serving-lifetime <duration>', 'lifetime of a generated serving certificate (e.g. 2160h)')
    .option('--ca-overlap <duration>', 'how long the previous CA stays trusted during a CA rotation (e.g. 1h)');
}

/**
 * The certificate-manager settings from parsed `serve` flags, or undefined for
 * the local (file) certificate. In a cluster (`inCluster`) the Secret is the
 * default unless certificate files were given.
 */
export function secretCertOptionsFrom(o: Record<string, unknown>, inCluster: boolean): SecretCertServeOptions | undefined {
  const files = o.tlsCertFile !== undefined || o.tlsKeyFile !== undefined;
  const secretName = (o.certSecret as string | undefined) ?? (inCluster && !files ? DEFAULT_CERT_SECRET : undefined);
  if (!secretName) return undefined;
  const dur = (v: unknown) => (typeof v === 'string' ? parseDuration(v) : undefined);
  return {
    secretName,
    namespace: (o.certNamespace as string | undefined) ?? AMKO_NAMESPACE,
    managed: o.certUnmanaged !== true,
    validatingWebhook: (o.validatingWebhook as string | undefined) ?? DEFAULT_WEBHOOKS.validating,
    mutatingWebhook: (o.mutatingWebhook as string | undefined) ?? DEFAULT_WEBHOOKS.mutating,
    caLifetimeMs: dur(o.caLifetime),
    servingLifetimeMs: dur(o.servingLifetime),
    caOverlapMs: dur(o.caOverlap),
  };
}

export async function createSecretCertificateManager(
  kubeConfig: KubeConfigLike,
  o: SecretCertServeOptions,
  serviceName: string | undefined,
  log?: Logger,
): Promise<SecretCertificateManager> {
  const { SecretCertificateManager } = await import('./secret-source.js');
  return new SecretCertificateManager({
    kubeConfig,
    namespace: o.namespace,
    secretName: o.secretName,
    managed: o.managed,
    serviceName,
    webhooks: { validating: o.validatingWebhook, mutating: o.mutatingWebhook },
    caLifetimeMs: o.caLifetimeMs,
    servingLifetimeMs: o.servingLifetimeMs,
    caOverlapMs: o.caOverlapMs,
    log: log?.child({ component: 'certificates' }),
  });
}
