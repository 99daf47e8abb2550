// `amko crds`: print the CustomResourceDefinitions generated from src/api, or
// write one file per kind (`--out-dir charts/amko/crds`, used by `npm run crds`).
import type { Command } from 'commander';
import { crdFileName, crdYaml, crdsYaml } from '../api/crd.js';
import { generatedFilesAction } from './generated-files.js';

export function registerCrds(program: Command): void {
  program
    .command('crds')
    .description('print the CustomResourceDefinitions (generated from the API schemas) as YAML')
    .option('--out-dir <dir>', 'write one file per CRD into <dir> instead of printing')
    .action(generatedFilesAction('.yaml', crdFileName, crdYaml, crdsYaml));
}
