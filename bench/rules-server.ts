// Reference point, not a product path: the same admission work as the amko
// server (decode the AdmissionReview, the rules with the same in-memory view,
// defaults + JSONPatch, the 422/403 Status bodies, the same metrics and the
// same decision log line) directly on node:https, without express. The gap
// between this and webhook-server.ts is what the express 5 stack (router,
// body-parser, res.json) costs per request. Args: <certFile> <keyFile>.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createDecider } from '../src/admission/app.js';
import { createLogger } from '../src/log.js';
import type { KubeObject } from '../src/rules/view.js';

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile || !process.send) process.exit(2);
const FIXTURES = process.env.BENCH_FIXTURES ?? path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
const fixture = (n: string) => JSON.parse(readFileSync(path.join(FIXTURES, `${n}.json`), 'utf8')).request.object as KubeObject;
const gc = fixture('gslbconfig-create.validate');
const ghrs: KubeObject[] = [];
const t = fixture('gslbhostrule-create.validate');
for (let i = 0; i < Number(process.env.BENCH_HOSTRULES ?? 500); i++) {
  const o = structuredClone(t) as KubeObject & { spec: { fqdn: string } };
  o.metadata = { ...o.metadata, name: `ghr-${i}` };
  o.spec.fqdn = `app-${i}.bench.example.com`;
  ghrs.push(o);
}
const view = { list: (k: string) => (k === 'GSLBConfig' ? [gc] : k === 'GSLBHostRule' ? ghrs : []) };
const log = createLogger({});

// The product's own decision function (envelope, rules, metrics, decision log line).
const decide = createDecider({ view: view as never, log });

const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const webhook = (req.url ?? '').startsWith('/mutate') ? 'mutate' : 'validate';
    void decide(webhook, JSON.parse(Buffer.concat(chunks).toString('utf8'))).then((reply) => {
      const text = Buffer.from(JSON.stringify(reply.body));
      res.writeHead(reply.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': text.length });
      res.end(text);
    });
  });
});
server.keepAliveTimeout = 10_000;
server.listen(0, '127.0.0.1', () => process.send!({ type: 'ready', port: (server.address() as AddressInfo).port }));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
