import type { Command } from 'commander';

// Placeholder: filled in by the owner of this subcommand.
export function registerPlan(program: Command): void {
  program.command('plan').description('not implemented yet').action(() => {
    console.error('amko plan: not implemented yet');
    process.exitCode = 2;
  });
}
