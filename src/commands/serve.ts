import type { Command } from 'commander';

// Placeholder: filled in by the owner of this subcommand.
export function registerServe(program: Command): void {
  program.command('serve').description('not implemented yet').action(() => {
    console.error('amko serve: not implemented yet');
    process.exitCode = 2;
  });
}
