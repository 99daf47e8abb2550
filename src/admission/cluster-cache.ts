// The webhook's read-only view of its own cluster: one resilient informer per
// AMKO kind in avi-system, plus a direct read (`confirm`) for the decisions a
// lagging cache could get wrong (a second singleton created milliseconds after
// the first, a GSLBConfig applied in the same `kubectl apply -f` as a GDP).
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { AMKO_NAMESPACE, GROUP } from '../api/common.js';
import { KINDS, KIND_NAMES, type KindName } from '../api/kinds.js';
import { makeResilientInformer, type ResilientInformer } from '../kube/informer.js';
import type { Logger } from '../log.js';
import { overlayView, type ClusterView, type KubeObject } from '../rules/view.js';
import type { AdmissionView } from './app.js';

export interface ClusterCache extends AdmissionView {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True once every informer has applied its first list. */
  isSynced(): boolean;
  waitForSync(timeoutMs?: number): Promise<void>;
}

export function createClusterCache(kc: KubeConfig, opts: { log?: Logger; namespace?: string } = {}): ClusterCache {
  const namespace = opts.namespace ?? AMKO_NAMESPACE;
  const api = kc.makeApiClient(CustomObjectsApi);
  const listKind = async (kind: KindName): Promise<KubernetesListObject<KubernetesObject>> => {
    const info = KINDS[kind];
    return (await api.listNamespacedCustomObject({
      group: GROUP,
      version: info.version,
      namespace,
      plural: info.plural,
    })) as KubernetesListObject<KubernetesObject>;
  };
  const informers = new Map<KindName, ResilientInformer<KubernetesObject>>();
  for (const kind of KIND_NAMES) {
    const info = KINDS[kind];
    informers.set(
      kind,
      makeResilientInformer(kc, `/apis/${GROUP}/${info.version}/namespaces/${namespace}/${info.plural}`, () => listKind(kind), {
        name: `own/${info.plural}`,
        log: opts.log,
      }),
    );
  }
  // Items of a list response carry no kind; the rules read `kind` off objects from a view.
  const withKind = (kind: KindName, items: KubernetesObject[]): KubeObject[] =>
    items.map((o) => ({ ...(o as KubeObject), kind, apiVersion: o.apiVersion ?? `${GROUP}/${KINDS[kind].version}` }));

  return {
    list: (kind) => withKind(kind, [...(informers.get(kind)?.list(namespace) ?? [])]),
    async confirm(kinds: KindName[]): Promise<ClusterView> {
      const fresh: Partial<Record<KindName, KubeObject[]>> = {};
      await Promise.all(
        kinds.map(async (kind) => {
          fresh[kind] = withKind(kind, (await listKind(kind)).items ?? []);
        }),
      );
      const self: ClusterView = { list: (kind) => withKind(kind, [...(informers.get(kind)?.list(namespace) ?? [])]) };
      return overlayView(self, fresh);
    },
    async start() {
      // Informers start in the background; readiness reports them until synced.
      for (const inf of informers.values()) {
        inf.start().catch((err: unknown) => opts.log?.warn({ informer: inf.name, err: String(err) }, 'informer start failed; retrying'));
      }
    },
    async stop() {
      await Promise.all([...informers.values()].map((i) => i.stop().catch(() => undefined)));
    },
    isSynced: () => [...informers.values()].every((i) => i.isSynced()),
    async waitForSync(timeoutMs?: number) {
      await Promise.all([...informers.values()].map((i) => i.waitForSync(timeoutMs)));
    },
  };
}
