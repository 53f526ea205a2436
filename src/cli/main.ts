// certgate's command line: one commander program with a subcommand per job. The only place
// that ends the process, with 0 done, 1 refused or failed, 2 usage or configuration error.

import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { Exit, isGateError } from '../errors.ts';
import { register as registerDemo } from '../demo/demo.ts';
import { register as registerVerify } from './verify.ts';
import { register as registerCheck } from './check.ts';
import { register as registerMigrationReport } from './migration-report.ts';
import { register as registerRun } from './run.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('certgate')
    .description('X.509 device authentication in front of an unmodified ThingsBoard')
    .version(pkg.version, '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  registerRun(program);
  registerDemo(program);
  registerVerify(program);
  registerCheck(program);
  registerMigrationReport(program);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : Exit.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? Exit.ok : Exit.usage;
    if (isGateError(err)) {
      process.stderr.write(`certgate: ${err.message}\n`);
      return err.code === 'CERTGATE_CONFIG_INVALID' ? Exit.usage : Exit.refused;
    }
    process.stderr.write(`certgate: ${(err as Error).stack ?? String(err)}\n`);
    return Exit.refused;
  }
}

/** Runs the program and ends the process with its exit code: the one place that does so. */
export async function runMain(): Promise<never> {
  process.exit(await main(process.argv));
}
