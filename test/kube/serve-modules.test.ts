// `amko serve` with a cluster connection of static credentials (a token here;
// client certificates take the same path) does not load client-node: its import
// costs ~0.4 s and ~75 MiB of RSS, most of what the process would otherwise
// hold. The modules the process loads are recorded by a loader hook
// (support/record-modules.mjs) while the kube layer runs: the informers list
// through client.ts/connection.ts/list-watch.ts against an address that
// refuses, and the webhook listens.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../admission/support.js';

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('kube: amko serve does not load client-node for a kubeconfig with static credentials', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'amko-serve-modules-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the webhook and the informers without importing @kubernetes/client-node', async () => {
    const kubeconfig = path.join(dir, 'kubeconfig.yaml');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: own',
        `clusters: [{name: own, cluster: {server: "https://127.0.0.1:${await closedPort()}"}}]`,
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: own, context: {cluster: own, user: u}}]',
      ].join('\n'),
    );
    const moduleLog = path.join(dir, 'modules.txt');
    writeFileSync(moduleLog, '');
    const args = ['--import', 'tsx', '--import', './test/kube/support/record-modules.mjs', 'src/cli.ts', 'serve'];
    args.push('--host', '127.0.0.1', '--port', '0', '--cert-dir', path.join(dir, 'certs'), '--kubeconfig', kubeconfig);
    args.push('--member-kubeconfig', kubeconfig, '--webhook-workers', '1');
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: { ...process.env, AMKO_MODULE_LOG: moduleLog, KUBERNETES_SERVICE_HOST: '', NODE_NO_WARNINGS: '1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      // Both the webhook and the kube layer have run: it listens, and an informer's list went out and failed.
      await new Promise<void>((resolve, reject) => {
        const seen = new Set<string>();
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('"msg":"admission webhook listening"')) seen.add('listening');
          if (/"informer":"own\/[a-z]+".*"msg":"watch failed; restarting"/.test(out)) seen.add('informer');
          if (seen.size === 2) resolve();
        });
        void exited.then((code) => reject(new Error(`amko serve exited (${code}) before it ran:\n${out}`)));
      });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const modules = readFileSync(moduleLog, 'utf8').split('\n').filter(Boolean);
    assert.deepEqual(
      modules.filter((m) => m.includes('/@kubernetes/client-node/')),
      [],
      'no client-node module is loaded',
    );
    const ours = (f: string) => modules.some((m) => m.endsWith(`/src/kube/${f}`));
    for (const f of ['config.ts', 'client.ts', 'connection.ts', 'informer.ts', 'list-watch.ts', 'watch-stream.ts']) {
      assert.ok(ours(f), `the serve path loaded src/kube/${f}`);
    }
  });
});
