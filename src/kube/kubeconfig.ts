// Loading kubeconfigs: the server's own cluster (in-cluster or --kubeconfig)
// and the member-cluster kubeconfig (one context per member cluster).
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { KubeConfig, type KubeConfigLike } from './config.js';

/**
 * The server's own cluster: `kubeconfigPath` (its current context), else the in-cluster service account
 * when `inCluster` (the process runs in a pod), else none.
 */
export function loadOwnKubeConfig(kubeconfigPath: string | undefined, inCluster: boolean): KubeConfig | undefined {
  const kc = new KubeConfig();
  if (kubeconfigPath) {
    kc.loadFromFile(kubeconfigPath);
    return kc;
  }
  if (inCluster) {
    kc.loadFromCluster();
    return kc;
  }
  return undefined;
}

/** A KubeConfig from a multi-context kubeconfig, switched to one context. Throws if the context is missing. */
export function kubeConfigForContext(file: KubeConfigLike, context: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(file.exportConfig());
  if (!kc.getContextObject(context)) {
    throw new Error(`context "${context}" not found in the member-cluster kubeconfig`);
  }
  kc.setCurrentContext(context);
  return kc;
}

/**
 * The member-cluster kubeconfig as configured (`--member-kubeconfig`, env GSLB_CONFIG): the path of a
 * file, or the kubeconfig text itself (a value with a line break, or JSON). The worker, the federator
 * and `amko plan` all read it through this class, so the setting means the same everywhere.
 */
export class MemberKubeconfig {
  constructor(readonly value: string | undefined) {}

  isText(): boolean {
    const v = this.value ?? '';
    return v.includes('\n') || v.trimStart().startsWith('{');
  }

  /** Changes whenever the kubeconfig changes (a file's content or presence). */
  stamp(): string {
    const v = this.value;
    if (!v) return 'none';
    if (this.isText()) return `text:${digest(v)}`;
    try {
      const st = statSync(v);
      return `${v}:${st.mtimeMs}:${st.size}:${digest(readFileSync(v, 'utf8'))}`;
    } catch {
      return `${v}:missing`;
    }
  }

  /** Throws when none is configured or it cannot be read. */
  load(): KubeConfig {
    const v = this.value;
    if (!v) throw new Error('no member-cluster kubeconfig configured (--member-kubeconfig or env GSLB_CONFIG)');
    const kc = new KubeConfig();
    if (this.isText()) kc.loadFromString(v);
    else kc.loadFromFile(v);
    return kc;
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
