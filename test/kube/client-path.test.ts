// A cluster reached through a path prefix (e.g. a member cluster proxied by
// Rancher at https://host/k8s/clusters/<id>): every request and watch keeps the
// prefix, as kubectl does. Resolving the API path against the server URL dropped it.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { KubeClient } from '../../src/kube/client.js';
import { scriptedClient } from './support/scripted-client.js';

describe('kube client: a server URL with a path prefix', () => {
  let server: http.Server;
  const seen: string[] = [];
  let client: KubeClient;

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.url!);
      if (req.url!.includes('watch=true')) return void res.writeHead(200, { 'Content-Type': 'application/json' }).end();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'List', metadata: { resourceVersion: '1' }, items: [] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = scriptedClient(server, '/k8s/clusters/c-1/');
  });

  after(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('requests and watches go to <prefix>/<API path>', async () => {
    await client.list('/api/v1/namespaces?limit=500');
    let ended!: () => void;
    const done = new Promise<void>((r) => (ended = r));
    await client.watch('/apis/networking.k8s.io/v1/ingresses', { resourceVersion: '1' }, () => undefined, () => ended());
    await done;
    assert.deepEqual(seen, ['/k8s/clusters/c-1/api/v1/namespaces?limit=500', '/k8s/clusters/c-1/apis/networking.k8s.io/v1/ingresses?watch=true&resourceVersion=1']);
  });
});
