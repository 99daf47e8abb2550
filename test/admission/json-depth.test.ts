// withinDepth() against the nesting of the parsed value, for arbitrary JSON (strings full of
// brackets, quotes and backslashes included), and on the bodies that blocked the event loop.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, withinDepth } from '../../src/admission/json-depth.js';

/** Nesting of a parsed value (a scalar is 0), without recursion. */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, d + 1);
    for (const child of Object.values(v as object)) stack.push([child, d + 1]);
  }
  return max;
}

const tricky = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', 'é', ',', ':') });
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, tricky, fc.integer(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(tricky, tie('value'), { maxKeys: 4 }),
})).value;

describe('admission: JSON nesting check', () => {
  it('agrees with the parsed nesting for any JSON text and limit', () => {
    fc.assert(
      fc.property(json, fc.integer({ min: 0, max: 8 }), fc.boolean(), (value, limit, pretty) => {
        const text = Buffer.from(JSON.stringify(value, null, pretty ? 2 : undefined));
        // Texts no longer than the limit pass unread; pad so that every text is read.
        const padded = Buffer.concat([text, Buffer.alloc(limit + 1, 0x20)]);
        assert.equal(withinDepth(padded, limit), depthOf(value) <= limit, text.toString());
      }),
      { numRuns: 2000 },
    );
  });

  it(`refuses ${MAX_JSON_DEPTH + 1} levels and accepts ${MAX_JSON_DEPTH}, arrays or objects`, () => {
    for (const [open, close] of [['[', ']'], ['{"a":', '}']]) {
      const text = (n: number) => Buffer.from(`${open.repeat(n)}1${close.repeat(n)}`);
      assert.equal(withinDepth(text(MAX_JSON_DEPTH)), true);
      assert.equal(withinDepth(text(MAX_JSON_DEPTH + 1)), false);
    }
  });

  it('refuses the 2.8 MiB body nested 1.45 million levels deep', () => {
    const n = 1_450_000;
    assert.equal(withinDepth(Buffer.from(`{"request":{"object":${'['.repeat(n)}${']'.repeat(n)}}}`)), false);
  });
});
