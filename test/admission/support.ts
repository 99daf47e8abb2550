// Starts the real HTTPS admission server on 127.0.0.1:0 with a generated CA,
// and loads the captured AdmissionReview bodies.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createAdmissionApp, type AdmissionAppOptions } from '../../src/admission/app.js';
import type { AdmissionView } from '../../src/admission/view.js';
import { startHttpsServer, type HttpsServerHandle } from '../../src/admission/server.js';
import { fileCertificateSource } from '../../src/certs/local-files.js';
import { ensureLocalCertificates } from '../../src/certs/local.js';
import type { ClusterView } from '../../src/rules/view.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = path.resolve(repoRoot, 'test/fixtures/admission');

export function fixtureNames(): string[] {
  return readdirSync(fixturesDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

export function loadFixture(name: string): any {
  return JSON.parse(readFileSync(path.join(fixturesDir, `${name}.json`), 'utf8'));
}

/** The exact bytes kube-apiserver sent: compact JSON plus a newline. */
export function fixtureBytes(name: string): string {
  return `${JSON.stringify(loadFixture(name))}\n`;
}

export interface TestServer {
  url: string;
  ca: string;
  certDir: string;
  handle: HttpsServerHandle;
  /** Replaces the cluster view the app reads (undefined = no cluster connection). */
  setView(view: AdmissionView | undefined): void;
  close(): Promise<void>;
}

export const silentLog = pino({ level: 'silent' });

export async function startTestServer(opts: Partial<AdmissionAppOptions> & { certPollMs?: number } = {}): Promise<TestServer> {
  const certDir = mkdtempSync(path.join(tmpdir(), 'amko-test-certs-'));
  const local = await ensureLocalCertificates({ certDir });
  const source = fileCertificateSource({ certFile: local.certFile, keyFile: local.keyFile, caFile: local.caFile, pollMs: opts.certPollMs ?? 100 });
  let current: AdmissionView | undefined = opts.view;
  // A view object that delegates, so one server serves every test's view.
  const delegating: AdmissionView = {
    list: (kind) => current!.list(kind),
    confirm: async (kinds) => (current?.confirm ? current.confirm(kinds) : (current as ClusterView)),
    watchSynced: (kinds) => current?.watchSynced?.(kinds) ?? false,
  };
  let hasView = opts.view !== undefined;
  const app = createAdmissionApp({
    log: silentLog,
    ...opts,
    get view() {
      return hasView ? delegating : undefined;
    },
  } as AdmissionAppOptions);
  const handle = await startHttpsServer(app, source, { host: '127.0.0.1', port: 0 });
  return {
    url: handle.url,
    ca: local.ca,
    certDir,
    handle,
    setView(v) {
      current = v;
      hasView = v !== undefined;
    },
    async close() {
      await handle.close(1000);
      source.close?.();
      rmSync(certDir, { recursive: true, force: true });
    },
  };
}
