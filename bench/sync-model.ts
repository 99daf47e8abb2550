// Memory of the worker's member-model layer at a given number of FQDNs, in a
// fresh process (child of bench/sync.ts; arg: number of FQDNs). It holds what
// the worker holds per FQDN: the member objects as the informer caches keep
// them (served with API-server metadata: uid, resourceVersion, managedFields,
// kubectl's last-applied annotation; cached through the informers' transform
// slimMemberObject), the
// derived members per object, and the Avi-side cache (AviStateCache, filled by
// a full resync from controller-rendered copies of the desired objects).
// Reports RSS and heap after a full GC, before (empty) and after.
import type { KubernetesObject, V1Ingress, V1Service } from '@kubernetes/client-node';
import { buildDesiredGs, type DesiredInputs } from '../src/reconcile/desired/gslbservice.js';
import { deriveIngress, deriveRoute, deriveService, type DeriveContext, type Route } from '../src/reconcile/members/derive.js';
import { selectionFromGdp } from '../src/reconcile/members/selection.js';
import { gsKey, identityNaming, type NamedMember } from '../src/reconcile/members/types.js';
import type { GDPSpec } from '../src/api/index.js';
import type { GslbService, HealthMonitor } from '../src/avi/types.js';
import { AviStateCache } from '../src/reconcile/avi-state.js';
import { slimMemberObject } from '../src/reconcile/cluster.js';
import { namedRecord } from '../src/reconcile/member-clusters.js';
import { APP, CLUSTERS, COLLECTIONS, TRAFFIC, benchObjects } from './sync-objects.js';

const n = Number(process.argv[2] ?? 10_000);
const gc = () => (global.gc ? global.gc() : undefined);
const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
const rss = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rssMiB: mib(m.rss), heapMiB: mib(m.heapUsed) };
};

const base = rss();
const gdp = {
  matchRules: { appSelector: { label: { app: APP } } },
  matchClusters: CLUSTERS.map((c) => ({ cluster: c })),
  trafficSplit: CLUSTERS.map((c) => ({ cluster: c, ...TRAFFIC[c] })),
} as unknown as GDPSpec;

// Informer caches: one Map per cluster/resource, objects as parsed from the API server's JSON.
const caches = new Map<string, Map<string, KubernetesObject>>();
let rv = 1000;
for (const o of benchObjects(n).objects) {
  const obj = JSON.parse(JSON.stringify(o.obj)) as { apiVersion?: string; metadata: Record<string, unknown> };
  obj.metadata.uid = crypto.randomUUID();
  obj.metadata.resourceVersion = String(rv++);
  obj.metadata.creationTimestamp = new Date().toISOString();
  obj.metadata.managedFields = [
    { manager: 'bench', operation: 'Update', apiVersion: obj.apiVersion, time: new Date().toISOString(), fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': {} } },
    { manager: 'ako', operation: 'Update', apiVersion: obj.apiVersion, subresource: 'status', time: new Date().toISOString(), fieldsType: 'FieldsV1', fieldsV1: { 'f:status': {} } },
  ];
  obj.metadata.annotations = { ...(obj.metadata.annotations as object), 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(o.obj) };
  const k = `${o.cluster}${o.collection}`;
  let m = caches.get(k);
  if (!m) caches.set(k, (m = new Map()));
  // As the member informers cache it (their transform).
  const resource = o.collection === COLLECTIONS.ingresses ? 'ingresses' : o.collection === COLLECTIONS.services ? 'services' : 'routes';
  m.set(`${String(obj.metadata.namespace)}/${String(obj.metadata.name)}`, slimMemberObject(resource, obj as KubernetesObject));
}

const afterCaches = rss();

// Derived members per object and object ids per key (as the worker keeps them).
const objMembers = new Map<string, NamedMember[]>();
const keyObjs = new Map<string, Set<string>>();
for (const [k, objs] of caches) {
  const cluster = CLUSTERS.find((c) => k.startsWith(c))!;
  const ctx: DeriveContext = { cluster, selection: selectionFromGdp(gdp), defaultTenant: 'admin', namespace: () => undefined };
  for (const [id, o] of objs) {
    const r = k.endsWith(COLLECTIONS.ingresses)
      ? deriveIngress(o as V1Ingress, ctx)
      : k.endsWith(COLLECTIONS.services)
        ? deriveService(o as V1Service, ctx)
        : deriveRoute(o as Route, ctx);
    const named = r.members.map((m) => namedRecord(m, identityNaming(m)!));
    const objId = `${k}/${id}`;
    objMembers.set(objId, named);
    for (const m of named) {
      const key = gsKey(m.tenant, m.gsName);
      let s = keyObjs.get(key);
      if (!s) keyObjs.set(key, (s = new Set()));
      s.add(objId);
    }
  }
}

const afterMembers = rss();

// The Avi-side cache as the worker keeps it (AviStateCache: identity plus the diff's canonical form), filled from
// the controller-rendered objects (desired + uuid/url/tenant_ref) by a full resync.
const inputs: DesiredInputs = { createdBy: 'amko-bench', amkoUuid: 'bench', gdp, hostRules: new Map(), templates: new Map() };
const aviCache = new AviStateCache(() => inputs.createdBy);
let gsCount = 0;
let hmCount = 0;
// In a function, so the listed copies are garbage once the cache is filled.
(function resync() {
  const listedGs: GslbService[] = [];
  const listedHms: HealthMonitor[] = [];
  for (const [key, ids] of keyObjs) {
    const members: NamedMember[] = [];
    for (const id of ids) for (const m of objMembers.get(id) ?? []) if (gsKey(m.tenant, m.gsName) === key) members.push(m);
    const [tenant, gsName] = [members[0]!.tenant, members[0]!.gsName];
    const d = buildDesiredGs(tenant, gsName, members, inputs);
    if (!d) continue;
    gsCount++;
    const tenantRef = `https://avi/api/tenant/${tenant}#${tenant}`;
    listedGs.push({ ...JSON.parse(JSON.stringify(d.gs)), uuid: crypto.randomUUID(), url: `https://avi/api/gslbservice/${key}`, tenant_ref: tenantRef, _last_modified: String(Date.now()) });
    for (const hm of d.hms) listedHms.push({ ...JSON.parse(JSON.stringify(hm)), uuid: crypto.randomUUID(), tenant_ref: tenantRef });
  }
  hmCount = listedHms.length;
  aviCache.replace(listedGs, listedHms, inputs.createdBy, 'admin', aviCache.mark());
})();

const after = rss();
process.send?.({
  type: 'ready',
  result: {
    fqdns: n,
    gslbServices: gsCount,
    healthMonitors: hmCount,
    objects: [...caches.values()].reduce((a, m) => a + m.size, 0),
    baseRssMiB: base.rssMiB,
    baseHeapMiB: base.heapMiB,
    rssMiB: after.rssMiB,
    heapMiB: after.heapMiB,
    /** Heap after GC added by each part. */
    heapByPartMiB: {
      informerObjects: Math.round((afterCaches.heapMiB - base.heapMiB) * 10) / 10,
      members: Math.round((afterMembers.heapMiB - afterCaches.heapMiB) * 10) / 10,
      desiredAndActualAvi: Math.round((after.heapMiB - afterMembers.heapMiB) * 10) / 10,
    },
  },
});
// Keep everything alive until the report is sent.
setTimeout(() => process.exit(0), 200).unref();
void [caches, objMembers, aviCache];
