import assert from 'node:assert/strict';
import type { KubernetesObject, V1Ingress, V1Namespace, V1Service } from '@kubernetes/client-node';
import { slimMemberObject } from '../../src/reconcile/cluster.js';
import { deriveIngress, deriveRoute, deriveService, type DeriveContext, type Route } from '../../src/reconcile/members/derive.js';
import { selectionFromGdp } from '../../src/reconcile/members/selection.js';
import type { GDPSpec } from '../../src/api/index.js';
import { ingress, lbService, route } from './fixtures.js';

/** What an API server adds: uid, resourceVersion, managedFields, kubectl's last-applied annotation. */
function asServed<T extends KubernetesObject>(o: T): T {
  const c = structuredClone(o) as T & { metadata: Record<string, unknown> };
  const md = c.metadata as Record<string, unknown> & { annotations?: Record<string, string> };
  md.uid = 'u-1';
  md.resourceVersion = '42';
  md.creationTimestamp = '2026-01-01T00:00:00Z';
  md.managedFields = [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }];
  md.annotations = { ...(md.annotations ?? {}), 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(o) };
  return c;
}

describe('reconcile/cluster: slimMemberObject (what the member informers cache)', () => {
  const spec = { matchRules: { appSelector: { label: { app: 'a' } } }, matchClusters: [{ cluster: 'c1' }] } as unknown as GDPSpec;
  const ns: V1Namespace = { metadata: { name: 'ns1', labels: { env: 'prod' }, annotations: { 'ako.vmware.com/tenant-name': 't1' } } };
  const ctx: DeriveContext = { cluster: 'c1', selection: selectionFromGdp(spec), defaultTenant: 'admin', namespace: () => slimMemberObject('namespaces', asServed(ns)) as V1Namespace };
  const labels = { app: 'a' };

  it('drops managedFields and the last-applied annotation, keeps name/namespace/resourceVersion, labels and other annotations', () => {
    const served = asServed(lbService('s', 'ns1', { labels, host: 's.example.com', ip: '10.0.0.1' }));
    const slim = slimMemberObject('services', served);
    assert.equal(slim.metadata?.name, 's');
    assert.equal(slim.metadata?.namespace, 'ns1');
    assert.equal(slim.metadata?.resourceVersion, '42');
    assert.equal('managedFields' in slim.metadata!, false);
    assert.equal(slim.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], undefined);
    assert.deepEqual(slim.metadata?.labels, labels);
    assert.ok(Object.keys(slim.metadata?.annotations ?? {}).length > 0);
    assert.ok(served.metadata?.managedFields, 'the input is not modified');
  });

  it('derives the same members from the slim object as from the served one', () => {
    const cases: Array<[Parameters<typeof slimMemberObject>[0], KubernetesObject, (o: KubernetesObject) => unknown]> = [
      ['ingresses', ingress('i', 'ns1', { labels, hosts: [{ host: 'a.example.com', ip: '10.0.0.1', paths: ['/', '/x'] }, { host: 'b.example.com', ip: '10.0.0.2' }], tlsHosts: ['a.example.com'] }), (o) => deriveIngress(o as V1Ingress, ctx)],
      ['services', lbService('s', 'ns1', { labels, host: 's.example.com', ip: '10.0.0.3', ports: [{ port: 53, protocol: 'UDP' }, { port: 443 }] }), (o) => deriveService(o as V1Service, ctx)],
      ['routes', route('r', 'ns1', { labels, host: 'r.example.com', ip: '10.0.0.4', path: '/p', termination: 'edge' }) as KubernetesObject, (o) => deriveRoute(o as Route, ctx)],
      ['routes', route('p', 'ns1', { labels, host: 'p.example.com', ip: '10.0.0.5', termination: 'passthrough' }) as KubernetesObject, (o) => deriveRoute(o as Route, ctx)],
      ['routes', route('s', 'ns1', { labels, subdomain: 'sub', statusHost: 'sub.apps.example.com', ip: '10.0.0.6' }) as KubernetesObject, (o) => deriveRoute(o as Route, { ...ctx, defaultDomain: 'apps.example.com' })],
    ];
    for (const [resource, obj, derive] of cases) {
      const served = asServed(obj);
      const full = derive(served) as { members: unknown[] };
      assert.ok(full.members.length > 0, `${resource}: the fixture yields members`);
      assert.deepEqual(derive(slimMemberObject(resource, served)), full, resource);
    }
  });
});
