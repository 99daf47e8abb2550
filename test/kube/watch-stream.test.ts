// The watch body parser: events split anywhere across chunks (UTF-8 characters
// included), bookmarks and ERROR events passed on, junk lines skipped.
import assert from 'node:assert/strict';
import { WatchEventParser } from '../../src/kube/watch-stream.js';

const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

describe('kube: watch stream parser', () => {
  it('returns each event once, whatever the chunk boundaries (one byte at a time included)', () => {
    const body = Buffer.from(
      line('ADDED', { metadata: { name: 'größe-ü', resourceVersion: '1' } }) +
        line('MODIFIED', { metadata: { name: 'b', resourceVersion: '2' } }) +
        line('BOOKMARK', { metadata: { resourceVersion: '7' } }),
    );
    for (const size of [1, 2, 3, 7, 64, body.length]) {
      const p = new WatchEventParser();
      const events = [];
      for (let i = 0; i < body.length; i += size) events.push(...p.push(body.subarray(i, i + size)));
      events.push(...p.end());
      assert.deepEqual(
        events.map((e) => [e.type, e.object.metadata?.resourceVersion]),
        [
          ['ADDED', '1'],
          ['MODIFIED', '2'],
          ['BOOKMARK', '7'],
        ],
        `chunks of ${size}`,
      );
      assert.equal((events[0]!.object.metadata as { name: string }).name, 'größe-ü');
    }
  });

  it('holds a partial line until its end; a final line without a line break comes with end()', () => {
    const p = new WatchEventParser();
    const text = line('DELETED', { metadata: { name: 'x', resourceVersion: '3' } });
    assert.deepEqual(p.push(text.slice(0, 10)), []);
    assert.equal(p.push(text.slice(10, -1)).length, 0);
    assert.deepEqual(p.end().map((e) => e.type), ['DELETED']);
    assert.deepEqual(p.end(), []);
  });

  it('passes ERROR events (a 410 Status) and skips blank and non-event lines', () => {
    const p = new WatchEventParser();
    const events = p.push(
      '\n' + 'not json\n' + '{"type":"ADDED"}\n' + '[1,2]\n' + line('ERROR', { kind: 'Status', code: 410, message: 'too old resource version: 1 (5)' }),
    );
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'ERROR');
    assert.equal(events[0]!.object.code, 410);
  });
});
