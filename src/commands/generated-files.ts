// One writer for the files generated from src/api (CRDs, editor schemas): one file per kind into a
// directory, and generated files of that extension no kind owns any more are removed; and the one
// action of the commands that print or write them.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KIND_NAMES, type KindName } from '../api/kinds.js';

/** Writes `render(kind)` to `dir/fileName(kind)` for every kind; returns the paths written. */
export function writeGeneratedFiles(dir: string, ext: string, fileName: (kind: KindName) => string, render: (kind: KindName) => string): string[] {
  mkdirSync(dir, { recursive: true });
  const names = KIND_NAMES.map((kind) => {
    const name = fileName(kind);
    writeFileSync(path.join(dir, name), render(kind));
    return name;
  });
  for (const f of readdirSync(dir)) {
    if (f.endsWith(ext) && !names.includes(f)) rmSync(path.join(dir, f));
  }
  return names.map((n) => path.join(dir, n));
}

/** A generator command's action: with `--out-dir`, write one file per kind and print their paths; else print `all()`. */
export function generatedFilesAction(
  ext: string,
  fileName: (kind: KindName) => string,
  render: (kind: KindName) => string,
  all: () => string,
): (opts: { outDir?: string }) => void {
  return (opts) => {
    if (!opts.outDir) {
      process.stdout.write(all());
      return;
    }
    for (const f of writeGeneratedFiles(opts.outDir, ext, fileName, render)) process.stdout.write(`${f}\n`);
  };
}
