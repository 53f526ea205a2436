// A stand-alone entry with only `verify` and `check`, so their tests run them as a real child
// process (exit codes included) whether or not the main CLI has registered them yet.

import { Command, CommanderError } from 'commander';
import { register as registerVerify } from '../../src/cli/verify.ts';
import { register as registerCheck } from '../../src/cli/check.ts';

const program = new Command('certgate').exitOverride();
registerVerify(program);
registerCheck(program);
for (const sub of program.commands) sub.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (!(err instanceof CommanderError)) throw err;
  process.exitCode = err.exitCode === 0 ? 0 : 2;
}
