// `amko default`: prints the given manifests with the defaults the mutating
// webhook would add, as multi-document YAML. Other kinds pass through unchanged.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { GROUP } from '../api/common.js';
import { KINDS, isKindName } from '../api/kinds.js';
import { defaults } from '../rules/index.js';
import { collect, readDocuments, type InputDocument } from './validate.js';

export function defaultDocuments(docs: readonly InputDocument[], opts: { newUuid?: () => string } = {}): unknown[] {
  return docs.map((d) => {
    const o = d.object as { apiVersion?: unknown; kind?: unknown } | null;
    if (o && typeof o === 'object' && isKindName(o.kind) && o.apiVersion === `${GROUP}/${KINDS[o.kind].version}`) {
      return defaults(o.kind, o, { operation: 'CREATE', newUuid: opts.newUuid });
    }
    return d.object;
  });
}

export function toYaml(objects: readonly unknown[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

export function registerDefault(program: Command): void {
  program
    .command('default')
    .description('print AMKO manifests with the defaults the mutating webhook adds (YAML)')
    .requiredOption('-f, --filename <path>', 'file, directory or - (stdin); repeatable', collect)
    .action((o: { filename: string[] }) => {
      try {
        process.stdout.write(toYaml(defaultDocuments(readDocuments(o.filename))));
      } catch (err) {
        console.error(`amko default: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 2;
      }
    });
}
