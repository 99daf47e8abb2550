// Names the in-cluster certificate manager uses unless told otherwise, in a module of their own so
// the `serve` flags can show them without loading the manager.
import type { WebhookNames } from './inject.js';

export const DEFAULT_CERT_SECRET = 'amko-webhook-tls';
export const DEFAULT_WEBHOOKS: Required<WebhookNames> = {
  validating: 'amko-validating-webhook',
  mutating: 'amko-mutating-webhook',
};
