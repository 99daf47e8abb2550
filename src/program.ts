// The amko command tree. Each subcommand lives in src/commands/.
import { Command } from 'commander';
import { registerServe } from './commands/serve.js';
import { registerValidate } from './commands/validate.js';
import { registerDefault } from './commands/default.js';
import { registerCrds } from './commands/crds.js';
import { registerSchemas } from './commands/schemas.js';
import { registerPlan } from './commands/plan.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command('amko')
    .description('Avi multi-cluster GSLB control plane: admission webhook, offline validator and GSLB sync worker')
    .version(VERSION, '-V, --version', 'print the amko version')
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerValidate(program);
  registerDefault(program);
  registerCrds(program);
  registerSchemas(program);
  registerPlan(program);
  return program;
}
