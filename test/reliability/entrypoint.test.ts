// scripts/entrypoint.sh, the image's entrypoint: the heap flag it puts into NODE_OPTIONS for a
// container memory limit (run through entrypoint-run.ts).
import assert from 'node:assert/strict';
import { entrypointFor } from './entrypoint-run.js';

const MiB = 1024 * 1024;

describe('reliability: the container entrypoint sizes the heap from the memory limit', () => {
  it('gives the heap half of AMKO_MEMORY_LIMIT and passes the arguments on', () => {
    assert.deepEqual(entrypointFor({ AMKO_MEMORY_LIMIT: String(512 * MiB) }), { nodeOptions: '--max-old-space-size=256', args: ['dist/cli.js', 'serve'] });
    assert.equal(entrypointFor({ AMKO_MEMORY_LIMIT: String(384 * MiB) }).nodeOptions, '--max-old-space-size=192');
    assert.equal(entrypointFor({ AMKO_MEMORY_LIMIT: String(1000 * 1000 * 1000) }).nodeOptions, '--max-old-space-size=476');
    assert.deepEqual(entrypointFor({ AMKO_MEMORY_LIMIT: String(512 * MiB) }, ['dist/cli.js', 'validate', '-f', 'a b.yaml']).args, ['dist/cli.js', 'validate', '-f', 'a b.yaml']);
  });

  it('keeps other NODE_OPTIONS and an explicit heap size', () => {
    assert.equal(entrypointFor({ AMKO_MEMORY_LIMIT: String(512 * MiB), NODE_OPTIONS: '--enable-source-maps' }).nodeOptions, '--enable-source-maps --max-old-space-size=256');
    assert.equal(entrypointFor({ AMKO_MEMORY_LIMIT: String(512 * MiB), NODE_OPTIONS: '--max-old-space-size=300' }).nodeOptions, '--max-old-space-size=300');
  });

  it('sets nothing without a usable limit', () => {
    // cgroup v1 reports "no limit" as 2^63 - 4096; v2 as "max".
    for (const limit of ['9223372036854771712', 'max', '512Mi', String(100 * MiB), String(8192 * MiB)]) {
      assert.equal(entrypointFor({ AMKO_MEMORY_LIMIT: limit }).nodeOptions, '', limit);
    }
  });
});
