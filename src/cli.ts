#!/usr/bin/env node
// Entry point of the `amko` binary. Usage errors exit 2.
import { buildProgram } from './program.js';

try {
  await (await buildProgram(process.argv[2])).parseAsync(process.argv);
} catch (err) {
  const code = (err as { exitCode?: number }).exitCode;
  if (typeof code === 'number') process.exit(code === 0 ? 0 : 2);
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}
