// `amko schemas`: the JSON Schemas of the four kinds for editors and kubeconform
// (generated from src/api), printed as one JSON object keyed by file name, or
// written one file per kind (`--out-dir schemas`, used by `npm run crds`).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { KIND_NAMES } from '../api/kinds.js';
import { editorSchema, editorSchemaJson, jsonSchemaFileName } from '../api/json-schema.js';

/** Writes every schema into `dir` and removes stale generated files there. Returns the file names written. */
export function writeSchemas(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const names = KIND_NAMES.map((kind) => {
    const name = jsonSchemaFileName(kind);
    writeFileSync(path.join(dir, name), editorSchemaJson(kind));
    return name;
  });
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.json') && !names.includes(f)) rmSync(path.join(dir, f));
  }
  return names;
}

export function registerSchemas(program: Command): void {
  program
    .command('schemas')
    .description('print the JSON Schemas of the four kinds (for editors and kubeconform), generated from the API schemas')
    .option('--out-dir <dir>', 'write one <kind>_<version>.json file per kind into <dir> instead of printing')
    .action((opts: { outDir?: string }) => {
      if (opts.outDir) {
        for (const f of writeSchemas(opts.outDir)) process.stdout.write(`${path.join(opts.outDir, f)}\n`);
      } else {
        const all = Object.fromEntries(KIND_NAMES.map((k) => [jsonSchemaFileName(k), editorSchema(k)]));
        process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      }
    });
}
