// Locates promtool and kubeconform, built by scripts/chart-tools.sh (which
// scripts/k8s-tools.sh runs) next to the k8s tools; builds them when missing.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './tools.js';
import type { CliResult } from './kubectl.js';

export interface ChartTools {
  promtool: string;
  kubeconform: string;
}

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'chart-tools.sh');
let tools: Promise<ChartTools> | undefined;

/** Builds the tools if needed (minutes on a cold machine; instant when cached). */
export function ensureChartTools(): Promise<ChartTools> {
  tools ??= new Promise<ChartTools>((resolve, reject) => {
    execFile('bash', [SCRIPT], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        tools = undefined;
        reject(new Error(`${SCRIPT} failed: ${stderr.slice(-4000)}`));
        return;
      }
      const bin = stdout.trim().split('\n').pop()!;
      resolve({ promtool: path.join(bin, 'promtool'), kubeconform: path.join(bin, 'kubeconform') });
    });
  });
  return tools;
}

/** Runs a binary; never throws on a non-zero exit. */
export function runTool(bin: string, args: string[], opts: { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(bin, args, { cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
