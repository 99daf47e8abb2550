// Helpers for the federation e2e tests: CRD installation, namespaces, polling.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { GROUP } from '../../src/api/common.js';
import { KINDS, KIND_NAMES, type KindName } from '../../src/api/kinds.js';
import type { ControlPlanes } from '../harness/control-plane.js';
import { kubectlOk } from '../harness/kubectl.js';
import { REPO_ROOT } from '../harness/tools.js';

const CRD_DIR = path.join(REPO_ROOT, 'charts', 'amko', 'crds');

/** A permissive CRD (status subresource, unknown fields kept) for when the chart's CRDs are not there. */
function minimalCrd(kind: KindName): string {
  const k = KINDS[kind];
  return JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${k.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: k.kind, listKind: k.listKind, plural: k.plural, singular: k.singular },
      versions: [
        {
          name: k.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
}

/** The amko.vmware.com CRD manifests: the chart's generated ones when present, else minimal ones. */
export function amkoCrdManifests(): string[] {
  if (existsSync(CRD_DIR)) {
    const files = readdirSync(CRD_DIR).filter((f) => f.startsWith(`${GROUP}_`) && f.endsWith('.yaml'));
    if (files.length === KIND_NAMES.length) return files.sort().map((f) => readFileSync(path.join(CRD_DIR, f), 'utf8'));
  }
  return KIND_NAMES.map(minimalCrd);
}

/** Applies CRDs to each cluster (server-side apply: idempotent, shared with other test files) and waits until Established. */
export async function installCrds(cp: ControlPlanes, manifests: string[], crdNames: string[], clusters = cp.clusters.map((c) => c.name)): Promise<void> {
  for (const context of clusters) {
    const opts = { kubeconfig: cp.kubeconfigPath, context };
    await kubectlOk(['apply', '--server-side', '--force-conflicts', '--field-manager=amko-federation-tests', '-f', '-'], {
      ...opts,
      input: manifests.join('\n---\n'),
    });
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...crdNames.map((n) => `crd/${n}`)], opts);
  }
  // Discovery of a fresh CRD can lag "Established" by a moment; wait until each list answers.
  for (const c of cp.clusters.filter((x) => clusters.includes(x.name))) {
    const api = c.kubeConfig.makeApiClient(CustomObjectsApi);
    for (const n of crdNames) {
      const [plural, ...g] = n.split('.');
      const group = g.join('.');
      const version = group === GROUP ? Object.values(KINDS).find((k) => k.plural === plural)!.version : 'v1beta1';
      await eventually(async () => {
        await api.listNamespacedCustomObject({ group, version, namespace: 'default', plural: plural! });
      }, 30_000);
    }
  }
}

export async function installAmkoCrds(cp: ControlPlanes, clusters?: string[]): Promise<void> {
  await installCrds(
    cp,
    amkoCrdManifests(),
    KIND_NAMES.map((k) => `${KINDS[k].plural}.${GROUP}`),
    clusters,
  );
}

export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await core.createNamespace({ body: { metadata: { name } } });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

/** Retries `fn` until it stops throwing; rethrows the last error after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 15_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** CRUD helper on one amko.vmware.com kind in one namespace of one cluster. */
export class Objects {
  private readonly api: CustomObjectsApi;
  constructor(kc: KubeConfig, private readonly namespace: string) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }
  private p(kind: KindName) {
    return { group: GROUP, version: KINDS[kind].version, namespace: this.namespace, plural: KINDS[kind].plural };
  }
  async list(kind: KindName): Promise<any[]> {
    return ((await this.api.listNamespacedCustomObject(this.p(kind))) as { items: unknown[] }).items.sort((a: any, b: any) =>
      a.metadata.name.localeCompare(b.metadata.name),
    );
  }
  async get(kind: KindName, name: string): Promise<any | undefined> {
    try {
      return await this.api.getNamespacedCustomObject({ ...this.p(kind), name });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }
  async create(kind: KindName, body: any): Promise<any> {
    return this.api.createNamespacedCustomObject({
      ...this.p(kind),
      body: { apiVersion: `${GROUP}/${KINDS[kind].version}`, kind: KINDS[kind].kind, ...body, metadata: { ...body.metadata, namespace: this.namespace } },
    });
  }
  /** Read-modify-write with conflict retries. */
  async mutate(kind: KindName, name: string, f: (o: any) => void): Promise<any> {
    return eventually(async () => {
      const o = await this.get(kind, name);
      if (!o) throw new Error(`${kind} ${name} not found`);
      f(o);
      return this.api.replaceNamespacedCustomObject({ ...this.p(kind), name, body: o });
    }, 10_000, 50);
  }
  async delete(kind: KindName, name: string): Promise<void> {
    try {
      await this.api.deleteNamespacedCustomObject({ ...this.p(kind), name });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
  async deleteAll(kind: KindName): Promise<void> {
    for (const o of await this.list(kind)) await this.delete(kind, o.metadata.name);
  }
}
