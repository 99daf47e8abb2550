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
import { KINDS, isKindName } from '../src/api/kinds.js';
import { admissionDuration, admissionRequests } from '../src/admission/metrics.js';
import { decodeReview, forbiddenStatus, invalidStatus, review, type AdmissionResponse } from '../src/admission/review.js';
import { createLogger } from '../src/log.js';
import { defaults, patchFor, ruleIds, validate } from '../src/rules/index.js';
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
const log = createLogger({}).child({}, { redact: [] });

function handle(webhook: string, body: unknown): AdmissionResponse {
  const { request } = decodeReview(body);
  const kind = request.kind.kind;
  const response: AdmissionResponse = { uid: request.uid, allowed: true };
  if (!isKindName(kind) || request.operation === 'DELETE' || request.subResource) return response;
  if (webhook === 'mutate') {
    const d = defaults(kind, request.object, { operation: request.operation });
    const ops = patchFor(request.object, d);
    if (ops.length) {
      response.patchType = 'JSONPatch';
      response.patch = Buffer.from(JSON.stringify(ops)).toString('base64');
    }
    return response;
  }
  const name = request.name ?? '';
  const r = validate(kind, request.object, { operation: request.operation, view: view as never, namespace: request.namespace ?? '', name });
  if (r.forbidden) {
    response.allowed = false;
    response.status = forbiddenStatus(KINDS[kind].plural, name, r.forbidden, r.errors);
  } else if (r.errors.length) {
    response.allowed = false;
    response.status = invalidStatus(kind, name, r.errors);
  }
  if (r.warnings.length) response.warnings = r.warnings;
  void ruleIds(r);
  return response;
}

const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const started = process.hrtime.bigint();
    const webhook = (req.url ?? '').startsWith('/mutate') ? 'mutate' : 'validate';
    const out = handle(webhook, JSON.parse(Buffer.concat(chunks).toString('utf8')));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    admissionDuration.observe({ webhook }, seconds);
    admissionRequests.inc({ webhook, kind: 'GlobalDeploymentPolicy', operation: 'CREATE', result: out.allowed ? 'allowed' : 'denied' });
    log.info({ uid: out.uid, webhook, allowed: out.allowed, durationMs: seconds * 1e3 }, 'admission decision');
    const text = Buffer.from(JSON.stringify(review('admission.k8s.io/v1', out)));
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': text.length });
    res.end(text);
  });
});
server.keepAliveTimeout = 10_000;
server.listen(0, '127.0.0.1', () => process.send!({ type: 'ready', port: (server.address() as AddressInfo).port }));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
