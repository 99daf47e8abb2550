import type { Command } from 'commander';

// Placeholder: filled in by the owner of this subcommand.
export function registerCrds(program: Command): void {
  program.command('crds').description('not implemented yet').action(() => {
    console.error('amko crds: not implemented yet');
    process.exitCode = 2;
  });
}
