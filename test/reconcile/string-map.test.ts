// AKO's host-fqdn-vs-uuid-map is read without JSON.parse for the flat shape AKO writes (string-map.ts says
// why); the result must be what the JSON.parse path gives for every input, valid or not.
import assert from 'node:assert/strict';
import { jsonStringEntries, stringEntries } from '../../src/reconcile/members/string-map.js';

/** The reference: JSON.parse, non-objects and invalid text as an empty map. */
function reference(text: string): Map<string, string> {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? new Map() : stringEntries(v);
  } catch {
    return new Map();
  }
}

const texts = [
  '{"app-0.example.com":"virtualservice-a","app-1.example.com":"virtualservice-b"}',
  ' {\n\t"a.example.com" : "vs-1" ,\r\n "b.example.com":"vs-2" } ',
  '{}',
  ' { } ',
  '{"a":"1","a":"2"}',
  '{"esc\\"aped.example.com":"vs-\\u00e9\\n"}',
  '{"uni-é.example.com":"vs-ü"}',
  '{"a":"1",}',
  '{"a":"1" "b":"2"}',
  '{"a":1,"b":"2"}',
  '{"a":{"nested":"x"},"b":"2"}',
  '{"a":null}',
  '{"a":"bad\\xescape"}',
  '{"a":"raw\u0001control"}',
  '{"a":"tab\there"}',
  '["a","b"]',
  '"a string"',
  'null',
  '42',
  '',
  '{',
  '{"a":"1"} trailing',
  '{"a":"1"}\u00a0',
  '{"__proto__":"vs"}',
];

describe('jsonStringEntries (AKO vs-uuid map)', () => {
  it('gives the JSON.parse reading for valid, invalid and odd inputs', () => {
    for (const t of texts) assert.deepEqual([...jsonStringEntries(t)].sort(), [...reference(t)].sort(), JSON.stringify(t));
  });

  it('reads AKO’s flat map, escapes decoded, the last of a duplicated key kept', () => {
    assert.deepEqual(jsonStringEntries(texts[0]!), new Map([['app-0.example.com', 'virtualservice-a'], ['app-1.example.com', 'virtualservice-b']]));
    assert.equal(jsonStringEntries(texts[4]!).get('a'), '2');
    assert.equal(jsonStringEntries(texts[5]!).get('esc"aped.example.com'), 'vs-é\n');
    assert.equal(jsonStringEntries(texts[7]!).size, 0, 'a trailing comma is not JSON');
  });
});
