import type { Command } from 'commander';

// Placeholder: filled in by the owner of this subcommand.
export function registerValidate(program: Command): void {
  program.command('validate').description('not implemented yet').action(() => {
    console.error('amko validate: not implemented yet');
    process.exitCode = 2;
  });
}
