// The start path of a worker term: the policy's schema validators (ajv, a few hundred ms of CPU) are
// compiled when the term starts, while it still waits for the own-cluster cache, Avi and the member
// clusters, so the GDP's first validation right before the first Avi write does not pay for them.
// Measured in `bench:sync`'s serve run (the profile put ~0.5 s of compilation right before the first
// write). Run in a fresh process: the compiled validators are module state that other tests fill.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const SCRIPT = `
import { KubeConfig } from '@kubernetes/client-node';
import { ReconcileWorker } from './src/reconcile/worker.ts';
import { schemasCompiled } from './src/rules/schema.ts';
import { createLogger } from './src/log.ts';
const kc = new KubeConfig();
kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
let synced = false;
const cache = { onEvent: () => () => undefined, waitForSync: () => new Promise(() => undefined), isSynced: () => synced };
const w = new ReconcileWorker({ kubeConfig: kc, log: createLogger({ level: 'silent' }) }, { cache, lease: { mayWrite: () => true } });
const before = schemasCompiled();
await w.start();
await new Promise((r) => setImmediate(r));
await new Promise((r) => setImmediate(r));
console.log(JSON.stringify({ before, afterStart: schemasCompiled(), cacheSynced: synced }));
await w.stop();
process.exit(0);
`;

describe('worker start path', () => {
  it('compiles the schema validators when a term starts, before the cache has synced (not on the first GDP evaluation)', function () {
    this.timeout(60_000);
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), { before: false, afterStart: true, cacheSynced: false });
  });
});
