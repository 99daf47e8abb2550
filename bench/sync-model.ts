// Memory of the worker's member-model layer at a given number of FQDNs, in a
// fresh process (child of bench/sync.ts; arg: number of FQDNs). It holds what
// the worker holds per FQDN: the member objects as the informer caches keep
// them (served with API-server metadata: uid, resourceVersion, managedFields,
// kubectl's last-applied annotation; cached through the informers' transform
// slimMemberObject), the
// derived members per object (the source stage into a MemberIndex), and the
// Avi-side cache (AviStateCache, filled by a full resync from controller-rendered
// copies of what the plan stage creates).
// Reports RSS and heap after a full GC, before (empty) and after.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { GDPSpec } from '../src/api/index.js';
import type { GslbService, HealthMonitor } from '../src/avi/types.js';
import { AviStateCache } from '../src/reconcile/avi-state.js';
import { slimMemberObject } from '../src/reconcile/cluster.js';
import { MemberIndex } from '../src/reconcile/member-index.js';
import { identityNaming } from '../src/reconcile/members/types.js';
import { planKeySet, planKeys, type PlanInputs } from '../src/reconcile/plan.js';
import { deriveContext, objectId, objectMembers, type SourceResource } from '../src/reconcile/source.js';
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
const fixtures = benchObjects(n).objects;
// The fixtures' own objects keyed by hostnames (their vs-uuid maps) are garbage by now; a full GC drops their
// hidden-class transitions, as it would in a worker that never sees them (members/string-map.ts says why it matters).
gc();
for (const o of fixtures) {
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
  // Parsed from JSON text as the list response is (randomUUID and the literals above build ropes, not flat strings).
  const parsed = JSON.parse(JSON.stringify(obj)) as KubernetesObject;
  m.set(`${String(obj.metadata.namespace)}/${String(obj.metadata.name)}`, slimMemberObject(resource, parsed));
}

const afterCaches = rss();

// Derived members per object and object ids per key: the worker's source stage (source.ts) into its MemberIndex.
const index = new MemberIndex(() => undefined);
const source = { gdp, tenant: 'admin', naming: identityNaming };
for (const [k, objs] of caches) {
  const cluster = CLUSTERS.find((c) => k.startsWith(c))!;
  const resource: SourceResource = k.endsWith(COLLECTIONS.ingresses) ? 'ingresses' : k.endsWith(COLLECTIONS.services) ? 'services' : 'routes';
  const ctx = deriveContext(cluster, source, () => undefined);
  for (const o of objs.values()) index.set(objectId(cluster, resource, o), objectMembers(resource, o, ctx, identityNaming), false);
}

const afterMembers = rss();

// The Avi-side cache as the worker keeps it (AviStateCache: identity plus the diff's canonical form), filled by a
// full resync from controller-rendered copies of what the plan stage creates against an empty controller.
const inputs: PlanInputs = { createdBy: 'amko-bench', amkoUuid: 'bench', gdp, hostRules: new Map(), templates: new Map(), members: (key) => index.membersOf(key) };
const aviCache = new AviStateCache(() => inputs.createdBy);
let gsCount = 0;
let hmCount = 0;
// In a function, so the listed copies are garbage once the cache is filled.
(function resync() {
  const listedGs: GslbService[] = [];
  const listedHms: HealthMonitor[] = [];
  const hmUuids = new Map<string, string>();
  for (const op of planKeys(planKeySet(index, aviCache, inputs.createdBy), inputs, aviCache)) {
    const tenantRef = `https://avi/api/tenant/${op.tenant}#${op.tenant}`;
    // Parsed from JSON text, as the Avi client's list pages are; refs as the controller renders them with
    // include_name (`…/api/<type>/<uuid>#<name>`). A key's monitors are planned before its GslbService.
    if (op.op === 'create-gs') {
      const refs = (op.gs.health_monitor_refs ?? []).map((r) => {
        const name = new URLSearchParams(r.slice(r.indexOf('?') + 1)).get('name')!;
        return `https://avi/api/healthmonitor/${hmUuids.get(name)}#${name}`;
      });
      listedGs.push(JSON.parse(JSON.stringify({ ...op.gs, health_monitor_refs: refs, uuid: crypto.randomUUID(), url: `https://avi/api/gslbservice/${op.key}`, tenant_ref: tenantRef, _last_modified: String(Date.now()) })));
    } else if (op.op === 'create-hm') {
      const uuid = crypto.randomUUID();
      hmUuids.set(op.hm.name, uuid);
      listedHms.push(JSON.parse(JSON.stringify({ ...op.hm, uuid, tenant_ref: tenantRef })));
    }
  }
  gsCount = listedGs.length;
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
void [caches, index, aviCache];
