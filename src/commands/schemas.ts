// `amko schemas`: the JSON Schemas of the four kinds for editors and kubeconform
// (generated from src/api), printed as one JSON object keyed by file name, or
// written one file per kind (`--out-dir schemas`, used by `npm run crds`).
import type { Command } from 'commander';
import { KIND_NAMES } from '../api/kinds.js';
import { editorSchema, editorSchemaJson, jsonSchemaFileName } from '../api/json-schema.js';
import { generatedFilesAction } from './generated-files.js';

export function registerSchemas(program: Command): void {
  program
    .command('schemas')
    .description('print the JSON Schemas of the four kinds (for editors and kubeconform), generated from the API schemas')
    .option('--out-dir <dir>', 'write one <kind>_<version>.json file per kind into <dir> instead of printing')
    .action(
      generatedFilesAction('.json', jsonSchemaFileName, editorSchemaJson, () => {
        const all = Object.fromEntries(KIND_NAMES.map((k) => [jsonSchemaFileName(k), editorSchema(k)]));
        return `${JSON.stringify(all, null, 2)}\n`;
      }),
    );
}
