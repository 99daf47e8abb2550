// The amko command tree. Each subcommand lives in src/commands/. Only the module
// of the command being run is loaded: `amko serve` does not carry the offline
// commands' dependencies (the CRD and schema builders) in memory.
import { Command } from 'commander';
import { VERSION } from './version.js';

type Register = (program: Command) => void;
const COMMANDS: Record<string, () => Promise<Register>> = {
  serve: async () => (await import('./commands/serve.js')).registerServe,
  validate: async () => (await import('./commands/validate.js')).registerValidate,
  default: async () => (await import('./commands/default.js')).registerDefault,
  crds: async () => (await import('./commands/crds.js')).registerCrds,
  schemas: async () => (await import('./commands/schemas.js')).registerSchemas,
  plan: async () => (await import('./commands/plan.js')).registerPlan,
};

/** The program with every command, or only `command` when it names one (the others are not loaded). */
export async function buildProgram(command?: string): Promise<Command> {
  const program = new Command('amko')
    .description('Avi multi-cluster GSLB control plane: admission webhook, offline validator and GSLB sync worker')
    .version(VERSION, '-V, --version', 'print the amko version')
    .showHelpAfterError()
    .exitOverride();
  const names = command !== undefined && Object.hasOwn(COMMANDS, command) ? [command] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]!())(program);
  return program;
}
