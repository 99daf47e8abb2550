// The peer the webhook benchmark compares amko with: a GlobalDeploymentPolicy validating and
// defaulting webhook written the way a Kubernetes engineer would with Go controller-runtime
// (pkg/webhook/admission: a typed validator + defaulter, controller-runtime's webhook.Server
// and JSON patch, one JSON log line per decision). It is not part of this repository; the
// benchmark takes it from outside:
//   --peer-bin <file>  or AMKO_BENCH_PEER_BIN  a built binary;
//   --peer-dir <dir>   or AMKO_BENCH_PEER_DIR  its Go source (go.mod at the top), built here with
//                      `go build -trimpath` into .cache/bench-peer/<hash of the sources>/.
// The binary must accept `--host H --port P --cert-dir D` (D/tls.crt, D/tls.key) and serve
// POST /validate, POST /mutate and GET /healthz over HTTPS.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, log } from './common.js';

export interface Peer {
  bin: string;
  /** What it was built from, for the results: the sources' hash or the binary's name (no local path). */
  from: string;
}

/** The value of `--name <v>` or `--name=<v>` in argv. */
export function argValue(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === name) return argv[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}

/** The peer from the command line or the environment; undefined when none is given. */
export function resolvePeer(argv: string[] = process.argv.slice(2)): Peer | undefined {
  const bin = argValue(argv, '--peer-bin') ?? process.env.AMKO_BENCH_PEER_BIN;
  if (bin) {
    const file = path.resolve(bin);
    if (!existsSync(file)) throw new Error(`peer binary ${file} does not exist`);
    return { bin: file, from: `binary ${path.basename(file)}` };
  }
  const dir = argValue(argv, '--peer-dir') ?? process.env.AMKO_BENCH_PEER_DIR;
  if (!dir) return undefined;
  const built = buildPeer(path.resolve(dir));
  return { bin: built, from: `Go sources, sha256 ${path.basename(path.dirname(built))}…` };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.go$|^go\.(mod|sum)$/.test(f) && statSync(path.join(dir, f)).isFile())
    .sort();
}

/** Builds the peer from its Go source once per version of the sources (the hash of its files). */
function buildPeer(dir: string): string {
  if (!existsSync(path.join(dir, 'go.mod'))) throw new Error(`${dir} has no go.mod: --peer-dir wants the peer's Go source`);
  const hash = createHash('sha256');
  for (const f of sourceFiles(dir)) hash.update(f).update('\0').update(readFileSync(path.join(dir, f))).update('\0');
  const out = path.join(REPO_ROOT, '.cache', 'bench-peer', hash.digest('hex').slice(0, 16));
  const bin = path.join(out, 'cr-webhook');
  if (existsSync(bin)) return bin;
  mkdirSync(out, { recursive: true });
  log(`building the peer from ${dir} (go build; the first build downloads its modules and can take minutes)`);
  execFileSync('go', ['build', '-trimpath', '-o', bin, '.'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  return bin;
}
