// Helpers for the worker tests that run against real kube-apiservers (test/harness)
// and the Avi simulator (test/avi-sim).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { AviClient } from '../../src/avi/client.js';
import type { Logger } from '../../src/log.js';
import type { StandaloneWorkerOptions } from '../../src/controllers.js';
import type { AviSimulator } from '../avi-sim/server.js';
import { clusterRequest, type ClusterHandle } from '../harness/control-plane.js';
import { REPO_ROOT } from '../harness/tools.js';

/** The Avi simulator's admin credentials (test/avi-sim). */
export const SIM_USERNAME = 'admin';
export const SIM_PASSWORD = 'sim-Secret-pw#1';

export async function k(cluster: ClusterHandle, method: string, p: string, body?: unknown): Promise<any> {
  const r = await clusterRequest(cluster, method, p, body);
  if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${r.body.slice(0, 300)}`);
  return r.json;
}

export async function kTry(cluster: ClusterHandle, method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await clusterRequest(cluster, method, p, body);
  return { status: r.status, json: r.json };
}

/**
 * Replace an object's spec as `kubectl edit` would: read, PUT with that resourceVersion, and on 409 (the worker wrote
 * status in between) read again and retry. Returns the stored object.
 */
export async function replaceSpec(cluster: ClusterHandle, p: string, spec: unknown, attempts = 5): Promise<any> {
  for (let i = 1; ; i++) {
    const cur = await k(cluster, 'GET', p);
    const r = await kTry(cluster, 'PUT', p, { ...cur, spec });
    if (r.status < 300) return r.json;
    if (r.status !== 409 || i === attempts) throw new Error(`PUT ${p}: ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
  }
}

export async function mergePatch(cluster: ClusterHandle, p: string, body: unknown): Promise<any> {
  const { default: https } = await import('node:https');
  const url = new URL(cluster.url + p);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        method: 'PATCH',
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        ca: cluster.caPem,
        cert: cluster.clientCertPem,
        key: cluster.clientKeyPem,
        headers: { 'Content-Type': 'application/merge-patch+json', 'Content-Length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve(JSON.parse(text)) : reject(new Error(`PATCH ${p}: ${res.statusCode} ${text}`))));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Creates (or replaces the spec of) the amko CRDs from charts/amko/crds. */
export async function installAmkoCrds(cluster: ClusterHandle): Promise<void> {
  const dir = path.join(REPO_ROOT, 'charts/amko/crds');
  for (const f of ['amko.vmware.com_gslbconfigs.yaml', 'amko.vmware.com_globaldeploymentpolicies.yaml', 'amko.vmware.com_gslbhostrules.yaml']) {
    await applyCrd(cluster, YAML.parse(readFileSync(path.join(dir, f), 'utf8')));
  }
}

/** A minimal OpenShift Route CRD (route.openshift.io/v1) with a status subresource. */
export async function installRouteCrd(cluster: ClusterHandle): Promise<void> {
  await applyCrd(cluster, schemalessCrd('route.openshift.io', 'v1', { kind: 'Route', listKind: 'RouteList', plural: 'routes', singular: 'route' }));
}

/**
 * A namespaced CRD with a status subresource whose spec and status accept any
 * fields: enough for the worker to watch a foreign kind (AKO's, OpenShift's)
 * without its real schema.
 */
export function schemalessCrd(group: string, version: string, names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[] }) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names,
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  };
}

export async function applyCrd(cluster: ClusterHandle, crd: any): Promise<void> {
  const base = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  const r = await kTry(cluster, 'POST', base, crd);
  if (r.status === 409) {
    const cur = await k(cluster, 'GET', `${base}/${crd.metadata.name}`);
    await k(cluster, 'PUT', `${base}/${crd.metadata.name}`, { ...crd, metadata: { ...crd.metadata, resourceVersion: cur.metadata.resourceVersion } });
  } else if (r.status >= 300) throw new Error(`create CRD ${crd.metadata.name}: ${r.status} ${JSON.stringify(r.json)}`);
  // Wait until the API serves it.
  const [plural, ...group] = crd.metadata.name.split('.');
  const version = crd.spec.versions[0].name;
  for (let i = 0; i < 100; i++) {
    const x = await kTry(cluster, 'GET', `/apis/${group.join('.')}/${version}/${plural}`);
    if (x.status === 200) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`CRD ${crd.metadata.name} not served`);
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export async function ensureNamespace(cluster: ClusterHandle, name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): Promise<void> {
  const r = await kTry(cluster, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } });
  if (r.status === 409) await mergePatch(cluster, `/api/v1/namespaces/${name}`, { metadata: { labels, annotations } });
  else if (r.status >= 300) throw new Error(`namespace ${name}: ${r.status}`);
}

/** Creates an object and then sets its status through /status (what AKO would do). */
export async function createWithStatus(cluster: ClusterHandle, collection: string, obj: any): Promise<any> {
  const { status, ...rest } = obj;
  const created = await k(cluster, 'POST', collection, rest);
  if (status) return mergePatch(cluster, `${collection}/${obj.metadata.name}/status`, { status });
  return created;
}

/** An Avi client logged in to the simulator as admin, for reading back what the worker wrote. */
export function simReader(sim: AviSimulator, log: Logger): AviClient {
  return AviClient.create({ controller: sim.host, username: SIM_USERNAME, password: SIM_PASSWORD, caPem: sim.caPem, log });
}

/** The `gslb-avi-secret` Secret a GSLBConfig names as its credentials, holding the simulator's admin login. */
export async function createAviSecret(cluster: ClusterHandle, namespace: string): Promise<void> {
  await k(cluster, 'POST', `/api/v1/namespaces/${namespace}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'gslb-avi-secret' },
    stringData: { username: SIM_USERNAME, password: SIM_PASSWORD },
  });
}

/**
 * Creates GSLBConfig `gc-1` (in the collection `gcPath`) pointing at the simulator
 * with `gslb-avi-secret`, owned by `uuid`, with the given member clusters; a one-hour
 * refresh so that only watch events drive the tests.
 */
export async function createGslbConfig(cluster: ClusterHandle, gcPath: string, opts: { uuid: string; controller: string; members: string[]; spec?: Record<string, unknown> }): Promise<void> {
  await k(cluster, 'POST', gcPath, {
    apiVersion: 'amko.vmware.com/v1alpha1',
    kind: 'GSLBConfig',
    metadata: { name: 'gc-1', annotations: { 'amko.vmware.com/amko-uuid': opts.uuid } },
    spec: {
      gslbLeader: { credentials: 'gslb-avi-secret', controllerIP: opts.controller, tenant: 'admin' },
      memberClusters: opts.members.map((clusterContext) => ({ clusterContext })),
      refreshInterval: 3600,
      ...opts.spec,
    },
  });
}

/** Worker settings that trust the simulator's CA and retry fast, so that an e2e test converges in seconds. */
export function simWorkerOptions(sim: AviSimulator, log: Logger): Pick<StandaloneWorkerOptions, 'aviFactory' | 'queue' | 'memberBackoff' | 'retryDelayMs'> {
  return {
    aviFactory: (c) => AviClient.create({ ...c, caPem: sim.caPem, log, timeoutMs: 1500 }),
    queue: { fastBaseDelayMs: 50, slowBaseDelayMs: 200, maxDelayMs: 1000 },
    memberBackoff: { initialMs: 200, maxMs: 1000 },
    retryDelayMs: 300,
  };
}

/** The Gateway API standard-channel CRDs (GatewayClass, Gateway, HTTPRoute), from scripts/gateway-api-crds.sh. */
export async function installGatewayApiCrds(cluster: ClusterHandle): Promise<void> {
  const dir = execFileSync('bash', [path.join(REPO_ROOT, 'scripts/gateway-api-crds.sh')], { encoding: 'utf8' }).trim();
  for (const plural of ['gatewayclasses', 'gateways', 'httproutes']) {
    await applyCrd(cluster, YAML.parse(readFileSync(path.join(dir, `gateway.networking.k8s.io_${plural}.yaml`), 'utf8')));
  }
}

/** Deletes the Gateway API CRDs (and so every Gateway API object) and waits until the API is no longer served. */
export async function removeGatewayApiCrds(cluster: ClusterHandle): Promise<void> {
  for (const plural of ['httproutes', 'gateways', 'gatewayclasses']) {
    await kTry(cluster, 'DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.gateway.networking.k8s.io`);
  }
  await waitFor('Gateway API gone', async () => (await kTry(cluster, 'GET', '/apis/gateway.networking.k8s.io/v1')).status === 404, 60_000, 200);
}
