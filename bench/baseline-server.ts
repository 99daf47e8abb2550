// The ceiling for Node + TLS on this machine: a bare node:https server with the
// same certificate, TLS settings and timeouts as the admission server, that
// reads the request body and answers one fixed AdmissionReview (whatever the
// path, /healthz included). Run by bench/webhook.ts: args <certFile> <keyFile> <port>.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { TLS_CIPHERS } from '../src/admission/server.js';

const [certFile, keyFile, port] = process.argv.slice(2);
if (!certFile || !keyFile || !port) {
  console.error('usage: baseline-server.ts <certFile> <keyFile> <port>');
  process.exit(2);
}

const answer = Buffer.from(
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: 'fb7f1774-f6d2-4d79-9a12-db90c7688a99', allowed: true },
  }),
);

const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2', ciphers: TLS_CIPHERS, honorCipherOrder: true }, (req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': answer.length });
    res.end(answer);
  });
});
server.requestTimeout = 30_000;
server.headersTimeout = 15_000;
server.keepAliveTimeout = 10_000;
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
