// Runs scripts/entrypoint.sh, the image's entrypoint, with a stand-in `node` first on PATH that
// prints what it was given: the NODE_OPTIONS (heap flag) the entrypoint derives from a limit.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../admission/support.js';

const ENTRYPOINT = path.join(repoRoot, 'scripts/entrypoint.sh');

/** Runs the entrypoint with `env`; returns the NODE_OPTIONS and arguments `node` would get. */
export function entrypointFor(env: Record<string, string>, args = ['dist/cli.js', 'serve']): { nodeOptions: string; args: string[] } {
  const bin = mkdtempSync(path.join(tmpdir(), 'amko-entrypoint-'));
  try {
    writeFileSync(path.join(bin, 'node'), '#!/bin/sh\nprintf "%s\\n" "${NODE_OPTIONS:-}" "$@"\n');
    chmodSync(path.join(bin, 'node'), 0o755);
    const r = spawnSync('/bin/sh', [ENTRYPOINT, ...args], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [nodeOptions, ...rest] = r.stdout.replace(/\n$/, '').split('\n');
    return { nodeOptions: nodeOptions ?? '', args: rest };
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}
