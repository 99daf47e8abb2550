// Loading kubeconfigs: the server's own cluster (in-cluster or --kubeconfig)
// and the member-cluster file (one context per member cluster).
import { KubeConfig } from '@kubernetes/client-node';

/** The server's own cluster: --kubeconfig (current context) or the in-cluster service account. */
export function loadOwnKubeConfig(kubeconfigPath?: string): KubeConfig | undefined {
  const kc = new KubeConfig();
  if (kubeconfigPath) {
    kc.loadFromFile(kubeconfigPath);
    return kc;
  }
  if (process.env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
    return kc;
  }
  return undefined;
}

/** A KubeConfig from a multi-context file, switched to one context. Throws if the context is missing. */
export function kubeConfigForContext(file: string | KubeConfig, context: string): KubeConfig {
  const kc = new KubeConfig();
  if (typeof file === 'string') kc.loadFromFile(file);
  else kc.loadFromString(file.exportConfig());
  if (!kc.getContextObject(context)) {
    throw new Error(`context "${context}" not found in the member-cluster kubeconfig`);
  }
  kc.setCurrentContext(context);
  return kc;
}
