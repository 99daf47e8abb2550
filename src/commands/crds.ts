// `amko crds`: print the CustomResourceDefinitions generated from src/api, or
// write one file per kind (`--out-dir charts/amko/crds`, used by `npm run crds`).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { KIND_NAMES } from '../api/kinds.js';
import { crdFileName, crdYaml, crdsYaml } from '../api/crd.js';

/** Writes every CRD into `dir` and removes stale generated files there. Returns the file names written. */
export function writeCrds(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const names = KIND_NAMES.map((kind) => {
    const name = crdFileName(kind);
    writeFileSync(path.join(dir, name), crdYaml(kind));
    return name;
  });
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.yaml') && !names.includes(f)) rmSync(path.join(dir, f));
  }
  return names;
}

export function registerCrds(program: Command): void {
  program
    .command('crds')
    .description('print the CustomResourceDefinitions (generated from the API schemas) as YAML')
    .option('--out-dir <dir>', 'write one file per CRD into <dir> instead of printing')
    .action((opts: { outDir?: string }) => {
      if (opts.outDir) {
        for (const f of writeCrds(opts.outDir)) process.stdout.write(`${path.join(opts.outDir, f)}\n`);
      } else {
        process.stdout.write(crdsYaml());
      }
    });
}
