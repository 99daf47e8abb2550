// The list/watch loop (src/kube/list-watch.ts) against a scripted HTTP server
// speaking the API server's list and watch protocol: the watch resumes from the
// last resourceVersion (events and bookmarks) when the server ends it, lists
// again on 410 Gone (as an ERROR event or as the answer), hands the differences
// of a relist to the handlers, and stops with an error on any other ERROR.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from '../../src/kube/client.js';
import { scriptedClient } from './support/scripted-client.js';
import { ListWatch } from '../../src/kube/list-watch.js';

const obj = (name: string, rv: string, namespace = 'ns') => ({ metadata: { name, namespace, resourceVersion: rv } });
const event = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

type WatchStep = (res: http.ServerResponse) => void;

describe('kube: list/watch loop (scripted API server)', () => {
  let server: http.Server;
  let lists: Array<{ items: unknown[]; rv: string }>;
  let watches: WatchStep[];
  const listCalls: string[] = [];
  const watchCalls: URLSearchParams[] = [];
  let client: KubeClient;

  before(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.searchParams.get('watch') === 'true') {
        watchCalls.push(url.searchParams);
        const step = watches.shift();
        if (!step) return void res.writeHead(200).write(''); // held open until the test ends
        return step(res);
      }
      listCalls.push(url.pathname);
      const l = lists.shift()!;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'List', metadata: { resourceVersion: l.rv }, items: l.items }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = scriptedClient(server);
  });

  after(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('resumes from bookmarks, relists on 410 (event or answer) with the differences as events, stops on other errors', async () => {
    lists = [
      { items: [obj('a', '1'), obj('b', '2')], rv: '10' },
      { items: [obj('a', '11'), obj('c', '20')], rv: '20' },
      { items: [obj('a', '11'), obj('c', '21')], rv: '30' },
    ];
    watches = [
      (res) => {
        res.writeHead(200);
        // One event split over two writes, then a bookmark; then the server ends the watch (its timeout).
        const e = event('MODIFIED', obj('a', '11'));
        res.write(e.slice(0, 9));
        setTimeout(() => res.end(e.slice(9) + event('BOOKMARK', { metadata: { resourceVersion: '15' } })), 20);
      },
      (res) => {
        res.writeHead(200);
        res.end(event('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' }));
      },
      (res) => res.writeHead(410, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 410, message: 'gone' })),
      (res) => {
        res.writeHead(200);
        res.write(event('ADDED', obj('d', '31', 'other')));
        res.end(event('ERROR', { kind: 'Status', code: 500, message: 'internal error' }));
      },
    ];
    const seen: string[] = [];
    const errors: unknown[] = [];
    let failed!: () => void;
    const failure = new Promise<void>((r) => (failed = r));
    const lw = new ListWatch<KubernetesObject>(
      client,
      '/api/v1/things',
      () => client.request('GET', '/api/v1/things'),
      {
        add: (o) => seen.push(`add ${o.metadata!.name}@${o.metadata!.resourceVersion}`),
        update: (o) => seen.push(`update ${o.metadata!.name}@${o.metadata!.resourceVersion}`),
        delete: (o) => seen.push(`delete ${o.metadata!.name}@${o.metadata!.resourceVersion}`),
        error: (err) => {
          errors.push(err);
          failed();
        },
      },
      {
        labelSelector: 'app=x',
        transform: (o) => ({ ...o, metadata: { ...o.metadata, labels: { transformed: 'yes' } } }),
      },
    );
    await lw.start();
    await failure;
    assert.deepEqual(seen, [
      'add a@1',
      'add b@2',
      'update a@11',
      // relist after the 410 ERROR event: b is gone, c is new, a unchanged (same resourceVersion: no event)
      'delete b@2',
      'add c@20',
      // relist after the 410 answer
      'update c@21',
      'add d@31',
    ]);
    assert.equal(listCalls.length, 3);
    assert.deepEqual(
      watchCalls.map((q) => q.get('resourceVersion')),
      ['10', '15', '20', '30'],
      'each watch starts where the last list, event or bookmark left off',
    );
    for (const q of watchCalls) {
      assert.equal(q.get('allowWatchBookmarks'), 'true');
      assert.equal(q.get('labelSelector'), 'app=x');
      const t = Number(q.get('timeoutSeconds'));
      assert.ok(t >= 300 && t <= 600, `timeoutSeconds ${t}`);
    }
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /internal error/);
    assert.equal((errors[0] as { statusCode: number }).statusCode, 500);
    assert.deepEqual(lw.get('d', 'other')?.metadata?.labels, { transformed: 'yes' }, 'watched objects are transformed');
    assert.deepEqual(lw.list('ns').map((o) => o.metadata!.name).sort(), ['a', 'c']);
    assert.equal(lw.list().length, 3);
    // Stopped after the error: no further watch was opened.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(watchCalls.length, 4);

    // A restart resumes from the last resourceVersion (no list), and stop() ends it without an error.
    await lw.start();
    assert.equal(watchCalls.length, 5);
    assert.equal(watchCalls[4]!.get('resourceVersion'), '31');
    lw.stop();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(errors.length, 1);
    assert.equal(listCalls.length, 3);
  });

  it('a watch the server ends at once with nothing in it is a failure, not reopened in a busy loop', async () => {
    lists = [{ items: [obj('a', '1')], rv: '40' }];
    watches = [(res) => res.writeHead(200).end(), (res) => res.writeHead(200).end(), (res) => res.writeHead(200).end()];
    const before = watchCalls.length;
    const errors: unknown[] = [];
    let failed!: () => void;
    const failure = new Promise<void>((r) => (failed = r));
    const lw = new ListWatch<KubernetesObject>(client, '/api/v1/things', () => client.request('GET', '/api/v1/things'), {
      add: () => undefined,
      update: () => undefined,
      delete: () => undefined,
      error: (err) => {
        errors.push(err);
        failed();
      },
    });
    await lw.start();
    await failure;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(watchCalls.length - before, 1, 'one watch, then the caller backs off');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /closed by the server right after opening/);
    lw.stop();
  });
});
