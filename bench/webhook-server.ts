// The admission server under test, as `amko serve` composes it (createAdmissionApp
// + startHttpsServer + the file certificate source + the pino logger at the
// configured level, writing to stdout), run as a child process of
// bench/webhook.ts so the load generator never shares its CPU.
//
// The view: the same `list(kind)` interface the own-cluster informer cache
// exposes, over objects held in memory (a GSLBConfig with member clusters and
// BENCH_HOSTRULES GSLBHostRules in avi-system). It has no `confirm`, so every
// cross-object rule is answered from memory and the request path never reaches
// an API server.
//
// Args: <certFile> <keyFile>. Env: LOG_LEVEL (default info), BENCH_HOSTRULES (default 500).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createAdmissionApp } from '../src/admission/app.js';
import type { AdmissionView } from '../src/admission/view.js';
import { startHttpsServer } from '../src/admission/server.js';
import { fileCertificateSource } from '../src/certs/local-files.js';
import { createLogger } from '../src/log.js';
import type { KubeObject } from '../src/rules/view.js';
import type { KindName } from '../src/api/kinds.js';

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile || !process.send) {
  console.error('usage: webhook-server.ts <certFile> <keyFile> (as a child process with IPC)');
  process.exit(2);
}

const FIXTURES = process.env.BENCH_FIXTURES ?? path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
function fixtureObject(name: string): KubeObject {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')).request.object as KubeObject;
}

/** What the informer cache would hold: GSLBConfig gc-1 (members cluster1-admin, cluster2-admin) and N GSLBHostRules. */
function cacheObjects(hostRules: number): Map<KindName, KubeObject[]> {
  const byKind = new Map<KindName, KubeObject[]>([
    ['GSLBConfig', [fixtureObject('gslbconfig-create.validate')]],
    ['GlobalDeploymentPolicy', []],
    ['GSLBHostRule', []],
    ['AMKOCluster', []],
  ]);
  const template = fixtureObject('gslbhostrule-create.validate');
  for (let i = 0; i < hostRules; i++) {
    const o = structuredClone(template) as KubeObject & { spec: { fqdn: string } };
    o.metadata = { ...o.metadata, name: `ghr-${i}`, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` };
    o.spec.fqdn = `app-${i}.bench.example.com`;
    byKind.get('GSLBHostRule')!.push(o);
  }
  return byKind;
}

const objects = cacheObjects(Number(process.env.BENCH_HOSTRULES ?? 500));
const view: AdmissionView = { list: (kind) => objects.get(kind) ?? [] };
const log = createLogger({ asyncStdout: true }); // as `amko serve` creates it
const certs = fileCertificateSource({ certFile, keyFile, log });
const app = createAdmissionApp({ view, log, readiness: () => [] });
const handle = await startHttpsServer(app, certs, { host: '127.0.0.1', port: 0, log });
process.send({ type: 'ready', port: handle.port });

process.on('message', (m: { type?: string }) => {
  if (m?.type === 'cpu') process.send!({ type: 'cpu', usage: process.cpuUsage(), memory: process.memoryUsage() });
});
const stop = () => {
  certs.close?.();
  void handle.close(1000).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
