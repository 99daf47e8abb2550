// Timers safe against overflow: Node replaces a delay above 2^31-1 ms with 1 ms, so a
// refreshInterval of 3,000,000 s made the worker resync continuously. Every setTimeout and
// setInterval in src/ takes a delay that is a literal or passes through boundedDelay
// (checked on the source with the TypeScript parser), and boundedDelay clamps.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { MAX_TIMER_DELAY_MS, boundedDelay } from '../../src/timers.js';
import { repoRoot } from '../admission/support.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** A delay that cannot overflow: a literal within range, boundedDelay(…), or a choice between two such. */
function safeDelay(node: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(node)) return safeDelay(node.expression);
  if (ts.isNumericLiteral(node)) return Number(node.text) <= MAX_TIMER_DELAY_MS;
  if (ts.isConditionalExpression(node)) return safeDelay(node.whenTrue) && safeDelay(node.whenFalse);
  return ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'boundedDelay';
}

/** Calls of the global setTimeout/setInterval whose delay may overflow, as `file:line`. */
function unsafeTimers(file: string): string[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) && callee.expression.getText(src) === 'globalThis' ? callee.name.text : '';
      if ((name === 'setTimeout' || name === 'setInterval') && node.arguments[1] && !safeDelay(node.arguments[1])) {
        found.push(`${path.relative(repoRoot, file)}:${src.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return found;
}

describe('reliability: timers cannot overflow', () => {
  it('clamps delays to 0…2^31-1 ms', () => {
    assert.equal(MAX_TIMER_DELAY_MS, 2_147_483_647);
    assert.equal(boundedDelay(1_800_000), 1_800_000);
    assert.equal(boundedDelay(86_400_000), 86_400_000); // refreshInterval's maximum, exact
    assert.equal(boundedDelay(3_000_000_000), MAX_TIMER_DELAY_MS); // refreshInterval 3,000,000 s
    assert.equal(boundedDelay(2 ** 64 * 1000), MAX_TIMER_DELAY_MS);
    assert.equal(boundedDelay(Infinity), MAX_TIMER_DELAY_MS);
    assert.equal(boundedDelay(-5), 0);
    assert.equal(boundedDelay(-Infinity), 0);
    assert.equal(boundedDelay(Number.NaN), 0);
  });

  it('every setTimeout/setInterval in src/ takes a literal or boundedDelay(…)', () => {
    const files = sourceFiles(path.join(repoRoot, 'src'));
    assert.ok(files.length > 50);
    assert.deepEqual(files.flatMap(unsafeTimers), []);
  });

  it('a clamped 3,000,000 s timer waits (a raw one fires at once with a TimeoutOverflowWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    let rawFired = false;
    let boundedFired = false;
    const raw = setTimeout(() => (rawFired = true), 3_000_000_000);
    const bounded = setTimeout(() => (boundedFired = true), boundedDelay(3_000_000_000));
    await new Promise((r) => setTimeout(r, 100));
    clearTimeout(raw);
    clearTimeout(bounded);
    process.off('warning', onWarning);
    assert.equal(rawFired, true, 'Node no longer turns an overflowing delay into 1 ms: this test shows nothing');
    assert.equal(boundedFired, false);
    assert.deepEqual(warnings, ['TimeoutOverflowWarning']);
  });
});
